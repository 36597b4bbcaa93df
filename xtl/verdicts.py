"""Gains over the baseline encoder, their 95 % intervals, and one verdict function per claim.

Pure functions over a results table (what `xtl.results.load` returns: one row per run and language)
and the runs' `predictions/<lang>.jsonl`; no model, no torch. The rules follow PAPER.md: a verdict
tests the claim's direction and ranking against our own baseline, never its magnitude.

Scores. A target's score in a run is its `all_langs_avg` (`xtl.scoring`, `SCORE_AVG`): the unweighted
mean over its evaluated languages, English included, of the task's headline metric (accuracy; F1 for
tagging, QA and BUCC; QA counts F1 only), in percent; the languages are those every run of the target
evaluated. A gain is a setting's score minus the baseline encoder's (no intermediate training) on the
same target, seed and items. An average gain is the mean of the gains over a stated set of targets.

Intervals (95 %). With three or more seeds: a t-interval over seeds of the per-seed contrast. With
fewer: a paired bootstrap over evaluated items (every resample re-scores the predictions of all
runs on the same resampled items), labelled "evaluation-sample interval, 1 seed": it covers the
choice of test items, not training randomness.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from xtl.errors import XtlError
from xtl.scoring import ALL_LANGS_AVG, language_average

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
NOT_TESTABLE = "not testable with the data at hand"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, NOT_TESTABLE)

BASELINE = "baseline"
TRANSLATED_NLI = "xnli-translated"   # the C6 translated-data setting (see xtl.experiment)
RETRIEVAL_TASKS = ("bucc2018", "tatoeba")
C1_TASKS = ("squad", "mnli", "hellaswag")
MIN_SEEDS_FOR_T = 3
SCORE_AVG = ALL_LANGS_AVG   # the named average (xtl.scoring) every claim's score is

# Two-sided 95 % Student-t quantiles t(0.975, df), df = 1..30 (standard tables).
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
         2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
         2.045, 2.042)


def t_quantile_975(df: int) -> float:
    """t(0.975, df) from the table; beyond 30 the Cornish-Fisher expansion (error < 0.001)."""
    if df < 1:
        raise XtlError(f"a t-interval needs at least 2 seeds (df >= 1), got df={df}; run more seeds")
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


class Verdict(NamedTuple):
    """What a claim function returns: verdict (one of VERDICTS), a one-paragraph reason, evidence."""

    verdict: str
    reason: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95 % interval (lo/hi None when no interval could be computed)."""

    value: float
    lo: float | None
    hi: float | None
    method: str
    n_seeds: int

    @property
    def excludes_zero_above(self) -> bool:
        """True when the whole interval lies above zero (a positive effect we can tell from noise)."""
        return self.lo is not None and self.lo > 0

    @property
    def has_interval(self) -> bool:
        return self.lo is not None and self.hi is not None

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "lo": self.lo, "hi": self.hi, "method": self.method, "n_seeds": self.n_seeds}

    def text(self, digits: int = 1) -> str:
        """'+2.3 [+0.8, +3.9]' (or '+2.3, no interval'): how pages quote an estimate."""
        if not self.has_interval:
            return f"{self.value:+.{digits}f} (no interval)"
        return f"{self.value:+.{digits}f} [{self.lo:+.{digits}f}, {self.hi:+.{digits}f}]"


# --------------------------------------------------------------------------- settings

def setting_name(intermediate_tasks: Sequence[str], mlm: bool = False) -> str:
    """The label of an intermediate setting: 'baseline', 'mnli', 'mnli+qqp', 'mnli+mlm', ..."""
    name = "+".join(intermediate_tasks) if intermediate_tasks else BASELINE
    if mlm:
        name = "mlm" if not intermediate_tasks else name + "+mlm"
    return name


def setting_kind(intermediate_tasks: Sequence[str], mlm: bool = False) -> str:
    """'baseline', 'single', 'multi' (English tasks only), 'mlm' (tasks + MLM) or 'translated'."""
    if TRANSLATED_NLI in intermediate_tasks:
        return "translated"
    if mlm:
        return "mlm"
    if not intermediate_tasks:
        return "baseline"
    return "single" if len(intermediate_tasks) == 1 else "multi"


def _as_task_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.lower() in ("", "none", "baseline", "-"):
        return []
    return [t for t in text.split("+") if t and t != "mlm"]


def _read_config(run_path: Any) -> dict[str, Any]:
    path = Path(str(run_path)) / "config.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _main_metric(task_name: str, available: Iterable[str]) -> str:
    """The headline metric of a target (what the claims compare): F1 for tagging/QA/BUCC, else accuracy."""
    available = set(available)
    try:
        from xtl import scoring, tasks

        wanted = scoring.main_metric(tasks.get(task_name))
    except XtlError:  # unknown task name (hand-made tests): pick what is there
        wanted = "f1" if "f1" in available else "accuracy"
    if wanted in available:
        return wanted
    if len(available) == 1:
        return next(iter(available))
    raise XtlError(f"results for {task_name} have no {wanted!r} rows (found {sorted(available)}); "
                   "re-run its notebook so metrics.json holds the headline metric")


def canonical(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (run, language) with the headline metric: setting, kind, task, seed, model, value, ...

    Accepts `xtl.results.load` frames; the intermediate setting is taken from the run's config.json
    (intermediate.tasks, intermediate.mlm_share) where the frame does not say it.
    """
    if results is None or len(results) == 0:
        return pd.DataFrame(columns=["experiment", "run_id", "run_path", "setting", "kind", "intermediate_tasks",
                                     "task", "seed", "model", "language", "metric", "value", "english_dev"])
    df = results.copy()
    task_col = next((c for c in ("task", "target", "target_task") if c in df.columns), None)
    if task_col is None:
        raise XtlError("results have no 'task' (target) column; load them with xtl.results.load(profile)")
    df = df.rename(columns={task_col: "task"})
    for column, default in (("experiment", ""), ("run_path", ""), ("model", ""), ("seed", 0)):
        if column not in df.columns:
            df[column] = default
    if "run_id" not in df.columns:
        df["run_id"] = df["run_path"].map(lambda p: Path(str(p)).name)

    rows = []
    for run_id, run in df.groupby("run_id", sort=False):
        first = run.iloc[0]
        config = _read_config(first["run_path"]) if first["run_path"] else {}
        inter = config.get("intermediate", {}) if isinstance(config.get("intermediate"), dict) else {}
        if "intermediate_tasks" in run.columns:
            inter_tasks = _as_task_list(first["intermediate_tasks"])
        elif inter:
            inter_tasks = [str(t) for t in inter.get("tasks", [])]
        else:
            inter_tasks = _as_task_list(first.get("intermediate"))
        if "mlm_share" in run.columns and not pd.isna(first["mlm_share"]):
            mlm = float(first["mlm_share"]) > 0
        elif inter:
            mlm = float(inter.get("mlm_share", 0) or 0) > 0
        else:
            mlm = str(first.get("intermediate", "")).endswith("mlm")
        run = run.copy()
        if "metric" in run.columns:
            metric = _main_metric(str(first["task"]), run["metric"].dropna().unique())
            run = run[run["metric"] == metric]
        else:
            run["metric"] = _main_metric(str(first["task"]), ["f1", "accuracy"])
        english_dev = first["english_dev"] if "english_dev" in run.columns else None
        if english_dev is None or pd.isna(english_dev):
            english_dev = _english_dev(first["run_path"])
        for _, row in run.iterrows():
            rows.append({
                "experiment": row["experiment"], "run_id": run_id, "run_path": str(row["run_path"]),
                "setting": setting_name(inter_tasks, mlm), "kind": setting_kind(inter_tasks, mlm),
                "intermediate_tasks": tuple(inter_tasks), "task": str(row["task"]), "seed": int(row["seed"]),
                "model": str(row["model"]), "language": str(row["language"]), "metric": row["metric"],
                "value": float(row["value"]), "english_dev": english_dev,
            })
    return pd.DataFrame(rows)


def _english_dev(run_path: Any) -> float | None:
    try:
        value = json.loads((Path(str(run_path)) / "metrics.json").read_text()).get("english_dev")
    except (OSError, ValueError):
        return None
    if isinstance(value, dict):  # {metric: value}
        value = next(iter(value.values()), None)
    return float(value) if isinstance(value, (int, float)) else None


# --------------------------------------------------------------------------- item-level re-scoring

@dataclass
class ItemScores:
    """Per-item pieces of a metric, so that a resample of items is re-scored in one vectorised step.

    `values` (n,): mean-decomposable scores in [0, 1] (accuracy, QA F1);
    `counts` (n, 3): per-sentence (correct chunks, predicted chunks, gold chunks) for seqeval F1.
    """

    values: np.ndarray | None = None
    counts: np.ndarray | None = None
    gold_key: int = 0   # a hash of the gold column: equal keys mean the same evaluated items

    @property
    def n(self) -> int:
        return len(self.values) if self.values is not None else len(self.counts)

    def score(self, idx: np.ndarray | None = None) -> np.ndarray | float:
        """The metric in percent on items `idx` (shape (B, n): one row per resample), or on all items."""
        if self.values is not None:
            data = self.values if idx is None else self.values[idx]
            return 100.0 * data.mean(axis=-1)
        data = self.counts if idx is None else self.counts[idx]
        correct, predicted, gold = (data[..., k].sum(axis=-1) for k in range(3))
        denominator = predicted + gold
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.where(denominator > 0, 2.0 * correct / np.maximum(denominator, 1), 0.0)
        return 100.0 * f1


def item_scores(task_name: str, lang: str, lines: list[dict[str, Any]]) -> ItemScores:
    """Per-item scores of one predictions file, scored as `xtl.scoring.score` scores the whole file."""
    from xtl import metrics

    try:
        from xtl import tasks

        task = tasks.get(task_name)
        fmt, metric = task.format, task.metric
    except XtlError:
        fmt, metric = _guess_format(lines), None
    gold_key = zlib.crc32(json.dumps([line["gold"] for line in lines], sort_keys=True, default=str).encode())
    if fmt == "extractive_qa":
        norm_lang = metrics.qa_normalisation_language(task_name, lang)
        values = []
        for line in lines:
            answers = line["gold"]["answers"] if isinstance(line["gold"], dict) else line["gold"]
            answers = answers["text"] if isinstance(answers, dict) else answers
            values.append(max(metrics.qa_f1(str(line["prediction"]), a, norm_lang) for a in answers))
        return ItemScores(values=np.asarray(values, dtype=float), gold_key=gold_key)
    if fmt == "token_tagging":
        from seqeval.metrics.sequence_labeling import get_entities

        legacy = metric == "pos"
        counts = []
        for line in lines:
            gold, pred = list(line["gold"]), list(line["prediction"])
            if legacy:
                gold = [metrics._legacy_seqeval_tag(t) for t in gold]
                pred = [metrics._legacy_seqeval_tag(t) for t in pred]
            gold_chunks, pred_chunks = set(_entities(get_entities, gold)), set(_entities(get_entities, pred))
            counts.append((len(gold_chunks & pred_chunks), len(pred_chunks), len(gold_chunks)))
        return ItemScores(counts=np.asarray(counts, dtype=float).reshape(-1, 3), gold_key=gold_key)
    values = [float(line["prediction"] == line["gold"]) for line in lines]
    return ItemScores(values=np.asarray(values, dtype=float), gold_key=gold_key)


def _entities(get_entities, tags: list[str]) -> list[tuple]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return get_entities(tags)


def _guess_format(lines: list[dict[str, Any]]) -> str:
    gold = lines[0]["gold"] if lines else None
    if isinstance(gold, dict):
        return "extractive_qa"
    if isinstance(gold, list):
        return "token_tagging"
    return "classification"


def read_predictions(run_path: str | Path, lang: str) -> list[dict[str, Any]] | None:
    path = Path(run_path) / "predictions" / f"{lang}.jsonl"
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# --------------------------------------------------------------------------- the analysis

@dataclass(frozen=True)
class Term:
    """coefficient × score(setting, task): contrasts are sums of terms."""

    coef: float
    setting: str
    task: str


class Results:
    """The claims' view of a results table: scores per (setting, task, seed), contrasts with intervals.

    `model` keeps one encoder (default: the only one, else the baseline's most common one).
    `n_boot` resamples with generator seed `boot_seed` make the bootstrap deterministic.
    """

    def __init__(self, results: pd.DataFrame, model: str | None = None, n_boot: int = 2000,
                 boot_seed: int = 0, canonicalised: bool = False):
        frame = results if canonicalised else canonical(results)
        if len(frame) and model is None:
            models = frame["model"].unique()
            if len(models) > 1:
                base = frame[frame["setting"] == BASELINE]["model"]
                model = (base if len(base) else frame["model"]).mode().iloc[0]
            else:
                model = models[0]
        if model is not None and len(frame):
            frame = frame[frame["model"] == model]
        self.model = model
        self.frame = frame.drop_duplicates(["run_id", "language"]).reset_index(drop=True)
        self.n_boot, self.boot_seed = n_boot, boot_seed
        self._items: dict[tuple[str, str], ItemScores | None] = {}
        self._check_unique()

    # ----- structure
    def _check_unique(self) -> None:
        if not len(self.frame):
            return
        keys = self.frame.groupby(["setting", "task", "seed"])["run_id"].nunique()
        clashes = keys[keys > 1]
        if len(clashes):
            (setting, task, seed) = clashes.index[0]
            runs = sorted(self.frame[(self.frame.setting == setting) & (self.frame.task == task)
                                     & (self.frame.seed == seed)]["run_id"].unique())
            raise XtlError(f"{len(runs)} different runs for setting {setting}, target {task}, seed {seed} "
                           f"({', '.join(runs)}); pass only one experiment's runs per setting to Results")

    @cached_property
    def languages(self) -> dict[str, list[str]]:
        """Per target, the languages every run of it evaluated (so all its scores average the same set)."""
        out = {}
        for task, group in self.frame.groupby("task"):
            per_run = group.groupby("run_id")["language"].apply(set)
            out[task] = sorted(set.intersection(*per_run))
        return out

    @property
    def tasks(self) -> list[str]:
        return sorted(self.frame["task"].unique()) if len(self.frame) else []

    def settings(self, kinds: Iterable[str] | None = None) -> list[str]:
        if not len(self.frame):
            return []
        frame = self.frame if kinds is None else self.frame[self.frame["kind"].isin(list(kinds))]
        return sorted(frame["setting"].unique())

    def kind(self, setting: str) -> str:
        return str(self.frame[self.frame["setting"] == setting]["kind"].iloc[0])

    def has(self, setting: str, task: str) -> bool:
        return bool(((self.frame["setting"] == setting) & (self.frame["task"] == task)).any()) if len(
            self.frame) else False

    def seeds(self, setting: str, task: str) -> list[int]:
        rows = self.frame[(self.frame["setting"] == setting) & (self.frame["task"] == task)]
        return sorted(int(s) for s in rows["seed"].unique())

    def targets_of(self, setting: str) -> list[str]:
        return sorted(self.frame[self.frame["setting"] == setting]["task"].unique()) if len(self.frame) else []

    def common_targets(self, settings: Iterable[str]) -> list[str]:
        """Targets on which every given setting has runs."""
        sets = [set(self.targets_of(s)) for s in settings]
        return sorted(set.intersection(*sets)) if sets else []

    def runs(self, setting: str, task: str) -> list[str]:
        rows = self.frame[(self.frame["setting"] == setting) & (self.frame["task"] == task)]
        return sorted(rows["run_path"].unique())

    # ----- scores
    def _run_rows(self, setting: str, task: str, seed: int) -> pd.DataFrame:
        f = self.frame
        rows = f[(f["setting"] == setting) & (f["task"] == task) & (f["seed"] == seed)]
        return rows[rows["language"].isin(self.languages[task])]

    def score(self, setting: str, task: str, seed: int) -> float:
        """The run's `all_langs_avg` over the target's common languages (headline metric, percent)."""
        rows = self._run_rows(setting, task, seed)
        if not len(rows):
            raise XtlError(f"no run for setting {setting}, target {task}, seed {seed}")
        return language_average(SCORE_AVG, task, dict(zip(rows["language"], rows["value"])))

    def english_dev(self, setting: str, task: str) -> float | None:
        rows = self.frame[(self.frame["setting"] == setting) & (self.frame["task"] == task)]
        values = [v for v in rows.drop_duplicates("run_id")["english_dev"] if v is not None and not pd.isna(v)]
        return float(np.mean(values)) if values else None

    def has_predictions(self, setting: str, task: str) -> bool:
        """Every run of (setting, task) saved per-item predictions for every language we average."""
        for seed in self.seeds(setting, task):
            run_path = self._run_rows(setting, task, seed)["run_path"].iloc[0]
            if not all((Path(run_path) / "predictions" / f"{lang}.jsonl").is_file() for lang in self.languages[task]):
                return False
        return True

    def can_bound(self, settings: Iterable[str], task: str) -> bool:
        """An interval is possible for contrasts of these settings on `task`: >= 3 shared seeds, or predictions."""
        settings = list(settings)
        shared = set.intersection(*(set(self.seeds(s, task)) for s in settings)) if settings else set()
        return len(shared) >= MIN_SEEDS_FOR_T or all(self.has_predictions(s, task) for s in settings)

    def split_boundable(self, settings: Iterable[str], targets: Iterable[str]) -> tuple[list[str], dict[str, str]]:
        """(targets an interval can be computed on, {left-out target: why})."""
        settings = list(settings)
        kept, left_out = [], {}
        for task in targets:
            if self.can_bound(settings, task):
                kept.append(task)
            else:
                left_out[task] = "fewer than 3 seeds and no per-item predictions saved, so no interval"
        return kept, left_out

    def _items_for(self, run_path: str, task: str, lang: str) -> ItemScores | None:
        key = (run_path, lang)
        if key not in self._items:
            lines = read_predictions(run_path, lang) if run_path else None
            self._items[key] = item_scores(task, lang, lines) if lines else None
        return self._items[key]

    def _indices(self, seed: int, task: str, lang: str, n: int, gold_key: int) -> np.ndarray:
        """The same resampled items for every run that evaluated these items: a paired bootstrap."""
        entropy = [self.boot_seed, seed, zlib.crc32(task.encode()), zlib.crc32(lang.encode()), n, gold_key]
        return np.random.default_rng(entropy).integers(0, n, size=(self.n_boot, n))

    def replicates(self, setting: str, task: str, seed: int) -> np.ndarray | None:
        """Bootstrap replicates (n_boot,) of `score(setting, task, seed)`; None without predictions."""
        rows = self._run_rows(setting, task, seed)
        if not len(rows):
            return None
        run_path = rows["run_path"].iloc[0]
        per_lang = []
        for lang in self.languages[task]:
            items = self._items_for(run_path, task, lang)
            if items is None or items.n == 0:
                return None
            per_lang.append(items.score(self._indices(seed, task, lang, items.n, items.gold_key)))
        return np.mean(per_lang, axis=0)

    def rescoring_gaps(self) -> dict[str, float]:
        """Per run, max |re-scored from predictions − reported| over languages (should be ~0)."""
        gaps = {}
        for run_id, rows in self.frame.groupby("run_id"):
            worst = 0.0
            for _, row in rows.iterrows():
                items = self._items_for(row["run_path"], row["task"], row["language"])
                if items is not None:
                    worst = max(worst, abs(float(items.score()) - row["value"]))
            gaps[run_id] = worst
        return gaps

    # ----- contrasts
    def contrast(self, terms: Sequence[Term]) -> Estimate:
        """Σ coef·score over terms, averaged over the seeds all terms share, with a 95 % interval."""
        seed_sets = [set(self.seeds(t.setting, t.task)) for t in terms]
        missing = [t for t, s in zip(terms, seed_sets) if not s]
        if missing:
            raise XtlError(f"no run for setting {missing[0].setting}, target {missing[0].task}")
        seeds = sorted(set.intersection(*seed_sets))
        if not seeds:
            raise XtlError("the runs of this comparison share no seed; run the baseline with the same seeds")
        per_seed = np.array([sum(t.coef * self.score(t.setting, t.task, s) for t in terms) for s in seeds])
        value = float(per_seed.mean())
        n = len(seeds)
        if n >= MIN_SEEDS_FOR_T:
            half = t_quantile_975(n - 1) * float(per_seed.std(ddof=1)) / math.sqrt(n)
            return Estimate(value, value - half, value + half, f"t-interval over {n} seeds", n)
        total = np.zeros(self.n_boot)
        for s in seeds:
            for t in terms:
                reps = self.replicates(t.setting, t.task, s)
                if reps is None:
                    return Estimate(value, None, None,
                                    f"no interval: {n} seed{'s' if n > 1 else ''} and no per-item predictions "
                                    f"for {t.setting} on {t.task}", n)
                total += t.coef * reps / n
        lo, hi = np.percentile(total, [2.5, 97.5])
        return Estimate(value, float(lo), float(hi),
                        f"evaluation-sample interval, {n} seed{'s' if n > 1 else ''}", n)

    def gain(self, setting: str, task: str) -> Estimate:
        return self.contrast([Term(1.0, setting, task), Term(-1.0, BASELINE, task)])

    def average_gain(self, setting: str, targets: Sequence[str]) -> Estimate:
        k = len(targets)
        if not k:
            raise XtlError(f"no targets to average the gain of {setting} over")
        terms = [Term(1.0 / k, setting, t) for t in targets] + [Term(-1.0 / k, BASELINE, t) for t in targets]
        return self.contrast(terms)

    def difference(self, setting_a: str, setting_b: str, targets: Sequence[str]) -> Estimate:
        """Average over targets of score(a) − score(b): e.g. plain English minus MLM-mixed."""
        k = len(targets)
        terms = [Term(1.0 / k, setting_a, t) for t in targets] + [Term(-1.0 / k, setting_b, t) for t in targets]
        return self.contrast(terms)

    # ----- tables
    def gain_table(self, kinds: Iterable[str] = ("single", "multi", "mlm", "translated")) -> pd.DataFrame:
        """One row per (setting, target) with a baseline: score, baseline, gain and its interval."""
        rows = []
        for setting in self.settings(kinds):
            for task in self.targets_of(setting):
                if not self.has(BASELINE, task):
                    continue
                est = self.gain(setting, task)
                seeds = sorted(set(self.seeds(setting, task)) & set(self.seeds(BASELINE, task)))
                rows.append({
                    "setting": setting, "kind": self.kind(setting), "task": task,
                    "score": float(np.mean([self.score(setting, task, s) for s in seeds])),
                    "baseline": float(np.mean([self.score(BASELINE, task, s) for s in seeds])),
                    "gain": est.value, "lo": est.lo, "hi": est.hi, "interval": est.method, "n_seeds": est.n_seeds,
                })
        return pd.DataFrame(rows, columns=["setting", "kind", "task", "score", "baseline", "gain", "lo", "hi",
                                           "interval", "n_seeds"])

    def average_gain_table(self, settings: Sequence[str], targets: Sequence[str]) -> pd.DataFrame:
        """Average gain over `targets` per setting, best first."""
        rows = []
        for setting in settings:
            est = self.average_gain(setting, targets)
            rows.append({"setting": setting, "kind": self.kind(setting), **est.as_dict()})
        table = pd.DataFrame(rows, columns=["setting", "kind", "value", "lo", "hi", "method", "n_seeds"])
        return table.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)

    def evidence(self, settings: Iterable[str], targets: Iterable[str]) -> dict[str, Any]:
        """What a verdict rests on: seeds, model, targets, runs and the stand-ins of the tasks involved."""
        settings, targets = list(settings), list(targets)
        seeds = sorted({s for st in settings for t in targets if self.has(st, t) for s in self.seeds(st, t)})
        involved = set(targets) | {t for st in settings for t in st.split("+")}
        return {
            "model": self.model, "average": SCORE_AVG, "seeds": seeds, "n_seeds": len(seeds), "settings": settings,
            "targets": targets, "languages": {t: self.languages.get(t, []) for t in targets},
            "runs": sorted({p for st in settings for t in targets if self.has(st, t) for p in self.runs(st, t)}),
            "stand_ins": _stand_ins(sorted(involved)),
        }


def _stand_ins(task_names: Iterable[str]) -> dict[str, list[str]]:
    try:
        from xtl import tasks
    except ImportError:  # pragma: no cover
        return {}
    out = {}
    for name in task_names:
        try:
            notes = list(tasks.get(name).stand_ins)
        except XtlError:
            continue
        if notes:
            out[name] = notes
    return out


def _not_testable(reason: str, evidence: dict[str, Any] | None = None) -> Verdict:
    return Verdict(NOT_TESTABLE, reason, evidence or {})


def _fmt(est: Estimate) -> str:
    return est.text(1)


# --------------------------------------------------------------------------- claims

def english_settings(res: Results) -> list[str]:
    """Single- and multi-task settings on English data only (no MLM, no translated data)."""
    return res.settings(("single", "multi"))


def _with_baseline(res: Results, settings: Sequence[str]) -> list[str]:
    """Targets where the baseline and every given setting have runs."""
    return res.common_targets([BASELINE, *settings])


def _boundable(res: Results, settings: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Targets shared by the baseline and the settings on which intervals can be computed, and the rest."""
    return res.split_boundable([BASELINE, *settings], _with_baseline(res, settings))


def verdict_c1(res: Results) -> Verdict:
    """C1: SQuAD, MNLI and HellaSwag are the best intermediate tasks.

    Rule: over the targets every single-task setting and the baseline share, (a) each of the three
    has an average gain whose 95 % interval lies above zero, and (b) the three are the top three of
    the single-task settings by average gain. (a) failing is enough to say "not reproduced"; (b)
    needs at least one other single-task setting, else the claim is not testable.
    """
    singles = res.settings(("single",))
    missing = [t for t in C1_TASKS if t not in singles]
    if missing:
        return _not_testable(f"no single-task run for {', '.join(missing)}; C1 needs squad, mnli and hellaswag "
                             "each as the only intermediate task")
    targets, left_out = _boundable(res, singles)
    if not targets:
        return _not_testable("no target task has runs for the baseline and every single-task setting"
                             + (f" with per-item predictions or 3 seeds (left out: {', '.join(left_out)})"
                                if left_out else ""))
    table = res.average_gain_table(singles, targets)
    ranking = list(table["setting"])
    top3 = ranking[:3]
    est = {s: Estimate(**{k: row[k] for k in ("value", "lo", "hi", "method", "n_seeds")})
           for s, row in table.set_index("setting").iterrows()}
    evidence = res.evidence(singles, targets)
    evidence.update(ranking=ranking, gains={s: e.as_dict() for s, e in est.items()},
                    interval=est[C1_TASKS[0]].method, left_out=left_out)
    no_interval = [t for t in C1_TASKS if not est[t].has_interval]
    if no_interval:
        return _not_testable(f"no interval for {', '.join(no_interval)} (one seed and no per-item predictions)",
                             evidence)
    not_positive = [t for t in C1_TASKS if not est[t].excludes_zero_above]
    gains = "; ".join(f"{t} {_fmt(est[t])}" for t in C1_TASKS)
    where = f"over {len(targets)} target{'s' if len(targets) > 1 else ''} ({', '.join(targets)})"
    ranks = ", ".join(f"{t} #{ranking.index(t) + 1}" for t in C1_TASKS)
    problems = []
    if not_positive:
        problems.append(f"interval not above zero for {', '.join(not_positive)}")
    if len(singles) >= 4 and not set(C1_TASKS) <= set(top3):
        problems.append(f"ranks {ranks} of {len(singles)} single-task settings (our top three: {', '.join(top3)})")
    if problems:
        return Verdict(NOT_REPRODUCED, f"{'; '.join(problems)}. Average gains {where}: {gains}.", evidence)
    if len(singles) < 4:
        return _not_testable(f"the three gain with intervals above zero ({gains}) {where}, but they are the only "
                             "single-task settings in these results, so whether they are the best cannot be "
                             "tested", evidence)
    return Verdict(REPRODUCED, f"all three gain with intervals above zero ({gains}) and are our top three of "
                               f"{len(singles)} single-task settings {where}.", evidence)


def verdict_c2(res: Results) -> Verdict:
    """C2: multi-task intermediate training on all tasks is best.

    Rule: over the targets shared with the baseline, the multi-task setting (every English
    intermediate task we have) has the highest average gain of all English settings, and its
    interval lies above zero.
    """
    multis = res.settings(("multi",))
    if not multis:
        return _not_testable("no multi-task intermediate run in these results")
    multi = max(multis, key=lambda s: len(s.split("+")))
    singles = res.settings(("single",))
    if not singles:
        return _not_testable("no single-task run to compare the multi-task setting with")
    settings = [*singles, *[m for m in multis]]
    targets, left_out = _boundable(res, settings)
    if not targets:
        return _not_testable("no target task has runs for the baseline, the multi-task and every single-task setting"
                             + (f" with per-item predictions or 3 seeds (left out: {', '.join(left_out)})"
                                if left_out else ""))
    table = res.average_gain_table(settings, targets)
    row = table.set_index("setting").loc[multi]
    est = Estimate(row["value"], row["lo"], row["hi"], row["method"], int(row["n_seeds"]))
    rank = list(table["setting"]).index(multi) + 1
    evidence = res.evidence(settings, targets)
    evidence.update(multi_task=multi, multi_tasks=multi.split("+"), ranking=list(table["setting"]),
                    gains={r["setting"]: {k: r[k] for k in ("value", "lo", "hi", "method")}
                           for _, r in table.iterrows()}, interval=est.method, left_out=left_out)
    if not est.has_interval:
        return _not_testable(f"no interval for the multi-task gain ({est.method})", evidence)
    best = table.iloc[0]
    where = f"over {len(targets)} target{'s' if len(targets) > 1 else ''} ({', '.join(targets)})"
    if rank == 1 and est.excludes_zero_above:
        return Verdict(REPRODUCED, f"multi-task ({len(multi.split('+'))} tasks) has the largest average gain, "
                                   f"{_fmt(est)}, of {len(settings)} settings {where}.", evidence)
    parts = []
    if rank != 1:
        parts.append(f"multi-task ranks #{rank} of {len(settings)} ({_fmt(est)}); best is {best['setting']} "
                     f"({best['value']:+.1f})")
    if not est.excludes_zero_above:
        parts.append(f"its gain interval {_fmt(est)} does not lie above zero")
    return Verdict(NOT_REPRODUCED, "; ".join(parts) + f" {where}.", evidence)


def target_gains(res: Results, settings: Sequence[str], targets: Sequence[str]) -> pd.DataFrame:
    """Mean gain per target over the given settings (each with its interval), largest first."""
    rows = []
    for task in targets:
        terms = [Term(1.0 / len(settings), s, task) for s in settings] + [Term(-1.0, BASELINE, task)]
        est = res.contrast(terms)
        rows.append({"task": task, **est.as_dict()})
    table = pd.DataFrame(rows, columns=["task", "value", "lo", "hi", "method", "n_seeds"])
    return table.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)


def verdict_c3(res: Results) -> Verdict:
    """C3: the largest gains are on the retrieval targets (BUCC, Tatoeba).

    Rule: averaged over the English settings that were run on every target we compare, each
    retrieval target we have gains more than every trained target, and its mean gain is positive
    (a ranking claim: point estimates; intervals are shown where per-item predictions exist).
    """
    settings = english_settings(res)
    if not settings:
        return _not_testable("no intermediate-task run in these results")
    retrieval = [t for t in RETRIEVAL_TASKS if res.has(BASELINE, t)]
    if not retrieval:
        return _not_testable("no retrieval (BUCC or Tatoeba) run of the baseline encoder")
    with_all = [s for s in settings if all(res.has(s, t) for t in retrieval)]
    if not with_all:
        return _not_testable("no intermediate setting was evaluated on the retrieval targets")
    trained = [t for t in _with_baseline(res, with_all) if t not in RETRIEVAL_TASKS]
    if not trained:
        return _not_testable("no trained target shares these settings, so there is nothing to rank retrieval against")
    targets = [*retrieval, *trained]
    table = target_gains(res, with_all, targets)
    order = list(table["task"])
    gains = table.set_index("task")["value"]
    evidence = res.evidence(with_all, targets)
    evidence.update(ranking=order, target_gains={r["task"]: {k: r[k] for k in ("value", "lo", "hi", "method")}
                                                 for _, r in table.iterrows()})
    top = set(order[:len(retrieval)])
    summary = "; ".join(f"{t} {gains[t]:+.1f}" for t in order)
    if top == set(retrieval) and all(gains[t] > 0 for t in retrieval):
        return Verdict(REPRODUCED, f"retrieval targets gain most, mean over {len(with_all)} settings: {summary}.",
                       evidence)
    why = [] if top == set(retrieval) else [f"the largest mean gain is on {order[0]}, not on retrieval"]
    if not all(gains[t] > 0 for t in retrieval):
        why.append(f"retrieval gains are not all positive ({', '.join(f'{t} {gains[t]:+.1f}' for t in retrieval)})")
    return Verdict(NOT_REPRODUCED, f"{'; '.join(why)}. Mean gain over {len(with_all)} settings: {summary}.",
                   evidence)


def verdict_c4(res: Results) -> Verdict:
    """C4: TyDiQA-GoldP improves with many intermediate tasks, XNLI does not benefit.

    Rule: of the English settings run on both, more than half have a TyDiQA gain whose interval
    lies above zero, and at most half have such a gain on XNLI.
    """
    lacking = [t for t in ("tydiqa", "xnli") if not res.has(BASELINE, t)]
    if lacking:
        return _not_testable(f"no baseline run on {' or '.join(lacking)} in these results (this profile did not "
                             "run it)")
    settings = [s for s in english_settings(res) if res.has(s, "tydiqa") and res.has(s, "xnli")]
    if not settings:
        return _not_testable("no intermediate setting was run on both TyDiQA and XNLI")
    gains = {t: {s: res.gain(s, t) for s in settings} for t in ("tydiqa", "xnli")}
    missing_interval = [f"{s} on {t}" for t in gains for s, e in gains[t].items() if not e.has_interval]
    evidence = res.evidence(settings, ["tydiqa", "xnli"])
    evidence.update(gains={t: {s: e.as_dict() for s, e in g.items()} for t, g in gains.items()})
    if missing_interval:
        return _not_testable(f"no interval for {', '.join(missing_interval)}", evidence)
    helped = {t: [s for s, e in g.items() if e.excludes_zero_above] for t, g in gains.items()}
    n = len(settings)
    counts = f"TyDiQA gains in {len(helped['tydiqa'])} of {n} settings, XNLI in {len(helped['xnli'])} of {n}"
    evidence.update(helped=helped, interval=next(iter(gains["tydiqa"].values())).method)
    if len(helped["tydiqa"]) > n / 2 and len(helped["xnli"]) <= n / 2:
        return Verdict(REPRODUCED, f"{counts} (interval above zero).", evidence)
    return Verdict(NOT_REPRODUCED, f"{counts} (interval above zero); the rule needs more than half for "
                                   "TyDiQA and at most half for XNLI.", evidence)


def best_per_target(res: Results, settings: Sequence[str], targets: Sequence[str]) -> tuple[dict[str, str], str]:
    """Per target, the setting with the best English dev score (else the best `all_langs_avg`)."""
    chosen, rule = {}, "English validation score of the target task"
    for task in targets:
        candidates = [s for s in settings if res.has(s, task)]
        devs = {s: res.english_dev(s, task) for s in candidates}
        if all(v is not None for v in devs.values()):
            chosen[task] = max(candidates, key=lambda s: (devs[s], s))
        else:
            rule = f"{SCORE_AVG} (no English dev score recorded: optimistic)"
            chosen[task] = max(candidates, key=lambda s: (np.mean([res.score(s, task, x) for x in res.seeds(s, task)]), s))
    return chosen, rule


def verdict_c5(res: Results) -> Verdict:
    """C5: the best intermediate model per target beats the baseline encoder on the benchmark average.

    Rule: per target, pick the English intermediate setting with the best English validation score
    (never the evaluated languages); the average over targets of (picked − baseline) has an interval
    above zero.
    """
    settings = english_settings(res)
    if not settings:
        return _not_testable("no intermediate-task run in these results")
    targets, left_out = [], {}
    for task in res.tasks:
        candidates = [s for s in settings if res.has(s, task)]
        if not res.has(BASELINE, task) or not candidates:
            continue
        if any(res.english_dev(s, task) is None for s in candidates):
            left_out[task] = "no English validation score to pick a model by (not trained, e.g. retrieval)"
        elif not res.can_bound([BASELINE, *candidates], task):
            left_out[task] = "fewer than 3 seeds and no per-item predictions saved, so no interval"
        else:
            targets.append(task)
    if not targets:
        return _not_testable("no target has a baseline and intermediate runs with English validation scores"
                             + (f" (left out: {', '.join(left_out)})" if left_out else ""), {"left_out": left_out})
    chosen, rule = best_per_target(res, settings, targets)
    k = len(targets)
    terms = [Term(1.0 / k, chosen[t], t) for t in targets] + [Term(-1.0 / k, BASELINE, t) for t in targets]
    est = res.contrast(terms)
    evidence = res.evidence(sorted(set(chosen.values())), targets)
    evidence.update(chosen=chosen, selection=rule, gain=est.as_dict(), interval=est.method, left_out=left_out,
                    per_target={t: res.gain(chosen[t], t).as_dict() for t in targets})
    if not est.has_interval:
        return _not_testable(f"no interval for the best-per-target gain ({est.method})", evidence)
    picks = ", ".join(f"{t}: {chosen[t]}" for t in targets)
    text = f"best-per-target gain over {k} target{'s' if k > 1 else ''} {_fmt(est)} (picked by {rule}: {picks})"
    if est.excludes_zero_above:
        return Verdict(REPRODUCED, text + ".", evidence)
    return Verdict(NOT_REPRODUCED, text + "; the interval does not lie above zero.", evidence)


def mlm_pairs(res: Results) -> list[tuple[str, str]]:
    """(plain English setting, the same tasks with MLM mixed in) pairs present in the results."""
    pairs = []
    for mixed in res.settings(("mlm",)):
        plain = mixed[: -len("+mlm")] if mixed.endswith("+mlm") else None
        if plain and plain in res.settings(("single", "multi")):
            pairs.append((plain, mixed))
    return pairs


def translated_pair(res: Results) -> tuple[str, str] | None:
    """(English NLI setting, translated NLI setting) if both were run."""
    translated = [s for s in res.settings(("translated",)) if s == TRANSLATED_NLI]
    if translated and "mnli" in res.settings(("single",)):
        return ("mnli", translated[0])
    return None


def verdict_c6(res: Results) -> Verdict:
    """C6: plain English intermediate training beats (i) mixing in MLM and (ii) translated data.

    Rule: (i) averaged over the plain/MLM-mixed pairs and the targets both were run on, plain minus
    mixed has an interval above zero; (ii) English MNLI minus translated NLI over their shared
    targets has an interval above zero. Both must hold.
    """
    evidence: dict[str, Any] = {"model": res.model}
    comparisons: dict[str, Estimate] = {}
    notes = []
    pairs = [(p, m) for p, m in mlm_pairs(res) if res.common_targets([p, m])]
    if pairs:
        terms = []
        for plain, mixed in pairs:
            shared = res.common_targets([plain, mixed])
            w = 1.0 / (len(pairs) * len(shared))
            terms += [Term(w, plain, t) for t in shared] + [Term(-w, mixed, t) for t in shared]
        comparisons["mlm"] = res.contrast(terms)
        evidence["mlm_pairs"] = [{"plain": p, "mixed": m, "targets": res.common_targets([p, m])} for p, m in pairs]
    else:
        notes.append("no plain/MLM-mixed pair of runs")
    pair = translated_pair(res)
    if pair and res.common_targets(pair):
        shared = res.common_targets(pair)
        comparisons["translated"] = res.difference(pair[0], pair[1], shared)
        evidence["translated_pair"] = {"plain": pair[0], "translated": pair[1], "targets": shared}
    else:
        notes.append("no English-MNLI/translated-NLI pair of runs")
    involved = sorted({s for p in pairs for s in p} | set(pair or ()))
    targets = sorted({t for p in pairs for t in res.common_targets(p)} | set(res.common_targets(pair) if pair else []))
    evidence.update({k: v for k, v in res.evidence(involved, targets).items() if k != "model"})
    evidence["differences"] = {k: e.as_dict() for k, e in comparisons.items()}
    if notes:
        done = "; ".join(f"plain − {k} {_fmt(e)}" for k, e in comparisons.items())
        return _not_testable("; ".join(notes) + (f" (measured: {done})" if done else ""), evidence)
    no_interval = [k for k, e in comparisons.items() if not e.has_interval]
    if no_interval:
        return _not_testable(f"no interval for {', '.join(no_interval)}", evidence)
    text = (f"plain − MLM-mixed {_fmt(comparisons['mlm'])}, plain − translated {_fmt(comparisons['translated'])} "
            f"({comparisons['mlm'].method})")
    evidence["interval"] = comparisons["mlm"].method
    if all(e.excludes_zero_above for e in comparisons.values()):
        return Verdict(REPRODUCED, text + ": plain English is better in both comparisons.", evidence)
    losers = [k for k, e in comparisons.items() if not e.excludes_zero_above]
    return Verdict(NOT_REPRODUCED, text + f": the {' and '.join(losers)} comparison does not lie above zero.",
                   evidence)


CLAIMS = {"c1": verdict_c1, "c2": verdict_c2, "c3": verdict_c3, "c4": verdict_c4, "c5": verdict_c5,
          "c6": verdict_c6}


def all_verdicts(res: Results) -> dict[str, Verdict]:
    """Every claim's verdict; a claim whose computation fails on these data is 'not testable' with the error."""
    out = {}
    for claim, func in CLAIMS.items():
        try:
            out[claim] = func(res)
        except XtlError as error:
            out[claim] = _not_testable(str(error))
    return out
