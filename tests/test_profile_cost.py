"""What a profile costs: estimates from scratch, measured times, and the projection at the measured pace."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from xtl import profile_cost, runner


def test_cost_estimates_every_run_from_scratch_and_reads_measured_times(tmp_path, monkeypatch):
    monkeypatch.setenv(runner.BOOK_RUNS_ENV, str(tmp_path / "book"))
    (tmp_path / "book" / "reference-first").mkdir(parents=True)
    (tmp_path / "book" / "reference-first" / "runs.json").write_text(
        '{"target/baseline-xnli-s0": {"notebook_wall_s": 451.0}}')
    monkeypatch.setenv("XTL_CHECKPOINTS", str(tmp_path / "not-used"))
    cost = profile_cost.table("reference-first")
    assert len(cost) == 60 and (cost["estimate_s"] > 0).all()
    measured = cost.set_index("label")["measured_s"]
    assert measured["target/baseline-xnli-s0"] == 451.0 and measured.isna().sum() == 59
    assert set(cost["target"]) >= {"xnli", "xquad", "mlqa", "tatoeba"}
    assert os.environ["XTL_CHECKPOINTS"] == str(tmp_path / "not-used")  # restored after the estimate


def test_projection_scales_each_target_by_its_own_measured_pace():
    nan = float("nan")
    cost = pd.DataFrame([
        {"label": "a", "kind": "target", "target": "xnli", "estimate_s": 100.0, "measured_s": 50.0},
        {"label": "b", "kind": "target", "target": "xnli", "estimate_s": 100.0, "measured_s": nan},
        {"label": "c", "kind": "target", "target": "panx", "estimate_s": 100.0, "measured_s": 200.0},
        {"label": "d", "kind": "retrieval", "target": "bucc2018", "estimate_s": 30.0, "measured_s": nan},
    ])
    # a and c as measured; b at xnli's pace (0.5); d at the pace of all finished runs (250 / 200)
    assert profile_cost.projected_s(cost) == pytest.approx(50 + 200 + 50 + 30 * 1.25)
    assert profile_cost.projected_s(cost.assign(measured_s=nan)) == pytest.approx(330.0)  # nothing measured: the estimate
