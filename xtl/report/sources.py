"""Which result folders stand for a profile's runs, and which of its planned runs a claim still waits for.

`xtl run` copies a finished run of a profile this one extends (same config, so the same run id) into
this profile when the grid reaches it; until then the run exists in the ancestor only. The report reads
the profile's own folders and, for each planned run not there yet, the ancestor's copy, so the
reference profile's verdicts see its first column (reference-first) from the start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from xtl import profiles, results, runs
from xtl.errors import XtlError
from xtl.paths import results_root as default_results_root
from xtl.report.canonical import setting_kind
from xtl.report.claims import C4_TARGETS, ENGLISH_NLI

ENGLISH = ("baseline", "single", "multi")


def plan(profile: str) -> list[profiles.Run]:
    """The profile's planned runs (the dry run's list); empty for a profile the grid does not define."""
    try:
        return profiles.expand(profile)
    except XtlError:
        return []


def relative(run: profiles.Run) -> Path:
    """A planned run's result folder relative to its profile's folder (`<experiment>/<run id>`)."""
    return run.results.relative_to(default_results_root() / run.profile)


def own_folders(profile: str, root: Path) -> list[Path]:
    """The profile's complete result folders (metrics.json written; `.partial` ones are unfinished)."""
    return sorted(p.parent for p in (root / profile).glob("*/*/metrics.json") if not p.parent.name.endswith(".partial"))


def folders(profile: str, root: Path, planned: Iterable[profiles.Run], ancestors: Iterable[str]) -> list[Path]:
    """The profile's own folders, plus an ancestor's folder for every planned run this profile has not copied yet."""
    own = own_folders(profile, root)
    present = {folder.relative_to(root / profile) for folder in own}
    borrowed = []
    for run in planned:
        rel = relative(run)
        if rel in present:
            continue
        source = next((root / name / rel for name in ancestors if runs.is_complete(root / name / rel)), None)
        if source is not None:
            borrowed.append(source)
    return own + sorted(borrowed)


def ancestors(profile: str) -> list[str]:
    try:
        return profiles.ancestors(profile)
    except XtlError:
        return []


def load(profile: str, root: Path, planned: list[profiles.Run]) -> tuple[pd.DataFrame, list[Path]]:
    """One row per (run, language) of every folder that stands for the profile's runs, and those folders."""
    found = folders(profile, root, planned, ancestors(profile))
    frames = [frame for frame in (results.load_run(folder) for folder in found) if not frame.empty]
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=results.COLUMNS)), found


# --------------------------------------------------------------------------- what each claim waits for

def _kind(run: profiles.Run) -> str:
    inter = run.config.get("intermediate") or {}
    return setting_kind(list(inter.get("tasks") or []), float(inter.get("mlm_share") or 0) > 0)


def _target(run: profiles.Run) -> str | None:
    return run.cells.get("target") or run.cells.get("retrieval")


NEEDS: dict[str, Callable[[profiles.Run], bool]] = {
    "c1": lambda r: _kind(r) in ("baseline", "single"),
    "c2": lambda r: _kind(r) in ENGLISH,
    "c3": lambda r: _kind(r) in ENGLISH,
    "c4": lambda r: _kind(r) in ENGLISH and (r.kind == "intermediate" or _target(r) in C4_TARGETS),
    "c5": lambda r: _kind(r) in ENGLISH and r.kind != "retrieval",
    "c6": lambda r: _kind(r) in ("baseline", "mlm", "translated") or r.cells.get("intermediate") == ENGLISH_NLI,
}
"""The planned runs each claim's rule reads, by the kind of their intermediate setting (and target, for C4)."""


def finished(run: profiles.Run, root: Path, chain: list[str]) -> bool:
    """Finished in this profile or in a profile it extends (same run id)."""
    rel = relative(run)
    return any(runs.is_complete(root / name / rel) for name in [run.profile, *chain])


def pending(claim: str, planned: list[profiles.Run], root: Path) -> tuple[int, list[profiles.Run]]:
    """(how many planned runs the claim reads, those not finished yet)."""
    wanted = [run for run in planned if NEEDS[claim](run)]
    chain = ancestors(planned[0].profile) if planned else []
    return len(wanted), [run for run in wanted if not finished(run, root, chain)]


def run_names(waiting: list[profiles.Run]) -> str:
    """The dry run's names, grouped: 'target/hellaswag-{xnli, pawsx}-s0; intermediate/hellaswag-s0'."""
    groups: dict[tuple[str, str, int], list[str]] = {}
    for run in waiting:
        key = (run.experiment, run.cells.get("intermediate", "baseline"), int(run.config.get("seed", 0)))
        groups.setdefault(key, []).append(_target(run) or "")
    parts = []
    for (experiment, setting, seed), targets in groups.items():
        named = [t for t in targets if t]
        middle = "" if not named else f"-{named[0]}" if len(named) == 1 else f"-{{{', '.join(named)}}}"
        parts.append(f"{experiment}/{setting}{middle}-s{seed}")
    return "; ".join(parts)


def waiting_text(claim: str, planned: list[profiles.Run], root: Path) -> str:
    """A sentence for the claim page: how many of the planned runs it reads are finished, and which it waits for."""
    if not planned:
        return "This profile has no plan in experiments.yml, so no run is waited for."
    total, waiting = pending(claim, planned, root)
    if not total:
        return "This profile plans no run this claim reads."
    if not waiting:
        return f"All {total} planned runs this claim reads are finished."
    return (f"{total - len(waiting)} of the {total} planned runs this claim reads are finished; it waits for "
            f"{len(waiting)}: {run_names(waiting)}.")
