"""A run's typed config: its sections, their defaults, their validation, and the one place a dict becomes one.

A run's config is a `RunConfig`: `model`, `seed`, an `IntermediateConfig` (phase 2; no tasks: the baseline)
and a `TargetConfig` (phase 3) or a `RetrievalConfig`; a training section's `train` is a `TrainConfig`, the
very object `xtl.train.train` gets. `resolve(config, kind)` is the one place a plain dict (what
experiments.yml, a config file, config.json and the notebooks' parameters hold) becomes one: defaults filled
in and every field checked, each mistake one line (`XtlError`) before a model loads. `RunConfig.record()` is
its dict form again: what config.json holds and the run id hashes (`xtl.identity`), so the run folder depends
on every value that matters. Defaults live on the dataclasses (`DEFAULT_*` are read from them for the
templates' parameters cells). Nothing here loads torch or data: the grid, the estimate and the CLI resolve
configs without them.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from xtl import model_names, tasks
from xtl.errors import XtlError


@dataclass
class TrainConfig:
    """Everything that shapes training (`xtl.train.train` reads it). Its defaults are the project's only
    training defaults, so changing one changes every run id; a field added later is recorded only when set
    (`record`), so adding one moves none."""

    learning_rate: float = 2e-5
    batch_size: int = 16  # global batch per micro-step (split across processes)
    grad_accum: int = 1
    epochs: float = 1.0
    max_steps: int = 0  # optimiser steps; 0 = from epochs
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    eval_every: int = 0  # optimiser steps between English-dev evaluations; 0 = once per epoch
    patience: int = 30  # evaluations without improvement before stopping
    sampling: str = "proportional"  # proportional | temperature | capped | uniform
    temperature: float = 2.0
    cap: int = 20000  # examples, for capped sampling
    seed: int = 0
    mixed_precision: str = "auto"  # auto (bf16 on GPU, fp32 on CPU) | no | bf16 | fp16
    freeze_word_embeddings: bool = False
    mlm_probability: float = 0.15
    sentence_pooling: str = "first"  # sentence and choice heads read the first token (XLM-R, jiant) or the mean
    compile: bool = False  # torch.compile the training forward: pays on long GPU runs, not on CPU (benchmarks/)

    def __post_init__(self) -> None:
        """Every value checked here, so a bad one fails in one line before a model loads."""
        if self.sampling not in SAMPLINGS:
            raise XtlError(f"unknown sampling {self.sampling!r}; use {_either(SAMPLINGS)}")
        if self.mixed_precision not in PRECISIONS:
            raise XtlError(f"unknown mixed_precision {self.mixed_precision!r}; use {_either(PRECISIONS)}")
        if self.sentence_pooling not in POOLINGS:
            raise XtlError(f"unknown sentence_pooling {self.sentence_pooling!r}; use {_either(POOLINGS)}")
        _check_seed(self.seed, "seed")
        for name, low, high, closed in _RANGES:
            value = getattr(self, name)
            if not (value >= low if closed[0] else value > low) or not (value <= high if closed[1] else value < high):
                wanted = (f"at least {low:g}" if closed[0] else f"above {low:g}") if high == _INF else \
                    f"in {'[' if closed[0] else '('}{low:g}, {high:g}{']' if closed[1] else ')'}"
                raise XtlError(f"{name} must be {wanted}, not {value!r}; fix the config")

    def record(self) -> dict[str, Any]:
        """Its part of config.json: the keys every run has recorded (`TRAIN_KEYS`), then each later field only
        where it differs from its default, so that a new field changes no run id until a config sets it."""
        record = {key: getattr(self, key) for key in TRAIN_KEYS}
        record.update({f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                       if f.name not in TRAIN_KEYS and f.name not in NOT_RECORDED and getattr(self, f.name) != f.default})
        return record


SAMPLINGS = ("proportional", "temperature", "capped", "uniform")
PRECISIONS = ("auto", "no", "bf16", "fp16")
POOLINGS = ("first", "mean")
_INF = float("inf")
# (field, lowest, highest, (lowest allowed, highest allowed)): the range of every numeric training value
_RANGES = (("learning_rate", 0, _INF, (False, False)), ("batch_size", 1, _INF, (True, False)),
           ("grad_accum", 1, _INF, (True, False)), ("epochs", 0, _INF, (False, False)),
           ("max_steps", 0, _INF, (True, False)), ("warmup_ratio", 0, 1, (True, True)),
           ("weight_decay", 0, _INF, (True, False)), ("max_grad_norm", 0, _INF, (True, False)),
           ("eval_every", 0, _INF, (True, False)), ("patience", 1, _INF, (True, False)),
           ("temperature", 0, _INF, (False, False)), ("cap", 1, _INF, (True, False)),
           ("mlm_probability", 0, 1, (False, False)))
SEED_LIMIT = 2**32  # numpy's seeds (xtl.data samples rows with them) are integers in [0, 2**32)


def _check_seed(seed: object, where: str) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_LIMIT:
        raise XtlError(f"{where} must be an integer from 0 to {SEED_LIMIT - 1}, not {seed!r}; fix the config")


def _either(names: tuple[str, ...]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1]


_TRAIN_FIELDS = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
# The training keys every resolved config records, in the order config.json has always listed them. Never add
# to it: a field added to TrainConfig is recorded only when set (`TrainConfig.record`), so run ids stay valid.
TRAIN_KEYS = ("learning_rate", "batch_size", "epochs", "max_steps", "eval_every", "patience", "grad_accum",
              "warmup_ratio", "weight_decay", "freeze_word_embeddings", "sampling", "temperature", "cap",
              "mixed_precision", "max_grad_norm", "mlm_probability")
# Fields no config sets: `seed` is the run's own (`resolve` passes it), `compile` a speed switch (benchmarks/).
NOT_RECORDED = ("seed", "compile")
DEFAULT_TRAIN = TrainConfig().record()


class _Section:
    """A config section's dict form (its part of config.json, a `train` as `TrainConfig.record`)."""

    def record(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


def _plain(value: Any) -> Any:
    return value.record() if isinstance(value, TrainConfig) else copy.deepcopy(value)


@dataclass(frozen=True)
class IntermediateConfig(_Section):
    """Phase 2: the English intermediate task(s) (`xtl.tasks.source` names; none: the baseline)."""

    tasks: list[str] = field(default_factory=list)
    train_limit: int | None = 2000  # training examples per task (None: all the kit has)
    dev_limit: int | None = 200  # English dev examples per task (early stopping)
    max_length: int = 128  # tokens
    mlm_share: float = 0.0  # share of draws that are multilingual MLM batches (C6's baseline)
    task_limits: dict[str, int] = field(default_factory=dict)  # per-task training limits over train_limit
    train: TrainConfig = field(default_factory=TrainConfig)

    def limit(self, name: str) -> int | None:
        """The training examples of intermediate task `name`."""
        return self.task_limits.get(name, self.train_limit)


@dataclass(frozen=True)
class TargetConfig(_Section):
    """Phase 3: English training on a target task, then zero-shot evaluation in its languages."""

    task: str = "panx"
    train_limit: int | None = 2000
    dev_limit: int | None = 200
    eval_limit: int | None = 200  # evaluation examples per language
    max_length: int = 128
    languages: list[str] | None = None  # None: every language the kit has for the task
    train: TrainConfig = field(default_factory=TrainConfig)
    eval_batch_size: int = 64


@dataclass(frozen=True)
class RetrievalConfig(_Section):
    """BUCC or Tatoeba from an encoder layer's sentence vectors (no phase 3)."""

    task: str = "tatoeba"
    languages: list[str] | None = None
    limit: int | None = 200  # source sentences per language (BUCC: with their partners)
    layer: int | None = None  # None: 14/24 of the depth, as the paper
    max_length: int = 128
    prefix: str = ""  # text put before every sentence


KINDS = ("intermediate", "target", "retrieval")


@dataclass(frozen=True)
class RunConfig:
    """One run's whole config, resolved (`resolve` makes it): a phase-2 section, and a target or retrieval one."""

    model: str
    seed: int
    intermediate: IntermediateConfig
    target: TargetConfig | None = None
    retrieval: RetrievalConfig | None = None

    def __post_init__(self) -> None:
        for section in (self.intermediate, self.target):
            if section is not None and section.train.seed != self.seed:
                raise XtlError(f"a section's train.seed ({section.train.seed}) is not the run's seed ({self.seed}); "
                               "make the config with xtl.config.resolve")

    @property
    def kind(self) -> str:
        """intermediate, target or retrieval."""
        return "target" if self.target is not None else "retrieval" if self.retrieval is not None else "intermediate"

    def record(self) -> dict[str, Any]:
        """The dict form: config.json, and what the run id hashes."""
        record: dict[str, Any] = {"model": self.model, "seed": self.seed, "intermediate": self.intermediate.record()}
        for name, section in (("target", self.target), ("retrieval", self.retrieval)):
            if section is not None:
                record[name] = section.record()
        return record

    def tasks_read(self) -> list[str]:
        """The tasks whose kit files the run reads (phase 2, its MLM stream, phase 3 or retrieval)."""
        names = {tasks.MLM_CORPUS.name} if self.intermediate.mlm_share else set()
        for name in self.intermediate.tasks:
            names |= set(tasks.source(name).reads)
        names |= {section.task for section in (self.target, self.retrieval) if section is not None}
        return sorted(names)


def _defaults(section: type[_Section]) -> dict[str, Any]:
    """A section's default values as the templates' parameters cells show them (`train: {}` keeps TrainConfig's)."""
    return {**section().record(), **({"train": {}} if "train" in section.__dataclass_fields__ else {})}  # type: ignore[attr-defined]


DEFAULT_INTERMEDIATE = _defaults(IntermediateConfig)
DEFAULT_TARGET = _defaults(TargetConfig)
DEFAULT_RETRIEVAL = _defaults(RetrievalConfig)


def _merge(defaults: dict[str, Any], given: dict[str, Any] | None, where: str) -> dict[str, Any]:
    if given is not None and not isinstance(given, dict):
        raise XtlError(f"{where} must be a mapping of its keys ({', '.join(sorted(defaults))}), not {given!r}")
    given = dict(given or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise XtlError(f"unknown {where} parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(defaults))}")
    merged = copy.deepcopy(defaults)
    merged.update(given)
    return merged


def _train(given: dict[str, Any] | None, where: str, seed: int) -> TrainConfig:
    """A section's `train:` as a TrainConfig: every given value of its field's type, then in its range."""
    settable = {name: default for name, default in _TRAIN_FIELDS.items() if name not in NOT_RECORDED}
    given = _merge(settable, given, f"{where}.train")
    values = {key: _typed(given[key], default, f"{where}.train.{key}") for key, default in settable.items()}
    try:
        return TrainConfig(seed=seed, **values)
    except XtlError as error:
        raise XtlError(f"{where}.train: {error}") from None


def _typed(value: Any, default: Any, where: str) -> Any:
    """A value of the default's type; YAML 1.1 reads `1e-5` as a string, so numeric strings become floats."""
    if isinstance(default, float) and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    wanted = (int, float) if isinstance(default, float) else type(default)
    if isinstance(value, bool) != isinstance(default, bool) or not isinstance(value, wanted):
        kind = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}[type(default)]
        raise XtlError(f"{where} must be {kind} like {default!r}, not {value!r}; fix the config")
    return value


def _count(value: Any, where: str, allow_none: bool = True, minimum: int = 1) -> Any:
    """Limits and lengths: None (where allowed, meaning all) or an integer of at least `minimum`."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        allowed = " or null (all)" if allow_none else ""
        raise XtlError(f"{where} must be an integer of at least {minimum}{allowed}, not {value!r}; fix the config")
    return value


def _names(value: Any, where: str) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise XtlError(f"{where} must be a list of names such as [mnli], not {value!r} "
                       f"(papermill: -y '{where.replace('.', '_')}: [mnli]')")
    return list(value)


def _sizes(section: dict[str, Any], where: str, limits: tuple[str, ...]) -> None:
    """Validate a section's sizes here, before a model loads, not deep inside data loading."""
    for key in limits:
        section[key] = _count(section[key], f"{where}.{key}")
    section["max_length"] = _count(section["max_length"], f"{where}.max_length", allow_none=False, minimum=8)


def _base(config: Any) -> dict[str, Any]:
    """model and seed of a config, which must be a mapping."""
    if not isinstance(config, dict):
        raise XtlError(f"a config is a mapping (model, seed, intermediate, target or retrieval), not {config!r}; "
                       "fix the YAML")
    model = config.get("model", "me5-small")
    if not isinstance(model, str):
        raise XtlError(f"model must be a name from 'xtl models', not {model!r}")
    seed = config.get("seed", 0)
    _check_seed(seed, "seed")
    return {"model": model, "seed": seed}


def resolve(config: dict[str, Any] | RunConfig, kind: str | None = None) -> RunConfig:
    """The one place a config's dict form becomes a `RunConfig`: defaults filled in, every field checked.

    `kind` (intermediate, target, retrieval) is read from the sections given when None; an intermediate
    resolution reads only model, seed and `intermediate` (phase 2 of a target run). A RunConfig passes through.
    """
    if isinstance(config, RunConfig):
        if kind in (None, config.kind):
            return config
        if kind == "intermediate":
            return RunConfig(config.model, config.seed, config.intermediate)
        raise XtlError(f"a {config.kind} run's config cannot make a {kind} run; resolve its config as {kind}")
    base = _base(config)
    if kind is None:
        kind = "target" if "target" in config else "retrieval" if "retrieval" in config else "intermediate"
    if kind not in KINDS:
        raise XtlError(f"unknown run kind {kind!r}; use {_either(KINDS)}")
    model, seed = base["model"], base["seed"]
    intermediate = _intermediate(config.get("intermediate"), seed)
    model_names.resolve(model)
    if kind == "intermediate":
        return RunConfig(model, seed, intermediate)
    section = _target(config.get("target"), seed) if kind == "target" else None
    retrieval = _retrieval(config.get("retrieval")) if kind == "retrieval" else None
    unknown = sorted(set(config) - {"model", "seed", "intermediate", kind, "profile", "experiment"})
    if unknown:
        raise XtlError(f"unknown parameter(s) {', '.join(unknown)}; known: model, seed, intermediate, {kind}")
    return RunConfig(model, seed, intermediate, section, retrieval)


def _intermediate(given: Any, seed: int) -> IntermediateConfig:
    inter = _merge(DEFAULT_INTERMEDIATE, given, "intermediate")
    inter["tasks"] = _names(inter["tasks"], "intermediate.tasks")
    for name in inter["tasks"]:
        tasks.source(name)  # validates task and language
    _sizes(inter, "intermediate", ("train_limit", "dev_limit"))
    share = inter["mlm_share"]
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share < 1:
        raise XtlError(f"intermediate.mlm_share must be a number in [0, 1), not {share!r}")
    if not isinstance(inter["task_limits"], dict):
        raise XtlError(f"intermediate.task_limits must map task names to row counts, not {inter['task_limits']!r}")
    unknown = sorted(set(inter["task_limits"]) - set(inter["tasks"]))
    if unknown:
        raise XtlError(f"task_limits names {', '.join(unknown)}, which is not in intermediate.tasks")
    for name, limit in inter["task_limits"].items():
        _count(limit, f"intermediate.task_limits.{name}")
    return IntermediateConfig(**{**inter, "train": _train(inter["train"], "intermediate", seed)})


def _target(given: Any, seed: int) -> TargetConfig:
    target = _merge(DEFAULT_TARGET, given, "target")
    task = tasks.get(target["task"])
    if task.format in ("retrieval", "raw_text") or task.train_split is None:
        raise XtlError(f"{task.name} is not a trainable target; use a retrieval run or another task")
    if task.train_lang is None:  # phase 3 trains on English: without it the run would fail after phase 2
        raise XtlError(f"target {task.name} has no English training data; choose a target with English data, or "
                       f"train on it as an intermediate task (intermediate.tasks: ['{task.name}:{task.languages[0]}'])")
    if target["languages"] is not None:
        target["languages"] = _check_languages(task, _names(target["languages"], "target.languages"))
    _sizes(target, "target", ("train_limit", "dev_limit", "eval_limit"))
    target["eval_batch_size"] = _count(target["eval_batch_size"], "target.eval_batch_size", allow_none=False)
    return TargetConfig(**{**target, "train": _train(target["train"], "target", seed)})


def _retrieval(given: Any) -> RetrievalConfig:
    ret = _merge(DEFAULT_RETRIEVAL, given, "retrieval")
    task = tasks.get(ret["task"])
    if task.format != "retrieval":
        raise XtlError(f"task {task.name!r} is not a retrieval task; use {' or '.join(tasks.names('retrieval'))}")
    if ret["languages"] is not None:
        ret["languages"] = _check_languages(task, _names(ret["languages"], "retrieval.languages"))
    _sizes(ret, "retrieval", ("limit",))
    if ret["layer"] is not None:
        ret["layer"] = _count(ret["layer"], "retrieval.layer", minimum=0)
    if not isinstance(ret["prefix"], str):
        raise XtlError(f"retrieval.prefix must be a string such as \"query: \", not {ret['prefix']!r}; fix the config")
    return RetrievalConfig(**ret)


def resolve_intermediate(config: dict[str, Any]) -> dict[str, Any]:
    """`resolve(config, "intermediate")` in its dict form (what the templates print, and config.json)."""
    return resolve(config, "intermediate").record()


def resolve_target(config: dict[str, Any]) -> dict[str, Any]:
    """`resolve(config, "target")` in its dict form."""
    return resolve(config, "target").record()


def resolve_retrieval(config: dict[str, Any]) -> dict[str, Any]:
    """`resolve(config, "retrieval")` in its dict form."""
    return resolve(config, "retrieval").record()


def _check_languages(task: tasks.Task, languages: list[str]) -> list[str]:
    available = set(task.eval_split)
    wrong = [lang for lang in languages if lang not in available]
    if wrong:
        raise XtlError(f"task {task.name} has no evaluation language {', '.join(wrong)}; "
                       f"choose from {', '.join(sorted(available))}")
    return list(languages)
