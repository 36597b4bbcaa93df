"""Loading the kit: canonical rows, no leakage into evaluated data, and one-line errors."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

from xtl import data, tasks
from xtl.errors import XtlError
from xtl.paths import data_root

CANONICAL = {
    "sentence_classification": {"text", "label"},
    "pair_classification": {"text_a", "text_b", "label"},
    "token_tagging": {"tokens", "tags"},
    "extractive_qa": {"id", "context", "question", "answers"},
    "multiple_choice": {"context", "question", "choices", "label"},
    "raw_text": {"text"},
}
TARGETS = tasks.names("target")


def _columns(task):
    if task.format == "retrieval":
        return {"id", "lang", "sentence", "gold_pair_id"} if task.sentence_pool else {"source", "target"}
    return CANONICAL[task.format]


def _first_split(task):
    """One language and split worth loading: the first evaluated one, else the training split."""
    if task.eval_split:
        lang = next(iter(task.eval_split))
        return lang, task.eval_split[lang]
    return task.languages[0], task.train_split


def check_row(task, row):
    assert set(row) == _columns(task)
    if task.format in ("sentence_classification", "pair_classification"):
        assert 0 <= row["label"] < len(task.label_names)
        assert all(isinstance(row[k], str) and row[k].strip() for k in row if k != "label")
    elif task.format == "token_tagging":
        assert len(row["tokens"]) == len(row["tags"]) > 0
        assert all(0 <= tag < len(task.label_names) for tag in row["tags"])
    elif task.format == "multiple_choice":
        assert len(row["choices"]) == len(task.label_names)
        assert 0 <= row["label"] < len(row["choices"])
        assert row["context"].strip() and all(isinstance(c, str) for c in row["choices"])
    elif task.format == "extractive_qa":
        answers = row["answers"]
        assert len(answers["text"]) == len(answers["answer_start"]) > 0
        for text, start in zip(answers["text"], answers["answer_start"]):
            assert row["context"][start:start + len(text)] == text
    elif task.format == "raw_text":
        assert row["text"].strip()


@pytest.mark.parametrize("name", [n for n in tasks.names() if n != "ccg"])
def test_every_task_loads_canonical_rows(kit, name):
    task = tasks.get(name)
    lang, split = _first_split(task)
    rows = data.load(name, lang, split, limit=40)
    assert 0 < len(rows) <= 40
    assert set(rows.column_names) == _columns(task)
    for row in rows:
        check_row(task, row)


def test_ccg_is_missing_with_a_one_line_licence_message(kit):
    with pytest.raises(XtlError) as error:
        data.load("ccg", "en", "train")
    message = str(error.value)
    assert "\n" not in message and "LDC" in message and "not in the kit" in message


def _convert(task, row):
    return tasks.get(task).convert(row)


def test_conversions_of_kit_fields():
    social = _convert("socialiqa", {"context": "c", "question": "q", "answerA": "a", "answerB": "b",
                                    "answerC": "x", "label": "3"})
    assert social == {"context": "c", "question": "q", "choices": ["a", "b", "x"], "label": 2}
    csqa = _convert("commonsenseqa", {"question": "q?", "choices": {"label": list("ABCDE"), "text": list("vwxyz")},
                                      "answerKey": "D"})
    assert csqa["label"] == 3 and csqa["choices"] == list("vwxyz") and csqa["context"] == "q?"
    copa = _convert("xcopa", {"premise": "p", "choice1": "a", "choice2": "b", "question": "cause", "label": 1})
    assert copa == {"context": "p", "question": "What was the cause?", "choices": ["a", "b"], "label": 1}
    assert _convert("tatoeba", {"source_sentence": "s", "target_sentence": "t", "source_lang": "deu",
                                "target_lang": "eng"}) == {"source": "s", "target": "t"}
    assert _convert("masakhapos", {"id": "0", "tokens": ["a"], "upos": [3]}) == {"tokens": ["a"], "tags": [3]}
    assert _convert("qqp", {"question1": "a", "question2": "b", "label": "1"}) == {"text_a": "a", "text_b": "b",
                                                                                   "label": 1}


def test_limit_is_a_deterministic_seeded_sample(kit):
    first = data.load("xnli", "de", "test", limit=25, seed=3)
    assert first.to_list() == data.load("xnli", "de", "test", limit=25, seed=3).to_list()
    assert first.to_list() != data.load("xnli", "de", "test", limit=25, seed=4).to_list()
    everything = {json.dumps(r, sort_keys=True) for r in data.rows("xnli", "de", "test")}
    assert {json.dumps(r, sort_keys=True) for r in first} <= everything


def test_retrieval_limits_keep_alignment(kit):
    pairs = data.load("tatoeba", "deu", "validation", limit=30, seed=1)
    full = {(r["source"], r["target"]) for r in data.rows("tatoeba", "deu", "validation")}
    assert all((r["source"], r["target"]) in full for r in pairs)
    bucc = data.load("bucc2018", "zh", "validation", limit=3000, seed=0).to_list()
    ids = {r["id"] for r in bucc}
    assert any(r["gold_pair_id"] for r in bucc)
    assert all(r["gold_pair_id"] in ids for r in bucc if r["gold_pair_id"])


def test_qa_ids_are_unique(kit):
    for name, lang, split in [("tydiqa", "en", "train"), ("tydiqa", "en", "dev"), ("squad", "en", "train")]:
        ids = [r["id"] for r in data.rows(name, lang, split)]
        assert len(ids) == len(set(ids))


# ----------------------------------------------------------------------------------- leakage


def _texts(task, rows):
    return {data.row_text(task.format, row) for row in rows}


def _training_rows(task):
    out = []
    for name, split in ((task.train_task, task.train_split), (task.dev_task, task.dev_split)):
        source = tasks.get(name or task.name)
        out.append((f"{source.name}/{task.train_lang}/{split}", source,
                    data.rows(source.name, task.train_lang, split)))
    return out


@pytest.mark.parametrize("name", TARGETS)
def test_no_training_or_dev_row_is_an_evaluated_row(kit, name):
    task = tasks.get(name)
    evaluated = [r for lang, split in task.eval_split.items() for r in data.rows(name, lang, split)]
    evaluated_texts = _texts(task, evaluated)
    contexts = {data.row_text("raw_text", {"text": r["context"]}) for r in evaluated} \
        if task.format == "extractive_qa" else set()
    for label, source, rows in _training_rows(task):
        assert rows, label
        assert not _texts(source, rows) & evaluated_texts, label
        if contexts:  # a passage seen in training leaks every question on it
            assert not {data.row_text("raw_text", {"text": r["context"]}) for r in rows} & contexts, label
    # items are translations across languages: a kit split that trains must not be evaluated in any language
    derived_from = {out: d.source for d in task.derived for out in d.outputs}
    training_sources = set()
    for source, split in ((task.train_task, task.train_split), (task.dev_task, task.dev_split)):
        if (source or name) == name:
            training_sources.update(derived_from.get(split, (split,)))
    assert not training_sources & set(task.eval_split.values()), name


def test_pawsx_training_items_are_not_translations_of_evaluated_items(kit):
    # zh/validation carries the PAWS-X ids of the items that en/validation (our training data) translates
    training_ids = {r["id"] for r in _raw("pawsx", "zh", "validation")}
    for lang in tasks.get("pawsx").eval_split:
        assert not training_ids & {r["id"] for r in _raw("pawsx", lang, "test")}


def _raw(task, lang, split):
    with gzip.open(data_root() / task / lang / f"{split}.jsonl.gz", "rt") as handle:
        return [json.loads(line) for line in handle]


def test_derived_splits_are_disjoint_and_cover_their_source(kit):
    for task in tasks.all_tasks():
        for derivation in task.derived:
            rest_name, held_name = derivation.outputs
            source = [r for split in derivation.source for r in _raw(task.kit_name, derivation.lang, split)]
            rest, held = data.carve(source, derivation)
            assert len(rest) + len(held) == len(source)
            assert 0.04 * len(source) <= len(held) <= 0.2 * len(source), task.name
            for field in derivation.group_by:
                assert not {json.dumps(r[field]) for r in rest} & {json.dumps(r[field]) for r in held}, task.name
            loaded_rest = data.rows(task.name, derivation.lang, rest_name)
            loaded_held = data.rows(task.name, derivation.lang, held_name)
            mixed = {split: sum(len(data.rows(*m)) for m in task.mix.get(split, ())) for split in derivation.outputs}
            assert len(loaded_rest) <= len(rest) + mixed[rest_name], task.name
            assert len(loaded_held) <= len(held) + mixed[held_name], task.name
            assert not _texts(task, loaded_rest) & _texts(task, loaded_held), task.name


@pytest.mark.parametrize("name", ["pawsx", "cosmosqa", "tydiqa"])
def test_carving_depends_on_content_not_row_order(kit, name):
    derivation = tasks.get(name).derived[0]
    source = [r for split in derivation.source for r in _raw(name, derivation.lang, split)]
    forward, backward = data.carve(source, derivation), data.carve(source[::-1], derivation)
    for part in (0, 1):
        assert sorted(map(_dump, forward[part])) == sorted(map(_dump, backward[part]))


def _dump(row):
    return json.dumps(row, sort_keys=True)


def test_decontamination_counts_quoted_in_the_registry(kit):
    sizes = {("udpos", "train"): 20000 - 296, ("udpos", "validation"): 3974 - 94,
             ("panx", "train"): 19000 - 469, ("panx", "dev"): 1000 - 14}
    for (name, split), expected in sizes.items():
        assert len(data.rows(name, "en", split)) == expected, (name, split)


def test_anli_plus_mixes_anli_mnli_and_snli(kit):
    train = data.rows("anli_plus", "en", "train")
    validation = data.rows("anli_plus", "en", "validation")
    assert len(train) == 2878 + 8999 + 8999 and len(validation) == 320 + 1000 + 1000
    assert not _texts(tasks.get("anli_plus"), train) & _texts(tasks.get("anli_plus"), validation)


# ----------------------------------------------------------------------------------- errors and helpers


def _one_line_error(call, *needles):
    with pytest.raises(XtlError) as error:
        call()
    message = str(error.value)
    assert "\n" not in message, message
    for needle in needles:
        assert needle in message, message
    return message


def test_corrupt_kit_file_is_named(kit, tmp_path, monkeypatch):
    shutil.copytree(kit / "xcopa", tmp_path / "xcopa")
    target = tmp_path / "xcopa" / "en" / "test.jsonl.gz"
    raw = bytearray(target.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    target.write_bytes(bytes(raw))
    monkeypatch.setenv("XTL_DATA", str(tmp_path))
    assert len(data.load("xcopa", "et", "validation")) == 100  # other files are fine
    _one_line_error(lambda: data.load("xcopa", "en", "test"), str(target), "sha256 mismatch", "re-fetch the kit")
    assert any("corrupt kit file" in line for line in data.verify_kit(["xcopa"]))


def test_kit_not_found(tmp_path, monkeypatch):
    monkeypatch.setenv("XTL_DATA", str(tmp_path / "nowhere"))
    monkeypatch.delenv("XTL_DATA_EXTRA", raising=False)
    _one_line_error(lambda: data.load("xnli", "en", "test"), "data kit not found", "XTL_DATA")


def test_unknown_task_language_and_split(kit):
    _one_line_error(lambda: data.load("xnl", "en", "test"), "unknown task 'xnl'", "xtl tasks")
    _one_line_error(lambda: data.load("xnli", "xx", "test"), "unknown language 'xx'", "choose one of", "de")
    _one_line_error(lambda: data.load("xnli", "en", "tset"), "unknown split 'tset'", "test, validation")
    _one_line_error(lambda: data.load("afrisenti", None, "train"), "unknown language None", "hau")


def test_split_missing_offline_names_prepare_and_the_user_folder(kit, monkeypatch):
    monkeypatch.delenv("XTL_DATA_EXTRA", raising=False)
    _one_line_error(lambda: data.load("panx", "en", "test"), "panx/en/test is not in the kit",
                    "xtl data prepare panx", "$XTL_DATA_EXTRA/panx/en/test.jsonl.gz")


def test_user_folder_fills_what_the_kit_lacks(kit, tmp_path, monkeypatch):
    rows = [{"tokens": ["Paris", "is", "big"], "ner_tags": [5, 0, 0], "langs": ["en"] * 3}]
    (tmp_path / "panx" / "en").mkdir(parents=True)
    with gzip.open(tmp_path / "panx" / "en" / "test.jsonl.gz", "wt") as handle:
        handle.write("\n".join(json.dumps(r) for r in rows) + "\n")
    monkeypatch.setenv("XTL_DATA_EXTRA", str(tmp_path))
    assert "test" in data.splits("panx", "en")
    assert data.load("panx", "en", "test").to_list() == [{"tokens": ["Paris", "is", "big"], "tags": [5, 0, 0]}]
    assert len(data.load("panx", "de", "validation", limit=5)) == 5  # the kit still wins where it has the file


def test_helpers(kit):
    assert data.languages("xnli") == list(tasks.get("xnli").languages)
    assert data.eval_languages("pawsx") == ["de", "zh"]
    assert {"train", "validation"} <= set(data.splits("pawsx", "en"))
    assert set(data.splits("cosmosqa", "en")) == {"train", "validation"}
    assert data.in_kit("xnli") and not data.in_kit("ccg")
    assert data.verify_kit(["xcopa", "ccg"])[0] == "xcopa: 25 files ok"
