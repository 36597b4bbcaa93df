"""`python -m xtl.questions run`: the questions' grid through the runner, then one analysis notebook per question.

The grid is experiments.yml's `questions-reference` family (`rules.PROFILES`): `-shared` holds the reference
grid's own cells that the questions read (same run ids: this command only copies the ones the reference
profile has finished, and never trains one), the others the cells the reference grid does not have. Each
question's cells are listed in `CELLS`; `budget` says what the family costs, shared and not shared.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import papermill

from xtl import e5_weights, runs
from xtl.book_index import read_manifest
from xtl.errors import XtlError
from xtl.estimate import format_duration
from xtl.notebook_paths import clean_notebook_file, display_path
from xtl.paths import cache_root, repo_root
from xtl.profiles import GRID_FILE, Run, ancestors, deep_merge, expand, load_grid
from xtl.report.questions import q1, q2, q3, q4, q5
from xtl.report.questions.data import layers_of, load, load_phase2
from xtl.report.questions.rules import DEFAULT_PROFILES, PROFILE, PROFILES, QUESTIONS, SHARED_WITH, Analysis, family
from xtl.runner import run_profile

ALL_SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class Cell:
    """A run a question reads: intermediate setting, target (None: the phase-2 run itself), depth, seeds."""

    setting: str
    target: str | None
    layers: int = 12
    seeds: tuple[int, ...] = ALL_SEEDS


def cells(settings: Iterable[str], targets: Iterable[str | None], layers: int = 12,
          seeds: tuple[int, ...] = ALL_SEEDS) -> list[Cell]:
    return [Cell(s, t, layers, seeds) for s in settings for t in targets]


EIGHT = ("anli_plus", "mnli", "qqp", "sst2", "squad", "hellaswag", "cosmosqa", "commonsenseqa")
CELLS: dict[str, list[Cell]] = {  # the design, setting names as in experiments.yml
    "q1": [*cells(["baseline"], ["udpos", "panx", "xnli"]),
           *cells(["q1_masakhaner2", "q1_panx"], ["udpos", None]),
           *cells(["q1_masakhapos", "q1_udpos"], ["panx", None]),
           *cells(["q1_afrisenti", "sst2"], ["udpos", "panx", "xnli"]),
           *cells(["q1_afrisenti"], [None])],
    "q2": [c for layers in (3, 6, 12) for c in
           [*cells(["baseline", "mnli", "squad"], ["udpos", "panx", "xnli"], layers),
            *cells(["mnli", "squad"], [None], layers)]],
    "q3": [*cells(["baseline", "squad", "q3_squad128", "q3_squad384"], ["mlqa"]),
           *cells(["baseline", "squad"], ["xquad", "tydiqa"]),
           *cells(["squad", "q3_squad128", "q3_squad384"], [None])],
    "q4": [*cells(["baseline", *EIGHT], ["panx"]),
           *cells(EIGHT, [None]),
           *cells(["baseline", "mnli", "squad", "hellaswag"], ["udpos", "xnli", "tydiqa", "xcopa"]),
           *cells(["anli_plus", "qqp", "sst2", "cosmosqa", "commonsenseqa"], ["udpos", "xnli", "tydiqa", "xcopa"],
                  seeds=(0,))],
    "q5": [*cells(["mnli", "q5_mixed_nli"], ["udpos", "panx", "xnli"]), *cells(["q5_mixed_nli"], [None])],
}


def grid(root: Path | None = None) -> dict[str, Any]:
    """experiments.yml, whose questions profiles this command runs."""
    return load_grid((Path(root) if root else repo_root()) / GRID_FILE)


def _where(run: Run) -> tuple[str, Path]:
    """A run's identity across profiles: its label and its result folder inside the profile's folder."""
    return run.label, Path(run.results.parent.name) / run.results.name


def planned(profile: str = PROFILE, merged: dict[str, Any] | None = None) -> dict[str, list[Run]]:
    """Every run of each profile of the family that the grid defines (a fresh grid copy per profile)."""
    merged = merged or grid()
    return {name: expand(name, grid=deep_merge(merged)) for name in family(profile) if name in merged["profiles"]}


def shared_ids(merged: dict[str, Any] | None = None) -> set[tuple[str, Path]]:
    """The identities of the reference profile's runs: a questions run with one of them is shared."""
    return {_where(run) for run in expand(SHARED_WITH, grid=deep_merge(merged or grid()))}


def cell_of(run: Run) -> tuple[str, str | None, int | None, int]:
    return (run.cells.get("intermediate", "baseline"), run.cells.get("target"), layers_of(run.config["model"]),
            int(run.config["seed"]))


def plan(question: str, profile: str = PROFILE) -> pd.DataFrame:
    """The question's runs in the family: profile, run, model, shared with the reference grid, finished (here or in
    the profile it extends), the runner's estimate and the notebook time its profile's manifest measured. A run that
    several questions read is listed under each."""
    merged = grid()
    wanted = {(c.setting, c.target, c.layers, seed) for c in CELLS[question] for seed in c.seeds}
    shared = shared_ids(merged)
    out = []
    for name, runs_ in planned(profile, merged).items():
        manifest = read_manifest(name)
        for run in runs_:
            if cell_of(run) not in wanted:
                continue
            out.append({"profile": name, "run": run.label, "model": run.config["model"],
                        "shared": _where(run) in shared, "finished": run.is_finished() or _finished_in_reference(run),
                        "estimate_s": round(run.estimate_s),
                        "measured_s": (manifest.get(run.label) or {}).get("notebook_wall_s")})
    return pd.DataFrame(out, columns=["profile", "run", "model", "shared", "finished", "estimate_s", "measured_s"])


def _finished_in_reference(run: Run) -> bool:
    return any(run.in_profile(name).is_finished() for name in ancestors(run.profile))


def budget(profile: str = PROFILE) -> pd.DataFrame:
    """Per profile of the family: runs, how many the reference grid shares (same run id), and the not-shared runs'
    estimate as `xtl run --dry-run` prints it (`xtl.estimate` prices a cut encoder at its depth)."""
    merged = grid()
    shared = shared_ids(merged)
    rows = []
    for name, runs_ in planned(profile, merged).items():
        own = [run for run in runs_ if _where(run) not in shared]
        rows.append({"profile": name, "runs": len(runs_), "shared": len(runs_) - len(own), "not shared": len(own),
                     "not shared (h)": round(sum(run.estimate_s for run in own) / 3600, 2)})
    table = pd.DataFrame(rows)
    if not table.empty:
        total = table.drop(columns="profile").sum()
        table.loc[len(table)] = {"profile": "all", **total.to_dict()}
    return table


def budget_line(table: pd.DataFrame) -> str:
    """One line for the dry run: runs, shared, and the not-shared estimate."""
    total = table.set_index("profile").loc["all"]
    return (f"questions: {int(total['runs'])} runs, {int(total['shared'])} shared with the '{SHARED_WITH}' profile "
            f"(never trained here), {int(total['not shared'])} not shared: {total['not shared (h)']:.1f} h on the "
            "prior as `xtl run --dry-run` prints it")


def measured_time(profiles: Iterable[str] = PROFILES) -> tuple[int, float]:
    """Runs and summed notebook seconds of every executed questions run (the runner's manifests), each run once."""
    entries = [entry for profile in profiles for entry in read_manifest(profile).values()
               if not entry.get("copied_from")]
    return len(entries), float(sum(entry["notebook_wall_s"] for entry in entries))


def analyse(question: str, profile: str = PROFILE, root: Path | str | None = None) -> Analysis:
    """Load what `question` needs from the family's results (and the reference runs it shares) and analyse it."""
    if question not in QUESTIONS:
        raise XtlError(f"unknown question {question!r}; choose one of {', '.join(QUESTIONS)}")
    profiles = family(profile)
    frame = load(profiles, root)
    if question == "q3":  # the tokenizer loads only when there are items to count
        return q3.q3(q3.q3_items(frame, _token_counter() if not q3.q3_runs(frame).empty else len))
    if question == "q4":
        return q4.q4(frame, load_phase2(profiles, root))
    analyses: dict[str, Callable[[pd.DataFrame], Analysis]] = {"q1": q1.q1, "q2": q2.q2, "q5": q5.q5}
    return analyses[question](frame)


def _token_counter() -> Callable[[str, str], int]:
    """Tokens of question + context under me5-small's tokenizer (transformers is loaded only for Q3)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(e5_weights.tokenizer_folder()))
    return lambda question, context: len(tokenizer(question, context)["input_ids"])


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


def copy_shared(profile: str, merged: dict[str, Any], dry_run: bool, only: list[str] | None = None) -> None:
    """The `-shared` profile: copy the runs its ancestors (the reference grid) have finished; train none."""
    runs_ = expand(profile, grid=deep_merge(merged))
    chain = ancestors(profile, merged)
    fingerprint = runs.core_fingerprint()
    ready = [run.label for run in runs_ if not run.is_finished() and any(
        run.in_profile(name).state(fingerprint) == "done" and run.label in read_manifest(name) for name in chain)]
    if only:
        ready = [label for label in ready if any(o in label for o in only)]
    waiting = sum(not run.is_finished() for run in runs_) - len(ready)
    print(f"profile {profile}: {len(runs_)} runs shared with '{chain[0]}': {len(ready)} to copy, {waiting} wait for "
          f"the '{chain[0]}' profile to make them (this command never trains them)", flush=True)
    if ready and not dry_run:
        run_profile(profile, only=ready, grid=deep_merge(merged))


def main(argv: list[str] | None = None) -> int:
    """`python -m xtl.questions run [--dry-run] [--profiles ...]`: the grid, then the five analysis notebooks."""
    parser = argparse.ArgumentParser(prog="python -m xtl.questions", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the questions grid (papermill), then the analysis notebooks")
    run.add_argument("--dry-run", action="store_true", help="list the runs and their estimates only")
    run.add_argument("--profiles", nargs="*", default=list(DEFAULT_PROFILES),
                     help=f"profiles to run (default {' '.join(DEFAULT_PROFILES)})")
    run.add_argument("--only", nargs="*", default=None, help="run-name substrings (as `xtl run --only`)")
    run.add_argument("--analysis-only", action="store_true", help="only re-run the five analysis notebooks")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        merged = grid()
        if not args.analysis_only:
            for profile in args.profiles:
                if re.search(r"-shared$", profile):
                    copy_shared(profile, merged, args.dry_run, args.only)
                    if not args.dry_run:
                        continue
                # a fresh copy per profile: expanding a profile that `extends` another edits the grid it is given
                run_profile(profile, only=args.only, grid=deep_merge(merged), dry_run=args.dry_run)
            if args.dry_run:
                print(budget_line(budget()), flush=True)
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
