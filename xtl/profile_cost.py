"""What a profile costs: every run's estimate from scratch beside the time it measured, and the
whole profile at the pace its finished runs measured.

`xtl run --dry-run` prints `summary`; the sizes page tabulates `table` for each profile.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from xtl import book_index, estimate, profiles
from xtl.estimate import format_duration
from xtl.paths import environment


def table(profile: str, grid: dict | Path | None = None) -> pd.DataFrame:
    """Every run of a profile: its estimate from scratch (no cached phase 2) and, once run, its measured time.

    Columns label, kind, target, estimate_s, estimate_then_s, measured_s. `estimate_s` ignores this
    machine's checkpoint cache, so it gives the cost of a fresh clone. A finished run is in the book's
    manifest, its own or that of a profile it extends (whose finished runs of the same config it
    copies): `measured_s` is its notebook time and `estimate_then_s` what it was estimated to cost when
    it ran, which leaves out a phase-2 encoder or shared model it found cached. Both are NaN until then.
    """
    with tempfile.TemporaryDirectory() as empty, environment(XTL_CHECKPOINTS=empty):
        planned = profiles.expand(profile, grid=grid)
    manifests = {name: book_index.read_manifest(name) for name in [profile, *profiles.ancestors(profile, grid)]}

    def entry(run: profiles.Run) -> dict:  # its own record, else that of the same run in a profile it extends
        for name, manifest in manifests.items():
            if run.label in manifest and (name == profile or run.in_profile(name).is_finished()):
                return manifest[run.label]
        return {}

    rows = []
    for run in planned:
        found = entry(run)
        rows.append({"label": run.label, "kind": run.kind,
                     "target": run.cells.get("target") or run.cells.get("retrieval"), "estimate_s": run.estimate_s,
                     "estimate_then_s": found.get("estimate_s", run.estimate_s) if found else float("nan"),
                     "measured_s": found.get("notebook_wall_s", float("nan"))})
    return pd.DataFrame(rows, columns=["label", "kind", "target", "estimate_s", "estimate_then_s", "measured_s"])


def projected_s(cost_table: pd.DataFrame) -> float:
    """Seconds a fresh clone takes for the profile at the pace its finished runs measured.

    The pace of a group (kind and target) is measured over estimated-when-run time of its finished runs
    (`xtl.estimate.at_measured_pace`). A finished run counts its measured time plus, at that pace, the
    training it found cached (estimated from scratch, not paid when it ran); the others their estimate
    from scratch at that pace.
    """
    done = cost_table.dropna(subset=["measured_s"])
    todo = cost_table[cost_table["measured_s"].isna()]
    left = [((r.kind, r.target), r.estimate_s) for r in todo.itertuples()]
    cached = [((r.kind, r.target), max(r.estimate_s - r.estimate_then_s, 0.0)) for r in done.itertuples()]
    return float(done["measured_s"].sum() + estimate.at_measured_pace(
        left + cached, [((r.kind, r.target), r.estimate_then_s, r.measured_s) for r in done.itertuples()]))


def summary(profile: str, grid: dict | Path | None = None) -> str:
    """One line: the whole profile from scratch on the prior and, once runs have finished, at their pace."""
    cost = table(profile, grid)
    finished = cost.dropna(subset=["measured_s"])
    line = f"whole profile from scratch: {len(cost)} runs, {format_duration(cost['estimate_s'].sum())} on the prior"
    if finished.empty:
        return line + " (no run measured yet)"
    runs = f"{len(finished)} run{'s' if len(finished) != 1 else ''}"
    return (f"{line}; {format_duration(projected_s(cost))} at the pace of the {runs} measured so far "
            f"({format_duration(finished['measured_s'].sum())} of them)")
