"""The Masakhane sets as zero-shot targets (Q4): English training data of the same format, aligned label sets,
the African test sets loaded in those labels and scored with the English task's metric."""

from __future__ import annotations

import json

import pytest

from xtl import compressed, data, experiment, scoring, tasks
from xtl.tasks_african import aligned
from xtl.tasks_xtreme import PANX_TAGS, UPOS

NER, POS = tasks.get("masakhaner2_zs"), tasks.get("masakhapos_zs")


def test_they_train_on_english_data_of_their_format_and_evaluate_every_language_of_the_set():
    for target, english, african in ((NER, "panx", "masakhaner2"), (POS, "udpos", "masakhapos")):
        assert target.format == tasks.get(english).format == "token_tagging"
        assert target.label_names == tasks.get(english).label_names and target.metric == tasks.get(english).metric
        assert target.train_lang == "en" and target.mix["train"] == ((english, "en", "train"),)
        assert target.mix["dev"] == ((english, "en", tasks.get(english).dev_split),)
        assert target.kit_name == african and set(target.eval_split) == set(tasks.get(african).eval_split)
        assert {"swa", "yor"} <= set(target.eval_split) and "en" not in target.eval_split


def test_label_sets_are_aligned_by_name_with_date_read_as_o():
    ner = aligned(tasks.get("masakhaner2").label_names, PANX_TAGS, {"B-DATE": "O", "I-DATE": "O"})
    assert [PANX_TAGS[i] for i in ner] == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "O", "O"]
    pos = aligned(tasks.get("masakhapos").label_names, UPOS, {"_": "X"})
    assert [UPOS[i] for i in pos] == [n if n != "_" else "X" for n in tasks.get("masakhapos").label_names]
    row = {"id": "0", "tokens": ["Ada", "Obi", "on", "1", "May", "Lagos"], "ner_tags": [1, 2, 0, 7, 8, 5]}
    assert NER.convert(row) == {"tokens": row["tokens"], "tags": [1, 2, 0, 0, 0, 5]}
    assert POS.convert({"id": "0", "tokens": ["a", "b"], "upos": [0, 13]}) == {"tokens": ["a", "b"],
                                                                                 "tags": [UPOS.index("NOUN"), UPOS.index("X")]}


def test_the_entity_f1_reads_a_date_as_o_by_hand():
    """Gold PER, DATE, LOC: DATE is O in the aligned set, so 2 gold entities; the prediction finds PER and LOC and
    calls the date a LOC: 2 of 3 predicted entities right, both gold ones found: F1 = 2 (2/3) 1 / (2/3 + 1) = 80."""
    gold = NER.convert({"tokens": list("abcdef"), "ner_tags": [1, 2, 0, 7, 8, 5]})
    predicted = [["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "B-LOC"]]
    scores = scoring.score(NER, "swa", [gold], predicted)
    assert scores["f1"] == pytest.approx(80.0)


def test_pos_is_scored_as_ud_pos_by_hand():
    """NOUN ADP NOUN PUNCT (MasakhaPOS ids 0 2 0 1) against NOUN ADP VERB PUNCT: 3 of 4 tokens right."""
    gold = POS.convert({"tokens": ["Shujaa", "wa", "Baraza", "."], "upos": [0, 2, 0, 1]})
    assert [UPOS[t] for t in gold["tags"]] == ["NOUN", "ADP", "NOUN", "PUNCT"]
    predicted = [["NOUN", "ADP", "VERB", "PUNCT"]]
    scores = scoring.score(POS, "yor", [gold], predicted)
    assert scores["accuracy"] == pytest.approx(75.0)
    assert scores == scoring.score(tasks.get("udpos"), "yo", [gold], predicted)


def _texts(task, lang, split):
    return {data.row_text("token_tagging", row) for row in data.rows(task, lang, split)}


@pytest.mark.parametrize("lang", ["swa", "yor", "hau"])
def test_the_african_test_sets_load_in_the_english_label_set(kit, lang):
    raw = data.rows("masakhaner2", lang, "test")
    rows = data.rows("masakhaner2_zs", lang, "test")
    assert [r["tokens"] for r in rows] == [r["tokens"] for r in raw]
    date = {7, 8}
    for ours, theirs in zip(rows, raw):
        assert ours["tags"] == [0 if t in date else t for t in theirs["tags"]]
    assert any(t in date for r in raw for t in r["tags"])  # there are dates to align
    pos = data.load("masakhapos_zs", lang, "test", limit=50)
    assert all(0 <= t < len(UPOS) for r in pos for t in r["tags"])
    assert [[UPOS[t] for t in r["tags"]] for r in data.rows("masakhapos_zs", lang, "test")] == [
        [tasks.get("masakhapos").label_names[t] for t in r["tags"]] for r in data.rows("masakhapos", lang, "test")]


@pytest.mark.slow
def test_english_training_rows_are_the_english_tasks_less_the_african_test_sentences(kit):
    """UD-POS English: 2 training sentences are MasakhaPOS test sentences; the target drops them, UD-POS keeps them.
    (PAN-X English has none: its rows are the NER target's as they are; not re-read here, 30 s of decontamination.)"""
    assert data.rows("masakhapos_zs", "en", "dev") == data.rows("udpos", "en", "validation")
    udpos, ours = data.rows("udpos", "en", "train"), data.rows("masakhapos_zs", "en", "train")
    african = {text for lang in POS.eval_split for text in _texts("masakhapos", lang, "test")}
    dropped = [r for r in udpos if data.row_text("token_tagging", r) in african]
    assert sorted(data.row_text("token_tagging", r) for r in dropped) == ["amen .", "sam"]
    assert ours == [r for r in udpos if r not in dropped]   # UD-POS's own split keeps them


@pytest.mark.slow
def test_a_zero_shot_target_runs_through_phase_3(kit, isolated):
    """MasakhaPOS: trained on its English split (UD-POS's rows), early-stopped on its dev split, scored in UPOS."""
    target = "masakhapos_zs"
    config = {"model": "tiny-random", "seed": 0, "intermediate": {"tasks": []},
              "target": {"task": target, "train_limit": 16, "dev_limit": 8, "eval_limit": 6, "max_length": 32,
                         "languages": ["swa", "yor"], "train": {"batch_size": 8, "learning_rate": 1e-3}}}
    folder = experiment.target(config, profile="smoke", progress=False)
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["task"] == target and metrics["split_per_language"] == {"swa": "test", "yor": "test"}
    assert all(0 <= scores["f1"] <= 100 for scores in metrics["per_language"].values())
    gold = json.loads(compressed.read_text(folder / "predictions" / "yor.jsonl.gz").splitlines()[0])["gold"]
    assert set(gold) <= set(UPOS) and "_" not in gold
