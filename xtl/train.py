"""One training loop on accelerate, for every phase.

Single- and multi-task training are the same loop: each optimiser step draws one task from the
sampling distribution (over example counts), then that task's next `grad_accum` batches, so one
step never mixes tasks (as in jiant). accelerate does device placement, data
sharding across processes (`split_batches=True`, so the global batch and the learning-rate
schedule do not depend on the number of processes), gradient accumulation and mixed precision.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import torch
from accelerate import Accelerator, DataLoaderConfiguration, DistributedDataParallelKwargs
from accelerate.state import AcceleratorState
from accelerate.utils import set_seed
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from xtl.config import TrainConfig
from xtl.errors import XtlError
from xtl.features import IGNORE, Features, collate
from xtl.heads import MultiHeadModel


@dataclass
class TrainTask:
    """One task's training features under a head name, and an optional English-dev scorer."""

    head: str
    features: Features
    dev: Callable[[MultiHeadModel], float] | None = None


@dataclass
class TrainReport:
    steps: int = 0
    examples: int = 0
    tokens: int = 0  # non-pad input tokens seen
    wall_s: float = 0.0
    eval_s: float = 0.0  # part of wall_s spent on English-dev evaluation (and keeping the best state)
    examples_per_s: float = 0.0
    tokens_per_s: float = 0.0
    best_dev: float | None = None
    best_step: int = 0
    dev_history: list[tuple[int, float]] = field(default_factory=list)
    stopped_early: bool = False
    task_draws: dict[str, int] = field(default_factory=dict)  # batches per head

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sampling_probabilities(sizes: list[int], config: TrainConfig) -> list[float]:
    """Task mixture weights: proportional to size, size^(1/T), min(size, cap), or uniform.

    `train` passes example counts (a QA question counts once however many windows it has): mixture
    shares such as the MLM share are sized in examples, and `cap` is in examples.
    """
    if config.sampling == "uniform":
        weights = [1.0] * len(sizes)
    elif config.sampling == "temperature":
        weights = [s ** (1.0 / config.temperature) for s in sizes]
    elif config.sampling == "capped":
        weights = [min(s, config.cap) for s in sizes]
    else:
        weights = [float(s) for s in sizes]
    total = sum(weights)
    return [w / total for w in weights]


class LengthGroupedBatches:
    """Endless seeded batches: shuffle, sort chunks of 50 batches by length, shuffle batch order.

    Grouping similar lengths keeps dynamic padding small; every epoch is a new permutation.
    Batches are always full (the rest of an epoch is dropped) so they split evenly across processes.
    """

    def __init__(self, lengths: list[int], batch_size: int, seed: int, group: int = 50):
        self.lengths, self.seed, self.group = lengths, seed, group
        self.batch_size = min(batch_size, len(lengths))
        if self.batch_size == 0:
            raise XtlError("a training task has no examples; raise its limit or check the data")

    def __len__(self) -> int:
        return len(self.lengths) // self.batch_size

    def __iter__(self):
        epoch = 0
        while True:
            rng = random.Random(self.seed * 1000003 + epoch)
            order = list(range(len(self.lengths)))
            rng.shuffle(order)
            chunk = self.batch_size * self.group
            batches = []
            for start in range(0, len(order), chunk):
                part = sorted(order[start:start + chunk], key=lambda i: self.lengths[i])
                batches += [part[i:i + self.batch_size] for i in range(0, len(part), self.batch_size)]
            batches = [b for b in batches if len(b) == self.batch_size]
            rng.shuffle(batches)
            yield from batches
            epoch += 1


def make_accelerator(config: TrainConfig, multi_head: bool = False) -> Accelerator:
    precision = config.mixed_precision
    if precision == "auto":
        precision = "bf16" if torch.cuda.is_available() else "no"
    handlers = [DistributedDataParallelKwargs(find_unused_parameters=True)] if multi_head else []
    state = AcceleratorState._shared_state
    if state and state.get("_mixed_precision") not in (None, precision):
        # one process may train twice with different precisions (the bench does): accelerate keeps a
        # process-wide state, so forget its precision part; the process group (PartialState) stays
        AcceleratorState._reset_state(reset_partial_state=False)
    return Accelerator(mixed_precision=precision, gradient_accumulation_steps=config.grad_accum,
                       dataloader_config=DataLoaderConfiguration(split_batches=True), kwargs_handlers=handlers)


def mask_tokens(input_ids: torch.Tensor, mask_id: int, vocab_size: int, special_ids: set[int],
                probability: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking: pick `probability` of tokens; 80 % -> <mask>, 10 % -> random, 10 % kept."""
    labels = input_ids.clone()
    special = torch.zeros_like(input_ids, dtype=torch.bool)
    for token in special_ids:
        special |= input_ids == token
    chosen = (torch.rand(input_ids.shape, generator=generator) < probability) & ~special
    labels[~chosen] = IGNORE
    masked = input_ids.clone()
    roll = torch.rand(input_ids.shape, generator=generator)
    masked[chosen & (roll < 0.8)] = mask_id
    randomise = chosen & (roll >= 0.8) & (roll < 0.9)
    masked[randomise] = torch.randint(vocab_size, input_ids.shape, generator=generator)[randomise]
    return masked, labels


def train(model: MultiHeadModel, tasks: list[TrainTask], config: TrainConfig, tokenizer: Any,
          accelerator: Accelerator | None = None, progress: bool = True) -> TrainReport:
    """Train `model` on `tasks` (one or several) and leave it at its best English-dev state."""
    if not tasks:
        raise XtlError("nothing to train: give at least one task")
    set_seed(config.seed)
    accelerator = accelerator or make_accelerator(config, multi_head=len(model.heads) > 1)
    if config.freeze_word_embeddings:
        model.encoder.get_input_embeddings().weight.requires_grad_(False)

    pad_id = tokenizer.pad_token_id
    loaders = [
        DataLoader(task.features.items, collate_fn=partial(collate, pad_id=pad_id),
                   batch_sampler=LengthGroupedBatches(task.features.lengths, config.batch_size, config.seed + k))
        for k, task in enumerate(tasks)
    ]
    batches_per_epoch = sum(len(loader.batch_sampler) for loader in loaders)
    total_steps = config.max_steps or max(1, math.ceil(config.epochs * batches_per_epoch / config.grad_accum))
    eval_every = config.eval_every or max(1, batches_per_epoch // config.grad_accum)

    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if param.requires_grad:
            (no_decay if param.ndim == 1 else decay).append(param)
    # one fused kernel instead of a loop over the tensors: me5-small's step 1.5x faster on CPU (benchmarks/)
    fused = all(p.is_floating_point() and p.device.type in ("cpu", "cuda") for p in decay + no_decay)
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=config.learning_rate, fused=fused)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * total_steps), total_steps)
    model, optimizer, scheduler, *loaders = accelerator.prepare(model, optimizer, scheduler, *loaders)
    core = accelerator.unwrap_model(model)
    if config.compile:  # only the training calls; evaluation through `core` stays eager
        model = torch.compile(model, dynamic=True)

    iterators = [iter(loader) for loader in loaders]
    probabilities = sampling_probabilities([t.features.num_examples for t in tasks], config)
    draw = random.Random(config.seed)
    mask_rng = torch.Generator().manual_seed(config.seed)
    special = set(tokenizer.all_special_ids)
    report = TrainReport(task_draws={t.head: 0 for t in tasks})
    since_best, best_state = 0, None
    tokens_seen = torch.zeros((), dtype=torch.long, device=accelerator.device)
    start = time.perf_counter()
    model.train()
    bar = tqdm(total=total_steps, desc="train", disable=not (progress and accelerator.is_local_main_process))
    for step in range(1, total_steps + 1):
        k = draw.choices(range(len(tasks)), probabilities)[0]  # one task per optimiser step
        for _ in range(config.grad_accum):
            batch = next(iterators[k])
            report.task_draws[tasks[k].head] += 1
            if core.specs[tasks[k].head].kind == "mlm":
                masked, labels = mask_tokens(batch["input_ids"].cpu(), tokenizer.mask_token_id,
                                             core.encoder.get_input_embeddings().num_embeddings, special,
                                             config.mlm_probability, mask_rng)
                batch = {**batch, "input_ids": masked.to(accelerator.device), "labels": labels.to(accelerator.device)}
            tokens_seen += batch["attention_mask"].sum()
            report.examples += batch["input_ids"].shape[0] * accelerator.num_processes
            with accelerator.accumulate(model):
                loss, _ = model(tasks[k].head, batch)
                accelerator.backward(loss)
                if accelerator.sync_gradients and config.max_grad_norm:
                    accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
        report.steps = step
        bar.update(1)
        if step % eval_every == 0 or step == total_steps:
            eval_start = time.perf_counter()
            score = _dev_score(core, tasks)
            improved = score is not None and (report.best_dev is None or score > report.best_dev)
            if improved:
                best_state = {k: v.detach().to("cpu", copy=True) for k, v in core.state_dict().items()}
            report.eval_s += time.perf_counter() - eval_start
            if score is None:
                continue
            report.dev_history.append((step, score))
            if improved:
                report.best_dev, report.best_step, since_best = score, step, 0
            else:
                since_best += 1
                if since_best >= config.patience:
                    report.stopped_early = True
                    break
            bar.set_postfix(dev=f"{score:.2f}", best=f"{report.best_dev:.2f}")
    bar.close()
    if best_state is not None:
        core.load_state_dict(best_state)
    report.wall_s = time.perf_counter() - start
    report.tokens = int(accelerator.reduce(tokens_seen, reduction="sum").item())
    train_s = report.wall_s - report.eval_s  # throughput is training speed: evaluation excluded
    report.examples_per_s = report.examples / train_s
    report.tokens_per_s = report.tokens / train_s
    return report


def _dev_score(core: MultiHeadModel, tasks: list[TrainTask]) -> float | None:
    """Mean English-dev score over the tasks that have a scorer (higher is better)."""
    scorers = [t.dev for t in tasks if t.dev is not None]
    if not scorers:
        return None
    core.eval()
    with torch.no_grad():
        score = sum(scorer(core) for scorer in scorers) / len(scorers)
    core.train()
    return score
