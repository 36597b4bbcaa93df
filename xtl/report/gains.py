"""The claims' view of a results table: scores per (setting, target, seed) and contrasts with 95 % intervals.

Scores. A target's score in a run is `xtl.report.score`'s `XTREME_SCORE` by default (XTREME languages,
QA as (EM + F1) / 2; `FIRST_RULE_SCORE` gives the first rule's `all_langs_avg` with QA as F1), over the
languages every run of the target evaluated. A gain is a setting's score minus the baseline encoder's (no
intermediate training) on the same target, seed and items. An average gain is the mean of the gains over
a stated set of targets. Targets in `excluded` (a baseline that does not learn, `xtl.report.exclusion`)
stay in the tables and leave the averages that decide a claim.

Intervals (95 %). With three or more shared seeds: a t-interval over seeds of the per-seed contrast.
With fewer (`one_seed="pooled"`, the default): a t-interval whose seed-to-seed variance is pooled from
the intermediate settings that ran three or more seeds (`xtl.report.spread`), with their degrees of
freedom. Where no setting ran three seeds (or with `one_seed="bootstrap"`, the first rule): a paired
bootstrap over evaluated items, labelled as covering test items only, never training randomness.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from xtl import tasks
from xtl.errors import XtlError
from xtl.report.canonical import BASELINE, canonical
from xtl.report.items import ItemScores, item_scores, per_item, prediction_file, read_predictions
from xtl.report.score import XTREME_SCORE, Score
from xtl.report.spread import MIN_SEEDS_FOR_T, reference_spread, three_seed_settings
from xtl.report.stats import Estimate, Term, percentile_interval, pooled_half_width, t_half_width
from xtl.scoring import XTREME_AVG, averaged_languages

SCORE_AVG = XTREME_AVG   # the named language set (xtl.scoring) of the score that decides claims
POOLED, BOOTSTRAP = "pooled", "bootstrap"
ITEMS_ONLY = "evaluation-sample interval (test items only)"


class Results:
    """The claims' view of a results table: scores per (setting, task, seed), contrasts with intervals.

    `model` keeps one encoder (default: the only one, else the baseline's most common one).
    `n_boot` resamples with generator seed `boot_seed` make the bootstrap deterministic. `score` says
    what a run's score is, `one_seed` how contrasts with fewer than three seeds get their interval,
    `excluded` which targets leave the deciding averages, and why.
    """

    def __init__(self, results: pd.DataFrame, model: str | None = None, n_boot: int = 2000,
                 boot_seed: int = 0, canonicalised: bool = False, score: Score = XTREME_SCORE,
                 one_seed: str = POOLED, excluded: dict[str, str] | None = None):
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
        self.score_def, self.one_seed, self.excluded = score, one_seed, dict(excluded or {})
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

    def scored_languages(self, task: str) -> list[str]:
        """The common languages the score averages (its named language set, `xtl.scoring`)."""
        return averaged_languages(self.score_def.average, task, self.languages[task])

    def deciding(self, targets: Iterable[str]) -> list[str]:
        """The targets of `targets` that may decide a claim (not in `excluded`)."""
        return [t for t in targets if t not in self.excluded]

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
        """The run's score (`score_def`) over the target's common languages, in percent."""
        rows = self._run_rows(setting, task, seed)
        if not len(rows):
            raise XtlError(f"no run for setting {setting}, target {task}, seed {seed}")
        return self.score_def.of(task, dict(zip(rows["language"], rows[self.score_def.column])))

    def english_dev(self, setting: str, task: str) -> float | None:
        rows = self.frame[(self.frame["setting"] == setting) & (self.frame["task"] == task)]
        values = [v for v in rows.drop_duplicates("run_id")["english_dev"] if v is not None and not pd.isna(v)]
        return float(np.mean(values)) if values else None

    def has_predictions(self, setting: str, task: str) -> bool:
        """Every run of (setting, task) saved per-item predictions for every language we average."""
        if not per_item(task):
            return False
        for seed in self.seeds(setting, task):
            run_path = self._run_rows(setting, task, seed)["run_path"].iloc[0]
            if not all(prediction_file(run_path, lang) for lang in self.scored_languages(task)):
                return False
        return True

    def can_bound(self, settings: Iterable[str], task: str) -> bool:
        """An interval is possible for contrasts of these settings on `task`: >= 3 shared seeds, a three-seed
        setting to pool the seed variance from (`one_seed="pooled"`), or per-item predictions."""
        settings = list(settings)
        shared = set.intersection(*(set(self.seeds(s, task)) for s in settings)) if settings else set()
        if len(shared) >= MIN_SEEDS_FOR_T or (self.one_seed == POOLED and three_seed_settings(self, [task])):
            return True
        return all(self.has_predictions(s, task) for s in settings)

    def split_boundable(self, settings: Iterable[str], targets: Iterable[str]) -> tuple[list[str], dict[str, str]]:
        """(targets an interval can be computed on, {left-out target: why})."""
        settings = list(settings)
        kept, left_out = [], {}
        why = ("fewer than 3 seeds, no three-seed setting to pool from and no per-item predictions, so no interval"
               if self.one_seed == POOLED else "fewer than 3 seeds and no per-item predictions saved, so no interval")
        for task in targets:
            if self.can_bound(settings, task):
                kept.append(task)
            else:
                left_out[task] = why
        return kept, left_out

    def _items_for(self, run_path: str, task: str, lang: str) -> ItemScores | None:
        key = (run_path, lang)
        if key not in self._items:
            lines = read_predictions(run_path, lang) if run_path else None
            self._items[key] = item_scores(task, lang, lines, qa=self.score_def.qa) if lines else None
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
        for lang in self.scored_languages(task):
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
                    worst = max(worst, abs(float(items.score()) - row[self.score_def.column]))
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
            half = t_half_width(per_seed)
            return Estimate(value, value - half, value + half, f"t-interval over {n} seeds", n)
        spread = reference_spread(self, terms) if self.one_seed == POOLED else None
        if spread is not None:
            half = pooled_half_width(spread.variance, spread.df, n)
            return Estimate(value, value - half, value + half,
                            f"t-interval, {n} seed{'s' if n > 1 else ''}, seed variance pooled from "
                            f"{' and '.join(spread.settings)} ({spread.df} df)", n)
        return self._bootstrap(terms, seeds, value)

    def _bootstrap(self, terms: Sequence[Term], seeds: list[int], value: float) -> Estimate:
        """The paired bootstrap over test items: it covers which items were drawn, not training randomness."""
        n = len(seeds)
        label = "evaluation-sample interval" if self.one_seed == BOOTSTRAP else ITEMS_ONLY
        total = np.zeros(self.n_boot)
        for s in seeds:
            for t in terms:
                reps = self.replicates(t.setting, t.task, s)
                if reps is None:
                    return Estimate(value, None, None,
                                    f"no interval: {n} seed{'s' if n > 1 else ''} and no per-item predictions "
                                    f"for {t.setting} on {t.task}", n)
                total += t.coef * reps / n
        lo, hi = percentile_interval(total)
        return Estimate(value, lo, hi, f"{label}, {n} seed{'s' if n > 1 else ''}", n)

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
            "model": self.model, "average": self.score_def.name, "seeds": seeds, "n_seeds": len(seeds), "settings": settings,
            "targets": targets, "languages": {t: self.languages.get(t, []) for t in targets},
            "runs": sorted({p for st in settings for t in targets if self.has(st, t) for p in self.runs(st, t)}),
            "stand_ins": _stand_ins(sorted(involved)),
        }


def _stand_ins(task_names: Iterable[str]) -> dict[str, list[str]]:
    """The registry's stand-in notes of the named tasks that have any (unknown names are passed over)."""
    out = {}
    for name in task_names:
        try:
            notes = list(tasks.get(name).stand_ins)
        except XtlError:
            continue
        if notes:
            out[name] = notes
    return out
