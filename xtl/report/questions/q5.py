"""Q5: does mixing African NER data into English NER intermediate data, at the same size, help?"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from xtl import data, tasks
from xtl.report.questions.data import (
    has_tasks,
    language_contrast,
    main_model,
    order_languages,
    read_json,
    seed_scores,
    select,
)
from xtl.report.questions.rules import INCONCLUSIVE, NO_DIFFERENCE, TARGETS_AVG, Analysis, classify, not_run, seeds_note
from xtl.report.stats import Effect, Verdict, contrast

Q5_ENGLISH = ("panx",)
Q5_MIXED = ("panx", "masakhaner2:hau", "masakhaner2:swa", "masakhaner2:yor")
Q5_TARGETS = ("udpos",)


def text_overlap(train_texts: Iterable[str], eval_texts: Iterable[str]) -> int:
    """How many training texts equal an evaluated text (texts normalised by xtl.data.row_text)."""
    evaluated = set(eval_texts)
    return sum(1 for t in train_texts if t in evaluated)


def q5(frame: pd.DataFrame, overlap: Mapping[str, int] | None = None) -> Analysis:
    """Mixed English + African NER minus English-only NER at the same size, on `TARGETS_AVG`."""
    model = main_model(select(frame, Q5_ENGLISH, Q5_TARGETS))
    english = select(frame, Q5_ENGLISH, Q5_TARGETS, model)
    mixed = select(frame, Q5_MIXED, Q5_TARGETS, model)
    effect = contrast(seed_scores(mixed, Q5_TARGETS), seed_scores(english, Q5_TARGETS))
    per_target = {t: contrast(seed_scores(mixed[mixed["target"] == t], [t]),
                              seed_scores(english[english["target"] == t], [t])) for t in Q5_TARGETS}
    verdict = q5_verdict(effect, per_target, overlap)
    plot = language_contrast(mixed, english)
    order = order_languages(english)
    table = plot.copy()
    if not table.empty:
        table["effect [95 % CI]"] = [Effect(r.effect, r.lo, r.hi, {i: 0.0 for i in range(int(r.seeds))}).text()
                                     for r in table.itertuples()]
        table = table.rename(columns={"treatment": "mixed", "control": "English-only"})
        table = table[["target", "language", "English-only", "mixed", "effect [95 % CI]"]].round(1)
    values = {"effect": effect.text(), "seeds": effect.n_seeds, "model": model or "-",
              "targets": ", ".join(Q5_TARGETS), "overlap": sum((overlap or {}).values()) if overlap else "not checked"}
    for t, e in per_target.items():
        values[f"effect_{t}"] = e.text()
    return Analysis("q5", verdict, table, plot, values, order)


def q5_verdict(effect: Effect, per_target: Mapping[str, Effect], overlap: Mapping[str, int] | None = None) -> Verdict:
    """By the interval of mixed - English-only on `TARGETS_AVG`."""
    evidence = {"seeds": effect.n_seeds, "effect": effect.as_dict(),
                "per_target": {t: e.as_dict() for t, e in per_target.items()}, "overlap": dict(overlap or {})}
    if effect.n_seeds == 0:
        return not_run("the English-only and the mixed intermediate setting",
                        "panx 280 vs panx 140 + masakhaner2 (hau, swa, yor) 140, target udpos")
    targets = "; ".join(f"{t} {e.text()}" for t, e in per_target.items())
    head = (f"Mixed minus English-only intermediate training, {TARGETS_AVG} over {', '.join(per_target)}: "
            f"{effect.text()} points ({seeds_note(effect)}); per target: {targets}.")
    if overlap:
        head += f" Training sentences whose text equals an evaluated sentence: {sum(overlap.values())}."
    label = classify(effect, "mixed is better", "English-only is better")
    if label == NO_DIFFERENCE:
        return Verdict("no: " + NO_DIFFERENCE, head, evidence)
    if label == INCONCLUSIVE:
        return Verdict(INCONCLUSIVE, head + " The interval includes zero and reaches beyond ±1.", evidence)
    return Verdict(label, head, evidence)


def training_texts(config: Mapping[str, Any]) -> list[str]:
    """The normalised texts (xtl.data.row_text) of a run's phase-2 training rows, loaded as xtl.experiment loads them."""
    inter, seed = config["intermediate"], int(config["seed"])
    texts = []
    for name in inter.get("tasks") or ():
        base, _, lang = name.partition(":")
        task = tasks.get(base)
        limit = (inter.get("task_limits") or {}).get(name, inter.get("train_limit"))
        if lang:
            rows = data.load(task.name, lang, "train", limit=limit, seed=seed)
        else:
            rows = data.load(task.train_task or task.name, task.train_lang, task.train_split, limit=limit, seed=seed)
        texts += [data.row_text(task.format, r) for r in rows]
    return texts


def mixed_overlap(frame: pd.DataFrame) -> dict[str, int]:
    """Per seed of the mixed setting: training sentences whose text equals a sentence of the target's evaluated split.

    Compared with the whole evaluated split (not only the sampled rows) of every language the run
    evaluated; texts normalised by xtl.data.row_text (NFKC, case-folded, whitespace collapsed).
    """
    runs = frame.loc[has_tasks(frame, Q5_MIXED)]
    out: dict[str, int] = {}
    evaluated: dict[str, set[str]] = {}
    for run_path, run in runs.groupby("run_path"):
        config = read_json(Path(run_path) / "config.json")
        target = tasks.get(config["target"]["task"])
        if target.name not in evaluated:
            evaluated[target.name] = {data.row_text(target.format, r) for lang in sorted(run["language"].unique())
                                      for r in data.load(target.name, lang, target.eval_split[lang])}
        out[f"seed {config['seed']}"] = text_overlap(training_texts(config), evaluated[target.name])
    return out
