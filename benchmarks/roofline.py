"""The limit every side is measured against: this machine's matmul peak, measured, not read off a datasheet.

A datasheet peak says what the silicon could do; a transformer's forward and backward are mostly
matrix products, so the matmul rate torch reaches here, in this process and with this thread
setting, is the ceiling a training or evaluation loop can approach. `roofline_fraction` is a
side's model FLOP/s over that ceiling: how far the loop is from the machine, whatever the loop.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

import torch

from benchmarks.machine import RESULTS, default_label, environment

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


# ----------------------------------------------------------------------------------- at the model's shapes
# A 2048^2 product is the machine's best case. A small encoder's products are skinny: a batch of t
# tokens through one BERT layer multiplies (t x d) by (d x d) four times (Q, K, V, output) and by
# (d x 4d), (4d x d) in the feed-forward block. Timing exactly those products gives the rate the
# model's own matrix work can reach here: the fair roof for its model FLOP/s.


def layer_shapes(tokens: int, hidden: int, intermediate: int) -> list[tuple[int, int, int]]:
    """(m, k, n) of one encoder layer's weight products for `tokens` rows (attention scores excluded)."""
    return [(tokens, hidden, hidden)] * 4 + [(tokens, hidden, intermediate), (tokens, intermediate, hidden)]


def measure_shapes(shapes: list[tuple[int, int, int]], repeats: int = TIMED_CALLS, warmup: int = WARMUP_CALLS,
                   device: torch.device | None = None) -> dict[str, Any]:
    """FLOP/s of running these products back to back (fp32 on CPU, bf16 on a GPU): median of `repeats`."""
    device = device or torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    generator = torch.Generator().manual_seed(0)
    operands = [(torch.randn(m, k, generator=generator).to(device, dtype),
                 torch.randn(k, n, generator=generator).to(device, dtype)) for m, k, n in shapes]
    flops = sum(2 * m * k * n for m, k, n in shapes)

    def once() -> None:
        for a, b in operands:
            torch.mm(a, b)

    for _ in range(warmup):
        once()
    seconds = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        once()
        _sync(device)
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    return {"flops": flops / median, "shapes": [list(s) for s in shapes], "median_s": median,
            "dtype": str(dtype).removeprefix("torch."), "torch_threads": torch.get_num_threads()}


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.roofline`: the 2048^2 peak and me5-small's layer products at batch shapes."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.roofline", description=main.__doc__)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--tokens", type=int, nargs="+", default=[16 * 48, 16 * 24, 64 * 48],
                        help="rows per product: batch x mean padded length (xtl's bench batches: 16 x ~48)")
    parser.add_argument("--hidden", type=int, default=384, help="me5-small: 384")
    parser.add_argument("--intermediate", type=int, default=1536, help="me5-small: 1536")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    env = environment()
    peak = measure_matmul_peak()
    rows = []
    for tokens in args.tokens:
        rate = measure_shapes(layer_shapes(tokens, args.hidden, args.intermediate))
        rows.append({"tokens": tokens, "hidden": args.hidden, "intermediate": args.intermediate, **rate,
                     "fraction_of_peak": rate["flops"] / peak["flops"]})
        print(f"layer products at {tokens} tokens (d={args.hidden}, ffn={args.intermediate}): "
              f"{rate['flops'] / 1e9:.1f} GFLOP/s = {rate['flops'] / peak['flops']:.1%} of the 2048^2 peak "
              f"({peak['flops'] / 1e9:.1f} GFLOP/s)")
    result = {"kind": "roofline", "command": "python -m benchmarks.roofline " + " ".join(argv or sys.argv[1:]),
              "environment": env, "matmul_peak": peak, "layer_products": rows}
    out = args.out or str(RESULTS / f"{default_label()}-roofline.json")
    with open(out, "w") as handle:
        handle.write(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
