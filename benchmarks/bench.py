"""`make bench`: xtl's training loop against `transformers.Trainer`, default and best-configured, on the same work.

Every side trains the same model (same initial weights, same classification head and loss) on the
same tokenised examples, with the same batch size, maximum length, learning rate, number of
optimiser steps and seed. The number of examples is steps x batch size, one epoch, so every side sees
every example exactly once and therefore the same non-pad tokens. What differs is the loop.

The sides are `benchmarks.sides` (trainer, trainer-best, xtl, xtl-all-params, and the opt-in xtl-bf16
and xtl-compile); the work, the model-FLOPs count and MFU are `benchmarks.workload`; the machine's
measured matmul peak, taken before any side runs, is `benchmarks.roofline`. This module runs every
side on every workload, interleaved, and writes `benchmarks/results/<device>.json`. The last two
printed lines are `speedup_vs_trainer=X.XX` and `speedup_vs_best_trainer=X.XX`.

`python -m benchmarks.bench --help` lists the options `make bench` leaves at their defaults.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel, XLMRobertaConfig, XLMRobertaModel

from benchmarks.machine import environment, exit_status, write_result
from benchmarks.roofline import MATMUL_N, measure_matmul_peak, roofline_fraction
from benchmarks.sides import Run, default_sides, sides_for
from benchmarks.workload import (
    TASK,
    XLMR_LARGE_CONFIG,
    XLMR_LARGE_SHAPE,
    Workload,
    build_workload,
    current_device,
    matmul_params,
    peak_bf16_flops,
    rows_for,
)
from xtl import models as registry
from xtl.errors import XtlError
from xtl.features import Features, encode
from xtl.trim import save_trimmed

CPU_MODELS = ["me5-small", "tiny-random"]
GPU_MODELS = ["me5-small", XLMR_LARGE_SHAPE]
# Optimiser steps per model, small enough that `make bench` ends in a few minutes on 2 CPU cores.
CPU_STEPS = {"tiny-random": 40, "me5-small": 16}
GPU_STEPS = {"me5-small": 200, XLMR_LARGE_SHAPE: 100}
CPU_BATCH, GPU_BATCH = 16, 32
ALWAYS = ("trainer", "trainer-best", "xtl")  # the two ratios need these three on every device


def bench_workload(work: Workload, repeats: int, precision: str, only: list[str] | None = None,
                   warmup_steps: int = 2, log: Callable[[str], None] = print,
                   matmul_peak_flops: float | None = None) -> dict[str, Any]:
    """Every side `repeats` times, interleaved (trainer, trainer-best, xtl, ..., trainer, ...) after a short warm-up."""
    device = current_device()
    every = sides_for(device)
    wanted = [*ALWAYS, *[name for name in (only or default_sides(device)) if name not in ALWAYS]]
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
            result.roofline_fraction = roofline_fraction(flops / result.wall_s, matmul_peak_flops)
            runs.append(result)
            log(f"  {work.model:17} {name:15} run {repeat}: {result.examples_per_s:8.2f} ex/s "
                f"{result.tokens_per_s:9.0f} tok/s  {result.wall_s:7.2f} s  peak {result.peak_mem_mib:8.1f} MiB"
                + (f"  MFU {result.mfu:.1%}" if result.mfu is not None else "")
                + (f"  roofline {result.roofline_fraction:.1%}" if result.roofline_fraction is not None else ""))
    summary = {name: _median(runs, name) for name in sides}
    speedup = summary["xtl"]["examples_per_s"] / summary["trainer"]["examples_per_s"]
    speedup_best = summary["xtl"]["examples_per_s"] / summary["trainer-best"]["examples_per_s"]
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
        "speedup": speedup, "speedup_vs_best_trainer": speedup_best,
        "speedup_same_math": (summary[same_math]["examples_per_s"] / summary["trainer"]["examples_per_s"]
                              if same_math in summary else None),
    }


def _median(runs: list[Run], side: str) -> dict[str, Any]:
    mine = [r for r in runs if r.side == side]
    keys = ("examples_per_s", "tokens_per_s", "wall_s", "peak_mem_mib", "model_tflops_per_s")
    out: dict[str, Any] = {k: statistics.median(getattr(r, k) for r in mine) for k in keys}
    out["mfu"] = statistics.median(r.mfu for r in mine) if mine[0].mfu is not None else None
    out["roofline_fraction"] = (statistics.median(r.roofline_fraction for r in mine)
                                if mine[0].roofline_fraction is not None else None)
    out.update(examples=mine[0].examples, tokens=mine[0].tokens, padded_tokens=mine[0].padded_tokens,
               repeats=len(mine), examples_per_s_all=[r.examples_per_s for r in mine],
               trained_parameters=mine[0].extra.get("trained_parameters"))
    return out


# ----------------------------------------------------------------------------------- the report


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def run_bench(workloads: list[Workload], repeats: int, precision: str, only: list[str] | None = None,
              warmup_steps: int = 2, log: Callable[[str], None] = print, peak_n: int = MATMUL_N) -> dict[str, Any]:
    env = environment()
    log(f"bench on {env['device']} ({env['cpu_cores']} CPU cores, load {env.get('load_average_at_start')}), "
        f"torch {env['torch']}, transformers {env['transformers']}, precision {precision}")
    peak = measure_matmul_peak(current_device(), n=peak_n)  # same process and threads, before any side
    log(f"matmul peak {peak['flops'] / 1e9:.1f} GFLOP/s ({peak['method']})")
    results = [bench_workload(w, repeats, precision, only, warmup_steps, log, peak["flops"]) for w in workloads]
    with contextlib.suppress(OSError):
        env["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return {"schema": 1, "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": _command(), "environment": env, "repeats": repeats,
            "matmul_peak_flops": peak["flops"], "matmul_peak": peak,
            "workloads": results, "speedup_vs_trainer": geometric_mean([r["speedup"] for r in results]),
            "speedup_vs_best_trainer": geometric_mean([r["speedup_vs_best_trainer"] for r in results])}


def _command() -> str:
    """The command line as typed: `python -m benchmarks.bench ...` (what `make bench` runs) or another program."""
    program = Path(sys.argv[0]).name
    program = {"bench.py": "python -m benchmarks.bench"}.get(program, program)
    return " ".join([program, *sys.argv[1:]])


def table(result: dict[str, Any]) -> list[str]:
    """The summary as text lines; the last two are `speedup_vs_trainer=X.XX` and `speedup_vs_best_trainer=X.XX`."""
    header = (f"{'model':17} {'side':15} {'ex/s':>8} {'tok/s':>9} {'pad %':>6} {'peak MiB':>9} {'TFLOP/s':>8} "
              f"{'MFU':>6} {'roofline':>8} {'vs trainer':>10} {'vs best':>8}")
    lines = [header]
    for work in result["workloads"]:
        base = work["summary"]["trainer"]["examples_per_s"]
        best = work["summary"]["trainer-best"]["examples_per_s"]
        for side, s in work["summary"].items():
            pad = 100 * (1 - s["tokens"] / s["padded_tokens"])
            mfu = f"{s['mfu']:.1%}" if s["mfu"] is not None else "-"
            roof = f"{s['roofline_fraction']:.1%}" if s.get("roofline_fraction") is not None else "-"
            lines.append(f"{work['model']:17} {side:15} {s['examples_per_s']:8.2f} {s['tokens_per_s']:9.0f} "
                         f"{pad:6.1f} {s['peak_mem_mib']:9.1f} {s['model_tflops_per_s']:8.3f} {mfu:>6} {roof:>8} "
                         f"{s['examples_per_s'] / base:9.2f}x {s['examples_per_s'] / best:7.2f}x")
    if result.get("matmul_peak_flops"):
        lines.append(f"matmul peak (roofline) {result['matmul_peak_flops'] / 1e12:.3f} TFLOP/s")
    lines.append(f"speedup_vs_trainer={result['speedup_vs_trainer']:.2f}")
    lines.append(f"speedup_vs_best_trainer={result['speedup_vs_best_trainer']:.2f}")
    return lines


def main(models: list[str] | None = None, steps: int | None = None, repeats: int | None = None,
         batch_size: int | None = None, max_length: int = 128, precision: str = "auto",
         out: str | Path | None = None, only: list[str] | None = None, warmup_steps: int = 2,
         bundle: str | Path | None = None, peak_n: int = MATMUL_N) -> dict[str, Any]:
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
    result = run_bench(workloads, repeats or (3 if gpu else 2), precision, only, warmup_steps, peak_n=peak_n)
    write_result(result, out, "", table(result))
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
    folder = Path(folder)
    if not (folder / "bench.json").is_file():
        raise XtlError(f"no bench bundle at {folder}; write one with 'python -m benchmarks.bench --prepare-bundle {folder}'")
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
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="*", default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own)")
    parser.add_argument("--precision", default="auto", choices=["auto", "no", "bf16"])
    parser.add_argument("--only", nargs="*", default=None,
                        help="sides besides trainer, trainer-best and xtl (default: xtl-all-params on CPU, xtl-compile "
                        "on GPU); also xtl-bf16")
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
    if args.prepare_bundle:
        return exit_status(lambda: _prepare_bundle(args))
    return exit_status(lambda: main(args.models, args.steps, args.repeats, args.batch_size, args.max_length,
                                    args.precision, args.out, args.only, bundle=args.bundle))


def _prepare_bundle(args) -> None:
    folder = prepare_bundle(args.prepare_bundle, args.models, args.steps, args.batch_size or GPU_BATCH,
                            args.max_length, weights=not args.random_weights)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(f"wrote {folder} ({size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    sys.exit(_cli())
