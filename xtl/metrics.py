"""Pure metric functions (numpy and python only, no model): every score is returned in percent.

Each function reproduces the number google-research/xtreme's scoring scripts give on the same
predictions (`evaluate.py`, `third_party/evaluate_squad.py`, `third_party/evaluate_mlqa.py`,
`third_party/utils_retrieve.py`); where XTREME's behaviour is surprising the docstring says so.
"""

from __future__ import annotations

import re
import string
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
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


def mlqa_scores(predictions: Mapping[str, str], references: QaReferences, lang: str) -> dict[str, float]:
    """MLQA's official F1/EM for answers in `lang` (language-specific normalisation)."""
    return squad_scores(predictions, references, lang=lang)


def qa_normalisation_language(task: str, lang: str) -> str | None:
    """The `lang` argument XTREME's scorer uses: MLQA's per-language rules for mlqa, SQuAD's otherwise."""
    return lang if task == "mlqa" else None


# --------------------------------------------------------------------------- retrieval


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), so dot products are cosines."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def knn_cosine(
    queries: np.ndarray, database: np.ndarray, k: int, chunk_size: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    """The k most cosine-similar database rows of each query: (similarities, indices), best first.

    Exact search in query chunks (numpy stand-in for XTREME's faiss IndexFlatIP on unit vectors).
    """
    q, d = l2_normalize(queries), l2_normalize(database)
    k = min(k, d.shape[0])
    sims = np.empty((q.shape[0], k), dtype=np.float32)
    inds = np.empty((q.shape[0], k), dtype=np.int64)
    for start in range(0, q.shape[0], chunk_size):
        block = q[start : start + chunk_size] @ d.T
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-top_sims, axis=1, kind="stable")
        sims[start : start + len(block)] = np.take_along_axis(top_sims, order, axis=1)
        inds[start : start + len(block)] = np.take_along_axis(top, order, axis=1)
    return sims, inds


def ratio_margin_matrix(source: np.ndarray, target: np.ndarray, k: int = 4) -> np.ndarray:
    """Dense ratio-margin scores (Artetxe & Schwenk 2019) for small sets: cos / mean kNN cos.

    margin(x, y) = cos(x, y) / ((mean cos of x's k nearest targets + mean cos of y's k nearest
    sources) / 2), cosine, k nearest in both directions (XTREME: k=4).
    """
    fwd_mean = knn_cosine(source, target, k)[0].mean(axis=1)
    bwd_mean = knn_cosine(target, source, k)[0].mean(axis=1)
    cos = l2_normalize(source) @ l2_normalize(target).T
    return cos / ((fwd_mean[:, None] + bwd_mean[None, :]) / 2)


def mine_candidates(
    source: np.ndarray, target: np.ndarray, k: int = 4, threshold: float = 0.0
) -> list[tuple[int, int, float]]:
    """BUCC candidate pairs (source row, target row, margin score), best first, as XTREME mines.

    XTREME's `mine_bitext(mode='mine', retrieval='max', margin='ratio')`: each source's best
    target among its k nearest and each target's best source among its k nearest are pooled,
    sorted by ratio margin, and kept greedily so that every sentence is used at most once; pairs
    scoring <= `threshold` (0) are dropped. The F1 threshold is applied later to these scores.
    """
    source, target = l2_normalize(source), l2_normalize(target)
    fwd_sims, fwd_inds = knn_cosine(source, target, k)
    bwd_sims, bwd_inds = knn_cosine(target, source, k)
    fwd_mean, bwd_mean = fwd_sims.mean(axis=1), bwd_sims.mean(axis=1)
    fwd_scores = fwd_sims / ((fwd_mean[:, None] + bwd_mean[fwd_inds]) / 2)
    bwd_scores = bwd_sims / ((bwd_mean[:, None] + fwd_mean[bwd_inds]) / 2)
    fwd_best = fwd_inds[np.arange(len(source)), fwd_scores.argmax(axis=1)]
    bwd_best = bwd_inds[np.arange(len(target)), bwd_scores.argmax(axis=1)]
    src_rows = np.concatenate([np.arange(len(source)), bwd_best])
    trg_rows = np.concatenate([fwd_best, np.arange(len(target))])
    scores = np.concatenate([fwd_scores.max(axis=1), bwd_scores.max(axis=1)])
    used_src: set[int] = set()
    used_trg: set[int] = set()
    candidates = []
    for i in np.argsort(-scores, kind="stable"):
        s, t = int(src_rows[i]), int(trg_rows[i])
        if s in used_src or t in used_trg:
            continue
        used_src.add(s)
        used_trg.add(t)
        if scores[i] > threshold:
            candidates.append((s, t, float(scores[i])))
    return candidates


Pair = tuple[str, str]


def best_threshold(candidate_scores: Mapping[Pair, float], gold_pairs: Iterable[Pair]) -> float:
    """The score threshold that maximises BUCC F1 on these gold pairs (XTREME's `bucc_optimize`).

    Candidates are walked best first; where F1 of the top-i set improves, the threshold is set
    midway between the i-th and (i+1)-th score. XTREME crashes when the best cut is after the
    last candidate; we return that candidate's score then (everything extracted). With no
    correct candidate the threshold is 0, as in XTREME.
    """
    gold = set(gold_pairs)
    items = sorted(candidate_scores.items(), key=lambda item: -item[1])
    threshold, best_f1 = 0.0, 0.0
    n_correct = 0
    for i, (pair, score) in enumerate(items):
        n_correct += pair in gold
        if n_correct == 0:
            continue
        precision, recall = n_correct / (i + 1), n_correct / len(gold)
        f1 = 2 * precision * recall / (precision + recall)
        if f1 > best_f1:
            best_f1 = f1
            threshold = (score + items[i + 1][1]) / 2 if i + 1 < len(items) else score
    return threshold


def bucc_f1(candidate_scores: Mapping[Pair, float], gold_pairs: Iterable[Pair], threshold: float) -> dict[str, float]:
    """BUCC precision/recall/F1 in percent of the candidates scoring >= threshold (XTREME)."""
    predicted = [pair for pair, score in candidate_scores.items() if score >= threshold]
    return bucc_pair_scores(predicted, gold_pairs)


def bucc_pair_scores(predicted_pairs: Iterable[Pair], gold_pairs: Iterable[Pair]) -> dict[str, float]:
    """Set precision/recall/F1 in percent of predicted (source id, target id) pairs vs gold."""
    predicted, gold = set(predicted_pairs), set(gold_pairs)
    n_correct = len(predicted & gold)
    if n_correct == 0:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    precision, recall = n_correct / len(predicted), n_correct / len(gold)
    f1 = 2 * precision * recall / (precision + recall)
    return {"precision": 100.0 * precision, "recall": 100.0 * recall, "f1": 100.0 * f1}


def tatoeba_predictions(source_emb: np.ndarray, target_emb: np.ndarray, query: str = "target") -> np.ndarray:
    """For each query row, the row index of its cosine nearest neighbour on the other side.

    XTREME (and jiant) index the non-English sentences and query with the English ones
    (`similarity_search(x=source, y=target)`), so the default `query="target"` retrieves a
    source row for each English target; `query="source"` searches the other way.
    """
    if len(source_emb) != len(target_emb):
        raise XtlError(f"{len(source_emb)} source but {len(target_emb)} target rows; Tatoeba needs aligned rows")
    if query not in ("target", "source"):
        raise XtlError(f"unknown Tatoeba query side '{query}'; use 'target' (XTREME) or 'source'")
    queries, database = (target_emb, source_emb) if query == "target" else (source_emb, target_emb)
    return knn_cosine(queries, database, 1)[1][:, 0]


def tatoeba_accuracy(source_emb: np.ndarray, target_emb: np.ndarray, query: str = "target") -> float:
    """Tatoeba accuracy in percent: nearest neighbour by cosine, row i's gold is row i (XTREME)."""
    nearest = tatoeba_predictions(source_emb, target_emb, query)
    return 100.0 * float(np.mean(nearest == np.arange(len(nearest))))


# --------------------------------------------------------------------------- XTREME score

QA_TASKS = ("xquad", "mlqa", "tydiqa")
QA_CONVENTIONS = {
    "mean_em_f1": "QA tasks count (EM + F1) / 2 of their language averages (XTREME evaluate.py)",
    "f1": "QA tasks count F1 only (as tables quoting QA as F1 do, e.g. the mT5 comparison)",
}


@dataclass(frozen=True)
class XtremeScore:
    """An XTREME-style aggregate: the mean over tasks of each task's language average."""

    score: float
    per_task: dict[str, float]
    qa_convention: str
    qa_convention_text: str = field(repr=False)


def _task_average(task: str, per_language: Mapping[str, object], qa: str) -> float:
    """One task's language average of its headline metric (QA per `qa`)."""
    if not per_language:
        raise XtlError(f"task '{task}' has no per-language scores; evaluate it or leave it out")
    values: dict[str, list[float]] = {}
    for scores in per_language.values():
        if isinstance(scores, (int, float)):
            scores = {"value": float(scores)}
        for metric, value in dict(scores).items():  # type: ignore[call-overload]
            values.setdefault(metric, []).append(float(value))
    averages = {m: sum(v) / len(v) for m, v in values.items() if len(v) == len(per_language)}
    if task in QA_TASKS and {"f1", "exact_match"} <= averages.keys():
        return averages["f1"] if qa == "f1" else (averages["f1"] + averages["exact_match"]) / 2
    for metric in ("f1", "accuracy", "map@20", "value"):
        if metric in averages:
            return averages[metric]
    raise XtlError(f"task '{task}' has none of f1, accuracy, map@20 in every language; found {sorted(averages)}")


def xtreme_score(task_scores: Mapping[str, Mapping[str, object]], qa: str = "mean_em_f1") -> XtremeScore:
    """XTREME aggregate over the given tasks: mean of each task's language-averaged metric.

    `task_scores` maps task -> language -> {metric: value} (the `per_language` block of
    metrics.json) or language -> value. QA tasks (xquad, mlqa, tydiqa) count (EM + F1) / 2 of
    their language averages by default, as XTREME's evaluate.py does; `qa="f1"` counts F1 only.
    Other tasks count F1, else accuracy, else map@20. XTREME shows the overall score only when
    all nine tasks are present; this function averages whatever tasks it is given.
    """
    if qa not in QA_CONVENTIONS:
        raise XtlError(f"unknown QA convention '{qa}'; use one of {', '.join(QA_CONVENTIONS)}")
    if not task_scores:
        raise XtlError("no task scores to aggregate; pass at least one task")
    per_task = {task: _task_average(task, langs, qa) for task, langs in task_scores.items()}
    score = sum(per_task.values()) / len(per_task)
    return XtremeScore(score, per_task, qa, QA_CONVENTIONS[qa])
