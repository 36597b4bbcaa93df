"""Vocabulary trimming keeps token sequences (after id remapping) and encoder outputs identical."""

from __future__ import annotations

import copy
import gzip
import json

import pytest
import torch

from xtl import models, trim
from xtl.errors import XtlError
from xtl.paths import data_root

EXTRA_TEXTS = [
    "query: Hello  world ",  # E5 prefix, a double space, a trailing space
    "Ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ and e\u0301 combining accents",  # the normaliser's work
    "a nazar amulet \U0001f9ff is not in the vocabulary",  # becomes <unk>
    "<s> and <mask> inside a text",
]


def kit_sentences(per_language: int = 20) -> list[str]:
    """Premises and hypotheses of the first lines of every XNLI test file (15 languages)."""
    texts = []
    for path in sorted((data_root() / "xnli").glob("*/test.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for _, line in zip(range(per_language), handle):
                row = json.loads(line)
                texts += [row["premise"], row["hypothesis"]]
    assert len(texts) >= 15 * 2 * per_language
    return texts + EXTRA_TEXTS


def _hidden(tokenizer, encoder, texts) -> tuple[torch.Tensor, torch.Tensor]:
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        return batch["input_ids"], encoder(**batch).last_hidden_state.float()


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return kit_sentences()


@pytest.fixture(scope="module")
def forward_texts(texts) -> list[str]:
    """A spread of the texts (every language, the extras) for the slower encoder comparisons."""
    return texts[::13] + EXTRA_TEXTS  # odd stride: premises and hypotheses


@pytest.fixture(scope="module")
def tiny_full():
    return models.load("tiny-random", seed=1)


@pytest.fixture(scope="module")
def me5_trimmed(texts, forward_texts):
    tokenizer, encoder = models.load("me5-small")
    ids, hidden = _hidden(tokenizer, encoder, forward_texts)
    all_ids = [tokenizer(t)["input_ids"] for t in texts]
    trimmed = trim.trim(tokenizer, encoder, texts)
    return tokenizer, all_ids, ids, hidden, trimmed


def test_trimmed_me5_small_gives_identical_tokens_and_outputs(me5_trimmed, texts, forward_texts):
    full_tokenizer, all_ids, full_ids, full_hidden, trimmed = me5_trimmed
    kept = torch.tensor(trimmed.kept_ids)
    print(f"\nme5-small: {trimmed.n_pieces} of {len(full_tokenizer)} pieces kept for {len(texts)} texts")
    assert trimmed.n_pieces < 10_000
    assert trimmed.kept_ids[:4] == [0, 1, 2, 3] and trimmed.kept_ids[-1] == 250001
    assert trimmed.tokenizer.mask_token_id == trimmed.n_pieces - 1
    assert trimmed.encoder.config.vocab_size == trimmed.n_pieces
    assert trimmed.encoder.get_input_embeddings().weight.shape == (trimmed.n_pieces, 384)

    for text, expected in zip(texts, all_ids):
        assert [trimmed.kept_ids[i] for i in trimmed.tokenizer(text)["input_ids"]] == expected
    ids, hidden = _hidden(trimmed.tokenizer, trimmed.encoder, forward_texts)
    assert torch.equal(kept[ids], full_ids)  # padding id 1 maps to 1 as well
    assert (full_ids == 3).any()  # the <unk> text really produced <unk>
    torch.testing.assert_close(hidden, full_hidden, atol=1e-5, rtol=0)


def test_trimmed_folder_reloads_with_auto_classes(me5_trimmed, forward_texts, tmp_path):
    from transformers import AutoModel, AutoTokenizer

    _, _, full_ids, full_hidden, trimmed = me5_trimmed
    kept = torch.tensor(trimmed.kept_ids)
    sizes = {}
    some = forward_texts[::4]  # bf16 matmuls are slow on CPU
    for dtype, atol in (("float32", 1e-5), ("bfloat16", None)):
        folder = trim.save_trimmed(trimmed.tokenizer, trimmed.encoder, tmp_path / dtype, dtype, trimmed.kept_ids)
        sizes[dtype] = trim.folder_size(folder)
        tokenizer = AutoTokenizer.from_pretrained(folder)
        encoder = AutoModel.from_pretrained(folder, add_pooling_layer=False).eval()
        assert json.loads((folder / trim.TRIM_FILE).read_text())["kept_ids"] == trimmed.kept_ids
        if atol is not None:
            ids, hidden = _hidden(tokenizer, encoder, forward_texts)
            assert torch.equal(kept[ids], full_ids)
            torch.testing.assert_close(hidden, full_hidden, atol=atol, rtol=0)
        else:  # bf16 weights: close, not equal
            ids, hidden = _hidden(tokenizer, encoder, some)
            expected_ids, expected = _hidden(trimmed.tokenizer, trimmed.encoder, some)
            assert torch.equal(ids, expected_ids) and encoder.dtype == torch.bfloat16
            cosine = torch.nn.functional.cosine_similarity(hidden, expected, dim=-1)
            assert cosine[ids != 1].min() > 0.98
    print(f"\ntrimmed folder: fp32 {sizes['float32'] / 2**20:.1f} MiB, bf16 {sizes['bfloat16'] / 2**20:.1f} MiB")
    assert sizes["bfloat16"] < 64 * 2**20


def test_load_with_vocab_texts_trims_tiny_random(texts, tiny_full):
    tokenizer, encoder = tiny_full
    small_tokenizer, small_encoder = models.load("tiny-random", vocab_texts=texts, seed=1)
    assert len(small_tokenizer) == small_encoder.config.vocab_size < 10_000
    full_ids, full_hidden = _hidden(tokenizer, encoder, texts)
    ids, hidden = _hidden(small_tokenizer, small_encoder, texts)  # tiny: all texts are cheap
    assert ids.shape == full_ids.shape
    torch.testing.assert_close(hidden, full_hidden, atol=1e-5, rtol=0)
    # a second trimmed load (its full tokenizer is parsed once per process) is independent
    other_tokenizer, _ = models.load("tiny-random", vocab_texts=texts[:2], seed=1)
    assert len(other_tokenizer) < len(small_tokenizer)
    assert len(models.load("tiny-random", vocab_texts=texts, seed=1)[0]) == len(small_tokenizer)


def test_trim_raises_when_a_text_would_tokenise_differently(monkeypatch, texts, tiny_full):
    tokenizer, encoder = tiny_full[0], copy.deepcopy(tiny_full[1])
    keep_all = trim.kept_piece_ids

    def drop_one_used_piece(tokenizer, encoded, spec=None):
        kept = keep_all(tokenizer, encoded, spec)
        used = tokenizer.convert_tokens_to_ids("▁weather")
        assert used in kept
        return [i for i in kept if i != used]

    monkeypatch.setattr(trim, "kept_piece_ids", drop_one_used_piece)
    with pytest.raises(XtlError) as error:
        trim.trim(tokenizer, encoder, texts + ["The weather is nice."])
    assert "\n" not in str(error.value) and "tokenisation" in str(error.value)


def test_trim_refuses_a_non_unigram_tokenizer(tiny_full):
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(WordLevel({"<unk>": 0, "hello": 1}, unk_token="<unk>"))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>")
    with pytest.raises(XtlError, match="Unigram"):
        trim.trim(tokenizer, copy.deepcopy(tiny_full[1]), ["hello"])
