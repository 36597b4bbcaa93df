"""Task heads on one shared encoder.

Only the encoder carries over from phase 2 to phase 3 (the paper drops the intermediate head), so
heads are small modules keyed by name beside the encoder, never inside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from xtl.features import IGNORE

HEAD_FOR_FORMAT = {
    "sentence_classification": "classification",
    "pair_classification": "classification",
    "token_tagging": "tagging",
    "extractive_qa": "span",
    "multiple_choice": "choice",
    "raw_text": "mlm",
}


@dataclass(frozen=True)
class HeadSpec:
    kind: str  # classification | tagging | span | choice | mlm
    num_labels: int = 1
    pooling: str = "first"  # classification and choice: the first token's state, or the mean over real tokens


class ClassificationHead(nn.Module):
    """RoBERTa-style head: dense + tanh + projection, on the first token or on the mean over tokens.

    XLM-R (and jiant) read the first token. multilingual-e5 was trained to be read by the mean over
    tokens: its first-token state barely varies across inputs, so a first-token head learns slowly.
    """

    def __init__(self, hidden: int, num_labels: int, dropout: float, pooling: str = "first"):
        super().__init__()
        self.pooling = pooling
        self.dense = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, num_labels)

    def forward(self, states: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if self.pooling == "mean":
            weights = mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        else:
            pooled = states[:, 0]
        x = self.dropout(pooled)
        return self.out(self.dropout(torch.tanh(self.dense(x))))


class TokenHead(nn.Module):
    """A linear map per token: tags (num_labels) or span start/end logits (2)."""

    def __init__(self, hidden: int, num_labels: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, num_labels)

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(states))


class MLMHead(nn.Module):
    """BERT's MLM transform with the decoder tied to the word embeddings.

    The offline encoder ships without an MLM head, so the transform starts fresh (OFFLINE_MODEL.md).
    """

    def __init__(self, word_embeddings: nn.Embedding, eps: float = 1e-12):
        super().__init__()
        hidden = word_embeddings.embedding_dim
        self.dense = nn.Linear(hidden, hidden)
        self.norm = nn.LayerNorm(hidden, eps=eps)
        self.word_embeddings = [word_embeddings]  # a list keeps it out of this module's parameters
        self.bias = nn.Parameter(torch.zeros(word_embeddings.num_embeddings))

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        x = self.norm(F.gelu(self.dense(states)))
        return x @ self.word_embeddings[0].weight.T + self.bias


class MultiHeadModel(nn.Module):
    """An encoder and named heads; `forward(head, batch)` returns (loss or None, logits)."""

    def __init__(self, encoder: nn.Module, head_specs: dict[str, HeadSpec], dropout: float = 0.1, seed: int = 0):
        super().__init__()
        self.encoder = encoder
        self.specs = dict(head_specs)
        with torch.random.fork_rng(devices=[]):  # head weights depend on the seed alone
            torch.manual_seed(seed)
            self.heads = nn.ModuleDict({name: self._build(spec, encoder, dropout) for name, spec in self.specs.items()})

    @staticmethod
    def _build(spec: HeadSpec, encoder: nn.Module, dropout: float) -> nn.Module:
        hidden = encoder.config.hidden_size
        if spec.kind in ("classification", "choice"):
            return ClassificationHead(hidden, spec.num_labels if spec.kind == "classification" else 1, dropout,
                                      spec.pooling)
        if spec.kind == "tagging":
            return TokenHead(hidden, spec.num_labels, dropout)
        if spec.kind == "span":
            return TokenHead(hidden, 2, 0.0)
        if spec.kind == "mlm":
            return MLMHead(encoder.get_input_embeddings())
        raise ValueError(f"unknown head kind {spec.kind!r}")

    def forward(self, head: str, batch: dict[str, torch.Tensor]):
        kind = self.specs[head].kind
        input_ids, mask = batch["input_ids"], batch["attention_mask"]
        choices = input_ids.shape[1] if kind == "choice" else None
        if choices is not None:
            input_ids, mask = input_ids.flatten(0, 1), mask.flatten(0, 1)
        states = self.encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
        logits = self.heads[head](states, mask) if kind in ("classification", "choice") else self.heads[head](states)
        if choices is not None:
            logits = logits.view(-1, choices)
        return _loss(kind, logits, batch), logits


def _loss(kind: str, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor | None:
    if kind == "span":
        if "start_positions" not in batch:
            return None
        start, end = logits.float().unbind(-1)
        return (F.cross_entropy(start, batch["start_positions"]) + F.cross_entropy(end, batch["end_positions"])) / 2
    if "labels" not in batch:
        return None
    labels = batch["labels"]
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE)
