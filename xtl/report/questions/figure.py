"""One seaborn figure per question (colour-blind palette, labelled axes, stated orders)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from xtl.report.questions.q3 import BASELINE_WINDOW, Q3_TARGET
from xtl.report.questions.q5 import Q5_TARGETS
from xtl.report.questions.rules import MARGIN, SCORE_AVG, Analysis
from xtl.report.stats import t_quantile_975


def figure(analysis: Analysis):
    """The question's figure; a placeholder that says so when nothing has run."""
    data = analysis.plot
    if data.empty or data.get("seeds", pd.Series([1])).fillna(0).max() == 0:
        fig, ax = plt.subplots(figsize=(6, 2))
        ax.text(0.5, 0.5, "pending: the runs this figure needs have not finished", ha="center", va="center")
        ax.set_axis_off()
        return fig
    draw = {"q1": _q1, "q2": _q2, "q3": _q3, "q4": _q4, "q5": _q5}[analysis.question]
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    draw(ax, analysis, sns.color_palette("colorblind"))
    fig.tight_layout()
    return fig


def _q1(ax, analysis: Analysis, palette) -> None:
    shown = analysis.plot[analysis.plot["contrast"] == "African − English"].reset_index(drop=True)
    colours = [palette[1] if pair == "mean over pairs" else palette[0] for pair in shown["pair"]]
    ax.bar(np.arange(len(shown)), shown["effect"], yerr=_yerr(shown, "effect"), capsize=3, color=colours)
    ax.set_xticks(np.arange(len(shown)), shown["pair"])
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axhline(-MARGIN, color="grey", linewidth=0.8, linestyle="--", label=f"non-inferiority margin (−{MARGIN:g})")
    ax.set(xlabel="corpus pair (same format and size)",
           ylabel=f"African − English\n({SCORE_AVG}, points)")
    ax.legend(fontsize="small")


def _q2(ax, analysis: Analysis, palette) -> None:
    shown = analysis.plot[analysis.plot["statistic"].isin(["mean", "worst"])]
    for k, ((setting, stat), part) in enumerate(shown.groupby(["setting", "statistic"])):
        part = part.sort_values("layers")
        colour = palette[sorted(shown["setting"].unique()).index(setting)]
        ax.errorbar(part["layers"] * (1 + 0.03 * (k - 1.5)), part["gain"], yerr=_yerr(part, "gain"), marker="o",
                    capsize=3, color=colour, linestyle="-" if stat == "mean" else "--",
                    label=f"{setting}: {SCORE_AVG if stat == 'mean' else 'worst language'}")
    layers = sorted(shown["layers"].unique())
    ax.set_xscale("log", base=2)
    ax.set_xticks(layers, [str(int(x)) for x in layers])
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(xlabel="encoder depth (layers of me5-small kept, log scale)",
           ylabel="gain over no intermediate training\n(points, mean over UD-POS, PAN-X, XNLI)")
    ax.legend(fontsize="small")


def _q3(ax, analysis: Analysis, palette) -> None:
    data = analysis.plot[(analysis.plot["target"] == Q3_TARGET) & (analysis.plot["window"] != BASELINE_WINDOW)]
    summary = data.groupby(["window", "long"])["f1"].agg(["mean", "std", "count"]).reset_index()
    summary["half"] = [t_quantile_975(int(n) - 1) * s / math.sqrt(n) if n > 1 else 0.0
                       for s, n in zip(summary["std"], summary["count"])]
    for k, (long, label) in enumerate(((True, "long items (beyond the evaluation window)"), (False, "the other items"))):
        part = summary[summary["long"] == long].sort_values("window")
        ax.errorbar(part["window"], part["mean"], yerr=part["half"], marker="o", capsize=3, color=palette[k],
                    label=label)
    ax.set_xticks(sorted(summary["window"].unique()))
    ax.set(xlabel="SQuAD intermediate-task window (tokens)", ylabel="MLQA F1 (%), mean over\nzero-shot languages")
    ax.legend(fontsize="small")


def _q4(ax, analysis: Analysis, palette) -> None:
    for k, (group, part) in enumerate(analysis.plot.groupby("group", sort=False)):
        part = part.sort_values("difficulty")
        label = "PAN-X sw, yo" if group == "African" else "PAN-X, other zero-shot languages"
        ax.errorbar(part["difficulty"] + 0.004 * (k - 0.5), part["gain"], yerr=_yerr(part, "gain"), marker="o",
                    capsize=3, linestyle="none", color=palette[k], label=label)
        if k == 0:
            for _, row in part.iterrows():
                ax.annotate(row["setting"], (row["difficulty"], row["gain"]), textcoords="offset points",
                            xytext=(4, 4), fontsize="x-small")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(xlabel="difficulty after 50 steps (normalised English dev error: 0 solved, 1 chance)",
           ylabel="gain over no intermediate\ntraining (PAN-X F1 points)")
    ax.legend(fontsize="small")


def _q5(ax, analysis: Analysis, palette) -> None:
    data = analysis.plot
    order = [lang for lang in analysis.order if lang in set(data["language"])]
    targets = [t for t in Q5_TARGETS if t in set(data["target"])]
    width = 0.8 / max(1, len(targets))
    for k, target in enumerate(targets):
        part = data[data["target"] == target].set_index("language").reindex(order).reset_index()
        positions = np.arange(len(order)) + (k - (len(targets) - 1) / 2) * width
        ax.bar(positions, part["effect"], width, yerr=_yerr(part, "effect"), capsize=2, color=palette[k], label=target)
    ax.set_xticks(np.arange(len(order)), order)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(xlabel="language (ordered by the English-only setting's mean score, highest first)",
           ylabel="mixed − English-only\n(points)")
    ax.legend(title="target", fontsize="small")


def _yerr(part: pd.DataFrame, column: str) -> np.ndarray:
    lo = (part[column] - part["lo"].astype(float)).fillna(0).clip(lower=0)
    hi = (part["hi"].astype(float) - part[column]).fillna(0).clip(lower=0)
    return np.vstack([lo.to_numpy(), hi.to_numpy()])
