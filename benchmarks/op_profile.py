"""`python -m benchmarks.op_profile`: where a training step's time goes, by kind of operator.

The roofline bench shows xtl's loop at a fraction of the machine's matmul peak, while one layer's
weight products alone run near that peak (`benchmarks.roofline`). This profile says what fills the
rest: it trains the bench's me5-small work through `xtl.train.train` (as profiled: word embeddings
frozen) under `torch.profiler` and sums each operator's self time into kinds: the weight products
(matmul), attention, element-wise and normalisation work (GELU, dropout, layer norm, softmax,
additions), the optimiser, and everything else (data movement, Python, the loop). Writes
benchmarks/results/<label>-op-profile.json and prints the table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

# Operator name fragments per kind, first match wins (aten names; profiler "self" time per op).
KINDS = [
    ("matmul (weight products)", ("aten::addmm", "aten::mm", "aten::linear", "aten::matmul")),
    ("attention (scores, softmax, weighted sum)", ("attention", "aten::bmm", "aten::baddbmm", "softmax")),
    ("element-wise and normalisation", ("gelu", "dropout", "layer_norm", "native_layer_norm", "aten::add",
                                         "aten::mul", "aten::div", "aten::sub", "aten::tanh", "bernoulli",
                                         "aten::where", "aten::masked_fill", "aten::sum", "aten::mean")),
    ("optimiser", ("adam", "foreach", "clip_grad", "aten::norm", "linalg_vector_norm")),
    ("copies and layout", ("aten::copy_", "aten::clone", "aten::contiguous", "aten::cat", "aten::to",
                           "aten::_to_copy", "aten::index", "aten::embedding", "aten::fill_", "aten::zero_",
                           "aten::empty", "aten::transpose", "aten::view", "aten::reshape", "aten::permute")),
]
OTHER = "other operators"


def kind_of(name: str) -> str:
    """The kind an operator's time counts towards (backward ops share their forward op's kind)."""
    lowered = name.lower()
    for kind, fragments in KINDS:
        if any(fragment in lowered for fragment in fragments):
            return kind
    return OTHER


def breakdown(events: list[tuple[str, float]], wall_s: float) -> dict[str, Any]:
    """Self seconds per kind from (operator name, self seconds) pairs; what no operator holds is 'outside'."""
    kinds: dict[str, float] = {kind: 0.0 for kind, _ in KINDS} | {OTHER: 0.0}
    top: dict[str, float] = {}
    for name, seconds in events:
        kinds[kind_of(name)] += seconds
        top[name] = top.get(name, 0.0) + seconds
    inside = sum(kinds.values())
    kinds["outside operators (Python, the loop, waiting)"] = max(0.0, wall_s - inside)
    return {"wall_s": wall_s, "kinds": kinds, "shares": {k: v / wall_s for k, v in kinds.items()},
            "top_operators": dict(sorted(top.items(), key=lambda kv: -kv[1])[:15])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.op_profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="me5-small")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    import torch  # here, not at the top: 3.7 s, and benchmarks/plot.py reads `kind_of` without it
    from torch.profiler import ProfilerActivity, profile

    from benchmarks.machine import RESULTS, default_label, environment
    from benchmarks.sides import xtl_config
    from benchmarks.workload import HEAD, build_workload
    from xtl.train import TrainTask, train

    if args.threads:
        torch.set_num_threads(args.threads)
    work = build_workload(args.model, args.steps, args.batch_size)
    config = xtl_config(work, "no", freeze_word_embeddings=True)
    train(work.fresh_model(), [TrainTask(HEAD, work.features)], config, work.tokenizer, progress=False)  # warm-up
    model = work.fresh_model()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        train(model, [TrainTask(HEAD, work.features)], config, work.tokenizer, progress=False)
        wall = time.perf_counter() - start
    events = [(e.key, e.self_cpu_time_total / 1e6) for e in prof.key_averages()]
    result = {"kind": "op-profile", "command": "python -m benchmarks.op_profile " + " ".join(argv or sys.argv[1:]),
              "environment": environment(), "model": args.model, "steps": args.steps, "batch_size": args.batch_size,
              "note": "profiled wall time is longer than unprofiled: the profiler records every operator",
              **breakdown(events, wall)}
    out = args.out or str(RESULTS / f"{default_label()}-op-profile.json")
    with open(out, "w") as handle:
        handle.write(json.dumps(result, indent=1) + "\n")
    print(f"{args.model}, {args.steps} steps x {args.batch_size}, profiled wall {wall:.2f} s")
    for kind, seconds in result["kinds"].items():
        print(f"  {kind:48} {seconds:7.2f} s  {100 * seconds / wall:5.1f} %")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
