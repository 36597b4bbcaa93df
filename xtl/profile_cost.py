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

    Columns label, kind, target, estimate_s, measured_s (NaN until the run is in the book's manifest, its
    own or that of a profile it extends, whose finished runs of the same config it copies).
    The estimate ignores this machine's checkpoint cache, so it gives the cost of a fresh clone.
    """
    with tempfile.TemporaryDirectory() as empty, environment(XTL_CHECKPOINTS=empty):
        planned = profiles.expand(profile, grid=grid)
    manifests = {name: book_index.read_manifest(name) for name in [profile, *profiles.ancestors(profile, grid)]}

    def measured(run: profiles.Run) -> float:  # its own time, else the time of the same run in a profile it extends
        for name, manifest in manifests.items():
            if run.label in manifest and (name == profile or run.in_profile(name).is_finished()):
                return manifest[run.label]["notebook_wall_s"]
        return float("nan")

    rows = [{"label": run.label, "kind": run.kind, "target": run.cells.get("target") or run.cells.get("retrieval"),
             "estimate_s": run.estimate_s, "measured_s": measured(run)} for run in planned]
    return pd.DataFrame(rows, columns=["label", "kind", "target", "estimate_s", "measured_s"])


def projected_s(cost_table: pd.DataFrame) -> float:
    """Seconds a profile takes at the pace its finished runs measured (`xtl.estimate.at_measured_pace`, grouped
    by kind and target): measured time for finished runs plus the scaled estimates of the others."""
    done = cost_table.dropna(subset=["measured_s"])
    todo = cost_table[cost_table["measured_s"].isna()]
    return float(done["measured_s"].sum() + estimate.at_measured_pace(
        [((r.kind, r.target), r.estimate_s) for r in todo.itertuples()],
        [((r.kind, r.target), r.estimate_s, r.measured_s) for r in done.itertuples()]))


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
