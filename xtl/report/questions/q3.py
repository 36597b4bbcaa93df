"""Q3: does a longer intermediate-task window help on long documents (QA items beyond the evaluation window)?

SQuAD intermediate training at 128, 256 (the reference grid's setting) and 384 tokens, then the reference's
QA target training at a fixed 256-token window. An item is long when its question + context exceeds the
evaluation window. MLQA runs after all three windows and decides; XQuAD and TyDiQA-GoldP, which run after
the 256-token window only (the reference grid's cells), show how SQuAD intermediate training at the
evaluation window itself treats long and short items.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from xtl import data, metrics, tasks
from xtl.errors import XtlError
from xtl.report.items import read_predictions
from xtl.report.questions.data import has_tasks
from xtl.report.questions.rules import (
    INCONCLUSIVE,
    MODEL,
    NO_DIFFERENCE,
    TRAINING_LANGUAGE,
    Analysis,
    classify,
    decision_note,
    not_run,
    seeds_note,
)
from xtl.report.stats import Effect, Verdict, contrast

Q3_INTERMEDIATE = ("squad",)
Q3_EXAMPLES = 2700
Q3_WINDOWS = (128, 256, 384)  # intermediate-task windows: short, the evaluation window, long
Q3_TARGET = "mlqa"            # the target every window runs (decides)
Q3_DESCRIBED = ("xquad", "mlqa", "tydiqa")  # at the 256-token window: squad against no intermediate training
BASELINE_WINDOW = 0           # the `window` of a run without phase 2
ITEM_COLUMNS = ["target", "language", "id", "tokens", "long", "f1", "exact_match", "run_path", "seed", "model",
                "window", "eval_window"]


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


def q3_runs(frame: pd.DataFrame, model: str = MODEL) -> pd.DataFrame:
    """The rows of every Q3 run: QA targets after SQuAD at one of the windows (2,700 questions), or after none."""
    qa = frame[(frame["target"].isin(Q3_DESCRIBED)) & (frame["model"] == model)
               & (frame["language"] != TRAINING_LANGUAGE)]
    squad = has_tasks(qa, Q3_INTERMEDIATE) & qa["inter_max_length"].isin(Q3_WINDOWS) & (qa["inter_examples"] == Q3_EXAMPLES)
    return qa[squad | has_tasks(qa, ())]


def q3_items(frame: pd.DataFrame, token_count: Callable[[str, str], int], model: str = MODEL) -> pd.DataFrame:
    """Item tables of every Q3 run, rows re-loaded from the kit (each sample and its token counts once)."""
    rows, tokens, tables = {}, {}, []
    for run_path, run in q3_runs(frame, model).groupby("run_path"):
        first = run.iloc[0]
        target, seed = str(first["target"]), int(first["seed"])
        limit = None if pd.isna(first["eval_limit"]) else int(first["eval_limit"])
        window = BASELINE_WINDOW if pd.isna(first["inter_max_length"]) else int(first["inter_max_length"])
        for lang in sorted(run["language"].unique()):
            split = run[run["language"] == lang]["split"].iloc[0] or "test"
            key = (target, lang, split, limit, seed)
            if key not in rows:
                rows[key] = list(data.load(target, lang, split, limit=limit, seed=seed))

            def counted(question: str, context: str, _target: str = target, _lang: str = lang) -> int:
                where = (_target, _lang, question, context)
                if where not in tokens:
                    tokens[where] = int(token_count(question, context))
                return tokens[where]

            norm_lang = metrics.qa_normalisation_language(tasks.get(target).metric, lang)
            table = qa_item_table(read_predictions(run_path, lang) or [], rows[key], lang, counted,
                                  int(first["eval_max_length"]), norm_lang)
            tables.append(table.assign(target=target, run_path=run_path, seed=seed, model=first["model"],
                                       window=window, eval_window=int(first["eval_max_length"])))
    return pd.concat(tables, ignore_index=True)[ITEM_COLUMNS] if tables else pd.DataFrame(columns=ITEM_COLUMNS)


def subset_scores(items: pd.DataFrame, target: str, window: int, long: bool) -> dict[int, float]:
    """Per seed: mean over languages of the mean F1 of the long (or short) items of one target and window."""
    part = items[(items["target"] == target) & (items["window"] == window) & (items["long"] == long)]
    per_lang = part.groupby(["seed", "language"])["f1"].mean()
    return {int(seed): float(v.mean()) for seed, v in per_lang.groupby(level="seed")}


def window_effects(items: pd.DataFrame, treatment: int, control: int, target: str = Q3_TARGET) -> dict[str, Effect]:
    """F1 after `treatment` minus after `control` (windows, BASELINE_WINDOW = none) on long and short items, and
    their difference (long - short), paired by seed."""
    long = contrast(subset_scores(items, target, treatment, True), subset_scores(items, target, control, True))
    short = contrast(subset_scores(items, target, treatment, False), subset_scores(items, target, control, False))
    return {"long": long, "short": short, "long − short": contrast(long.per_seed, short.per_seed)}


def q3(items: pd.DataFrame) -> Analysis:
    """Longest minus shortest window on MLQA's long items (decides), the short items and the middle window beside it."""
    short_w, middle_w, long_w = Q3_WINDOWS
    main = window_effects(items, long_w, short_w)
    steps = {f"{b} − {a}": window_effects(items, b, a) for a, b in ((short_w, middle_w), (middle_w, long_w))}
    described = {t: window_effects(items, middle_w, BASELINE_WINDOW, t) for t in Q3_DESCRIBED}
    counts = item_counts(items)
    eval_window = int(items["eval_window"].iloc[0]) if not items.empty else None
    verdict = q3_verdict(main, eval_window, counts)
    per_lang = (items.groupby(["target", "window", "long", "language", "seed"])["f1"].mean().reset_index()
                if not items.empty else pd.DataFrame(columns=["target", "window", "long", "language", "seed", "f1"]))
    plot = per_lang.groupby(["target", "window", "long", "seed"])["f1"].mean().reset_index()
    table = pd.DataFrame([{"comparison": f"{Q3_TARGET}: {long_w} − {short_w} (decides)",
                           **{k: e.text() for k, e in main.items()}, "seeds": main["long"].n_seeds}]
                         + [{"comparison": f"{Q3_TARGET}: {name}", **{k: e.text() for k, e in eff.items()},
                             "seeds": eff["long"].n_seeds} for name, eff in steps.items()]
                         + [{"comparison": f"{t}: squad at {middle_w} − no phase 2", **{k: e.text() for k, e in eff.items()},
                             "seeds": eff["long"].n_seeds} for t, eff in described.items()],
                         columns=["comparison", "long", "short", "long − short", "seeds"])
    mlqa = counts.loc[Q3_TARGET] if Q3_TARGET in counts.index.get_level_values(0) else pd.DataFrame()
    values = {"effect": main["long"].text(), "effect_short": main["short"].text(),
              "interaction": main["long − short"].text(), "seeds": main["long"].n_seeds,
              "threshold": eval_window or "-", "model": items["model"].iloc[0] if not items.empty else "-",
              "long_items": int(mlqa["long_items"].sum()) if not mlqa.empty else 0,
              "items": int(mlqa["items"].sum()) if not mlqa.empty else 0,
              "languages": ", ".join(mlqa.index) if not mlqa.empty else "-"}
    for name, eff in steps.items():
        values["effect_" + name.replace(" − ", "_minus_")] = eff["long"].text()
    for t, eff in described.items():
        values[f"described_{t}_long"] = eff["long"].text()
        values[f"described_{t}_short"] = eff["short"].text()
    return Analysis("q3", verdict, table, plot, values, list(mlqa.index) if not mlqa.empty else [])


def item_counts(items: pd.DataFrame) -> pd.DataFrame:
    """Per (target, language), from one run each: items, long items, median tokens, long share (%)."""
    if items.empty:
        return pd.DataFrame(columns=["items", "long_items", "median_tokens", "long share (%)"])
    first_runs = items.groupby("target")["run_path"].first()
    one = items[items["run_path"].isin(first_runs)]
    counts = one.groupby(["target", "language"]).agg(items=("id", "size"), long_items=("long", "sum"),
                                                     median_tokens=("tokens", "median"))
    counts["long share (%)"] = (100 * counts["long_items"] / counts["items"]).round(0)
    return counts


def q3_verdict(main: Mapping[str, Effect], eval_window: int | None, counts: pd.DataFrame | None = None) -> Verdict:
    """By the interval of (longest - shortest window) F1 on MLQA's long items."""
    short_w, _, long_w = Q3_WINDOWS
    effect = main["long"]
    evidence = {"seeds": effect.n_seeds, **{k: e.as_dict() for k, e in main.items()}, "eval_window": eval_window,
                "long_items": {} if counts is None or counts.empty
                else {f"{t}:{lang}": int(n) for (t, lang), n in counts["long_items"].items()}}
    if effect.n_seeds == 0:
        return not_run(f"SQuAD intermediate training at {short_w} and {long_w} tokens with an MLQA target",
                       f"squad at {', '.join(map(str, Q3_WINDOWS))} tokens, MLQA evaluated at the fixed 256-token window, "
                       "three seeds")
    head = (f"On MLQA items whose question + context exceed the {eval_window}-token evaluation window, F1 after "
            f"{long_w}-token minus after {short_w}-token SQuAD intermediate training is {effect.text()} points "
            f"({seeds_note(effect)}); on the other items {main['short'].text()}; difference between the two "
            f"{main['long − short'].text()}.")
    label = classify(effect, "yes: the longer window helps on long documents",
                     "yes: the shorter window helps on long documents")
    if label == INCONCLUSIVE:
        return Verdict(INCONCLUSIVE, f"{head} The interval on the long items includes zero and reaches beyond ±1. "
                                     f"{decision_note(effect)}", evidence)
    if label == NO_DIFFERENCE:
        return Verdict("no: " + NO_DIFFERENCE, head, evidence)
    return Verdict(label, head, evidence)
