"""Build what a model name stands for: (tokenizer, encoder without head), offline unless a hub id.

The names and what they resolve to are `xtl.model_names` (re-exported here: `names`, `resolve`,
`describe`). `load(..., vocab_texts=texts)` trims the vocabulary to the pieces those texts use (xtl.trim).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable

import torch
from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel

from xtl import e5_weights
from xtl.errors import XtlError
from xtl.model_names import ME5_HUB_ID, ME5_LAYERS, ModelSpec, describe, names, resolve
from xtl.online import hub_reachable
from xtl.trim import trim

__all__ = ["ME5_HUB_ID", "ME5_LAYERS", "TINY_CONFIG", "ModelSpec", "describe", "load", "names", "resolve"]

TINY_CONFIG = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "max_position_embeddings": 514,
    "type_vocab_size": 2,
    "pad_token_id": 1,
    "hidden_act": "gelu",
}


def load(name: str, vocab_texts: Iterable[str] | None = None, seed: int = 0):
    """(tokenizer, encoder) for `name`; the encoder is a base model in eval mode, no head.

    `seed` fixes the random init of tiny-random and random-me5-small. With `vocab_texts` the
    vocabulary is trimmed to the pieces those texts use (same ids after remapping, same outputs).
    """
    spec = resolve(name)
    trimming = vocab_texts is not None  # then the full tokenizer is only read, never returned
    if spec.kind == "tiny":
        tokenizer = _xlmr_tokenizer(shared=trimming)
        encoder = _random_bert({**TINY_CONFIG, "vocab_size": len(tokenizer)}, seed)
    elif spec.kind == "random-me5":
        tokenizer = _xlmr_tokenizer(shared=trimming)
        encoder = _random_bert(e5_weights.bert_config_dict(), seed)
    elif spec.kind == "me5":
        tokenizer, encoder = _me5_small(shared_tokenizer=trimming)
        if spec.layers is not None and spec.layers < ME5_LAYERS:
            _keep_first_layers(encoder, spec.layers)
    else:
        tokenizer, encoder = _from_hub(spec.hub_id, spec.name)
    encoder.eval()
    if trimming:
        trimmed = trim(tokenizer, encoder, vocab_texts)
        tokenizer, encoder = trimmed.tokenizer, trimmed.encoder
    return tokenizer, encoder


# ---------------------------------------------------------------------------- builders


def _xlmr_tokenizer(shared: bool = False):
    """The full XLM-R tokenizer; `shared` gives one parsed once per process, for reading only."""
    folder = str(e5_weights.tokenizer_folder())
    return _shared_tokenizer(folder) if shared else _load_tokenizer(folder)


def _load_tokenizer(folder: str):
    return AutoTokenizer.from_pretrained(folder)


@functools.lru_cache(maxsize=1)
def _shared_tokenizer(folder: str):
    # parsing the 250k-piece tokenizer.json takes 2-4 s; trimming only reads it, so it is parsed once
    return _load_tokenizer(folder)


def _random_bert(config: dict, seed: int):
    """A BertModel without pooler, initialised from `seed` without touching the global RNG."""
    config = {k: v for k, v in config.items() if k not in ("architectures", "model_type")}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return BertModel(BertConfig(**config), add_pooling_layer=False)


def _keep_first_layers(encoder, layers: int) -> None:
    """Drop layers layers+1..12: BERT has no final norm, so the output is hidden_states[layers]."""
    encoder.encoder.layer = encoder.encoder.layer[:layers]
    encoder.config.num_hidden_layers = layers


def _me5_small(shared_tokenizer: bool = False):
    if os.environ.get("XTL_HUB") == "1":
        return _from_hub(ME5_HUB_ID, "me5-small", "unset XTL_HUB to build me5-small offline")
    try:
        folder = e5_weights.me5_small_folder()
    except XtlError:
        if not hub_reachable():
            raise
        return _from_hub(ME5_HUB_ID, "me5-small")
    # the folder's tokenizer files are the ones in the tokenizer folder, byte for byte
    tokenizer = _xlmr_tokenizer(shared=True) if shared_tokenizer else _load_tokenizer(str(folder))
    return tokenizer, BertModel.from_pretrained(folder, add_pooling_layer=False)


def _from_hub(hub_id: str, name: str, fallback: str = "use me5-small"):
    """Tokenizer + base model from the hub (or the local HF cache, which works offline)."""
    def fetch(local_only: bool):
        tokenizer = AutoTokenizer.from_pretrained(hub_id, local_files_only=local_only)
        try:
            model = AutoModel.from_pretrained(hub_id, local_files_only=local_only, add_pooling_layer=False)
        except TypeError:  # architectures without a pooler flag
            model = AutoModel.from_pretrained(hub_id, local_files_only=local_only)
        return tokenizer, model

    try:
        return fetch(local_only=True)
    except (OSError, ValueError):
        pass
    if not hub_reachable():
        raise XtlError(
            f"model '{name}' needs the Hugging Face hub ('{hub_id}'), which cannot be reached; run online or {fallback}"
        )
    try:
        return fetch(local_only=False)
    except (OSError, ValueError) as error:
        reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
        raise XtlError(
            f"could not load '{hub_id}' from the Hugging Face hub ({reason}); "
            f"check the model id and your network, or {fallback}"
        ) from None
