"""`xtl run`: expand a profile's grid, validate it, execute each run's notebook with papermill.

A run is one notebook template with one set of parameters. Before anything executes, every run
is built and checked: parameter names against the template's `parameters` cell, task, language
and model names through `xtl.experiment.resolve_*`; then `preflight` checks the kit files of every
task the runs read (sha256). Executed notebooks land atomically in
`<book runs>/<profile>/<experiment>/<run>.ipynb`; a run whose notebook exists and whose result
folder is complete is skipped, so re-running after an interruption redoes only what is unfinished.
A finished run whose env.json names another core fingerprint (`xtl.runs.core_fingerprint`) is
reported stale, one without a fingerprint as of unknown code; both are kept until `--rerun-stale`.

Notebook parameters are the config flattened one level: `model`, `seed`, and `<section>_<key>` for
every key of the `intermediate`, `target` and `retrieval` sections (e.g. `target_task`,
`intermediate_train`); `parameters_from_config` and `config_from_parameters` convert both ways.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import json
import math
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from xtl import notebook_paths, runs
from xtl.errors import XtlError
from xtl.paths import cache_root, repo_root, results_root

GRID_FILE = "experiments.yml"
BOOK_RUNS_ENV = "XTL_BOOK_RUNS"
SECTIONS = ("intermediate", "target", "retrieval")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")
STALE, UNKNOWN = "stale", "unknown code"  # finished runs that `xtl run` keeps unless --rerun-stale


# ----------------------------------------------------------------------------------- locations

def grid_path() -> Path:
    return repo_root() / GRID_FILE


def book_runs_root() -> Path:
    """Where executed notebooks go: $XTL_BOOK_RUNS, else <repo>/book/runs."""
    return Path(os.environ.get(BOOK_RUNS_ENV, repo_root() / "book" / "runs"))


def _failed_root() -> Path:
    """Failed and in-progress notebooks live outside the book, so a book build never sees them.

    Keyed by the book folder, so two checkouts (or a test and a real run) never share it.
    """
    book = str(book_runs_root().resolve())
    return cache_root() / "runner" / runs.config_hash({"book": book})[:8]


# ----------------------------------------------------------------------------------- parameters

def _section_defaults() -> dict[str, dict[str, Any]]:
    from xtl import experiment

    return {"intermediate": experiment.DEFAULT_INTERMEDIATE, "target": experiment.DEFAULT_TARGET,
            "retrieval": experiment.DEFAULT_RETRIEVAL}


def parameters_from_config(config: dict[str, Any]) -> dict[str, Any]:
    """{"model", "seed", "intermediate": {...}, "target": {...}} -> model, seed, intermediate_*, target_*."""
    flat = {key: copy.deepcopy(config[key]) for key in ("model", "seed") if key in config}
    for section in SECTIONS:
        for key, value in (config.get(section) or {}).items():
            flat[f"{section}_{key}"] = copy.deepcopy(value)
    return flat


def config_from_parameters(namespace: dict[str, Any]) -> dict[str, Any]:
    """The inverse: pick model, seed and `<section>_<key>` names out of a notebook's namespace."""
    top = {"model": "me5-small", "seed": 0}
    config: dict[str, Any] = {key: parameter_value(default, key, namespace[key]) for key, default in top.items()
                              if key in namespace}
    for section, defaults in _section_defaults().items():
        values = {key: parameter_value(defaults[key], f"{section}_{key}", namespace[f"{section}_{key}"]) for key in defaults
                  if f"{section}_{key}" in namespace}
        if values:
            config[section] = values
    return config


def parameter_names() -> list[str]:
    """Every notebook parameter name a config can have."""
    return ["model", "seed"] + [f"{section}_{key}" for section, defaults in _section_defaults().items()
                                for key in defaults]


def parameter_value(default: Any, name: str, value: Any) -> Any:
    """papermill's `-p` passes a list as a string ('["mnli"]'): where the default is no string, read it as YAML."""
    if not isinstance(value, str) or isinstance(default, str):
        return copy.deepcopy(value)
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError:
        raise XtlError(f"parameter {name}={value!r} is not a YAML value; pass e.g. -y '{name}: [mnli]' "
                       "to papermill") from None


def template_parameters(template: Path) -> dict[str, str]:
    """Names assigned in the template's single `parameters` cell, with their default's source text."""
    import nbformat

    template = Path(template)
    if not template.is_file():
        raise XtlError(f"notebook template {template} not found; fix its path in {GRID_FILE}")
    notebook = nbformat.read(template, as_version=4)
    cells = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise XtlError(f"{template} has {len(cells)} cells tagged 'parameters'; tag exactly one code cell")
    source = cells[0].source
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise XtlError(f"{template}: the parameters cell does not parse ({error.msg}, line {error.lineno}); fix it")
    names: dict[str, str] = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name) and node.value is not None:
                names[target.id] = ast.get_source_segment(source, node.value) or ""
    return names


# ----------------------------------------------------------------------------------- the grid

@dataclass
class Run:
    """One notebook execution: which template, with which parameters, writing where."""

    profile: str
    experiment: str
    name: str
    kind: str  # intermediate | target | retrieval
    template: Path
    config: dict[str, Any]  # resolved: what the notebook's xtl call will see
    parameters: dict[str, Any]
    results: Path  # the result folder the notebook's xtl call writes
    estimate_s: float = 0.0
    phase2: str = ""  # hash of the phase-2 key (runs sharing it share one cached encoder)
    cells: dict[str, str] = field(default_factory=dict)  # axis -> setting/task name

    @property
    def label(self) -> str:
        return f"{self.experiment}/{self.name}"

    @property
    def notebook(self) -> Path:
        return book_runs_root() / self.profile / self.experiment / f"{self.name}.ipynb"

    def is_finished(self) -> bool:
        return self.notebook.is_file() and runs.is_complete(self.results)

    def state(self, fingerprint: str) -> str:
        """todo, done, stale (finished by other core code) or unknown code (finished before fingerprints)."""
        if not self.is_finished():
            return "todo"
        made_by = runs.made_by(self.results)
        return UNKNOWN if made_by is None else "done" if made_by == fingerprint else STALE


def load_grid(path: Path | None = None) -> dict[str, Any]:
    path = Path(path) if path else grid_path()
    if not path.is_file():
        raise XtlError(f"grid file {path} not found; run from the repository or pass its path")
    try:
        grid = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        raise XtlError(f"{path} is not valid YAML ({where}); fix it") from None
    for key in ("experiments", "settings", "profiles"):
        if not isinstance(grid.get(key), dict):
            raise XtlError(f"{path} has no '{key}:' mapping; see the comment at its top")
    return grid


def deep_merge(*layers: dict[str, Any] | None) -> dict[str, Any]:
    """Later layers win; nested dicts merge, everything else (lists too) is replaced."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = deep_merge(merged[key], value)
            else:
                merged[key] = copy.deepcopy(value)
    return merged


def profile_spec(grid: dict[str, Any], profile: str, _seen: tuple[str, ...] = ()) -> dict[str, Any]:
    profiles = grid["profiles"]
    if profile not in profiles:
        raise XtlError(f"unknown profile '{profile}'; profiles in {GRID_FILE}: {', '.join(profiles)}")
    spec = deep_merge(profiles[profile])  # a copy: neither this function nor its callers edit the grid
    parent = spec.get("extends")
    if parent:
        if parent in _seen:
            raise XtlError(f"profiles {' -> '.join(_seen + (profile, parent))} extend each other; break the cycle")
        base = profile_spec(grid, parent, _seen + (profile,))
        base.pop("experiments", None)  # a profile always says which cells it runs
        spec = deep_merge(base, {k: v for k, v in spec.items() if k != "extends"})
    for key in ("model", "seeds", "experiments"):
        if key not in spec:
            raise XtlError(f"profile '{profile}' has no '{key}:'; add it in {GRID_FILE}")
    return spec


def _kind(axes: list[str]) -> str:
    return "target" if "target" in axes else "retrieval" if "retrieval" in axes else "intermediate"


def _cells(exp_name: str, exp: dict[str, Any], chosen: dict[str, Any], seeds: list[int], profile: str):
    """Yield ({axis: name}, seed) for a cross product or an explicit `runs:` list."""
    axes = list(exp["axes"])
    chosen = dict(chosen or {})
    unknown = sorted(set(chosen) - set(axes) - {"runs", "seeds"})
    if unknown:
        raise XtlError(f"profile '{profile}', experiment '{exp_name}': unknown key(s) {', '.join(unknown)}; "
                       f"use its axes ({', '.join(axes)}), 'seeds' or 'runs'")
    seeds = list(chosen.get("seeds", seeds))
    if "runs" in chosen:
        for cell in chosen["runs"]:
            missing = [axis for axis in axes if axis not in cell]
            if missing or set(cell) - set(axes) - {"seed"}:
                raise XtlError(f"profile '{profile}', experiment '{exp_name}': run {cell} must name exactly "
                               f"{', '.join(axes)} (and optionally seed)")
            for seed in ([cell["seed"]] if "seed" in cell else seeds):
                yield {axis: cell[axis] for axis in axes}, int(seed)
        return
    missing = [axis for axis in axes if not chosen.get(axis)]
    if missing:
        raise XtlError(f"profile '{profile}', experiment '{exp_name}': give a list for {', '.join(missing)} "
                       f"or a 'runs:' list")
    for seed in seeds:
        for combo in _product([list(chosen[axis]) for axis in axes]):
            yield dict(zip(axes, combo)), int(seed)


def _product(lists: list[list[Any]]):
    if not lists:
        yield ()
        return
    for head in lists[0]:
        for rest in _product(lists[1:]):
            yield (head, *rest)


def build_config(spec: dict[str, Any], settings: dict[str, Any], cell: dict[str, str], seed: int,
                 where: str) -> dict[str, Any]:
    """The unresolved config of one cell: profile defaults, the phase-2 setting, per-task overrides."""
    setting_name = cell.get("intermediate", "baseline")
    if setting_name not in settings:
        raise XtlError(f"{where}: unknown intermediate setting '{setting_name}'; known: {', '.join(settings)} "
                       f"(define it under settings: in {GRID_FILE})")
    setting = settings[setting_name] or {}
    config: dict[str, Any] = {"model": spec["model"], "seed": seed}
    # the baseline trains nothing: keep its config free of phase-2 sizes so its run id never moves
    config["intermediate"] = deep_merge(spec.get("intermediate"), setting) if setting.get("tasks") else {"tasks": []}
    for section, per_task in (("target", "targets"), ("retrieval", "retrievals")):
        if section in cell:
            task = cell[section]
            config[section] = deep_merge(spec.get(section), (spec.get(per_task) or {}).get(task), {"task": task})
    return config


def _resolve(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    from xtl import experiment

    resolver = {"intermediate": experiment.resolve_intermediate, "target": experiment.resolve_target,
                "retrieval": experiment.resolve_retrieval}[kind]
    return resolver(config)


def results_folder(kind: str, resolved: dict[str, Any], profile: str, experiment_name: str) -> Path:
    """Where `xtl.experiment` will write this run's results (the same slug and hash it uses)."""
    from xtl import experiment

    if kind == "intermediate":
        key = {"model": resolved["model"], "seed": resolved["seed"], "intermediate": resolved["intermediate"]}
        slug = "+".join(key["intermediate"]["tasks"]) + f"-s{key['seed']}"
        return results_root() / profile / "intermediate" / runs.run_id(slug, key)
    task = resolved[kind]["task"]
    return results_root() / profile / experiment_name / runs.run_id(experiment._slug(resolved, task), resolved)


def phase2_key(resolved: dict[str, Any]) -> str:
    key = {"model": resolved["model"], "seed": resolved["seed"], "intermediate": resolved["intermediate"]}
    return runs.config_hash(key)[:16]


def _run_name(cell: dict[str, str], seed: int) -> str:
    return "-".join([cell.get("intermediate", "baseline")] + [cell[a] for a in ("target", "retrieval") if a in cell]
                    + [f"s{seed}"])


def expand(profile: str, only: list[str] | None = None, grid: dict[str, Any] | Path | None = None) -> list[Run]:
    """Every run of a profile, validated, in execution order (then filtered by `only`)."""
    grid = grid if isinstance(grid, dict) else load_grid(grid)
    spec = profile_spec(grid, profile)
    settings = deep_merge(grid["settings"], spec.get("settings"))
    for name in settings:
        if not _NAME.match(str(name)):
            raise XtlError(f"setting name '{name}' must be lower-case letters, digits and '_'; rename it")
    unknown = sorted(set(spec["experiments"]) - set(grid["experiments"]))
    if unknown:
        raise XtlError(f"profile '{profile}' names unknown experiment(s) {', '.join(unknown)}; "
                       f"known: {', '.join(grid['experiments'])}")
    planned: list[Run] = []
    for exp_name, exp in grid["experiments"].items():
        if exp_name not in spec["experiments"]:
            continue
        if not _NAME.match(exp_name) or "template" not in exp or "axes" not in exp:
            raise XtlError(f"experiment '{exp_name}' needs a lower-case name, 'template:' and 'axes:' in {GRID_FILE}")
        template = repo_root() / exp["template"]
        declared = template_parameters(template)
        kind = _kind(exp["axes"])
        for cell, seed in _cells(exp_name, exp, spec["experiments"][exp_name], spec["seeds"], profile):
            name = _run_name(cell, seed)
            where = f"profile '{profile}', run {exp_name}/{name}"
            planned.append(_plan(profile, exp_name, name, kind, template, declared, spec, settings, cell, seed, where))
    _check_unique(planned)
    _estimate(planned)
    if only:
        planned = _select(planned, only, profile)
    return planned


def _plan(profile, exp_name, name, kind, template, declared, spec, settings, cell, seed, where) -> Run:
    config = build_config(spec, settings, cell, seed, where)
    _check_declared(parameters_from_config(config), declared, template, where, hint=f"fix {GRID_FILE}")
    try:
        resolved = _resolve(kind, config)
    except XtlError as error:
        raise XtlError(f"{where}: {error}") from None
    if kind == "intermediate" and not resolved["intermediate"]["tasks"]:
        raise XtlError(f"{where}: the intermediate experiment needs a setting with tasks; remove '{cell['intermediate']}'")
    parameters = parameters_from_config(resolved)
    _check_declared(parameters, declared, template, where, hint="add it to the template's parameters cell")
    parameters.update({"profile": profile, "experiment": exp_name, "force": False})
    parameters = {k: v for k, v in parameters.items() if k in declared}
    return Run(profile, exp_name, name, kind, template, resolved, parameters,
               results_folder(kind, resolved, profile, exp_name), phase2=phase2_key(resolved), cells=dict(cell))


def _check_declared(parameters: dict[str, Any], declared: dict[str, str], template: Path, where: str,
                    hint: str) -> None:
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared))
        raise XtlError(f"{where}: parameter {', '.join(unknown)} is not in {_rel(template)}'s parameters cell "
                       f"(it has {known}); {hint}")


def _check_unique(planned: list[Run]) -> None:
    seen: dict[Path, str] = {}
    for run in planned:
        if run.notebook in seen:
            raise XtlError(f"run {run.label} appears twice in profile '{run.profile}'; remove the duplicate")
        seen[run.notebook] = run.label


def _select(planned: list[Run], only: list[str], profile: str) -> list[Run]:
    chosen = [r for r in planned if any(o == r.experiment or o in r.label for o in only)]
    if not chosen:
        experiments = sorted({r.experiment for r in planned})
        raise XtlError(f"--only {' '.join(only)} matches no run of profile '{profile}'; give experiment names "
                       f"({', '.join(experiments)}) or parts of run names ('xtl run --profile {profile} --dry-run')")
    return chosen


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(repo_root()))
    except ValueError:
        return str(path)


# ----------------------------------------------------------------------------------- time estimates
# A prior from the measured me5-small CPU throughput (2 cores, 64 tokens: ~17 train and ~45 eval
# examples/s); the progress line rescales it by the ratio of actual to estimated time so far.

TRAIN_PER_S, EVAL_PER_S, NOTEBOOK_OVERHEAD_S, UNKNOWN_SIZE = 17.0, 45.0, 15.0, 10000
# Tokens of a typical example (QA: question + context, before windowing), calibrated on the laptop
# profile's measured notebook times (book/runs/laptop/runs.json).
_TYPICAL_TOKENS = {"sentence_classification": 40, "pair_classification": 64, "token_tagging": 40,
                   "extractive_qa": 250, "multiple_choice": 96, "retrieval": 24, "raw_text": 40}
MLM_BATCH_COST = 3.0  # an MLM batch against a classification batch of the same size (the 250k-word output layer)
_CHOICES = {"hellaswag": 4, "commonsenseqa": 5, "cosmosqa": 4, "socialiqa": 3, "xcopa": 2}
_MODEL_COST = {"tiny-random": 0.01, "me5-small": 1.0, "random-me5-small": 1.0, "xlm-roberta-base": 3.0,
               "xlm-roberta-large": 12.0}


def _examples_cost(task_name: str, examples: int | None, max_length: int) -> float:
    """Work of `examples` examples in units of one 64-token sequence."""
    from xtl import tasks

    base = task_name.split(":")[0]  # 'task:lang' names an intermediate task in another language
    fmt = "pair_classification" if base == "xnli-translated" else tasks.get(base).format
    typical = _TYPICAL_TOKENS.get(fmt, 64)
    tokens = min(max_length, typical)
    if fmt == "extractive_qa" and typical > max_length:  # a long context becomes windows at a stride of half the window
        tokens = max_length * (1 + math.ceil((typical - max_length) / (max_length / 2)))
    return (examples if examples is not None else UNKNOWN_SIZE) * _CHOICES.get(base, 1) * tokens / 64


def _train_seconds(task_names: list[str], section: dict[str, Any]) -> float:
    """Training plus the English-dev evaluations (every `eval_every` steps, else once per epoch)."""
    train = section["train"]
    limits = {name: _train_size(name, (section.get("task_limits") or {}).get(name, section["train_limit"]))
              for name in task_names}
    examples = sum(limits.values())
    batches_per_epoch = max(1, examples // train["batch_size"])
    steps = train["max_steps"] or math.ceil(train["epochs"] * batches_per_epoch / train["grad_accum"])
    epochs = steps * train["grad_accum"] / batches_per_epoch
    evaluations = math.ceil(steps / train["eval_every"]) if train["eval_every"] else max(1, math.ceil(epochs))
    seconds = 0.0
    for name in task_names:
        seconds += _examples_cost(name, limits[name], section["max_length"]) * epochs / TRAIN_PER_S
        seconds += _examples_cost(name, section["dev_limit"], section["max_length"]) * evaluations / EVAL_PER_S
    return seconds


def _estimate(planned: list[Run]) -> None:
    """Seconds per run; a phase-2 setting is charged to the first run that needs it and is not cached."""
    charged: set[str] = set()
    for run in planned:
        inter = run.config["intermediate"]
        seconds = 0.0
        if inter["tasks"] and run.phase2 not in charged and not _phase2_cached(run.phase2):
            mlm_batches_per_task_batch = inter["mlm_share"] / (1 - inter["mlm_share"]) if inter["mlm_share"] < 1 else 0.0
            seconds += _train_seconds(inter["tasks"], inter) * (1 + mlm_batches_per_task_batch * MLM_BATCH_COST)
        charged.add(run.phase2)
        if run.kind == "target":
            cfg = run.config["target"]
            seconds += _train_seconds([cfg["task"]], cfg)
            items = sum(_eval_size(cfg["task"], lang, cfg["eval_limit"])
                        for lang in cfg["languages"] or _eval_languages(cfg["task"]))
            seconds += _examples_cost(cfg["task"], items, cfg["max_length"]) / EVAL_PER_S
        elif run.kind == "retrieval":
            cfg = run.config["retrieval"]
            items = sum(_eval_size(cfg["task"], lang, cfg["limit"])
                        for lang in cfg["languages"] or _eval_languages(cfg["task"]))
            seconds += 2 * items * min(cfg["max_length"], 24) / 64 / EVAL_PER_S
        run.estimate_s = NOTEBOOK_OVERHEAD_S + seconds * _MODEL_COST.get(run.config["model"], 1.0)


def _kit_rows(task_name: str, lang: str, split: str) -> int | None:
    """Rows of a kit file as its MANIFEST.json records them (no read); None when the kit lacks that file."""
    from xtl import tasks
    from xtl.paths import data_root

    root = data_root(required=False)
    manifest = root / tasks.get(task_name).kit_name / "MANIFEST.json" if root is not None else None
    if manifest is None or not manifest.is_file():
        return None
    info = json.loads(manifest.read_text()).get("files", {}).get(f"{lang}/{split}.jsonl.gz")
    return int(info["rows"]) if info and "rows" in info else None


def _train_size(name: str, limit: int | None) -> int:
    """Training examples of a phase: the limit, capped by (or, for null, equal to) the kit's English split."""
    from xtl import tasks

    base = name.split(":")[0]
    if base == "xnli-translated":
        return limit if limit is not None else UNKNOWN_SIZE
    task = tasks.get(base)
    lang = name.partition(":")[2] or task.train_lang or "en"
    rows = _kit_rows(task.train_task or base, lang, task.train_split or "train")
    if rows is None:
        return limit if limit is not None else UNKNOWN_SIZE
    return rows if limit is None else min(limit, rows)


def _eval_size(task_name: str, lang: str, limit: int | None) -> int:
    """Evaluated items in one language: the limit, capped by (or, for null, equal to) the kit's split."""
    from xtl import tasks

    rows = _kit_rows(task_name, lang, tasks.get(task_name).eval_split.get(lang, ""))
    if rows is None:
        return limit if limit is not None else UNKNOWN_SIZE
    return rows if limit is None else min(limit, rows)


def _phase2_cached(key: str) -> bool:
    from xtl import experiment
    from xtl.paths import checkpoint_root

    return experiment.checkpoint_is_current(checkpoint_root() / key)


def _eval_languages(task: str) -> list[str]:
    from xtl import data

    return data.eval_languages(task)


def format_duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


# ----------------------------------------------------------------------------------- execution

Executor = Callable[[Path, Path, dict[str, Any]], None]


def execute_notebook(template: Path, output: Path, parameters: dict[str, Any]) -> None:
    """papermill with kernel python3, cwd the repository root, no cell output echoed.

    What the kernel process itself writes to stderr (its start-up warnings, native panics) goes
    to `<output>.log` instead of the terminal, which shows only the progress lines.
    """
    import papermill

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
                out=None, rerun_stale: bool = False) -> list[Run]:
    """Validate the whole grid and the kit, then execute what is unfinished (or everything with `force`).

    Finished runs made by other core code (stale) or before fingerprints (unknown code) are listed and kept;
    `rerun_stale` re-executes them.
    """
    out = out or sys.stdout
    executor = executor or execute_notebook
    planned = expand(profile, only=only, grid=grid)
    preflight(planned)
    states = {run.label: run.state(runs.core_fingerprint()) for run in planned}
    todo = {label for label, state in states.items()
            if force or state == "todo" or (rerun_stale and state in (STALE, UNKNOWN))}
    print(f"profile {profile}: {len(planned)} runs, {len(planned) - len(todo)} finished, {len(todo)} to run "
          f"(estimated {format_duration(sum(r.estimate_s for r in planned if r.label in todo))}); notebooks in "
          f"{_rel(book_runs_root() / profile)}, results in {_rel(results_root() / profile)}", file=out, flush=True)
    kept = {state: sum(states[label] == state and label not in todo for label in states) for state in (STALE, UNKNOWN)}
    if any(kept.values()):
        print(f"kept as they are: {kept[STALE]} finished by other core code (stale), {kept[UNKNOWN]} of unknown code "
              "(no fingerprint); --rerun-stale runs them again", file=out, flush=True)
    if dry_run:
        for k, run in enumerate(planned, 1):
            state = states[run.label] + (", rerun" if run.label in todo and states[run.label] != "todo" else "")
            print(f"[{k}/{len(planned)}] {run.label:55} {state}  ~{format_duration(run.estimate_s)}", file=out)
        return planned
    start, actual, estimated = time.perf_counter(), 0.0, 0.0
    for k, run in enumerate(planned, 1):
        prefix = f"[{k}/{len(planned)}] {run.label} ..."
        if run.label not in todo:
            why = {STALE: " by other core code (stale), kept", UNKNOWN: " by unknown code, kept"}
            print(f"{prefix} finished earlier{why.get(states[run.label], ', skipped')}", file=out, flush=True)
            continue
        print(prefix, end=" ", file=out, flush=True)
        run_start = time.perf_counter()
        _execute(run, executor, force or states[run.label] != "todo")
        took = time.perf_counter() - run_start
        actual, estimated = actual + took, estimated + run.estimate_s
        remaining = sum(r.estimate_s for r in planned[k:] if r.label in todo) * (actual / estimated if estimated else 1)
        _record(run, took)
        print(f"done in {format_duration(took)} | elapsed {format_duration(time.perf_counter() - start)} | "
              f"~{format_duration(remaining)} left", file=out, flush=True)
    write_book_index(profile)
    return planned


def preflight(planned: list[Run]) -> None:
    """Before the first run: the kit is there and intact for every task the runs read, and the output folders
    can be written. (Every run's parameters were validated by `expand`.)"""
    from xtl import data, experiment

    cache_root()  # refuses a cache path that cannot be a folder
    for variable, where in (("XTL_RESULTS", results_root()), (BOOK_RUNS_ENV, book_runs_root())):
        if where.exists() and not where.is_dir():
            raise XtlError(f"{where} is a file, not a folder; point {variable} at a folder")
    data.check_kit(sorted({name for run in planned for name in experiment.tasks_read(run.config)}))


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


# ----------------------------------------------------------------------------------- manifest and index

def _manifest_path(profile: str) -> Path:
    return book_runs_root() / profile / "runs.json"


def read_manifest(profile: str) -> dict[str, Any]:
    """The runner's record of a profile's executed runs (label -> notebook, results, config, notebook_wall_s)."""
    path = _manifest_path(profile)
    return json.loads(path.read_text()) if path.is_file() else {}


def _record(run: Run, took: float) -> None:
    """What the index page needs about a finished run, keyed by its label."""
    manifest = read_manifest(run.profile)
    manifest[run.label] = {
        "experiment": run.experiment, "name": run.name, "kind": run.kind, "cells": run.cells,
        "notebook": f"{run.experiment}/{run.name}.ipynb",
        "results": str(run.results.relative_to(results_root())) if run.results.is_relative_to(results_root())
        else str(run.results),
        "notebook_wall_s": round(took, 1), "estimate_s": round(run.estimate_s, 1), "config": run.config,
    }
    runs.write_json(_manifest_path(run.profile), manifest)


def write_book_index(profile: str | None = None) -> list[Path]:
    """Regenerate `<book runs>/<profile>/index.md` for one profile or every profile with runs."""
    root = book_runs_root()
    profiles = [profile] if profile else sorted(p.name for p in root.glob("*") if (p / "runs.json").is_file())
    return [_write_index(name) for name in profiles if _manifest_path(name).is_file()]


def _write_index(profile: str) -> Path:
    from xtl import results

    manifest = read_manifest(profile)
    command, grid_files = f"xtl run --profile {profile}", GRID_FILE
    about = (f"Generated by `xtl book-pages` from `results/{profile}/` and the notebooks `{command}` executed "
             f"(grid: `{grid_files}`). Scores are in percent: `xtreme_avg`, the mean of the task's main "
             "metric over its XTREME languages that were evaluated (QA: F1), and the best English dev score of phase 3. Each run's full "
             "config is in its results folder (`config.json`).")
    models = sorted({entry["config"]["model"] for entry in manifest.values()})
    total = format_duration(sum(e["notebook_wall_s"] for e in manifest.values()))
    lines = [f"# Executed runs: the `{profile}` profile", "", about, "",
             f"Model(s): {', '.join(models)}; {len(manifest)} runs; notebook time {total}.", ""]
    by_experiment: dict[str, list[dict[str, Any]]] = {}
    for entry in manifest.values():
        by_experiment.setdefault(entry["experiment"], []).append(entry)
    try:
        canonical = list(load_grid()["experiments"])
    except XtlError:
        canonical = []
    rank = {name: canonical.index(name) if name in canonical else len(canonical) for name in by_experiment}
    for experiment_name, entries in sorted(by_experiment.items(), key=lambda item: (rank[item[0]], item[0])):
        lines += [f"## {experiment_name}", "",
                  "| run | intermediate | task | seed | metric | xtreme_avg | English dev | time | config | notebook |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for entry in sorted(entries, key=lambda e: e["name"]):
            summary = results.summarise_folder(results_root() / entry["results"])
            cells = [entry["name"], results.intermediate_label(entry["config"]), summary.get("task", "-"),
                     str(entry["config"]["seed"]), summary.get("metric", "-"), _number(summary.get("average")),
                     _number(summary.get("english_dev")), format_duration(entry["notebook_wall_s"]),
                     _config_line(entry["config"]), f"[notebook]({entry['notebook']})"]
            lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
        lines.append("")
    path = book_runs_root() / profile / "index.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path


def _number(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, (int, float)) else "-"


def _config_line(config: dict[str, Any]) -> str:
    """The sizes that matter, in one cell: phase-2 data, phase-3 data, learning rate and epochs."""
    parts = []
    inter = config["intermediate"]
    if inter["tasks"]:
        parts.append(f"phase 2: {'+'.join(inter['tasks'])} ×{inter['train_limit'] or 'all'} @{inter['max_length']}, "
                     f"lr {inter['train']['learning_rate']:g}, {inter['train']['epochs']:g} ep"
                     + (f", MLM {inter['mlm_share']:g}" if inter["mlm_share"] else ""))
    if "target" in config:
        cfg = config["target"]
        parts.append(f"phase 3: ×{cfg['train_limit'] or 'all'} @{cfg['max_length']}, lr {cfg['train']['learning_rate']:g}, "
                     f"{cfg['train']['epochs']:g} ep, eval {cfg['eval_limit'] or 'all'}/lang")
    if "retrieval" in config:
        cfg = config["retrieval"]
        parts.append(f"{cfg['limit'] or 'all'} sentences/lang @{cfg['max_length']}, layer {cfg['layer'] or 'auto'}")
    return "; ".join(parts)
