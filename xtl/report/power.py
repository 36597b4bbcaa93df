"""How many seeds a claim needs: the seed-to-seed spread of a gain and the interval it allows.

A gain is paired by seed: gain_s = score(setting, seed s) - score(baseline, seed s), where the seed
drives both phase 2 and phase 3. Its 95 % interval over n seeds has the half-width
t(0.975, n-1) * sd / sqrt(n); with the spread measured on the seeds at hand, the same formula
projects the half-width that more seeds would give (the sd is an estimate too: with 3 seeds the
projection is rough, and the page says so).
"""

from __future__ import annotations

import math

import pandas as pd

from xtl.report.stats import t_quantile_975

GOAL = 1.0  # points: the half-width the reference profile aims for on the XTREME-average gain


def half_width(sd: float, seeds: int) -> float:
    """95 % t-interval half-width of a mean over `seeds` paired gains with standard deviation `sd`."""
    return t_quantile_975(seeds - 1) * sd / math.sqrt(seeds)


def seeds_needed(sd: float, goal: float = GOAL, most: int = 100) -> int | None:
    """The fewest seeds whose projected half-width is at most `goal` (None: more than `most`)."""
    return next((n for n in range(2, most + 1) if half_width(sd, n) <= goal), None)


def paired_gains(scores: pd.DataFrame, setting: str, baseline: str = "baseline") -> pd.DataFrame:
    """Columns target, seed, gain from rows (intermediate, target, seed, value); seeds run on both sides only."""
    wide = scores.pivot_table(index=["target", "seed"], columns="intermediate", values="value", aggfunc="mean")
    if setting not in wide or baseline not in wide:
        return pd.DataFrame(columns=["target", "seed", "gain"])
    gains = (wide[setting] - wide[baseline]).dropna().rename("gain")
    return gains.reset_index()


def power_table(gains: pd.DataFrame, seeds: tuple[int, ...] = (3, 5), goal: float = GOAL) -> pd.DataFrame:
    """Per target and for the mean over targets: mean gain, sd over seeds, projected half-widths, seeds needed.

    The mean over targets averages, per seed, the targets that every seed ran (so a column filled run
    by run compares like with like); it is the decision quantity of the claims about an XTREME-style
    average. Its row names how many targets it averages.
    """
    rows = []
    seeds_run = gains.groupby("target")["seed"].nunique()
    complete = seeds_run[seeds_run == gains["seed"].nunique()].index
    balanced = gains[gains["target"].isin(complete)]
    label = f"mean over targets ({len(complete)} run in every seed)"
    average = balanced.groupby("seed")["gain"].mean().rename("gain").reset_index().assign(target=label)
    for target, part in pd.concat([gains, average]).groupby("target", sort=False):
        n = len(part)
        sd = float(part["gain"].std(ddof=1)) if n > 1 else float("nan")
        row = {"target": target, "seeds run": n, "mean gain": float(part["gain"].mean()), "sd": sd}
        for k in seeds:
            row[f"half-width, {k} seeds"] = half_width(sd, k) if n > 1 else float("nan")
        row[f"seeds for ≤ {goal:g}"] = seeds_needed(sd, goal) if n > 1 else None
        rows.append(row)
    return pd.DataFrame(rows)
