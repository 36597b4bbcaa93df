"""The grid: experiments.yml's profiles expanded into validated runs, each with its config and folders.

A run is one notebook template with one set of parameters. `expand` builds every run of a profile
and checks it before anything executes: parameter names against the template's `parameters` cell,
every other field through `xtl.config.resolve`, which makes each run's typed config once. Each run knows
the result folder its notebook's xtl call will write and the cached trainings it shares (`xtl.identity`,
which names the run for `xtl.experiment` too), where its executed notebook goes, and its estimated time
(`xtl.estimate`).
"""

from __future__ import annotations

import ast
import copy
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import nbformat
import yaml

from xtl import estimate, identity, runs
from xtl.config import RunConfig, resolve
from xtl.errors import XtlError
from xtl.notebook_parameters import parameters_from_config
from xtl.paths import book_runs_root, repo_relative, repo_root, results_root

GRID_FILE = "experiments.yml"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")
STALE, UNKNOWN = "stale", "unknown code"  # finished runs that `xtl run` keeps unless --rerun-stale
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml reads the grid ten times faster


def grid_path() -> Path:
    return repo_root() / GRID_FILE


def template_parameters(template: Path) -> dict[str, str]:
    """Names assigned in the template's single `parameters` cell, with their default's source text."""
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


@dataclass
class Run:
    """One notebook execution: which template, with which parameters, writing where."""

    profile: str
    experiment: str
    name: str
    kind: str  # intermediate | target | retrieval
    template: Path
    config: dict[str, Any]  # the resolved config's dict form (config.json): what the estimate and the report read
    parameters: dict[str, Any]
    results: Path  # the result folder the notebook's xtl call writes
    estimate_s: float = 0.0
    phase2: str = ""  # hash of the phase-2 key (runs sharing it share one cached encoder)
    phase3: str = ""  # hash of a shared phase-3 training (XQuAD and MLQA share one SQuAD-trained model), else ""
    cells: dict[str, str] = field(default_factory=dict)  # axis -> setting/task name
    resolved: RunConfig | None = None  # the typed config the notebook's xtl call will see (`expand` sets it)

    @property
    def label(self) -> str:
        return f"{self.experiment}/{self.name}"

    @property
    def notebook(self) -> Path:
        return book_runs_root() / self.profile / self.experiment / f"{self.name}.ipynb"

    def in_profile(self, profile: str) -> Run:
        """The same run (same config, same run id) as profile `profile` would hold it."""
        relative = self.results.relative_to(results_root() / self.profile)
        return replace(self, profile=profile, results=results_root() / profile / relative)

    def reads(self) -> list[str]:
        """The tasks whose kit files the run reads."""
        return (self.resolved or resolve(self.config, self.kind)).tasks_read()

    def is_finished(self) -> bool:
        return self.notebook.is_file() and runs.is_complete(self.results)

    def state(self, fingerprint: str) -> str:
        """todo, done, stale (finished by other core code) or unknown code (finished before fingerprints)."""
        if not self.is_finished():
            return "todo"
        made_by = runs.made_by(self.results)
        return UNKNOWN if made_by is None else "done" if runs.same_numbers(made_by, fingerprint) else STALE


def load_grid(path: Path | None = None) -> dict[str, Any]:
    path = Path(path) if path else grid_path()
    if not path.is_file():
        raise XtlError(f"grid file {path} not found; run from the repository or pass its path")
    try:
        grid = yaml.load(path.read_text(), Loader=_YAML_LOADER)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        raise XtlError(f"{path} is not valid YAML ({where}); fix it") from None
    except UnicodeDecodeError as error:
        raise XtlError(f"{path} is not UTF-8 text (byte {error.object[error.start]:#x} at offset {error.start}); "
                       "save it as UTF-8") from None
    for key in ("experiments", "settings", "profiles"):
        if not isinstance(grid, dict) or not isinstance(grid.get(key), dict):
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


def ancestors(profile: str, grid: dict[str, Any] | Path | None = None) -> list[str]:
    """The profiles `profile` extends, nearest first (their finished runs of the same config are its runs too)."""
    grid = grid if isinstance(grid, dict) else load_grid(grid)
    profile_spec(grid, profile)  # unknown profiles and cycles fail here, in one line
    chain, parent = [], grid["profiles"][profile].get("extends")
    while parent:
        chain.append(parent)
        parent = grid["profiles"][parent].get("extends")
    return chain


def _kind(axes: list[str]) -> str:
    return "target" if "target" in axes else "retrieval" if "retrieval" in axes else "intermediate"


def experiment_cells(exp_name: str, exp: dict[str, Any], chosen: dict[str, Any], seeds: list[int],
                     profile: str) -> Iterator[tuple[dict[str, Any], int]]:
    """Yield ({axis: name}, seed) for a cross product or an explicit `runs:` list.

    `seeds` is a list, or a map from values of the experiment's first axis to their seeds with a
    `default` for the others: so a budget can give three seeds to the settings a verdict turns on
    and one to the rest.
    """
    axes = list(exp["axes"])
    chosen = dict(chosen or {})
    where = f"profile '{profile}', experiment '{exp_name}'"
    unknown = sorted(set(chosen) - set(axes) - {"runs", "seeds"})
    if unknown:
        raise XtlError(f"{where}: unknown key(s) {', '.join(unknown)}; use its axes ({', '.join(axes)}), "
                       f"'seeds' or 'runs'")
    seeds_of = _seeds_by_value(chosen.get("seeds", seeds), axes[0], chosen.get(axes[0]) or
                               [cell.get(axes[0]) for cell in chosen.get("runs", [])], where)
    if "runs" in chosen:
        for cell in chosen["runs"]:
            missing = [axis for axis in axes if axis not in cell]
            if missing or set(cell) - set(axes) - {"seed"}:
                raise XtlError(f"profile '{profile}', experiment '{exp_name}': run {cell} must name exactly "
                               f"{', '.join(axes)} (and optionally seed)")
            for seed in ([cell["seed"]] if "seed" in cell else seeds_of(cell[axes[0]])):
                yield {axis: cell[axis] for axis in axes}, int(seed)
        return
    missing = [axis for axis in axes if not chosen.get(axis)]
    if missing:
        raise XtlError(f"profile '{profile}', experiment '{exp_name}': give a list for {', '.join(missing)} "
                       f"or a 'runs:' list")
    every_seed = sorted({seed for value in chosen[axes[0]] for seed in seeds_of(value)})
    for seed in every_seed:
        for combo in itertools.product(*(list(chosen[axis]) for axis in axes)):
            if seed in seeds_of(combo[0]):
                yield dict(zip(axes, combo)), int(seed)


def _seeds_by_value(seeds: list[int] | dict[str, list[int]], axis: str, values: list[str] | None,
                    where: str) -> Callable[[str | None], list[int]]:
    """The seeds of a value of the first axis (None: the default), from a list or a map with `default`."""
    if not isinstance(seeds, dict):
        return lambda value: [int(seed) for seed in seeds]
    if "default" not in seeds:
        raise XtlError(f"{where}: a seeds map needs a 'default' list (the seeds of every other {axis})")
    extra = sorted(set(seeds) - {"default"} - set(values or []))
    if extra:
        raise XtlError(f"{where}: seeds given for {', '.join(extra)}, which the experiment's {axis} list "
                       f"does not have; use its values ({', '.join(values or [])}) or 'default'")
    return lambda value: [int(seed) for seed in seeds.get(value, seeds["default"])]


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
        for cell, seed in experiment_cells(exp_name, exp, spec["experiments"][exp_name], spec["seeds"], profile):
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
        resolved = resolve(config, kind)
    except XtlError as error:
        raise XtlError(f"{where}: {error}") from None
    if kind == "intermediate" and not resolved.intermediate.tasks:
        raise XtlError(f"{where}: the intermediate experiment needs a setting with tasks; remove '{cell['intermediate']}'")
    record = resolved.record()
    parameters = parameters_from_config(record)
    _check_declared(parameters, declared, template, where, hint="add it to the template's parameters cell")
    parameters.update({"profile": profile, "experiment": exp_name, "force": False})
    parameters = {k: v for k, v in parameters.items() if k in declared}
    run = identity.of(kind, resolved)
    return Run(profile, exp_name, name, kind, template, record, parameters, run.results(profile, exp_name),
               phase2=run.phase2, phase3=run.phase3, cells=dict(cell), resolved=resolved)


def _check_declared(parameters: dict[str, Any], declared: dict[str, str], template: Path, where: str,
                    hint: str) -> None:
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared))
        raise XtlError(f"{where}: parameter {', '.join(unknown)} is not in {repo_relative(template)}'s parameters cell "
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


def _estimate(planned: list[Run]) -> None:
    """Seconds per run; a phase-2 setting, or a shared phase-3 training, is charged to the first run that
    needs it (and is not cached)."""
    charged: set[str] = set()
    for run in planned:
        shared = None if run.phase3 and run.phase3 in charged else run.phase3
        run.estimate_s = estimate.run_seconds(run.kind, run.config, None if run.phase2 in charged else run.phase2,
                                              shared)
        charged.update({run.phase2, run.phase3} - {""})
