"""Which committed runs a reproduction re-makes, and what that should cost.

The runs come from the profile's manifest (`book/runs/<profile>/runs.json`), the book's record of what was
executed, so a reproduction re-makes what the book shows. Phase-2-only runs (experiment `intermediate`) are
left out: they write no predictions, and their phase 2 is trained again inside every re-made run that
starts from it. A sample is drawn with a fixed seed and spread over targets and intermediate settings, so
five runs of the reference profile check five targets and both settings, not five seeds of one cell.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xtl import runs
from xtl.book_index import manifest_path, read_manifest
from xtl.errors import XtlError
from xtl.paths import book_runs_root, repo_relative, results_root
from xtl.profiles import load_grid

REMADE_KINDS = ("target", "retrieval")


@dataclass(frozen=True)
class Committed:
    """One committed target or retrieval run: where its results are and the times it measured when it ran."""

    label: str  # <experiment>/<run name>, as in the manifest
    folder: Path
    target: str
    setting: str  # the intermediate setting (baseline, mnli, ...)
    recorded_s: float  # the notebook's wall time when it ran
    own_s: float  # that time without a phase 2 or a shared phase-3 training it trained itself
    phase2: str = ""  # the phase-2 encoder it starts from ("" for the baseline)
    phase2_s: float = 0.0  # what training that encoder measured
    shared: str = ""  # a phase-3 model it shares with another target (XQuAD and MLQA), else ""
    shared_s: float = 0.0  # what training that model measured


def committed_runs(profile: str) -> tuple[list[Committed], int]:
    """The profile's committed target and retrieval runs (manifest order), and how many phase-2-only runs it has."""
    manifest = read_manifest(profile)
    if not manifest and profile not in load_grid().get("profiles", {}):
        known = ", ".join(load_grid().get("profiles", {}))
        raise XtlError(f"unknown profile '{profile}'; known profiles: {known} (see experiments.yml)")
    entries = {label: entry for label, entry in manifest.items() if entry.get("kind") in REMADE_KINDS
               and runs.is_complete(results_root() / entry["results"])}
    if not entries:
        with_runs = ", ".join(_profiles_with_runs()) or "none yet"
        raise XtlError(f"profile '{profile}' has no committed target or retrieval runs "
                       f"({repo_relative(manifest_path(profile))} lists none with a finished result folder); pick one "
                       f"that has: {with_runs}, or make its runs first: xtl run --profile {profile}")
    phase2_only = sum(entry.get("kind") == "intermediate" for entry in manifest.values())
    return [_committed(label, entry) for label, entry in entries.items()], phase2_only


def _profiles_with_runs() -> list[str]:
    names = sorted(path.parent.name for path in book_runs_root().glob("*/runs.json"))
    return [name for name in names if any(e.get("kind") in REMADE_KINDS for e in read_manifest(name).values())]


def _committed(label: str, entry: dict[str, Any]) -> Committed:
    """What the manifest and the result folder say about one run, its times taken apart for `expected_s`."""
    folder = results_root() / entry["results"]
    metrics = json.loads((folder / "metrics.json").read_text())
    config = entry["config"]
    phase2 = metrics.get("intermediate") or {}
    train = metrics.get("train") or {}
    trained_here = train.get("trained_here")  # None: no shared model; True: it trained one; False: found it cached
    phase2_s, train_s = float(phase2.get("wall_s") or 0.0), float(train.get("wall_s") or 0.0)
    shared_s = train_s if trained_here is not None else 0.0
    own_train_s = 0.0 if trained_here is False else train_s
    # a run that trained its phase 2 itself took at least that plus its own training (one that found it cached did not)
    trained_phase2 = "config" in phase2 and float(metrics.get("wall_s") or 0.0) >= phase2_s + own_train_s
    recorded_s = float(entry.get("notebook_wall_s") or 0.0)
    own_s = recorded_s - (phase2_s if trained_phase2 else 0.0) - (shared_s if trained_here else 0.0)
    cells = entry.get("cells", {})
    target = cells.get("target") or cells.get("retrieval") or str(metrics.get("task"))
    return Committed(label=label, folder=folder, target=target,
                     setting=cells.get("intermediate", "baseline"), recorded_s=recorded_s, own_s=max(own_s, 0.0),
                     phase2=runs.config_hash(phase2["config"])[:16] if "config" in phase2 else "", phase2_s=phase2_s,
                     shared=_shared_key(config) if trained_here is not None else "", shared_s=shared_s)


def _shared_key(config: dict[str, Any]) -> str:
    """Targets with the same config but for what they evaluate share one phase-3 model (an estimate's key only)."""
    evaluation = ("task", "languages", "eval_limit", "eval_batch_size")
    training = {k: v for k, v in config["target"].items() if k not in evaluation}
    return runs.config_hash({**config, "target": training})[:16]


def expected_s(planned: list[Committed]) -> list[float]:
    """Each run's expected seconds in this order: its own time, plus the phase 2 and the shared phase-3 model
    that the first run needing them trains (a re-made run finds nothing cached but what this reproduction made)."""
    trained, expected = set(), []
    for run in planned:
        seconds = run.own_s
        for key, cost in ((run.phase2, run.phase2_s), (run.shared, run.shared_s)):
            if key and key not in trained:
                seconds += cost
                trained.add(key)
        expected.append(seconds)
    return expected


def choose(committed: list[Committed], sample: int | None, seed: int = 0) -> list[Committed]:
    """Every run (no sample), or `sample` of them spread over targets and settings, in manifest order."""
    if sample is None or sample >= len(committed):
        return list(committed)
    picked = set(stratified_sample({run.label: (run.target, run.setting) for run in committed}, sample, seed))
    return [run for run in committed if run.label in picked]


def stratified_sample(strata: dict[str, tuple[str, str]], n: int, seed: int = 0) -> list[str]:
    """`n` labels drawn with `seed`, covering as many distinct first and second strata (targets, settings) as
    `n` allows, then again over what is left, round by round, so no target or setting is drawn twice before
    every one has been drawn once. Depends only on the labels and their strata, not on their order."""
    remaining = sorted(strata)
    random.Random(seed).shuffle(remaining)
    chosen: list[str] = []
    while len(chosen) < n and remaining:
        round_ = _cover(remaining, strata, n - len(chosen))
        chosen += round_
        remaining = [label for label in remaining if label not in round_]
    return chosen


def _cover(candidates: list[str], strata: dict[str, tuple[str, str]], budget: int) -> list[str]:
    """At most `budget` candidates that together cover the most distinct strata: a largest set of candidates that
    pairwise share neither stratum (a maximum matching between firsts and seconds, each pick covering two new
    strata), then candidates that each cover one more."""
    picked = _matching(candidates, strata)[:budget]
    firsts, seconds = {strata[c][0] for c in picked}, {strata[c][1] for c in picked}
    for label in candidates:
        if len(picked) >= budget:
            break
        first, second = strata[label]
        if label not in picked and (first not in firsts or second not in seconds):
            picked.append(label)
            firsts.add(first)
            seconds.add(second)
    return picked


def _matching(candidates: list[str], strata: dict[str, tuple[str, str]]) -> list[str]:
    """A maximum matching of firsts to seconds (Kuhn's augmenting paths), its edges in candidate order."""
    by_first: dict[str, list[str]] = {}
    for label in candidates:
        by_first.setdefault(strata[label][0], []).append(label)
    holder: dict[str, str] = {}  # second stratum -> the label matched to it

    def augment(first: str, seen: set[str]) -> bool:
        for label in by_first[first]:
            second = strata[label][1]
            if second in seen:
                continue
            seen.add(second)
            if second not in holder or augment(strata[holder[second]][0], seen):
                holder[second] = label
                return True
        return False

    for first in by_first:
        augment(first, set())
    matched = set(holder.values())
    return [label for label in candidates if label in matched]
