"""What every follow-up question shares: the grid's names, the verdict rule, and what an analysis returns.

Effects. An effect is a difference between two settings, paired by seed (same seed: same training
sample, same evaluation items); its 95 % interval is a Student-t interval over the per-seed
differences (`xtl.report.stats`). A verdict needs at least three seeds. An effect is "no difference"
when its whole interval lies within +-1 point (`MARGIN`), decisive when the interval excludes zero,
inconclusive otherwise; an inconclusive verdict says how many seeds the measured spread would need
(`seeds_to_decide`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from xtl.report.power import half_width
from xtl.report.stats import Effect, Verdict
from xtl.scoring import ZERO_SHOT_AVG

QUESTIONS = ("q1", "q2", "q3", "q4", "q5")
PROFILE = "questions-reference"   # the questions' main profile at the reference scale (experiments.yml)
# the family: the reference grid's cells the questions read, the new 12-layer cells, Q2's two other depths
SUFFIXES = ("-shared", "", "-l6", "-l3")
PROFILES = tuple(PROFILE + suffix for suffix in SUFFIXES)
DEFAULT_PROFILES = PROFILES  # what `make questions` runs (--profiles picks some)
SHARED_WITH = "reference"    # the profile whose runs the `-shared` profile holds (same run ids)
# the first answer, at toy scale (6 layers, 280 examples): retired, kept readable (experiments.yml)
RETIRED_PROFILES = ("questions", "questions-l3", "questions-l12", "questions-q3")
MODEL = "me5-small"          # every question but Q2 runs the 12-layer encoder
MIN_SEEDS = 3
MARGIN = 1.0  # points
MOST_SEEDS = 100  # seeds_to_decide looks no further
TRAINING_LANGUAGE = "en"
SCORE_AVG = ZERO_SHOT_AVG   # the named average every question compares (xtl.scoring)
TARGETS_AVG = f"{ZERO_SHOT_AVG} (mean over targets)"   # its label when several targets are averaged

BASELINE: tuple[str, ...] = ()

NOT_RUN = "not run"
INCONCLUSIVE = "inconclusive"
NO_DIFFERENCE = "no difference (within ±1 point)"


def family(profile: str = PROFILE) -> tuple[str, ...]:
    """The profiles of one questions family, in `SUFFIXES` order: `<profile>-shared`, `<profile>`, `-l6`, `-l3`."""
    return tuple(profile + suffix for suffix in SUFFIXES)


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


def _spread(effect: Effect) -> float | None:
    values = pd.Series(list(effect.per_seed.values()), dtype=float).dropna()
    return float(values.std(ddof=1)) if len(values) >= 2 else None


def seeds_to_decide(effect: Effect, margin: float = MARGIN, non_inferiority: bool = False) -> int | None:
    """The fewest seeds whose projected 95 % interval, around the mean measured now with the spread measured
    now, would decide: exclude zero, or lie within +-margin (non-inferiority: lie above -margin or below 0).
    None when no count up to MOST_SEEDS would (or the spread is unknown: fewer than two seeds)."""
    sd = _spread(effect)
    if sd is None:
        return None
    mean = abs(effect.value)
    room = [mean]  # excluding zero
    room.append(effect.value + margin if non_inferiority else margin - mean)
    for n in range(2, MOST_SEEDS + 1):
        if any(r > 0 and half_width(sd, n) < r for r in room):
            return n
    return None


def decision_note(effect: Effect, margin: float = MARGIN, non_inferiority: bool = False, unit: str = "points") -> str:
    """For an inconclusive verdict: how many seeds the measured spread would need, in one sentence."""
    sd = _spread(effect)
    if sd is None:
        return f"The spread over seeds is not measured yet (fewer than two seeds); {MIN_SEEDS} seeds are planned."
    needed = seeds_to_decide(effect, margin, non_inferiority)
    head = f"With the spread measured over {effect.n_seeds} seeds (sd {sd:.2f} {unit}) and the effect as measured,"
    if needed is None:
        return f"{head} no count of seeds up to {MOST_SEEDS} would decide: the effect is too close to the rule's edges."
    return f"{head} about {needed} seeds would decide (the projection is rough: the sd rests on {effect.n_seeds} seeds)."


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
    return Verdict(NOT_RUN, f"No results for {what}: the planned grid is {planned}; the runs are pending, and "
                            "nothing is claimed.", {"seeds": 0})
