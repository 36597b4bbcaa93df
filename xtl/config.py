"""One config schema, its defaults and its validation.

A config is a plain dict (what experiments.yml and the notebooks' parameters hold): `model`, `seed` and
an `intermediate`, `target` or `retrieval` section. `resolve_*` fill in the defaults and check every
name before a model loads, so the hash, and thus the run folder, depends on every value that matters.
Training defaults are `TrainConfig`'s: `DEFAULT_TRAIN` is read from its fields. Nothing here loads torch
or data: the grid, the estimate and the CLI resolve configs without them.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Any

from xtl import model_names, tasks
from xtl.errors import XtlError


@dataclass
class TrainConfig:
    """Everything that shapes training (`xtl.train.train` reads it). Its defaults are the project's only
    training defaults: `DEFAULT_TRAIN` reads them, so changing one changes every run id."""

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


_TRAIN_FIELDS = {field.name: field.default for field in dataclasses.fields(TrainConfig)}
# The training keys every resolved config holds, in the order config.json has always listed them; `seed` is
# the config's own and `compile` a speed switch (benchmarks/README.md), so neither is a key here.
TRAIN_KEYS = ("learning_rate", "batch_size", "epochs", "max_steps", "eval_every", "patience", "grad_accum",
              "warmup_ratio", "weight_decay", "freeze_word_embeddings", "sampling", "temperature", "cap",
              "mixed_precision", "max_grad_norm", "mlm_probability")
DEFAULT_TRAIN = {key: _TRAIN_FIELDS[key] for key in TRAIN_KEYS}
# Training keys added after runs were committed: a config holds them only when they differ from these
# defaults, so the run ids (config hashes) of earlier runs stay valid.
OPTIONAL_TRAIN = {key: _TRAIN_FIELDS[key] for key in ("sentence_pooling",)}
DEFAULT_INTERMEDIATE = {"tasks": [], "train_limit": 2000, "dev_limit": 200, "max_length": 128,
                        "mlm_share": 0.0, "task_limits": {}, "train": {}}
DEFAULT_TARGET = {"task": "panx", "train_limit": 2000, "dev_limit": 200, "eval_limit": 200,
                  "max_length": 128, "languages": None, "train": {}, "eval_batch_size": 64}
DEFAULT_RETRIEVAL = {"task": "tatoeba", "languages": None, "limit": 200, "layer": None, "max_length": 128,
                     "prefix": ""}


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


def _resolve_train(given: dict[str, Any] | None, where: str) -> dict[str, Any]:
    given = dict(given or {}) if isinstance(given, dict) else given
    optional = {key: given.pop(key) for key in list(given or {}) if key in OPTIONAL_TRAIN}
    resolved = _merge(DEFAULT_TRAIN, given, f"{where}.train")
    for key, default in DEFAULT_TRAIN.items():
        resolved[key] = _typed(resolved[key], default, f"{where}.train.{key}")
    for key, value in optional.items():  # kept only when it differs from its default, so older run ids hold
        if _typed(value, OPTIONAL_TRAIN[key], f"{where}.train.{key}") != OPTIONAL_TRAIN[key]:
            resolved[key] = value
    try:
        TrainConfig(**resolved)  # validates values
    except XtlError as error:
        raise XtlError(f"{where}.train: {error}") from None
    return resolved


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


def resolve_intermediate(config: dict[str, Any]) -> dict[str, Any]:
    """Defaults filled in and every name checked; `tasks: []` means no phase 2 (the baseline)."""
    base = _base(config)
    inter = _merge(DEFAULT_INTERMEDIATE, config.get("intermediate"), "intermediate")
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
    inter["train"] = _resolve_train(inter["train"], "intermediate")
    model_names.resolve(base["model"])
    return {**base, "intermediate": inter}


def resolve_target(config: dict[str, Any]) -> dict[str, Any]:
    resolved = resolve_intermediate(config)
    target_cfg = _merge(DEFAULT_TARGET, config.get("target"), "target")
    task = tasks.get(target_cfg["task"])
    if task.format in ("retrieval", "raw_text") or task.train_split is None:
        raise XtlError(f"{task.name} is not a trainable target; use a retrieval run or another task")
    if task.train_lang is None:  # phase 3 trains on English: without it the run would fail after phase 2
        raise XtlError(f"target {task.name} has no English training data; choose a target with English data, or "
                       f"train on it as an intermediate task (intermediate.tasks: ['{task.name}:{task.languages[0]}'])")
    if target_cfg["languages"] is not None:
        target_cfg["languages"] = _check_languages(task, _names(target_cfg["languages"], "target.languages"))
    _sizes(target_cfg, "target", ("train_limit", "dev_limit", "eval_limit"))
    target_cfg["eval_batch_size"] = _count(target_cfg["eval_batch_size"], "target.eval_batch_size", allow_none=False)
    target_cfg["train"] = _resolve_train(target_cfg["train"], "target")
    unknown = sorted(set(config) - {"model", "seed", "intermediate", "target", "profile", "experiment"})
    if unknown:
        raise XtlError(f"unknown parameter(s) {', '.join(unknown)}; known: model, seed, intermediate, target")
    return {**resolved, "target": target_cfg}


def resolve_retrieval(config: dict[str, Any]) -> dict[str, Any]:
    resolved = resolve_intermediate(config)
    ret = _merge(DEFAULT_RETRIEVAL, config.get("retrieval"), "retrieval")
    task = tasks.get(ret["task"])
    if task.format != "retrieval":
        raise XtlError(f"task {task.name!r} is not a retrieval task; use {' or '.join(tasks.names('retrieval'))}")
    if ret["languages"] is not None:
        ret["languages"] = _check_languages(task, _names(ret["languages"], "retrieval.languages"))
    _sizes(ret, "retrieval", ("limit",))
    if ret["layer"] is not None:
        ret["layer"] = _count(ret["layer"], "retrieval.layer", minimum=0)
    return {**resolved, "retrieval": ret}


def tasks_read(resolved: dict[str, Any]) -> list[str]:
    """The tasks whose kit files a resolved config reads (phase 2, its MLM stream, phase 3 or retrieval)."""
    names = {tasks.MLM_CORPUS.name} if resolved["intermediate"]["mlm_share"] else set()
    for name in resolved["intermediate"]["tasks"]:
        names |= set(tasks.source(name).reads)
    names |= {resolved[section]["task"] for section in ("target", "retrieval") if section in resolved}
    return sorted(names)


def _check_languages(task: tasks.Task, languages: list[str]) -> list[str]:
    available = set(task.eval_split)
    wrong = [lang for lang in languages if lang not in available]
    if wrong:
        raise XtlError(f"task {task.name} has no evaluation language {', '.join(wrong)}; "
                       f"choose from {', '.join(sorted(available))}")
    return list(languages)
