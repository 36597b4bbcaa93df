"""The where-we-stand table: published cells as typed, ours the seed mean of the baseline's xtreme_avg."""

from __future__ import annotations

import math

import pandas as pd

from xtl.report import standing


def test_standing_places_our_baseline_beside_published_rows():
    averages = pd.DataFrame([
        {"intermediate": "baseline", "target": "xnli", "seed": 0, "xtreme_avg": 50.0},
        {"intermediate": "baseline", "target": "xnli", "seed": 1, "xtreme_avg": 54.0},
        {"intermediate": "mnli", "target": "xnli", "seed": 0, "xtreme_avg": 90.0},   # not the baseline
        {"intermediate": "baseline", "target": "udpos", "seed": 0, "xtreme_avg": 60.0},  # nothing published here
    ])
    table = standing.standing(averages).set_index("target")
    assert table.loc["xnli", "mBERT"] == 65.4 and table.loc["xnli", "XLM-R Large"] == 79.2
    assert table.loc["xnli", "ours"] == 52.0 and table.loc["xnli", "ours: seeds"] == 2
    assert table.loc["udpos", "ours"] == 60.0 and math.isnan(table.loc["udpos", "mBERT"])
    assert table.loc["tatoeba", "ours: seeds"] == 0 and math.isnan(table.loc["tatoeba", "ours"])


def test_standings_put_each_profile_in_its_own_column():
    laptop = pd.DataFrame([{"intermediate": "baseline", "target": "xnli", "seed": 0, "xtreme_avg": 40.0}])
    reference = pd.DataFrame([
        {"intermediate": "baseline", "target": "panx", "seed": s, "xtreme_avg": v} for s, v in [(0, 30.0), (1, 34.0)]
    ])
    table = standing.standings({"laptop": laptop, "reference-first": reference}).set_index("target")
    assert table.loc["xnli", "ours (laptop)"] == 40.0 and math.isnan(table.loc["xnli", "ours (reference-first)"])
    assert table.loc["panx", "ours (reference-first)"] == 32.0 and table.loc["panx", "ours (reference-first): seeds"] == 2
    assert table.loc["panx", "ours (laptop): seeds"] == 0 and table.loc["xnli", "mBERT"] == 65.4
    assert list(table.columns).count("mBERT") == 1


def test_every_published_row_names_its_source_and_no_cell_is_guessed():
    from xtl.report.published import SCORES, SOURCES

    assert set(SCORES) == set(SOURCES)
    assert all(0 < v < 100 for row in SCORES.values() for v in row.values())
    assert "udpos" not in SCORES["mBERT"] and "udpos" not in SCORES["XLM-R Large"]  # not verified here: left out
