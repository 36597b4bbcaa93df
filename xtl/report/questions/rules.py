"""What every follow-up question shares: the grid's names, the verdict rule, and what an analysis returns.

Effects. An effect is a difference between two settings, paired by seed (same seed: same training
sample, same evaluation items); its 95 % interval is a Student-t interval over the per-seed
differences (`xtl.report.stats`). A verdict needs at least three seeds. An effect is "no difference"
when its whole interval lies within +-1 point (`MARGIN`), decisive when the interval excludes zero,
inconclusive otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from xtl.report.stats import Effect, Verdict
from xtl.scoring import ZERO_SHOT_AVG

QUESTIONS = ("q1", "q2", "q3", "q4", "q5")
PROFILE = "questions"                                  # Q1, Q3, Q4, Q5 and Q2's middle size
PROFILES = ("questions", "questions-l3", "questions-l12", "questions-q3")  # the questions' profiles in experiments.yml
DEFAULT_PROFILES = PROFILES  # what `make questions` runs: every question's runs (--profiles picks some)
EXPERIMENT = "questions"
MIN_SEEDS = 3
MARGIN = 1.0  # points
TRAINING_LANGUAGE = "en"
SCORE_AVG = ZERO_SHOT_AVG   # the named average every question compares (xtl.scoring)
TARGETS_AVG = f"{ZERO_SHOT_AVG} (mean over targets)"   # its label when several targets are averaged

BASELINE: tuple[str, ...] = ()

NOT_RUN = "not run"
INCONCLUSIVE = "inconclusive"
NO_DIFFERENCE = "no difference (within ±1 point)"


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


def seeds_note(effect: Effect) -> str:
    n = effect.n_seeds
    return f"{n} seed{'s' if n != 1 else ''}" + ("" if n >= MIN_SEEDS else f" (a verdict needs {MIN_SEEDS})")


@dataclass
class Analysis:
    """One question's answer: verdict, the table the page shows, the data the figure draws, glued values."""

    question: str
    verdict: Verdict
    table: pd.DataFrame
    plot: pd.DataFrame
    values: dict[str, Any]
    order: list[str] = field(default_factory=list)


def not_run(what: str, planned: str) -> Verdict:
    return Verdict(NOT_RUN, f"No results for {what}: the planned grid is {planned}; nothing is claimed.",
                   {"seeds": 0})
