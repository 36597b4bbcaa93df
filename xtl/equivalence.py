"""`python -m xtl.equivalence RUN_FOLDER ...`: check that this code makes a finished run's numbers again.

Every run records the fingerprint of the core code that made it (`xtl.runs.core_fingerprint`), and
`xtl run` re-runs nothing made by other code unless asked, reporting it *stale*. A refactor that only
moves code changes the fingerprint without changing a number. This command re-runs finished runs
with the code at hand, in a scratch folder, and compares what they produce with what they recorded:
the per-language metrics, the English dev score and the text of every prediction file (gzipped or,
in older runs, plain). When all of them match, it records the two fingerprints in `xtl/same_numbers.json` (with the runs checked,
the git revision and the date), and from then on runs made by either count as current
(`xtl.runs.same_numbers`). When anything differs, it prints the difference and records nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from xtl import atomic, compressed, runs
from xtl.errors import XtlError
from xtl.paths import environment, repo_relative

COMPARED = ("per_language", "english_dev", "average", "average_all_languages")


def rerun(folder: Path, scratch: Path) -> Path:
    """The run of `folder` made again by this code under `scratch`; its new result folder."""
    from xtl import experiment  # here, not above: torch takes 3.7 s; xtl.reproduction.compare imports this module

    config = json.loads((folder / "config.json").read_text())
    with environment(XTL_RESULTS=str(scratch / "results"), XTL_CHECKPOINTS=str(scratch / "checkpoints")):
        if "target" in config:
            return experiment.target(config, profile="same-numbers")
        if "retrieval" in config:
            return experiment.retrieval(config, profile="same-numbers")
    raise XtlError(f"{folder} is not a target or retrieval run (no 'target' or 'retrieval' in its config.json)")


def differences(recorded: Path, again: Path) -> list[str]:
    """What differs between two result folders of the same run (wall times and environments aside)."""
    old, new = (json.loads((f / "metrics.json").read_text()) for f in (recorded, again))
    found = [f"metrics.json {key}: {old.get(key)!r} then, {new.get(key)!r} now" for key in COMPARED
             if old.get(key) != new.get(key)]
    return found + differences_in_predictions(recorded, again)


def differences_in_predictions(recorded: Path, again: Path) -> list[str]:
    """The recorded prediction files that this code writes differently or no longer writes.

    A file only this code writes (say, predictions a task did not keep before) moves no number: it is
    an addition (`added_predictions`), not a difference.
    """
    old_files, new_files = (_prediction_files(f / "predictions") for f in (recorded, again))
    return [f"predictions/{name} differs" for name in sorted(old_files)
            if name not in new_files or compressed.read_text(old_files[name]) != compressed.read_text(new_files[name])]


def added_predictions(recorded: Path, again: Path) -> list[str]:
    """Prediction files (paths as written, below the run folder) that this code writes and the recorded run lacks."""
    old_files, new_files = (_prediction_files(f / "predictions") for f in (recorded, again))
    return sorted(str(new_files[name].relative_to(again)) for name in new_files.keys() - old_files.keys())


def adopt(recorded: Path, again: Path, names: list[str]) -> None:
    """Copy added prediction files into the recorded run folder, each by an atomic rename."""
    for name in names:
        atomic.copy_file(again / name, recorded / name)


def _prediction_files(folder: Path) -> dict[str, Path]:
    """A run's prediction files by what they hold (names without .gz: older runs kept them plain)."""
    return {str(p.with_name(compressed.logical_name(p)).relative_to(folder)): p
            for p in folder.rglob("*") if p.is_file()}


def record(made: str, current: str, checked: list[str]) -> None:
    """Add one class of equivalent fingerprints to SAME_NUMBERS_FILE (atomic write)."""
    path = runs.SAME_NUMBERS_FILE
    payload: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {
        "about": "Core fingerprints checked to make identical numbers (python -m xtl.equivalence).", "records": []}
    payload["records"].append({"fingerprints": [made, current], "checked_by": checked,
                               "git_revision": runs.git_revision(), "date": dt.date.today().isoformat()})
    runs.write_json(path, payload)


def check(folders: list[Path], adopt_added: bool = False) -> int:
    """Re-run `folders` and record their fingerprint as this code's when nothing differs.

    `adopt_added` copies the prediction files this code writes and the recorded runs lack into them
    (after every run matched), so runs made before a task kept its predictions gain them without a new run.
    """
    current = runs.core_fingerprint()
    made = {folder: runs.made_by(folder) for folder in folders}
    missing = [str(f) for f, m in made.items() if m is None]
    if missing:
        raise XtlError(f"no core fingerprint in {', '.join(missing)} (made before fingerprints); pick runs that have one")
    if len(set(made.values())) != 1:
        raise XtlError("the runs were made by different code; check one fingerprint at a time")
    old = next(iter(made.values()))
    if runs.same_numbers(old, current):
        print(f"{old} already counts as this code ({current}); nothing to check")
        return 0
    checked, failed, added = [], False, {}
    with tempfile.TemporaryDirectory(prefix="xtl-same-numbers-") as scratch:
        for folder in folders:
            again = rerun(folder, Path(scratch))
            found = differences(folder, again)
            added[folder] = (again, added_predictions(folder, again))
            label = f"{folder.parent.name}/{folder.name}"
            new_files = f" ({len(added[folder][1])} prediction files new in this code)" if added[folder][1] else ""
            print(f"{label}: " + ("same numbers and predictions" + new_files if not found else "; ".join(found)))
            failed |= bool(found)
            checked.append(label)
        if failed:
            print(f"not recorded: this code ({current}) does not make the numbers of {old}")
            return 1
        if adopt_added:
            for folder, (again, names) in added.items():
                adopt(folder, again, names)
            print(f"added {sum(len(names) for _, names in added.values())} prediction files to the recorded runs")
    record(old, current, checked)
    print(f"recorded in {repo_relative(runs.SAME_NUMBERS_FILE)}: {old} and {current} make the same numbers")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xtl.equivalence", description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="finished target or retrieval result folders")
    parser.add_argument("--adopt-added", action="store_true",
                        help="copy prediction files this code writes and the recorded runs lack into them")
    args = parser.parse_args(argv)
    try:
        for folder in args.folders:
            if not runs.is_complete(folder):
                raise XtlError(f"{folder} is not a finished result folder (no metrics.json)")
        return check(args.folders, adopt_added=args.adopt_added)
    except XtlError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
