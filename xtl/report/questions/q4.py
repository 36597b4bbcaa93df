"""Q4: does the difficulty of an English intermediate task, measured before it is learnt, change transfer to
African languages?

Difficulty: the chance-normalised English dev error after a fixed small budget, the first point of each
phase-2 run's dev history (50 optimiser steps, 800 examples, in every setting of the reference grid).
Transfer: the gain over no intermediate training on the African languages of PAN-X (sw, yo), which every
one of the eight single tasks reaches with three seeds; the other zero-shot languages are the control.
UD-POS (yo), XNLI (sw), TyDiQA-GoldP (sw) and XCOPA (sw) are described with the seeds the reference grid
ran (three for MNLI, SQuAD and HellaSwag, one for the others). The Masakhane sets as zero-shot targets (MasakhaNER
2.0 after phase 3 on English PAN-X, DATE read as O; MasakhaPOS after English UD-POS; `xtl.tasks_african`) are
described too, three seeds for every task: their gains and their own trend, every language of them African.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from xtl import tasks
from xtl.report.questions.data import Setting, has_tasks, on_common_languages, seed_scores, select
from xtl.report.questions.rules import (
    BASELINE,
    INCONCLUSIVE,
    MODEL,
    NO_DIFFERENCE,
    Analysis,
    classify,
    decision_note,
    not_run,
    seeds_note,
)
from xtl.report.stats import EMPTY, Effect, Verdict, contrast, t_interval

# the eight single tasks of the reference grid, by config (its settings: task, phase-2 window, examples)
Q4_SETTINGS = (
    Setting("anli_plus", ("anli_plus",), 128, 4000), Setting("mnli", ("mnli",), 128, 6400),
    Setting("qqp", ("qqp",), 128, 4800), Setting("sst2", ("sst2",), 128, 2400),
    Setting("squad", ("squad",), 256, 2700), Setting("hellaswag", ("hellaswag",), 128, 1440),
    Setting("cosmosqa", ("cosmosqa",), 256, 1120), Setting("commonsenseqa", ("commonsenseqa",), 128, 1920),
)
Q4_TARGETS = ("panx",)                                    # decide: three seeds for every task
Q4_DESCRIBED = ("udpos", "xnli", "tydiqa", "xcopa")       # described with the seeds the reference ran
Q4_MASAKHANE = ("masakhaner2_zs", "masakhapos_zs")        # described: zero-shot targets, every language African
AFRICAN_LANGUAGES = ("sw", "yo")                          # the XTREME-R African languages
BUDGET_STEPS = 50                                         # the fixed small budget: the dev history's first point
SPAN = "easiest → hardest"


def difficulty(phase2: pd.DataFrame, settings: Sequence[Setting] = Q4_SETTINGS, model: str = MODEL) -> pd.DataFrame:
    """Per (setting, seed): English dev score after BUDGET_STEPS steps and the difficulty it gives.

    difficulty = (100 - dev) / (100 - chance): 0 when the budget solves the dev set, 1 at chance level, so
    tasks with 2, 3, 4 and 5 options and F1-scored QA are on one scale.
    """
    rows = []
    for setting in settings:
        part = phase2[has_tasks(phase2, setting.tasks) & (phase2["model"] == model)
                      & (phase2["max_length"] == setting.max_length) & (phase2["examples"] == setting.examples)]
        part = part.dropna(subset=["first_dev"])
        chance = tasks.get(setting.tasks[0]).chance
        for _, row in part.iterrows():
            rows.append({"setting": setting.name, "seed": int(row["seed"]), "step": row["first_step"],
                         "dev_at_budget": float(row["first_dev"]), "chance": chance,
                         "difficulty": (100.0 - float(row["first_dev"])) / (100.0 - chance)})
    return pd.DataFrame(rows, columns=["setting", "seed", "step", "dev_at_budget", "chance", "difficulty"])


def gains_by_group(frame: pd.DataFrame, targets: Sequence[str], model: str = MODEL) -> dict[tuple[str, str], Effect]:
    """(setting, 'African' or 'other') -> gain over no phase 2, per seed the mean over those zero-shot languages of
    the targets (on the languages every compared run evaluated), averaged over the targets."""
    parts = {"baseline": select(frame, BASELINE, targets, model)}
    for s in Q4_SETTINGS:
        parts[s.name] = s.rows(frame, targets, model)
    present = on_common_languages({k: v for k, v in parts.items() if not v.empty})
    out = {}
    for s in Q4_SETTINGS:
        for group in ("African", "other"):
            if s.name not in present or "baseline" not in present:
                out[(s.name, group)] = EMPTY
                continue
            out[(s.name, group)] = contrast(_group_scores(present[s.name], group, targets),
                                            _group_scores(present["baseline"], group, targets))
    return out


def zero_shot_gains(frame: pd.DataFrame, targets: Sequence[str], model: str = MODEL) -> dict[str, Effect]:
    """Setting -> gain over no phase 2 on every zero-shot language of the targets: per seed the mean over the targets
    of each one's average over the languages every compared run evaluated (the Masakhane targets)."""
    parts = {"baseline": select(frame, BASELINE, targets, model)}
    for s in Q4_SETTINGS:
        parts[s.name] = s.rows(frame, targets, model)
    present = on_common_languages({k: v for k, v in parts.items() if not v.empty})
    if "baseline" not in present:
        return {s.name: EMPTY for s in Q4_SETTINGS}
    control = seed_scores(present["baseline"], targets)
    return {s.name: contrast(seed_scores(present[s.name], targets), control) if s.name in present else EMPTY
            for s in Q4_SETTINGS}


def _group_scores(rows: pd.DataFrame, group: str, targets: Sequence[str]) -> dict[int, float]:
    african = rows["language"].isin(AFRICAN_LANGUAGES)
    part = rows[african] if group == "African" else rows[~african]
    out = {}
    for seed, by_seed in part.groupby("seed"):
        per_target = [g["value"].mean() for _, g in by_seed.groupby("target")]
        if len(per_target) == len(targets):
            out[int(seed)] = float(np.mean(per_target))
    return out


def trend(gains: Mapping[str, Effect], measured: pd.DataFrame) -> Effect:
    """Per seed, the least-squares slope of the gain on that seed's difficulty over the eight tasks, times the
    span of the mean difficulties (hardest minus easiest): the change the fitted line predicts from the easiest
    task to the hardest, in points. Seeds where a task lacks a gain or a difficulty are left out."""
    if measured.empty:
        return EMPTY
    mean = measured.groupby("setting")["difficulty"].mean()
    if len(mean) < 2:
        return EMPTY
    span = float(mean.max() - mean.min())
    by_seed = measured.set_index(["setting", "seed"])["difficulty"]
    seeds = set.intersection(*(set(g.per_seed) for g in gains.values())) if gains else set()
    per_seed = {}
    for seed in sorted(seeds):
        if not all((name, seed) in by_seed.index for name in gains):
            continue
        x = np.array([by_seed[(name, seed)] for name in gains], dtype=float)
        y = np.array([gains[name].per_seed[seed] for name in gains], dtype=float)
        per_seed[seed] = float(np.polyfit(x, y, 1)[0]) * span
    return t_interval(per_seed)


def q4(frame: pd.DataFrame, phase2: pd.DataFrame, model: str = MODEL) -> Analysis:
    """The trend of the gain on PAN-X's African languages over the eight tasks' measured difficulty."""
    measured = difficulty(phase2, model=model)
    decide = gains_by_group(frame, Q4_TARGETS, model)
    names = [s.name for s in Q4_SETTINGS]
    complete = [n for n in names if decide[(n, "African")].n_seeds and n in set(measured["setting"])]
    african = trend({n: decide[(n, "African")] for n in complete}, measured) if len(complete) == len(names) else EMPTY
    other = trend({n: decide[(n, "other")] for n in complete}, measured) if len(complete) == len(names) else EMPTY
    interaction = contrast(african.per_seed, other.per_seed)
    mean_difficulty = measured.groupby("setting")["difficulty"].mean().reindex(names)
    ranked = mean_difficulty.dropna().sort_values()
    old = (contrast(decide[(ranked.index[-1], "African")].per_seed, decide[(ranked.index[0], "African")].per_seed)
           if len(ranked) >= 2 else EMPTY)
    easy, hard = (str(ranked.index[0]), str(ranked.index[-1])) if len(ranked) >= 2 else ("-", "-")
    verdict = q4_verdict(african, other, interaction, old, easy, hard, mean_difficulty)
    described = {t: gains_by_group(frame, (t,), model) for t in Q4_DESCRIBED}
    masakhane = {t: zero_shot_gains(frame, (t,), model) for t in Q4_MASAKHANE}
    both = zero_shot_gains(frame, Q4_MASAKHANE, model)
    complete_masakhane = [n for n in names if both[n].n_seeds and n in set(measured["setting"])]
    masakhane_trend = (trend({n: both[n] for n in complete_masakhane}, measured)
                       if len(complete_masakhane) == len(names) else EMPTY)
    table = pd.DataFrame([{
        "setting": n, "dev after 50 steps": round(float(measured[measured["setting"] == n]["dev_at_budget"].mean()), 1)
        if n in set(measured["setting"]) else None,
        "difficulty": round(float(mean_difficulty[n]), 3) if not pd.isna(mean_difficulty[n]) else None,
        "seeds (difficulty)": int((measured["setting"] == n).sum()),
        "gain: PAN-X sw, yo": decide[(n, "African")].text(), "gain: PAN-X other": decide[(n, "other")].text(),
        **{f"gain: {t} {', '.join(a for a in AFRICAN_LANGUAGES if a in _languages(frame, t))}":
           described[t][(n, "African")].text() for t in Q4_DESCRIBED},
        **{f"gain: {t}": masakhane[t][n].text() for t in Q4_MASAKHANE},
        "seeds (PAN-X)": decide[(n, "African")].n_seeds} for n in names])
    plot = pd.DataFrame([{"setting": n, "difficulty": mean_difficulty[n], "group": group, "gain": g.value,
                          "lo": g.lo, "hi": g.hi, "seeds": g.n_seeds}
                         for n in names for group in ("African", "other") for g in [decide[(n, group)]]
                         if not pd.isna(mean_difficulty[n]) and g.n_seeds])
    values: dict[str, Any] = {"effect": african.text(), "effect_other": other.text(), "interaction": interaction.text(),
                              "seeds": african.n_seeds, "easy": easy, "hard": hard, "old_rule": old.text(),
                              "old_rule_verdict": _label(old), "model": model, "targets": ", ".join(Q4_TARGETS),
                              "african": ", ".join(AFRICAN_LANGUAGES), "budget_steps": BUDGET_STEPS,
                              "tasks_measured": len(ranked), "effect_masakhane": masakhane_trend.text(),
                              "seeds_masakhane": masakhane_trend.n_seeds, "masakhane_targets": ", ".join(Q4_MASAKHANE)}
    for n in names:  # stable keys for the chapter
        values[f"difficulty_{n}"] = f"{mean_difficulty[n]:.2f}" if not pd.isna(mean_difficulty[n]) else "not run"
    return Analysis("q4", verdict, table, plot, values)


def _languages(frame: pd.DataFrame, target: str) -> set[str]:
    return set(frame[frame["target"] == target]["language"]) or set(tasks.get(target).languages)


def _label(effect: Effect) -> str:
    return classify(effect, "the harder task transfers better", "the easier task transfers better")


def q4_verdict(african: Effect, other: Effect, interaction: Effect, old: Effect, easy: str, hard: str,
               mean_difficulty: pd.Series | None = None) -> Verdict:
    """By the interval of the trend (easiest → hardest) of the gain on the African languages."""
    evidence = {"seeds": african.n_seeds, "african": african.as_dict(), "other": other.as_dict(),
                "interaction": interaction.as_dict(), "old_rule": old.as_dict(), "easy": easy, "hard": hard,
                "difficulty": {} if mean_difficulty is None else
                {k: round(float(v), 3) for k, v in mean_difficulty.dropna().items()}}
    if african.n_seeds == 0:
        return not_run("the eight English intermediate tasks with their measured difficulty and a PAN-X target",
                       "anli_plus, mnli, qqp, sst2, squad, hellaswag, cosmosqa and commonsenseqa, each with its "
                       "English dev score after 50 steps and PAN-X sw and yo, three seeds")
    head = (f"Across the eight tasks, the fitted change in the gain on PAN-X sw and yo from the easiest task "
            f"({easy}) to the hardest ({hard}) is {african.text()} points ({seeds_note(african)}); on the other "
            f"zero-shot languages {other.text()}; African minus other {interaction.text()}. The first rule "
            f"(hardest − easiest task only) gives {old.text()}: {_label(old)}.")
    label = classify(african, "yes: harder tasks transfer better to the African languages",
                     "yes: easier tasks transfer better to the African languages")
    if label == NO_DIFFERENCE:
        return Verdict("no: " + NO_DIFFERENCE, head, evidence)
    if label == INCONCLUSIVE:
        return Verdict(INCONCLUSIVE, f"{head} The interval includes zero and reaches beyond ±1. "
                                     f"{decision_note(african)}", evidence)
    return Verdict(label, head, evidence)

