"""What a profile costs: estimates from scratch, measured times, and the projection at the measured pace."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from xtl import config, estimate, profile_cost, runner


def test_cost_estimates_every_run_from_scratch_and_reads_measured_times(tmp_path, monkeypatch):
    monkeypatch.setenv(runner.BOOK_RUNS_ENV, str(tmp_path / "book"))
    (tmp_path / "book" / "reference-first").mkdir(parents=True)
    (tmp_path / "book" / "reference-first" / "runs.json").write_text(
        '{"target/baseline-xnli-s0": {"notebook_wall_s": 451.0, "estimate_s": 500.0}}')
    monkeypatch.setenv("XTL_CHECKPOINTS", str(tmp_path / "not-used"))
    cost = profile_cost.table("reference-first")
    assert len(cost) == 60 and (cost["estimate_s"] > 0).all()
    measured = cost.set_index("label")["measured_s"]
    assert measured["target/baseline-xnli-s0"] == 451.0 and measured.isna().sum() == 59
    then = cost.set_index("label")["estimate_then_s"]
    assert then["target/baseline-xnli-s0"] == 500.0 and then.isna().sum() == 59
    assert set(cost["target"]) >= {"xnli", "xquad", "mlqa", "tatoeba"}
    assert os.environ["XTL_CHECKPOINTS"] == str(tmp_path / "not-used")  # restored after the estimate


def test_projection_scales_each_target_by_its_own_measured_pace():
    nan = float("nan")
    cost = pd.DataFrame([
        {"label": "a", "kind": "target", "target": "xnli", "estimate_s": 100.0, "estimate_then_s": 100.0, "measured_s": 50.0},
        {"label": "b", "kind": "target", "target": "xnli", "estimate_s": 100.0, "estimate_then_s": nan, "measured_s": nan},
        {"label": "c", "kind": "target", "target": "panx", "estimate_s": 100.0, "estimate_then_s": 100.0, "measured_s": 200.0},
        {"label": "d", "kind": "retrieval", "target": "bucc2018", "estimate_s": 30.0, "estimate_then_s": nan,
         "measured_s": nan},
    ])
    # a and c as measured; b at xnli's pace (0.5); d at the pace of all finished runs (250 / 200)
    assert profile_cost.projected_s(cost) == pytest.approx(50 + 200 + 50 + 30 * 1.25)
    assert profile_cost.projected_s(cost.assign(measured_s=nan)) == pytest.approx(330.0)  # nothing measured: the estimate


def test_a_run_that_found_its_training_cached_is_charged_it_at_the_measured_pace():
    """A run whose shared model was cached when it ran paid only its evaluation: its pace is measured against
    what it was estimated to cost then, and a fresh clone pays the rest at that pace."""
    nan = float("nan")
    cost = pd.DataFrame([
        {"label": "xquad-s0", "kind": "target", "target": "xquad", "estimate_s": 1300.0, "estimate_then_s": 500.0,
         "measured_s": 400.0},
        {"label": "xquad-s1", "kind": "target", "target": "xquad", "estimate_s": 1300.0, "estimate_then_s": nan,
         "measured_s": nan},
    ])
    # pace 400 / 500 = 0.8: s0 measured 400 plus its cached training 800 at 0.8; s1 1300 at 0.8
    assert profile_cost.projected_s(cost) == pytest.approx(400 + 800 * 0.8 + 1300 * 0.8)


def _priced(model: str, mlm_share: float = 0.0) -> float:
    """Seconds of a phase 2 and a phase 3 trained here, less the notebook's start-up."""
    resolved = config.resolve_target({
        "model": model, "seed": 0, "intermediate": {"tasks": ["mnli"], "train_limit": 320, "mlm_share": mlm_share},
        "target": {"task": "panx", "train_limit": 320, "eval_limit": 50, "languages": ["en", "de"]}})
    return estimate.run_seconds("target", resolved, "a-phase-2-not-cached", "") - estimate.NOTEBOOK_OVERHEAD_S


def test_a_cut_encoder_is_priced_at_its_depth(isolated):
    """me5-small-l6 runs 6 of 12 layers: half the work of a run (the start-up aside), l3 a quarter; an MLM head's
    output layer is not cut."""
    assert [estimate.depth_share(m) for m in ("me5-small", "me5-small-l6", "me5-small-top3", "tiny-random")] == [
        1.0, 0.5, 0.25, 1.0]
    whole = _priced("me5-small")
    assert _priced("me5-small-l12") == pytest.approx(whole)
    assert _priced("me5-small-l6") == pytest.approx(whole / 2)
    assert _priced("me5-small-l3") == pytest.approx(whole / 4)
    inter = config.resolve_intermediate({"model": "me5-small", "intermediate": {"tasks": ["mnli"], "train_limit": 320}})
    task_batches = estimate.train_seconds(["mnli"], inter["intermediate"])
    mlm_batches = 0.25 / 0.75 * task_batches   # one MLM batch per three task batches
    output_layer = mlm_batches * (estimate.MLM_BATCH_COST - 1)
    assert _priced("me5-small", 0.25) == pytest.approx(whole + mlm_batches + output_layer)
    assert _priced("me5-small-l6", 0.25) == pytest.approx((whole + mlm_batches) / 2 + output_layer)
