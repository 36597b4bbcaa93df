"""Sentence heads: first-token or mean pooling, and the optional training key that selects it."""

from __future__ import annotations

import pytest
import torch

from xtl import runs
from xtl.config import TrainConfig, resolve_intermediate
from xtl.errors import XtlError
from xtl.heads import ClassificationHead


def test_mean_pooling_averages_real_tokens_only():
    torch.manual_seed(0)
    head = ClassificationHead(4, 3, dropout=0.0, pooling="mean").eval()
    states = torch.randn(1, 5, 4)
    mask = torch.tensor([[1, 1, 1, 0, 0]])
    padded = states.clone()
    padded[:, 3:] = 100.0  # padding must not move the result
    expected = head.out(torch.tanh(head.dense(states[:, :3].mean(1))))
    assert torch.allclose(head(padded, mask), expected, atol=1e-6)


def test_first_token_pooling_reads_position_zero():
    head = ClassificationHead(4, 2, dropout=0.0).eval()
    states = torch.randn(2, 3, 4)
    changed = states.clone()
    changed[:, 1:] += 5.0
    assert torch.equal(head(states, torch.ones(2, 3)), head(changed, torch.ones(2, 3)))


def test_pooling_key_at_its_default_leaves_the_run_id_unchanged():
    config = {"model": "tiny-random", "intermediate": {"tasks": ["mnli"], "train": {"learning_rate": 1e-3}}}
    plain = resolve_intermediate(config)
    config["intermediate"]["train"]["sentence_pooling"] = "first"
    assert runs.config_hash(resolve_intermediate(config)) == runs.config_hash(plain)
    config["intermediate"]["train"]["sentence_pooling"] = "mean"
    resolved = resolve_intermediate(config)
    assert resolved["intermediate"]["train"]["sentence_pooling"] == "mean"
    assert runs.config_hash(resolved) != runs.config_hash(plain)


def test_unknown_pooling_is_one_line():
    with pytest.raises(XtlError, match="unknown sentence_pooling 'max'"):
        TrainConfig(sentence_pooling="max")
