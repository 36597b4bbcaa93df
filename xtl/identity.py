"""A run's identity: what a resolved config is called, where its results go, which trainings it shares.

`of(kind, config)` is the one place that names a run (of a resolved `xtl.config.RunConfig`). `xtl.experiment`
writes where it says and keys its checkpoints by it; the grid (`xtl.profiles`) plans each run's result folder
with it; `xtl.estimate` charges a phase 2, or a phase-3 training that targets share, once per key;
`xtl.equivalence` re-makes a run from its config.json through `xtl.experiment`, so into the folder this names.

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
from xtl.config import RunConfig
from xtl.errors import XtlError
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


def of(kind: str, config: RunConfig) -> RunIdentity:
    """The identity of a run of `kind` (intermediate, target, retrieval) with this resolved config; a target or
    retrieval run's config names its phase 2 too (kind intermediate)."""
    key = {"model": config.model, "seed": config.seed, "intermediate": config.intermediate.record()}
    if kind == INTERMEDIATE:
        slug = "+".join(config.intermediate.tasks) + f"-s{config.seed}"
        return RunIdentity(kind, slug, runs.run_id(slug, key), key, None)
    section = config.target if kind == "target" else config.retrieval
    if section is None:
        raise XtlError(f"a {config.kind} run's config names no {kind} run; resolve it as {kind}")
    slug = _slug(config, section.task)
    shared = shared_training_key(config) if kind == "target" else None
    return RunIdentity(kind, slug, runs.run_id(slug, config.record()), key, shared)


def _slug(config: RunConfig, what: str) -> str:
    inter = "+".join(config.intermediate.tasks) or "baseline"
    if config.intermediate.mlm_share:
        inter += "+mlm"
    return f"{what}-{inter}-{config.model}-s{config.seed}"


def shared_training_key(config: RunConfig) -> dict[str, Any] | None:
    """What a target's phase-3 training depends on, when another target trains on the same data; else None."""
    target = config.target
    assert target is not None, "only a target run has a phase 3"
    task = tasks.get(target.task)
    if sum(training_data(other) == training_data(task) for other in map(tasks.get, tasks.names("target"))) < 2:
        return None
    return {"model": config.model, "seed": config.seed, "intermediate": config.intermediate.record(),
            "data": list(training_data(task)), "train_limit": target.train_limit, "dev_limit": target.dev_limit,
            "max_length": target.max_length, "train": target.train.record()}


def training_data(task: tasks.Task) -> tuple:
    """The English data and format phase 3 trains and selects on: equal for XQuAD and MLQA (SQuAD)."""
    return (task.train_task or task.name, task.train_lang, task.train_split, task.dev_task or task.name,
            task.dev_split, task.format)
