"""Per-item re-scoring of saved predictions, so that a resample of items is re-scored in one vectorised step.

A run's `predictions/<lang>.jsonl.gz` (`.jsonl` in older runs) holds one line per evaluated item
({"gold", "prediction"}); the pieces here score each item as `xtl.scoring.score` scores the whole
file, which is what the paired bootstrap of the claims (`xtl.report.gains`) resamples.
"""

from __future__ import annotations

import json
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from seqeval.metrics.sequence_labeling import get_entities

from xtl import compressed, metrics, tasks
from xtl.errors import XtlError


@dataclass
class ItemScores:
    """Per-item pieces of a metric.

    `values` (n,): mean-decomposable scores in [0, 1] (accuracy, QA F1);
    `counts` (n, 3): per-sentence (correct chunks, predicted chunks, gold chunks) for seqeval F1.
    """

    values: np.ndarray | None = None
    counts: np.ndarray | None = None
    gold_key: int = 0   # a hash of the gold column: equal keys mean the same evaluated items

    @property
    def n(self) -> int:
        return len(self.values) if self.values is not None else len(self.counts)

    def score(self, idx: np.ndarray | None = None) -> np.ndarray | float:
        """The metric in percent on items `idx` (shape (B, n): one row per resample), or on all items."""
        if self.values is not None:
            data = self.values if idx is None else self.values[idx]
            return 100.0 * data.mean(axis=-1)
        data = self.counts if idx is None else self.counts[idx]
        correct, predicted, gold = (data[..., k].sum(axis=-1) for k in range(3))
        denominator = predicted + gold
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.where(denominator > 0, 2.0 * correct / np.maximum(denominator, 1), 0.0)
        return 100.0 * f1


def item_scores(task_name: str, lang: str, lines: list[dict[str, Any]], qa: str = "f1") -> ItemScores | None:
    """Per-item scores of one predictions file, scored as `xtl.scoring.score` scores the whole file.

    QA items count F1, or (EM + F1) / 2 with `qa="em_f1"` (XTREME's QA score). Retrieval files are not
    per-item decomposable (BUCC's F1 is over mined pairs): None.
    """
    try:
        task = tasks.get(task_name)
        fmt, metric = task.format, task.metric
    except XtlError:  # a hand-made task name (tests): the gold column says the format
        fmt, metric = _guess_format(lines), None
    if fmt == "retrieval":
        return None  # see per_item
    gold_key = zlib.crc32(json.dumps([line["gold"] for line in lines], sort_keys=True, default=str).encode())
    if fmt == "extractive_qa":
        norm_lang = metrics.qa_normalisation_language(metric, lang)
        values = []
        for line in lines:
            answers = line["gold"]["answers"] if isinstance(line["gold"], dict) else line["gold"]
            answers = answers["text"] if isinstance(answers, dict) else answers
            value = max(metrics.qa_f1(str(line["prediction"]), a, norm_lang) for a in answers)
            if qa == "em_f1":
                value = (value + max(metrics.qa_exact_match(str(line["prediction"]), a, norm_lang) for a in answers)) / 2
            values.append(value)
        return ItemScores(values=np.asarray(values, dtype=float), gold_key=gold_key)
    if fmt == "token_tagging":
        legacy = metric == "pos"
        counts = []
        for line in lines:
            gold, pred = list(line["gold"]), list(line["prediction"])
            if legacy:
                gold = [metrics._legacy_seqeval_tag(t) for t in gold]
                pred = [metrics._legacy_seqeval_tag(t) for t in pred]
            gold_chunks, pred_chunks = set(_entities(gold)), set(_entities(pred))
            counts.append((len(gold_chunks & pred_chunks), len(pred_chunks), len(gold_chunks)))
        return ItemScores(counts=np.asarray(counts, dtype=float).reshape(-1, 3), gold_key=gold_key)
    values = [float(line["prediction"] == line["gold"]) for line in lines]
    return ItemScores(values=np.asarray(values, dtype=float), gold_key=gold_key)


def per_item(task_name: str) -> bool:
    """Whether a task's predictions files can be re-scored item by item (retrieval files cannot: BUCC's F1 is
    over mined pairs, and Tatoeba's rows are scored by the retrieval code)."""
    try:
        return tasks.get(task_name).format != "retrieval"
    except XtlError:
        return True


def _entities(tags: list[str]) -> list[tuple]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return get_entities(tags)


def _guess_format(lines: list[dict[str, Any]]) -> str:
    gold = lines[0]["gold"] if lines else None
    if isinstance(gold, dict):
        return "extractive_qa"
    if isinstance(gold, list):
        return "token_tagging"
    return "classification"


def read_predictions(run_path: str | Path, lang: str) -> list[dict[str, Any]] | None:
    """The lines of a run's predictions/<lang>.jsonl(.gz), or None when the run saved none for `lang`."""
    path = prediction_file(run_path, lang)
    if path is None:
        return None
    return [json.loads(line) for line in compressed.read_text(path).splitlines() if line.strip()]


def prediction_file(run_path: str | Path, lang: str) -> Path | None:
    """Where a run keeps its predictions for `lang` (gzipped, or plain in older runs); None when it has none."""
    return compressed.find(Path(run_path) / "predictions" / f"{lang}.jsonl")
