"""The follow-up questions Q1-Q5 (PAPER.md): which runs answer each, effects with 95 % intervals, verdicts.

The grid is `questions.yml` (profiles `questions`, `questions-l3`, `questions-l12`, `questions-q3`); its runs write
ordinary result folders, read here through `xtl.results.load`. Everything below the loaders is a
pure function of tables, so tests feed it hand-made results.

Scores. A run's score on a target is its `zero_shot_avg` (`xtl.scoring`): the unweighted mean over
every evaluated language but English, the training language, of the target's headline metric, in
percent (F1 for UD-POS, PAN-X and QA; QA counts F1 only). Over several targets, the mean over targets
of those `zero_shot_avg`s (`TARGETS_AVG`).

Effects. An effect is a difference between two settings, paired by seed (same seed: same training
sample, same evaluation items); its 95 % interval is a Student-t interval over the per-seed
differences. A verdict needs at least three seeds. An effect is "no difference" when its whole
interval lies within +-1 point (`MARGIN`), decisive when the interval excludes zero, inconclusive
otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from xtl.errors import XtlError
from xtl.scoring import ZERO_SHOT_AVG, language_average

QUESTIONS = ("q1", "q2", "q3", "q4", "q5")
PROFILE = "questions"                                  # Q1, Q3, Q4, Q5 and Q2's middle size
PROFILES = ("questions", "questions-l3", "questions-l12", "questions-q3")  # every profile of questions.yml
DEFAULT_PROFILES = PROFILES  # what `make questions` runs: every question's runs (--profiles picks some)
QUESTIONS_FILE = "questions.yml"
EXPERIMENT = "questions"
MIN_SEEDS = 3
MARGIN = 1.0  # points
TRAINING_LANGUAGE = "en"
SCORE_AVG = ZERO_SHOT_AVG   # the named average every question compares (xtl.scoring)
TARGETS_AVG = f"{ZERO_SHOT_AVG} (mean over targets)"   # its label when several targets are averaged

BASELINE: tuple[str, ...] = ()
# Every head here is token- or span-level: me5-small-l6's first-token state barely varies across inputs,
# so the sentence-level heads (classification, multiple choice) do not learn at this budget (see q1.md).
Q1_AFRICAN = ("masakhaner2:hau", "masakhaner2:swa", "masakhaner2:yor")
Q1_ENGLISH = ("panx",)
Q1_TARGETS = ("udpos",)
Q2_INTERMEDIATE = ("panx",)
Q2_TARGET = "udpos"
Q2_LAYERS = (3, 6, 12)  # the planned encoder depths (questions-l3, questions, questions-l12)
Q3_INTERMEDIATE = ("squad",)
Q3_TARGET = "xquad"
Q3_WINDOWS = (64, 256)  # intermediate-task windows: short, long
Q4_TARGET = "udpos"
Q4_CANDIDATES = (("panx",), ("squad",))  # English single tasks whose difficulty is measured
AFRICAN_LANGUAGES = ("sw", "yo")  # the XTREME-R African languages (UD-POS has yo only)
Q5_ENGLISH = ("panx",)
Q5_MIXED = ("panx", "masakhaner2:hau", "masakhaner2:swa", "masakhaner2:yor")
Q5_TARGETS = ("udpos",)

NOT_RUN = "not run"
INCONCLUSIVE = "inconclusive"
NO_DIFFERENCE = "no difference (within ±1 point)"

COLUMNS = ["profile", "run_id", "run_path", "model", "layers", "setting", "tasks", "inter_max_length", "target",
           "seed", "language", "metric", "value", "english_dev", "eval_max_length", "eval_limit", "split"]

# Two-sided 95 % Student-t quantiles t(0.975, df), df = 1..10 (standard tables); beyond: normal approximation.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228)


# ----------------------------------------------------------------------------------- statistics

def t_quantile_975(df: int) -> float:
    if df < 1:
        raise XtlError(f"a t-interval needs at least 2 seeds, got {df + 1}; run more seeds")
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@dataclass(frozen=True)
class Effect:
    """A mean over seeds with its 95 % t-interval (lo/hi None with fewer than two seeds)."""

    value: float
    lo: float | None
    hi: float | None
    per_seed: dict[int, float] = field(default_factory=dict)

    @property
    def n_seeds(self) -> int:
        return len(self.per_seed)

    @property
    def has_interval(self) -> bool:
        return self.lo is not None and self.hi is not None

    def text(self, digits: int = 1, signed: bool = True) -> str:
        """'+2.3 [+0.8, +3.9]', how pages quote an effect."""
        sign = "+" if signed else ""
        if math.isnan(self.value):
            return "not run"
        if not self.has_interval:
            return f"{self.value:{sign}.{digits}f} (no interval: {self.n_seeds} seed)"
        return f"{self.value:{sign}.{digits}f} [{self.lo:{sign}.{digits}f}, {self.hi:{sign}.{digits}f}]"

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "lo": self.lo, "hi": self.hi, "n_seeds": self.n_seeds,
                "per_seed": {int(k): float(v) for k, v in self.per_seed.items()}}


EMPTY = Effect(float("nan"), None, None, {})


def t_interval(per_seed: Mapping[int, float]) -> Effect:
    """Mean of per-seed values and its 95 % Student-t interval."""
    values = {int(k): float(v) for k, v in per_seed.items() if v is not None and not math.isnan(float(v))}
    if not values:
        return EMPTY
    x = np.array(list(values.values()))
    mean = float(x.mean())
    if len(x) < 2:
        return Effect(mean, None, None, values)
    half = t_quantile_975(len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return Effect(mean, mean - half, mean + half, values)


def contrast(treatment: Mapping[int, float], control: Mapping[int, float]) -> Effect:
    """treatment - control, paired by seed (seeds missing on either side are left out)."""
    seeds = sorted(set(treatment) & set(control))
    return t_interval({s: treatment[s] - control[s] for s in seeds})


class Verdict(NamedTuple):
    """What a verdict function returns: the verdict, a one-paragraph reason, and the evidence behind it."""

    verdict: str
    reason: str
    evidence: dict[str, Any]


def classify(effect: Effect, positive: str, negative: str, margin: float = MARGIN) -> str:
    """positive / negative when the interval excludes zero, NO_DIFFERENCE inside +-margin, else INCONCLUSIVE."""
    if effect.n_seeds == 0:
        return NOT_RUN
    if effect.n_seeds < MIN_SEEDS or not effect.has_interval:
        return INCONCLUSIVE
    if effect.lo > 0:
        return positive
    if effect.hi < 0:
        return negative
    if effect.lo > -margin and effect.hi < margin:
        return NO_DIFFERENCE
    return INCONCLUSIVE


def _seeds_note(effect: Effect) -> str:
    n = effect.n_seeds
    return f"{n} seed{'s' if n != 1 else ''}" + ("" if n >= MIN_SEEDS else f" (a verdict needs {MIN_SEEDS})")


# ----------------------------------------------------------------------------------- loading

def layers_of(model: str) -> int | None:
    """Encoder depth from a model name: me5-small(-l{k}); None when the name does not say."""
    match = re.fullmatch(r"(?:random-)?me5-small(?:-(?:l|top)(\d+))?", str(model))
    if not match:
        return None
    return int(match.group(1)) if match.group(1) else 12


def setting_label(tasks: Sequence[str]) -> str:
    """'baseline', 'panx', 'panx+masakhaner2:hau,swa', 'masakhaner2:hau,swa,yor' (languages of one task merged)."""
    if not tasks:
        return "baseline"
    groups: dict[str, list[str]] = {}
    for name in tasks:
        base, _, lang = name.partition(":")
        groups.setdefault(base, []).append(lang)
    return "+".join(base if langs == [""] else f"{base}:{','.join(langs)}" for base, langs in groups.items())


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def sibling_profiles(profile: str = PROFILE, root: Path | str | None = None) -> list[str]:
    """`profile` and every `<profile>-*` profile with results (Q2's other encoder sizes)."""
    from xtl.paths import results_root

    base = Path(root) if root is not None else results_root()
    siblings = sorted(p.name for p in base.glob(f"{profile}-*") if p.is_dir())
    return [profile, *siblings]


def load(profiles: Iterable[str] = (PROFILE,), root: Path | str | None = None) -> pd.DataFrame:
    """One row per (run, language) of every finished phase-3 run of the profiles, with its phase-2 config."""
    from xtl import results

    rows = []
    for profile in profiles:
        frame = results.load(profile, root)
        for run_path, run in frame.groupby("run_path", sort=True):
            config = _read_json(Path(run_path) / "config.json")
            metrics = _read_json(Path(run_path) / "metrics.json")
            if "target" not in config:
                continue  # a retrieval run
            inter, target = config.get("intermediate") or {}, config["target"]
            tasks = tuple(inter.get("tasks") or ())
            for _, row in run.iterrows():
                rows.append({
                    "profile": profile, "run_id": row["run_id"], "run_path": str(run_path), "model": row["model"],
                    "layers": layers_of(row["model"]), "setting": setting_label(tasks), "tasks": tasks,
                    "inter_max_length": inter.get("max_length") if tasks else None, "target": row["target"],
                    "seed": int(row["seed"]), "language": row["language"], "metric": row["metric"],
                    "value": float(row["value"]), "english_dev": row["english_dev"],
                    "eval_max_length": target.get("max_length"), "eval_limit": target.get("eval_limit"),
                    "split": (metrics.get("split_per_language") or {}).get(row["language"]),
                })
    return pd.DataFrame(rows, columns=COLUMNS)


def load_phase2(profiles: Iterable[str] = (PROFILE,), root: Path | str | None = None) -> pd.DataFrame:
    """One row per phase-2 run: model, seed, tasks, window, best English dev score (percent)."""
    from xtl.paths import results_root

    base = Path(root) if root is not None else results_root()
    rows = []
    for profile in profiles:
        for metrics_path in sorted((base / profile / "intermediate").glob("*/metrics.json")):
            folder = metrics_path.parent
            config, metrics = _read_json(folder / "config.json"), _read_json(metrics_path)
            inter = config.get("intermediate") or {}
            dev = metrics.get("english_dev")
            if isinstance(dev, dict):
                dev = next(iter(dev.values()), None)
            rows.append({"profile": profile, "model": config.get("model"), "seed": config.get("seed"),
                         "tasks": tuple(inter.get("tasks") or ()), "setting": setting_label(inter.get("tasks") or ()),
                         "max_length": inter.get("max_length"), "english_dev": dev,
                         "wall_s": (metrics.get("train") or {}).get("wall_s")})
    return pd.DataFrame(rows, columns=["profile", "model", "seed", "tasks", "setting", "max_length", "english_dev",
                                       "wall_s"])


# ----------------------------------------------------------------------------------- selections

def _has_tasks(frame: pd.DataFrame, tasks: Sequence[str]) -> pd.Series:
    """Boolean mask: rows whose intermediate tasks are exactly `tasks`, in order."""
    wanted = tuple(tasks)
    return frame["tasks"].map(lambda t: tuple(t) == wanted).astype(bool)


def select(frame: pd.DataFrame, tasks: Sequence[str] | None = None, targets: Sequence[str] | None = None,
           model: str | None = None, inter_max_length: int | None = None, zero_shot: bool = True,
           languages: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows of one intermediate setting (tasks in order), targets, model and languages."""
    keep = pd.Series(True, index=frame.index)
    if tasks is not None:
        keep &= _has_tasks(frame, tasks)
    if targets is not None:
        keep &= frame["target"].isin(list(targets))
    if model is not None:
        keep &= frame["model"] == model
    if inter_max_length is not None:
        keep &= frame["inter_max_length"] == inter_max_length
    if zero_shot:
        keep &= frame["language"] != TRAINING_LANGUAGE
    if languages is not None:
        keep &= frame["language"].isin(list(languages))
    return frame[keep]


def main_model(frame: pd.DataFrame) -> str | None:
    """The encoder of the `questions` profile (the most frequent model in the frame)."""
    if frame.empty:
        return None
    return str(frame["model"].mode().iloc[0])


def target_score(target: str, rows: pd.DataFrame) -> float:
    """One run's score on one target: its `zero_shot_avg` (`xtl.scoring.language_average`)."""
    return language_average(SCORE_AVG, target, dict(zip(rows["language"], rows["value"])))


def seed_scores(rows: pd.DataFrame, targets: Sequence[str]) -> dict[int, float]:
    """Per seed, the mean over `targets` of each target's `zero_shot_avg` (seeds lacking a target are left out)."""
    out = {}
    for seed, group in rows.groupby("seed"):
        per_task = {t: target_score(str(t), g) for t, g in group.groupby("target")}
        if set(per_task) >= set(targets) and per_task:
            out[int(seed)] = float(np.mean([per_task[t] for t in targets]))
    return out


def language_means(rows: pd.DataFrame) -> pd.Series:
    """Mean over seeds of each (target, language) score."""
    return rows.groupby(["target", "language"])["value"].mean()


def language_contrast(treatment: pd.DataFrame, control: pd.DataFrame) -> pd.DataFrame:
    """Per (target, language): both settings' means over seeds and the paired effect with its interval."""
    out = []
    keys = sorted(set(zip(treatment["target"], treatment["language"])) & set(zip(control["target"], control["language"])))
    for target, lang in keys:
        t = treatment[(treatment["target"] == target) & (treatment["language"] == lang)]
        c = control[(control["target"] == target) & (control["language"] == lang)]
        effect = contrast(dict(zip(t["seed"], t["value"])), dict(zip(c["seed"], c["value"])))
        out.append({"target": target, "language": lang, "treatment": float(t["value"].mean()),
                    "control": float(c["value"].mean()), "effect": effect.value, "lo": effect.lo, "hi": effect.hi,
                    "seeds": effect.n_seeds})
    return pd.DataFrame(out, columns=["target", "language", "treatment", "control", "effect", "lo", "hi", "seeds"])


def order_languages(control: pd.DataFrame) -> list[str]:
    """Languages by descending control score (mean over seeds and targets): the figures' order."""
    if control.empty:
        return []
    return list(control.groupby("language")["value"].mean().sort_values(ascending=False).index)


# ----------------------------------------------------------------------------------- analyses

@dataclass
class Analysis:
    """One question's answer: verdict, the table the page shows, the data the figure draws, glued values."""

    question: str
    verdict: Verdict
    table: pd.DataFrame
    plot: pd.DataFrame
    values: dict[str, Any]
    order: list[str] = field(default_factory=list)


def _not_run(what: str, planned: str) -> Verdict:
    return Verdict(NOT_RUN, f"No results for {what}: the planned grid is {planned}; nothing is claimed.",
                   {"seeds": 0})


def q1(frame: pd.DataFrame) -> Analysis:
    """African-language vs English intermediate data of the same format and size; each also against none."""
    model = main_model(select(frame, BASELINE, Q1_TARGETS))
    rows = {name: select(frame, tasks, Q1_TARGETS, model) for name, tasks in
            (("baseline", BASELINE), ("English", Q1_ENGLISH), ("African", Q1_AFRICAN))}
    scores = {name: seed_scores(r, Q1_TARGETS) for name, r in rows.items()}
    diff = contrast(scores["African"], scores["English"])
    gain_african = contrast(scores["African"], scores["baseline"])
    gain_english = contrast(scores["English"], scores["baseline"])
    verdict = q1_verdict(diff, gain_african, gain_english, model=model, targets=Q1_TARGETS)
    order = order_languages(rows["baseline"])
    per_lang = []
    for name in ("English", "African"):
        part = language_contrast(rows[name], rows["baseline"]).assign(setting=name)
        per_lang.append(part)
    plot = pd.concat(per_lang, ignore_index=True) if per_lang else pd.DataFrame()
    table = _wide_table(rows, order, ["baseline", "English", "African"])
    if not table.empty:
        lc = language_contrast(rows["African"], rows["English"]).set_index("language")
        table["African − English"] = [diff.text() if lang == SCORE_AVG else _fmt_effect(lc, lang)
                                      for lang in table.index]
    values = {"effect": diff.text(), "gain_african": gain_african.text(), "gain_english": gain_english.text(),
              "seeds": diff.n_seeds, "model": model or "-", "targets": ", ".join(Q1_TARGETS),
              "languages": ", ".join(order)}
    return Analysis("q1", verdict, table, plot, values, order)


def q1_verdict(diff: Effect, gain_african: Effect, gain_english: Effect, model: str | None = None,
               targets: Sequence[str] = Q1_TARGETS) -> Verdict:
    """Yes when African data is non-inferior to English (interval of African - English above -MARGIN)."""
    evidence = {"seeds": diff.n_seeds, "model": model, "targets": list(targets), "effect": diff.as_dict(),
                "gain_african": gain_african.as_dict(), "gain_english": gain_english.as_dict()}
    if diff.n_seeds == 0:
        return _not_run("the African or the English intermediate setting",
                        "masakhaner2 (hau+swa+yor) vs panx (English NER), target udpos")
    gains = (f"Against no intermediate training, African NER changes the score by {gain_african.text()} and "
             f"English NER by {gain_english.text()} points.")
    head = f"African − English = {diff.text()} points ({_seeds_note(diff)}, {model}, {', '.join(targets)})."
    if diff.n_seeds < MIN_SEEDS or not diff.has_interval:
        return Verdict(INCONCLUSIVE, f"{head} Too few seeds for an interval-based verdict. {gains}", evidence)
    if diff.lo > -MARGIN:
        more = " It even helps more: the interval lies above zero." if diff.lo > 0 else ""
        return Verdict("yes", f"{head} The whole interval lies above −{MARGIN:g} point, so the African data helps at "
                              f"least as much as the English data within that margin.{more} {gains}", evidence)
    if diff.hi < 0:
        return Verdict("no", f"{head} The whole interval lies below zero: English data of the same format and size "
                             f"helps more. {gains}", evidence)
    return Verdict(INCONCLUSIVE, f"{head} The interval reaches below −{MARGIN:g} and above zero: the seeds cannot "
                                 f"tell the two apart. {gains}", evidence)


def _fmt_effect(per_lang: pd.DataFrame, lang: str) -> str:
    if lang not in per_lang.index:
        return "-"
    row = per_lang.loc[lang]
    return Effect(row["effect"], row["lo"], row["hi"], {i: 0.0 for i in range(int(row["seeds"]))}).text()


def _wide_table(rows: Mapping[str, pd.DataFrame], order: list[str], names: Sequence[str]) -> pd.DataFrame:
    """Language x setting means over seeds (percent), languages in `order`, the `zero_shot_avg` row last."""
    columns = {name: rows[name].groupby("language")["value"].mean() for name in names if not rows[name].empty}
    if not columns:
        return pd.DataFrame()
    table = pd.DataFrame(columns).reindex(order)
    table.loc[SCORE_AVG] = table.mean()  # = the mean over seeds of each setting's zero_shot_avg (same languages)
    table.index.name = "language"
    return table.round(1)


def q2(frame: pd.DataFrame) -> Analysis:
    """Gain of intermediate training by encoder depth: `zero_shot_avg` ("mean"), worst language, spread."""
    sizes = []
    for model, group in frame.groupby("model"):
        base = select(group, BASELINE, [Q2_TARGET])
        inter = select(group, Q2_INTERMEDIATE, [Q2_TARGET])
        layers = layers_of(model)
        if base.empty or inter.empty or layers is None:  # a depth axis needs the encoder's depth
            continue
        stats = {name: _spread_by_seed(rows) for name, rows in (("baseline", base), ("intermediate", inter))}
        gains = {stat: contrast(stats["intermediate"][stat], stats["baseline"][stat])
                 for stat in ("mean", "std", "worst", "gap")}
        sizes.append({"model": model, "layers": layers, "gains": gains, "stats": stats})
    sizes.sort(key=lambda s: (s["layers"] or 0))
    slope = depth_slope({s["layers"]: s["gains"]["mean"].per_seed for s in sizes if s["layers"]})
    verdict = q2_verdict(slope, sizes)
    plot = pd.DataFrame([{"model": s["model"], "layers": s["layers"], "statistic": stat, "gain": g.value, "lo": g.lo,
                          "hi": g.hi, "seeds": g.n_seeds}
                         for s in sizes for stat, g in s["gains"].items()])
    table = pd.DataFrame([{
        "encoder": s["model"], "layers": s["layers"],
        f"baseline {SCORE_AVG}": t_interval(s["stats"]["baseline"]["mean"]).value,
        f"{'+'.join(Q2_INTERMEDIATE)} {SCORE_AVG}": t_interval(s["stats"]["intermediate"]["mean"]).value,
        f"gain: {SCORE_AVG}": s["gains"]["mean"].text(), "gain: worst language": s["gains"]["worst"].text(),
        "change: std over languages": s["gains"]["std"].text(), "change: worst-language gap": s["gains"]["gap"].text(),
        "seeds": s["gains"]["mean"].n_seeds} for s in sizes])
    if not table.empty:
        table = table.round(1)
    values = {"effect": slope.text(), "seeds": slope.n_seeds, "sizes": ", ".join(f"{s['layers']}" for s in sizes),
              "models": ", ".join(s["model"] for s in sizes), "target": Q2_TARGET,
              "languages": ", ".join(sorted(select(frame, BASELINE, [Q2_TARGET])["language"].unique()))}
    for layers in Q2_LAYERS:  # stable keys for the chapter, "not run" where a size has no results
        for stat in ("mean", "std", "worst", "gap"):
            values[f"gain_{stat}_l{layers}"] = "not run"
    for s in sizes:
        for stat, g in s["gains"].items():
            values[f"gain_{stat}_l{s['layers']}"] = g.text()
    return Analysis("q2", verdict, table, plot, values)


def _spread_by_seed(rows: pd.DataFrame) -> dict[str, dict[int, float]]:
    """Per seed over the zero-shot languages: mean (`zero_shot_avg`), std (ddof 0), worst score, gap mean - worst."""
    out: dict[str, dict[int, float]] = {"mean": {}, "std": {}, "worst": {}, "gap": {}}
    for seed, group in rows.groupby("seed"):
        v = group["value"].to_numpy(dtype=float)
        out["mean"][int(seed)] = target_score(str(group["target"].iloc[0]), group)
        out["std"][int(seed)] = float(v.std())
        out["worst"][int(seed)] = float(v.min())
        out["gap"][int(seed)] = out["mean"][int(seed)] - float(v.min())
    return out


def depth_slope(gains_by_layers: Mapping[int, Mapping[int, float]]) -> Effect:
    """Per seed, the least-squares slope of the gain on log2(layers) (points per doubling of depth); t-interval over seeds."""
    seeds = set.intersection(*(set(g) for g in gains_by_layers.values())) if len(gains_by_layers) >= 2 else set()
    per_seed = {}
    for seed in sorted(seeds):
        x = np.log2(np.array(sorted(gains_by_layers), dtype=float))
        y = np.array([gains_by_layers[k][seed] for k in sorted(gains_by_layers)], dtype=float)
        per_seed[seed] = float(np.polyfit(x, y, 1)[0])
    return t_interval(per_seed)


def q2_verdict(slope: Effect, sizes: Sequence[Mapping[str, Any]] = ()) -> Verdict:
    """Yes (grows) / no (shrinks, or flat within +-MARGIN per doubling) by the interval of the depth slope."""
    evidence = {"seeds": slope.n_seeds, "slope": slope.as_dict(),
                "sizes": {str(s["model"]): {k: g.as_dict() for k, g in s["gains"].items()} for s in sizes}}
    if len(sizes) < 2 or slope.n_seeds == 0:
        return _not_run("two or more encoder sizes with and without intermediate training",
                        "me5-small-l3 / -l6 / me5-small, each baseline and panx (English NER), target udpos")
    gains = "; ".join(f"{s['layers']} layers: mean {s['gains']['mean'].text()}, worst language "
                      f"{s['gains']['worst'].text()}, std {s['gains']['std'].text()}" for s in sizes)
    head = (f"The gain of intermediate training changes by {slope.text()} points per doubling of depth "
            f"({_seeds_note(slope)}, {len(sizes)} sizes). Gains and changes in spread by size: {gains}.")
    label = classify(slope, "yes: the gain grows with size", "no: the gain shrinks with size")
    if label == NO_DIFFERENCE:
        return Verdict("no: the gain does not change with size (within ±1 point per doubling)", head, evidence)
    if label == INCONCLUSIVE:
        return Verdict(INCONCLUSIVE, head + " The interval of the slope includes zero and reaches beyond ±1.", evidence)
    return Verdict(label, head, evidence)


# ---- Q3: long documents

def qa_item_table(lines: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]], lang: str,
                  token_count: Callable[[str, str], int], window: int, norm_lang: str | None = None) -> pd.DataFrame:
    """Per evaluated QA item: F1, EM (0-100), tokens of question+context, long (tokens > window).

    `lines` are a run's predictions/<lang>.jsonl in row order and `rows` the same rows re-loaded
    with xtl.data.load; the ids must agree item by item.
    """
    from xtl import metrics

    if len(lines) != len(rows):
        raise XtlError(f"{lang}: {len(lines)} predictions for {len(rows)} re-loaded rows; load with the run's "
                       "eval_limit and seed")
    out = []
    for line, row in zip(lines, rows):
        gold = line["gold"]
        if gold["id"] != row["id"]:
            raise XtlError(f"{lang}: prediction for {gold['id']} where the re-loaded row is {row['id']}; "
                           "the rows are not in prediction order")
        answers = gold["answers"] or [""]
        prediction = str(line["prediction"])
        tokens = int(token_count(row["question"], row["context"]))
        out.append({"language": lang, "id": row["id"], "tokens": tokens, "long": tokens > window,
                    "f1": 100.0 * max(metrics.qa_f1(prediction, a, norm_lang) for a in answers),
                    "exact_match": 100.0 * max(metrics.qa_exact_match(prediction, a, norm_lang) for a in answers)})
    return pd.DataFrame(out)


def q3_items(frame: pd.DataFrame, token_count: Callable[[str, str], int]) -> pd.DataFrame:
    """Item tables of every Q3 run (xquad after squad at either window), rows re-loaded from the kit."""
    from xtl import data, metrics

    rows = frame.loc[(frame["target"] == Q3_TARGET) & _has_tasks(frame, Q3_INTERMEDIATE)]
    tables = []
    for run_path, run in rows.groupby("run_path"):
        first = run.iloc[0]
        for lang in run["language"]:
            lines = [json.loads(x) for x in (Path(run_path) / "predictions" / f"{lang}.jsonl").read_text().splitlines()
                     if x.strip()]
            split = run[run["language"] == lang]["split"].iloc[0] or "test"
            limit = None if pd.isna(first["eval_limit"]) else int(first["eval_limit"])
            reloaded = list(data.load(Q3_TARGET, lang, split, limit=limit, seed=int(first["seed"])))
            table = qa_item_table(lines, reloaded, lang, token_count, int(first["eval_max_length"]),
                                  metrics.qa_normalisation_language(Q3_TARGET, lang))
            tables.append(table.assign(run_path=run_path, seed=int(first["seed"]), model=first["model"],
                                       window=int(first["inter_max_length"]), eval_window=int(first["eval_max_length"])))
    columns = ["language", "id", "tokens", "long", "f1", "exact_match", "run_path", "seed", "model", "window",
               "eval_window"]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns)


def _subset_scores(items: pd.DataFrame, window: int, long: bool) -> dict[int, float]:
    """Per seed: mean over languages of the mean F1 of the long (or short) items, one intermediate window."""
    part = items[(items["window"] == window) & (items["long"] == long)]
    per_lang = part.groupby(["seed", "language"])["f1"].mean()
    return {int(seed): float(v.mean()) for seed, v in per_lang.groupby(level="seed")}


def q3(items: pd.DataFrame) -> Analysis:
    """Long window minus short window, on the long-document subset and on the rest."""
    short_w, long_w = Q3_WINDOWS
    effects = {}
    for subset, flag in (("long", True), ("short", False)):
        effects[subset] = contrast(_subset_scores(items, long_w, flag), _subset_scores(items, short_w, flag))
    interaction = contrast({s: effects["long"].per_seed[s] for s in effects["long"].per_seed},
                           {s: effects["short"].per_seed.get(s, float("nan")) for s in effects["long"].per_seed})
    counts = pd.DataFrame()
    if not items.empty:
        one_run = items[items["run_path"] == items["run_path"].iloc[0]]
        counts = one_run.groupby("language").agg(items=("id", "size"), long_items=("long", "sum"),
                                                 median_tokens=("tokens", "median"))
        counts["long share (%)"] = (100 * counts["long_items"] / counts["items"]).round(0)
    eval_window = int(items["eval_window"].iloc[0]) if not items.empty else None
    verdict = q3_verdict(effects["long"], effects["short"], interaction, eval_window, counts)
    per_lang = (items.groupby(["window", "long", "language", "seed"])["f1"].mean().reset_index()
                if not items.empty else pd.DataFrame(columns=["window", "long", "language", "seed", "f1"]))
    plot = per_lang.groupby(["window", "long", "seed"])["f1"].mean().reset_index()
    table = counts.copy()
    if not items.empty:
        for w in Q3_WINDOWS:
            for subset, flag in (("long", True), ("short", False)):
                table[f"F1 {subset}, window {w}"] = (per_lang[(per_lang["window"] == w) & (per_lang["long"] == flag)]
                                                    .groupby("language")["f1"].mean().round(1))
    values = {"effect": effects["long"].text(), "effect_short": effects["short"].text(),
              "interaction": interaction.text(), "seeds": effects["long"].n_seeds, "threshold": eval_window or "-",
              "model": items["model"].iloc[0] if not items.empty else "-",
              "long_items": int(counts["long_items"].sum()) if not counts.empty else 0,
              "items": int(counts["items"].sum()) if not counts.empty else 0,
              "languages": ", ".join(counts.index) if not counts.empty else "-"}
    return Analysis("q3", verdict, table, plot, values, list(counts.index))


def q3_verdict(long_effect: Effect, short_effect: Effect, interaction: Effect, eval_window: int | None,
               counts: pd.DataFrame | None = None) -> Verdict:
    """By the interval of (window 256 - window 64) F1 on the long-document subset."""
    short_w, long_w = Q3_WINDOWS
    evidence = {"seeds": long_effect.n_seeds, "long": long_effect.as_dict(), "short": short_effect.as_dict(),
                "interaction": interaction.as_dict(), "eval_window": eval_window,
                "long_items": {} if counts is None or counts.empty else counts["long_items"].astype(int).to_dict()}
    if long_effect.n_seeds == 0:
        return _not_run("SQuAD intermediate training at both windows with an XQuAD target",
                        f"squad at {short_w} and {long_w} tokens, xquad evaluated at a fixed window")
    head = (f"On XQuAD items whose question + context exceed the {eval_window}-token evaluation window, F1 after "
            f"{long_w}-token minus after {short_w}-token SQuAD intermediate training is {long_effect.text()} points "
            f"({_seeds_note(long_effect)}); on the other items {short_effect.text()}; difference between the two "
            f"{interaction.text()}.")
    label = classify(long_effect, "yes: the longer window helps on long documents",
                     "yes: the shorter window helps on long documents")
    if label == INCONCLUSIVE:
        return Verdict(INCONCLUSIVE, head + " The interval on the long subset includes zero and reaches beyond ±1.",
                       evidence)
    if label == NO_DIFFERENCE:
        return Verdict("no: " + NO_DIFFERENCE, head, evidence)
    return Verdict(label, head, evidence)


# ---- Q4: difficulty

def chance_level(task_name: str) -> float:
    """Accuracy of a uniform guess for classification / multiple choice (percent); 0 for span and tag F1."""
    from xtl import tasks

    task = tasks.get(task_name)
    if task.format in ("sentence_classification", "pair_classification", "multiple_choice") and task.label_names:
        return 100.0 / len(task.label_names)
    return 0.0


def difficulty(phase2: pd.DataFrame, candidates: Sequence[Sequence[str]] = Q4_CANDIDATES,
               model: str | None = None) -> pd.DataFrame:
    """Measured difficulty of each English single task: chance-normalised English dev error after phase 2.

    difficulty = (100 - dev) / (100 - chance): 0 when phase 2 solves the dev set, 1 at chance level,
    so tasks with 2 and 5 answer options are comparable. Averaged over seeds.
    """
    rows = []
    for tasks in candidates:
        part = phase2.loc[_has_tasks(phase2, tasks)]
        if model is not None:
            part = part[part["model"] == model]
        part = part.dropna(subset=["english_dev"])
        if part.empty:
            continue
        chance = chance_level(tasks[0])
        per_seed = {int(s): (100.0 - float(d)) / (100.0 - chance) for s, d in zip(part["seed"], part["english_dev"])}
        rows.append({"setting": setting_label(tasks), "tasks": tuple(tasks), "english_dev": float(part["english_dev"].mean()),
                     "chance": chance, "difficulty": float(np.mean(list(per_seed.values()))), "seeds": len(per_seed)})
    return pd.DataFrame(rows, columns=["setting", "tasks", "english_dev", "chance", "difficulty", "seeds"])


def q4(frame: pd.DataFrame, phase2: pd.DataFrame) -> Analysis:
    """Gain of the hardest minus the easiest English task (by measured difficulty) on sw/yo, and elsewhere."""
    model = main_model(select(frame, BASELINE, [Q4_TARGET]))
    measured = difficulty(phase2, model=model)
    measured = measured[[not select(frame, t, [Q4_TARGET], model).empty for t in measured["tasks"]]] \
        if not measured.empty else measured
    measured = measured.sort_values("difficulty").reset_index(drop=True)
    base = select(frame, BASELINE, [Q4_TARGET], model)
    present = [lang for lang in AFRICAN_LANGUAGES if lang in set(base["language"])] or list(AFRICAN_LANGUAGES)
    african_group = f"African ({', '.join(present)})"
    groups = {african_group: lambda r: r[r["language"].isin(AFRICAN_LANGUAGES)],
              "other zero-shot": lambda r: r[~r["language"].isin(AFRICAN_LANGUAGES)]}
    gains, plot_rows = {}, []
    for _, task_row in measured.iterrows():
        rows = select(frame, task_row["tasks"], [Q4_TARGET], model)
        for group, pick in groups.items():
            g = contrast(seed_scores(pick(rows), [Q4_TARGET]), seed_scores(pick(base), [Q4_TARGET]))
            gains[(task_row["setting"], group)] = g
            plot_rows.append({"setting": task_row["setting"], "difficulty": task_row["difficulty"], "group": group,
                              "gain": g.value, "lo": g.lo, "hi": g.hi, "seeds": g.n_seeds})
    if len(measured) >= 2:
        easy, hard = measured.iloc[0], measured.iloc[-1]
        african = contrast(gains[(hard["setting"], african_group)].per_seed,
                           gains[(easy["setting"], african_group)].per_seed)
        other = contrast(gains[(hard["setting"], "other zero-shot")].per_seed,
                         gains[(easy["setting"], "other zero-shot")].per_seed)
        interaction = contrast(african.per_seed, other.per_seed)
        easy_name, hard_name = str(easy["setting"]), str(hard["setting"])
    else:
        african = other = interaction = EMPTY
        easy_name = hard_name = "-"
    verdict = q4_verdict(african, other, interaction, easy_name, hard_name, measured, present)
    table = measured.drop(columns=["tasks"]).copy()
    for group in groups:
        table[f"gain on {group}"] = [gains[(s, group)].text() for s in table["setting"]]
    table = table.round(2)
    values = {"effect": african.text(), "effect_other": other.text(), "interaction": interaction.text(),
              "seeds": african.n_seeds, "easy": easy_name, "hard": hard_name, "model": model or "-",
              "target": Q4_TARGET, "african": ", ".join(present)}
    for tasks in Q4_CANDIDATES:  # stable keys for the chapter
        values[f"difficulty_{setting_label(tasks)}"] = "not run"
    for _, row in measured.iterrows():
        values[f"difficulty_{row['setting']}"] = f"{row['difficulty']:.2f}"
    return Analysis("q4", verdict, table, pd.DataFrame(plot_rows), values)


def q4_verdict(african: Effect, other: Effect, interaction: Effect, easy: str, hard: str,
               measured: pd.DataFrame | None = None, languages: Sequence[str] = AFRICAN_LANGUAGES) -> Verdict:
    """By the interval of gain(hardest task) - gain(easiest task) on the African languages."""
    evidence = {"seeds": african.n_seeds, "african": african.as_dict(), "other": other.as_dict(),
                "interaction": interaction.as_dict(), "easy": easy, "hard": hard,
                "difficulty": {} if measured is None or measured.empty
                else dict(zip(measured["setting"], measured["difficulty"].round(3)))}
    if african.n_seeds == 0:
        return _not_run("two English intermediate tasks of measured difficulty with a UD-POS target",
                        "panx (English NER) and squad (English QA), udpos yo")
    head = (f"By measured difficulty the easiest task is {easy} and the hardest {hard}. On {', '.join(languages)} "
            f"({Q4_TARGET}), the gain after {hard} minus the gain after {easy} is {african.text()} points "
            f"({_seeds_note(african)}); on the other zero-shot languages {other.text()}; the difference between "
            f"the two {interaction.text()}.")
    label = classify(african, "yes: the harder task transfers better to the African languages",
                     "yes: the easier task transfers better to the African languages")
    if label == NO_DIFFERENCE:
        return Verdict("no: " + NO_DIFFERENCE, head, evidence)
    if label == INCONCLUSIVE:
        return Verdict(INCONCLUSIVE, head + " The interval includes zero and reaches beyond ±1.", evidence)
    return Verdict(label, head, evidence)


# ---- Q5: English-only vs mixed

def text_overlap(train_texts: Iterable[str], eval_texts: Iterable[str]) -> int:
    """How many training texts equal an evaluated text (texts normalised by xtl.data.row_text)."""
    evaluated = set(eval_texts)
    return sum(1 for t in train_texts if t in evaluated)


def q5(frame: pd.DataFrame, overlap: Mapping[str, int] | None = None) -> Analysis:
    """Mixed English + African NER minus English-only NER at the same size, on `TARGETS_AVG`."""
    model = main_model(select(frame, Q5_ENGLISH, Q5_TARGETS))
    english = select(frame, Q5_ENGLISH, Q5_TARGETS, model)
    mixed = select(frame, Q5_MIXED, Q5_TARGETS, model)
    effect = contrast(seed_scores(mixed, Q5_TARGETS), seed_scores(english, Q5_TARGETS))
    per_target = {t: contrast(seed_scores(mixed[mixed["target"] == t], [t]),
                              seed_scores(english[english["target"] == t], [t])) for t in Q5_TARGETS}
    verdict = q5_verdict(effect, per_target, overlap)
    plot = language_contrast(mixed, english)
    order = order_languages(english)
    table = plot.copy()
    if not table.empty:
        table["effect [95 % CI]"] = [Effect(r.effect, r.lo, r.hi, {i: 0.0 for i in range(int(r.seeds))}).text()
                                     for r in table.itertuples()]
        table = table.rename(columns={"treatment": "mixed", "control": "English-only"})
        table = table[["target", "language", "English-only", "mixed", "effect [95 % CI]"]].round(1)
    values = {"effect": effect.text(), "seeds": effect.n_seeds, "model": model or "-",
              "targets": ", ".join(Q5_TARGETS), "overlap": sum((overlap or {}).values()) if overlap else "not checked"}
    for t, e in per_target.items():
        values[f"effect_{t}"] = e.text()
    return Analysis("q5", verdict, table, plot, values, order)


def q5_verdict(effect: Effect, per_target: Mapping[str, Effect], overlap: Mapping[str, int] | None = None) -> Verdict:
    """By the interval of mixed - English-only on `TARGETS_AVG`."""
    evidence = {"seeds": effect.n_seeds, "effect": effect.as_dict(),
                "per_target": {t: e.as_dict() for t, e in per_target.items()}, "overlap": dict(overlap or {})}
    if effect.n_seeds == 0:
        return _not_run("the English-only and the mixed intermediate setting",
                        "panx 280 vs panx 140 + masakhaner2 (hau, swa, yor) 140, target udpos")
    targets = "; ".join(f"{t} {e.text()}" for t, e in per_target.items())
    head = (f"Mixed minus English-only intermediate training, {TARGETS_AVG} over {', '.join(per_target)}: "
            f"{effect.text()} points ({_seeds_note(effect)}); per target: {targets}.")
    if overlap:
        head += f" Training sentences whose text equals an evaluated sentence: {sum(overlap.values())}."
    label = classify(effect, "mixed is better", "English-only is better")
    if label == NO_DIFFERENCE:
        return Verdict("no: " + NO_DIFFERENCE, head, evidence)
    if label == INCONCLUSIVE:
        return Verdict(INCONCLUSIVE, head + " The interval includes zero and reaches beyond ±1.", evidence)
    return Verdict(label, head, evidence)


def training_texts(config: Mapping[str, Any]) -> list[str]:
    """The normalised texts (xtl.data.row_text) of a run's phase-2 training rows, loaded as xtl.experiment loads them."""
    from xtl import data, tasks

    inter, seed = config["intermediate"], int(config["seed"])
    texts = []
    for name in inter.get("tasks") or ():
        base, _, lang = name.partition(":")
        task = tasks.get(base)
        limit = (inter.get("task_limits") or {}).get(name, inter.get("train_limit"))
        if lang:
            rows = data.load(task.name, lang, "train", limit=limit, seed=seed)
        else:
            rows = data.load(task.train_task or task.name, task.train_lang, task.train_split, limit=limit, seed=seed)
        texts += [data.row_text(task.format, r) for r in rows]
    return texts


def mixed_overlap(frame: pd.DataFrame) -> dict[str, int]:
    """Per seed of the mixed setting: training sentences whose text equals a sentence of the target's evaluated split.

    Compared with the whole evaluated split (not only the sampled rows) of every language the run
    evaluated; texts normalised by xtl.data.row_text (NFKC, case-folded, whitespace collapsed).
    """
    from xtl import data, tasks

    runs = frame.loc[_has_tasks(frame, Q5_MIXED)]
    out: dict[str, int] = {}
    evaluated: dict[str, set[str]] = {}
    for run_path, run in runs.groupby("run_path"):
        config = _read_json(Path(run_path) / "config.json")
        target = tasks.get(config["target"]["task"])
        if target.name not in evaluated:
            evaluated[target.name] = {data.row_text(target.format, r) for lang in sorted(run["language"].unique())
                                      for r in data.load(target.name, lang, target.eval_split[lang])}
        out[f"seed {config['seed']}"] = text_overlap(training_texts(config), evaluated[target.name])
    return out


CELLS = {  # question -> (profile suffix, intermediate setting, target) of questions.yml
    "q1": [("", "baseline", "udpos"), ("", "english_ner", "udpos"), ("", "q1_african_ner", "udpos")],
    "q2": [(suffix, setting, "udpos") for suffix in ("-l3", "", "-l12") for setting in ("baseline", "english_ner")],
    "q3": [("-q3", "q3_squad64", "xquad"), ("-q3", "q3_squad256", "xquad")],
    "q4": [("", "baseline", "udpos"), ("", "english_ner", "udpos"), ("", "q4_squad", "udpos")],
    "q5": [("", "english_ner", "udpos"), ("", "q5_mixed_ner", "udpos")],
}


def plan(question: str, profile: str = PROFILE) -> pd.DataFrame:
    """The question's runs in the grid: profile, run, model, finished or not, estimated and measured notebook time.

    Measured times come from the runner's manifest (book/runs/<profile>/runs.json); a run shared by
    several questions is listed (and counted) under each.
    """
    from xtl import runner

    merged = grid()
    out = []
    for suffix in dict.fromkeys(s for s, _, _ in CELLS[question]):
        name = profile + suffix
        if name not in merged["profiles"]:
            continue
        wanted = {(setting, target) for s, setting, target in CELLS[question] if s == suffix}
        manifest = runner.read_manifest(name)
        for run in runner.expand(name, grid=runner.deep_merge(merged)):
            if (run.cells.get("intermediate"), run.cells.get("target")) not in wanted:
                continue
            measured = (manifest.get(run.label) or {}).get("notebook_wall_s")
            out.append({"profile": name, "run": run.name, "model": run.config["model"],
                        "finished": run.is_finished(), "estimate_s": round(run.estimate_s),
                        "measured_s": measured})
    return pd.DataFrame(out, columns=["profile", "run", "model", "finished", "estimate_s", "measured_s"])


def measured_time(profiles: Sequence[str] = PROFILES) -> tuple[int, float]:
    """Runs and summed notebook seconds of every executed questions run (the runner's manifests): what
    `make questions` costs, each shared run counted once."""
    from xtl import runner

    entries = [entry for profile in profiles for entry in runner.read_manifest(profile).values()]
    return len(entries), float(sum(entry["notebook_wall_s"] for entry in entries))


def analyse(question: str, profile: str = PROFILE, root: Path | str | None = None) -> Analysis:
    """Load what `question` needs from results/<profile>*/ and analyse it."""
    if question not in QUESTIONS:
        raise XtlError(f"unknown question {question!r}; choose one of {', '.join(QUESTIONS)}")
    profiles = {"q2": sibling_profiles(profile, root), "q3": [f"{profile}-q3"]}.get(question, [profile])
    frame = load(profiles, root)
    if question == "q3":
        from transformers import AutoTokenizer

        from xtl import e5_weights

        tokenizer = AutoTokenizer.from_pretrained(str(e5_weights.tokenizer_folder()))
        return q3(q3_items(frame, lambda q, c: len(tokenizer(q, c)["input_ids"])))
    if question == "q4":
        return q4(frame, load_phase2(profiles, root))
    if question == "q5":
        return q5(frame, mixed_overlap(frame) if not frame.empty else None)
    return q1(frame) if question == "q1" else q2(frame)


# ----------------------------------------------------------------------------------- figures

def figure(analysis: Analysis):
    """The question's seaborn figure (colour-blind palette, labelled axes, stated language order)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    palette = sns.color_palette("colorblind")
    data = analysis.plot
    if data.empty:
        fig, ax = plt.subplots(figsize=(6, 2))
        ax.text(0.5, 0.5, "not run: no results for this question", ha="center", va="center")
        ax.set_axis_off()
        return fig
    q = analysis.question
    if q in ("q1", "q5"):
        hue = "setting" if q == "q1" else "target"
        hue_order = ["English", "African"] if q == "q1" else list(Q5_TARGETS)
        data = data.assign(label=data["language"])
        order = [lang for lang in analysis.order if lang in set(data["language"])]
        fig, ax = plt.subplots(figsize=(max(6.0, 0.5 * len(order) + 2), 3.8))
        _bars(ax, data, "label", "effect", hue, order, [h for h in hue_order if h in set(data[hue])], palette)
        ylabel = ("gain over no intermediate\ntraining (UD-POS F1 points)" if q == "q1"
                  else "mixed − English-only\n(UD-POS F1 points)")
        legend = "intermediate data" if q == "q1" else "target"
        ax.set(xlabel="language (ordered by the control's mean score, highest first)", ylabel=ylabel)
        ax.legend(title=legend, fontsize="small")
    elif q == "q2":
        shown = data[data["statistic"].isin(["mean", "worst"])].copy()
        shown["statistic"] = shown["statistic"].map({"mean": SCORE_AVG, "worst": "worst language"})
        fig, ax = plt.subplots(figsize=(6, 3.8))
        for k, (stat, part) in enumerate(shown.groupby("statistic")):
            part = part.sort_values("layers")
            ax.errorbar(part["layers"] * (1 + 0.03 * (k - 0.5)), part["gain"],
                        yerr=_yerr(part, "gain"), marker="o", capsize=3, color=palette[k], label=stat)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(shown["layers"].unique()), [str(int(x)) for x in sorted(shown["layers"].unique())])
        ax.set(xlabel="encoder depth (layers of me5-small kept, log scale)",
               ylabel="gain from English NER intermediate\ntraining (UD-POS F1 points)")
        ax.legend(title="zero-shot statistic", fontsize="small")
    elif q == "q3":
        summary = data.groupby(["window", "long"])["f1"].agg(["mean", "std", "count"]).reset_index()
        summary["subset"] = summary["long"].map({True: "long documents", False: "the rest"})
        summary["half"] = [t_quantile_975(int(n) - 1) * s / math.sqrt(n) if n > 1 else 0.0
                           for s, n in zip(summary["std"], summary["count"])]
        fig, ax = plt.subplots(figsize=(6, 3.8))
        subsets = ["long documents", "the rest"]
        width = 0.38
        for k, window in enumerate(sorted(summary["window"].unique())):
            part = summary[summary["window"] == window].set_index("subset").reindex(subsets)
            x = np.arange(len(subsets)) + (k - 0.5) * width
            ax.bar(x, part["mean"], width, yerr=part["half"], capsize=3, color=palette[k],
                   label=f"{window} tokens")
        ax.set_xticks(np.arange(len(subsets)), subsets)
        ax.set(xlabel="XQuAD items (by question + context length against the evaluation window)",
               ylabel="F1 (%), mean over languages")
        ax.legend(title="SQuAD intermediate window", fontsize="small")
    else:  # q4
        fig, ax = plt.subplots(figsize=(6, 3.8))
        for k, (group, part) in enumerate(data.groupby("group", sort=False)):
            part = part.sort_values("difficulty")
            ax.errorbar(part["difficulty"] + 0.005 * (k - 0.5), part["gain"], yerr=_yerr(part, "gain"), marker="o",
                        capsize=3, linestyle="none", color=palette[k], label=group)
            for _, row in part.iterrows():
                if k == 0:
                    ax.annotate(row["setting"], (row["difficulty"], row["gain"]), textcoords="offset points",
                                xytext=(5, 5), fontsize="small")
        ax.set(xlabel="measured difficulty (normalised English dev error: 0 solved, 1 chance)",
               ylabel="gain over no intermediate\ntraining (UD-POS F1 points)")
        ax.legend(title="zero-shot languages", fontsize="small")
    if q != "q3":
        ax.axhline(0, color="black", linewidth=0.8)
    fig.tight_layout()
    return fig


def _yerr(part: pd.DataFrame, column: str) -> np.ndarray:
    lo = (part[column] - part["lo"].astype(float)).fillna(0).clip(lower=0)
    hi = (part["hi"].astype(float) - part[column]).fillna(0).clip(lower=0)
    return np.vstack([lo.to_numpy(), hi.to_numpy()])


def _bars(ax, data: pd.DataFrame, x: str, y: str, hue: str, order: list[str], hue_order: list[str], palette) -> None:
    """Grouped bars with precomputed 95 % intervals as whiskers."""
    width = 0.8 / max(1, len(hue_order))
    for k, h in enumerate(hue_order):
        part = data[data[hue] == h].set_index(x).reindex(order)
        positions = np.arange(len(order)) + (k - (len(hue_order) - 1) / 2) * width
        ax.bar(positions, part[y], width, yerr=_yerr(part.reset_index(), y), capsize=2, color=palette[k], label=h)
    ax.set_xticks(np.arange(len(order)), order)


# ----------------------------------------------------------------------------------- running

def grid(root: Path | None = None) -> dict[str, Any]:
    """experiments.yml with questions.yml merged in (unless experiments.yml already holds the `questions` profile)."""
    import yaml

    from xtl import runner
    from xtl.paths import repo_root

    _estimate_shim()
    root = Path(root) if root else repo_root()
    base = runner.load_grid(root / runner.GRID_FILE)
    if PROFILE not in base["profiles"]:
        base = runner.deep_merge(base, yaml.safe_load((root / QUESTIONS_FILE).read_text()))
    return base


def _estimate_shim() -> None:
    """Until xtl.runner's time estimate knows 'task:lang' names (Q1's 'masakhaner2:hau'), estimate them as the task.

    The estimate only prints; runs and results do not depend on it. Does nothing once the runner handles them.
    """
    from xtl import runner

    try:
        runner._examples_cost("masakhaner2:hau", 1, 64)
        return
    except XtlError:
        pass
    original = runner._examples_cost

    def examples_cost(task_name: str, examples: int | None, max_length: int) -> float:
        return original(task_name if task_name == "xnli-translated" else task_name.partition(":")[0], examples,
                        max_length)

    runner._examples_cost = examples_cost


def execute_analysis(question: str, profile: str = PROFILE, out_dir: Path | None = None) -> Path:
    """Run notebooks/questions.ipynb for one question with papermill into book/questions/<q>_questions.ipynb."""
    import papermill

    from xtl.paths import cache_root, repo_root

    out_dir = Path(out_dir) if out_dir else repo_root() / "book" / "questions"
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / f"{question}_questions.ipynb"
    partial = cache_root() / "questions" / f"{question}_questions.partial.ipynb"  # outside the book until done
    partial.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(str(repo_root() / "notebooks" / "questions.ipynb"), str(partial),
                               parameters={"profile": profile, "question": question}, kernel_name="python3",
                               cwd=str(repo_root()), progress_bar=False)
    shutil.move(str(partial), output)
    from xtl.notebook_paths import clean_notebook_file

    clean_notebook_file(output)  # papermill records the partial and template paths of this machine
    return output


def main(argv: list[str] | None = None) -> int:
    """`python -m xtl.questions run [--dry-run] [--profiles ...]`: the grid, then the five analysis notebooks."""
    from xtl import runner
    from xtl.notebook_paths import display_path

    parser = argparse.ArgumentParser(prog="python -m xtl.questions", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the questions grid (papermill), then the analysis notebooks")
    run.add_argument("--dry-run", action="store_true", help="list the runs and their estimates only")
    run.add_argument("--profiles", nargs="*", default=list(DEFAULT_PROFILES),
                     help=f"profiles to run (default {' '.join(DEFAULT_PROFILES)}; all: {' '.join(PROFILES)})")
    run.add_argument("--only", nargs="*", default=None, help="run-name substrings (as `xtl run --only`)")
    run.add_argument("--analysis-only", action="store_true", help="only re-run the five analysis notebooks")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        merged = grid()
        if not args.analysis_only:
            for profile in args.profiles:
                # a fresh copy per profile: expanding a profile that `extends` another edits the grid it is given
                runner.run_profile(profile, only=args.only, grid=runner.deep_merge(merged), dry_run=args.dry_run)
        if not args.dry_run and not args.only:
            for question in QUESTIONS:
                took = time.perf_counter()
                print(f"analysis {question} -> {display_path(execute_analysis(question))} "
                      f"({runner.format_duration(time.perf_counter() - took)})", flush=True)
    except XtlError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"questions: done in {runner.format_duration(time.perf_counter() - start)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
