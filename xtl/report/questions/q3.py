"""Q3: does a longer intermediate-task window help on long documents (XQuAD items beyond the window)?"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from xtl import data, metrics
from xtl.errors import XtlError
from xtl.report.items import read_predictions
from xtl.report.questions.data import has_tasks
from xtl.report.questions.rules import INCONCLUSIVE, NO_DIFFERENCE, Analysis, classify, not_run, seeds_note
from xtl.report.stats import Effect, Verdict, contrast

Q3_INTERMEDIATE = ("squad",)
Q3_TARGET = "xquad"
Q3_WINDOWS = (64, 256)  # intermediate-task windows: short, long


def qa_item_table(lines: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]], lang: str,
                  token_count: Callable[[str, str], int], window: int, norm_lang: str | None = None) -> pd.DataFrame:
    """Per evaluated QA item: F1, EM (0-100), tokens of question+context, long (tokens > window).

    `lines` are a run's predictions/<lang>.jsonl(.gz) in row order and `rows` the same rows re-loaded
    with xtl.data.load; the ids must agree item by item.
    """
    if len(lines) != len(rows):
        raise XtlError(f"{lang}: {len(lines)} predictions for {len(rows)} re-loaded rows; load with the run's "
                       "eval_limit and seed")
    out = []
    for line, row in zip(lines, rows):
        gold = line["gold"]
        if gold["id"] != row["id"]:
            raise XtlError(f"{lang}: prediction for {gold['id']} where the re-loaded row is {row['id']}; "
                           "the rows are not in prediction order")
        answers = gold["answers"] or [""]
        prediction = str(line["prediction"])
        tokens = int(token_count(row["question"], row["context"]))
        out.append({"language": lang, "id": row["id"], "tokens": tokens, "long": tokens > window,
                    "f1": 100.0 * max(metrics.qa_f1(prediction, a, norm_lang) for a in answers),
                    "exact_match": 100.0 * max(metrics.qa_exact_match(prediction, a, norm_lang) for a in answers)})
    return pd.DataFrame(out)


def q3_items(frame: pd.DataFrame, token_count: Callable[[str, str], int]) -> pd.DataFrame:
    """Item tables of every Q3 run (xquad after squad at either window), rows re-loaded from the kit."""
    rows = frame.loc[(frame["target"] == Q3_TARGET) & has_tasks(frame, Q3_INTERMEDIATE)]
    tables = []
    for run_path, run in rows.groupby("run_path"):
        first = run.iloc[0]
        for lang in run["language"]:
            lines = read_predictions(run_path, lang) or []
            split = run[run["language"] == lang]["split"].iloc[0] or "test"
            limit = None if pd.isna(first["eval_limit"]) else int(first["eval_limit"])
            reloaded = list(data.load(Q3_TARGET, lang, split, limit=limit, seed=int(first["seed"])))
            table = qa_item_table(lines, reloaded, lang, token_count, int(first["eval_max_length"]),
                                  metrics.qa_normalisation_language(Q3_TARGET, lang))
            tables.append(table.assign(run_path=run_path, seed=int(first["seed"]), model=first["model"],
                                       window=int(first["inter_max_length"]), eval_window=int(first["eval_max_length"])))
    columns = ["language", "id", "tokens", "long", "f1", "exact_match", "run_path", "seed", "model", "window",
               "eval_window"]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns)


def _subset_scores(items: pd.DataFrame, window: int, long: bool) -> dict[int, float]:
    """Per seed: mean over languages of the mean F1 of the long (or short) items, one intermediate window."""
    part = items[(items["window"] == window) & (items["long"] == long)]
    per_lang = part.groupby(["seed", "language"])["f1"].mean()
    return {int(seed): float(v.mean()) for seed, v in per_lang.groupby(level="seed")}


def q3(items: pd.DataFrame) -> Analysis:
    """Long window minus short window, on the long-document subset and on the rest."""
    short_w, long_w = Q3_WINDOWS
    effects = {}
    for subset, flag in (("long", True), ("short", False)):
        effects[subset] = contrast(_subset_scores(items, long_w, flag), _subset_scores(items, short_w, flag))
    interaction = contrast({s: effects["long"].per_seed[s] for s in effects["long"].per_seed},
                           {s: effects["short"].per_seed.get(s, float("nan")) for s in effects["long"].per_seed})
    counts = pd.DataFrame()
    if not items.empty:
        one_run = items[items["run_path"] == items["run_path"].iloc[0]]
        counts = one_run.groupby("language").agg(items=("id", "size"), long_items=("long", "sum"),
                                                 median_tokens=("tokens", "median"))
        counts["long share (%)"] = (100 * counts["long_items"] / counts["items"]).round(0)
    eval_window = int(items["eval_window"].iloc[0]) if not items.empty else None
    verdict = q3_verdict(effects["long"], effects["short"], interaction, eval_window, counts)
    per_lang = (items.groupby(["window", "long", "language", "seed"])["f1"].mean().reset_index()
                if not items.empty else pd.DataFrame(columns=["window", "long", "language", "seed", "f1"]))
    plot = per_lang.groupby(["window", "long", "seed"])["f1"].mean().reset_index()
    table = counts.copy()
    if not items.empty:
        for w in Q3_WINDOWS:
            for subset, flag in (("long", True), ("short", False)):
                table[f"F1 {subset}, window {w}"] = (per_lang[(per_lang["window"] == w) & (per_lang["long"] == flag)]
                                                    .groupby("language")["f1"].mean().round(1))
    values = {"effect": effects["long"].text(), "effect_short": effects["short"].text(),
              "interaction": interaction.text(), "seeds": effects["long"].n_seeds, "threshold": eval_window or "-",
              "model": items["model"].iloc[0] if not items.empty else "-",
              "long_items": int(counts["long_items"].sum()) if not counts.empty else 0,
              "items": int(counts["items"].sum()) if not counts.empty else 0,
              "languages": ", ".join(counts.index) if not counts.empty else "-"}
    return Analysis("q3", verdict, table, plot, values, list(counts.index))


def q3_verdict(long_effect: Effect, short_effect: Effect, interaction: Effect, eval_window: int | None,
               counts: pd.DataFrame | None = None) -> Verdict:
    """By the interval of (window 256 - window 64) F1 on the long-document subset."""
    short_w, long_w = Q3_WINDOWS
    evidence = {"seeds": long_effect.n_seeds, "long": long_effect.as_dict(), "short": short_effect.as_dict(),
                "interaction": interaction.as_dict(), "eval_window": eval_window,
                "long_items": {} if counts is None or counts.empty else counts["long_items"].astype(int).to_dict()}
    if long_effect.n_seeds == 0:
        return not_run("SQuAD intermediate training at both windows with an XQuAD target",
                        f"squad at {short_w} and {long_w} tokens, xquad evaluated at a fixed window")
    head = (f"On XQuAD items whose question + context exceed the {eval_window}-token evaluation window, F1 after "
            f"{long_w}-token minus after {short_w}-token SQuAD intermediate training is {long_effect.text()} points "
            f"({seeds_note(long_effect)}); on the other items {short_effect.text()}; difference between the two "
            f"{interaction.text()}.")
    label = classify(long_effect, "yes: the longer window helps on long documents",
                     "yes: the shorter window helps on long documents")
    if label == INCONCLUSIVE:
        return Verdict(INCONCLUSIVE, head + " The interval on the long subset includes zero and reaches beyond ±1.",
                       evidence)
    if label == NO_DIFFERENCE:
        return Verdict("no: " + NO_DIFFERENCE, head, evidence)
    return Verdict(label, head, evidence)
