"""Learning curves: the size that reaches 90 % of the plateau's gain over chance, on hand-made curves."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest

from xtl import estimate, profiles, tasks
from xtl.report import sizes


def _curve(points):
    frame = pd.DataFrame(points, columns=["examples", "dev"])
    frame["best"] = frame["dev"].cummax()
    return frame


def test_size_reaches_ninety_percent_of_the_gain_over_chance():
    # chance 50, plateau 70: 90 % of the gain is 68, first reached (best so far) at 300 examples
    curve = _curve([(100, 55.0), (200, 66.0), (300, 68.0), (400, 69.5), (500, 70.0), (600, 69.5)])
    examples, plateau, rising = sizes.chosen_size(curve, chance=50.0)
    assert (examples, plateau) == (300, 70.0)
    assert not rising  # best by 480 examples (80 % of the run) is 69.5; the last fifth adds 0.5 points

def test_a_curve_that_gains_in_its_last_fifth_is_still_rising():
    curve = _curve([(100, 10.0), (200, 20.0), (300, 30.0), (400, 40.0), (500, 50.0)])
    examples, plateau, rising = sizes.chosen_size(curve, chance=0.0)
    assert (examples, plateau, rising) == (500, 50.0, True)


def test_noise_below_the_best_does_not_move_the_size():
    # the dip at 300 does not undo a size already reached: early stopping keeps the best state
    curve = _curve([(100, 30.0), (200, 58.0), (300, 40.0), (400, 60.0)])
    assert sizes.chosen_size(curve, chance=0.0)[0] == 200


def test_chance_comes_from_the_registry():
    assert tasks.get("mnli").chance == pytest.approx(100 / 3)
    assert tasks.get("commonsenseqa").chance == 20.0
    assert tasks.get("panx").chance == tasks.get("squad").chance == 0.0


def test_curves_read_run_folders(tmp_path):
    run = tmp_path / "pilot" / "intermediate" / "mnli-s0-abc"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"seed": 0, "intermediate": {
        "tasks": ["mnli"], "train": {"batch_size": 16, "grad_accum": 2}}}))
    (run / "metrics.json").write_text(json.dumps({"dev_history": [[10, 40.0], [20, 50.0], [30, 45.0]]}))
    table = sizes.curves("pilot", root=tmp_path)
    assert table["examples"].tolist() == [320, 640, 960] and table["best"].tolist() == [40.0, 50.0, 50.0]
    (size,) = sizes.sizes("pilot", root=tmp_path)
    assert size.task == "mnli" and size.run_examples == 960 and size.plateau == 50.0


def test_at_measured_pace_by_hand():
    finished = [("xnli", 100.0, 50.0), ("panx", 100.0, 200.0)]
    assert estimate.at_measured_pace([("xnli", 10.0), ("bucc", 10.0)], finished) == pytest.approx(5.0 + 12.5)
    assert estimate.at_measured_pace([("xnli", 10.0)], []) == 10.0


def test_multiple_choice_tasks_the_pilot_timed_use_its_pace():
    section = {"train_limit": 320, "dev_limit": 100, "max_length": 128,
               "train": {"batch_size": 16, "epochs": 1, "max_steps": 0, "grad_accum": 1, "eval_every": 10}}
    train_per_s, dev_per_s = tasks.get("hellaswag").cost.pace[128]
    # 320 examples: 20 steps, dev scored at steps 10 and 20
    assert estimate.train_seconds(["hellaswag"], section) == pytest.approx(320 / train_per_s + 2 * 100 / dev_per_s)
    longer = {**section, "max_length": 64}  # not timed at this length: the prior
    assert estimate.train_seconds(["hellaswag"], longer) == pytest.approx(
        estimate.examples_cost("hellaswag", 320, 64) / estimate.TRAIN_PER_S
         + 2 * estimate.examples_cost("hellaswag", 100, 64) / estimate.EVAL_PER_S)


def test_profile_sizes_count_examples_seen_in_phase_2_else_in_the_target_training():
    train = {"learning_rate": 5.0e-5, "batch_size": 16, "epochs": 1}
    grid = copy.deepcopy(profiles.load_grid())
    grid["profiles"].update({"p": {
        "model": "tiny-random", "seeds": [0],
        "intermediate": {"train_limit": 100, "dev_limit": 10, "max_length": 64, "train": train},
        "target": {"train_limit": 50, "dev_limit": 10, "eval_limit": 10, "max_length": 64, "train": train},
        "targets": {"pawsx": {"train": {"epochs": 3}}},
        "settings": {"sst2": {"tasks": ["sst2"], "train_limit": 70},
                     "mnli_mlm": {"tasks": ["mnli"], "mlm_share": 0.5}},
        "experiments": {
            "intermediate": {"intermediate": ["sst2", "mnli_mlm"]},
            "target": {"intermediate": ["baseline"], "target": ["xnli", "pawsx"]}}}})
    # mnli with MLM mixed in is not plain mnli: XNLI's phase 3 (trained on mnli) sizes it
    assert sizes.profile_sizes("p", grid=grid) == {"sst2": 70, "mnli": 50, "pawsx": 150}
