"""Predictions written in the XTREME leaderboard submission layout.

XTREME's README ("Submissions") and `mock_test_data/predictions/`: one folder per task holding
`test-<lang>.<ext>` per language (2-letter codes), `.json` ({question id: answer text}) for the
QA tasks and `.tsv` otherwise: one label per line (XNLI as label names, PAWS-X as 0/1), one tag
per line with a blank line after each sentence (UD-POS, PAN-X), `src_id<TAB>en_id` per mined
pair (BUCC) and, per English query sentence, the row index of the retrieved sentence (Tatoeba).
Which layout a task uses is its registry entry's `leaderboard` field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from numbers import Integral
from pathlib import Path
from typing import Any

from xtl import compressed, tasks
from xtl.errors import XtlError
from xtl.tasks import Task

LAYOUTS = {
    "label_names": "tsv",   # one label per line, ids written as the task's label names (XNLI)
    "integers": "tsv",      # one integer per line: a label id (PAWS-X) or a retrieved row index (Tatoeba)
    "tags": "tsv",          # one tag per line, a blank line after each sentence (UD-POS, PAN-X)
    "pairs": "tsv",         # src_id<TAB>en_id per mined pair (BUCC)
    "answers": "json",      # {question id: answer text} (XQuAD, MLQA, TyDiQA)
}
"""`Task.leaderboard` values and the extension of their prediction files."""

TWO_LETTER = {
    "afr": "af", "ara": "ar", "ben": "bn", "bul": "bg", "cmn": "zh", "deu": "de", "ell": "el",
    "est": "et", "eus": "eu", "fin": "fi", "fra": "fr", "heb": "he", "hin": "hi", "hun": "hu",
    "ind": "id", "ita": "it", "jav": "jv", "jpn": "ja", "kat": "ka", "kaz": "kk", "kor": "ko",
    "mal": "ml", "mar": "mr", "nld": "nl", "pes": "fa", "por": "pt", "rus": "ru", "spa": "es",
    "swh": "sw", "tam": "ta", "tel": "te", "tgl": "tl", "tha": "th", "tur": "tr", "urd": "ur",
    "vie": "vi",
}  # fmt: skip
"""The kit's 3-letter codes (Tatoeba's) -> XTREME's 2-letter file names."""


def _layout(task: Task) -> str:
    if task.leaderboard is None:
        known = [t.name for t in tasks.all_tasks() if t.leaderboard]
        raise XtlError(f"task '{task.name}' has no XTREME leaderboard format; known: {', '.join(known)}")
    if task.leaderboard not in LAYOUTS:
        raise XtlError(f"task '{task.name}' names an unknown leaderboard layout '{task.leaderboard}'; "
                       f"use one of {', '.join(LAYOUTS)}")
    return task.leaderboard


def prediction_path(task: str | Task, lang: str, out_dir: str | Path, split: str = "test") -> Path:
    """Where `write_predictions` puts one task-language file: out_dir/<task>/<split>-<lang>.<ext>."""
    spec = tasks.get(task)
    extension = LAYOUTS[_layout(spec)]
    return Path(out_dir) / spec.name / f"{split}-{TWO_LETTER.get(lang, lang)}.{extension}"


def _lines(task: Task, predictions: Any) -> list[str]:
    """The tsv lines of one task's predictions."""
    layout = _layout(task)
    if layout == "tags":
        lines = []
        for sentence in predictions:
            lines.extend(str(tag) for tag in sentence)
            lines.append("")
        return lines
    if layout == "pairs":
        return [f"{src}\t{trg}" for src, trg in predictions]
    if layout == "label_names":
        return [task.label_names[int(p)] if isinstance(p, Integral) else str(p) for p in predictions]
    return [str(int(p)) for p in predictions]  # integers


def write_predictions(
    task: str | Task,
    lang: str,
    predictions: Mapping[str, str] | Sequence[Any],
    out_dir: str | Path,
    split: str = "test",
    compress: bool = False,
) -> Path:
    """Write one language's predictions of an XTREME task in the leaderboard format; return the path.

    `predictions`: QA {question id: answer}; tagging a list of tag lists; bucc2018 a list of
    (source id, English id) pairs; tatoeba retrieved row indices; xnli/pawsx label ids (XNLI ids
    are written as names) or names. The layout is the task's `leaderboard` field. `compress` writes
    `<path>.gz` instead (a run folder keeps them so; gunzip them before submitting).
    """
    spec = tasks.get(task)
    path = prediction_path(spec, lang, out_dir, split)
    if LAYOUTS[_layout(spec)] == "json":
        if not isinstance(predictions, Mapping):
            raise XtlError(f"{spec.name} predictions must map question ids to answer texts")
        text = json.dumps(dict(predictions), ensure_ascii=False, indent=2) + "\n"
    else:
        text = "".join(line + "\n" for line in _lines(spec, predictions))
    if compress:
        return compressed.write_text(path.with_name(path.name + compressed.SUFFIX), text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
