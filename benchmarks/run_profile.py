"""`python -m benchmarks.run_profile`: where the time of one whole laptop-profile run goes.

The bench times training alone; a run also reads and checks the kit, loads the model, tokenises,
scores English dev data during training, evaluates every language and writes its folder. This runs
one target run of a profile (default: the laptop profile's baseline PAN-X run, no phase 2) in this
process exactly as its notebook does (`xtl.experiment.target` on the config `xtl.profiles` resolves),
with timers wrapped around the functions that do each phase (nothing in xtl/ changes):

  load data     xtl.data.check_kit, xtl.experiment._rows (kit files read, checked, sampled)
  load model    xtl.models.load (and a cached encoder's safetensors, when the run starts from one)
  tokenise      xtl.features.encode, as xtl.experiment calls it (training, dev and evaluation rows)
  train         xtl.train.train, less the English dev scoring inside it
  dev scoring   the English dev scorer `train` calls (its tokenising and forward passes included)
  evaluate      xtl.predict.logits, xtl.predict.decode, xtl.scoring.score (zero-shot, every language)
  write         xtl.scoring.write_predictions, xtl.runs.environment, RunFolder.write_json / commit,
                saving a trained encoder (safetensors)
  other         the rest of `target` (head construction, moving the model, resolving the config);
                Python imports happen before the clock starts and are not counted

Time is exclusive: it goes to the innermost timed call, except inside dev scoring, which keeps its
nested calls. Results go to a temporary folder (XTL_RESULTS, XTL_CHECKPOINTS, XTL_BOOK_RUNS), so the
repository is untouched. Writes benchmarks/results/<label>-run-profile.json.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import functools
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

import xtl.config
import xtl.data
import xtl.experiment
import xtl.models
import xtl.predict
import xtl.runs
import xtl.scoring
from benchmarks.machine import environment, exit_status, write_result
from xtl import profiles
from xtl.errors import XtlError
from xtl.paths import BOOK_RUNS_ENV
from xtl.paths import environment as variables_set

OTHER = "other"
DEV = "dev scoring"
PHASES: dict[str, list[tuple[Any, str]]] = {  # phase -> the (owner, attribute) pairs that do it
    "load data": [(xtl.data, "check_kit"), (xtl.experiment, "_rows")],
    "load model": [(xtl.models, "load"), (xtl.experiment, "load_file")],
    "tokenise": [(xtl.experiment, "encode")],
    "train": [(xtl.experiment, "train")],
    "evaluate": [(xtl.predict, "logits"), (xtl.predict, "decode"), (xtl.scoring, "score")],
    "write": [(xtl.scoring, "write_predictions"), (xtl.runs, "environment"), (xtl.runs.RunFolder, "write_json"),
              (xtl.runs.RunFolder, "commit"), (xtl.experiment, "save_file")],
}
ORDER = ["load data", "load model", "tokenise", "train", DEV, "evaluate", "write", OTHER]


class PhaseClock:
    """Exclusive wall time per phase: a stack of timed calls; elapsed time goes to the top one."""

    def __init__(self, absorbing: tuple[str, ...] = (DEV,), now: Callable[[], float] = time.perf_counter):
        self.absorbing, self.now = absorbing, now
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._stack = [OTHER]
        self._mark = now()

    def _charge(self) -> None:
        now = self.now()
        self.seconds[self._stack[-1]] += now - self._mark
        self._mark = now

    def start(self) -> None:
        self._stack, self._mark = [OTHER], self.now()

    def stop(self) -> None:
        self._charge()

    def wrap(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._stack[-1] == phase or self._stack[-1] in self.absorbing:
                return function(*args, **kwargs)
            self._charge()
            self._stack.append(phase)
            self.calls[phase] += 1
            try:
                return function(*args, **kwargs)
            finally:
                self._charge()
                self._stack.pop()
        return timed


@contextlib.contextmanager
def timers(clock: PhaseClock) -> Iterator[None]:
    """Every phase's functions wrapped by `clock` for the duration, then put back."""
    originals = [(owner, name, getattr(owner, name)) for pairs in PHASES.values() for owner, name in pairs]
    originals.append((xtl.experiment, "_dev_scorer", xtl.experiment._dev_scorer))
    make_scorer = xtl.experiment._dev_scorer
    try:
        for phase, pairs in PHASES.items():
            for owner, name in pairs:
                setattr(owner, name, clock.wrap(phase, getattr(owner, name)))
        xtl.experiment._dev_scorer = lambda *a, **k: clock.wrap(DEV, make_scorer(*a, **k))
        yield
    finally:
        for owner, name, function in originals:
            setattr(owner, name, function)


@contextlib.contextmanager
def scratch_folders(keep: str | None = None) -> Iterator[Path]:
    """Results, phase-2 checkpoints and run notebooks in a temporary folder; the environment restored after."""
    with tempfile.TemporaryDirectory(prefix="xtl-run-profile-") as folder:
        root = Path(keep) if keep else Path(folder)
        with variables_set(**{name: str(root / sub) for name, sub in
                            zip(("XTL_RESULTS", "XTL_CHECKPOINTS", BOOK_RUNS_ENV), ("results", "checkpoints", "book-runs"))}):
            yield root


def run_config(profile: str, run: str, overrides: dict[str, Any]) -> tuple[profiles.Run, dict[str, Any]]:
    """The profile's run (`experiment/name`, e.g. target/baseline-panx-s0) and its config with `overrides`.

    overrides: model, and target keys (train_limit, dev_limit, eval_limit, languages, ...), for a quick check.
    """
    label = run if "/" in run else f"target/{run}"
    found = [r for r in profiles.expand(profile) if r.label == label]
    if not found or found[0].kind != "target":
        raise XtlError(f"profile '{profile}' has no target run {label}; list them with "
                       f"'xtl run --profile {profile} --dry-run'")
    config = copy.deepcopy(found[0].config)
    for key, value in overrides.items():
        if value is None:
            continue
        if key == "model":
            config["model"] = value
        else:
            config["target"][key] = value
    return found[0], config


def profile_run(profile: str = "laptop", run: str = "baseline-panx-s0", overrides: dict[str, Any] | None = None,
                keep: str | None = None) -> dict[str, Any]:
    """Run it once under the timers; seconds and share per phase, the total, and the run's own report."""
    planned, config = run_config(profile, run, overrides or {})
    clock = PhaseClock()
    with scratch_folders(keep), timers(clock):
        start = time.perf_counter()
        clock.start()
        folder = xtl.experiment.target(config, profile=profile, experiment=planned.experiment, progress=False,
                                       force=True)
        clock.stop()
        wall = time.perf_counter() - start
        metrics = json.loads((folder / "metrics.json").read_text())
    total = sum(clock.seconds.values())
    phases = {name: {"seconds": clock.seconds.get(name, 0.0), "share": clock.seconds.get(name, 0.0) / total,
                     "calls": clock.calls.get(name, 0)} for name in ORDER}
    train = metrics["train"]
    return {"profile": profile, "run": planned.label, "config": xtl.config.resolve_target(config),
            "overrides": {k: v for k, v in (overrides or {}).items() if v is not None},
            "phases": phases, "total_s": total, "wall_s": wall,
            "languages": list(metrics["per_language"]), "english_dev": metrics["english_dev"],
            "train_report": {k: train[k] for k in ("steps", "examples", "tokens", "wall_s", "eval_s", "examples_per_s",
                                                   "tokens_per_s")}}


def table(result: dict[str, Any]) -> list[str]:
    """Seconds and share per phase; the last line is `total_s=...`."""
    lines = [f"{result['run']} ({result['profile']} profile, model {result['config']['model']})",
             f"{'phase':12} {'seconds':>9} {'share':>7} {'calls':>6}"]
    for name, phase in result["phases"].items():
        lines.append(f"{name:12} {phase['seconds']:9.2f} {phase['share']:7.1%} {phase['calls']:6d}")
    lines.append(f"total_s={result['total_s']:.2f}")
    return lines


def main(profile: str = "laptop", run: str = "baseline-panx-s0", overrides: dict[str, Any] | None = None,
         out: str | Path | None = None, keep: str | None = None) -> dict[str, Any]:
    env = environment()
    result = profile_run(profile, run, overrides, keep)
    with contextlib.suppress(OSError):
        env["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result = {"schema": 1, "kind": "run-profile", "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "command": " ".join(["python -m benchmarks.run_profile", *sys.argv[1:]]), "environment": env, **result}
    write_result(result, out, "-run-profile", table(result))
    return result


def _cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="laptop")
    parser.add_argument("--run", default="baseline-panx-s0", help="a target run of the profile, e.g. baseline-xnli-s0")
    parser.add_argument("--model", default=None, help="override the profile's model (e.g. tiny-random for a check)")
    parser.add_argument("--train-limit", type=int, default=None)
    parser.add_argument("--dev-limit", type=int, default=None)
    parser.add_argument("--eval-limit", type=int, default=None)
    parser.add_argument("--languages", nargs="+", default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own)")
    parser.add_argument("--keep", default=None, help="write the run's folders here instead of a temporary folder")
    parser.add_argument("--out", default=None, help="JSON path (default benchmarks/results/<device>-run-profile.json)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {"model": args.model, "train_limit": args.train_limit, "dev_limit": args.dev_limit,
                 "eval_limit": args.eval_limit, "languages": args.languages}
    return exit_status(lambda: main(args.profile, args.run, overrides, args.out, args.keep))


if __name__ == "__main__":
    sys.exit(_cli())
