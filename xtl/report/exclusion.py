"""Targets that do not learn: a baseline at the majority or chance rate cannot show what intermediate training adds.

The rule (book/method.md, fixed before the verdicts): a classification or multiple-choice target is
left out of the averages that decide a claim when its baseline runs (no intermediate training), averaged
over their seeds,

1. put at least `ONE_CLASS_SHARE` % of their test items in a single predicted class, or
2. score on English dev less than `DEV_MARGIN` points above the floor, the larger of chance (100 / the
   number of classes or choices) and the majority rate (the share of the commonest gold label among the
   test items the runs saved: the dev labels are not saved, the test labels stand in for their balance).

Tagging, QA and retrieval targets have no chance rate near their scores: the rule does not apply to
them. The target stays in every table and figure; only the deciding averages leave it out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from xtl import tasks
from xtl.errors import XtlError
from xtl.report.canonical import BASELINE
from xtl.report.items import read_predictions

ONE_CLASS_SHARE = 95.0   # percent of test items predicted as one class
DEV_MARGIN = 10.0        # points above the floor on English dev
CHOICE_FORMATS = ("sentence_classification", "pair_classification", "multiple_choice")


@dataclass(frozen=True)
class TargetCheck:
    """What the rule measured on one target's baseline runs, whether it leaves the target out, and why."""

    task: str
    seeds: int
    one_class_share: float | None   # percent, mean over seeds
    english_dev: float | None       # percent, mean over seeds
    chance: float | None
    majority: float | None
    excluded: bool
    reason: str

    @property
    def floor(self) -> float | None:
        known = [v for v in (self.chance, self.majority) if v is not None]
        return max(known) if known else None


def _classes(task: str, golds: list, predictions: list) -> int:
    """How many classes (or choices) the target has: the registry's label names, else the values seen."""
    try:
        names = tasks.get(task).label_names
    except XtlError:
        names = ()
    return len(names) if names else len({*map(str, golds), *map(str, predictions)})


def _format(task: str) -> str | None:
    try:
        return tasks.get(task).format
    except XtlError:
        return None


def run_shares(run_path: str, languages: list[str]) -> tuple[float, list, list] | None:
    """(percent of the run's test items in its commonest predicted class, every gold, every prediction); None
    when the run saved no predictions for these languages."""
    golds, predictions = [], []
    for lang in languages:
        lines = read_predictions(run_path, lang) or []
        golds += [line["gold"] for line in lines]
        predictions += [line["prediction"] for line in lines]
    if not predictions:
        return None
    top = Counter(map(str, predictions)).most_common(1)[0][1]
    return 100.0 * top / len(predictions), golds, predictions


def check_target(task: str, baseline: pd.DataFrame) -> TargetCheck:
    """Apply the rule to one target's baseline rows (canonical frame rows: run_path, language, english_dev)."""
    runs = baseline.drop_duplicates("run_id")
    seeds = len(runs)
    fmt = _format(task)
    if fmt not in CHOICE_FORMATS:
        kind = (fmt or "unknown format").replace("_", " ")
        return TargetCheck(task, seeds, None, None, None, None, False,
                           f"{task}: kept; the rule does not apply ({kind}: no chance rate near its scores).")
    shares, golds, predictions = [], [], []
    for _, run in runs.iterrows():
        measured = run_shares(run["run_path"], sorted(baseline[baseline["run_id"] == run["run_id"]]["language"]))
        if measured is not None:
            shares.append(measured[0])
            golds += measured[1]
            predictions += measured[2]
    devs = [float(v) for v in runs["english_dev"] if v is not None and not pd.isna(v)]
    share = float(np.mean(shares)) if shares else None
    dev = float(np.mean(devs)) if devs else None
    classes = _classes(task, golds, predictions)
    chance = 100.0 / classes if classes else None
    majority = 100.0 * Counter(map(str, golds)).most_common(1)[0][1] / len(golds) if golds else None
    check = TargetCheck(task, seeds, share, dev, chance, majority, False, "")
    return _decide(check)


def _decide(check: TargetCheck) -> TargetCheck:
    """The rule's decision on measured values, with the sentence the verdict table prints."""
    runs = f"{check.seeds} baseline run{'s' if check.seeds != 1 else ''}"
    floor = check.floor
    if check.one_class_share is not None and check.one_class_share >= ONE_CLASS_SHARE:
        return _with(check, True, f"{check.task}: left out; its {runs} put {check.one_class_share:.1f} % of the test "
                                  f"items in one class (the rule: {ONE_CLASS_SHARE:g} % or more).")
    if check.english_dev is not None and floor is not None and check.english_dev < floor + DEV_MARGIN:
        return _with(check, True, f"{check.task}: left out; its {runs} score {check.english_dev:.1f} % on English dev, "
                                  f"{check.english_dev - floor:+.1f} points from the floor of {floor:.1f} % (chance "
                                  f"{check.chance:.1f} %, majority {_pct(check.majority)}; the rule: at least "
                                  f"{DEV_MARGIN:g} points above).")
    if check.english_dev is None and check.one_class_share is None:
        return _with(check, False, f"{check.task}: kept; its {runs} recorded neither English dev scores nor test "
                                   "predictions, so the rule could not be measured.")
    share = f"{check.one_class_share:.1f} % of test items in one class" if check.one_class_share is not None \
        else "no test predictions"
    dev = (f"English dev {check.english_dev:.1f} %, {check.english_dev - floor:+.1f} points from the floor "
           f"{floor:.1f} %" if check.english_dev is not None and floor is not None else "no English dev score")
    return _with(check, False, f"{check.task}: kept; {share}, {dev}.")


def _pct(value: float | None) -> str:
    return f"{value:.1f} %" if value is not None else "unknown"


def _with(check: TargetCheck, excluded: bool, reason: str) -> TargetCheck:
    return replace(check, excluded=excluded, reason=reason)


def checks(frame: pd.DataFrame) -> list[TargetCheck]:
    """The rule on every target that has baseline runs in a canonical frame (`xtl.report.canonical`)."""
    if not len(frame):
        return []
    base = frame[frame["setting"] == BASELINE]
    return [check_target(task, rows) for task, rows in base.groupby("task", sort=True)]


def excluded(found: list[TargetCheck]) -> dict[str, str]:
    """{left-out target: the sentence why}."""
    return {c.task: c.reason for c in found if c.excluded}


def table(found: list[TargetCheck]) -> pd.DataFrame:
    """The rule's measurements per target, for the pages."""
    rows = [{"target": c.task, "baseline runs": c.seeds, "test items in one class (%)": c.one_class_share,
             "English dev (%)": c.english_dev, "chance (%)": c.chance, "majority (%)": c.majority,
             "left out": "yes" if c.excluded else "no", "why": c.reason} for c in found]
    return pd.DataFrame(rows, columns=["target", "baseline runs", "test items in one class (%)", "English dev (%)",
                                       "chance (%)", "majority (%)", "left out", "why"])
