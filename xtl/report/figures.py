"""The claims' figures: seaborn bars of gains with precomputed 95 % intervals, one message per figure.

Colour-blind-safe palette; axes labelled with their units; categories ordered by a stated rule
(by gain, largest first, unless the axis label says otherwise).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from xtl.report import claim_pages
from xtl.report.claim_pages import display_name
from xtl.report.claims import C1_TASKS, C4_TARGETS, ENGLISH_NLI, RETRIEVAL_TASKS, mlm_pairs
from xtl.report.gains import Results
from xtl.report.score import XTREME_SCORE
from xtl.report.stats import Verdict


def gain_label(score: str = XTREME_SCORE.name) -> str:
    return f"gain over the baseline in {score} (points)"


def palette() -> list:
    return sns.color_palette("colorblind")


def placeholder(title: str, message: str):
    """A figure that says in words why there is nothing to draw."""
    fig, ax = plt.subplots(figsize=(7, 2.2))
    ax.axis("off")
    ax.set_title(title, loc="left")
    ax.text(0.0, 0.5, message, fontsize=11, va="center", wrap=True)
    return fig


def bars(frame: pd.DataFrame, x: str, y: str, hue: str, order: list[str], hue_order: list[str], title: str,
         xlabel: str, ylabel: str, lo: str = "lo", hi: str = "hi", dodge: bool = True):
    """Bars (seaborn) with precomputed 95 % intervals as whiskers; a zero line for gains."""
    fig, ax = plt.subplots(figsize=(max(7.5, 1.1 * len(order) + 4), 4.0))
    colours = dict(zip(hue_order, palette()))
    hue_order = [h for h in hue_order if h in set(frame[hue])]
    sns.barplot(data=frame, x=x, y=y, hue=hue, order=order, hue_order=hue_order, palette=colours, dodge=dodge,
                ax=ax)
    n = len(hue_order) if dodge else 1
    for _, row in frame.iterrows():
        if pd.isna(row.get(lo)) or pd.isna(row.get(hi)):
            continue
        j = hue_order.index(row[hue]) if dodge else 0
        pos = order.index(row[x]) + (j - (n - 1) / 2) * 0.8 / n
        ax.errorbar(pos, row[y], yerr=[[row[y] - row[lo]], [row[hi] - row[y]]], fmt="none", ecolor="black",
                    capsize=4, linewidth=1.2)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.tick_params(axis="x", rotation=20 if len(order) > 4 else 0)
    ax.legend(title=None, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def _by_value(frame: pd.DataFrame, column: str) -> list[str]:
    return list(frame.sort_values("value", ascending=False)[column])


def c1(v: Verdict, score: str = XTREME_SCORE.name):
    """Average gain per single intermediate task, the paper's three best set apart."""
    if not v.evidence.get("gains"):
        return placeholder("C1", v.reason)
    frame = pd.DataFrame([{"setting": s, **g} for s, g in v.evidence["gains"].items()])
    frame["group"] = ["paper's three best" if s in C1_TASKS else "other task" for s in frame["setting"]]
    return bars(frame, "setting", "value", "group", _by_value(frame, "setting"), ["paper's three best", "other task"],
                f"C1: average gain per single intermediate task ({', '.join(v.evidence['targets'])})",
                "intermediate task (ordered by gain)", gain_label(score), dodge=False)


def c2(v: Verdict, score: str = XTREME_SCORE.name):
    """Average gain per intermediate setting, the multi-task mix set apart."""
    if not v.evidence.get("gains"):
        return placeholder("C2", v.reason)
    frame = pd.DataFrame([{"setting": display_name(s), **g} for s, g in v.evidence["gains"].items()])
    frame["group"] = ["multi-task" if s.startswith("multi") else "single task" for s in frame["setting"]]
    return bars(frame, "setting", "value", "group", _by_value(frame, "setting"), ["multi-task", "single task"],
                f"C2: average gain per intermediate setting ({', '.join(v.evidence['targets'])})",
                "intermediate setting (ordered by gain)", gain_label(score), dodge=False)


def c3(v: Verdict, score: str = XTREME_SCORE.name):
    """Mean gain per target, retrieval targets set apart."""
    target_gains = v.evidence.get("target_gains", {})
    if not target_gains:
        return placeholder("C3", v.reason)
    frame = pd.DataFrame([{"target": t, **g} for t, g in target_gains.items()])
    frame["group"] = ["retrieval (no training)" if t in RETRIEVAL_TASKS else "trained target"
                      for t in frame["target"]]
    return bars(frame, "target", "value", "group", _by_value(frame, "target"),
                ["retrieval (no training)", "trained target"],
                f"C3: mean gain per target over {len(v.evidence['settings'])} intermediate settings",
                "target task (ordered by gain)", gain_label(score), dodge=False)


def c4(v: Verdict, frame: pd.DataFrame, score: str = XTREME_SCORE.name):
    """Gain per English setting on TyDiQA and XNLI (`claim_pages.c4_gains`)."""
    if not len(frame):
        return placeholder("C4", v.reason)
    present = [t for t in C4_TARGETS if t in set(frame["target"])]
    order = list(frame.groupby("setting")["value"].mean().sort_values(ascending=False).index)
    missing = [t for t in C4_TARGETS if t not in present]
    return bars(frame, "setting", "value", "target", order, present,
                "C4: gain per intermediate setting" + "".join(f" ({t}: not run in this profile)" for t in missing),
                "intermediate setting (ordered by mean gain)", gain_label(score))


def c5(v: Verdict, res: Results):
    """Per target, the baseline's score beside the picked intermediate model's."""
    chosen = v.evidence.get("chosen", {})
    if not chosen:
        return placeholder("C5", v.reason)
    frame = claim_pages.c5_scores(res, chosen)
    return bars(frame, "target", "value", "model", list(dict.fromkeys(frame["target"])),
                ["baseline encoder", "best intermediate (by English dev)"],
                f"C5: {res.score_def.name} per target, baseline vs best intermediate model",
                "target task (picked setting)", f"{res.score_def.name} (%)")


def c5_languages(v: Verdict, res: Results):
    """Per target, the picked model's gain per language: English first, then by the baseline's score."""
    chosen = v.evidence.get("chosen", {})
    if not chosen:
        return placeholder("C5 by language", v.reason)
    frame = claim_pages.c5_language_gains(res, chosen)
    colours = palette()
    targets = list(chosen)
    fig, axes = plt.subplots(len(targets), 1, figsize=(10, 3.0 * len(targets)), squeeze=False)
    for ax, target in zip(axes[:, 0], targets):
        part = frame[frame["target"] == target]
        order = ["en"] * ("en" in set(part["language"])) + list(
            part[part["language"] != "en"].sort_values("baseline", ascending=False)["language"])
        part = part.assign(group=["English (training language)" if lang == "en" else "zero-shot"
                                  for lang in part["language"]])
        sns.barplot(data=part, x="language", y="gain", order=order, hue="group",
                    hue_order=["English (training language)", "zero-shot"], palette=[colours[1], colours[0]],
                    dodge=False, ax=ax)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set(title=f"{target}: {display_name(chosen[target])} minus baseline", ylabel="gain (points)",
               xlabel="language (English first, then by the baseline's score, high to low)")
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def c6(v: Verdict, res: Results, frame: pd.DataFrame):
    """Gains of plain English, with MLM mixed in, and translated NLI, per target (`claim_pages.c6_gains`)."""
    if not len(frame):
        return placeholder("C6", v.reason)
    pairs = mlm_pairs(res)
    hue_order = [h for h in ("plain English", "English + MLM", "translated NLI") if h in set(frame["setting"])]
    return bars(frame, "target", "value", "setting", sorted(frame["target"].unique()), hue_order,
                f"C6: gain of {display_name(pairs[0][0]) if pairs else ENGLISH_NLI}, with MLM mixed in, and translated NLI",
                "target task", gain_label(res.score_def.name))
