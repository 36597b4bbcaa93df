"""A run's identity: what a resolved config is called, where its results go, which trainings it shares.

`of(kind, resolved)` is the one place that names a run. `xtl.experiment` writes where it says and keys its
checkpoints by it; the grid (`xtl.profiles`) plans each run's result folder with it; `xtl.estimate`
charges a phase 2, or a phase-3 training that targets share, once per key; `xtl.equivalence` re-makes a
run from its config.json through `xtl.experiment`, so into the folder this names.

- run id: a readable slug plus the first 10 hex digits of the config's hash (`xtl.runs.run_id`);
- phase-2 key: model, seed and the intermediate section; its hash names the cached encoder;
- shared phase-3 key: what a target's English training depends on, when another target trains on the
  same data (XQuAD and MLQA both train on SQuAD, as in XTREME); `phase3-<hash>` names the cached model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xtl import runs, tasks
from xtl.paths import checkpoint_root, results_root

INTERMEDIATE = "intermediate"  # the experiment folder every phase-2 record is written under


@dataclass(frozen=True)
class RunIdentity:
    """What names one run of kind intermediate, target or retrieval."""

    kind: str
    slug: str
    run_id: str
    phase2_key: dict[str, Any]
    phase3_key: dict[str, Any] | None  # None: the target trains a model of its own (or no phase 3)

    @property
    def phase2(self) -> str:
        """The phase-2 encoder's checkpoint name (a hash of `phase2_key`; a baseline has one too, never used)."""
        return runs.config_hash(self.phase2_key)[:16]

    @property
    def phase3(self) -> str:
        """The shared phase-3 model's checkpoint name, "" when the run trains its own."""
        return "phase3-" + runs.config_hash(self.phase3_key)[:16] if self.phase3_key is not None else ""

    def results(self, profile: str, experiment: str) -> Path:
        """`<results>/<profile>/<experiment>/<run id>`; a phase-2 record always goes under `intermediate/`."""
        return results_root() / profile / (INTERMEDIATE if self.kind == INTERMEDIATE else experiment) / self.run_id

    @property
    def phase2_checkpoint(self) -> Path:
        """The folder of the cached phase-2 encoder."""
        return checkpoint_root() / self.phase2

    @property
    def phase3_checkpoint(self) -> Path | None:
        """The folder of the cached shared phase-3 model; None when the run trains its own."""
        return checkpoint_root() / self.phase3 if self.phase3_key is not None else None


def of(kind: str, resolved: dict[str, Any]) -> RunIdentity:
    """The identity of a run of `kind` (intermediate, target, retrieval) with this resolved config."""
    key = {"model": resolved["model"], "seed": resolved["seed"], "intermediate": resolved["intermediate"]}
    if kind == INTERMEDIATE:
        slug = "+".join(key["intermediate"]["tasks"]) + f"-s{key['seed']}"
        return RunIdentity(kind, slug, runs.run_id(slug, key), key, None)
    slug = _slug(resolved, resolved[kind]["task"])
    shared = shared_training_key(resolved) if kind == "target" else None
    return RunIdentity(kind, slug, runs.run_id(slug, resolved), key, shared)


def _slug(resolved: dict[str, Any], what: str) -> str:
    inter = "+".join(resolved["intermediate"]["tasks"]) or "baseline"
    if resolved["intermediate"]["mlm_share"]:
        inter += "+mlm"
    return f"{what}-{inter}-{resolved['model']}-s{resolved['seed']}"


def shared_training_key(resolved: dict[str, Any]) -> dict[str, Any] | None:
    """What a target's phase-3 training depends on, when another target trains on the same data; else None."""
    task = tasks.get(resolved["target"]["task"])
    if sum(training_data(other) == training_data(task) for other in map(tasks.get, tasks.names("target"))) < 2:
        return None
    cfg = resolved["target"]
    return {"model": resolved["model"], "seed": resolved["seed"], "intermediate": resolved["intermediate"],
            "data": list(training_data(task)), "train_limit": cfg["train_limit"], "dev_limit": cfg["dev_limit"],
            "max_length": cfg["max_length"], "train": cfg["train"]}


def training_data(task: tasks.Task) -> tuple:
    """The English data and format phase 3 trains and selects on: equal for XQuAD and MLQA (SQuAD)."""
    return (task.train_task or task.name, task.train_lang, task.train_split, task.dev_task or task.name,
            task.dev_split, task.format)
