"""Reproduction reports: the JSON record, its markdown table, the book's page and the intro's line.

A report is `results/reproductions/<profile>-<date>-<revision>[-sample<N>].json`, rewritten atomically after
every re-made run (with its markdown table beside it), so a killed reproduction leaves a valid report that
the next call resumes. The book's page and the intro's line are computed from these files, never typed.
Light on purpose (no torch, no pandas): the claims notebook imports it for the intro's line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from xtl import runs
from xtl.estimate import format_duration
from xtl.paths import results_root

FOLDER = "reproductions"
COMMAND = "make reproduce"
MAX_LISTED_DIFFERENCES = 20  # per run, to keep a report small when a whole model differs


def reports_folder() -> Path:
    """Where reports live: `<results>/reproductions` (beside the profiles' result folders, never inside one)."""
    return results_root() / FOLDER


def new_report(profile: str, request: dict[str, Any], revision: str | None, fingerprint: str, planned: list[str],
               committed: int, phase2_only: int) -> dict[str, Any]:
    """An empty report for re-making `planned` (labels) of a profile's `committed` target and retrieval runs."""
    started = now()
    return {"about": f"Committed runs re-made by this code in a scratch folder and compared ({COMMAND}).",
            "profile": profile, "request": request, "git_revision": revision, "core_fingerprint": fingerprint,
            "started": started, "updated": started, "committed_runs": committed, "phase2_only_runs": phase2_only,
            "planned": planned, "runs": {}}


def file_name(folder: Path, report: dict[str, Any]) -> Path:
    """A new report's path: profile, start date, revision and sample size in the name, numbered if taken."""
    sample = report["request"].get("sample")
    stem = "-".join([report["profile"], report["started"][:10], (report["git_revision"] or "norevision")[:7]]
                    + ([f"sample{sample}"] if sample else []))
    path, k = folder / f"{stem}.json", 1
    while path.exists():
        k += 1
        path = folder / f"{stem}-{k}.json"
    return path


def find_resumable(folder: Path, profile: str, request: dict[str, Any], revision: str | None,
                   fingerprint: str) -> Path | None:
    """The report of the same request made by this revision and core code, if any (newest first)."""
    for path, report in read_reports(folder):
        if (report.get("profile"), report.get("request"), report.get("git_revision"), report.get("core_fingerprint")) \
                == (profile, request, revision, fingerprint):
            return path
    return None


def read_reports(folder: Path | None = None) -> list[tuple[Path, dict[str, Any]]]:
    """Every report in `folder` (default: `reports_folder()`), newest first (by the time of its last run)."""
    folder = folder or reports_folder()
    found = [(path, json.loads(path.read_text())) for path in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    return sorted(found, key=lambda item: (item[1].get("updated", ""), item[0].name), reverse=True)


def add_run(report: dict[str, Any], label: str, outcome: dict[str, Any]) -> None:
    """Record one re-made run's comparison, machine, date, revision and wall time."""
    outcome = dict(outcome)
    outcome["metric_differences"] = outcome.get("metric_differences", [])[:MAX_LISTED_DIFFERENCES]
    report["runs"][label] = outcome
    report["updated"] = outcome.get("date") or now()


def save(path: Path, report: dict[str, Any]) -> None:
    """Write the report and its markdown table beside it, each atomically."""
    runs.write_json(path, report)
    write_text(path.with_suffix(".md"), render(report, path.stem))


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically: a temporary file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------- reading a report

def summary_line(profile: str | None = "laptop", folder: Path | None = None) -> str:
    """One line for the book's introduction, from the newest report (of `profile`; of any profile if None)."""
    reports = [report for _, report in read_reports(folder) if profile is None or report.get("profile") == profile]
    if not reports:
        which = f"the {profile} runs" if profile else "any profile's runs"
        return f"No reproduction of {which} has been recorded yet ({COMMAND} records one)."
    return _line(reports[0])


def _line(report: dict[str, Any]) -> str:
    done, planned = report["runs"], report["planned"]
    sample = " (a sample spread over targets and settings)" if report["request"].get("sample") else ""
    left = len([label for label in planned if label not in done])
    to_go = f", {left} still to go" if left else ""
    if not done:
        return (f"A reproduction of {len(planned)} {report['profile']} runs was started on {report['started'][:10]}; "
                "none re-made yet.")
    return (f"{len(done)} of {report['committed_runs']} {report['profile']} target and retrieval runs re-made{sample}"
            f"{to_go} on {machines(report)} on {last_date(report)}: {verdict(report)}")


def verdict(report: dict[str, Any]) -> str:
    """`same numbers`, or how many runs differ and by how much at most."""
    outcomes = list(report["runs"].values())
    differ = [o for o in outcomes if not o["same"]]
    if not differ:
        return "same numbers and predictions"
    largest = max(o["metric_max_diff"] for o in differ)
    shares = [o["share_differing"] for o in differ if o.get("share_differing") is not None]
    share = f", up to {max(shares):.1%} of a run's predictions" if shares else ""
    return (f"{len(outcomes) - len(differ)} the same, {len(differ)} differ "
            f"(largest metric difference {largest:.2f} points{share})")


def machines(report: dict[str, Any]) -> str:
    """The machines the runs were re-made on, each described once (with its run count when there are several)."""
    counts: dict[str, int] = {}
    for outcome in report["runs"].values():
        name = describe_machine(outcome.get("machine") or {})
        counts[name] = counts.get(name, 0) + 1
    if len(counts) == 1:
        return next(iter(counts))
    return "; ".join(f"{name} ({n} runs)" for name, n in counts.items())


def describe_machine(machine: dict[str, Any]) -> str:
    parts = [machine.get("cpu") or "an unknown CPU"]
    if machine.get("cores"):
        parts.append(f"{machine['cores']} cores")
    if machine.get("torch_threads"):
        parts.append(f"torch threads {machine['torch_threads']}")
    if machine.get("accelerator"):
        parts.append(machine["accelerator"])
    return ", ".join(parts)


def short_revision(revision: str | None) -> str:
    """A git revision as people quote it: 10 hex digits, and `+dirty` when uncommitted changes were present."""
    if not revision:
        return "unknown"
    return revision[:10] + ("+dirty" if revision.endswith("+dirty") else "")


def last_date(report: dict[str, Any]) -> str:
    """The day the last run was re-made (the day the report was started, before any)."""
    dates = [(outcome.get("date") or "")[:10] for outcome in report["runs"].values()]
    return max(dates) if dates else report["started"][:10]


# ----------------------------------------------------------------------------------- markdown

def render(report: dict[str, Any], name: str) -> str:
    """A report as markdown: what was re-made, where and when, and one row per run."""
    lines = [f"# Reproduction `{name}`", "", *_facts(report), "", *table(report), ""]
    return "\n".join(lines)


def _facts(report: dict[str, Any]) -> list[str]:
    request, profile = report["request"], report["profile"]
    command = f"{COMMAND} PROFILE={profile}" + (f" SAMPLE={request['sample']}" if request.get("sample") else "")
    chosen = (f"a sample of {len(report['planned'])} drawn with seed {request['seed']} and spread over targets and "
              "intermediate settings" if request.get("sample") else "all of them")
    phase2 = report.get("phase2_only_runs") or 0
    left_out = (f" The profile's {phase2} phase-2-only run{'s are' if phase2 > 1 else ' is'} not re-made (no "
                "predictions); the phase 2 of every re-made run is trained again from scratch.") if phase2 else ""
    facts = [(f"`{command}` re-made {len(report['runs'])} of the {report['committed_runs']} committed target and "
              f"retrieval runs of the `{profile}` profile ({chosen}) with the code at git revision "
              f"`{short_revision(report['git_revision'])}` (core fingerprint `{report['core_fingerprint']}`), in a "
              f"scratch folder; the committed runs were not touched.{left_out}")]
    if report["runs"]:
        took = sum(o.get("wall_s") or 0.0 for o in report["runs"].values())
        facts += ["", (f"Machine: {machines(report)}. Re-made from {report['started'][:10]} to {last_date(report)}, "
                       f"{format_duration(took)} in all."), "", f"Result: {verdict(report)}."]
    left = [label for label in report["planned"] if label not in report["runs"]]
    if left:
        facts += ["", f"Still to re-make ({len(left)}; `{command}` resumes): {', '.join(left)}."]
    return facts


def table(report: dict[str, Any]) -> list[str]:
    """One row per re-made run: same or how far apart, and its wall time beside the committed one's."""
    if not report["runs"]:
        return ["No run re-made yet."]
    header = ("| run | target | intermediate | result | largest metric difference | predictions differing | "
              "re-made in | took when committed | what differs |")
    rows = [header, "|---|---|---|---|---|---|---|---|---|"]
    for label, o in sorted(report["runs"].items()):
        cells = [label, o.get("target", "-"), o.get("setting", "-"), "same" if o["same"] else "differs",
                 f"{o['metric_max_diff']:.2f}", _predictions_cell(o), format_duration(o.get("wall_s") or 0.0),
                 format_duration(o.get("recorded_s") or 0.0), _what_differs(o)]
        rows.append("| " + " | ".join(str(cell).replace("|", "/") for cell in cells) + " |")
    return rows


def _predictions_cell(outcome: dict[str, Any]) -> str:
    if not outcome.get("prediction_lines"):
        return "none kept"
    cell = f"{outcome['differing_lines']:,} of {outcome['prediction_lines']:,}"
    return cell + (f" ({outcome['share_differing']:.1%})" if outcome["differing_lines"] else "")


def _what_differs(outcome: dict[str, Any]) -> str:
    notes = []
    if outcome.get("missing_files"):
        notes.append(f"missing: {', '.join(outcome['missing_files'])}")
    if outcome.get("differing_files"):
        notes.append(f"lines differ in: {', '.join(outcome['differing_files'])}")
    differences = outcome.get("metric_differences") or []
    if differences:
        more = f" (and {len(differences) - 1} more)" if len(differences) > 1 else ""
        notes.append(differences[0] + more)
    if outcome.get("added_files"):
        notes.append(f"{len(outcome['added_files'])} prediction files new in this code")
    return "; ".join(notes) or "-"


# ----------------------------------------------------------------------------------- the book's page

GENERATED = ("% Generated by `python -m xtl.reproduction --page-only` (and by `make reproduce`) from "
             "results/reproductions/*.json: do not edit.")
PAGE_INTRO = """\
`make reproduce` re-makes a profile's committed runs with the code at hand, in a scratch folder (the
committed result folders are never touched), and compares each re-made run with the committed one: the
metrics `xtl.equivalence` compares (per language, the averages, the English dev score), and every
prediction file line by line. `PROFILE=laptop` re-makes every target and retrieval run; `SAMPLE=N` re-makes
N runs drawn with a fixed seed and spread over targets and intermediate settings. Phase-2-only runs keep
no predictions and are not re-made, but the phase 2 of every re-made run is trained again from scratch.
Each report below is computed from its file in `results/reproductions/`; a killed reproduction resumes
where it stopped."""


def render_page(folder: Path | None = None) -> str:
    """The book's page: the newest report of each profile and request, a summary row each, then their tables."""
    latest: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path, report in read_reports(folder):
        latest.setdefault(json.dumps([report["profile"], report["request"]], sort_keys=True), (path, report))
    lines = [GENERATED, "", "# Reproduction on demand", "", PAGE_INTRO, "", "## The latest reports", ""]
    if not latest:
        return "\n".join(lines + [f"No reproduction has been recorded yet: `{COMMAND}` records the first one.", ""])
    lines += ["| report | profile | runs re-made | result | machine | last run | revision |", "|---|" * 7]
    for path, report in latest.values():
        runs_cell = f"{len(report['runs'])} of {report['committed_runs']}"
        if len(report["runs"]) < len(report["planned"]):
            runs_cell += f" ({len(report['planned']) - len(report['runs'])} to go)"
        cells = [f"`{path.name}`", report["profile"], runs_cell, verdict(report) if report["runs"] else "-",
                 machines(report) if report["runs"] else "-", last_date(report),
                 f"`{short_revision(report['git_revision'])}`"]
        lines.append("| " + " | ".join(str(cell).replace("|", "/") for cell in cells) + " |")
    for path, report in latest.values():
        lines += ["", f"## `{path.stem}`", "", *_facts(report), "", *table(report)]
    return "\n".join(lines + [""])


def write_page(page: Path, folder: Path | None = None) -> None:
    write_text(page, render_page(folder))


def now() -> str:
    """The local time to the second, as reports record it."""
    return dt.datetime.now().isoformat(timespec="seconds")
