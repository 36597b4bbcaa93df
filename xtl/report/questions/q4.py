"""Q4: does a harder English intermediate task transfer better to the African languages?"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from xtl import tasks
from xtl.report.questions.data import has_tasks, main_model, seed_scores, select, setting_label
from xtl.report.questions.rules import BASELINE, INCONCLUSIVE, NO_DIFFERENCE, Analysis, classify, not_run, seeds_note
from xtl.report.stats import EMPTY, Effect, Verdict, contrast

Q4_TARGET = "udpos"
Q4_CANDIDATES = (("panx",), ("squad",))  # English single tasks whose difficulty is measured
AFRICAN_LANGUAGES = ("sw", "yo")  # the XTREME-R African languages (UD-POS has yo only)


def difficulty(phase2: pd.DataFrame, candidates: Sequence[Sequence[str]] = Q4_CANDIDATES,
               model: str | None = None) -> pd.DataFrame:
    """Measured difficulty of each English single task: chance-normalised English dev error after phase 2.

    difficulty = (100 - dev) / (100 - chance): 0 when phase 2 solves the dev set, 1 at chance level,
    so tasks with 2 and 5 answer options are comparable. Averaged over seeds.
    """
    rows = []
    for candidate in candidates:
        part = phase2.loc[has_tasks(phase2, candidate)]
        if model is not None:
            part = part[part["model"] == model]
        part = part.dropna(subset=["english_dev"])
        if part.empty:
            continue
        chance = tasks.get(candidate[0]).chance
        per_seed = {int(s): (100.0 - float(d)) / (100.0 - chance) for s, d in zip(part["seed"], part["english_dev"])}
        rows.append({"setting": setting_label(candidate), "tasks": tuple(candidate), "english_dev": float(part["english_dev"].mean()),
                     "chance": chance, "difficulty": float(np.mean(list(per_seed.values()))), "seeds": len(per_seed)})
    return pd.DataFrame(rows, columns=["setting", "tasks", "english_dev", "chance", "difficulty", "seeds"])


def q4(frame: pd.DataFrame, phase2: pd.DataFrame) -> Analysis:
    """Gain of the hardest minus the easiest English task (by measured difficulty) on sw/yo, and elsewhere."""
    model = main_model(select(frame, BASELINE, [Q4_TARGET]))
    measured = difficulty(phase2, model=model)
    measured = measured[[not select(frame, t, [Q4_TARGET], model).empty for t in measured["tasks"]]] \
        if not measured.empty else measured
    measured = measured.sort_values("difficulty").reset_index(drop=True)
    base = select(frame, BASELINE, [Q4_TARGET], model)
    present = [lang for lang in AFRICAN_LANGUAGES if lang in set(base["language"])] or list(AFRICAN_LANGUAGES)
    african_group = f"African ({', '.join(present)})"
    groups = {african_group: lambda r: r[r["language"].isin(AFRICAN_LANGUAGES)],
              "other zero-shot": lambda r: r[~r["language"].isin(AFRICAN_LANGUAGES)]}
    gains, plot_rows = {}, []
    for _, task_row in measured.iterrows():
        rows = select(frame, task_row["tasks"], [Q4_TARGET], model)
        for group, pick in groups.items():
            g = contrast(seed_scores(pick(rows), [Q4_TARGET]), seed_scores(pick(base), [Q4_TARGET]))
            gains[(task_row["setting"], group)] = g
            plot_rows.append({"setting": task_row["setting"], "difficulty": task_row["difficulty"], "group": group,
                              "gain": g.value, "lo": g.lo, "hi": g.hi, "seeds": g.n_seeds})
    if len(measured) >= 2:
        easy, hard = measured.iloc[0], measured.iloc[-1]
        african = contrast(gains[(hard["setting"], african_group)].per_seed,
                           gains[(easy["setting"], african_group)].per_seed)
        other = contrast(gains[(hard["setting"], "other zero-shot")].per_seed,
                         gains[(easy["setting"], "other zero-shot")].per_seed)
        interaction = contrast(african.per_seed, other.per_seed)
        easy_name, hard_name = str(easy["setting"]), str(hard["setting"])
    else:
        african = other = interaction = EMPTY
        easy_name = hard_name = "-"
    verdict = q4_verdict(african, other, interaction, easy_name, hard_name, measured, present)
    table = measured.drop(columns=["tasks"]).copy()
    for group in groups:
        table[f"gain on {group}"] = [gains[(s, group)].text() for s in table["setting"]]
    table = table.round(2)
    values = {"effect": african.text(), "effect_other": other.text(), "interaction": interaction.text(),
              "seeds": african.n_seeds, "easy": easy_name, "hard": hard_name, "model": model or "-",
              "target": Q4_TARGET, "african": ", ".join(present)}
    for candidate in Q4_CANDIDATES:  # stable keys for the chapter
        values[f"difficulty_{setting_label(candidate)}"] = "not run"
    for _, row in measured.iterrows():
        values[f"difficulty_{row['setting']}"] = f"{row['difficulty']:.2f}"
    return Analysis("q4", verdict, table, pd.DataFrame(plot_rows), values)


def q4_verdict(african: Effect, other: Effect, interaction: Effect, easy: str, hard: str,
               measured: pd.DataFrame | None = None, languages: Sequence[str] = AFRICAN_LANGUAGES) -> Verdict:
    """By the interval of gain(hardest task) - gain(easiest task) on the African languages."""
    evidence = {"seeds": african.n_seeds, "african": african.as_dict(), "other": other.as_dict(),
                "interaction": interaction.as_dict(), "easy": easy, "hard": hard,
                "difficulty": {} if measured is None or measured.empty
                else dict(zip(measured["setting"], measured["difficulty"].round(3)))}
    if african.n_seeds == 0:
        return not_run("two English intermediate tasks of measured difficulty with a UD-POS target",
                        "panx (English NER) and squad (English QA), udpos yo")
    head = (f"By measured difficulty the easiest task is {easy} and the hardest {hard}. On {', '.join(languages)} "
            f"({Q4_TARGET}), the gain after {hard} minus the gain after {easy} is {african.text()} points "
            f"({seeds_note(african)}); on the other zero-shot languages {other.text()}; the difference between "
            f"the two {interaction.text()}.")
    label = classify(african, "yes: the harder task transfers better to the African languages",
                     "yes: the easier task transfers better to the African languages")
    if label == NO_DIFFERENCE:
        return Verdict("no: " + NO_DIFFERENCE, head, evidence)
    if label == INCONCLUSIVE:
        return Verdict(INCONCLUSIVE, head + " The interval includes zero and reaches beyond ±1.", evidence)
    return Verdict(label, head, evidence)
