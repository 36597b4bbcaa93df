"""Q1: does African-language intermediate data help as much as English data of the same format and size?"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from xtl.report.questions.data import (
    fmt_effect,
    language_contrast,
    main_model,
    order_languages,
    seed_scores,
    select,
    wide_table,
)
from xtl.report.questions.rules import (
    BASELINE,
    INCONCLUSIVE,
    MARGIN,
    MIN_SEEDS,
    SCORE_AVG,
    Analysis,
    not_run,
    seeds_note,
)
from xtl.report.stats import Effect, Verdict, contrast

# Every head here is token- or span-level: me5-small-l6's first-token state barely varies across inputs,
# so the sentence-level heads (classification, multiple choice) do not learn at this budget (see q1.md).
Q1_AFRICAN = ("masakhaner2:hau", "masakhaner2:swa", "masakhaner2:yor")
Q1_ENGLISH = ("panx",)
Q1_TARGETS = ("udpos",)


def q1(frame: pd.DataFrame) -> Analysis:
    """African-language vs English intermediate data of the same format and size; each also against none."""
    model = main_model(select(frame, BASELINE, Q1_TARGETS))
    rows = {name: select(frame, tasks, Q1_TARGETS, model) for name, tasks in
            (("baseline", BASELINE), ("English", Q1_ENGLISH), ("African", Q1_AFRICAN))}
    scores = {name: seed_scores(r, Q1_TARGETS) for name, r in rows.items()}
    diff = contrast(scores["African"], scores["English"])
    gain_african = contrast(scores["African"], scores["baseline"])
    gain_english = contrast(scores["English"], scores["baseline"])
    verdict = q1_verdict(diff, gain_african, gain_english, model=model, targets=Q1_TARGETS)
    order = order_languages(rows["baseline"])
    per_lang = []
    for name in ("English", "African"):
        part = language_contrast(rows[name], rows["baseline"]).assign(setting=name)
        per_lang.append(part)
    plot = pd.concat(per_lang, ignore_index=True) if per_lang else pd.DataFrame()
    table = wide_table(rows, order, ["baseline", "English", "African"])
    if not table.empty:
        lc = language_contrast(rows["African"], rows["English"]).set_index("language")
        table["African − English"] = [diff.text() if lang == SCORE_AVG else fmt_effect(lc, lang)
                                      for lang in table.index]
    values = {"effect": diff.text(), "gain_african": gain_african.text(), "gain_english": gain_english.text(),
              "seeds": diff.n_seeds, "model": model or "-", "targets": ", ".join(Q1_TARGETS),
              "languages": ", ".join(order)}
    return Analysis("q1", verdict, table, plot, values, order)


def q1_verdict(diff: Effect, gain_african: Effect, gain_english: Effect, model: str | None = None,
               targets: Sequence[str] = Q1_TARGETS) -> Verdict:
    """Yes when African data is non-inferior to English (interval of African - English above -MARGIN)."""
    evidence = {"seeds": diff.n_seeds, "model": model, "targets": list(targets), "effect": diff.as_dict(),
                "gain_african": gain_african.as_dict(), "gain_english": gain_english.as_dict()}
    if diff.n_seeds == 0:
        return not_run("the African or the English intermediate setting",
                        "masakhaner2 (hau+swa+yor) vs panx (English NER), target udpos")
    gains = (f"Against no intermediate training, African NER changes the score by {gain_african.text()} and "
             f"English NER by {gain_english.text()} points.")
    head = f"African − English = {diff.text()} points ({seeds_note(diff)}, {model}, {', '.join(targets)})."
    if diff.n_seeds < MIN_SEEDS or not diff.has_interval:
        return Verdict(INCONCLUSIVE, f"{head} Too few seeds for an interval-based verdict. {gains}", evidence)
    if diff.lo > -MARGIN:
        more = " It even helps more: the interval lies above zero." if diff.lo > 0 else ""
        return Verdict("yes", f"{head} The whole interval lies above −{MARGIN:g} point, so the African data helps at "
                              f"least as much as the English data within that margin.{more} {gains}", evidence)
    if diff.hi < 0:
        return Verdict("no", f"{head} The whole interval lies below zero: English data of the same format and size "
                             f"helps more. {gains}", evidence)
    return Verdict(INCONCLUSIVE, f"{head} The interval reaches below −{MARGIN:g} and above zero: the seeds cannot "
                                 f"tell the two apart. {gains}", evidence)
