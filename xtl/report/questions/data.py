"""The questions' results: loading their runs, selecting cells by config, and per-seed scores.

Loading. A questions profile's runs are its own result folders plus, for every run it plans that it has
not copied yet, the same run (same run id) in a profile it extends (`xtl.report.sources`): so the cells
the questions share with the reference grid count as soon as the reference grid has made them.

Scores. A run's score on a target is its `zero_shot_avg` (`xtl.scoring`): the unweighted mean over
every evaluated language but English, the training language, of the target's headline metric, in
percent (F1 for UD-POS, PAN-X and QA; accuracy for XNLI; QA counts F1 only). A comparison reads only
the languages every run it compares evaluated (`common_languages`): the new cells evaluate a panel of
languages, the reference grid's cells all of them. Over several targets, the mean over targets of
those `zero_shot_avg`s (`TARGETS_AVG`). Everything below the loaders is a pure function of tables, so
tests feed it hand-made results.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xtl import results
from xtl.paths import results_root
from xtl.report import sources
from xtl.report.questions.rules import PROFILE, SCORE_AVG, TRAINING_LANGUAGE
from xtl.report.stats import Effect, contrast
from xtl.scoring import language_average

COLUMNS = ["profile", "run_id", "run_path", "model", "layers", "setting", "tasks", "inter_max_length",
           "inter_examples", "target", "seed", "language", "metric", "value", "english_dev", "eval_max_length",
           "eval_limit", "split"]
PHASE2_COLUMNS = ["profile", "run_id", "model", "seed", "tasks", "setting", "max_length", "examples", "english_dev",
                  "first_step", "first_dev", "wall_s"]


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


def phase2_examples(inter: Mapping[str, Any]) -> int | None:
    """Examples phase 2 draws from (the sum of each task's limit); None for no phase 2 or an unlimited task."""
    tasks = list(inter.get("tasks") or ())
    limits = [(inter.get("task_limits") or {}).get(name, inter.get("train_limit")) for name in tasks]
    if not tasks or any(limit is None for limit in limits):
        return None
    return int(sum(limits))


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def result_folders(profiles: Iterable[str] = (PROFILE,), root: Path | str | None = None) -> list[tuple[str, Path]]:
    """(profile, folder) of every complete result folder that stands for the profiles' runs, each run once."""
    base = Path(root) if root is not None else results_root()
    found, seen = [], set()
    for profile in profiles:
        for folder in sources.folders(profile, base, sources.plan(profile), sources.ancestors(profile)):
            if folder.name not in seen:  # a run id names one config: the same run in two profiles counts once
                seen.add(folder.name)
                found.append((profile, folder))
    return found


def load(profiles: Iterable[str] = (PROFILE,), root: Path | str | None = None) -> pd.DataFrame:
    """One row per (run, language) of every finished phase-3 run of the profiles, with its phase-2 config."""
    rows = []
    for profile, folder in result_folders(profiles, root):
        config = read_json(folder / "config.json")
        if "target" not in config:
            continue  # a phase-2 record or a retrieval run
        metrics = read_json(folder / "metrics.json")
        inter, target = config.get("intermediate") or {}, config["target"]
        tasks = tuple(inter.get("tasks") or ())
        for _, row in results.load_run(folder).iterrows():
            rows.append({
                "profile": profile, "run_id": row["run_id"], "run_path": str(folder), "model": row["model"],
                "layers": layers_of(row["model"]), "setting": setting_label(tasks), "tasks": tasks,
                "inter_max_length": inter.get("max_length") if tasks else None,
                "inter_examples": phase2_examples(inter), "target": row["target"], "seed": int(row["seed"]),
                "language": row["language"], "metric": row["metric"], "value": float(row["value"]),
                "english_dev": row["english_dev"], "eval_max_length": target.get("max_length"),
                "eval_limit": target.get("eval_limit"),
                "split": (metrics.get("split_per_language") or {}).get(row["language"]),
            })
    return pd.DataFrame(rows, columns=COLUMNS)


def load_phase2(profiles: Iterable[str] = (PROFILE,), root: Path | str | None = None) -> pd.DataFrame:
    """One row per phase-2 run: model, seed, tasks, window, size, best English dev score and the first one
    (the dev history's first point: the score after a fixed small budget, `first_step` optimiser steps)."""
    rows = []
    for profile, folder in result_folders(profiles, root):
        config, metrics = read_json(folder / "config.json"), read_json(folder / "metrics.json")
        if "target" in config or "retrieval" in config or "intermediate" not in config:
            continue
        inter = config["intermediate"]
        dev = metrics.get("english_dev")
        if isinstance(dev, dict):
            dev = next(iter(dev.values()), None)
        history = metrics.get("dev_history") or (metrics.get("train") or {}).get("dev_history") or []
        first = history[0] if history else (None, None)
        rows.append({"profile": profile, "run_id": folder.name, "model": config.get("model"),
                     "seed": config.get("seed"), "tasks": tuple(inter.get("tasks") or ()),
                     "setting": setting_label(inter.get("tasks") or ()), "max_length": inter.get("max_length"),
                     "examples": phase2_examples(inter), "english_dev": dev, "first_step": first[0],
                     "first_dev": first[1], "wall_s": (metrics.get("train") or {}).get("wall_s")})
    return pd.DataFrame(rows, columns=PHASE2_COLUMNS)


# ----------------------------------------------------------------------------------- selections

@dataclass(frozen=True)
class Setting:
    """An intermediate setting by config: its tasks, phase-2 window and examples (None: any)."""

    name: str
    tasks: tuple[str, ...]
    max_length: int | None = None
    examples: int | None = None

    def rows(self, frame: pd.DataFrame, targets: Sequence[str] | None = None, model: str | None = None) -> pd.DataFrame:
        """This setting's zero-shot rows (`select`) on `targets` with `model`."""
        return select(frame, self.tasks, targets, model, self.max_length, inter_examples=self.examples)


NO_PHASE2 = Setting("baseline", ())


def has_tasks(frame: pd.DataFrame, tasks: Sequence[str]) -> pd.Series:
    """Boolean mask: rows whose intermediate tasks are exactly `tasks`, in order."""
    wanted = tuple(tasks)
    return frame["tasks"].map(lambda t: tuple(t) == wanted).astype(bool)


def select(frame: pd.DataFrame, tasks: Sequence[str] | None = None, targets: Sequence[str] | None = None,
           model: str | None = None, inter_max_length: int | None = None, zero_shot: bool = True,
           languages: Sequence[str] | None = None, inter_examples: int | None = None) -> pd.DataFrame:
    """Rows of one cell's config: intermediate tasks (in order), targets, model, phase-2 window and size, languages."""
    keep = pd.Series(True, index=frame.index)
    if tasks is not None:
        keep &= has_tasks(frame, tasks)
    if targets is not None:
        keep &= frame["target"].isin(list(targets))
    if model is not None:
        keep &= frame["model"] == model
    if inter_max_length is not None:
        keep &= frame["inter_max_length"] == inter_max_length
    if inter_examples is not None:
        keep &= frame["inter_examples"] == inter_examples
    if zero_shot:
        keep &= frame["language"] != TRAINING_LANGUAGE
    if languages is not None:
        keep &= frame["language"].isin(list(languages))
    return frame[keep]


def common_languages(*parts: pd.DataFrame) -> dict[str, list[str]]:
    """Per target, the languages that every run of every part evaluated (sorted)."""
    runs = pd.concat([p for p in parts if not p.empty]) if any(not p.empty for p in parts) else None
    if runs is None:
        return {}
    out = {}
    for target, rows in runs.groupby("target"):
        per_run = [set(r["language"]) for _, r in rows.groupby("run_path")]
        out[str(target)] = sorted(set.intersection(*per_run)) if per_run else []
    return out


def on_common_languages(parts: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each part restricted to the (target, language) pairs that every run of every part evaluated."""
    common = common_languages(*parts.values())
    keep = {(t, lang) for t, langs in common.items() for lang in langs}
    return {name: part[pd.Series([(t, lang) in keep for t, lang in zip(part["target"], part["language"])],
                                 index=part.index, dtype=bool)] for name, part in parts.items()}


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


def fmt_effect(per_lang: pd.DataFrame, lang: str) -> str:
    if lang not in per_lang.index:
        return "-"
    row = per_lang.loc[lang]
    return Effect(row["effect"], row["lo"], row["hi"], {i: 0.0 for i in range(int(row["seeds"]))}).text()


def wide_table(rows: Mapping[str, pd.DataFrame], order: list[str], names: Sequence[str]) -> pd.DataFrame:
    """Language x setting means over seeds (percent), languages in `order`, the `zero_shot_avg` row last."""
    columns = {name: rows[name].groupby("language")["value"].mean() for name in names if not rows[name].empty}
    if not columns:
        return pd.DataFrame()
    table = pd.DataFrame(columns).reindex(order)
    table.loc[SCORE_AVG] = table.mean()  # = the mean over seeds of each setting's zero_shot_avg (same languages)
    table.index.name = "language"
    return table.round(1)
