"""One seaborn figure per question (colour-blind palette, labelled axes, stated language order)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from xtl.report.questions.q5 import Q5_TARGETS
from xtl.report.questions.rules import SCORE_AVG, Analysis
from xtl.report.stats import t_quantile_975


def figure(analysis: Analysis):
    """The question's seaborn figure (colour-blind palette, labelled axes, stated language order)."""
    palette = sns.color_palette("colorblind")
    data = analysis.plot
    if data.empty:
        fig, ax = plt.subplots(figsize=(6, 2))
        ax.text(0.5, 0.5, "not run: no results for this question", ha="center", va="center")
        ax.set_axis_off()
        return fig
    q = analysis.question
    if q in ("q1", "q5"):
        hue = "setting" if q == "q1" else "target"
        hue_order = ["English", "African"] if q == "q1" else list(Q5_TARGETS)
        data = data.assign(label=data["language"])
        order = [lang for lang in analysis.order if lang in set(data["language"])]
        fig, ax = plt.subplots(figsize=(max(6.0, 0.5 * len(order) + 2), 3.8))
        _bars(ax, data, "label", "effect", hue, order, [h for h in hue_order if h in set(data[hue])], palette)
        ylabel = ("gain over no intermediate\ntraining (UD-POS F1 points)" if q == "q1"
                  else "mixed − English-only\n(UD-POS F1 points)")
        legend = "intermediate data" if q == "q1" else "target"
        ax.set(xlabel="language (ordered by the control's mean score, highest first)", ylabel=ylabel)
        ax.legend(title=legend, fontsize="small")
    elif q == "q2":
        shown = data[data["statistic"].isin(["mean", "worst"])].copy()
        shown["statistic"] = shown["statistic"].map({"mean": SCORE_AVG, "worst": "worst language"})
        fig, ax = plt.subplots(figsize=(6, 3.8))
        for k, (stat, part) in enumerate(shown.groupby("statistic")):
            part = part.sort_values("layers")
            ax.errorbar(part["layers"] * (1 + 0.03 * (k - 0.5)), part["gain"],
                        yerr=_yerr(part, "gain"), marker="o", capsize=3, color=palette[k], label=stat)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(shown["layers"].unique()), [str(int(x)) for x in sorted(shown["layers"].unique())])
        ax.set(xlabel="encoder depth (layers of me5-small kept, log scale)",
               ylabel="gain from English NER intermediate\ntraining (UD-POS F1 points)")
        ax.legend(title="zero-shot statistic", fontsize="small")
    elif q == "q3":
        summary = data.groupby(["window", "long"])["f1"].agg(["mean", "std", "count"]).reset_index()
        summary["subset"] = summary["long"].map({True: "long documents", False: "the rest"})
        summary["half"] = [t_quantile_975(int(n) - 1) * s / math.sqrt(n) if n > 1 else 0.0
                           for s, n in zip(summary["std"], summary["count"])]
        fig, ax = plt.subplots(figsize=(6, 3.8))
        subsets = ["long documents", "the rest"]
        width = 0.38
        for k, window in enumerate(sorted(summary["window"].unique())):
            part = summary[summary["window"] == window].set_index("subset").reindex(subsets)
            x = np.arange(len(subsets)) + (k - 0.5) * width
            ax.bar(x, part["mean"], width, yerr=part["half"], capsize=3, color=palette[k],
                   label=f"{window} tokens")
        ax.set_xticks(np.arange(len(subsets)), subsets)
        ax.set(xlabel="XQuAD items (by question + context length against the evaluation window)",
               ylabel="F1 (%), mean over languages")
        ax.legend(title="SQuAD intermediate window", fontsize="small")
    else:  # q4
        fig, ax = plt.subplots(figsize=(6, 3.8))
        for k, (group, part) in enumerate(data.groupby("group", sort=False)):
            part = part.sort_values("difficulty")
            ax.errorbar(part["difficulty"] + 0.005 * (k - 0.5), part["gain"], yerr=_yerr(part, "gain"), marker="o",
                        capsize=3, linestyle="none", color=palette[k], label=group)
            for _, row in part.iterrows():
                if k == 0:
                    ax.annotate(row["setting"], (row["difficulty"], row["gain"]), textcoords="offset points",
                                xytext=(5, 5), fontsize="small")
        ax.set(xlabel="measured difficulty (normalised English dev error: 0 solved, 1 chance)",
               ylabel="gain over no intermediate\ntraining (UD-POS F1 points)")
        ax.legend(title="zero-shot languages", fontsize="small")
    if q != "q3":
        ax.axhline(0, color="black", linewidth=0.8)
    fig.tight_layout()
    return fig


def _yerr(part: pd.DataFrame, column: str) -> np.ndarray:
    lo = (part[column] - part["lo"].astype(float)).fillna(0).clip(lower=0)
    hi = (part["hi"].astype(float) - part[column]).fillna(0).clip(lower=0)
    return np.vstack([lo.to_numpy(), hi.to_numpy()])


def _bars(ax, data: pd.DataFrame, x: str, y: str, hue: str, order: list[str], hue_order: list[str], palette) -> None:
    """Grouped bars with precomputed 95 % intervals as whiskers."""
    width = 0.8 / max(1, len(hue_order))
    for k, h in enumerate(hue_order):
        part = data[data[hue] == h].set_index(x).reindex(order)
        positions = np.arange(len(order)) + (k - (len(hue_order) - 1) / 2) * width
        ax.bar(positions, part[y], width, yerr=_yerr(part.reset_index(), y), capsize=2, color=palette[k], label=h)
    ax.set_xticks(np.arange(len(order)), order)
