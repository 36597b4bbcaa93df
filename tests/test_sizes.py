"""Learning curves: the size that reaches 90 % of the plateau's gain over chance, on hand-made curves."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from xtl import estimate, tasks
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
