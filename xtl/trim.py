"""Vocabulary trimming: keep only the pieces a run's texts use, so the encoder gets small.

The word-embedding matrix is 96M of multilingual-e5-small's 117.5M parameters. Trimming keeps
the pieces that the given texts tokenise into (plus every special/added token and the
lowest-scoring piece), drops the other rows of the embedding matrix, and rewrites the Unigram
`tokenizer.json` with the kept pieces and their scores in their original order.

Why the tokenisation cannot change: a Unigram tokenizer picks the highest-scoring segmentation
(Viterbi) among the pieces it has. Removing pieces that no optimal segmentation uses leaves every
optimum in place and only removes competitors. The unknown-character score is (lowest piece score
- 10), so the lowest-scoring piece is kept to leave it unchanged; a character that loses its last
single-character piece then gets an <unk> node that scores at least 10 below the removed piece, so
it cannot win either. Ties are the one loophole, so `trim` re-tokenises every text and raises if
any sequence differs after id remapping.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from transformers import AutoTokenizer

from xtl import atomic
from xtl.errors import XtlError

TRIM_FILE = "xtl_trim.json"  # written beside a saved trimmed model: the original id of each piece


@dataclass
class TrimmedVocab:
    """A trimmed tokenizer + encoder; `kept_ids[new_id]` is the piece's id in the full vocabulary."""

    tokenizer: object
    encoder: nn.Module
    kept_ids: list[int]

    @property
    def n_pieces(self) -> int:
        return len(self.kept_ids)


def _unique(texts: Iterable[str]) -> list[str]:
    unique = list(dict.fromkeys(texts))
    if not all(isinstance(t, str) for t in unique):
        raise XtlError("vocabulary texts must be strings; pass the raw texts (e.g. premise, hypothesis)")
    return unique


def _encode(tokenizer, texts: list[str]) -> list[list[int]]:
    """Token ids with special tokens, straight from the Rust backend (no length warnings)."""
    return [e.ids for e in tokenizer.backend_tokenizer.encode_batch(texts, add_special_tokens=True)]


def _tokenizer_json(tokenizer) -> dict:
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    if spec.get("model", {}).get("type") != "Unigram":
        kind = spec.get("model", {}).get("type")
        raise XtlError(
            f"vocabulary trimming needs a Unigram (SentencePiece) tokenizer, got {kind}; "
            "load the model without vocab_texts"
        )
    return spec


def kept_piece_ids(tokenizer, encoded: Iterable[Sequence[int]], spec: dict | None = None) -> list[int]:
    """Sorted ids to keep: used pieces, special and added tokens, and the lowest-scoring piece."""
    vocab = (spec or _tokenizer_json(tokenizer))["model"]["vocab"]
    kept = {i for ids in encoded for i in ids}
    kept |= set(tokenizer.all_special_ids) | set(tokenizer.added_tokens_decoder)
    kept.add(min(range(len(vocab)), key=lambda i: (vocab[i][1], i)))  # keeps the <unk> score
    return sorted(kept)


def _remap_post_processor(node: dict | None, new_id: dict[int, int]) -> None:
    if not node:
        return
    kind = node.get("type")
    if kind in ("RobertaProcessing", "BertProcessing"):
        for key in ("sep", "cls"):
            node[key][1] = new_id[node[key][1]]
    elif kind == "TemplateProcessing":
        for special in node.get("special_tokens", {}).values():
            special["ids"] = [new_id[i] for i in special["ids"]]
    elif kind == "Sequence":
        for child in node.get("processors", []):
            _remap_post_processor(child, new_id)


def trim_tokenizer(tokenizer, kept_ids: Sequence[int], spec: dict | None = None):
    """The same tokenizer class with only `kept_ids` (ascending), renumbered 0..n-1."""
    spec = dict(spec or _tokenizer_json(tokenizer))  # copied below wherever it is changed
    spec["added_tokens"] = copy.deepcopy(spec.get("added_tokens", []))
    spec["post_processor"] = copy.deepcopy(spec.get("post_processor"))
    new_id = {old: new for new, old in enumerate(kept_ids)}
    model = spec["model"] = dict(spec["model"])
    model["vocab"] = [model["vocab"][old] for old in kept_ids]
    if model.get("unk_id") is not None:
        model["unk_id"] = new_id[model["unk_id"]]
    for token in spec.get("added_tokens", []):
        token["id"] = new_id[token["id"]]
    _remap_post_processor(spec.get("post_processor"), new_id)
    with tempfile.TemporaryDirectory(prefix="xtl-trim-") as tmp:
        tokenizer.save_pretrained(tmp)
        Path(tmp, "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False))
        config_path = Path(tmp, "tokenizer_config.json")
        config = json.loads(config_path.read_text())
        if "added_tokens_decoder" in config:
            config["added_tokens_decoder"] = {str(new_id[int(k)]): v for k, v in config["added_tokens_decoder"].items()}
            config_path.write_text(json.dumps(config))
        return AutoTokenizer.from_pretrained(tmp)


def trim_encoder(encoder: nn.Module, kept_ids: Sequence[int], pad_token_id: int | None) -> nn.Module:
    """Keep only the rows `kept_ids` of the word embeddings; changes `encoder` in place."""
    old = encoder.get_input_embeddings()
    rows = torch.as_tensor(list(kept_ids), dtype=torch.long, device=old.weight.device)
    weight = old.weight.detach().index_select(0, rows).clone()
    embedding = nn.Embedding(len(kept_ids), weight.shape[1], padding_idx=pad_token_id)
    embedding.to(device=weight.device, dtype=weight.dtype)
    embedding.weight.data.copy_(weight)
    encoder.set_input_embeddings(embedding)
    encoder.config.vocab_size = len(kept_ids)
    encoder.config.pad_token_id = pad_token_id
    return encoder


def trim(tokenizer, encoder: nn.Module, texts: Iterable[str]) -> TrimmedVocab:
    """Trim tokenizer and encoder to the pieces `texts` use; the encoder is changed in place.

    On every given text the trimmed tokenizer yields the same pieces (ids mapped through
    `kept_ids`) and so the encoder gives the same outputs; texts not given may tokenise
    differently (into the kept pieces), so pass every string the run will tokenise.
    """
    unique = _unique(texts)
    full_ids = _encode(tokenizer, unique)
    spec = _tokenizer_json(tokenizer)
    kept_ids = kept_piece_ids(tokenizer, full_ids, spec)
    small = trim_tokenizer(tokenizer, kept_ids, spec)
    mismatches = [t for t, ids, new in zip(unique, full_ids, _encode(small, unique))
                  if [kept_ids[i] for i in new] != ids]  # fmt: skip
    if mismatches:
        raise XtlError(
            f"vocabulary trimming changed the tokenisation of {len(mismatches)} text(s), e.g. "
            f"{mismatches[0][:60]!r}; load the model without vocab_texts"
        )
    if small.pad_token_id is not None and tokenizer.pad_token_id is not None:
        assert kept_ids[small.pad_token_id] == tokenizer.pad_token_id
    trim_encoder(encoder, kept_ids, small.pad_token_id)
    return TrimmedVocab(tokenizer=small, encoder=encoder, kept_ids=list(kept_ids))


_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
           "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}  # fmt: skip


def save_trimmed(
    tokenizer,
    encoder: nn.Module,
    folder: str | os.PathLike,
    dtype: str | torch.dtype = "bfloat16",
    kept_ids: Sequence[int] | None = None,
) -> Path:
    """Write a standard HF folder (AutoTokenizer / AutoModel load it), atomically.

    bf16 halves the size (small enough to carry to a GPU machine); weights are cast, so outputs
    then match only to bf16 precision. `kept_ids` (from `trim`) goes into xtl_trim.json.
    """
    if isinstance(dtype, str):
        if dtype not in _DTYPES:
            raise XtlError(f"unknown dtype {dtype!r}; use one of {', '.join(_DTYPES)}")
        dtype = _DTYPES[dtype]
    with atomic.folder(Path(folder), shared=True) as staging:
        copy.deepcopy(encoder).to(dtype).save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        if kept_ids is not None:
            (staging / TRIM_FILE).write_text(json.dumps({"kept_ids": list(map(int, kept_ids))}) + "\n")
    return Path(folder)


def folder_size(folder: str | os.PathLike) -> int:
    """Bytes in a folder (its files, not recursing): to check it fits a 64 MiB upload."""
    return sum(p.stat().st_size for p in Path(folder).iterdir() if p.is_file())
