"""`python -m benchmarks.lanes`: do two runs at once with one thread each finish more work per hour than
one run after the other with all the cores?

Why: the reference grid is tens of CPU-hours on 2 cores. A run is not all matrix products: reading the
kit, tokenising, Python between batches, scoring and writing use one core, so a second run can fill
the gaps. This re-makes two finished runs in scratch folders (`xtl.equivalence.rerun`; the committed
folders are untouched and each re-made run must give the same numbers), once one after the other with
`cpu_count` torch threads and once both at once with `cpu_count // 2` threads each, in the order given
(alternate `--order` between replicates, so that a drift of the machine does not favour one side).
Each replicate is appended to benchmarks/results/lanes.json; the table goes to
book/_generated/lanes_table.md. Needs a quiet machine: never time it beside a grid.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.machine import RESULTS, environment, exit_status
from xtl.errors import XtlError
from xtl.paths import repo_root, results_root

RESULT = RESULTS / "lanes.json"
TABLE = repo_root() / "book" / "_generated" / "lanes_table.md"
RUNS = ("reference-first/target/udpos-baseline-me5-small-s0-53a8b8a5b3",
        "reference-first/target/panx-baseline-me5-small-s0-443b4fc369")
REMAKE = ("import sys, tempfile; from pathlib import Path; from xtl import equivalence; "
          "folder = Path(sys.argv[1]); again = equivalence.rerun(folder, Path(tempfile.mkdtemp(dir=sys.argv[2]))); "
          "found = equivalence.differences(folder, again); print('; '.join(found) or 'same'); sys.exit(1 if found else 0)")


def _start(folder: Path, threads: int, scratch: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    return subprocess.Popen([sys.executable, "-c", REMAKE, str(folder), str(scratch)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait(process: subprocess.Popen[str], began: float, name: str) -> float:
    output, _ = process.communicate()
    if process.returncode:
        raise XtlError(f"re-making {name} did not give its numbers again: {output.strip().splitlines()[-1]}")
    return time.perf_counter() - began


def serial(folders: list[Path], cores: int, scratch: Path) -> list[float]:
    """Each run alone with every core, one after the other: seconds each."""
    return [_wait(_start(folder, cores, scratch), time.perf_counter(), folder.name) for folder in folders]


def parallel(folders: list[Path], cores: int, scratch: Path) -> list[float]:
    """All runs at once, the cores shared out: seconds from the common start to each run's end."""
    began = time.perf_counter()
    started = [_start(folder, max(1, cores // len(folders)), scratch) for folder in folders]
    return [_wait(process, began, folder.name) for process, folder in zip(started, folders, strict=True)]


def replicate(folders: list[Path], order: str, note: str = "") -> dict[str, Any]:
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="lanes-") as scratch:
        sides = {"serial": lambda: serial(folders, cores, Path(scratch)),
                 "parallel": lambda: parallel(folders, cores, Path(scratch))}
        first, second = ("parallel", "serial") if order == "parallel-first" else ("serial", "parallel")
        times = {first: sides[first](), second: sides[second]()}
    serial_s, parallel_s = sum(times["serial"]), max(times["parallel"])
    return {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "order": order,
            "runs": [folder.name for folder in folders], "serial_s": [round(t, 1) for t in times["serial"]],
            "parallel_s": [round(t, 1) for t in times["parallel"]], "serial_total_s": round(serial_s, 1),
            "parallel_total_s": round(parallel_s, 1), "gain": round(serial_s / parallel_s, 3),
            "same_numbers": True, "note": note, "machine": environment()}


def table(replicates: list[dict[str, Any]]) -> list[str]:
    header = ("| date | order | runs | one after the other, all cores (s) | at once, cores shared (s) | "
              "runs per hour, at once / one after the other | note |")
    lines = [header, "|---|---|---|---|---|---|---|"]
    for r in replicates:
        lines.append(f"| {r['date'][:16].replace('T', ' ')} | {r['order']} | {', '.join(r['runs'])} | "
                     f"{r['serial_total_s']:.0f} | {r['parallel_total_s']:.0f} | {r['gain']:.2f}x | {r['note']} |")
    return lines


def main(order: str = "parallel-first", note: str = "", runs: list[str] | None = None) -> None:
    folders = [results_root() / name for name in (runs or RUNS)]
    for folder in folders:
        if not (folder / "metrics.json").is_file():
            raise XtlError(f"no finished run at {folder}; name finished result folders with --runs")
    result = {"replicates": []}
    if RESULT.is_file():
        result = json.loads(RESULT.read_text())
    result["replicates"].append(replicate(folders, order, note))
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=1) + "\n")
    write_table(result)


def observations(result: dict[str, Any]) -> list[str]:
    """The grid's own runs timed in lanes, against the same work alone (written by hand from the grid's log)."""
    rows = result.get("observations", [])
    if not rows:
        return []
    lines = ["", result.get("observations_note", ""), "",
             "| work | 1 thread in a lane (s) | 2 threads alone (s) | slower by | runs per hour, two lanes / one |",
             "|---|---|---|---|---|"]
    for o in rows:
        lines.append(f"| {o['work']} | {o['one_thread_in_a_lane_s']:.0f} | {o['two_threads_alone_s']:.0f} | "
                     f"{o['slowdown']:.2f}x | {2 / o['slowdown']:.2f}x |")
    return lines


def write_table(result: dict[str, Any]) -> None:
    lines = table(result["replicates"]) + observations(result)
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lanes", description=__doc__.split("\n\n")[0])
    parser.add_argument("--order", choices=("parallel-first", "serial-first"), default="parallel-first")
    parser.add_argument("--note", default="", help="what else ran on the machine, if anything")
    parser.add_argument("--runs", nargs="+", default=None, help="finished result folders, relative to results/")
    args = parser.parse_args(argv)
    return exit_status(lambda: main(args.order, args.note, args.runs))


if __name__ == "__main__":
    raise SystemExit(_cli())
