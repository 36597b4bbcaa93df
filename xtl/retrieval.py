"""Sentence embeddings from an encoder (mean pooling over one layer) and the BUCC / Tatoeba scores.

Neither task is trained: XTREME embeds each sentence with the encoder, mean-pools one hidden layer
over the sentence's tokens (special tokens included, padding excluded) and compares by cosine.
XTREME's `--specific_layer i` is our `layer=i + 1` (our index 0 is the embedding layer), so the
paper's "layer 14 of 24" for XLM-R Large is `layer=14`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from xtl import mining
from xtl.errors import XtlError


def _device(encoder: torch.nn.Module) -> torch.device:
    """Where the encoder's weights live (inputs must go there too)."""
    device = getattr(encoder, "device", None)
    if isinstance(device, torch.device):
        return device
    return next(encoder.parameters()).device


def embed(
    encoder: Any,
    tokenizer: Any,
    texts: Sequence[str],
    layer: int,
    max_length: int = 512,
    batch_size: int = 64,
    prefix: str = "",
    normalize: bool = False,
) -> np.ndarray:
    """One float32 vector per text: mean over non-pad tokens of `hidden_states[layer]`.

    Texts are batched longest first (little padding) and returned in input order; the encoder
    runs in eval mode under `torch.inference_mode` on its own device and its mode is restored.
    `prefix` is prepended to every text (e.g. "query: " for E5 models); `normalize` scales rows
    to unit length.
    """
    hidden_size = int(encoder.config.hidden_size)
    if len(texts) == 0:
        return np.zeros((0, hidden_size), dtype=np.float32)
    if tokenizer.pad_token_id is None:
        raise XtlError("the tokenizer has no pad token; set tokenizer.pad_token before embedding")
    encoded = tokenizer([prefix + t for t in texts], truncation=True, max_length=max_length)["input_ids"]
    order = sorted(range(len(texts)), key=lambda i: -len(encoded[i]))
    device = _device(encoder)
    out = np.empty((len(texts), hidden_size), dtype=np.float32)
    was_training = encoder.training
    encoder.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                input_ids, attention_mask = _pad([encoded[i] for i in rows], tokenizer.pad_token_id)
                hidden_states = encoder(
                    input_ids=input_ids.to(device),
                    attention_mask=attention_mask.to(device),
                    output_hidden_states=True,
                ).hidden_states
                if not -len(hidden_states) <= layer < len(hidden_states):
                    raise XtlError(
                        f"layer {layer} does not exist: this encoder has hidden states "
                        f"0..{len(hidden_states) - 1} (0 = embeddings); pick one of those"
                    )
                states = hidden_states[layer].float()
                mask = attention_mask.to(states.device).unsqueeze(-1).to(states.dtype)
                pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
                out[rows] = pooled.cpu().numpy()
    finally:
        encoder.train(was_training)
    return mining.l2_normalize(out) if normalize else out


def _pad(sequences: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad token id lists into (input_ids, attention_mask) tensors."""
    width = max(len(s) for s in sequences)
    input_ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, ids in enumerate(sequences):
        input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        attention_mask[row, : len(ids)] = 1
    return input_ids, attention_mask


def _column(rows: Any, name: str) -> list:
    """One column of a datasets.Dataset or of a list of dicts."""
    if hasattr(rows, "column_names"):
        if name not in rows.column_names:
            raise XtlError(f"rows have no column '{name}' (columns: {rows.column_names}); load them with xtl.data.load")
        return list(rows[name])
    return [row[name] for row in rows]


# --------------------------------------------------------------------------- Tatoeba


def tatoeba_nearest(
    encoder: Any,
    tokenizer: Any,
    rows: Any,
    layer: int,
    max_length: int = 512,
    batch_size: int = 64,
    prefix: str = "",
    query: str = "target",
) -> list[int]:
    """For each row of one language, the row index its query sentence retrieves (row i's gold is i).

    As in XTREME the English targets query the non-English sources (`query="target"`). These are
    the run's Tatoeba predictions: a run folder keeps them so it can be re-scored without the model.
    """
    source_emb = embed(encoder, tokenizer, _column(rows, "source"), layer, max_length, batch_size, prefix)
    target_emb = embed(encoder, tokenizer, _column(rows, "target"), layer, max_length, batch_size, prefix)
    return [int(i) for i in mining.tatoeba_predictions(source_emb, target_emb, query=query)]


def score_tatoeba(nearest: Sequence[int]) -> float:
    """Tatoeba accuracy in percent from retrieved row indices (row i's gold is row i, XTREME)."""
    return 100.0 * float(np.mean(np.asarray(nearest) == np.arange(len(nearest))))


def evaluate_tatoeba(
    encoder: Any,
    tokenizer: Any,
    rows_by_lang: Mapping[str, Any],
    layer: int,
    max_length: int = 512,
    batch_size: int = 64,
    prefix: str = "",
    query: str = "target",
) -> dict[str, float]:
    """Tatoeba accuracy (percent) per language; rows carry aligned `source` and `target` columns."""
    return {lang: score_tatoeba(tatoeba_nearest(encoder, tokenizer, rows, layer, max_length, batch_size,
                                                   prefix, query))
            for lang, rows in rows_by_lang.items()}


# --------------------------------------------------------------------------- BUCC 2018

Pair = tuple[str, str]


def bucc_half(source_id: str) -> str:
    """'dev' or 'test': the half of the BUCC pool a source sentence id falls in (sha256 parity)."""
    return "dev" if hashlib.sha256(source_id.encode("utf-8")).digest()[0] % 2 == 0 else "test"


@dataclass(frozen=True)
class BuccResult:
    """BUCC F1 with the threshold tuned on the 'dev' half and applied to the 'test' half."""

    threshold: float
    dev: dict[str, float]
    test: dict[str, float]
    test_oracle: dict[str, float]
    n_gold: dict[str, int]
    n_candidates: dict[str, int]

    def as_metrics(self) -> dict[str, float]:
        """Flat numbers for metrics.json: `f1` etc. are the test half's, the rest is context."""
        return {
            **self.test,
            "threshold": self.threshold,
            **{f"dev_{name}": value for name, value in self.dev.items()},
            "test_oracle_f1": self.test_oracle["f1"],
            **{f"n_gold_{half}": n for half, n in self.n_gold.items()},
            **{f"n_candidates_{half}": n for half, n in self.n_candidates.items()},
        }


def score_bucc_halves(candidate_scores: Mapping[Pair, float], gold_pairs: Iterable[Pair]) -> BuccResult:
    """Split candidates and gold by `bucc_half` of the source id, tune on 'dev', report 'test'.

    `test_oracle` is the test half scored at its own best threshold (what jiant reports: tuned
    on the evaluated gold); it is an upper bound, not the headline number.
    """
    gold = set(gold_pairs)
    if not gold:
        raise XtlError("no BUCC gold pairs among the rows; pass the pool with its gold_pair_id column")
    halves = {}
    for half in ("dev", "test"):
        halves[half] = (
            {pair: s for pair, s in candidate_scores.items() if bucc_half(pair[0]) == half},
            {pair for pair in gold if bucc_half(pair[0]) == half},
        )
    threshold = mining.best_threshold(*halves["dev"])
    test_candidates, test_gold = halves["test"]
    return BuccResult(
        threshold=threshold,
        dev=mining.bucc_f1(*halves["dev"], threshold),
        test=mining.bucc_f1(test_candidates, test_gold, threshold),
        test_oracle=mining.bucc_f1(test_candidates, test_gold, mining.best_threshold(test_candidates, test_gold)),
        n_gold={half: len(g) for half, (_, g) in halves.items()},
        n_candidates={half: len(c) for half, (c, _) in halves.items()},
    )


def _unique_sentences(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    """Distinct sentences (first-seen order) and the ids each one occurs under."""
    ids_by_text: dict[str, list[str]] = {}
    for row in rows:
        ids_by_text.setdefault(row["sentence"], []).append(row["id"])
    return list(ids_by_text), list(ids_by_text.values())


def bucc_candidates(
    encoder: Any,
    tokenizer: Any,
    rows: Iterable[Mapping[str, Any]],
    layer: int,
    k: int = 4,
    max_length: int = 512,
    batch_size: int = 64,
    prefix: str = "",
) -> tuple[dict[Pair, float], set[Pair]]:
    """Mine the pool as XTREME does: (candidate (src id, en id) -> margin score, gold pairs).

    Like XTREME, duplicate sentences are embedded once, and a sentence that occurs under more
    than one id yields no candidate (XTREME's sentence-to-id map drops it).
    """
    rows = [dict(r) for r in rows]
    source_rows = [r for r in rows if r["lang"] != "en"]
    target_rows = [r for r in rows if r["lang"] == "en"]
    languages = sorted({r["lang"] for r in source_rows})
    if len(languages) != 1 or not target_rows:
        raise XtlError(
            f"BUCC rows must hold one non-English language and English; got {languages} and "
            f"{len(target_rows)} English rows"
        )
    src_texts, src_ids = _unique_sentences(source_rows)
    trg_texts, trg_ids = _unique_sentences(target_rows)
    src_emb = embed(encoder, tokenizer, src_texts, layer, max_length, batch_size, prefix)
    trg_emb = embed(encoder, tokenizer, trg_texts, layer, max_length, batch_size, prefix)
    candidate_scores = {
        (src_ids[i][0], trg_ids[j][0]): score
        for i, j, score in mining.mine_candidates(src_emb, trg_emb, k)
        if len(src_ids[i]) == 1 and len(trg_ids[j]) == 1
    }
    gold = {(r["id"], r["gold_pair_id"]) for r in source_rows if r.get("gold_pair_id")}
    return candidate_scores, gold


def subsample_pool(rows: list[dict], limit: int) -> list[dict]:
    """A deterministic smaller pool: `limit` source sentences (by id hash), their gold English
    partners, and English non-gold sentences in the pool's original proportion."""
    source = sorted((r for r in rows if r["lang"] != "en"), key=lambda r: _hash(r["id"]))[:limit]
    partners = {r["gold_pair_id"] for r in source if r.get("gold_pair_id")}
    english = [r for r in rows if r["lang"] == "en"]
    n_sources = sum(r["lang"] != "en" for r in rows)
    n_fillers = round(limit * len(english) / max(n_sources, 1)) - len(partners)
    fillers = sorted(
        (r for r in english if r["id"] not in partners and not r.get("gold_pair_id")), key=lambda r: _hash(r["id"])
    )[: max(n_fillers, 0)]
    return source + [r for r in english if r["id"] in partners] + fillers


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def mine_bucc(
    encoder: Any,
    tokenizer: Any,
    rows: Iterable[Mapping[str, Any]],
    layer: int,
    k: int = 4,
    max_length: int = 512,
    batch_size: int = 64,
    prefix: str = "",
    limit: int | None = None,
) -> tuple[BuccResult, dict[Pair, float]]:
    """BUCC 2018 scored (F1 in percent, `BuccResult.as_metrics`) following XTREME's protocol on the one split the
    kit has, with the mined candidates and their margin scores.

    XTREME tunes the margin threshold on the BUCC 'dev' (sample) set and applies it to 'test'.
    The kit has only the zh-en sample set, so we mine the whole pool once (ratio margin, k=4
    neighbours, cosine), then split candidates and gold pairs in two by a hash of the zh id
    (`bucc_half`): the threshold is tuned on the 'dev' half and `f1`/`precision`/`recall` are
    the 'test' half's at that threshold; `dev_f1` (tuned and scored on dev) and `test_oracle_f1`
    (test tuned on its own gold, jiant's protocol) are upper bounds given for context.
    Mining uses the full pool, so the task is as hard as the original. `limit` keeps a smaller,
    easier pool of that many source sentences for smoke runs (not comparable with the full pool).
    """
    rows = [dict(r) for r in rows]
    if limit is not None:
        rows = subsample_pool(rows, limit)
    candidate_scores, gold = bucc_candidates(encoder, tokenizer, rows, layer, k, max_length, batch_size, prefix)
    return score_bucc_halves(candidate_scores, gold), candidate_scores


def bucc_prediction_lines(candidate_scores: Mapping[Pair, float], threshold: float) -> list[dict[str, Any]]:
    """One record per mined candidate, in a fixed order: what a run folder keeps of BUCC.

    With the gold pairs from the kit these re-score the run (`rescore_bucc`): each candidate's
    margin score, the half its source id falls in and whether it clears the tuned threshold.
    """
    return [{"source": source, "english": english, "score": float(score), "half": bucc_half(source),
             "mined": bool(score >= threshold)}
            for (source, english), score in sorted(candidate_scores.items())]


def search(encoder: Any, tokenizer: Any, rows: Sequence[Mapping[str, Any]], sentence_pool: bool, layer: int,
           max_length: int = 512, prefix: str = "") -> tuple[dict[str, float], list[dict[str, Any]], list[Any]]:
    """One language's retrieval scores, prediction lines and XTREME submission.

    A sentence pool (BUCC) is mined (`mine_bucc`): the lines are the candidates with their margin scores
    (`bucc_prediction_lines`), the submission the pairs that clear the tuned threshold. Aligned pairs
    (Tatoeba) are searched source by source: the lines are `{"gold": i, "prediction": j}`, the submission
    the target row found for each source.
    """
    if sentence_pool:
        result, candidates = mine_bucc(encoder, tokenizer, rows, layer=layer, max_length=max_length, prefix=prefix)
        lines = bucc_prediction_lines(candidates, result.threshold)
        scores = {k: v for k, v in result.as_metrics().items() if isinstance(v, (int, float))}
        return scores, lines, [(line["source"], line["english"]) for line in lines if line["mined"]]
    nearest = tatoeba_nearest(encoder, tokenizer, rows, layer=layer, max_length=max_length, prefix=prefix)
    return {"accuracy": score_tatoeba(nearest)}, [{"gold": i, "prediction": j} for i, j in enumerate(nearest)], nearest


def rescore_bucc(lines: Iterable[Mapping[str, Any]], gold_pairs: Iterable[Pair]) -> BuccResult:
    """BUCC scored again from a run's kept candidates (`bucc_prediction_lines`) and the gold pairs."""
    return score_bucc_halves({(line["source"], line["english"]): line["score"] for line in lines}, gold_pairs)
