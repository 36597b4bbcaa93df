"""`python -m benchmarks.eval_bench`: xtl's zero-shot evaluation path against the loop a user writes with transformers.

Every language of every target is evaluated after training, so evaluation is a large share of a
run. Both paths run the same model with the same randomly initialised head on the same kit rows
(XNLI pairs and PAN-X sentences in several languages), the same tokens (same truncation at the
maximum length) and the same batch size; what differs is how batches are formed:

- xtl: `xtl.features.encode`, `xtl.predict.logits` (items sorted by length, each batch padded to its
  own longest item), `xtl.predict.decode` (argmax; tagging: at each word's first sub-word);
- plain: the tokenizer pads every item to the maximum length (`padding="max_length"`), fixed batches
  in data order, `torch.no_grad()`, forward, argmax (tagging: at each word's first sub-word).

Each path is timed from rows to predictions (tokenisation included, the model already loaded), one
language at a time as a run evaluates them, interleaved, median of repeats after an untimed warm-up
batch; the two paths' predictions are compared. Then xtl's path alone at several eval batch sizes.
Model FLOPs count useful work only (forward, non-pad tokens; `benchmarks.workload.forward_flops`);
the roofline fraction divides them by the matmul peak measured first (`benchmarks.roofline`).
Writes benchmarks/results/<label>-eval.json; the last printed line is `eval_speedup_vs_plain=X.XX`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from benchmarks.bench import geometric_mean
from benchmarks.machine import environment, exit_status, write_result
from benchmarks.roofline import MATMUL_N, measure_matmul_peak, roofline_fraction
from benchmarks.workload import current_device, forward_flops, matmul_params
from xtl import data, models, predict, tasks
from xtl.errors import XtlError
from xtl.features import IGNORE, encode
from xtl.heads import HEAD_FOR_FORMAT, HeadSpec, MultiHeadModel

TASKS = ["xnli", "panx"]
LANGUAGES = ["en", "de", "ar", "hi", "sw", "zh"]
LIMIT, MAX_LENGTH, BATCH = 200, 128, 64  # BATCH: the profiles' eval_batch_size
SWEEP = [16, 32, 64, 128]


@dataclass
class EvalSet:
    """One task's rows in one language, and the head that predicts them."""

    task: str
    lang: str
    fmt: str
    rows: list[dict[str, Any]]


@dataclass
class Pass:
    """One path over one EvalSet: its predictions and what it cost."""

    predictions: list[Any]
    tokenise_s: float
    predict_s: float
    tokens: int  # non-pad tokens fed to the model
    padded_tokens: int  # positions computed on, pad included


def load_sets(task_names: list[str], languages: list[str], limit: int, seed: int = 0) -> list[EvalSet]:
    """Each task's evaluation split (the one `xtl.experiment.target` scores) in each language, `limit` rows."""
    sets = []
    for name in task_names:
        task = tasks.get(name)
        for lang in languages:
            if lang not in task.eval_split:
                raise XtlError(f"{name} is not evaluated in {lang!r}; choose from {', '.join(task.eval_split)}")
            rows = list(data.load(name, lang, task.eval_split[lang], limit=limit, seed=seed))
            sets.append(EvalSet(name, lang, task.format, rows))
    return sets


def build_model(encoder: torch.nn.Module, task_name: str, seed: int = 0) -> MultiHeadModel:
    """The encoder (shared, not copied) with a randomly initialised head of the task's size."""
    task = tasks.get(task_name)
    spec = HeadSpec(HEAD_FOR_FORMAT[task.format], len(task.label_names))
    return MultiHeadModel(encoder, {task_name: spec}, seed=seed).to(current_device()).eval()


def xtl_path(model: MultiHeadModel, work: EvalSet, tokenizer: Any, max_length: int, batch_size: int) -> Pass:
    """What `xtl.experiment.evaluate_rows` does before scoring: encode, length-sorted logits, decode."""
    start = time.perf_counter()
    features = encode(work.rows, work.fmt, tokenizer, max_length, train=False)
    tokenised = time.perf_counter()
    logits = predict.logits(model, work.task, features, tokenizer.pad_token_id, batch_size)
    predictions = predict.decode(work.fmt, work.rows, features, logits)
    _sync()
    done = time.perf_counter()
    order = sorted(features.lengths)  # predict.logits batches the items in this order
    padded = sum(len(order[i:i + batch_size]) * max(order[i:i + batch_size]) for i in range(0, len(order), batch_size))
    return Pass(predictions, tokenised - start, done - tokenised, sum(features.lengths), padded)


def plain_path(model: MultiHeadModel, work: EvalSet, tokenizer: Any, max_length: int, batch_size: int) -> Pass:
    """The loop a transformers user writes: pad everything to max_length, batches in data order, argmax."""
    start = time.perf_counter()
    tagging = work.fmt == "token_tagging"
    if tagging:
        enc = tokenizer([r["tokens"] for r in work.rows], is_split_into_words=True, truncation=True,
                        max_length=max_length, padding="max_length", return_tensors="pt")
    else:
        enc = tokenizer([r["text_a"] for r in work.rows], [r["text_b"] for r in work.rows], truncation=True,
                        max_length=max_length, padding="max_length", return_tensors="pt")
    tokenised = time.perf_counter()
    device = next(model.parameters()).device
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")  # as xtl on a GPU
    predictions: list[Any] = []
    with torch.no_grad(), autocast:
        for first in range(0, len(work.rows), batch_size):
            batch = {k: enc[k][first:first + batch_size].to(device) for k in ("input_ids", "attention_mask")}
            _, logits = model(work.task, batch)
            best = logits.argmax(-1).cpu()
            if not tagging:
                predictions += best.tolist()
                continue
            for row, i in enumerate(range(first, first + len(best))):
                tags, previous = [IGNORE] * len(work.rows[i]["tokens"]), None
                for position, word in enumerate(enc.word_ids(i)):
                    if word is not None and word != previous:  # the word's first sub-word
                        tags[word] = int(best[row, position])
                    previous = word
                predictions.append(tags)
    done = time.perf_counter()
    return Pass(predictions, tokenised - start, done - tokenised, int(enc["attention_mask"].sum()),
                enc["input_ids"].numel())


PATHS = {"xtl": xtl_path, "plain": plain_path}


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def agreement(first: list[Any], second: list[Any]) -> tuple[int, int]:
    """(equal, compared): per item for classification, per word for tagging."""
    flat = [(a, b) for x, y in zip(first, second, strict=True)
            for a, b in (zip(x, y, strict=True) if isinstance(x, list) else [(x, y)])]
    return sum(a == b for a, b in flat), len(flat)


def time_paths(model_for: dict[str, MultiHeadModel], sets: list[EvalSet], tokenizer: Any, paths: list[str],
               max_length: int, batch_size: int, repeats: int) -> dict[str, list[list[Pass]]]:
    """path -> one list of Passes (one per EvalSet) per repeat, paths interleaved, after a warm-up batch each."""
    first = sets[0]
    for name in paths:
        warm = EvalSet(first.task, first.lang, first.fmt, first.rows[:batch_size])
        PATHS[name](model_for[first.task], warm, tokenizer, max_length, batch_size)
    out: dict[str, list[list[Pass]]] = {name: [] for name in paths}
    for _ in range(repeats):
        for name in paths:
            out[name].append([PATHS[name](model_for[w.task], w, tokenizer, max_length, batch_size) for w in sets])
    return out


def _wall(repeat: list[Pass]) -> float:
    return sum(p.tokenise_s + p.predict_s for p in repeat)


def _summary(passes: list[list[Pass]], examples: int, flops: int, peak: float | None) -> dict[str, Any]:
    wall = statistics.median(_wall(rep) for rep in passes)
    tokens, padded = sum(p.tokens for p in passes[0]), sum(p.padded_tokens for p in passes[0])
    return {"wall_s": wall, "walls_s": [_wall(rep) for rep in passes], "repeats": len(passes),
            "tokenise_s": statistics.median(sum(p.tokenise_s for p in rep) for rep in passes),
            "predict_s": statistics.median(sum(p.predict_s for p in rep) for rep in passes),
            "examples_per_s": examples / wall, "tokens_per_s": tokens / wall, "tokens": tokens,
            "padded_tokens": padded, "pad_percent": 100 * (1 - tokens / padded),
            "model_tflops_per_s": flops / wall / 1e12, "roofline_fraction": roofline_fraction(flops / wall, peak)}


def compare_paths(model: MultiHeadModel, sets: list[EvalSet], tokenizer: Any, max_length: int, batch_size: int,
                  repeats: int, peak: float | None) -> dict[str, Any]:
    """Both paths on one task's sets: speed of each, their ratio, and how often their predictions agree."""
    task = tasks.get(sets[0].task)
    timed = time_paths({task.name: model}, sets, tokenizer, ["xtl", "plain"], max_length, batch_size, repeats)
    lengths = [n for work in sets for n in encode(work.rows, work.fmt, tokenizer, max_length, train=False).lengths]
    config = model.encoder.config
    params = matmul_params(model)
    flops = forward_flops(lengths, params, config.num_hidden_layers, config.hidden_size)
    examples = sum(len(work.rows) for work in sets)
    equal, compared = agreement([p for one in timed["xtl"][0] for p in one.predictions],
                                [p for one in timed["plain"][0] for p in one.predictions])
    sides = {path: _summary(passes, examples, flops, peak) for path, passes in timed.items()}
    return {"task": task.name, "format": task.format, "languages": [w.lang for w in sets],
            "split": {w.lang: task.eval_split[w.lang] for w in sets}, "examples": examples,
            "non_pad_tokens": sum(lengths), "matmul_parameters": params, "model_flops": flops, "sides": sides,
            "agreement_percent": 100 * equal / compared, "predictions_compared": compared,
            "speedup": sides["xtl"]["examples_per_s"] / sides["plain"]["examples_per_s"]}


def batch_sweep(model_for: dict[str, MultiHeadModel], sets: list[EvalSet], tokenizer: Any, max_length: int,
                sizes: list[int], repeats: int) -> dict[str, Any]:
    """xtl's path over every set at each eval batch size: examples/s (median of repeats) and the fastest size."""
    examples = sum(len(work.rows) for work in sets)
    rates = {}
    for size in sizes:
        passes = time_paths(model_for, sets, tokenizer, ["xtl"], max_length, size, repeats)["xtl"]
        rates[str(size)] = examples / statistics.median(_wall(rep) for rep in passes)
    return {"sizes": sizes, "examples_per_s": rates, "best_batch_size": int(max(rates, key=rates.get)) if rates else None}


def bench_model(model_name: str, task_names: list[str], languages: list[str], limit: int, max_length: int,
                batch_size: int, sweep: list[int], repeats: int, peak: float | None, seed: int = 0) -> dict[str, Any]:
    """Both paths on every task, then xtl's path at every batch size of `sweep`, for one model."""
    tokenizer, encoder = models.load(model_name, seed=seed)
    model_for = {name: build_model(encoder, name, seed) for name in task_names}
    by_task = {name: load_sets([name], languages, limit, seed) for name in task_names}
    results = [compare_paths(model_for[name], sets, tokenizer, max_length, batch_size, repeats, peak)
               for name, sets in by_task.items()]
    every = [work for sets in by_task.values() for work in sets]
    return {"model": model_name, "layers": encoder.config.num_hidden_layers, "hidden": encoder.config.hidden_size,
            "parameters": sum(p.numel() for p in encoder.parameters()), "tasks": results,
            "flops_formula": "sum over sequences of 2*N*t + 4*L*d*t^2 (t = non-pad tokens; forward only)",
            "batch_sweep": batch_sweep(model_for, every, tokenizer, max_length, sweep, repeats),
            "speedup": geometric_mean([r["speedup"] for r in results])}


def table(result: dict[str, Any]) -> list[str]:
    """The summary as text lines; the last is `eval_speedup_vs_plain=X.XX`."""
    header = (f"{'model':12} {'task':6} {'path':6} {'ex/s':>8} {'tok/s':>9} {'pad %':>6} {'GFLOP/s':>8} "
              f"{'roofline':>8} {'agree %':>8} {'vs plain':>8}")
    lines = [header]
    for model in result["evaluations"]:
        for task in model["tasks"]:
            base = task["sides"]["plain"]["examples_per_s"]
            for path, s in task["sides"].items():
                roof = f"{s['roofline_fraction']:.1%}" if s["roofline_fraction"] is not None else "-"
                lines.append(f"{model['model']:12} {task['task']:6} {path:6} {s['examples_per_s']:8.2f} "
                             f"{s['tokens_per_s']:9.0f} {s['pad_percent']:6.1f} {1000 * s['model_tflops_per_s']:8.2f} "
                             f"{roof:>8} {task['agreement_percent']:8.2f} {s['examples_per_s'] / base:7.2f}x")
        sweep = model["batch_sweep"]
        if sweep["sizes"]:
            rates = ", ".join(f"{size}: {rate:.1f}" for size, rate in sweep["examples_per_s"].items())
            lines.append(f"{model['model']}: xtl eval examples/s by batch size ({rates}); "
                         f"best {sweep['best_batch_size']}")
    lines.append(f"matmul peak (roofline) {result['matmul_peak_flops'] / 1e12:.3f} TFLOP/s")
    lines.append(f"eval_speedup_vs_plain={result['eval_speedup_vs_plain']:.2f}")
    return lines


def main(model_names: list[str] | None = None, task_names: list[str] | None = None, languages: list[str] | None = None,
         limit: int = LIMIT, max_length: int = MAX_LENGTH, batch_size: int = BATCH, sweep: list[int] | None = None,
         repeats: int = 2, out: str | Path | None = None, peak_n: int = MATMUL_N) -> dict[str, Any]:
    """Run the eval bench, write its JSON (benchmarks/results/<label>-eval.json unless `out`), print the table."""
    env = environment()
    peak = measure_matmul_peak(current_device(), n=peak_n)  # same process and threads, before any path
    print(f"matmul peak {peak['flops'] / 1e9:.1f} GFLOP/s ({peak['method']})", flush=True)
    sweep = SWEEP if sweep is None else sweep
    evaluations = [bench_model(m, task_names or TASKS, languages or LANGUAGES, limit, max_length, batch_size, sweep,
                               repeats, peak["flops"]) for m in (model_names or ["me5-small"])]
    with contextlib.suppress(OSError):
        env["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result = {"schema": 1, "kind": "eval", "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "command": " ".join(["python -m benchmarks.eval_bench", *sys.argv[1:]]), "environment": env,
              "limit_per_language": limit, "max_length": max_length, "batch_size": batch_size, "repeats": repeats,
              "matmul_peak_flops": peak["flops"], "matmul_peak": peak, "evaluations": evaluations,
              "eval_speedup_vs_plain": geometric_mean([t["speedup"] for m in evaluations for t in m["tasks"]])}
    write_result(result, out, "-eval", table(result))
    return result


def _cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.eval_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["me5-small"])
    parser.add_argument("--tasks", nargs="+", default=TASKS, choices=TASKS)
    parser.add_argument("--languages", nargs="+", default=LANGUAGES)
    parser.add_argument("--limit", type=int, default=LIMIT, help="rows per language")
    parser.add_argument("--max-length", type=int, default=MAX_LENGTH)
    parser.add_argument("--batch-size", type=int, default=BATCH, help="both paths' batch size")
    parser.add_argument("--sweep", type=int, nargs="*", default=SWEEP, help="xtl's eval batch sizes to try")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own)")
    parser.add_argument("--out", default=None, help="JSON path (default benchmarks/results/<device>-eval.json)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    return exit_status(lambda: main(args.models, args.tasks, args.languages, args.limit, args.max_length,
                                    args.batch_size, args.sweep, args.repeats, args.out))


if __name__ == "__main__":
    sys.exit(_cli())
