"""Pure metric functions (numpy and python only, no model): every score is returned in percent.

Each function reproduces the number google-research/xtreme's scoring scripts give on the same
predictions (`evaluate.py`, `third_party/evaluate_squad.py`, `third_party/evaluate_mlqa.py`); where
XTREME's behaviour is surprising the docstring says so. BUCC and Tatoeba scoring is `xtl.mining`.
"""

from __future__ import annotations

import re
import string
import unicodedata
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache

from seqeval.metrics.sequence_labeling import precision_recall_fscore_support

from xtl.errors import XtlError

# --------------------------------------------------------------------------- classification


def accuracy(predictions: Sequence, references: Sequence) -> float:
    """Share of predictions equal to their reference, in percent (XNLI, PAWS-X, XCOPA, ...)."""
    _check_same_length(predictions, references, "predictions", "references")
    if len(references) == 0:
        raise XtlError("accuracy of an empty set is undefined; pass at least one reference")
    correct = sum(int(p == r) for p, r in zip(predictions, references))
    return 100.0 * correct / len(references)


# --------------------------------------------------------------------------- tagging


def tagging_f1(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict[str, float]:
    """Entity-level micro precision/recall/F1 exactly as seqeval's default (conlleval-like) mode.

    This is what XTREME's `evaluate.py` reports for PAN-X: sentences are flattened with an 'O'
    between them, an entity is a maximal (type, start, end) chunk, an I- tag after O or after
    another type starts a new chunk, and a chunk counts only if its type and both ends match.
    seqeval 0.0.12 (XTREME and jiant in 2020) and >= 1.0 give identical numbers on B-/I- tags.
    """
    _check_tag_sequences(gold, pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval warns on non-IOB tags and on 0/0
        precision, recall, f1, _ = precision_recall_fscore_support(
            [list(s) for s in gold], [list(s) for s in pred], average="micro", zero_division=0
        )
    return {"precision": 100.0 * precision, "recall": 100.0 * recall, "f1": 100.0 * f1}


def token_accuracy(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    """Share of tokens whose tag is right, in percent (the usual POS number, not XTREME's)."""
    _check_tag_sequences(gold, pred)
    pairs = [(g, p) for gs, ps in zip(gold, pred) for g, p in zip(gs, ps)]
    if not pairs:
        raise XtlError("token accuracy of zero tokens is undefined; pass at least one token")
    return 100.0 * sum(g == p for g, p in pairs) / len(pairs)


def _legacy_seqeval_tag(tag: str) -> str:
    """Rewrite a tag so that seqeval >= 1.0 chunks it as seqeval 0.0.12 did (type = last '-' part)."""
    if tag == "O":
        return tag
    return f"{tag[0]}-{tag.split('-')[-1]}"


def pos_scores(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], legacy_seqeval: bool = True
) -> dict[str, float]:
    """UD-POS scored as XTREME scores it: seqeval chunk F1 on the bare UPOS tags, plus accuracy.

    XTREME's `evaluate.py` (and jiant's udpos scheme) pass the UPOS tags unchanged to seqeval's
    `f1_score`, so POS "F1" is NOT token accuracy: seqeval reads the first letter of a tag as a
    chunk prefix, so a run of identical tags (NOUN NOUN) is one chunk that must be matched whole,
    SCONJ and SYM (prefix 'S') are always single-token chunks, and precision != recall in
    general. With `legacy_seqeval=True` (default) types are the whole tag, as in seqeval 0.0.12
    which XTREME and jiant used in 2020 (jiant pins it); with False we call the installed seqeval
    as-is (>= 1.0 takes the type as tag[1:], which merges CCONJ and SCONJ into one type 'CONJ').
    `accuracy` is token accuracy, reported alongside for readers who expect it.
    """
    _check_tag_sequences(gold, pred)
    if legacy_seqeval:
        scores = tagging_f1(
            [[_legacy_seqeval_tag(t) for t in s] for s in gold], [[_legacy_seqeval_tag(t) for t in s] for s in pred]
        )
    else:
        scores = tagging_f1(gold, pred)
    scores["accuracy"] = token_accuracy(gold, pred)
    return scores


def _check_tag_sequences(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> None:
    """Fail with a one-line message unless gold and pred align sentence by sentence."""
    _check_same_length(gold, pred, "gold sentences", "predicted sentences")
    for i, (g, p) in enumerate(zip(gold, pred)):
        if len(g) != len(p):
            raise XtlError(
                f"sentence {i} has {len(g)} gold tags but {len(p)} predicted tags; predict one tag per gold token"
            )


def _check_same_length(a: Sequence, b: Sequence, name_a: str, name_b: str) -> None:
    if len(a) != len(b):
        raise XtlError(f"{len(a)} {name_a} but {len(b)} {name_b}; pass one for each")


# --------------------------------------------------------------------------- extractive QA

MLQA_LANGUAGES = ("ar", "de", "en", "es", "hi", "vi", "zh")
"""Languages MLQA's official script knows; any other raises (as the official script does)."""

_MLQA_ARTICLES = {
    "en": r"\b(a|an|the)\b",
    "es": r"\b(un|una|unos|unas|el|la|los|las)\b",
    "vi": r"\b(của|là|cái|chiếc|những)\b",
    "de": r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b",
    # MLQA writes '\sال^|ال'; the first branch can never match, so every 'ال' (even inside a word)
    # becomes a space.
    "ar": r"ال",
}
_MIXED_SEGMENTATION_LANGUAGES = ("zh",)
_CJK = re.compile(r"[\u4e00-\u9fa5]")
_ASCII_PUNCTUATION = frozenset(string.punctuation)


@lru_cache(maxsize=65536)
def _is_unicode_punctuation(ch: str) -> bool:
    """MLQA's punctuation: any Unicode category P* character plus ASCII string.punctuation."""
    return ch in _ASCII_PUNCTUATION or unicodedata.category(ch).startswith("P")


def _mixed_segmentation(text: str) -> list[str]:
    """MLQA's zh tokens: each CJK character (or punctuation mark) alone, other runs split on spaces."""
    tokens: list[str] = []
    run = ""
    for ch in text:
        if _CJK.match(ch) or _is_unicode_punctuation(ch):
            tokens.extend(run.split())
            run = ""
            tokens.append(ch)
        else:
            run += ch
    tokens.extend(run.split())
    return tokens


def normalize_answer(text: str, lang: str | None = None) -> str:
    """Answer normalisation before EM/F1: SQuAD v1.1's if `lang` is None, else MLQA's for `lang`.

    SQuAD v1.1: lower case, drop ASCII punctuation, drop English articles a/an/the, collapse
    whitespace. MLQA: lower case, drop all Unicode punctuation, drop the language's articles
    (none for hi and zh), then split on whitespace, or for zh into single CJK characters.
    """
    text = text.lower()
    if lang is None:
        text = "".join(ch for ch in text if ch not in _ASCII_PUNCTUATION)
        text = re.sub(r"\b(a|an|the)\b", " ", text)
        return " ".join(text.split())
    if lang not in MLQA_LANGUAGES:
        raise XtlError(
            f"no MLQA answer normalisation for language '{lang}'; known: "
            f"{', '.join(MLQA_LANGUAGES)} (use lang=None for SQuAD v1.1 normalisation)"
        )
    text = "".join(ch for ch in text if not _is_unicode_punctuation(ch))
    if lang in _MLQA_ARTICLES:
        text = re.sub(_MLQA_ARTICLES[lang], " ", text)
    tokens = _mixed_segmentation(text) if lang in _MIXED_SEGMENTATION_LANGUAGES else text.split()
    return " ".join(t for t in tokens if t.strip())


def qa_f1(prediction: str, gold: str, lang: str | None = None) -> float:
    """Bag-of-tokens F1 (0-1) between one prediction and one gold answer after normalisation."""
    pred_tokens = normalize_answer(prediction, lang).split()
    gold_tokens = normalize_answer(gold, lang).split()
    same = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if same == 0:  # also when both are empty: the official scripts give 0 here
        return 0.0
    precision = same / len(pred_tokens)
    recall = same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def qa_exact_match(prediction: str, gold: str, lang: str | None = None) -> float:
    """1.0 if prediction and gold are equal after normalisation, else 0.0."""
    return float(normalize_answer(prediction, lang) == normalize_answer(gold, lang))


QaReferences = Mapping[str, "Sequence[str] | Mapping[str, Sequence]"]


def squad_scores(predictions: Mapping[str, str], references: QaReferences, lang: str | None = None) -> dict[str, float]:
    """SQuAD-style F1 and exact match in percent: max over gold answers, mean over questions.

    `references` maps question id -> gold answer texts (or the canonical `answers` dict); a
    question without a prediction scores 0 (as in the official scripts), predictions for unknown
    ids are ignored. `lang=None` is the SQuAD v1.1 script, which XTREME uses for XQuAD and
    TyDiQA-GoldP in every language; a language code gives MLQA's script (XTREME uses it for
    MLQA), see `qa_normalisation_language`.
    """
    if not references:
        raise XtlError("no reference questions to score; pass at least one question id")
    gold_by_id = {}
    for qid, golds in references.items():
        if isinstance(golds, str) or not _answer_texts(golds):
            raise XtlError(f"question {qid!r}: references must map ids to a non-empty list of answers")
        gold_by_id[qid] = _answer_texts(golds)
    if not any(text for golds in gold_by_id.values() for text in golds):
        raise XtlError("every gold answer is empty (labels stripped from this split?); score a split with answers")
    f1_total = em_total = 0.0
    for qid, golds in gold_by_id.items():
        if qid in predictions:
            f1_total += max(qa_f1(predictions[qid], g, lang) for g in golds)
            em_total += max(qa_exact_match(predictions[qid], g, lang) for g in golds)
    n = len(gold_by_id)
    return {"f1": 100.0 * f1_total / n, "exact_match": 100.0 * em_total / n}


def _answer_texts(golds: object) -> list[str]:
    """Gold answer texts from a list of strings or the canonical `answers` dict."""
    if isinstance(golds, Mapping):
        golds = golds["text"]
    return [golds] if isinstance(golds, str) else list(golds)  # type: ignore[call-overload]


def qa_normalisation_language(metric: str, lang: str) -> str | None:
    """The `lang` argument XTREME's QA scorer uses under a task's `metric`: MLQA's per-language rules under
    'mlqa', SQuAD v1.1's (None) under 'squad'."""
    return lang if metric == "mlqa" else None
