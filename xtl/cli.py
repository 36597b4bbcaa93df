"""The `xtl` console script. Every failure the user can fix prints one line and exits 2.

`xtl --help`, `xtl tasks` and `xtl run --dry-run` start without torch or datasets: the subcommands that
need a heavy module import it when they run (the measured import times are beside each).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import yaml

from xtl import kit, model_names, notebook_parameters, tasks
from xtl.config import resolve
from xtl.errors import XtlError


def _tasks(args: argparse.Namespace) -> None:
    print(f"{'task':15} {'format':24} {'role':13} {'langs':>5}  splits / source")
    for name in tasks.names():
        task = tasks.get(name)
        langs = task.languages
        source = "kit" if kit.in_kit(name) else "hub only"
        splits = sorted(set(task.eval_split.values())) if task.eval_split else []
        print(f"{name:15} {task.format:24} {task.role:13} {len(langs):5}  eval {','.join(splits) or '-'}; "
              f"train {task.train_task or name}/{task.train_split or '-'}; {source}")
        if args.verbose:
            print(f"{'':15} languages: {' '.join(langs)}")
            for note in task.stand_ins:
                print(f"{'':15} stand-in: {note}")


def _models(args: argparse.Namespace) -> None:
    for name in model_names.names():
        print(f"{name:22} {model_names.describe(name)}")


def _data_prepare(args: argparse.Namespace) -> None:
    from xtl import hub  # datasets: 0.8 s to import

    for task in args.tasks:
        out = hub.prepare(task, Path(args.out), languages=args.languages)
        print(f"prepared {task} into {out}")


def _data_check(args: argparse.Namespace) -> None:
    report = kit.verify_kit(args.tasks or None)
    for line in report:
        print(line)
    failed = [line.split(":")[0] for line in report if not line.endswith(" files ok") and ": not in the kit" not in line]
    if failed:
        raise XtlError(f"kit check failed for {', '.join(failed)} (see above); re-fetch the kit")


def _run(args: argparse.Namespace) -> None:
    from xtl import runner  # pandas (the profile's cost table): 1.0 s to import

    runner.run_profile(args.profile, only=args.only, dry_run=args.dry_run, force=args.force,
                       rerun_stale=args.rerun_stale, render=args.render)


def _book_pages(args: argparse.Namespace) -> None:
    from xtl import book_index  # seqeval and pandas, through the results tables: 2.7 s to import

    book_index.write_book_index()


def _target(args: argparse.Namespace) -> None:
    from xtl import experiment  # torch and transformers: 5 s to import

    config = _read_config(Path(args.config))
    if args.parameter:
        resolve(config, "target")  # the file's own mistakes first: flattening would drop unknown keys
        unknown = sorted({name for name, _ in args.parameter} - set(notebook_parameters.parameter_names()))
        if unknown:
            raise XtlError(f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(notebook_parameters.parameter_names())}")
        given = notebook_parameters.parameters_from_config(config)
        config = notebook_parameters.config_from_parameters({**given, **dict(args.parameter)}, "target")
    folder = experiment.target(config, profile=args.profile, experiment=args.experiment)
    print(json.dumps(json.loads((folder / "metrics.json").read_text())["average"]))
    print(folder)


def _read_config(path: Path) -> dict:
    try:
        config = yaml.safe_load(path.read_text())
    except OSError as error:
        raise XtlError(f"cannot read config {path} ({error.strerror}); check the path") from None
    except UnicodeDecodeError as error:
        raise XtlError(f"config {path} is not UTF-8 text (byte {error.object[error.start]:#x} at offset {error.start}); "
                       "save it as UTF-8") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise XtlError(f"{path} is not valid YAML{where} ({getattr(error, 'problem', None) or 'parse error'}); "
                       "fix it") from None
    if not isinstance(config, dict):
        raise XtlError(f"{path} must hold a mapping (model, seed, intermediate, target), not {config!r}; fix it")
    return config


class _Parser(argparse.ArgumentParser):
    """argparse with the project's error form: one line, exit status 2 (not usage plus a message)."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (run '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="xtl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("tasks", help="list every task: format, languages, splits, data source")
    p.add_argument("-v", "--verbose", action="store_true", help="also list languages and stand-ins")
    p.set_defaults(func=_tasks)

    p = sub.add_parser("models", help="list the model registry")
    p.set_defaults(func=_models)

    data_parser = sub.add_parser("data", help="prepare or check data")
    data_sub = data_parser.add_subparsers(dest="data_command", required=True)
    p = data_sub.add_parser("prepare", help="write the kit layout from the Hugging Face hub (online)")
    p.add_argument("tasks", nargs="+")
    p.add_argument("--out", default="data-kit", help="output folder (then set XTL_DATA to it)")
    p.add_argument("--languages", nargs="*", default=None)
    p.set_defaults(func=_data_prepare)
    p = data_sub.add_parser("check", help="verify the kit's sha256 checksums")
    p.add_argument("tasks", nargs="*")
    p.set_defaults(func=_data_check)

    p = sub.add_parser("run", help="execute a profile's grid of notebooks with papermill")
    p.add_argument("--profile", default="laptop")
    p.add_argument("--only", nargs="*", default=None, help="experiment names or run-name substrings")
    p.add_argument("--dry-run", action="store_true", help="validate and list the runs, execute nothing")
    p.add_argument("--force", action="store_true", help="re-run finished runs too")
    p.add_argument("--rerun-stale", action="store_true",
                   help="re-run finished runs made by other core code (stale) or before fingerprints (unknown code)")
    p.add_argument("--render", action="store_true",
                   help="re-execute the notebooks of finished phase-3 and retrieval runs from their results (no "
                        "training; recorded times kept), after a template changed")
    p.set_defaults(func=_run)

    p = sub.add_parser("book-pages", help="regenerate the book's run index from results/")
    p.set_defaults(func=_book_pages)

    p = sub.add_parser("target", help="one phase-3 run from a YAML config (model, seed, intermediate, target)")
    p.add_argument("config")
    p.add_argument("--profile", default="adhoc")
    p.add_argument("--experiment", default="target")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), default=[],
                   help="set a notebook parameter as papermill's -p does, e.g. -p intermediate_tasks '[mnli]'")
    p.set_defaults(func=_target)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except XtlError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished runs are kept; run the same command again to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `xtl tasks | head`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush cannot fail again
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
