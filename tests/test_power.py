"""Seed spread and projected interval half-widths, against hand-computed values."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from xtl.report import power


def test_half_width_matches_the_t_formula():
    # sd 2, 3 seeds: t(0.975, 2) = 4.303; 4.303 * 2 / sqrt(3) = 4.969
    assert power.half_width(2.0, 3) == pytest.approx(4.303 * 2 / math.sqrt(3))
    assert power.half_width(2.0, 5) == pytest.approx(2.776 * 2 / math.sqrt(5))


def test_seeds_needed_is_the_first_count_under_the_goal():
    # sd 1: n=7 gives 2.447/sqrt(7)=0.925 <= 1, n=6 gives 2.571/sqrt(6)=1.050
    assert power.seeds_needed(1.0) == 7
    assert power.seeds_needed(100.0, most=10) is None


def test_gains_are_paired_by_seed_and_averaged_per_seed():
    rows = [("baseline", "xnli", 0, 50.0), ("mnli", "xnli", 0, 52.0), ("baseline", "xnli", 1, 51.0),
            ("mnli", "xnli", 1, 55.0), ("baseline", "panx", 0, 30.0), ("mnli", "panx", 0, 29.0),
            ("baseline", "panx", 1, 31.0), ("mnli", "panx", 1, 31.0), ("mnli", "panx", 2, 40.0)]
    scores = pd.DataFrame(rows, columns=["intermediate", "target", "seed", "value"])
    gains = power.paired_gains(scores, "mnli")
    assert sorted(map(tuple, gains.values.tolist())) == [("panx", 0, -1.0), ("panx", 1, 0.0), ("xnli", 0, 2.0),
                                                         ("xnli", 1, 4.0)]  # seed 2 has no baseline
    table = power.power_table(gains).set_index("target")
    assert table.loc["xnli", "mean gain"] == 3.0 and table.loc["xnli", "sd"] == pytest.approx(math.sqrt(2))
    mean_row = "mean over targets (2 run in every seed)"
    # mean over targets per seed: seed 0 -> 0.5, seed 1 -> 2.0
    assert table.loc[mean_row, "mean gain"] == pytest.approx(1.25)
    assert table.loc[mean_row, "sd"] == pytest.approx(math.sqrt((0.5 - 1.25) ** 2 + 0.75**2))
    assert table.loc[mean_row, "half-width, 3 seeds"] == pytest.approx(
        4.303 * table.loc[mean_row, "sd"] / math.sqrt(3))


def test_mean_over_targets_keeps_only_targets_every_seed_ran():
    rows = [("xnli", 0, 2.0), ("xnli", 1, 4.0), ("panx", 0, -1.0), ("panx", 1, 0.0), ("udpos", 0, 10.0)]
    gains = pd.DataFrame(rows, columns=["target", "seed", "gain"])
    table = power.power_table(gains).set_index("target")
    mean = table.loc["mean over targets (2 run in every seed)"]
    assert mean["mean gain"] == pytest.approx(1.25) and mean["seeds run"] == 2  # udpos (seed 0 only) left out
    assert table.loc["udpos", "seeds run"] == 1 and math.isnan(table.loc["udpos", "sd"])
