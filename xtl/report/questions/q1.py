"""Q1: does African-language intermediate data help as much as English data of the same format and size?

Three corpus pairs, each an African corpus (Hausa, Swahili and Yoruba, a third each) against an English
corpus of the same format and size: NER (MasakhaNER 2.0 against PAN-X English, 3,200 sentences), POS
(MasakhaPOS against UD-POS English, 1,600) and sentiment (AfriSenti against SST-2, 2,400). A pair is scored
on the targets whose own English training data its English corpus is not: NER on UD-POS, POS on PAN-X,
sentiment on UD-POS, PAN-X and XNLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from xtl.report.questions.data import on_common_languages, seed_scores, select, setting_label
from xtl.report.questions.rules import (
    BASELINE,
    INCONCLUSIVE,
    MARGIN,
    MIN_SEEDS,
    MODEL,
    NOT_RUN,
    TARGETS_AVG,
    Analysis,
    decision_note,
    not_run,
    seeds_note,
)
from xtl.report.stats import EMPTY, Effect, Verdict, contrast, t_interval


@dataclass(frozen=True)
class Pair:
    """One format: the African corpus, the English one of the same format and size, the targets it is scored on."""

    name: str
    african: tuple[str, ...]
    english: tuple[str, ...]
    targets: tuple[str, ...]
    examples: int   # phase-2 examples of each side


def _african(task: str) -> tuple[str, ...]:
    return tuple(f"{task}:{lang}" for lang in ("hau", "swa", "yor"))


PAIRS = (
    Pair("NER", _african("masakhaner2"), ("panx",), ("udpos",), 3200),
    Pair("POS", _african("masakhapos"), ("udpos",), ("panx",), 1600),
    Pair("sentiment", _african("afrisenti"), ("sst2",), ("udpos", "panx", "xnli"), 2400),
)
Q1_TARGETS = ("udpos", "panx", "xnli")


def pair_rows(frame: pd.DataFrame, pair: Pair, model: str = MODEL) -> dict[str, pd.DataFrame]:
    """The pair's three cells (African, English, no phase 2) on its targets, on the languages all three evaluated."""
    parts = {"African": select(frame, pair.african, pair.targets, model, inter_examples=pair.examples),
             "English": select(frame, pair.english, pair.targets, model, inter_examples=pair.examples),
             "baseline": select(frame, BASELINE, pair.targets, model)}
    return on_common_languages(parts)


def q1(frame: pd.DataFrame, model: str = MODEL) -> Analysis:
    """Per pair and over the three pairs: African minus English, each also against no intermediate training."""
    per_pair, table, plot = {}, [], []
    for pair in PAIRS:
        rows = pair_rows(frame, pair, model)
        scores = {name: seed_scores(part, pair.targets) for name, part in rows.items()}
        effects = {"African − English": contrast(scores["African"], scores["English"]),
                   "African − none": contrast(scores["African"], scores["baseline"]),
                   "English − none": contrast(scores["English"], scores["baseline"])}
        per_pair[pair.name] = effects
        languages = sorted(set(rows["baseline"]["language"]) | set(rows["African"]["language"]))
        table.append({"pair": pair.name, "African": setting_label(pair.african), "English": setting_label(pair.english),
                      "examples": pair.examples, "targets": ", ".join(pair.targets),
                      "zero-shot languages": len(languages),
                      **{name: e.text() for name, e in effects.items()},
                      "same rule, this pair": non_inferiority(effects["African − English"]),
                      "seeds": effects["African − English"].n_seeds})
        for name, e in effects.items():
            plot.append({"pair": pair.name, "contrast": name, "effect": e.value, "lo": e.lo, "hi": e.hi,
                         "seeds": e.n_seeds})
    overall = mean_over_pairs({name: e["African − English"] for name, e in per_pair.items()})
    plot.append({"pair": "mean over pairs", "contrast": "African − English", "effect": overall.value, "lo": overall.lo,
                 "hi": overall.hi, "seeds": overall.n_seeds})
    verdict = q1_verdict(overall, per_pair, model)
    values = {"effect": overall.text(), "seeds": overall.n_seeds, "model": model,
              "targets": ", ".join(Q1_TARGETS)}
    for name, effects in per_pair.items():
        key = name.lower()
        values[f"effect_{key}"] = effects["African − English"].text()
        values[f"gain_african_{key}"] = effects["African − none"].text()
        values[f"gain_english_{key}"] = effects["English − none"].text()
    return Analysis("q1", verdict, pd.DataFrame(table), pd.DataFrame(plot), values)


def mean_over_pairs(effects: Mapping[str, Effect]) -> Effect:
    """Per seed, the mean over the pairs of African − English (seeds every pair has); its t-interval."""
    if not effects or any(e.n_seeds == 0 for e in effects.values()):
        return EMPTY
    seeds = set.intersection(*(set(e.per_seed) for e in effects.values()))
    return t_interval({s: sum(e.per_seed[s] for e in effects.values()) / len(effects) for s in sorted(seeds)})


def non_inferiority(effect: Effect) -> str:
    """The rule's label for one effect: yes (interval above -MARGIN), no (below zero), inconclusive, not run."""
    if effect.n_seeds == 0:
        return NOT_RUN
    if effect.n_seeds < MIN_SEEDS or not effect.has_interval:
        return INCONCLUSIVE
    return "yes" if effect.lo > -MARGIN else "no" if effect.hi < 0 else INCONCLUSIVE


def q1_verdict(overall: Effect, per_pair: Mapping[str, Mapping[str, Effect]], model: str | None = MODEL) -> Verdict:
    """Yes when African data is non-inferior to English: the interval of the mean over pairs above -MARGIN."""
    evidence = {"seeds": overall.n_seeds, "model": model, "effect": overall.as_dict(),
                "pairs": {name: {k: e.as_dict() for k, e in effects.items()} for name, effects in per_pair.items()}}
    if overall.n_seeds == 0:
        return not_run("every corpus pair (African and English) on its targets",
                       "MasakhaNER 2.0 vs PAN-X English on UD-POS, MasakhaPOS vs UD-POS English on PAN-X, AfriSenti "
                       "vs SST-2 on UD-POS, PAN-X and XNLI, three seeds each")
    pairs = "; ".join(f"{name} {effects['African − English'].text()}" for name, effects in per_pair.items())
    gains = "; ".join(f"{name}: African {effects['African − none'].text()}, English {effects['English − none'].text()}"
                      for name, effects in per_pair.items())
    head = (f"African − English, {TARGETS_AVG} of each pair's targets, mean over the three pairs: {overall.text()} "
            f"points ({seeds_note(overall)}, {model}). Per pair: {pairs}.")
    tail = f" Against no intermediate training — {gains}."
    if overall.n_seeds < MIN_SEEDS or not overall.has_interval:
        return Verdict(INCONCLUSIVE, f"{head} Too few seeds for an interval-based verdict.{tail}", evidence)
    if overall.lo > -MARGIN:
        more = " It even helps more: the interval lies above zero." if overall.lo > 0 else ""
        return Verdict("yes", f"{head} The whole interval lies above −{MARGIN:g} point, so the African data helps at "
                              f"least as much as the English data within that margin.{more}{tail}", evidence)
    if overall.hi < 0:
        return Verdict("no", f"{head} The whole interval lies below zero: English data of the same format and size "
                             f"helps more.{tail}", evidence)
    note = decision_note(overall, non_inferiority=True)
    return Verdict(INCONCLUSIVE, f"{head} The interval reaches below −{MARGIN:g} and above zero: the seeds cannot "
                                 f"tell the two apart. {note}{tail}", evidence)
