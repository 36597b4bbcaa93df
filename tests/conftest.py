"""Shared fixtures: a tiny random encoder with the real XLM-R tokenizer, trimmed to the test texts."""

from __future__ import annotations

import pytest

from xtl import models

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
