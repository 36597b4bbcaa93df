"""`python -m xtl.questions run`: the questions' grid through the runner, then one analysis notebook per question.

The grid is experiments.yml (profiles `questions`, `questions-l3`, `questions-l12`, `questions-q3`);
its runs write ordinary result folders.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import papermill

from xtl import e5_weights
from xtl.book_index import read_manifest
from xtl.errors import XtlError
from xtl.estimate import format_duration
from xtl.notebook_paths import clean_notebook_file, display_path
from xtl.paths import cache_root, repo_root
from xtl.profiles import GRID_FILE, deep_merge, expand, load_grid
from xtl.report.questions import q1, q2, q3, q4, q5
from xtl.report.questions.data import load, load_phase2, sibling_profiles
from xtl.report.questions.rules import DEFAULT_PROFILES, PROFILE, PROFILES, QUESTIONS, Analysis
from xtl.runner import run_profile

CELLS = {  # question -> (profile suffix, intermediate setting, target) in experiments.yml
    "q1": [("", "baseline", "udpos"), ("", "english_ner", "udpos"), ("", "q1_african_ner", "udpos")],
    "q2": [(suffix, setting, "udpos") for suffix in ("-l3", "", "-l12") for setting in ("baseline", "english_ner")],
    "q3": [("-q3", "q3_squad64", "xquad"), ("-q3", "q3_squad256", "xquad")],
    "q4": [("", "baseline", "udpos"), ("", "english_ner", "udpos"), ("", "q4_squad", "udpos")],
    "q5": [("", "english_ner", "udpos"), ("", "q5_mixed_ner", "udpos")],
}


def plan(question: str, profile: str = PROFILE) -> pd.DataFrame:
    """The question's runs in the grid: profile, run, model, finished or not, estimated and measured notebook time.

    Measured times come from the runner's manifest (book/runs/<profile>/runs.json); a run shared by
    several questions is listed (and counted) under each.
    """
    merged = grid()
    out = []
    for suffix in dict.fromkeys(s for s, _, _ in CELLS[question]):
        name = profile + suffix
        if name not in merged["profiles"]:
            continue
        wanted = {(setting, target) for s, setting, target in CELLS[question] if s == suffix}
        manifest = read_manifest(name)
        for run in expand(name, grid=deep_merge(merged)):
            if (run.cells.get("intermediate"), run.cells.get("target")) not in wanted:
                continue
            measured = (manifest.get(run.label) or {}).get("notebook_wall_s")
            out.append({"profile": name, "run": run.name, "model": run.config["model"],
                        "finished": run.is_finished(), "estimate_s": round(run.estimate_s),
                        "measured_s": measured})
    return pd.DataFrame(out, columns=["profile", "run", "model", "finished", "estimate_s", "measured_s"])


def measured_time(profiles: Sequence[str] = PROFILES) -> tuple[int, float]:
    """Runs and summed notebook seconds of every executed questions run (the runner's manifests): what
    `make questions` costs, each shared run counted once."""
    entries = [entry for profile in profiles for entry in read_manifest(profile).values()]
    return len(entries), float(sum(entry["notebook_wall_s"] for entry in entries))


def analyse(question: str, profile: str = PROFILE, root: Path | str | None = None) -> Analysis:
    """Load what `question` needs from results/<profile>*/ and analyse it."""
    if question not in QUESTIONS:
        raise XtlError(f"unknown question {question!r}; choose one of {', '.join(QUESTIONS)}")
    profiles = {"q2": sibling_profiles(profile, root), "q3": [f"{profile}-q3"]}.get(question, [profile])
    frame = load(profiles, root)
    if question == "q3":
        return q3.q3(q3.q3_items(frame, _token_counter()))
    if question == "q4":
        return q4.q4(frame, load_phase2(profiles, root))
    if question == "q5":
        return q5.q5(frame, q5.mixed_overlap(frame) if not frame.empty else None)
    return q1.q1(frame) if question == "q1" else q2.q2(frame)


def _token_counter() -> Callable[[str, str], int]:
    """Tokens of question + context under me5-small's tokenizer (transformers is loaded only for Q3)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(e5_weights.tokenizer_folder()))
    return lambda question, context: len(tokenizer(question, context)["input_ids"])


def grid(root: Path | None = None) -> dict[str, Any]:
    """experiments.yml, whose questions profiles this command runs."""
    return load_grid((Path(root) if root else repo_root()) / GRID_FILE)


def execute_analysis(question: str, profile: str = PROFILE, out_dir: Path | None = None) -> Path:
    """Run notebooks/questions.ipynb for one question with papermill into book/questions/<q>_questions.ipynb."""
    out_dir = Path(out_dir) if out_dir else repo_root() / "book" / "questions"
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / f"{question}_questions.ipynb"
    partial = cache_root() / "questions" / f"{question}_questions.partial.ipynb"  # outside the book until done
    partial.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(str(repo_root() / "notebooks" / "questions.ipynb"), str(partial),
                               parameters={"profile": profile, "question": question}, kernel_name="python3",
                               cwd=str(repo_root()), progress_bar=False)
    shutil.move(str(partial), output)
    clean_notebook_file(output)  # papermill records the partial and template paths of this machine
    return output


def main(argv: list[str] | None = None) -> int:
    """`python -m xtl.questions run [--dry-run] [--profiles ...]`: the grid, then the five analysis notebooks."""
    parser = argparse.ArgumentParser(prog="python -m xtl.questions", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the questions grid (papermill), then the analysis notebooks")
    run.add_argument("--dry-run", action="store_true", help="list the runs and their estimates only")
    run.add_argument("--profiles", nargs="*", default=list(DEFAULT_PROFILES),
                     help=f"profiles to run (default {' '.join(DEFAULT_PROFILES)}; all: {' '.join(PROFILES)})")
    run.add_argument("--only", nargs="*", default=None, help="run-name substrings (as `xtl run --only`)")
    run.add_argument("--analysis-only", action="store_true", help="only re-run the five analysis notebooks")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        merged = grid()
        if not args.analysis_only:
            for profile in args.profiles:
                # a fresh copy per profile: expanding a profile that `extends` another edits the grid it is given
                run_profile(profile, only=args.only, grid=deep_merge(merged), dry_run=args.dry_run)
        if not args.dry_run and not args.only:
            for question in QUESTIONS:
                took = time.perf_counter()
                print(f"analysis {question} -> {display_path(execute_analysis(question))} "
                      f"({format_duration(time.perf_counter() - took)})", flush=True)
    except XtlError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"questions: done in {format_duration(time.perf_counter() - start)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
