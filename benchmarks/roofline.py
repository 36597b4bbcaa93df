"""The limit every side is measured against: this machine's matmul peak, measured, not read off a datasheet.

A datasheet peak says what the silicon could do; a transformer's forward and backward are mostly
matrix products, so the matmul rate torch reaches here, in this process and with this thread
setting, is the ceiling a training or evaluation loop can approach. `roofline_fraction` is a
side's model FLOP/s over that ceiling: how far the loop is from the machine, whatever the loop.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import torch

MATMUL_N = 2048
WARMUP_CALLS, TIMED_CALLS = 3, 10
GPU_CALLS_PER_SAMPLE = 50  # one bf16 2048^3 product is ~20 us on a Hopper card: time a burst, not a launch


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure_matmul_peak(device: torch.device | None = None, n: int = MATMUL_N, warmup: int = WARMUP_CALLS,
                        repeats: int = TIMED_CALLS) -> dict[str, Any]:
    """FLOP/s of `torch.mm` on two n x n matrices (fp32 on CPU, bf16 on a GPU): median of `repeats` timings.

    Returns the rate (`flops`) and how it was measured (`method`, the timings), for the JSON.
    """
    device = device or torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    calls = GPU_CALLS_PER_SAMPLE if device.type == "cuda" else 1
    generator = torch.Generator().manual_seed(0)
    a, b = (torch.randn(n, n, generator=generator).to(device, dtype) for _ in range(2))
    out = torch.empty(n, n, device=device, dtype=dtype)
    for _ in range(warmup):
        torch.mm(a, b, out=out)
    seconds = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        for _ in range(calls):
            torch.mm(a, b, out=out)
        _sync(device)
        seconds.append((time.perf_counter() - start) / calls)
    median = statistics.median(seconds)
    name = str(dtype).removeprefix("torch.")
    return {"flops": 2 * n**3 / median, "n": n, "dtype": name, "device": device.type,
            "torch_threads": torch.get_num_threads(), "warmup_calls": warmup, "timed_calls": repeats,
            "calls_per_timing": calls, "median_s": median, "seconds": seconds,
            "method": (f"torch.mm of two {n}x{n} {name} matrices on {device.type}, {warmup} warm-up calls, then the "
                       f"median of {repeats} timings of {calls} call(s) each; FLOP/s = 2 n^3 / t")}


def roofline_fraction(model_flops_per_s: float, peak_flops: float | None) -> float | None:
    """Model FLOP/s as a share of the measured matmul peak (None when no peak was measured)."""
    return model_flops_per_s / peak_flops if peak_flops else None
