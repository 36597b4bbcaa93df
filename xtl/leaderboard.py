"""Predictions written in the XTREME leaderboard submission layout.

XTREME's README ("Submissions") and `mock_test_data/predictions/`: one folder per task holding
`test-<lang>.<ext>` per language (2-letter codes), `.json` ({question id: answer text}) for the
QA tasks and `.tsv` otherwise: one label per line (XNLI as label names, PAWS-X as 0/1), one tag
per line with a blank line after each sentence (UD-POS, PAN-X), `src_id<TAB>en_id` per mined
pair (BUCC) and, per English query sentence, the row index of the retrieved sentence (Tatoeba).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from numbers import Integral
from pathlib import Path
from typing import Any

from xtl.errors import XtlError

LEADERBOARD_EXTENSIONS = {
    "xnli": "tsv",
    "pawsx": "tsv",
    "udpos": "tsv",
    "panx": "tsv",
    "bucc2018": "tsv",
    "tatoeba": "tsv",
    "xquad": "json",
    "mlqa": "json",
    "tydiqa": "json",
}
"""The nine XTREME tasks and the extension of their prediction files."""

XNLI_LABEL_NAMES = ("entailment", "neutral", "contradiction")
"""XNLI label ids (hub order) -> the names XTREME's label files hold."""

TATOEBA_TWO_LETTER = {
    "afr": "af", "ara": "ar", "ben": "bn", "bul": "bg", "cmn": "zh", "deu": "de", "ell": "el",
    "est": "et", "eus": "eu", "fin": "fi", "fra": "fr", "heb": "he", "hin": "hi", "hun": "hu",
    "ind": "id", "ita": "it", "jav": "jv", "jpn": "ja", "kat": "ka", "kaz": "kk", "kor": "ko",
    "mal": "ml", "mar": "mr", "nld": "nl", "pes": "fa", "por": "pt", "rus": "ru", "spa": "es",
    "swh": "sw", "tam": "ta", "tel": "te", "tgl": "tl", "tha": "th", "tur": "tr", "urd": "ur",
    "vie": "vi",
}  # fmt: skip
"""The kit's 3-letter Tatoeba codes -> XTREME's 2-letter file names."""


def prediction_path(task: str, lang: str, out_dir: str | Path, split: str = "test") -> Path:
    """Where `write_predictions` puts one task-language file: out_dir/<task>/<split>-<lang>.<ext>."""
    if task not in LEADERBOARD_EXTENSIONS:
        raise XtlError(f"task '{task}' has no XTREME leaderboard format; known: {', '.join(LEADERBOARD_EXTENSIONS)}")
    if task == "tatoeba":
        lang = TATOEBA_TWO_LETTER.get(lang, lang)
    return Path(out_dir) / task / f"{split}-{lang}.{LEADERBOARD_EXTENSIONS[task]}"


def _lines(task: str, predictions: Any) -> list[str]:
    """The tsv lines of one task's predictions."""
    if task in ("udpos", "panx"):
        lines = []
        for sentence in predictions:
            lines.extend(str(tag) for tag in sentence)
            lines.append("")
        return lines
    if task == "bucc2018":
        return [f"{src}\t{trg}" for src, trg in predictions]
    if task == "xnli":
        return [XNLI_LABEL_NAMES[int(p)] if isinstance(p, Integral) else str(p) for p in predictions]
    return [str(int(p)) if task in ("pawsx", "tatoeba") else str(p) for p in predictions]


def write_predictions(
    task: str,
    lang: str,
    predictions: Mapping[str, str] | Sequence[Any],
    out_dir: str | Path,
    split: str = "test",
) -> Path:
    """Write one language's predictions of an XTREME task in the leaderboard format; return the path.

    `predictions`: QA {question id: answer}; tagging a list of tag lists; bucc2018 a list of
    (source id, English id) pairs; tatoeba retrieved row indices; xnli/pawsx label ids (XNLI ids
    are written as names) or names.
    """
    path = prediction_path(task, lang, out_dir, split)
    path.parent.mkdir(parents=True, exist_ok=True)
    if LEADERBOARD_EXTENSIONS[task] == "json":
        if not isinstance(predictions, Mapping):
            raise XtlError(f"{task} predictions must map question ids to answer texts")
        path.write_text(json.dumps(dict(predictions), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    else:
        lines = _lines(task, predictions)
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path
