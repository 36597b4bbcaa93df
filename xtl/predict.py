"""Run a trained model over features and decode predictions per format.

QA decoding follows the transformers `run_qa` recipe: over every window of an example, the n-best
start and end logits form candidate spans inside the context, no longer than `max_answer_length`
tokens; the best-scoring span's character offsets give the answer text.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from xtl.features import IGNORE, Features, collate
from xtl.heads import MultiHeadModel

MISSING_TAG = "O"  # the tag of a word that got no prediction (cut off by truncation)


@torch.inference_mode()  # no autograd bookkeeping at all (no_grad still tracks versions)
def logits(model: MultiHeadModel, head: str, features: Features, pad_id: int,
           batch_size: int = 64) -> list[np.ndarray]:
    """Per-item logits (unpadded), computed in length-sorted batches and returned in item order."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    order = sorted(range(len(features)), key=lambda i: features.lengths[i])
    out: list[np.ndarray | None] = [None] * len(features)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else _null()
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        batch = collate([features.items[i] for i in chunk], pad_id)
        batch = {k: v.to(device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}
        with autocast:
            _, batch_logits = model(head, batch)
        batch_logits = batch_logits.float().cpu().numpy()
        for row, i in enumerate(chunk):
            item_logits = batch_logits[row]
            if features.format in ("token_tagging", "extractive_qa"):
                item_logits = item_logits[: len(features.items[i]["input_ids"])]
            out[i] = item_logits
    model.train(was_training)
    return out  # type: ignore[return-value]


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def decode(fmt: str, rows: list[dict[str, Any]], features: Features, item_logits: list[np.ndarray],
           label_names: list[str] | None = None, n_best: int = 20, max_answer_length: int = 30) -> list[Any]:
    """One prediction per row: a label id, a tag-name list, or an answer string."""
    if fmt in ("sentence_classification", "pair_classification", "multiple_choice"):
        return [int(np.argmax(x)) for x in item_logits]
    if fmt == "token_tagging":
        return _decode_tags(rows, features, item_logits, label_names or [])
    if fmt == "extractive_qa":
        return _decode_spans(rows, features, item_logits, n_best, max_answer_length)
    raise ValueError(f"nothing to decode for format {fmt!r}")


def _decode_tags(rows, features, item_logits, label_names):
    """Tag of each word = argmax at its first sub-word.

    XTREME scores every gold word, so a word cut off by truncation still needs a tag: it gets 'O'
    (IGNORE without label names), never a real label id (id 0 is ADJ in UD-POS). 'O' is no UPOS
    tag, so for POS the word is always wrong; for NER it means 'no entity', a miss if gold is one.
    """
    predictions = []
    for row, item, x in zip(rows, features.items, item_logits):
        tags: list[int | None] = [None] * len(row["tokens"])
        for word, position in item["first_positions"]:
            tags[word] = int(np.argmax(x[position]))
        if label_names:
            predictions.append([MISSING_TAG if t is None else label_names[t] for t in tags])
        else:
            predictions.append([IGNORE if t is None else t for t in tags])
    return predictions


def _decode_spans(rows, features, item_logits, n_best, max_answer_length):
    best: dict[int, tuple[float, str]] = {}
    for item, x in zip(features.items, item_logits):
        example, offsets = item["example"], item["offsets"]
        start_logits, end_logits = x[:, 0], x[:, 1]
        starts = np.argsort(start_logits)[::-1][:n_best]
        ends = np.argsort(end_logits)[::-1][:n_best]
        context = rows[example]["context"]
        for s in starts:
            if s >= len(offsets) or offsets[s] is None:
                continue
            for e in ends:
                if e >= len(offsets) or offsets[e] is None or e < s or e - s + 1 > max_answer_length:
                    continue
                score = float(start_logits[s] + end_logits[e])
                if example not in best or score > best[example][0]:
                    best[example] = (score, context[offsets[s][0]:offsets[e][1]].strip())
    return [best.get(i, (0.0, ""))[1] for i in range(len(rows))]
