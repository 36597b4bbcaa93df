"""`make reproduce` (`python -m xtl.reproduction`): re-make a profile's committed runs, record how far apart they are.

Each run is made again by `xtl.equivalence.rerun` in a scratch folder under the cache (the committed result
folders are only read), with the phase-2 encoders it trains kept there for the runs after it, and compared
with the committed run (`compare`). The report is rewritten after every run (`report`), so a kill loses at
most the run in progress, and calling again with the same request at the same revision resumes: runs the
report already holds are not re-made. One line per run shows how it went and what is left.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from xtl import runs
from xtl.cli import _Parser  # the project's one-line argument errors
from xtl.errors import XtlError
from xtl.estimate import format_duration
from xtl.paths import cache_root, repo_relative, repo_root
from xtl.reproduction import plan, report
from xtl.reproduction.compare import compare

PAGE = repo_root() / "book" / "reproduction.md"

Remake = Callable[[Path, Path], Path]  # (committed folder, scratch) -> the folder of the run made again


def remake(folder: Path, scratch: Path) -> Path:
    """The run of `folder` made again by this code under `scratch`; its training output goes to scratch/remake.log."""
    from xtl import equivalence  # lazy: torch, and only a real re-run needs it

    with open(scratch / "remake.log", "a", encoding="utf-8") as log, contextlib.redirect_stdout(log), \
            contextlib.redirect_stderr(log):
        print(f"--- {folder}", flush=True)
        return equivalence.rerun(folder, scratch)


def machine() -> dict[str, Any]:
    """The CPU model, its cores, torch's thread count and the accelerator, if any: what a reader needs to judge
    whether a difference could come from the machine."""
    import torch  # lazy: only a real re-run needs it

    cpu = None
    with contextlib.suppress(OSError):
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), None)
    return {"cpu": cpu or platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "accelerator": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def reproduce(profile: str, sample: int | None = None, seed: int = 0, remake_run: Remake = remake,
              describe: Callable[[], dict[str, Any]] = machine, page: Path | None = None, out: TextIO | None = None,
              dry_run: bool = False) -> int:
    """Re-make the profile's committed runs (or `sample` of them) not yet in this revision's report; compare each.

    Returns 0 when every re-made run has the committed numbers and predictions, 1 when any differs. `dry_run`
    lists the runs to re-make and what each should cost, and writes nothing.
    """
    out = out or sys.stdout
    committed, phase2_only = plan.committed_runs(profile)
    request = {"sample": sample, "seed": seed if sample else None}
    revision, fingerprint, folder = runs.git_revision(), runs.core_fingerprint(), report.reports_folder()
    path = report.find_resumable(folder, profile, request, revision, fingerprint)
    by_label = {run.label: run for run in committed}
    if path is not None:
        record = json.loads(path.read_text())
        planned = [by_label[label] for label in record["planned"] if label in by_label]
    else:
        planned = plan.choose(committed, sample, seed)
        record = report.new_report(profile, request, revision, fingerprint, [run.label for run in planned],
                                   len(committed), phase2_only)
        path = report.file_name(folder, record)
    expected = dict(zip([run.label for run in planned], plan.expected_s(planned)))
    todo = [run for run in planned if run.label not in record["runs"]]
    print(f"reproduce {profile}: {len(planned)} of its {len(committed)} committed target and retrieval runs"
          f"{' (a sample spread over targets and settings)' if sample and len(planned) < len(committed) else ''}; "
          f"{len(planned) - len(todo)} compared earlier at this revision, {len(todo)} to re-make "
          f"(~{format_duration(sum(expected[run.label] for run in todo))} at the times measured when they ran); "
          f"report {repo_relative(path)}", file=out, flush=True)
    if dry_run:
        for k, run in enumerate(todo, 1):
            print(f"[{k}/{len(todo)}] {run.label:45} ~{format_duration(expected[run.label])}", file=out)
        print("dry run: nothing re-made, no report written", file=out)
        return 0
    report.save(path, record)
    scratch = cache_root() / "reproductions" / f"{profile}-{fingerprint}"
    _remake_all(todo, expected, record, path, scratch, remake_run, describe, page, out)
    if page is not None:
        report.write_page(page, folder)
    shutil.rmtree(scratch, ignore_errors=True)  # its phase-2 encoders are large; a finished report needs none
    print(f"{report.summary_line(profile, folder)}; report {repo_relative(path)}", file=out, flush=True)
    return 0 if all(outcome["same"] for outcome in record["runs"].values()) else 1


def _remake_all(todo: list[plan.Committed], expected: dict[str, float], record: dict[str, Any], path: Path,
                scratch: Path, remake_run: Remake, describe: Callable[[], dict[str, Any]], page: Path | None,
                out: TextIO) -> None:
    """Re-make, compare and record each run in turn, saving the report after each, with a progress line."""
    start, spent, estimated = time.perf_counter(), 0.0, 0.0
    for k, run in enumerate(todo, 1):
        shutil.rmtree(scratch / "results", ignore_errors=True)  # a killed run's leftovers; each run is made afresh
        scratch.mkdir(parents=True, exist_ok=True)
        run_start = time.perf_counter()
        again = remake_run(run.folder, scratch)
        took = time.perf_counter() - run_start
        comparison = compare(run.folder, again)
        report.add_run(record, run.label, {
            **comparison.to_dict(), "target": run.target, "setting": run.setting,
            "committed": repo_relative(run.folder), "committed_fingerprint": runs.made_by(run.folder),
            "wall_s": round(took, 1), "recorded_s": run.recorded_s,
            "date": report.now(), "git_revision": record["git_revision"], "machine": describe()})
        report.save(path, record)
        if page is not None:
            report.write_page(page, path.parent)
        spent, estimated = spent + took, estimated + expected[run.label]
        left = sum(expected[r.label] for r in todo[k:]) * (spent / estimated if estimated else 1.0)
        elapsed = format_duration(time.perf_counter() - start)
        print(f"[{k}/{len(todo)}] {run.label} ... {_outcome(comparison)} | {format_duration(took)} (committed run: "
              f"{format_duration(run.recorded_s)}) | elapsed {elapsed} | ~{format_duration(left)} left",
              file=out, flush=True)


def _outcome(comparison) -> str:
    if comparison.same:
        return "same numbers and predictions"
    share = comparison.share_differing
    predictions = f"{comparison.differing_lines:,} of {comparison.prediction_lines:,} prediction lines ({share:.1%})" \
        if share is not None else "no predictions kept"
    missing = f", {len(comparison.missing_files)} prediction files missing" if comparison.missing_files else ""
    return f"DIFFERS: largest metric difference {comparison.metric_max_diff:.2f}, {predictions}{missing}"


def sample_size(text: str | None) -> int | None:
    """SAMPLE as given on the command line: empty for every run, else a positive whole number."""
    if text is None or text.strip() == "":
        return None
    if not re.fullmatch(r"\s*\d+\s*", text) or int(text) < 1:
        raise XtlError(f"SAMPLE must be a positive whole number of runs, not '{text}'; "
                       "e.g. make reproduce PROFILE=reference SAMPLE=5 (or leave SAMPLE out to re-make every run)")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m xtl.reproduction", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="laptop", help="the profile whose committed runs to re-make")
    parser.add_argument("--sample", default=None, help="re-make this many runs, spread over targets and settings")
    parser.add_argument("--seed", type=int, default=0, help="the seed that draws the sample")
    parser.add_argument("--page", type=Path, default=PAGE, help="the book page to rewrite from the reports")
    parser.add_argument("--page-only", action="store_true", help="only rewrite the book page from the reports")
    parser.add_argument("--dry-run", action="store_true", help="list the runs to re-make and their cost; write nothing")
    args = parser.parse_args(argv)
    try:
        if args.page_only:
            report.write_page(args.page)
            print(f"wrote {repo_relative(args.page)} from {repo_relative(report.reports_folder())}")
            return 0
        return reproduce(args.profile, sample_size(args.sample), args.seed, page=args.page, dry_run=args.dry_run)
    except XtlError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the runs compared so far are in the report; run the same command again to resume",
              file=sys.stderr)
        return 130
