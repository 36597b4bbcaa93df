"""Q5: does mixing non-English data into English intermediate data, at the same total size, help?

English-only: the reference grid's MNLI setting (6,400 pairs). Mixed: 3,208 MNLI pairs and 3,192 pairs of
human-translated XNLI validation data in the 14 non-English XNLI languages (228 each), 6,400 in all, one
NLI head. Scored by `TARGETS_AVG` over UD-POS, PAN-X and XNLI, an XTREME-style average.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from xtl.report.questions.data import Setting, language_contrast, on_common_languages, order_languages, seed_scores
from xtl.report.questions.rules import (
    INCONCLUSIVE,
    MODEL,
    NO_DIFFERENCE,
    TARGETS_AVG,
    Analysis,
    classify,
    decision_note,
    not_run,
    seeds_note,
)
from xtl.report.stats import Effect, Verdict, contrast

Q5_ENGLISH = Setting("English-only", ("mnli",), 128, 6400)
Q5_MIXED = Setting("mixed", ("mnli", "xnli-translated"), 128, 6400)
Q5_TARGETS = ("udpos", "panx", "xnli")


def q5(frame: pd.DataFrame, model: str = MODEL) -> Analysis:
    """Mixed minus English-only at the same size, on `TARGETS_AVG` and per target."""
    rows = on_common_languages({s.name: s.rows(frame, Q5_TARGETS, model) for s in (Q5_ENGLISH, Q5_MIXED)})
    english, mixed = rows[Q5_ENGLISH.name], rows[Q5_MIXED.name]
    effect = contrast(seed_scores(mixed, Q5_TARGETS), seed_scores(english, Q5_TARGETS))
    per_target = {t: contrast(seed_scores(mixed[mixed["target"] == t], [t]),
                              seed_scores(english[english["target"] == t], [t])) for t in Q5_TARGETS}
    verdict = q5_verdict(effect, per_target)
    plot = language_contrast(mixed, english)
    order = order_languages(english)
    table = plot.copy()
    if not table.empty:
        table["effect [95 % CI]"] = [Effect(r.effect, r.lo, r.hi, {i: 0.0 for i in range(int(r.seeds))}).text()
                                     for r in table.itertuples()]
        table = table.rename(columns={"treatment": "mixed", "control": "English-only"})
        table = table[["target", "language", "English-only", "mixed", "effect [95 % CI]"]].round(1)
    values = {"effect": effect.text(), "seeds": effect.n_seeds, "model": model, "targets": ", ".join(Q5_TARGETS),
              "languages": "; ".join(f"{t}: {', '.join(sorted(set(english[english['target'] == t]['language'])))}"
                                     for t in Q5_TARGETS)}
    for t, e in per_target.items():
        values[f"effect_{t}"] = e.text()
    return Analysis("q5", verdict, table, plot, values, order)


def q5_verdict(effect: Effect, per_target: Mapping[str, Effect]) -> Verdict:
    """By the interval of mixed - English-only on `TARGETS_AVG`."""
    evidence = {"seeds": effect.n_seeds, "effect": effect.as_dict(),
                "per_target": {t: e.as_dict() for t, e in per_target.items()}}
    if effect.n_seeds == 0:
        return not_run("the English-only and the mixed intermediate setting on every target",
                       "mnli 6,400 vs mnli 3,208 + translated XNLI 3,192 (14 languages), targets UD-POS, PAN-X and "
                       "XNLI, three seeds")
    targets = "; ".join(f"{t} {e.text()}" for t, e in per_target.items())
    head = (f"Mixed minus English-only intermediate training, {TARGETS_AVG} over {', '.join(per_target)}: "
            f"{effect.text()} points ({seeds_note(effect)}); per target: {targets}.")
    label = classify(effect, "mixed is better", "English-only is better")
    if label == NO_DIFFERENCE:
        return Verdict("no: " + NO_DIFFERENCE, head, evidence)
    if label == INCONCLUSIVE:
        return Verdict(INCONCLUSIVE, f"{head} The interval includes zero and reaches beyond ±1. "
                                     f"{decision_note(effect)}", evidence)
    return Verdict(label, head, evidence)
