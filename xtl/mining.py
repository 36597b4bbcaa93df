"""Bitext mining and retrieval accuracy (numpy only, no model): BUCC and Tatoeba, scores in percent.

Each function reproduces what google-research/xtreme's `third_party/utils_retrieve.py` and its
BUCC/Tatoeba evaluation give on the same sentence vectors: exact k-NN on unit vectors (numpy in place
of faiss), ratio-margin scoring, the threshold tuned on one split and applied to another, and
Tatoeba's nearest-neighbour accuracy. `xtl.retrieval` embeds the sentences; this module scores them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from xtl.errors import XtlError


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


