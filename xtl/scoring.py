"""Glue between a task and its official metric: score predictions, average languages, save them.

The named language averages live here, and only here (every page, table and verdict uses them):

- `xtreme_avg`: mean over the task's XTREME languages among those evaluated (`Task.xtreme_languages`;
  every evaluated language when the task names none). What `metrics.json`'s `average` holds and
  what the run index (`book/runs/<profile>/index.md`) shows.
- `zero_shot_avg`: mean over every evaluated language except English, the training language.
  What the follow-up questions (Q1-Q5) compare and the teaching page's "other languages".
- `all_langs_avg`: mean over every evaluated language, English included. What the claims' verdicts
  (C1-C6) and the run notebooks' comparison tables use.

Each is the unweighted mean of the task's headline metric (`main_metric`) in percent: accuracy,
or F1 for tagging, BUCC and QA. **QA counts F1 only** in all three (not XTREME's mean of EM and F1;
`xtl.report.score.XTREME_SCORE` counts that, where the claims are decided).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from xtl import compressed, leaderboard, metrics, tasks
from xtl.errors import XtlError
from xtl.tasks import Task

QA_FORMAT = "extractive_qa"
TRAINING_LANGUAGE = "en"

XTREME_AVG = "xtreme_avg"
ZERO_SHOT_AVG = "zero_shot_avg"
ALL_LANGS_AVG = "all_langs_avg"
AVERAGES = {
    XTREME_AVG: "mean over the task's XTREME languages that were evaluated (all evaluated ones if it names none)",
    ZERO_SHOT_AVG: "mean over the evaluated languages except English (the training language)",
    ALL_LANGS_AVG: "mean over every evaluated language, English included",
}
"""The one meaning of each named average: headline metric in percent, QA as F1 only (see the module doc)."""
QA_SCORE = "f1"


def main_metric(task: Task) -> str:
    """The headline number of a task (what early stopping maximises and pages quote)."""
    if task.format in ("token_tagging", QA_FORMAT) or task.metric == "bucc_f1":
        return "f1"
    return "accuracy"


def score(task: Task, lang: str, rows: list[dict[str, Any]], predictions: list[Any]) -> dict[str, float]:
    """Metrics in percent for one language's predictions, with the task's official scorer."""
    if task.format in ("sentence_classification", "pair_classification", "multiple_choice"):
        return {"accuracy": metrics.accuracy(predictions, [int(r["label"]) for r in rows])}
    if task.format == "token_tagging":
        names = list(task.label_names)
        gold = [[names[t] for t in r["tags"]] for r in rows]
        if task.metric == "pos":
            return metrics.pos_scores(gold, predictions)
        return metrics.tagging_f1(gold, predictions)
    if task.format == QA_FORMAT:
        references = {r["id"]: list(r["answers"]["text"]) for r in rows}
        answers = {r["id"]: p for r, p in zip(rows, predictions)}
        return metrics.squad_scores(answers, references, lang=metrics.qa_normalisation_language(task.metric, lang))
    raise ValueError(f"no scorer for format {task.format!r}")


def averaged_languages(name: str, task: str, languages: Iterable[str]) -> list[str]:
    """The languages of `languages` that the named average `name` of `task` counts, in the given order."""
    languages = list(languages)
    if name == ALL_LANGS_AVG:
        return languages
    if name == ZERO_SHOT_AVG:
        return [lang for lang in languages if lang != TRAINING_LANGUAGE]
    if name == XTREME_AVG:
        try:
            xtreme = set(tasks.get(task).xtreme_languages)
        except XtlError:  # a task the registry does not know (hand-made results): no XTREME list
            xtreme = set()
        return [lang for lang in languages if lang in xtreme] or languages
    raise XtlError(f"unknown average '{name}'; use one of {', '.join(AVERAGES)}")


def language_average(name: str, task: str, values: Mapping[str, float]) -> float:
    """The named average (`xtreme_avg`, `zero_shot_avg`, `all_langs_avg`) of {language: headline score}.

    NaN when no language counts (e.g. `zero_shot_avg` of an English-only run).
    """
    chosen = averaged_languages(name, task, values)
    return sum(float(values[lang]) for lang in chosen) / len(chosen) if chosen else float("nan")


def headline_values(task: str, per_language: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """{language: headline metric} from a `metrics.json` `per_language` block (QA: F1)."""
    try:
        wanted = main_metric(tasks.get(task))
    except XtlError:
        wanted = None
    out = {}
    for lang, scores in per_language.items():
        metric = wanted if wanted in scores else next((m for m in ("f1", "accuracy") if m in scores), None)
        if metric is not None:
            out[lang] = float(scores[metric])
    return out


def named_averages(task: str, values: Mapping[str, float]) -> dict[str, float]:
    """All three named averages of {language: headline score}, in the order of `AVERAGES`."""
    return {name: language_average(name, task, values) for name in AVERAGES}


def average(per_language: dict[str, dict[str, float]]) -> dict[str, float]:
    """Unweighted mean over the given languages of every metric that all of them report.

    `metrics.json`'s `average` is this over `averaged_languages(XTREME_AVG, ...)`: its headline
    metric is the run's `xtreme_avg`.
    """
    if not per_language:
        return {}
    shared = set.intersection(*(set(m) for m in per_language.values()))
    return {k: sum(m[k] for m in per_language.values()) / len(per_language) for k in sorted(shared)}


def write_predictions(folder: Path, task: Task, lang: str, rows: list[dict[str, Any]], predictions: list[Any]) -> None:
    """One JSON line per evaluated row (gold beside prediction), plus the XTREME leaderboard file; both gzipped."""
    folder = Path(folder)
    compressed.write_text(folder / f"{lang}.jsonl.gz", "".join(
        json.dumps({"gold": _gold(task, row), "prediction": prediction}, ensure_ascii=False) + "\n"
        for row, prediction in zip(rows, predictions)))
    if task.leaderboard is not None:  # XTREME has a submission file for this task
        leaderboard.write_predictions(task, lang, _leaderboard_view(task, rows, predictions), folder / "xtreme",
                                      compress=True)


def write_retrieval_predictions(folder: Path, task: Task, lang: str, lines: list[dict[str, Any]],
                                submission: list[Any]) -> None:
    """A retrieval run's predictions, gzipped: one JSON line per record, plus the XTREME leaderboard file.

    Tatoeba: per query row, `{"gold": i, "prediction": j}` (the row index retrieved). BUCC: per mined
    candidate pair, its margin score, half and whether it clears the threshold (`retrieval.bucc_prediction_lines`);
    the leaderboard file lists the pairs that clear it.
    """
    folder = Path(folder)
    compressed.write_text(folder / f"{lang}.jsonl.gz",
                          "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    leaderboard.write_predictions(task, lang, submission, folder / "xtreme", compress=True)


def _gold(task: Task, row: dict[str, Any]) -> Any:
    if task.format == "token_tagging":
        return [task.label_names[t] for t in row["tags"]]
    if task.format == QA_FORMAT:
        return {"id": row["id"], "answers": row["answers"]["text"]}
    return row.get("label")


def _leaderboard_view(task: Task, rows: list[dict[str, Any]], predictions: list[Any]) -> Any:
    if task.format == QA_FORMAT:
        return {r["id"]: p for r, p in zip(rows, predictions)}
    if task.format in ("sentence_classification", "pair_classification") and task.label_names:
        return [task.label_names[p] for p in predictions]
    return predictions
