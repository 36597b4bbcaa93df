"""xtl.retrieval on a tiny random BERT and an in-memory word-level tokenizer (no network)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

from xtl import retrieval
from xtl.errors import XtlError

WORDS = ["the", "a", "cat", "dog", "sat", "ran", "on", "mat", "big", "small", "red"] + [
    "house",
    "tree",
    "park",
    "river",
    "we",
    "they",
    "see",
]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
KIT = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    vocab = {token: i for i, token in enumerate(SPECIALS + WORDS)}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]"
    )


@pytest.fixture(scope="module")
def encoder() -> BertModel:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(SPECIALS) + len(WORDS),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    return BertModel(config)  # left in training mode on purpose: embed must switch dropout off


SENTENCES = ["the cat sat", "a big red dog ran on the mat", "we see", "they see a tree in the park by the river"]


def test_embed_matches_manual_mean_pooling(encoder, tokenizer):
    ids = tokenizer(["the cat sat"])["input_ids"]
    encoder.eval()
    with torch.no_grad():
        states = encoder(input_ids=torch.tensor(ids), output_hidden_states=True).hidden_states
    encoder.train()
    expected = states[1][0].mean(dim=0).numpy()
    got = retrieval.embed(encoder, tokenizer, ["the cat sat"], layer=1)
    np.testing.assert_allclose(got[0], expected, atol=1e-5)
    assert encoder.training  # mode restored


def test_embed_is_padding_invariant(encoder, tokenizer):
    alone = retrieval.embed(encoder, tokenizer, ["we see"], layer=2)
    in_batch = retrieval.embed(encoder, tokenizer, SENTENCES, layer=2, batch_size=4)
    np.testing.assert_allclose(in_batch[2], alone[0], atol=1e-5)


def test_embed_restores_input_order(encoder, tokenizer):
    batched = retrieval.embed(encoder, tokenizer, SENTENCES, layer=2, batch_size=2)
    one_by_one = np.stack([retrieval.embed(encoder, tokenizer, [s], layer=2)[0] for s in SENTENCES])
    assert batched.shape == (4, 32) and batched.dtype == np.float32
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)


def test_embed_options(encoder, tokenizer):
    unit = retrieval.embed(encoder, tokenizer, SENTENCES, layer=-1, normalize=True)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-5)
    truncated = retrieval.embed(encoder, tokenizer, ["the cat sat on the mat"], layer=2, max_length=4)
    short = retrieval.embed(encoder, tokenizer, ["the cat"], layer=2)
    np.testing.assert_allclose(truncated, short, atol=1e-5)  # [CLS] the cat [SEP]
    prefixed = retrieval.embed(encoder, tokenizer, ["sat"], layer=2, prefix="the cat ")
    np.testing.assert_allclose(prefixed, retrieval.embed(encoder, tokenizer, ["the cat sat"], layer=2), atol=1e-5)
    assert retrieval.embed(encoder, tokenizer, [], layer=2).shape == (0, 32)
    with pytest.raises(XtlError, match="0..2"):
        retrieval.embed(encoder, tokenizer, ["we see"], layer=3)


def test_evaluate_tatoeba_on_identical_pairs(encoder, tokenizer):
    rows = [{"source": s, "target": s} for s in SENTENCES]
    assert retrieval.evaluate_tatoeba(encoder, tokenizer, {"xx": rows}, layer=2) == {"xx": pytest.approx(100.0)}


def test_bucc_halves_are_deterministic_and_split_the_gold():
    ids = [f"zh-{i:09d}" for i in range(200)]
    halves = [retrieval.bucc_half(i) for i in ids]
    assert halves == [retrieval.bucc_half(i) for i in ids]
    assert 60 < halves.count("dev") < 140


def test_score_bucc_halves_tunes_on_dev_only():
    dev_ids = [i for i in (f"s{n}" for n in range(100)) if retrieval.bucc_half(i) == "dev"][:2]
    test_ids = [i for i in (f"s{n}" for n in range(100)) if retrieval.bucc_half(i) == "test"][:2]
    candidates = {
        (dev_ids[0], "e0"): 3.0,  # gold
        (dev_ids[1], "e1"): 1.0,  # wrong: dev's best threshold is (3 + 1) / 2 = 2
        (test_ids[0], "e2"): 2.5,  # gold, above 2
        (test_ids[1], "e3"): 1.5,  # gold, below 2: missed on test
    }
    gold = {(dev_ids[0], "e0"), (test_ids[0], "e2"), (test_ids[1], "e3")}
    result = retrieval.score_bucc_halves(candidates, gold)
    assert result.threshold == pytest.approx(2.0)
    assert result.dev["f1"] == pytest.approx(100.0)
    assert result.test["precision"] == pytest.approx(100.0)
    assert result.test["recall"] == pytest.approx(50.0)
    assert result.test_oracle["f1"] == pytest.approx(100.0)
    assert result.n_gold == {"dev": 1, "test": 2}
    assert result.as_metrics()["f1"] == pytest.approx(200 / 3)


def _pool() -> list[dict]:
    """zh/en rows where each gold pair shares its text, so any encoder aligns them."""
    rng = np.random.default_rng(0)
    rows, n_gold = [], 40
    for i in range(n_gold + 20):
        words = " ".join(rng.choice(WORDS, size=6))
        rows.append(
            {
                "id": f"zh-{i:03d}",
                "lang": "zh",
                "sentence": words,
                "gold_pair_id": f"en-{i:03d}" if i < n_gold else None,
            }
        )
    for i in range(n_gold + 30):
        words = rows[i]["sentence"] if i < n_gold else " ".join(rng.choice(WORDS, size=5))
        rows.append(
            {
                "id": f"en-{i:03d}",
                "lang": "en",
                "sentence": words,
                "gold_pair_id": f"zh-{i:03d}" if i < n_gold else None,
            }
        )
    return rows


def test_mine_bucc_end_to_end(encoder, tokenizer):
    result = retrieval.mine_bucc(encoder, tokenizer, _pool(), layer=2)[0].as_metrics()
    assert result["n_gold_dev"] + result["n_gold_test"] == 40
    assert result["recall"] == pytest.approx(100.0)  # identical texts are always mined
    assert result["test_oracle_f1"] >= result["f1"] - 1e-9
    small = retrieval.mine_bucc(encoder, tokenizer, _pool(), layer=2, limit=20)[0].as_metrics()
    assert 0 < small["n_gold_dev"] + small["n_gold_test"] <= 20


def test_bucc_drops_sentences_with_several_ids(encoder, tokenizer):
    rows = _pool()
    rows.append({"id": "zh-dup", "lang": "zh", "sentence": rows[0]["sentence"], "gold_pair_id": None})
    candidates, gold = retrieval.bucc_candidates(encoder, tokenizer, rows, layer=2)
    assert not any(src in ("zh-000", "zh-dup") for src, _ in candidates)
    assert ("zh-000", "en-000") in gold


@pytest.mark.skipif(not (KIT / "bucc2018").is_dir(), reason="data kit not present")
def test_limit_on_the_kit_pool_keeps_gold_partners_and_proportions():
    with gzip.open(KIT / "bucc2018" / "zh" / "validation.jsonl.gz", "rt") as handle:
        rows = [json.loads(line) for line in handle]
    pool = retrieval.subsample_pool(rows, 500)
    zh = [r for r in pool if r["lang"] == "zh"]
    en_ids = {r["id"] for r in pool if r["lang"] == "en"}
    assert len(zh) == 500
    assert all(r["gold_pair_id"] in en_ids for r in zh if r["gold_pair_id"])
    assert len(en_ids) == pytest.approx(500 * 13589 / 8624, abs=1)
    assert pool == retrieval.subsample_pool(rows, 500)  # deterministic


def test_tatoeba_nearest_is_what_the_accuracy_counts(encoder, tokenizer):
    rows = [{"source": s, "target": s} for s in SENTENCES]
    nearest = retrieval.tatoeba_nearest(encoder, tokenizer, rows, layer=2)
    assert nearest == list(range(len(SENTENCES)))
    assert retrieval.score_tatoeba([0, 2, 1, 3]) == 50.0


def test_bucc_prediction_lines_rescore_to_the_same_result():
    ids = [f"s{n}" for n in range(40)]
    dev = [i for i in ids if retrieval.bucc_half(i) == "dev"][:3]
    test = [i for i in ids if retrieval.bucc_half(i) == "test"][:3]
    candidates = {(dev[0], "e0"): 3.0, (dev[1], "e1"): 1.0, (dev[2], "e9"): 2.2,
                  (test[0], "e2"): 2.5, (test[1], "e3"): 1.5, (test[2], "e4"): 2.9}
    gold = {(dev[0], "e0"), (dev[2], "e2"), (test[0], "e2"), (test[1], "e3")}
    result = retrieval.score_bucc_halves(candidates, gold)
    lines = retrieval.bucc_prediction_lines(candidates, result.threshold)
    assert [(line["source"], line["english"]) for line in lines] == sorted(candidates)
    assert {(line["source"], line["english"]) for line in lines if line["mined"]} == \
        {pair for pair, score in candidates.items() if score >= result.threshold}
    assert {line["half"] for line in lines} == {"dev", "test"}
    assert retrieval.rescore_bucc(lines, gold) == result
    assert retrieval.rescore_bucc(lines[1:], gold) != result  # a lost candidate shows
