"""Q2: does the gain of intermediate training grow with the encoder's depth?"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from xtl.report.questions.data import layers_of, select, target_score
from xtl.report.questions.rules import (
    BASELINE,
    INCONCLUSIVE,
    NO_DIFFERENCE,
    SCORE_AVG,
    Analysis,
    classify,
    not_run,
    seeds_note,
)
from xtl.report.stats import Effect, Verdict, contrast, t_interval

Q2_INTERMEDIATE = ("panx",)
Q2_TARGET = "udpos"
Q2_LAYERS = (3, 6, 12)  # the planned encoder depths (questions-l3, questions, questions-l12)


def q2(frame: pd.DataFrame) -> Analysis:
    """Gain of intermediate training by encoder depth: `zero_shot_avg` ("mean"), worst language, spread."""
    sizes = []
    for model, group in frame.groupby("model"):
        base = select(group, BASELINE, [Q2_TARGET])
        inter = select(group, Q2_INTERMEDIATE, [Q2_TARGET])
        layers = layers_of(model)
        if base.empty or inter.empty or layers is None:  # a depth axis needs the encoder's depth
            continue
        stats = {name: _spread_by_seed(rows) for name, rows in (("baseline", base), ("intermediate", inter))}
        gains = {stat: contrast(stats["intermediate"][stat], stats["baseline"][stat])
                 for stat in ("mean", "std", "worst", "gap")}
        sizes.append({"model": model, "layers": layers, "gains": gains, "stats": stats})
    sizes.sort(key=lambda s: (s["layers"] or 0))
    slope = depth_slope({s["layers"]: s["gains"]["mean"].per_seed for s in sizes if s["layers"]})
    verdict = q2_verdict(slope, sizes)
    plot = pd.DataFrame([{"model": s["model"], "layers": s["layers"], "statistic": stat, "gain": g.value, "lo": g.lo,
                          "hi": g.hi, "seeds": g.n_seeds}
                         for s in sizes for stat, g in s["gains"].items()])
    table = pd.DataFrame([{
        "encoder": s["model"], "layers": s["layers"],
        f"baseline {SCORE_AVG}": t_interval(s["stats"]["baseline"]["mean"]).value,
        f"{'+'.join(Q2_INTERMEDIATE)} {SCORE_AVG}": t_interval(s["stats"]["intermediate"]["mean"]).value,
        f"gain: {SCORE_AVG}": s["gains"]["mean"].text(), "gain: worst language": s["gains"]["worst"].text(),
        "change: std over languages": s["gains"]["std"].text(), "change: worst-language gap": s["gains"]["gap"].text(),
        "seeds": s["gains"]["mean"].n_seeds} for s in sizes])
    if not table.empty:
        table = table.round(1)
    values = {"effect": slope.text(), "seeds": slope.n_seeds, "sizes": ", ".join(f"{s['layers']}" for s in sizes),
              "models": ", ".join(s["model"] for s in sizes), "target": Q2_TARGET,
              "languages": ", ".join(sorted(select(frame, BASELINE, [Q2_TARGET])["language"].unique()))}
    for layers in Q2_LAYERS:  # stable keys for the chapter, "not run" where a size has no results
        for stat in ("mean", "std", "worst", "gap"):
            values[f"gain_{stat}_l{layers}"] = "not run"
    for s in sizes:
        for stat, g in s["gains"].items():
            values[f"gain_{stat}_l{s['layers']}"] = g.text()
    return Analysis("q2", verdict, table, plot, values)


def _spread_by_seed(rows: pd.DataFrame) -> dict[str, dict[int, float]]:
    """Per seed over the zero-shot languages: mean (`zero_shot_avg`), std (ddof 0), worst score, gap mean - worst."""
    out: dict[str, dict[int, float]] = {"mean": {}, "std": {}, "worst": {}, "gap": {}}
    for seed, group in rows.groupby("seed"):
        v = group["value"].to_numpy(dtype=float)
        out["mean"][int(seed)] = target_score(str(group["target"].iloc[0]), group)
        out["std"][int(seed)] = float(v.std())
        out["worst"][int(seed)] = float(v.min())
        out["gap"][int(seed)] = out["mean"][int(seed)] - float(v.min())
    return out


def depth_slope(gains_by_layers: Mapping[int, Mapping[int, float]]) -> Effect:
    """Per seed, the least-squares slope of the gain on log2(layers) (points per doubling of depth); t-interval over seeds."""
    seeds = set.intersection(*(set(g) for g in gains_by_layers.values())) if len(gains_by_layers) >= 2 else set()
    per_seed = {}
    for seed in sorted(seeds):
        x = np.log2(np.array(sorted(gains_by_layers), dtype=float))
        y = np.array([gains_by_layers[k][seed] for k in sorted(gains_by_layers)], dtype=float)
        per_seed[seed] = float(np.polyfit(x, y, 1)[0])
    return t_interval(per_seed)


def q2_verdict(slope: Effect, sizes: Sequence[Mapping[str, Any]] = ()) -> Verdict:
    """Yes (grows) / no (shrinks, or flat within +-MARGIN per doubling) by the interval of the depth slope."""
    evidence = {"seeds": slope.n_seeds, "slope": slope.as_dict(),
                "sizes": {str(s["model"]): {k: g.as_dict() for k, g in s["gains"].items()} for s in sizes}}
    if len(sizes) < 2 or slope.n_seeds == 0:
        return not_run("two or more encoder sizes with and without intermediate training",
                        "me5-small-l3 / -l6 / me5-small, each baseline and panx (English NER), target udpos")
    gains = "; ".join(f"{s['layers']} layers: mean {s['gains']['mean'].text()}, worst language "
                      f"{s['gains']['worst'].text()}, std {s['gains']['std'].text()}" for s in sizes)
    head = (f"The gain of intermediate training changes by {slope.text()} points per doubling of depth "
            f"({seeds_note(slope)}, {len(sizes)} sizes). Gains and changes in spread by size: {gains}.")
    label = classify(slope, "yes: the gain grows with size", "no: the gain shrinks with size")
    if label == NO_DIFFERENCE:
        return Verdict("no: the gain does not change with size (within ±1 point per doubling)", head, evidence)
    if label == INCONCLUSIVE:
        return Verdict(INCONCLUSIVE, head + " The interval of the slope includes zero and reaches beyond ±1.", evidence)
    return Verdict(label, head, evidence)
