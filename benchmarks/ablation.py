"""One change at a time to xtl's loop on me5-small: what each is worth on this machine.

    .venv/bin/python -m benchmarks.ablation [--steps 16] [--repeats 2] [--compile] [--threads N]

Variants (all xtl's loop, the bench's work: MNLI pairs, batch 16, max length 128):
  all-params, loop AdamW   the loop before this change: torch.optim.AdamW's per-tensor loop
  all-params, fused AdamW  the loop now (AdamW(fused=True))
  frozen emb., loop AdamW  + the laptop profile's frozen word embeddings, old optimiser
  frozen emb., fused AdamW the laptop profile as it runs now
  frozen emb., bf16        + bf16 autocast on CPU (TrainConfig mixed_precision='bf16'; not the default)
  frozen emb., compile     + torch.compile (TrainConfig compile=True; compile time reported apart)
Each round runs every variant once, in this order; speed-ups are taken against the first variant of
the same round (the load of a shared machine changes between rounds far more than within one), then
the median over rounds. `--append` adds rounds to an earlier file, so a long ablation can be split.
Writes benchmarks/results/<device>-ablation.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

from benchmarks import bench, machine
from benchmarks.sides import run_xtl, xtl_config
from benchmarks.workload import Workload, build_workload
from xtl.features import Features

ORIGINAL_ADAMW = torch.optim.AdamW


@contextlib.contextmanager
def loop_adamw():
    """AdamW as the loop built it before: no `fused`, i.e. the per-tensor loop on CPU."""

    def unfused(*args, **kwargs):
        kwargs.pop("fused", None)
        return ORIGINAL_ADAMW(*args, foreach=False, **kwargs)

    torch.optim.AdamW = unfused
    try:
        yield
    finally:
        torch.optim.AdamW = ORIGINAL_ADAMW


def variants(with_compile: bool):
    out = [
        ("all-params, loop AdamW", {"freeze_word_embeddings": False}, loop_adamw),
        ("all-params, fused AdamW", {"freeze_word_embeddings": False}, contextlib.nullcontext),
        ("frozen emb., loop AdamW", {"freeze_word_embeddings": True}, loop_adamw),
        ("frozen emb., fused AdamW", {"freeze_word_embeddings": True}, contextlib.nullcontext),
        ("frozen emb., bf16", {"freeze_word_embeddings": True, "precision": "bf16"}, contextlib.nullcontext),
    ]
    if with_compile:
        out.append(("frozen emb., compile", {"freeze_word_embeddings": True, "compile": True}, contextlib.nullcontext))
    return out


def _write(rows, chosen, env, work, out):
    """Summarise the finished rounds and write the JSON; returns (summary, path)."""
    summary = {}
    finished = [r for r in rows if r["repeat"] >= 0]
    for name, _, _ in chosen:
        timed = [r for r in finished if r["variant"] == name]
        if not timed:
            continue
        warm = next(r for r in rows if r["variant"] == name and r["repeat"] == -1)
        base = {r["repeat"]: r["examples_per_s"] for r in finished if r["variant"] == chosen[0][0]}
        # ratios within a round: the machine's load changes between rounds, hardly within one
        ratios = [r["examples_per_s"] / base[r["repeat"]] for r in timed if r["repeat"] in base]
        summary[name] = {"examples_per_s": statistics.median(r["examples_per_s"] for r in timed),
                         "vs_first_same_round": statistics.median(ratios) if ratios else None,
                         "rounds": [r["repeat"] for r in timed],
                         "examples_per_s_all": [r["examples_per_s"] for r in timed],
                         "peak_mem_mib": statistics.median(r["peak_mem_mib"] for r in timed),
                         "warmup_2_steps_s": warm["wall_s"]}
    with contextlib.suppress(OSError):
        env["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result = {"schema": 1, "command": " ".join(["python -m benchmarks.ablation", *sys.argv[1:]]), "environment": env,
              "model": work.model, "steps": work.steps, "batch_size": work.batch_size, "max_length": work.max_length,
              "rows": rows, "summary": summary}
    out.write_text(json.dumps(result, indent=1) + "\n")
    return summary, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="me5-small")
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--compile", action="store_true", help="also torch.compile (minutes of compilation on CPU)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own)")
    parser.add_argument("--out", default=None)
    parser.add_argument("--append", action="store_true",
                        help="add rounds to the rows already in the output file (runs can be split up)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    work = build_workload(args.model, args.steps, bench.CPU_BATCH)
    env = machine.environment()
    print(f"ablation on {env['device']} ({env['cpu_cores']} cores, load {env.get('load_average_at_start')})")
    rows: list[dict] = []
    chosen = variants(args.compile)
    out = Path(args.out) if args.out else machine.RESULTS / f"{machine.default_label()}-ablation.json"
    if args.append and out.is_file():
        previous = json.loads(out.read_text())
        rows = previous["rows"]
        env["earlier_load_averages"] = [*previous["environment"].get("earlier_load_averages", []),
                                        previous["environment"].get("load_average_at_start")]
    first = 1 + max((r["repeat"] for r in rows), default=-1)
    known_warmups = {r["variant"] for r in rows if r["repeat"] == -1}
    for name, options, context in chosen:  # warm-up: first-call costs, and compilation for the compile variant
        options = dict(options)
        record = name not in known_warmups
        precision = options.pop("precision", "no")
        short = Workload(work.model, work.tokenizer, work.encoder,
                         Features(work.features.format, work.features.items[:2 * work.batch_size],
                                  work.features.lengths[:2 * work.batch_size]), 2, work.batch_size,
                         work.max_length)
        start = time.perf_counter()
        with context():
            run_xtl(short, name, -1, xtl_config(short, precision, **options))
        if record:
            rows.append({"variant": name, "repeat": -1, "wall_s": time.perf_counter() - start})
    for repeat in range(first, first + args.repeats):
        for name, options, context in chosen:
            options = dict(options)
            precision = options.pop("precision", "no")
            with context():
                run = run_xtl(work, name, repeat, xtl_config(work, precision, **options))
            rows.append({"variant": name, "repeat": repeat, "wall_s": run.wall_s, "examples": run.examples,
                         "examples_per_s": run.examples / run.wall_s, "peak_mem_mib": run.peak_mem_mib,
                         "final_loss": run.final_loss})
            print(f"  {name:26} run {repeat}: {run.examples / run.wall_s:6.2f} ex/s  {run.wall_s:6.1f} s  "
                  f"peak {run.peak_mem_mib:7.1f} MiB", flush=True)
        _write(rows, chosen, env, work, out)  # after every round, so an interrupted run keeps its rounds
    summary, out = _write(rows, chosen, env, work, out)
    print(f"wrote {out}")
    for name, s in summary.items():
        print(f"{name:26} {s['examples_per_s']:7.2f} ex/s  {s['vs_first_same_round']:5.2f}x  "
              f"peak {s['peak_mem_mib']:7.1f} MiB  warm-up {s['warmup_2_steps_s']:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
