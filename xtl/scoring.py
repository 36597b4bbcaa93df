"""Glue between a task and its official metric: score predictions, average languages, save them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from xtl import leaderboard, metrics
from xtl.tasks import Task

QA_FORMAT = "extractive_qa"


def main_metric(task: Task) -> str:
    """The headline number of a task (what early stopping maximises and pages quote)."""
    if task.format in ("token_tagging", QA_FORMAT):
        return "f1"
    if task.name == "bucc2018":
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
        return metrics.squad_scores(answers, references, lang=metrics.qa_normalisation_language(task.name, lang))
    raise ValueError(f"no scorer for format {task.format!r}")


def average(per_language: dict[str, dict[str, float]]) -> dict[str, float]:
    """Unweighted mean over languages of every metric that all languages report."""
    if not per_language:
        return {}
    shared = set.intersection(*(set(m) for m in per_language.values()))
    return {k: sum(m[k] for m in per_language.values()) / len(per_language) for k in sorted(shared)}


def write_predictions(folder: Path, task: Task, lang: str, rows: list[dict[str, Any]], predictions: list[Any]) -> None:
    """One JSON line per evaluated row (gold beside prediction), plus the XTREME leaderboard file."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{lang}.jsonl", "w") as handle:
        handle.writelines(json.dumps({"gold": _gold(task, row), "prediction": prediction}, ensure_ascii=False) + "\n"
                          for row, prediction in zip(rows, predictions))
    if task.name in leaderboard.LEADERBOARD_EXTENSIONS:  # XTREME has a submission file for this task
        leaderboard.write_predictions(task.name, lang, _leaderboard_view(task, rows, predictions), folder / "xtreme")


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
