"""The speed appendix's figure and tables, generated from benchmarks/results/*.json (no number typed by hand).

    .venv/bin/python benchmarks/plot.py

Writes book/figures/bench_speed.png (throughput relative to the Trainer, every repeat shown) and
book/_generated/bench_table.md (the training bench tables with their roofline fractions, the ablation,
the evaluation bench and the run profile, each with the setup it ran on), which book/appendix_speed.md
includes; the same tables replace the marked block of benchmarks/README.md. A kind of result not
measured yet gets a one-line placeholder naming the command that measures it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
FIGURE = ROOT / "book" / "figures" / "bench_speed.png"
TABLE = ROOT / "book" / "_generated" / "bench_table.md"
README = ROOT / "benchmarks" / "README.md"
START, END = "<!-- bench-tables:start -->", "<!-- bench-tables:end -->"
SIDE_ORDER = ["trainer", "trainer-best", "xtl-all-params", "xtl", "xtl-bf16", "xtl-compile"]
SIDE_LABELS = {"trainer": "transformers.Trainer", "trainer-best": "transformers.Trainer, best-configured",
               "xtl-all-params": "xtl, every parameter trained", "xtl": "xtl as profiled", "xtl-bf16": "xtl + bf16",
               "xtl-compile": "xtl + torch.compile"}
PATH_LABELS = {"plain": "plain transformers loop", "xtl": "xtl.predict"}
KINDS = ("bench", "ablation", "eval", "run-profile", "roofline", "op-profile")


def load(folder: Path = RESULTS) -> dict[str, list[dict]]:
    """Results by kind (bench, ablation, eval, run-profile), each in file-name order."""
    found: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    for path in sorted(folder.glob("*.json")):
        result = json.loads(path.read_text())
        result["file"] = path.name
        found[result.get("kind") or ("ablation" if "rows" in result else "bench")].append(result)
    return found


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %" if value >= 0.001 else f"{100 * value:.2f} %"


def _setup(result: dict) -> str:
    env = result["environment"]
    where = env["device"] if env["device"] != "cpu" else f"CPU: {env['cpu']}, {env['cpu_cores']} cores"
    load_note = ""
    if "load_average_at_start" in env:
        end = env.get("load_average_at_end", ["?"])[0]
        load_note = f"; 1-min load average {env['load_average_at_start'][0]} at start, {end} at end (shared machine)"
    return (f"{where}, torch threads {env['torch_threads']}; Python {env['python']}, torch {env['torch']}, "
            f"transformers {env['transformers']}, accelerate {env['accelerate']}{load_note}")


def _peak_line(result: dict) -> list[str]:
    peak = result.get("matmul_peak")
    if not peak:
        return ["Roofline: not measured in this file (it predates the matmul-peak measurement)."]
    return [(f"Roofline: measured matmul peak {peak['flops'] / 1e9:,.1f} GFLOP/s ({peak['method']}, same process "
             "and thread setting, before the timed work); *roofline* = model FLOP/s ÷ that peak.")]


def bench_table(result: dict) -> list[str]:
    lines = [(f"**`{result['file']}`** — {_setup(result)}. Command: `{result['command']}`; median of "
             f"{result['repeats']} interleaved repeats after a 2-step warm-up."), "",
             ("| model | steps × batch | side | examples/s | non-pad tokens/s | pad % | peak memory (MiB) | "
             "model TFLOP/s | roofline | MFU | vs Trainer | vs best-configured Trainer |"),
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for work in result["workloads"]:
        base = work["summary"]["trainer"]["examples_per_s"]
        best = work["summary"].get("trainer-best", {}).get("examples_per_s")
        for side in [s for s in SIDE_ORDER if s in work["summary"]]:
            s = work["summary"][side]
            pad = 100 * (1 - s["tokens"] / s["padded_tokens"])
            mfu = f"{100 * s['mfu']:.1f} %" if s.get("mfu") is not None else "–"
            vs_best = f"{s['examples_per_s'] / best:.2f}×" if best else "–"
            lines.append(f"| {work['model']} | {work['steps']} × {work['batch_size']} | {SIDE_LABELS[side]} | "
                         f"{s['examples_per_s']:.2f} | {s['tokens_per_s']:.0f} | {pad:.0f} | {s['peak_mem_mib']:.0f} | "
                         f"{s['model_tflops_per_s']:.3f} | {_percent(s.get('roofline_fraction'))} | {mfu} | "
                         f"{s['examples_per_s'] / base:.2f}× | {vs_best} |")
    lines += ["", *_peak_line(result), "",
              (f"`speedup_vs_trainer={result['speedup_vs_trainer']:.2f}` (geometric mean over models of "
               "xtl-as-profiled ÷ Trainer examples/s).")]
    if "speedup_vs_best_trainer" in result:
        lines += ["", (f"`speedup_vs_best_trainer={result['speedup_vs_best_trainer']:.2f}` (geometric mean over "
                       "models of xtl-as-profiled ÷ best-configured Trainer examples/s).")]
    return [*lines, ""]


def eval_table(result: dict) -> list[str]:
    """Both evaluation paths per model and task, then xtl's path by eval batch size."""
    lines = [(f"**`{result['file']}`** — {_setup(result)}. Command: `{result['command']}`; "
              f"{result['limit_per_language']} rows per language, max length {result['max_length']}, batch size "
              f"{result['batch_size']} on both paths; median of {result['repeats']} interleaved repeats after a "
              "warm-up batch, tokenisation included."), "",
             ("| model | task | languages | path | examples/s | non-pad tokens/s | pad % | model GFLOP/s | roofline | "
              "same predictions | vs plain |"),
             "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for model in result["evaluations"]:
        for task in model["tasks"]:
            base = task["sides"]["plain"]["examples_per_s"]
            for path in ("plain", "xtl"):
                s = task["sides"][path]
                lines.append(f"| {model['model']} | {task['task']} | {', '.join(task['languages'])} | "
                             f"{PATH_LABELS[path]} | {s['examples_per_s']:.2f} | {s['tokens_per_s']:.0f} | "
                             f"{s['pad_percent']:.0f} | {1000 * s['model_tflops_per_s']:.2f} | "
                             f"{_percent(s['roofline_fraction'])} | {task['agreement_percent']:.2f} % | "
                             f"{s['examples_per_s'] / base:.2f}× |")
    lines.append("")
    for model in result["evaluations"]:
        sweep = model["batch_sweep"]
        if sweep["sizes"]:
            rates = "; ".join(f"{size}: {rate:.1f}" for size, rate in sweep["examples_per_s"].items())
            lines += [(f"{model['model']}, xtl's evaluation by eval batch size (examples/s, both tasks): {rates}; "
                       f"fastest here: **{sweep['best_batch_size']}**."), ""]
    lines += [*_peak_line(result), "",
              (f"`eval_speedup_vs_plain={result['eval_speedup_vs_plain']:.2f}` (geometric mean over models and tasks "
               "of xtl ÷ plain-loop examples/s)."), ""]
    return lines


def run_profile_table(result: dict) -> list[str]:
    """Seconds and share per phase of one whole run."""
    overrides = ", ".join(f"{k} {' '.join(map(str, v)) if isinstance(v, list) else v}"
                          for k, v in result["overrides"].items()) or "none"
    train = result["train_report"]
    lines = [(f"**`{result['file']}`** — `{result['run']}` of the {result['profile']} profile, model "
              f"{result['config']['model']}, {len(result['languages'])} evaluation languages (overrides: {overrides}); "
              f"{_setup(result)}. Command: `{result['command']}`."), "",
             "| phase | seconds | share | timed calls |", "|---|---:|---:|---:|"]
    for name, phase in result["phases"].items():
        lines.append(f"| {name} | {phase['seconds']:.1f} | {100 * phase['share']:.1f} % | {phase['calls']} |")
    lines += [f"| **total** | **{result['total_s']:.1f}** | 100 % | |", "",
              (f"Training itself: {train['steps']} optimiser steps, {train['examples_per_s']:.2f} examples/s "
               "(English dev scoring excluded)."), ""]
    return lines


def ablation_table(result: dict) -> list[str]:
    names = list(result["summary"])
    rounds = sorted({r["repeat"] for r in result["rows"] if r["repeat"] >= 0})
    by_round = {(r["variant"], r["repeat"]): r["examples_per_s"] for r in result["rows"] if r["repeat"] >= 0}
    loads = [*result["environment"].get("earlier_load_averages", []), result["environment"]["load_average_at_start"]]
    lines = [(f"**`{result['file']}`** — {result['model']}, {result['steps']} steps × {result['batch_size']}, one "
              f"round = every variant once; {_setup(result)}. Load averages (1, 5, 15 min) at the start of each "
              f"invocation: {'; '.join(', '.join(map(str, x)) for x in loads if x)}. Command: "
              f"`{result['command']}`."), "",
             "| xtl loop variant | " + " | ".join(f"round {r} (ex/s)" for r in rounds)
             + f" | vs {names[0]} (same round, median) | peak memory (MiB) | 2-step warm-up (s) |",
             "|---|" + "---:|" * len(rounds) + "---:|---:|---:|"]
    for name in names:
        s = result["summary"][name]
        cells = " | ".join(f"{by_round[(name, r)]:.2f}" if (name, r) in by_round else "–" for r in rounds)
        lines.append(f"| {name} | {cells} | {s['vs_first_same_round']:.2f}× | {s['peak_mem_mib']:.0f} | "
                     f"{s['warmup_2_steps_s']:.1f} |")
    return [*lines, ""]


def roofline_table(result: dict) -> list[str]:
    """The 2048^2 peak beside the rate of the model's own layer products at batch shapes."""
    peak = result["matmul_peak"]["flops"]
    lines = [(f"**`{result['file']}`** — {_setup(result)}. Command: `{result['command']}`; median of "
              f"{result['matmul_peak']['timed_calls']} timings after warm-up."), "",
             "| products | tokens per product | GFLOP/s | share of the 2048² peak |", "|---|---:|---:|---:|",
             f"| two 2048 × 2048 matrices | 2048 | {peak / 1e9:.1f} | 100 % |"]
    for row in result["layer_products"]:
        lines.append(f"| one layer's weight products (d = {row['hidden']}, FFN {row['intermediate']}) | "
                     f"{row['tokens']} | {row['flops'] / 1e9:.1f} | {_percent(row['fraction_of_peak'])} |")
    return [*lines, ""]


def _largest_other(result: dict) -> str:
    """The operator with the most self time that is not a weight product, with its share of the run."""
    if str(ROOT) not in sys.path:  # run as a script: benchmarks/ is not on the path
        sys.path.insert(0, str(ROOT))
    from benchmarks.op_profile import kind_of

    name, seconds = next((n, t) for n, t in result["top_operators"].items()
                         if kind_of(n) != "matmul (weight products)")
    return f"`{name}` ({_percent(seconds / result['wall_s'])})"


def op_profile_table(result: dict) -> list[str]:
    """Self time of a training run's operators, summed by kind."""
    lines = [(f"**`{result['file']}`** — xtl's loop as profiled, {result['model']}, {result['steps']} steps × "
              f"{result['batch_size']}, under `torch.profiler` (which slows every operator a little); {_setup(result)}. "
              f"Command: `{result['command']}`."), "", "| kind of work | seconds | share of the run |", "|---|---:|---:|"]
    for kind, seconds in result["kinds"].items():
        lines.append(f"| {kind} | {seconds:.2f} | {_percent(result['shares'][kind])} |")
    return [*lines, f"| **total (profiled wall time)** | **{result['wall_s']:.2f}** | 100 % |", ""]


def summary(found: dict[str, list[dict]]) -> list[str]:
    """The newest results in sentences: who is faster than whom, and how far from the roof."""
    lines = ["**In short** (the newest file of each kind; the tables below hold every number):", ""]
    for result in found.get("bench", [])[-1:]:
        for work in result["workloads"]:
            s = work["summary"]
            if "trainer-best" not in s:
                continue
            lines.append(
                f"- Training {work['model']} ({result['file']}): xtl as profiled runs "
                f"{s['xtl']['examples_per_s'] / s['trainer']['examples_per_s']:.2f}× the default Trainer and "
                f"{s['xtl']['examples_per_s'] / s['trainer-best']['examples_per_s']:.2f}× the best-configured one "
                f"(same parameters trained, length-grouped batches); on the Trainer's exact maths (every parameter "
                f"trained) xtl runs {s['xtl-all-params']['examples_per_s'] / s['trainer']['examples_per_s']:.2f}× "
                f"the default Trainer. Model FLOP/s: xtl {_percent(s['xtl'].get('roofline_fraction'))}, "
                f"best-configured Trainer {_percent(s['trainer-best'].get('roofline_fraction'))} of the 2048² "
                "matmul peak." if "xtl-all-params" in s else
                f"- Training {work['model']} ({result['file']}): xtl "
                f"{s['xtl']['examples_per_s'] / s['trainer-best']['examples_per_s']:.2f}× the best-configured Trainer.")
    for result in found.get("eval", [])[-1:]:
        for model in result["evaluations"]:
            parts = [f"{t['task']} {t['sides']['xtl']['examples_per_s'] / t['sides']['plain']['examples_per_s']:.2f}× "
                     f"({_percent(t['sides']['xtl']['roofline_fraction'])} of the peak, plain loop "
                     f"{_percent(t['sides']['plain']['roofline_fraction'])}; same predictions on {t['agreement_percent']:.2f} % "
                     "of items)" for t in model["tasks"]]
            lines.append(f"- Evaluation {model['model']} ({result['file']}): xtl.predict against the plain loop: "
                         + "; ".join(parts) + f". Fastest eval batch "
                         f"size here: {model['batch_sweep'].get('best_batch_size')}.")
    for result in found.get("roofline", [])[-1:]:
        rows = "; ".join(f"{r['tokens']} tokens: {_percent(r['fraction_of_peak'])}" for r in result["layer_products"])
        lowest = min(r["fraction_of_peak"] for r in result["layer_products"])
        verdict = ("so the model's matrices are not too small for this machine: what keeps a loop below the peak "
                   "is the work between them" if lowest >= 0.85 else
                   "so the model's shapes themselves set a roof below the 2048² peak")
        lines.append(f"- The roof at the model's shapes ({result['file']}): one me5-small layer's weight products "
                     f"reach this share of the 2048² peak: {rows}; {verdict}.")
    for result in found.get("op-profile", [])[-1:]:
        shares = result["shares"]
        matmul = shares["matmul (weight products)"]
        rest = sorted(((k, v) for k, v in shares.items() if k != "matmul (weight products)"), key=lambda kv: -kv[1])
        lines.append(f"- Inside a training run ({result['file']}): the weight products take {_percent(matmul)} of the "
                     f"time; the rest is {', '.join(f'{k} {_percent(v)}' for k, v in rest[:3])}. The single largest "
                     f"operator after the products is {_largest_other(result)}.")
    for result in found.get("run-profile", [])[-1:]:
        phases = result["phases"]
        lines.append(f"- A whole laptop run ({result['file']}, {result['total_s']:.0f} s): training "
                     f"{_percent(phases['train']['share'])}, evaluation {_percent(phases['evaluate']['share'])}, "
                     f"loading the model and data {_percent(phases['load model']['share'] + phases['load data']['share'])}.")
    return [*lines, ""] if len(lines) > 2 else []


def tables(found: dict[str, list[dict]]) -> list[str]:
    lines = ["<!-- generated by benchmarks/plot.py from benchmarks/results/*.json; do not edit -->", ""]
    lines += summary(found)
    for result in found.get("bench", []):
        lines += bench_table(result)
    if found.get("ablation", []):
        lines += ["**One change at a time** (xtl's loop only):", ""]
        for result in found.get("ablation", []):
            lines += ablation_table(result)
    lines += ["**Evaluation** (zero-shot prediction, xtl's path against the plain transformers loop):", ""]
    for result in found.get("eval", []) or [None]:
        lines += eval_table(result) if result else ["*Not measured yet* (`python -m benchmarks.eval_bench`).", ""]
    lines += ["**The roof at the model's own shapes** (the matrix products of one me5-small layer, timed alone):", ""]
    for result in found.get("roofline", []) or [None]:
        lines += roofline_table(result) if result else ["*Not measured yet* (`python -m benchmarks.roofline`).", ""]
    lines += ["**Inside a training run** (operator self time by kind, `torch.profiler`):", ""]
    for result in found.get("op-profile", []) or [None]:
        lines += op_profile_table(result) if result else ["*Not measured yet* (`python -m benchmarks.op_profile`).", ""]
    lines += ["**Where the time of a whole run goes** (one laptop-profile run, timed by phase):", ""]
    for result in found.get("run-profile", []) or [None]:
        lines += (run_profile_table(result) if result
                  else ["*Not measured yet* (`python -m benchmarks.run_profile`).", ""])
    return lines


def write_tables(found: dict[str, list[dict]], path: Path = TABLE, readme: Path = README) -> None:
    """The book's include file, and the same tables between the markers of benchmarks/README.md."""
    text = "\n".join(tables(found))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if readme.is_file() and START in readme.read_text():
        before, rest = readme.read_text().split(START, 1)
        after = rest.split(END, 1)[1]
        readme.write_text(f"{before}{START}\n{text}\n{END}{after}")


def plot(bench: list[dict], path: Path = FIGURE) -> None:
    import matplotlib  # here, not above: with seaborn 2.2 s to import, and only the figure needs them

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    records = []
    for result in bench:
        device = result["environment"]["device"]
        device = "CPU" if device == "cpu" else device.replace("NVIDIA ", "")
        for work in result["workloads"]:
            base = work["summary"]["trainer"]["examples_per_s"]
            for run in work["runs"]:
                records.append({"model": f"{work['model']}\n({device})", "side": SIDE_LABELS[run["side"]],
                                "relative": run["examples_per_s"] / base})
    frame = pd.DataFrame(records)
    order = [SIDE_LABELS[s] for s in SIDE_ORDER if SIDE_LABELS[s] in set(frame["side"])]
    sns.set_theme(style="whitegrid", context="notebook")
    fig, ax = plt.subplots(figsize=(8, 4.2))
    palette = sns.color_palette("colorblind", len(order))
    sns.barplot(frame, x="model", y="relative", hue="side", hue_order=order, palette=palette, errorbar=None,
                estimator="median", alpha=0.85, ax=ax)
    sns.stripplot(frame, x="model", y="relative", hue="side", hue_order=order, palette=palette, dodge=True,
                  color="black", size=4, linewidth=0.6, edgecolor="black", legend=False, ax=ax)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel("model (device)")
    ax.set_ylabel("training examples/s ÷ Trainer's")
    ax.set_title("Same work: the Trainer, default and best-configured, and xtl's loop (bars: median; dots: repeats)",
                 fontsize=10)
    ax.legend(title=None, fontsize=9, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main() -> int:
    found = load()
    if not found.get("bench", []):
        print(f"no results in {RESULTS}; run `make bench` first", file=sys.stderr)
        return 2
    plot(found.get("bench", []))
    write_tables(found)
    print(f"wrote {FIGURE.relative_to(ROOT)} and {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
