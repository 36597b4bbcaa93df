"""Canonical rows -> model inputs, one function per task format.

Tagging labels the first sub-word of each word; every other position (later sub-words, special
tokens, padding) gets -100 and is ignored by the loss, as in XTREME and the transformers examples;
words cut off by truncation have no position (`predict` scores them as missed). QA splits long
contexts into windows with a doc stride and keeps the character offsets needed to map predicted
spans back to text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

IGNORE = -100


@dataclass
class Features:
    """Tokenised examples of one task and split, ready for a DataLoader."""

    format: str
    items: list[dict[str, Any]]  # one dict per model input (a QA window, an MC item, ...)
    lengths: list[int]  # tokens per item (max over choices), for length-grouped batches

    def __len__(self) -> int:
        return len(self.items)

    @property
    def num_examples(self) -> int:
        """Source rows behind the items: a QA question split into several windows counts once."""
        return len({item.get("example", i) for i, item in enumerate(self.items)})


def encode(rows: Any, fmt: str, tokenizer: Any, max_length: int, train: bool, doc_stride: int = 128,
           text_prefix: str = "") -> Features:
    """Tokenise canonical rows of format `fmt` (see ARCHITECTURE.md)."""
    rows = list(rows)
    if fmt in ("sentence_classification", "pair_classification"):
        items = _classification(rows, tokenizer, max_length, fmt == "pair_classification", text_prefix)
    elif fmt == "token_tagging":
        items = _tagging(rows, tokenizer, max_length)
    elif fmt == "extractive_qa":
        items = _qa(rows, tokenizer, max_length, doc_stride, train)
    elif fmt == "multiple_choice":
        items = _choices(rows, tokenizer, max_length)
    elif fmt == "raw_text":
        items = _raw(rows, tokenizer, max_length)
    else:
        raise ValueError(f"no features for format {fmt!r}")
    lengths = [_length(item) for item in items]
    return Features(fmt, items, lengths)


def _length(item: dict[str, Any]) -> int:
    ids = item["input_ids"]
    return max(len(x) for x in ids) if ids and isinstance(ids[0], list) else len(ids)


def _classification(rows, tokenizer, max_length, pair, prefix):
    first = [prefix + r["text_a" if pair else "text"] for r in rows]
    second = [prefix + r["text_b"] for r in rows] if pair else None
    enc = tokenizer(first, second, truncation=True, max_length=max_length)
    return [{"input_ids": ids, "labels": int(r["label"])} for ids, r in zip(enc["input_ids"], rows)]


def _tagging(rows, tokenizer, max_length):
    enc = tokenizer([r["tokens"] for r in rows], is_split_into_words=True, truncation=True,
                    max_length=max_length)
    items = []
    for i, row in enumerate(rows):
        word_ids = enc.word_ids(i)
        labels, first_positions, previous = [], [], None
        for position, word in enumerate(word_ids):
            if word is None or word == previous:
                labels.append(IGNORE)
            else:
                labels.append(int(row["tags"][word]))
                first_positions.append((word, position))
            previous = word
        items.append({"input_ids": enc["input_ids"][i], "labels": labels,
                      "example": i, "first_positions": first_positions})
    return items


def _qa(rows, tokenizer, max_length, doc_stride, train):
    questions, question_tokens = _short_questions([r["question"].lstrip() for r in rows], tokenizer, max_length // 3)
    # the tokenizer needs a stride shorter than the context window left beside the longest question
    doc_stride = max(1, min(doc_stride, (max_length - question_tokens - 4) // 2))
    contexts = [r["context"] for r in rows]
    enc = tokenizer(questions, contexts, truncation="only_second", max_length=max_length,
                    stride=doc_stride, return_overflowing_tokens=True, return_offsets_mapping=True)
    items = []
    for i, ids in enumerate(enc["input_ids"]):
        example = enc["overflow_to_sample_mapping"][i]
        sequence_ids = enc.sequence_ids(i)
        offsets = [off if sid == 1 else None for off, sid in zip(enc["offset_mapping"][i], sequence_ids)]
        item = {"input_ids": ids, "example": example, "offsets": offsets}
        if train:
            item["start_positions"], item["end_positions"] = _answer_positions(rows[example], offsets)
        items.append(item)
    return items


def _short_questions(questions, tokenizer, limit):
    """Cut questions to `limit` tokens (SQuAD's max query length) so a context window always remains."""
    enc = tokenizer(questions, add_special_tokens=False, return_offsets_mapping=True)
    out, longest = [], 0
    for question, ids, offsets in zip(questions, enc["input_ids"], enc["offset_mapping"]):
        if len(ids) > limit:
            question, ids = question[: offsets[limit - 1][1]], ids[:limit]
        out.append(question)
        longest = max(longest, len(ids))
    return out, longest


def _answer_positions(row, offsets):
    """Token span of the first gold answer inside this window, or (0, 0) when it is outside."""
    if not row["answers"]["text"]:
        return 0, 0
    start_char = row["answers"]["answer_start"][0]
    end_char = start_char + len(row["answers"]["text"][0])
    context = [i for i, off in enumerate(offsets) if off is not None]
    if not context or offsets[context[0]][0] > start_char or offsets[context[-1]][1] < end_char:
        return 0, 0
    start = next(i for i in context if offsets[i][1] > start_char)
    end = next(i for i in reversed(context) if offsets[i][0] < end_char)
    return start, end


def _choices(rows, tokenizer, max_length):
    items = []
    for row in rows:
        stem = " ".join(part for part in (row["context"], row["question"]) if part)
        enc = tokenizer([stem] * len(row["choices"]), list(row["choices"]), truncation=True,
                        max_length=max_length)
        items.append({"input_ids": enc["input_ids"], "labels": int(row["label"])})
    return items


def _raw(rows, tokenizer, max_length):
    enc = tokenizer([r["text"] for r in rows], truncation=True, max_length=max_length)
    return [{"input_ids": ids} for ids in enc["input_ids"]]


def collate(items: list[dict[str, Any]], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch to its own longest item (dynamic padding)."""
    ids = [item["input_ids"] for item in items]
    if ids and isinstance(ids[0][0], list):  # multiple choice: [batch, choices, length]
        width = max(len(x) for choices in ids for x in choices)
        input_ids = torch.tensor([[x + [pad_id] * (width - len(x)) for x in c] for c in ids])
    else:
        width = max(len(x) for x in ids)
        input_ids = torch.tensor([x + [pad_id] * (width - len(x)) for x in ids])
    batch = {"input_ids": input_ids, "attention_mask": (input_ids != pad_id).long()}
    first = items[0]
    if isinstance(first.get("labels"), list):
        batch["labels"] = torch.tensor([x["labels"] + [IGNORE] * (width - len(x["labels"])) for x in items])
    elif "labels" in first:
        batch["labels"] = torch.tensor([x["labels"] for x in items])
    for key in ("start_positions", "end_positions"):
        if key in first:
            batch[key] = torch.tensor([x[key] for x in items])
    return batch
