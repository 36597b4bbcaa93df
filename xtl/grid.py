"""The long grid in the background, from a worktree pinned at a commit, and its runs harvested back.

Why: the reference grid takes tens of CPU-hours spread over many working periods. It runs from a git
worktree pinned at one commit, so that editing the checkout never changes the code a run is made by,
and it resumes (`xtl run` reuses finished runs). `harvest` copies the runs it finished into the
checkout, to be committed there; `start` harvests before it moves the worktree, so no run is lost.

    python -m xtl.grid start reference-first:mnli-pawsx reference   # steps, one after the other
    python -m xtl.grid start reference:qqp-,sst2- // reference:hellaswag-   # two lanes at once
    python -m xtl.grid status | harvest | stop

A step is a profile, or `PROFILE:NAME,NAME` for `xtl run --profile PROFILE --only NAME NAME`. `//`
separates lanes: each lane runs its steps one after the other, all lanes at once, with the cores
shared out as torch threads. On 2 cores two 1-thread lanes paid for short tagging runs (1.23x) but
not for question answering (0.88x), `python -m benchmarks.lanes`: one lane is the default. Give
lanes disjoint intermediate settings, so that no two lanes train the same phase-2 encoder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from xtl.atomic import write_json
from xtl.errors import XtlError
from xtl.paths import repo_root

AUTOGROUP = Path("/proc/sys/kernel/sched_autogroup_enabled")


LANE_BREAK = "//"


@dataclass(frozen=True)
class Place:
    """Where the grid lives: the checkout, the worktree beside it, its log and its process id."""

    checkout: Path
    worktree: Path

    @classmethod
    def beside(cls, checkout: Path | None = None) -> Place:
        checkout = checkout or repo_root()
        return cls(checkout, Path(os.environ.get("XTL_GRID", checkout.parent / "grid")))

    @property
    def log(self) -> Path:
        return self.worktree.with_name(self.worktree.name + ".log")

    @property
    def pid_file(self) -> Path:
        return self.worktree.with_name(self.worktree.name + ".pid")


def parse_step(step: str) -> list[str]:
    """`reference:anli_plus-xquad-s0,squad` -> the arguments of `xtl run`."""
    profile, _, only = step.partition(":")
    if not profile:
        raise XtlError(f"grid step {step!r} names no profile; write PROFILE or PROFILE:NAME,NAME")
    names = [name for name in only.split(",") if name]
    return ["--profile", profile, *(["--only", *names] if names else [])]


def split_lanes(steps: list[str]) -> list[list[str]]:
    """`a b // c` -> [[a, b], [c]]; each step checked."""
    lanes: list[list[str]] = [[]]
    for step in steps:
        if step == LANE_BREAK:
            lanes.append([])
        else:
            parse_step(step)
            lanes[-1].append(step)
    if not all(lanes):
        raise XtlError(f"a grid lane has no step; write STEP ... {LANE_BREAK} STEP ...")
    return lanes


def running(place: Place) -> list[int]:
    """The process ids of the grid's lanes that are running."""
    try:
        pids = [int(word) for word in place.pid_file.read_text().split()]
    except (OSError, ValueError):
        return []
    return [pid for pid in pids if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def harvest(place: Place) -> list[str]:
    """Copy the runs the worktree finished (results, notebook, manifest entry) into the checkout."""
    copied: list[str] = []
    for grid_manifest in sorted((place.worktree / "book" / "runs").glob("*/runs.json")):
        profile = grid_manifest.parent.name
        main_manifest = place.checkout / "book" / "runs" / profile / "runs.json"
        merged = json.loads(main_manifest.read_text()) if main_manifest.is_file() else {}
        before = len(copied)
        for label, entry in json.loads(grid_manifest.read_text()).items():
            results = place.worktree / "results" / entry["results"]
            notebook = grid_manifest.parent / entry["notebook"]
            target = place.checkout / "results" / entry["results"]
            if not ((results / "metrics.json").is_file() and notebook.is_file()) or _tracked(place.worktree, results):
                continue  # unfinished, or made before the worktree's commit: the checkout has its own say
            if label in merged and target.is_dir():
                continue
            if not target.is_dir():
                shutil.copytree(results, target)
            (main_manifest.parent / entry["notebook"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(notebook, main_manifest.parent / entry["notebook"])
            merged[label] = entry
            copied.append(f"{profile}/{label} ({entry.get('notebook_wall_s', 0):.0f} s)")
        if len(copied) > before:
            write_json(main_manifest, merged)
    return copied


def _tracked(worktree: Path, folder: Path) -> bool:
    found = subprocess.run(["git", "-C", str(worktree), "ls-files", "--error-unmatch", str(folder / "metrics.json")],
                           check=False, capture_output=True)
    return found.returncode == 0


def start(place: Place, steps: list[str], commit: str = "HEAD") -> list[int]:
    """Harvest, pin the worktree at `commit`, switch autogroup off and start the lanes in the background."""
    lanes = split_lanes(steps)
    if pids := running(place):
        raise XtlError(f"a grid is running (pids {' '.join(map(str, pids))}, log {place.log}); stop it first: "
                       "python -m xtl.grid stop")
    if place.worktree.is_dir():
        for line in harvest(place):
            print(f"harvested {line}")
        _git(place.checkout, "worktree", "remove", "--force", str(place.worktree))
    _git(place.checkout, "worktree", "add", "--detach", str(place.worktree), commit)
    print(_autogroup_off())
    print(_state_at_commit(place, lanes[0][0]))
    threads = max(1, (os.cpu_count() or 1) // len(lanes))
    pids = [_launch(place, lane, threads) for lane in lanes]
    place.pid_file.write_text(" ".join(map(str, pids)))
    revision = _git(place.worktree, "rev-parse", "--short", "HEAD")
    for pid, lane in zip(pids, lanes, strict=True):
        print(f"grid lane started at {revision} (pid {pid}, {threads} torch threads): {' then '.join(lane)}")
    print(f"log {place.log}")
    return pids


def _state_at_commit(place: Place, step: str) -> str:
    """The first step's dry run at the pinned commit: how many runs its code counts as finished. A commit whose
    core code differs from the code that made the finished runs (and is not recorded as making the same numbers)
    reports them stale, and retrains the cached encoders they left."""
    env = {**os.environ, "PYTHONPATH": str(place.worktree)}
    dry = subprocess.run([sys.executable, "-m", "xtl.cli", "run", *parse_step(step), "--dry-run"], cwd=place.worktree,
                         env=env, check=False, capture_output=True, text=True)
    lines = [line for line in dry.stdout.splitlines() if line.startswith(("profile ", "kept as they are"))]
    if dry.returncode or not lines:
        return f"dry run of {step} at the pinned commit failed: {(dry.stderr.strip().splitlines() or ['?'])[-1]}"
    if any(line.startswith("kept as they are") for line in lines):
        lines.append("warning: the pinned commit's core code did not make these finished runs; pin the commit that "
                     "did (--commit) or record with python -m xtl.equivalence that both make the same numbers")
    return "\n".join(["at the pinned commit: " + lines[0], *lines[1:]])


def _launch(place: Place, steps: list[str], threads: int) -> int:
    """`drive` in its own session, importing xtl from the worktree, so it outlives this shell."""
    env = {**os.environ, "PYTHONPATH": str(place.worktree), "OMP_NUM_THREADS": str(threads),
           "MKL_NUM_THREADS": str(threads)}
    with place.log.open("a") as log:
        process = subprocess.Popen([sys.executable, "-m", "xtl.grid", "drive", *steps], cwd=place.worktree, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return process.pid


def _git(where: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(where), *args], check=False, capture_output=True, text=True)
    if done.returncode:
        raise XtlError(f"git {' '.join(args)} failed: {done.stderr.strip().splitlines()[-1]}")
    return done.stdout.strip()


def _autogroup_off() -> str:
    """With autogroup on, `nice` has no effect between sessions and anything started beside the grid halves it."""
    try:
        if AUTOGROUP.read_text().strip() == "0":
            return "autogroup: off"
        AUTOGROUP.write_text("0")
        return "autogroup: switched off"
    except OSError as error:
        return f"autogroup: left as it is ({error.strerror}); processes beside the grid share the cores evenly"


def drive(steps: list[str]) -> int:
    """Run the steps one after the other (in the worktree, in the background); the log says when each ended."""
    worst = 0
    for step in steps:
        print(f"== {time.strftime('%Y-%m-%dT%H:%M:%S')} step {step} (pid {os.getpid()})", flush=True)
        code = subprocess.run([sys.executable, "-m", "xtl.cli", "run", *parse_step(step)], check=False).returncode
        print(f"== {time.strftime('%Y-%m-%dT%H:%M:%S')} step {step} ended, status {code}", flush=True)
        worst = max(worst, code)
    return worst


def stop(place: Place) -> str:
    pids = running(place)
    if not pids:
        return "no grid is running"
    for pid in pids:
        os.killpg(pid, signal.SIGTERM)
    return (f"grid stopped (pids {' '.join(map(str, pids))}); the runs in progress are dropped, the finished ones "
            "stay for `harvest`")


def status(place: Place) -> str:
    pids = running(place)
    state = f"running, pids {' '.join(map(str, pids))}" if pids else "not running"
    tail = place.log.read_text().splitlines()[-4:] if place.log.is_file() else []
    return "\n".join([f"grid {state}; worktree {place.worktree}", *tail])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xtl.grid", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("start", help="harvest, pin the worktree and start the steps in the background")
    p.add_argument("steps", nargs="+", metavar="STEP", help="PROFILE or PROFILE:NAME,NAME; // starts another lane")
    p.add_argument("--commit", default="HEAD")
    sub.add_parser("drive", help=argparse.SUPPRESS).add_argument("steps", nargs="+")
    for name in ("harvest", "stop", "status"):
        sub.add_parser(name)
    args = parser.parse_args(argv)
    place = Place.beside()
    try:
        if args.command == "start":
            start(place, args.steps, args.commit)
        elif args.command == "drive":
            return drive(args.steps)
        elif args.command == "harvest":
            copied = harvest(place)
            print("\n".join(f"harvested {line}" for line in copied) or "nothing new to harvest")
            if copied:
                from xtl import book_index  # pandas and seqeval: only when there is a page to rewrite

                book_index.write_book_index()
        else:
            print(stop(place) if args.command == "stop" else status(place))
    except XtlError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
