"""`xtl bench`: xtl's training loop against a plain `transformers.Trainer` on the same work.

Both sides train the same model (same initial weights, same classification head and loss) on the
same tokenised examples, with the same batch size, maximum length, learning rate, number of
optimiser steps and seed. The number of examples is steps x batch size, one epoch, so both sides see
every example exactly once and therefore the same non-pad tokens. What differs is the loop:

- trainer: `transformers.Trainer` with default `TrainingArguments` except batch size, learning rate,
  max_steps, seed, bf16 (on a GPU, as xtl) and no checkpoint or progress bar; random batches padded
  to their longest item by `DataCollatorWithPadding`; every parameter trained.
- xtl: `xtl.train.train` as the profiles run it on this device: length-grouped batches with dynamic
  padding; on CPU the word embeddings frozen (the laptop profile), on a GPU bf16 autocast.
- xtl-all-params (CPU): the same loop training every parameter, i.e. exactly the Trainer's maths.

Model FLOPs count useful work only (non-pad tokens): per sequence of t tokens,
6 N t + 12 L d t^2, with N the parameters outside embedding tables (matrix work per token, forward
and backward), L layers and d the hidden size (QK^T and AV, forward and backward). MFU divides the
achieved FLOP/s by the device's dense bf16 peak (`PEAK_BF16_FLOPS`).

`python -m xtl.bench --help` lists the options the `xtl bench` command leaves at their defaults.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import ctypes
import datetime as dt
import gc
import io
import json
import math
import os
import platform
import statistics
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import torch
from torch import nn

from xtl.errors import XtlError
from xtl.features import Features, encode
from xtl.heads import HeadSpec, MultiHeadModel
from xtl.train import LengthGroupedBatches, TrainConfig, TrainTask, train

HEAD = "nli"
NUM_LABELS = 3
TASK = "mnli"
XLMR_LARGE_SHAPE = "xlmr-large-shape"  # XLM-R Large's shape with random weights (GPU only in practice)
XLMR_LARGE_CONFIG = {"vocab_size": 250002, "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
                     "intermediate_size": 4096, "max_position_embeddings": 514, "type_vocab_size": 1,
                     "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2, "layer_norm_eps": 1e-5}

# Dense bf16 tensor-core peak per device, FLOP/s, matched on the CUDA device name (first match wins).
PEAK_BF16_FLOPS = [("H100 PCIe", 756e12), ("H100", 989e12), ("H200", 989e12), ("A100", 312e12)]

CPU_MODELS = ["me5-small", "tiny-random"]
GPU_MODELS = ["me5-small", XLMR_LARGE_SHAPE]
# Optimiser steps per model, small enough that `make bench` ends in a few minutes on 2 CPU cores.
CPU_STEPS = {"tiny-random": 40, "me5-small": 16}
GPU_STEPS = {"me5-small": 200, XLMR_LARGE_SHAPE: 100}
CPU_BATCH, GPU_BATCH = 16, 32
RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results"


# ----------------------------------------------------------------------------------- FLOPs


def embedding_table_params(model: nn.Module) -> int:
    """Parameters in embedding tables (lookups, not matrix products)."""
    return sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.Embedding))


def matmul_params(model: nn.Module) -> int:
    """N in 6 N t: every parameter outside embedding tables (layers, norms, heads)."""
    return sum(p.numel() for p in model.parameters()) - embedding_table_params(model)


def training_flops(lengths: list[int], params: int, layers: int, hidden: int) -> int:
    """Model FLOPs of one forward + backward over sequences of these (non-pad) lengths.

    6 N t for the weights (2 N t forward, 4 N t backward) plus 12 L d t^2 for attention scores and
    their weighted sum (4 L d t^2 forward, twice that backward).
    """
    return sum(6 * params * t + 12 * layers * hidden * t * t for t in lengths)


def peak_bf16_flops(device_name: str) -> float | None:
    """The dense bf16 peak of a CUDA device by name, or None when the table does not know it."""
    for key, peak in PEAK_BF16_FLOPS:
        if key.lower() in device_name.lower():
            return peak
    return None


# ----------------------------------------------------------------------------------- memory


def _release_freed_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    with contextlib.suppress(OSError, AttributeError):  # glibc only: hand freed heap back to the OS
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class PeakMemory:
    """Peak memory of a block: CUDA max_memory_allocated, or on CPU the process RSS sampled every 5 ms.

    On a GPU the result is the absolute peak allocation (weights, gradients, optimiser state,
    activations). On CPU it is the peak RSS minus the RSS at the start, the model's weights already
    in it (freed heap is returned to the OS first, so an earlier run's pages are not reused for free).
    """

    def __init__(self, device: torch.device, interval_s: float = 0.005):
        self.device, self.interval_s = device, interval_s
        self.peak_mib = 0.0
        self._stop = threading.Event()

    def __enter__(self) -> Self:
        _release_freed_memory()
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self._base = 0  # absolute: the Trainer puts the weights on the GPU before the block, xtl inside it
        else:
            import psutil

            self._process = psutil.Process()
            self._base = self._peak = self._process.memory_info().rss
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._peak = max(self._peak, self._process.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            peak = torch.cuda.max_memory_allocated()
        else:
            self._stop.set()
            self._thread.join()
            peak = max(self._peak, self._process.memory_info().rss)
        self.peak_mib = (peak - self._base) / 2**20


# ----------------------------------------------------------------------------------- the work


@dataclass
class Workload:
    """One model and its examples: everything both sides share."""

    model: str
    tokenizer: Any
    encoder: nn.Module  # the pristine initial encoder; every run trains a deep copy
    features: Features
    steps: int
    batch_size: int
    max_length: int
    learning_rate: float = 3e-5
    seed: int = 0

    def fresh_model(self) -> MultiHeadModel:
        return MultiHeadModel(copy.deepcopy(self.encoder), {HEAD: HeadSpec("classification", NUM_LABELS)},
                              seed=self.seed)

    def shared_model(self) -> MultiHeadModel:
        """The pristine encoder with a head, for counting only (never trained)."""
        return MultiHeadModel(self.encoder, {HEAD: HeadSpec("classification", NUM_LABELS)}, seed=self.seed)

    def flops(self) -> int:
        config = self.encoder.config
        params = matmul_params(self.shared_model())
        return training_flops(self.features.lengths, params, config.num_hidden_layers, config.hidden_size)


def _random_xlmr_large(vocab_size: int | None = None, seed: int = 0) -> nn.Module:
    from transformers import XLMRobertaConfig, XLMRobertaModel

    config = dict(XLMR_LARGE_CONFIG, vocab_size=vocab_size or XLMR_LARGE_CONFIG["vocab_size"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return XLMRobertaModel(XLMRobertaConfig(**config), add_pooling_layer=False)


def rows_for(steps: int, batch_size: int, seed: int = 0) -> list[dict[str, Any]]:
    """steps x batch_size MNLI training pairs from the kit (a seeded sample)."""
    from xtl import data

    return list(data.load(TASK, "en", "train", limit=steps * batch_size, seed=seed))


def build_workload(model: str, steps: int, batch_size: int, max_length: int = 128, seed: int = 0,
                   rows: list[dict[str, Any]] | None = None) -> Workload:
    """Load `model` (xtl's registry, or xlmr-large-shape) and tokenise steps x batch_size MNLI pairs."""
    from xtl import models

    rows = rows if rows is not None else rows_for(steps, batch_size, seed)
    if len(rows) < steps * batch_size:
        raise XtlError(f"the bench needs {steps * batch_size} {TASK} rows, the kit gave {len(rows)}; lower --steps")
    if model == XLMR_LARGE_SHAPE:
        tokenizer, _ = models.load("tiny-random")
        encoder = _random_xlmr_large(seed=seed)
    else:
        tokenizer, encoder = models.load(model, seed=seed)
    features = encode(rows[: steps * batch_size], "pair_classification", tokenizer, max_length, train=True)
    return Workload(model, tokenizer, encoder, features, steps, batch_size, max_length, seed=seed)


# ----------------------------------------------------------------------------------- the two sides


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
    extra: dict[str, Any] = field(default_factory=dict)


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _fresh_accelerate_state() -> None:
    """Let the next run choose its own mixed precision (accelerate keeps one per process otherwise)."""
    from accelerate.state import AcceleratorState

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
    with PeakMemory(_device()) as memory:
        start = time.perf_counter()
        report = train(model, [TrainTask(HEAD, work.features)], config, work.tokenizer, progress=False)
        _sync()
        wall = time.perf_counter() - start
    loss = _final_loss(model, work)
    return Run(side, repeat, report.examples, report.tokens, xtl_padded_tokens(work), wall, memory.peak_mib, loss,
               extra={"config": {k: v for k, v in vars(config).items() if k in ("freeze_word_embeddings",
                                                                                  "mixed_precision", "compile")}})


class _CountingCollator:
    """DataCollatorWithPadding that also counts what the Trainer fed the model (on the host, no sync)."""

    def __init__(self, tokenizer: Any):
        from transformers import DataCollatorWithPadding

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


def trainer_arguments(work: Workload, precision: str, output_dir: str) -> Any:
    from transformers import TrainingArguments

    return TrainingArguments(output_dir=output_dir, per_device_train_batch_size=work.batch_size,
                             learning_rate=work.learning_rate, max_steps=work.steps, seed=work.seed,
                             bf16=precision == "bf16", use_cpu=not torch.cuda.is_available(),  # bf16 on CPU needs it
                             save_strategy="no", disable_tqdm=True, report_to=[])


def run_trainer(work: Workload, repeat: int, precision: str) -> Run:
    import tempfile

    from transformers import Trainer
    from transformers.utils import logging as hf_logging

    items = [{"input_ids": item["input_ids"], "labels": item["labels"]} for item in work.features.items]
    collator = _CountingCollator(work.tokenizer)
    model = work.fresh_model()
    _fresh_accelerate_state()
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        with warnings.catch_warnings(), tempfile.TemporaryDirectory() as output_dir, \
                contextlib.redirect_stdout(io.StringIO()):  # the Trainer prints its own summary dict
            warnings.filterwarnings("ignore", message=".*pin_memory.*")  # the Trainer's default, moot on CPU
            trainer = Trainer(model=_ForTrainer(model), args=trainer_arguments(work, precision, output_dir),
                              train_dataset=items, data_collator=collator)
            _sync()
            with PeakMemory(_device()) as memory:
                start = time.perf_counter()
                trainer.train()
                _sync()
                wall = time.perf_counter() - start
    finally:
        hf_logging.set_verbosity(verbosity)
    loss = _final_loss(model, work)
    return Run("trainer", repeat, collator.examples, collator.tokens, collator.padded, wall, memory.peak_mib, loss,
               extra={"optim": str(trainer.args.optim.value), "bf16": trainer.args.bf16})


def _final_loss(model: MultiHeadModel, work: Workload) -> float:
    """Loss of the trained model on the first batch (a sanity check that both sides trained)."""
    from xtl.features import collate

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
        "xtl": lambda w, r, p: run_xtl(w, "xtl", r, xtl_config(w, p, frozen)),
        "xtl-all-params": lambda w, r, p: run_xtl(w, "xtl-all-params", r, xtl_config(w, p, False)),
        "xtl-bf16": lambda w, r, p: run_xtl(w, "xtl-bf16", r, xtl_config(w, "bf16", frozen)),
        "xtl-compile": lambda w, r, p: run_xtl(w, "xtl-compile", r, xtl_config(w, p, frozen, compile=True)),
    }


def default_sides(device: torch.device) -> list[str]:
    """CPU: the Trainer, xtl as the laptop profile runs it, and xtl on the Trainer's exact maths.

    GPU: xtl is already on the Trainer's maths (bf16 both, nothing frozen); add torch.compile.
    """
    return ["trainer", "xtl", "xtl-all-params"] if device.type == "cpu" else ["trainer", "xtl", "xtl-compile"]


def bench_workload(work: Workload, repeats: int, precision: str, only: list[str] | None = None,
                   warmup_steps: int = 2, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Every side `repeats` times, interleaved (trainer, xtl, ..., trainer, xtl, ...) after a short warm-up."""
    device = _device()
    every = sides_for(device)
    wanted = ["trainer", "xtl", *[name for name in (only or default_sides(device)) if name not in ("trainer", "xtl")]]
    unknown = sorted(set(wanted) - set(every))
    if unknown:
        raise XtlError(f"unknown bench side(s) {', '.join(unknown)}; known: {', '.join(every)}")
    sides = {name: every[name] for name in wanted}
    warmup_s: dict[str, float] = {}
    if warmup_steps:  # first-call costs (kernel selection, lazy init, page faults) fall outside the timings
        short = copy.copy(work)
        short.steps = min(warmup_steps, work.steps)
        short.features = Features(work.features.format, work.features.items[: short.steps * work.batch_size],
                                  work.features.lengths[: short.steps * work.batch_size])
        for name, run in sides.items():
            start = time.perf_counter()
            run(short, -1, precision)
            warmup_s[name] = time.perf_counter() - start  # includes torch.compile's compilation
    flops = work.flops()
    peak = peak_bf16_flops(torch.cuda.get_device_name(0)) if device.type == "cuda" else None
    runs: list[Run] = []
    for repeat in range(repeats):
        for name, run in sides.items():
            result = run(work, repeat, precision)
            result.examples_per_s = result.examples / result.wall_s
            result.tokens_per_s = result.tokens / result.wall_s
            result.model_tflops_per_s = flops / result.wall_s / 1e12
            if peak is not None and precision == "bf16":
                result.mfu = flops / result.wall_s / peak
            runs.append(result)
            log(f"  {work.model:17} {name:15} run {repeat}: {result.examples_per_s:8.2f} ex/s "
                f"{result.tokens_per_s:9.0f} tok/s  {result.wall_s:7.2f} s  peak {result.peak_mem_mib:8.1f} MiB"
                + (f"  MFU {result.mfu:.1%}" if result.mfu is not None else ""))
    summary = {name: _median(runs, name) for name in sides}
    speedup = summary["xtl"]["examples_per_s"] / summary["trainer"]["examples_per_s"]
    same_math = "xtl-all-params" if device.type == "cpu" else "xtl"  # xtl trained exactly as the Trainer
    config = work.encoder.config
    return {
        "model": work.model, "task": f"{TASK} en train (pairs)", "steps": work.steps, "batch_size": work.batch_size,
        "max_length": work.max_length, "learning_rate": work.learning_rate, "seed": work.seed,
        "precision": precision, "examples": len(work.features), "non_pad_tokens": sum(work.features.lengths),
        "parameters": sum(p.numel() for p in work.shared_model().parameters()),
        "matmul_parameters": matmul_params(work.shared_model()), "layers": config.num_hidden_layers,
        "hidden": config.hidden_size, "model_flops": flops,
        "flops_formula": "sum over sequences of 6*N*t + 12*L*d*t^2 (t = non-pad tokens)",
        "peak_bf16_flops": peak, "warmup_steps": warmup_steps, "warmup_wall_s": warmup_s,
        "runs": [vars(r) for r in runs], "summary": summary,
        "speedup": speedup,
        "speedup_same_math": (summary[same_math]["examples_per_s"] / summary["trainer"]["examples_per_s"]
                              if same_math in summary else None),
    }


def _median(runs: list[Run], side: str) -> dict[str, Any]:
    mine = [r for r in runs if r.side == side]
    keys = ("examples_per_s", "tokens_per_s", "wall_s", "peak_mem_mib", "model_tflops_per_s")
    out: dict[str, Any] = {k: statistics.median(getattr(r, k) for r in mine) for k in keys}
    out["mfu"] = statistics.median(r.mfu for r in mine) if mine[0].mfu is not None else None
    out.update(examples=mine[0].examples, tokens=mine[0].tokens, padded_tokens=mine[0].padded_tokens,
               repeats=len(mine), examples_per_s_all=[r.examples_per_s for r in mine])
    return out


# ----------------------------------------------------------------------------------- the report


def environment() -> dict[str, Any]:
    import accelerate
    import transformers

    device = _device()
    info: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
        "cpu": _cpu_name(), "cpu_cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
        "accelerate": accelerate.__version__, "platform": platform.platform(),
    }
    with contextlib.suppress(OSError):
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    return info


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def default_label() -> str:
    if torch.cuda.is_available():
        return "gpu-" + torch.cuda.get_device_name(0).lower().replace("nvidia", "").strip().replace(" ", "-")
    return f"cpu-{os.cpu_count()}core-{torch.get_num_threads()}thread"


def run_bench(workloads: list[Workload], repeats: int, precision: str, only: list[str] | None = None,
              warmup_steps: int = 2, log: Callable[[str], None] = print) -> dict[str, Any]:
    env = environment()
    log(f"bench on {env['device']} ({env['cpu_cores']} CPU cores, load {env.get('load_average_at_start')}), "
        f"torch {env['torch']}, transformers {env['transformers']}, precision {precision}")
    results = [bench_workload(w, repeats, precision, only, warmup_steps, log) for w in workloads]
    with contextlib.suppress(OSError):
        env["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return {"schema": 1, "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": _command(), "environment": env, "repeats": repeats,
            "workloads": results, "speedup_vs_trainer": geometric_mean([r["speedup"] for r in results])}


def _command() -> str:
    """The command line as typed: `python -m xtl.bench ...`, `python -m xtl.cli bench ...` or `xtl bench ...`."""
    program = Path(sys.argv[0]).name
    program = {"bench.py": "python -m xtl.bench", "cli.py": "python -m xtl.cli"}.get(program, program)
    return " ".join([program, *sys.argv[1:]])


def table(result: dict[str, Any]) -> list[str]:
    """The summary as text lines; the last is `speedup_vs_trainer=X.XX`."""
    header = (f"{'model':17} {'side':15} {'ex/s':>8} {'tok/s':>9} {'pad %':>6} {'peak MiB':>9} {'TFLOP/s':>8} "
              f"{'MFU':>6} {'vs trainer':>10}")
    lines = [header]
    for work in result["workloads"]:
        base = work["summary"]["trainer"]["examples_per_s"]
        for side, s in work["summary"].items():
            pad = 100 * (1 - s["tokens"] / s["padded_tokens"])
            mfu = f"{s['mfu']:.1%}" if s["mfu"] is not None else "-"
            lines.append(f"{work['model']:17} {side:15} {s['examples_per_s']:8.2f} {s['tokens_per_s']:9.0f} "
                         f"{pad:6.1f} {s['peak_mem_mib']:9.1f} {s['model_tflops_per_s']:8.3f} {mfu:>6} "
                         f"{s['examples_per_s'] / base:9.2f}x")
    lines.append(f"speedup_vs_trainer={result['speedup_vs_trainer']:.2f}")
    return lines


def main(models: list[str] | None = None, steps: int | None = None, repeats: int | None = None,
         batch_size: int | None = None, max_length: int = 128, precision: str = "auto",
         out: str | Path | None = None, only: list[str] | None = None, warmup_steps: int = 2,
         bundle: str | Path | None = None) -> dict[str, Any]:
    """Run the bench, write its JSON (benchmarks/results/<device>.json unless `out`), print the table."""
    gpu = torch.cuda.is_available()
    precision = ("bf16" if gpu else "no") if precision == "auto" else precision
    if bundle is not None:
        workloads = load_bundle(bundle, models, steps)
    else:
        models = models or (GPU_MODELS if gpu else CPU_MODELS)
        batch = batch_size or (GPU_BATCH if gpu else CPU_BATCH)
        default_steps = GPU_STEPS if gpu else CPU_STEPS
        workloads = [build_workload(m, steps or default_steps.get(m, 20), batch, max_length) for m in models]
    result = run_bench(workloads, repeats or (3 if gpu else 2), precision, only, warmup_steps)
    target = Path(out) if out is not None else RESULTS / f"{default_label()}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {target}")
    for line in table(result):
        print(line)
    return result


# ----------------------------------------------------------------------------------- GPU bundle


def prepare_bundle(folder: str | Path, models: list[str] | None = None, steps: int | None = None,
                   batch_size: int = GPU_BATCH, max_length: int = 128, weights: bool = True) -> Path:
    """Everything a GPU machine without the kit or the hub needs: tokenised examples and the encoders.

    One XLM-R tokenizer trimmed to the examples' pieces serves every model (xtl.trim: same
    tokenisation). me5-small is trimmed the same way and saved in bf16 (about 50 MiB), or with
    `weights=False` only its configuration is kept and the device initialises it at random (same
    shape, same speed, a few MiB to carry). xlmr-large-shape is always random, full vocabulary.
    """
    from xtl import models as registry
    from xtl.trim import save_trimmed

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    models = models or GPU_MODELS
    wanted = {model: steps or GPU_STEPS.get(model, 100) for model in models}
    rows = rows_for(max(wanted.values()), batch_size)
    texts = [t for r in rows for t in (r["text_a"], r["text_b"])]
    tokenizer, _ = registry.load("tiny-random", vocab_texts=texts)
    tokenizer.save_pretrained(folder / "tokenizer")
    features = encode(rows, "pair_classification", tokenizer, max_length, train=True)
    items = [{"input_ids": i["input_ids"], "labels": i["labels"]} for i in features.items]
    entries = []
    for model, n_steps in wanted.items():
        entry: dict[str, Any] = {"model": model, "steps": n_steps, "batch_size": batch_size, "max_length": max_length,
                                 "items": items[: n_steps * batch_size], "weights": None, "config": None}
        if model == XLMR_LARGE_SHAPE:
            entry["architecture"] = "xlm-roberta"
            entry["config"] = XLMR_LARGE_CONFIG
        else:
            _, encoder = registry.load(model, vocab_texts=texts)
            entry["architecture"] = "bert"
            if weights:
                save_trimmed(tokenizer, encoder, folder / model, dtype="bfloat16")
                entry["weights"] = model
            else:
                entry["config"] = {k: v for k, v in encoder.config.to_dict().items()
                                   if k not in ("architectures", "model_type", "transformers_version", "dtype",
                                                "torch_dtype")}
        entries.append(entry)
    (folder / "bench.json").write_text(json.dumps({"workloads": entries}) + "\n")
    return folder


def load_bundle(folder: str | Path, models: list[str] | None = None, steps: int | None = None) -> list[Workload]:
    """Workloads from `prepare_bundle`'s folder (no kit, no hub, no `datasets` needed)."""
    from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel, XLMRobertaConfig, XLMRobertaModel

    folder = Path(folder)
    if not (folder / "bench.json").is_file():
        raise XtlError(f"no bench bundle at {folder}; write one with 'python -m xtl.bench --prepare-bundle {folder}'")
    tokenizer = AutoTokenizer.from_pretrained(folder / "tokenizer")
    out = []
    for entry in json.loads((folder / "bench.json").read_text())["workloads"]:
        if models and entry["model"] not in models:
            continue
        if entry["weights"] is not None:
            encoder = AutoModel.from_pretrained(folder / entry["weights"], add_pooling_layer=False).float()
        else:
            config_class, model_class = ((XLMRobertaConfig, XLMRobertaModel) if entry["architecture"] == "xlm-roberta"
                                         else (BertConfig, BertModel))
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                encoder = model_class(config_class(**entry["config"]), add_pooling_layer=False)
        n_steps = min(steps or entry["steps"], len(entry["items"]) // entry["batch_size"])
        items = entry["items"][: n_steps * entry["batch_size"]]
        features = Features("pair_classification", items, [len(i["input_ids"]) for i in items])
        out.append(Workload(entry["model"], tokenizer, encoder, features, n_steps, entry["batch_size"],
                            entry["max_length"]))
    return out


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m xtl.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="*", default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own)")
    parser.add_argument("--precision", default="auto", choices=["auto", "no", "bf16"])
    parser.add_argument("--only", nargs="*", default=None, help="sides besides trainer and xtl (default: xtl-all-params on CPU, xtl-compile on GPU); "
                        "also xtl-bf16")
    parser.add_argument("--out", default=None, help="JSON path (default benchmarks/results/<device>.json)")
    parser.add_argument("--bundle", default=None, help="read the work from a prepared bundle (GPU machines)")
    parser.add_argument("--prepare-bundle", default=None, metavar="FOLDER", help="write a bundle and exit")
    parser.add_argument("--random-weights", action="store_true",
                        help="bundle me5-small's shape without its weights (same speed, a few MiB to carry)")
    return parser.parse_args(argv)


def _cli(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        if args.prepare_bundle:
            folder = prepare_bundle(args.prepare_bundle, args.models, args.steps, args.batch_size or GPU_BATCH,
                                    args.max_length, weights=not args.random_weights)
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            print(f"wrote {folder} ({size / 2**20:.1f} MiB)")
            return 0
        main(args.models, args.steps, args.repeats, args.batch_size, args.max_length, args.precision, args.out,
             args.only, bundle=args.bundle)
    except XtlError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(_cli())
