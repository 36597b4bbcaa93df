"""Q2: does the gain of intermediate training grow with the encoder's depth?

MNLI and SQuAD (the reference grid's settings) against no intermediate training, with the first 3, 6 and
all 12 layers of me5-small, on UD-POS, PAN-X and XNLI. Per run and target, over the zero-shot languages
every depth evaluated: the mean (`zero_shot_avg`), the standard deviation over languages, the worst
language and the gap mean - worst; each averaged over the three targets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from xtl.report.questions.data import Setting, on_common_languages, select, target_score
from xtl.report.questions.rules import (
    BASELINE,
    INCONCLUSIVE,
    NO_DIFFERENCE,
    SCORE_AVG,
    Analysis,
    classify,
    decision_note,
    not_run,
    seeds_note,
)
from xtl.report.stats import Effect, Verdict, contrast, t_interval

Q2_SETTINGS = (Setting("MNLI", ("mnli",), 128, 6400), Setting("SQuAD", ("squad",), 256, 2700))
Q2_TARGETS = ("udpos", "panx", "xnli")
Q2_MODELS = {3: "me5-small-l3", 6: "me5-small-l6", 12: "me5-small"}  # questions-reference-l3, -l6, the reference
STATISTICS = ("mean", "std", "worst", "gap")


def depth_rows(frame: pd.DataFrame) -> dict[tuple[int, str], pd.DataFrame]:
    """(layers, 'baseline' or a setting's name) -> its rows, on the languages every depth and setting evaluated."""
    parts = {}
    for layers, model in Q2_MODELS.items():
        parts[(layers, "baseline")] = select(frame, BASELINE, Q2_TARGETS, model)
        for setting in Q2_SETTINGS:
            parts[(layers, setting.name)] = setting.rows(frame, Q2_TARGETS, model)
    present = {key: part for key, part in parts.items() if not part.empty}
    return {**{key: part.iloc[0:0] for key, part in parts.items()}, **on_common_languages(present)}


def spread_by_seed(rows: pd.DataFrame, targets: Sequence[str] = Q2_TARGETS) -> dict[str, dict[int, float]]:
    """Per seed, each statistic over the zero-shot languages, averaged over the targets (seeds lacking one left out)."""
    out: dict[str, dict[int, float]] = {stat: {} for stat in STATISTICS}
    for seed, group in rows.groupby("seed"):
        per_target = []
        for target, part in group.groupby("target"):
            v = part["value"].to_numpy(dtype=float)
            mean = target_score(str(target), part)
            per_target.append({"mean": mean, "std": float(v.std()), "worst": float(v.min()),
                               "gap": mean - float(v.min())})
        if len(per_target) == len(targets):
            for stat in STATISTICS:
                out[stat][int(seed)] = float(np.mean([p[stat] for p in per_target]))
    return out


def q2(frame: pd.DataFrame) -> Analysis:
    """Gain of MNLI and SQuAD by depth: mean, spread and worst language; the slope of the mean gain per doubling."""
    parts = depth_rows(frame)
    sizes = []
    for layers, model in Q2_MODELS.items():
        base = spread_by_seed(parts[(layers, "baseline")])
        gains = {}
        for setting in Q2_SETTINGS:
            inter = spread_by_seed(parts[(layers, setting.name)])
            gains[setting.name] = {stat: contrast(inter[stat], base[stat]) for stat in STATISTICS}
        both = {stat: mean_of(gains[s.name][stat] for s in Q2_SETTINGS) for stat in STATISTICS}
        if both["mean"].n_seeds:
            sizes.append({"layers": layers, "model": model, "gains": gains, "both": both, "baseline": base})
    slope = depth_slope({s["layers"]: s["both"]["mean"].per_seed for s in sizes})
    per_setting = {st.name: depth_slope({s["layers"]: s["gains"][st.name]["mean"].per_seed for s in sizes
                                         if s["gains"][st.name]["mean"].n_seeds}) for st in Q2_SETTINGS}
    verdict = q2_verdict(slope, per_setting, sizes)
    plot = pd.DataFrame([{"layers": s["layers"], "setting": name, "statistic": stat, "gain": g.value, "lo": g.lo,
                          "hi": g.hi, "seeds": g.n_seeds}
                         for s in sizes for name, stats in s["gains"].items() for stat, g in stats.items()])
    table = pd.DataFrame([{
        "encoder": s["model"], "layers": s["layers"],
        f"baseline {SCORE_AVG}": round(t_interval(s["baseline"]["mean"]).value, 1),
        **{f"gain {name}: {SCORE_AVG}": s["gains"][name]["mean"].text() for name in s["gains"]},
        **{f"gain {name}: worst language": s["gains"][name]["worst"].text() for name in s["gains"]},
        **{f"change {name}: std over languages": s["gains"][name]["std"].text() for name in s["gains"]},
        "seeds": s["both"]["mean"].n_seeds} for s in sizes])
    languages = {t: sorted(set(parts[(12, "baseline")][parts[(12, "baseline")]["target"] == t]["language"]))
                 for t in Q2_TARGETS}
    values: dict[str, Any] = {
        "effect": slope.text(), "seeds": slope.n_seeds, "sizes": ", ".join(str(s["layers"]) for s in sizes) or "none",
        "targets": ", ".join(Q2_TARGETS), "languages": "; ".join(f"{t}: {', '.join(v) or '-'}" for t, v in languages.items()),
    }
    for name, e in per_setting.items():
        values[f"effect_{name.lower()}"] = e.text()
    for layers in Q2_MODELS:  # stable keys for the chapter, "not run" where a depth has no results
        for stat in STATISTICS:
            values[f"gain_{stat}_l{layers}"] = "not run"
    for s in sizes:
        for stat, g in s["both"].items():
            values[f"gain_{stat}_l{s['layers']}"] = g.text()
    return Analysis("q2", verdict, table, plot, values)


def mean_of(effects: Any) -> Effect:
    """Per seed, the mean of several effects (seeds all of them have); its t-interval."""
    effects = [e for e in effects]
    if not effects or any(e.n_seeds == 0 for e in effects):
        return t_interval({})
    seeds = set.intersection(*(set(e.per_seed) for e in effects))
    return t_interval({s: float(np.mean([e.per_seed[s] for e in effects])) for s in sorted(seeds)})


def depth_slope(gains_by_layers: Mapping[int, Mapping[int, float]]) -> Effect:
    """Per seed, the least-squares slope of the gain on log2(layers) (points per doubling of depth); t-interval over seeds."""
    seeds = set.intersection(*(set(g) for g in gains_by_layers.values())) if len(gains_by_layers) >= 2 else set()
    per_seed = {}
    for seed in sorted(seeds):
        x = np.log2(np.array(sorted(gains_by_layers), dtype=float))
        y = np.array([gains_by_layers[k][seed] for k in sorted(gains_by_layers)], dtype=float)
        per_seed[seed] = float(np.polyfit(x, y, 1)[0])
    return t_interval(per_seed)


def q2_verdict(slope: Effect, per_setting: Mapping[str, Effect], sizes: Sequence[Mapping[str, Any]] = ()) -> Verdict:
    """Yes (grows) / no (shrinks, or flat within +-MARGIN per doubling) by the interval of the depth slope."""
    evidence = {"seeds": slope.n_seeds, "slope": slope.as_dict(),
                "per_setting": {name: e.as_dict() for name, e in per_setting.items()},
                "sizes": {str(s["model"]): {name: {k: g.as_dict() for k, g in stats.items()}
                                            for name, stats in s["gains"].items()} for s in sizes}}
    if len(sizes) < 2 or slope.n_seeds == 0:
        return not_run("two or more encoder depths with and without intermediate training",
                       "me5-small-l3, me5-small-l6 and me5-small, each without phase 2 and after MNLI and after "
                       "SQuAD, on UD-POS, PAN-X and XNLI, three seeds")
    gains = "; ".join(f"{s['layers']} layers: mean {s['both']['mean'].text()}, worst language "
                      f"{s['both']['worst'].text()}, std {s['both']['std'].text()}" for s in sizes)
    settings = ", ".join(f"{name} {e.text()}" for name, e in per_setting.items())
    head = (f"The gain of intermediate training (mean of MNLI and SQuAD, {SCORE_AVG} averaged over "
            f"{', '.join(Q2_TARGETS)}) changes by {slope.text()} points per doubling of depth ({seeds_note(slope)}, "
            f"{len(sizes)} depths; per setting: {settings}). Gains and changes in spread by depth: {gains}.")
    label = classify(slope, "yes: the gain grows with size", "no: the gain shrinks with size")
    if label == NO_DIFFERENCE:
        return Verdict("no: the gain does not change with size (within ±1 point per doubling)", head, evidence)
    if label == INCONCLUSIVE:
        return Verdict(INCONCLUSIVE, f"{head} The interval of the slope includes zero and reaches beyond ±1. "
                                     f"{decision_note(slope, unit='points per doubling')}", evidence)
    return Verdict(label, head, evidence)
