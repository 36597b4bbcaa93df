"""How big is big enough: learning curves from the pilot profile, and the training size each task needs.

The pilot (experiments.yml, profile `pilot`) trains each task once on a large English sample and
scores its English dev set about ten times along the way. A curve is that dev history against the
examples seen (steps × batch: for QA, windows, a little more than questions). Its *plateau* is the
best score seen; a size is *big enough* once the best score so far (what early stopping keeps)
covers `fraction` of the plateau's gain over chance. Points inside
one run have not had the learning rate decay of a run that ends there, so the curve is a lower
bound and the size it picks errs on the large side. `profile_sizes` says what a profile then trains
each task on, so the book can show where it departs from the curve.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from xtl import estimate, profiles, tasks
from xtl.paths import results_root

FRACTION = 0.9        # share of the plateau's gain over chance a size must reach
RISING_POINTS = 1.0   # a curve whose last fifth still gains more than this is "still rising"


@dataclass(frozen=True)
class Size:
    """The size a task needs, read off its curve."""

    task: str
    examples: int          # the smallest examples seen at which the curve is big enough
    plateau: float         # best English dev score seen (%)
    chance: float          # score of a uniform guess (%)
    still_rising: bool     # the last fifth of the run still gained: the plateau may lie beyond the run
    run_examples: int      # examples seen by the whole run


def curves(profile: str = "pilot", root: Path | None = None) -> pd.DataFrame:
    """One row per dev evaluation of every single-task phase-2 run: task, seed, step, examples, dev, best."""
    folder = (root or results_root()) / profile / "intermediate"
    rows = []
    for run in sorted(folder.glob("*/metrics.json")):
        metrics = json.loads(run.read_text())
        config = json.loads((run.parent / "config.json").read_text())
        inter = config["intermediate"]
        if len(inter["tasks"]) != 1:
            continue
        per_step = inter["train"]["batch_size"] * inter["train"].get("grad_accum", 1)
        best = float("-inf")
        for step, dev in metrics["dev_history"]:
            best = max(best, dev)
            rows.append({"task": inter["tasks"][0], "seed": config["seed"], "step": step,
                         "examples": step * per_step, "dev": dev, "best": best, "run": run.parent.name})
    return pd.DataFrame(rows, columns=["task", "seed", "step", "examples", "dev", "best", "run"])


def chosen_size(curve: pd.DataFrame, chance: float, fraction: float = FRACTION) -> tuple[int, float, bool]:
    """(examples, plateau, still_rising) of one task's curve, ordered by examples."""
    curve = curve.sort_values("examples")
    plateau = float(curve["dev"].max())
    needed = chance + fraction * (plateau - chance)
    examples = int(curve.loc[curve["best"] >= needed - 1e-9, "examples"].iloc[0])
    last = int(curve["examples"].iloc[-1])
    before = curve.loc[curve["examples"] <= 0.8 * last, "best"]
    still_rising = bool(before.empty or curve["best"].iloc[-1] - before.iloc[-1] > RISING_POINTS)
    return examples, plateau, still_rising


def sizes(profile: str = "pilot", root: Path | None = None) -> list[Size]:
    """The size each task of the pilot needs, in the pilot's run order."""
    table = curves(profile, root)
    chosen = []
    for task in table["task"].unique():
        curve = table[table["task"] == task]
        chance = tasks.get(task.partition(":")[0]).chance
        examples, plateau, rising = chosen_size(curve, chance)
        chosen.append(Size(task, examples, plateau, chance, rising, int(curve["examples"].max())))
    return chosen


def profile_sizes(profile: str, grid: dict | Path | None = None) -> dict[str, int]:
    """English examples each task's training sees in `profile` (examples × epochs, the curves' x axis):
    its single-task phase 2 (no MLM mixed in), else the phase 3 of a target it trains (mnli for XNLI,
    squad for XQuAD), its examples capped by the kit's."""
    found: dict[str, int] = {}
    runs = profiles.expand(profile, grid=grid)
    for run in runs:
        inter = run.config["intermediate"]
        if run.kind == "intermediate" and len(inter["tasks"]) == 1 and not inter["mlm_share"]:
            found.setdefault(inter["tasks"][0], _seen(inter["tasks"][0], inter))
    for run in runs:
        if run.kind == "target":
            target = run.config["target"]
            found.setdefault(tasks.get(target["task"]).train_task or target["task"], _seen(target["task"], target))
    return found


def _seen(task: str, section: dict) -> int:
    return estimate.train_size(task, section["train_limit"]) * section["train"]["epochs"]
