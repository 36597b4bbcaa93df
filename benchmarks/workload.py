"""The bench's work: one model and its tokenised MNLI pairs, the model-FLOPs count, peak memory.

Model FLOPs count useful work only (non-pad tokens): per sequence of t tokens,
6 N t + 12 L d t^2 for training, with N the parameters outside embedding tables (matrix work per
token, forward and backward), L layers and d the hidden size (QK^T and AV, forward and backward);
2 N t + 4 L d t^2 for a forward pass alone (evaluation). MFU divides the achieved FLOP/s by the
device's dense bf16 peak (`PEAK_BF16_FLOPS`); `benchmarks.roofline` divides it by the matmul peak
measured on the machine itself.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import gc
import threading
from dataclasses import dataclass
from typing import Any, Self

import psutil
import torch
from torch import nn
from transformers import XLMRobertaConfig, XLMRobertaModel

from xtl import data, models
from xtl.errors import XtlError
from xtl.features import Features, encode
from xtl.heads import HeadSpec, MultiHeadModel

HEAD = "nli"
NUM_LABELS = 3
TASK = "mnli"
XLMR_LARGE_SHAPE = "xlmr-large-shape"  # XLM-R Large's shape with random weights (GPU only in practice)
XLMR_LARGE_CONFIG = {"vocab_size": 250002, "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
                     "intermediate_size": 4096, "max_position_embeddings": 514, "type_vocab_size": 1,
                     "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2, "layer_norm_eps": 1e-5}

# Dense bf16 tensor-core peak per device, FLOP/s, matched on the CUDA device name (first match wins).
PEAK_BF16_FLOPS = [("H100 PCIe", 756e12), ("H100", 989e12), ("H200", 989e12), ("A100", 312e12)]


def current_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


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


def forward_flops(lengths: list[int], params: int, layers: int, hidden: int) -> int:
    """Model FLOPs of one forward pass (evaluation): a third of `training_flops`.

    2 N t for the weights plus 4 L d t^2 for attention scores (QK^T) and their weighted sum (AV).
    """
    return sum(2 * params * t + 4 * layers * hidden * t * t for t in lengths)


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
    config = dict(XLMR_LARGE_CONFIG, vocab_size=vocab_size or XLMR_LARGE_CONFIG["vocab_size"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return XLMRobertaModel(XLMRobertaConfig(**config), add_pooling_layer=False)


def rows_for(steps: int, batch_size: int, seed: int = 0) -> list[dict[str, Any]]:
    """steps x batch_size MNLI training pairs from the kit (a seeded sample)."""
    return list(data.load(TASK, "en", "train", limit=steps * batch_size, seed=seed))


def build_workload(model: str, steps: int, batch_size: int, max_length: int = 128, seed: int = 0,
                   rows: list[dict[str, Any]] | None = None) -> Workload:
    """Load `model` (xtl's registry, or xlmr-large-shape) and tokenise steps x batch_size MNLI pairs."""
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
