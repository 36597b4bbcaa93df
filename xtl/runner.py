"""`xtl run`: execute each run of a profile's grid with papermill, after checking the whole grid and the kit.

`xtl.profiles.expand` builds and validates every run before anything executes; then `preflight` checks the
kit files of every task the runs read (sha256). Executed notebooks land atomically in
`<book runs>/<profile>/<experiment>/<run>.ipynb`; a run whose notebook exists and whose result
folder is complete is skipped, so re-running after an interruption redoes only what is unfinished.
A finished run whose env.json names another core fingerprint (`xtl.runs.core_fingerprint`), one not
recorded as making the same numbers (`xtl.equivalence`), is reported stale, one without a fingerprint
as of unknown code; both are kept until `--rerun-stale`.
Each finished run is recorded in the profile's manifest, and the book's index page rewritten
(`xtl.book_index`). The last line says how many runs were made, reused, copied or kept though stale
(`summary_line`); `last_summary` reads it back, so `make book` can end with it.

The run templates call `xtl.runner.config_from_parameters` (and the teaching notebook
`xtl.runner.parameter_value`); both live in `xtl.notebook_parameters` and are re-exported here for them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xtl import atomic, notebook_paths, profile_cost, runs
from xtl.book_index import read_manifest, record, record_copy, write_book_index
from xtl.errors import XtlError
from xtl.estimate import format_duration
from xtl.kit import check_kit
from xtl.notebook_parameters import config_from_parameters, parameter_value
from xtl.paths import BOOK_RUNS_ENV, book_runs_root, cache_root, repo_relative, repo_root, results_root
from xtl.profiles import STALE, UNKNOWN, Run, ancestors, expand, load_grid

# config_from_parameters, parameter_value and format_duration: re-exported for the notebooks
__all__ = ["BOOK_RUNS_ENV", "Executor", "Run", "book_runs_root", "config_from_parameters", "execute_notebook",
           "format_duration", "last_summary", "parameter_value", "preflight", "run_profile", "summary_line"]


def _failed_root() -> Path:
    """Failed and in-progress notebooks live outside the book, so a book build never sees them.

    Keyed by the book folder, so two checkouts (or a test and a real run) never share it.
    """
    book = str(book_runs_root().resolve())
    return cache_root() / "runner" / runs.config_hash({"book": book})[:8]


Executor = Callable[[Path, Path, dict[str, Any]], None]


def execute_notebook(template: Path, output: Path, parameters: dict[str, Any]) -> None:
    """papermill with kernel python3, cwd the repository root, no cell output echoed.

    What the kernel process itself writes to stderr (its start-up warnings, native panics) goes
    to `<output>.log` instead of the terminal, which shows only the progress lines.
    """
    import papermill  # here, not above: 1.2 s to import, and only executing a run needs it

    with _stderr_to(output.with_suffix(".log")):
        papermill.execute_notebook(str(template), str(output), parameters=parameters, kernel_name="python3",
                                   cwd=str(repo_root()), log_output=False, progress_bar=False)


@contextlib.contextmanager
def _stderr_to(path: Path):
    """Point file descriptor 2 (inherited by the kernel) at `path` for the duration."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(path, "ab") as handle:
            os.dup2(handle.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def run_profile(profile: str, only: list[str] | None = None, dry_run: bool = False, force: bool = False,
                grid: dict[str, Any] | Path | None = None, executor: Executor | None = None,
                out=None, rerun_stale: bool = False, render: bool = False) -> list[Run]:
    """Validate the whole grid and the kit, then execute what is unfinished (or everything with `force`).

    Finished runs made by other core code (stale) or before fingerprints (unknown code) are listed and kept;
    `rerun_stale` re-executes them. `render` re-executes only the notebooks of finished phase-3 and
    retrieval runs, which read their result folders and train nothing, after a template changed; the
    manifest keeps the times of the runs that made the results.
    """
    out = out or sys.stdout
    executor = executor or execute_notebook
    grid = grid if isinstance(grid, dict) else load_grid(grid)  # read once: the cost summary expands it again
    planned = expand(profile, only=only, grid=grid)
    preflight(planned)
    states = {run.label: run.state(runs.core_fingerprint()) for run in planned}
    copies = {} if force or render else _finished_in_ancestors(planned, states, ancestors(profile, grid))
    if render:  # a phase-2 notebook would retrain (its encoder cache is not committed): not re-rendered
        todo = {run.label for run in planned if states[run.label] != "todo" and run.kind != "intermediate"}
    else:
        todo = {label for label, state in states.items() if label not in copies
                and (force or state == "todo" or (rerun_stale and state in (STALE, UNKNOWN)))}
    print(f"profile {profile}: {len(planned)} runs, {len(planned) - len(todo)} finished, {len(todo)} to run "
          f"(estimated {format_duration(sum(r.estimate_s for r in planned if r.label in todo))}); notebooks in "
          f"{repo_relative(book_runs_root() / profile)}, results in {repo_relative(results_root() / profile)}", file=out, flush=True)
    kept = {state: sum(states[label] == state and label not in todo for label in states) for state in (STALE, UNKNOWN)}
    if any(kept.values()):
        print(f"kept as they are: {kept[STALE]} finished by other core code (stale), {kept[UNKNOWN]} of unknown code "
              "(no fingerprint); --rerun-stale runs them again", file=out, flush=True)
    if dry_run:
        for k, run in enumerate(planned, 1):
            state = states[run.label] + (", rerun" if run.label in todo and states[run.label] != "todo" else "")
            if run.label in copies:
                state = f"finished in {copies[run.label].profile}, to copy"
            print(f"[{k}/{len(planned)}] {run.label:55} {state}  ~{format_duration(run.estimate_s)}", file=out)
        if only is None:
            print(profile_cost.summary(profile, grid), file=out)
        return planned
    start, actual, estimated = time.perf_counter(), 0.0, 0.0
    for k, run in enumerate(planned, 1):
        prefix = f"[{k}/{len(planned)}] {run.label} ..."
        if run.label in copies:
            _copy(run, copies[run.label])
            print(f"{prefix} finished in profile '{copies[run.label].profile}', copied", file=out, flush=True)
            continue
        if run.label not in todo:
            why = {STALE: " by other core code (stale), kept", UNKNOWN: " by unknown code, kept"}
            print(f"{prefix} finished earlier{why.get(states[run.label], ', skipped')}", file=out, flush=True)
            continue
        print(prefix, end=" ", file=out, flush=True)
        run_start = time.perf_counter()
        _execute(run, executor, not render and (force or states[run.label] != "todo"))
        took = time.perf_counter() - run_start
        actual, estimated = actual + took, estimated + run.estimate_s
        remaining = sum(r.estimate_s for r in planned[k:] if r.label in todo) * (actual / estimated if estimated else 1)
        if not render:
            record(run, took)
        print(f"done in {format_duration(took)} | elapsed {format_duration(time.perf_counter() - start)} | "
              f"~{format_duration(remaining)} left", file=out, flush=True)
    write_book_index(profile)
    line = summary_line(profile, states, todo, copies, render)
    print(line, file=out, flush=True)
    runs.write_json(last_summary_path(profile), {"summary": line})
    return planned


def summary_line(profile: str, states: dict[str, str], todo: set[str], copies: dict[str, Run], render: bool) -> str:
    """What a finished `xtl run` did, in one line: runs made (or re-rendered), reused, copied, kept though stale."""
    untouched = [state for label, state in states.items() if label not in todo and label not in copies]
    reused, kept = untouched.count("done"), untouched.count(STALE) + untouched.count(UNKNOWN)
    sources = sorted({source.profile for source in copies.values()})
    parts = [f"{len(todo)} {'re-rendered' if render else 'made'}", f"{reused} reused (finished earlier by this code)"]
    if copies:
        parts.append(f"{len(copies)} copied from {', '.join(sources)}")
    parts.append(f"{kept} kept though stale" + (" (made by other or unknown core code; --rerun-stale re-makes them)"
                                                if kept else ""))
    return f"xtl run --profile {profile}: {len(states)} runs: " + ", ".join(parts)


def last_summary_path(profile: str) -> Path:
    """Where the last finished `xtl run` of a profile left its summary line (the runner's scratch space)."""
    return _failed_root() / f"last-run-{profile}.json"


def last_summary(profile: str) -> str:
    """The summary line of the last finished `xtl run --profile <profile>` here (`make book` ends with it)."""
    path = last_summary_path(profile)
    if not path.is_file():
        return f"xtl run --profile {profile} has not finished here yet"
    return json.loads(path.read_text())["summary"]


def _finished_in_ancestors(planned: list[Run], states: dict[str, str], profiles: list[str]) -> dict[str, Run]:
    """Unfinished runs that a profile this one extends has finished, current, with the same config (run id)."""
    found = {}
    for run in planned:
        if states[run.label] != "todo" or run.results.exists() or run.notebook.exists():
            continue  # only copy into an empty place
        for name in profiles:
            source = run.in_profile(name)
            if source.state(runs.core_fingerprint()) == "done" and source.label in read_manifest(name):
                found[run.label] = source
                break
    return found


def _copy(run: Run, source: Run) -> None:
    """Copy a finished run of another profile into this one: result folder and notebook, each renamed into
    place (atomic), then the manifest entry with the time measured there."""
    with atomic.folder(run.results) as staging:
        shutil.copytree(source.results, staging, dirs_exist_ok=True)
    atomic.copy_file(source.notebook, run.notebook)
    record_copy(run, source)


def preflight(planned: list[Run]) -> None:
    """Before the first run: the kit is there and intact for every task the runs read, and the output folders
    can be written. (Every run's parameters were validated by `expand`.)"""
    cache_root()  # refuses a cache path that cannot be a folder
    for variable, where in (("XTL_RESULTS", results_root()), (BOOK_RUNS_ENV, book_runs_root())):
        if where.exists() and not where.is_dir():
            raise XtlError(f"{where} is a file, not a folder; point {variable} at a folder")
    check_kit(sorted({name for run in planned for name in run.reads()}))


def _execute(run: Run, executor: Executor, force: bool) -> None:
    """Execute into a temporary file outside the book, then move it into place."""
    temporary = _failed_root() / "partial" / run.profile / run.experiment / f"{run.name}.ipynb"
    failed = _failed_root() / "failed" / run.profile / run.experiment / f"{run.name}.ipynb"
    log = temporary.with_suffix(".log")
    temporary.parent.mkdir(parents=True, exist_ok=True)
    for stale in (temporary, log, failed, failed.with_suffix(".log")):
        stale.unlink(missing_ok=True)
    parameters = dict(run.parameters)
    if "force" in parameters:
        parameters["force"] = force
    try:
        executor(run.template, temporary, parameters)
    except KeyboardInterrupt:
        temporary.unlink(missing_ok=True)
        log.unlink(missing_ok=True)
        raise
    except Exception as error:  # noqa: BLE001 - papermill: a cell raised, or the kernel died
        if temporary.is_file():
            where = f"the traceback is in {_keep_failed(temporary, failed)}"
        else:
            where = f"no notebook was written ({type(error).__name__}: {(str(error).splitlines() or [''])[0][:200]})"
        raise XtlError(f"run {run.label} of profile '{run.profile}' failed: {where}; fix it and re-run "
                       f"(finished runs are kept)") from None
    if not runs.is_complete(run.results):
        raise XtlError(f"run {run.label} finished but wrote no results to {run.results}; the template must pass "
                       f"its parameters to xtl unchanged (see {_keep_failed(temporary, failed)})")
    run.notebook.parent.mkdir(parents=True, exist_ok=True)
    staging = run.notebook.with_name(f".{run.name}.partial")  # same folder: the rename is atomic
    shutil.copyfile(temporary, staging)
    notebook_paths.clean_notebook_file(staging)  # the book reads the same on every machine
    os.replace(staging, run.notebook)
    temporary.unlink(missing_ok=True)
    log.unlink(missing_ok=True)


def _keep_failed(temporary: Path, failed: Path) -> Path:
    """Move a failed notebook (and its kernel log) where the error message points."""
    failed.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(temporary), failed)
    if temporary.with_suffix(".log").is_file():
        shutil.move(str(temporary.with_suffix(".log")), failed.with_suffix(".log"))
    return failed

