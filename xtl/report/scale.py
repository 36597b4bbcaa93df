"""Paper scale: measured training throughput of a profile, and the estimated cost of the paper profile.

Throughput is measured: tokens per second of every training run (phase 2 and phase 3), from the
training reports in `metrics.json`. The paper-profile cost is an estimate built on it: training
tokens of every paper-profile run (official training-set sizes x epochs x assumed tokens per
example, both from each task's `Cost` in the registry), times 6 x the encoder's non-embedding
parameters (forward and backward FLOPs per token; attention's length-dependent term left out),
divided by a sustained GPU throughput: measured by `make bench` on a GPU where benchmarks/results/
holds one, else assumed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from xtl import tasks
from xtl.errors import XtlError
from xtl.profiles import build_config, deep_merge, experiment_cells, load_grid, profile_spec

NON_EMBEDDING = {"xlm-roberta-large": 24 * 12 * 1024**2, "me5-small": 12 * 12 * 384**2,
                 "random-me5-small": 12 * 12 * 384**2, "tiny-random": 2 * 12 * 32**2,
                 **{f"me5-small-l{k}": k * 12 * 384**2 for k in range(1, 13)}}
PAPER_MODEL = "xlm-roberta-large"
H100_BF16_PEAK = 989e12   # FLOP/s, dense (vendor figure)
# low / central / high share of peak: micro-batches of 4 short sequences leave most of an H100 idle
ASSUMED_UTILISATION = (0.05, 0.10, 0.20)
SPEED_COLUMNS = ["phase", "task", "model", "device", "examples", "tokens", "seconds", "examples/s", "tokens/s"]
BENCH_COLUMNS = ["file", "device", "gpu", "model", "batch", "max length", "tokens/s", "model GFLOP/s", "MFU"]


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def throughput(folders: Iterable[Path]) -> pd.DataFrame:
    """One row per training run of these result folders that reported its throughput."""
    rows = []
    for folder in folders:
        report = _json(folder / "metrics.json").get("train")
        if not (isinstance(report, dict) and report.get("tokens_per_s")):
            continue
        config = json.loads((folder / "config.json").read_text())
        phase = "2 (intermediate)" if folder.parent.name == "intermediate" else "3 (target)"
        task = "+".join(config["intermediate"]["tasks"]) if phase.startswith("2") else config.get("target", {}).get("task")
        rows.append({"phase": phase, "task": task, "model": config.get("model"),
                     "device": _json(folder / "env.json").get("device"), "examples": report["examples"],
                     "tokens": report["tokens"], "seconds": report["wall_s"],
                     "examples/s": report["examples_per_s"], "tokens/s": report["tokens_per_s"]})
    return pd.DataFrame(rows, columns=SPEED_COLUMNS)


def throughput_by_task(speed: pd.DataFrame) -> pd.DataFrame:
    per_task = speed.groupby(["phase", "task", "model"], as_index=False).agg(
        runs=("tokens", "size"), examples=("examples", "sum"), tokens=("tokens", "sum"), seconds=("seconds", "sum"))
    per_task["examples/s"] = per_task["examples"] / per_task["seconds"]
    per_task["tokens/s"] = per_task["tokens"] / per_task["seconds"]
    return per_task


def paper_plan(grid: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Every run of the paper profile as (experiment, unresolved config), straight from experiments.yml.

    Built without the data kit: `xtl.profiles.expand` also checks every task against the offline kit,
    which cannot serve some of the paper's full-data runs.
    """
    grid = grid or load_grid()
    spec = profile_spec(grid, "paper")
    settings = deep_merge(grid["settings"], spec.get("settings"))
    return [(name, build_config(spec, settings, cell, seed, f"paper/{name}"))
            for name, exp in grid["experiments"].items() if name in spec["experiments"]
            for cell, seed in experiment_cells(name, exp, spec["experiments"][name], spec["seeds"], "paper")]


def _epochs(section: dict[str, Any] | None) -> float:
    return ((section or {}).get("train") or {}).get("epochs", 1.0)


def _official_train(name: str) -> int:
    """Official English training examples of a task or intermediate source (`xtl.tasks.cost`)."""
    examples = tasks.cost(name).official_train
    if examples is None:
        raise XtlError(f"the registry records no official training size for {name!r}; add it to its Cost")
    return examples


def _paper_tokens(name: str) -> int:
    """ASSUMED non-pad tokens per training example at the paper's lengths (`xtl.tasks.cost`): our runs truncate,
    so their measured lengths would undercount."""
    tokens = tasks.cost(name).paper_tokens
    if tokens is None:
        raise XtlError(f"the registry records no tokens per example for {name!r}; add them to its Cost")
    return tokens


def plan_tokens(paper_runs: list[tuple[str, dict[str, Any]]]) -> tuple[pd.DataFrame, int]:
    """Training tokens per (phase, task) of the paper runs, each phase-2 setting counted once; its count."""
    seen_phase2, rows = set(), []
    for _, config in paper_runs:
        inter = config["intermediate"]
        key = json.dumps([config["seed"], inter], sort_keys=True)
        if inter.get("tasks") and key not in seen_phase2:
            seen_phase2.add(key)
            examples = {task: _official_train(task) for task in inter["tasks"]}
            share = inter.get("mlm_share") or 0.0
            if share:  # MLM batches drawn in proportion: share / (1 - share) of the task examples
                examples[tasks.MLM_CORPUS.name] = sum(examples.values()) * share / (1 - share)
            for task, n in examples.items():
                rows.append({"phase": "2", "task": task, "runs": 1, "epochs": _epochs(inter),
                             "tokens": n * _epochs(inter) * _paper_tokens(task),
                             "tokens/example (assumed)": _paper_tokens(task)})
        if "target" in config:
            cfg = config["target"]
            rows.append({"phase": "3", "task": cfg["task"], "runs": 1, "epochs": _epochs(cfg),
                         "tokens": _official_train(cfg["task"]) * _epochs(cfg) * _paper_tokens(cfg["task"]),
                         "tokens/example (assumed)": _paper_tokens(cfg["task"])})
    plan = pd.DataFrame(rows, columns=["phase", "task", "runs", "epochs", "tokens", "tokens/example (assumed)"])
    return plan, len(seen_phase2)


def bench_results(folder: Path) -> pd.DataFrame:
    """xtl's side of every `make bench` result in `folder`, median per (file, device, model, batch, length)."""
    rows = []
    for path in sorted(folder.glob("*.json")):
        bench = json.loads(path.read_text())
        env = bench.get("environment", {})
        for w in bench.get("workloads", []):
            for r in w.get("runs", []):
                if r.get("side") == "xtl":
                    rows.append({"file": path.name, "device": env.get("gpu") or env.get("cpu") or env.get("device"),
                                 "gpu": env.get("device") not in (None, "cpu"), "model": w["model"],
                                 "batch": w["batch_size"], "max length": w["max_length"],
                                 "tokens/s": r["tokens_per_s"], "model GFLOP/s": 1000 * r["model_tflops_per_s"],
                                 "MFU": r.get("mfu")})
    table = pd.DataFrame(rows, columns=BENCH_COLUMNS)
    table["MFU"] = pd.to_numeric(table["MFU"])
    table["gpu"] = table["gpu"].astype(bool)
    if len(table):
        table = table.groupby(BENCH_COLUMNS[:6], as_index=False, dropna=False).median(numeric_only=True)
    return table


def utilisation(bench: pd.DataFrame) -> tuple[tuple[float, float, float], str]:
    """(low, central, high) share of peak, and where it comes from: a GPU bench result, else the assumption."""
    gpu = bench[bench["gpu"] & bench["MFU"].notna()] if len(bench) else bench
    if not len(gpu):
        return ASSUMED_UTILISATION, "assumed: 10 % of peak (range 5-20 %); no GPU benchmark in benchmarks/results/"
    large = gpu[gpu["model"].str.contains("large")]
    chosen = large if len(large) else gpu
    measured = float(chosen["MFU"].median())
    note = (f"measured: make bench, {chosen['model'].iloc[0]} on {chosen['device'].iloc[0]}, "
            f"{100 * measured:.0f} % of peak (range: half to twice that)")
    return (measured / 2, measured, min(1.0, measured * 2)), note


def throughput_texts(speed: pd.DataFrame) -> dict[str, Any]:
    """Tokens per second over every training run, and the device and model most of them ran on."""
    return {"scale_tokens_per_s": float(speed["tokens"].sum() / speed["seconds"].sum()) if len(speed) else float("nan"),
            "scale_device": speed["device"].mode().iloc[0] if len(speed) else "none",
            "scale_model": speed["model"].mode().iloc[0] if len(speed) else "none"}


def cost_texts(plan: pd.DataFrame, speed: pd.DataFrame, bench: pd.DataFrame) -> dict[str, Any]:
    """Tokens, FLOPs, H100-hours (central, low, high) and CPU time of the paper plan."""
    shares, note = utilisation(bench)
    total_tokens = float(plan["tokens"].sum())
    flops = 6 * NON_EMBEDDING[PAPER_MODEL] * total_tokens
    gpu_hours = {u: flops / (u * H100_BF16_PEAK) / 3600 for u in shares}
    known = speed[speed["model"].isin(list(NON_EMBEDDING))]
    cpu_flops_per_s = (6 * (known["tokens"] * known["model"].map(NON_EMBEDDING)).sum() / known["seconds"].sum()
                       if len(known) else float("nan"))
    cpu_large = bench[(~bench["gpu"]) & bench["model"].str.contains("large")] if len(bench) else bench
    return {
        "scale_utilisation_note": note,
        "scale_paper_tokens_billion": total_tokens / 1e9, "scale_paper_pflops": flops / 1e15,
        "scale_gpu_hours": gpu_hours[shares[1]], "scale_gpu_hours_low": gpu_hours[shares[2]],
        "scale_gpu_hours_high": gpu_hours[shares[0]], "scale_cpu_gflops": cpu_flops_per_s / 1e9,
        "scale_cpu_years": (flops / cpu_flops_per_s / 3600 / 24 / 365 if not math.isnan(cpu_flops_per_s)
                            else float("nan")),
        "scale_cpu_large_note": (f"{total_tokens / cpu_large['tokens/s'].median() / 3600 / 24 / 365:,.0f} years at the "
                                 f"{cpu_large['tokens/s'].median():,.0f} tokens/s `make bench` measured for the "
                                 f"XLM-R-Large-shaped encoder on {cpu_large['device'].iloc[0]}")
        if len(cpu_large) else "not measured (no XLM-R-Large-shaped bench result)",
    }


def plan_table(plan: pd.DataFrame) -> pd.DataFrame:
    """Training tokens (billions) of the paper plan per phase, task and epochs, with the runs behind them."""
    by_task = plan.groupby(["phase", "task", "epochs", "tokens/example (assumed)"], as_index=False).agg(
        runs=("runs", "sum"), tokens=("tokens", "sum"))
    shown = by_task.assign(tokens=lambda f: (f["tokens"] / 1e9).round(2))
    shown = shown.rename(columns={"tokens": "training tokens (billions)"})
    return shown[["phase", "task", "runs", "epochs", "tokens/example (assumed)", "training tokens (billions)"]]


def paper_scale(folders: Iterable[Path], bench_folder: Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Every text and table of the paper-scale page: (texts, tables), keyed as the page quotes them."""
    speed = throughput(folders)
    per_task = throughput_by_task(speed)
    try:
        paper_runs, plan_error = paper_plan(), None
    except XtlError as error:  # experiments.yml without a paper profile
        paper_runs, plan_error = [], str(error)
    plan, n_phase2 = plan_tokens(paper_runs)
    bench = bench_results(bench_folder)
    texts = {**throughput_texts(speed), "scale_paper_runs": len(paper_runs), "scale_paper_phase2": n_phase2,
             **cost_texts(plan, speed, bench),
             "scale_plan_note": plan_error or "the paper profile of experiments.yml, expanded as "
                                             "`xtl run --profile paper` expands it"}
    tables = {"scale_throughput_table": per_task.round(1) if len(per_task)
              else pd.DataFrame({"note": ["no training runs"]}),
              "scale_bench_table": bench.drop(columns=["gpu"]) if len(bench)
              else pd.DataFrame({"note": ["no bench results in benchmarks/results/"]}),
              "scale_plan_table": plan_table(plan)}
    return texts, tables
