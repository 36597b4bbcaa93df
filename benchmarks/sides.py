"""The bench's sides on one workload: xtl's loop (`run_xtl`) and `transformers.Trainer` (`run_trainer`).

- trainer: `transformers.Trainer` with default `TrainingArguments` except batch size, learning rate,
  max_steps, seed, bf16 (on a GPU, as xtl) and no checkpoint or progress bar; random batches padded
  to their longest item by `DataCollatorWithPadding`; every parameter trained.
- trainer-best: the same Trainer as a careful user would set it up for this work: length-grouped
  batches (`train_sampling_strategy="group_by_length"`, what transformers 5 calls the former
  `group_by_length=True`) and, on CPU, the word embeddings frozen before the Trainer builds its
  optimiser, so it trains exactly the parameters xtl's profiled side trains. The fair peer.
- xtl: `xtl.train.train` as the profiles run it on this device: length-grouped batches with dynamic
  padding; on CPU the word embeddings frozen (the laptop profile), on a GPU bf16 autocast.
- xtl-all-params (CPU): the same loop training every parameter, i.e. exactly the Trainer's maths.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from accelerate.state import AcceleratorState
from torch import nn
from transformers import DataCollatorWithPadding, Trainer, TrainingArguments
from transformers.utils import logging as hf_logging

from benchmarks.workload import HEAD, PeakMemory, Workload, current_device
from xtl.config import TrainConfig
from xtl.features import collate
from xtl.heads import MultiHeadModel
from xtl.train import LengthGroupedBatches, TrainTask, train


@dataclass
class Run:
    side: str
    repeat: int
    examples: int
    tokens: int  # non-pad tokens
    padded_tokens: int  # positions computed on, pad included
    wall_s: float
    peak_mem_mib: float
    final_loss: float | None = None
    examples_per_s: float = 0.0
    tokens_per_s: float = 0.0
    model_tflops_per_s: float = 0.0
    mfu: float | None = None
    roofline_fraction: float | None = None  # model FLOP/s / the matmul peak measured on this machine
    extra: dict[str, Any] = field(default_factory=dict)


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _fresh_accelerate_state() -> None:
    """Let the next run choose its own mixed precision (accelerate keeps one per process otherwise)."""
    AcceleratorState._reset_state()


def xtl_config(work: Workload, precision: str, freeze_word_embeddings: bool, **extra: Any) -> TrainConfig:
    """The xtl side's TrainConfig: the Trainer's hyper-parameters (no warm-up, no weight decay)."""
    return TrainConfig(learning_rate=work.learning_rate, batch_size=work.batch_size, max_steps=work.steps,
                       warmup_ratio=0.0, weight_decay=0.0, seed=work.seed, mixed_precision=precision,
                       freeze_word_embeddings=freeze_word_embeddings, **extra)


def xtl_padded_tokens(work: Workload) -> int:
    """Positions xtl computes on: replay its length-grouped sampler over the one epoch."""
    sampler = iter(LengthGroupedBatches(work.features.lengths, work.batch_size, work.seed))
    return sum(len(batch) * max(work.features.lengths[i] for i in batch)
               for batch in (next(sampler) for _ in range(work.steps)))


def run_xtl(work: Workload, side: str, repeat: int, config: TrainConfig) -> Run:
    model = work.fresh_model()
    _fresh_accelerate_state()
    _sync()
    with PeakMemory(current_device()) as memory:
        start = time.perf_counter()
        report = train(model, [TrainTask(HEAD, work.features)], config, work.tokenizer, progress=False)
        _sync()
        wall = time.perf_counter() - start
    loss = _final_loss(model, work)
    return Run(side, repeat, report.examples, report.tokens, xtl_padded_tokens(work), wall, memory.peak_mib, loss,
               extra={"config": {k: v for k, v in vars(config).items() if k in ("freeze_word_embeddings",
                                                                                  "mixed_precision", "compile")},
                      "trained_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad)})


class _CountingCollator:
    """DataCollatorWithPadding that also counts what the Trainer fed the model (on the host, no sync)."""

    def __init__(self, tokenizer: Any):
        self.inner = DataCollatorWithPadding(tokenizer)
        self.examples = self.tokens = self.padded = 0

    def __call__(self, items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        batch = self.inner(items)
        self.examples += batch["input_ids"].shape[0]
        self.tokens += int(batch["attention_mask"].sum())
        self.padded += batch["input_ids"].numel()
        return batch


class _ForTrainer(nn.Module):
    """MultiHeadModel behind the keyword interface the Trainer calls: the same loss and logits."""

    def __init__(self, model: MultiHeadModel):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        batch = {"input_ids": input_ids, "attention_mask": attention_mask}
        if labels is not None:
            batch["labels"] = labels
        loss, logits = self.model(HEAD, batch)
        return {"loss": loss, "logits": logits}


def trainer_arguments(work: Workload, precision: str, output_dir: str, group_by_length: bool = False) -> Any:
    """Default TrainingArguments but for the work's sizes; `group_by_length`: the length-grouped sampler."""
    return TrainingArguments(output_dir=output_dir, per_device_train_batch_size=work.batch_size,
                             learning_rate=work.learning_rate, max_steps=work.steps, seed=work.seed,
                             bf16=precision == "bf16", use_cpu=not torch.cuda.is_available(),  # bf16 on CPU needs it
                             save_strategy="no", disable_tqdm=True, report_to=[],
                             train_sampling_strategy="group_by_length" if group_by_length else "random")


def run_trainer(work: Workload, repeat: int, precision: str, side: str = "trainer", group_by_length: bool = False,
                freeze_word_embeddings: bool = False) -> Run:
    """The Trainer on the work; `group_by_length` and `freeze_word_embeddings` make it the trainer-best side."""
    items = [{"input_ids": item["input_ids"], "labels": item["labels"]} for item in work.features.items]
    collator = _CountingCollator(work.tokenizer)
    model = work.fresh_model()
    if freeze_word_embeddings:  # before the Trainer exists: it builds its optimiser from requires_grad
        model.encoder.get_input_embeddings().weight.requires_grad_(False)
    _fresh_accelerate_state()
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        with warnings.catch_warnings(), tempfile.TemporaryDirectory() as output_dir, \
                contextlib.redirect_stdout(io.StringIO()):  # the Trainer prints its own summary dict
            warnings.filterwarnings("ignore", message=".*pin_memory.*")  # the Trainer's default, moot on CPU
            trainer = Trainer(model=_ForTrainer(model),
                              args=trainer_arguments(work, precision, output_dir, group_by_length),
                              train_dataset=items, data_collator=collator)
            _sync()
            with PeakMemory(current_device()) as memory:
                start = time.perf_counter()
                trainer.train()
                _sync()
                wall = time.perf_counter() - start
    finally:
        hf_logging.set_verbosity(verbosity)
    loss = _final_loss(model, work)
    trained = {id(p): p.numel() for group in trainer.optimizer.param_groups for p in group["params"]}
    return Run(side, repeat, collator.examples, collator.tokens, collator.padded, wall, memory.peak_mib, loss,
               extra={"optim": str(trainer.args.optim.value), "bf16": trainer.args.bf16,
                      "train_sampling_strategy": trainer.args.train_sampling_strategy,
                      "trained_parameters": sum(trained.values())})


def _final_loss(model: MultiHeadModel, work: Workload) -> float:
    """Loss of the trained model on the first batch (a sanity check that both sides trained)."""
    model.eval()
    device = next(model.parameters()).device
    batch = collate(work.features.items[: work.batch_size], work.tokenizer.pad_token_id)
    with torch.no_grad():
        loss, _ = model(HEAD, {k: v.to(device) for k, v in batch.items()})
    model.to("cpu")
    return float(loss)


# ----------------------------------------------------------------------------------- one model, all sides


def sides_for(device: torch.device) -> dict[str, Callable[[Workload, int, str], Run]]:
    """Every side this device can run, by name; `default_sides` says which run unless asked."""
    frozen = device.type == "cpu"  # the laptop profile freezes the word embeddings on CPU
    return {
        "trainer": lambda w, r, p: run_trainer(w, r, p),
        "trainer-best": lambda w, r, p: run_trainer(w, r, p, "trainer-best", group_by_length=True,
                                                    freeze_word_embeddings=frozen),
        "xtl": lambda w, r, p: run_xtl(w, "xtl", r, xtl_config(w, p, frozen)),
        "xtl-all-params": lambda w, r, p: run_xtl(w, "xtl-all-params", r, xtl_config(w, p, False)),
        "xtl-bf16": lambda w, r, p: run_xtl(w, "xtl-bf16", r, xtl_config(w, "bf16", frozen)),
        "xtl-compile": lambda w, r, p: run_xtl(w, "xtl-compile", r, xtl_config(w, p, frozen, compile=True)),
    }


def default_sides(device: torch.device) -> list[str]:
    """CPU: both Trainers, xtl as the laptop profile runs it, and xtl on the default Trainer's exact maths.

    GPU: xtl is already on the Trainer's maths (bf16 both, nothing frozen); add torch.compile.
    """
    extra = "xtl-all-params" if device.type == "cpu" else "xtl-compile"
    return ["trainer", "trainer-best", "xtl", extra]
