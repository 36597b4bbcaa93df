"""How long a run will take, before it runs: a prior the progress line rescales as runs finish.

The prior comes from the measured me5-small CPU throughput (2 cores, 64 tokens: ~17 train and ~45
eval examples/s), or where a task's `cost.pace` holds the pace the pilot profile measured (multiple
choice), that pace; sizes come from the kit's MANIFEST.json (no data is read), else the configured
limits. A cut of me5-small (`me5-small-l{k}`) costs k/12 of the whole encoder's work: the layers are the
work, the notebook's start-up and an MLM head's output layer are not (`depth_share`). `xtl run` prints the sum
and, while it runs, rescales what is left by the ratio of actual to estimated time so far.
"""

from __future__ import annotations

import json
import math
from typing import Any

from xtl import model_names, runs, tasks
from xtl.paths import checkpoint_root, data_root

TRAIN_PER_S, EVAL_PER_S, NOTEBOOK_OVERHEAD_S, UNKNOWN_SIZE = 17.0, 45.0, 15.0, 10000
# Tokens of a typical example (QA: question + context, before windowing), calibrated on the laptop
# profile's measured notebook times (book/runs/laptop/runs.json).
_TYPICAL_TOKENS = {"sentence_classification": 40, "pair_classification": 64, "token_tagging": 40,
                   "extractive_qa": 250, "multiple_choice": 96, "retrieval": 24, "raw_text": 40}
MLM_BATCH_COST = 3.0  # an MLM batch against a classification batch of the same size (the 250k-word output layer)
_MODEL_COST = {"tiny-random": 0.01, "me5-small": 1.0, "random-me5-small": 1.0, "xlm-roberta-base": 3.0,
               "xlm-roberta-large": 12.0}


def run_seconds(kind: str, config: dict[str, Any], phase2: str | None, phase3: str | None = "") -> float:
    """Seconds of one run (kind intermediate, target or retrieval) with its resolved config.

    `phase2` is the run's phase-2 key when its phase 2 is charged to this run, None when an earlier
    run of the grid already paid for it; a phase 2 whose encoder is cached costs nothing. `phase3`
    likewise for a phase-3 training that targets share ("" when the target trains its own).
    """
    inter = config["intermediate"]
    seconds = 0.0      # the encoder's work (scales with its depth)
    output_layer = 0.0  # an MLM head's 250k-word output layer (does not)
    if inter["tasks"] and phase2 is not None and not _cached(phase2):
        mlm_batches_per_task_batch = inter["mlm_share"] / (1 - inter["mlm_share"]) if inter["mlm_share"] < 1 else 0.0
        task_batches = train_seconds(inter["tasks"], inter)
        seconds += task_batches * (1 + mlm_batches_per_task_batch)
        output_layer += task_batches * mlm_batches_per_task_batch * (MLM_BATCH_COST - 1)
    if kind == "target":
        cfg = config["target"]
        if phase3 == "" or (phase3 is not None and not _cached(phase3)):
            seconds += train_seconds([cfg["task"]], cfg)
        items = sum(eval_size(cfg["task"], lang, cfg["eval_limit"])
                    for lang in cfg["languages"] or tasks.get(cfg["task"]).eval_split)
        seconds += examples_cost(cfg["task"], items, cfg["max_length"]) / EVAL_PER_S
    elif kind == "retrieval":
        cfg = config["retrieval"]
        items = sum(eval_size(cfg["task"], lang, cfg["limit"])
                    for lang in cfg["languages"] or tasks.get(cfg["task"]).eval_split)
        seconds += 2 * items * min(cfg["max_length"], 24) / 64 / EVAL_PER_S
    return NOTEBOOK_OVERHEAD_S + (seconds * depth_share(config["model"]) + output_layer) * _MODEL_COST.get(
        config["model"], 1.0)


def depth_share(model: str) -> float:
    """The share of its whole encoder's layers a model runs: k/12 for me5-small-l{k} (the model registry's layer
    count), 1 for every other name."""
    spec = model_names.resolve(model)
    return spec.layers / model_names.ME5_LAYERS if spec.kind == "me5" and spec.layers else 1.0


def examples_cost(task_name: str, examples: int | None, max_length: int) -> float:
    """Work of `examples` examples of a task (or an intermediate source, `xtl.tasks.source`) in units of one
    64-token sequence."""
    task = tasks.source(task_name).task
    fmt = task.format
    choices = len(task.label_names) if fmt == "multiple_choice" else 1  # one sequence per choice
    typical = _TYPICAL_TOKENS.get(fmt, 64)
    tokens = min(max_length, typical)
    if fmt == "extractive_qa" and typical > max_length:  # a long context becomes windows at a stride of half the window
        tokens = max_length * (1 + math.ceil((typical - max_length) / (max_length / 2)))
    return (examples if examples is not None else UNKNOWN_SIZE) * choices * tokens / 64


def train_seconds(task_names: list[str], section: dict[str, Any]) -> float:
    """Training plus the English-dev evaluations (every `eval_every` steps, else once per epoch)."""
    train = section["train"]
    limits = {name: train_size(name, (section.get("task_limits") or {}).get(name, section["train_limit"]))
              for name in task_names}
    examples = sum(limits.values())
    batches_per_epoch = max(1, examples // train["batch_size"])
    steps = train["max_steps"] or math.ceil(train["epochs"] * batches_per_epoch / train["grad_accum"])
    epochs = steps * train["grad_accum"] / batches_per_epoch
    evaluations = math.ceil(steps / train["eval_every"]) if train["eval_every"] else max(1, math.ceil(epochs))
    seconds = 0.0
    for name in task_names:
        measured = tasks.cost(name).pace.get(section["max_length"])  # (train examples/s, dev items/s)
        if measured:
            dev_items = UNKNOWN_SIZE if section["dev_limit"] is None else section["dev_limit"]
            seconds += limits[name] * epochs / measured[0] + dev_items * evaluations / measured[1]
            continue
        seconds += examples_cost(name, limits[name], section["max_length"]) * epochs / TRAIN_PER_S
        seconds += examples_cost(name, section["dev_limit"], section["max_length"]) * evaluations / EVAL_PER_S
    return seconds


def kit_rows(task_name: str, lang: str, split: str) -> int | None:
    """Rows of a kit file as its MANIFEST.json records them (no read); None when the kit lacks that file."""
    root = data_root(required=False)
    manifest = root / tasks.get(task_name).kit_name / "MANIFEST.json" if root is not None else None
    if manifest is None or not manifest.is_file():
        return None
    info = json.loads(manifest.read_text()).get("files", {}).get(f"{lang}/{split}.jsonl.gz")
    return int(info["rows"]) if info and "rows" in info else None


def train_size(name: str, limit: int | None) -> int:
    """Training examples of a task or an intermediate source (`xtl.tasks.source`): per training part the
    part's share of the limit, capped by (or, for null, equal to) the kit's rows."""
    source = tasks.source(name)
    share = source.part_limit(limit)
    return sum(_capped(kit_rows(*part), share) for part in source.train)


def _capped(rows: int | None, limit: int | None) -> int:
    if rows is None:
        return limit if limit is not None else UNKNOWN_SIZE
    return rows if limit is None else min(limit, rows)


def eval_size(task_name: str, lang: str, limit: int | None) -> int:
    """Evaluated items in one language: the limit, capped by (or, for null, equal to) the kit's split."""
    return _capped(kit_rows(task_name, lang, tasks.get(task_name).eval_split.get(lang, "")), limit)


def _cached(key: str) -> bool:
    """A phase-2 encoder or shared phase-3 model this core code made is in the checkpoint cache."""
    return runs.checkpoint_is_current(checkpoint_root() / key)


def at_measured_pace(todo: list[tuple[Any, float]], finished: list[tuple[Any, float, float]]) -> float:
    """Seconds the `todo` runs ((group, estimate) pairs) take at the pace `finished` runs ((group, estimate,
    measured) triples) measured: each estimate scaled by measured/estimated of finished runs of its group
    (a target, say), else of all finished runs, else left as it is."""
    totals: dict[Any, list[float]] = {}
    for group, estimated, measured in finished:
        totals.setdefault(group, [0.0, 0.0])
        totals[group][0] += estimated
        totals[group][1] += measured
    all_estimated, all_measured = sum(e for _, e, _ in finished), sum(m for _, _, m in finished)
    overall = all_measured / all_estimated if all_estimated else 1.0
    return sum(estimated * (totals[group][1] / totals[group][0] if group in totals and totals[group][0] else overall)
               for group, estimated in todo)


def format_duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
