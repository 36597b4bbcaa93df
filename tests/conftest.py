"""Shared fixtures: a tiny random encoder with the real XLM-R tokenizer trimmed to the test texts, the data kit,
and an isolated place for results, notebooks, the cache and checkpoints."""

from __future__ import annotations

import pytest

from xtl import models
from xtl.paths import BOOK_RUNS_ENV, data_root

TEXTS = [
    "Angela Merkel visited Paris .",
    "Where did she go?",
    "The cat sat on the mat and Paris is the capital of France .",
    "What is the capital of France?",
    "He was hungry. What did he do? ate slept ran",
    "Der Hund schläft. 猫が寝ている。 القطة نائمة",
]


@pytest.fixture(scope="session")
def tiny():
    """(tokenizer, encoder factory): each call to the factory gives a fresh seeded encoder."""
    tokenizer, _ = models.load("tiny-random", vocab_texts=TEXTS)

    def make(seed: int = 0):
        return models.load("tiny-random", vocab_texts=TEXTS, seed=seed)[1]

    return tokenizer, make


@pytest.fixture(scope="module")
def kit():
    """The offline data kit's folder (the test is skipped where there is none)."""
    root = data_root(required=False)
    if root is None:
        pytest.skip("the offline data kit is not here")
    return root


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Results, executed notebooks, the cache (the runner's scratch space) and checkpoints under tmp_path, never
    the repo's or the user's."""
    monkeypatch.setenv("XTL_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv(BOOK_RUNS_ENV, str(tmp_path / "book"))
    monkeypatch.setenv("XTL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("XTL_CHECKPOINTS", str(tmp_path / "checkpoints"))
    return tmp_path
