"""Kit rows into canonical rows: one converter per kit schema, named in each task's registry entry.

A converter maps one row as the kit stores it (the hub's field names) to the canonical columns of its
task's format (ARCHITECTURE.md, "Canonical rows"). `xtl.tasks` gives every `Task` its `convert`;
`xtl.data` applies it to every row it reads. Tasks whose kit differs only in field names share a
factory (`pair("premise", "hypothesis")`, a picklable partial); the others have a function of their own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

Row = dict[str, Any]
Converter = Callable[[Row], Row]

XCOPA_QUESTIONS = {"cause": "What was the cause?", "effect": "What happened as a result?"}


# ----------------------------------------------------------------------------------- by field names


def sentence(field: str) -> Converter:
    """Sentence classification: the text in `field`, an integer `label`."""
    return functools.partial(_sentence, field)


def _sentence(field: str, r: Row) -> Row:
    return {"text": r[field], "label": int(r["label"])}


def pair(a: str, b: str) -> Converter:
    """Pair classification: the two texts in `a` and `b`, an integer `label`."""
    return functools.partial(_pair, a, b)


def _pair(a: str, b: str, r: Row) -> Row:
    return {"text_a": r[a], "text_b": r[b], "label": int(r["label"])}


def tagging(field: str) -> Converter:
    """Token tagging: `tokens` and the tag ids in `field`."""
    return functools.partial(_tagging, field)


def _tagging(field: str, r: Row) -> Row:
    return {"tokens": r["tokens"], "tags": r[field]}


def retagging(field: str, new_ids: tuple[int, ...]) -> Converter:
    """Token tagging scored in another task's label set: tag id `i` in `field` becomes `new_ids[i]`."""
    return functools.partial(_retagging, field, new_ids)


def _retagging(field: str, new_ids: tuple[int, ...], r: Row) -> Row:
    return {"tokens": r["tokens"], "tags": [new_ids[tag] for tag in r[field]]}


def raw_text(r: Row) -> Row:
    return {"text": r["text"]}


# ----------------------------------------------------------------------------------- extractive QA


def _answers(answers: dict[str, Any]) -> dict[str, Any]:
    return {"text": list(answers["text"]), "answer_start": [int(s) for s in answers["answer_start"]]}


def qa(r: Row) -> Row:
    return {"id": str(r["id"]), "context": r["context"], "question": r["question"], "answers": _answers(r["answers"])}


def afriqa(r: Row) -> Row:
    """AfriQA: the question in the African language, the answer in the passage's (pivot) language."""
    return {"id": str(r["id"]), "context": r["context"], "question": r["question_lang"],
            "answers": _answers(r["answer_pivot"])}


# ----------------------------------------------------------------------------------- multiple choice


def _choice(context: str, question: str, choices: list[str], label: int) -> Row:
    return {"context": context, "question": question, "choices": list(choices), "label": int(label)}


def commonsenseqa(r: Row) -> Row:
    # No passage: the question is what the model reads first, so it goes in `context`.
    return _choice(r["question"], "", r["choices"]["text"], r["choices"]["label"].index(r["answerKey"]))


def socialiqa(r: Row) -> Row:
    return _choice(r["context"], r["question"], [r["answerA"], r["answerB"], r["answerC"]], int(r["label"]) - 1)


def cosmosqa(r: Row) -> Row:
    return _choice(r["context"], r["question"], [r[f"answer{i}"] for i in range(4)], r["label"])


def hellaswag(r: Row) -> Row:
    return _choice(r["ctx"], "", r["endings"], int(r["label"]))


def xcopa(r: Row) -> Row:
    return _choice(r["premise"], XCOPA_QUESTIONS[r["question"]], [r["choice1"], r["choice2"]], r["label"])


# ----------------------------------------------------------------------------------- retrieval and the rest


def tatoeba(r: Row) -> Row:
    return {"source": r["source_sentence"], "target": r["target_sentence"]}


def bucc(r: Row) -> Row:
    return {"id": r["id"], "lang": r["lang"], "sentence": r["sentence"], "gold_pair_id": r.get("gold_pair_id")}


def ccg(r: Row) -> Row:
    return {"tokens": list(r["tokens"]), "tags": [int(t) for t in r.get("tags", r.get("ccg_tags", []))]}


# ----------------------------------------------------------------------------------- hub rows into kit rows
# `xtl data prepare` writes the hub's rows in the kit layout; these are the tasks whose hub schema differs
# from the kit's (a task's `from_hub`). None: the row has no gold label and is not written.


def unlabelled(value: Any) -> bool:
    """A hidden label: the hub's test splits mark it None, '' or -1."""
    return value is None or value == "" or value == -1 or value == "-1"


def hub_hellaswag(r: Row, lang: str) -> Row | None:
    if unlabelled(r.get("label")):
        return None
    return {"ind": r.get("ind"), "activity_label": r.get("activity_label", ""), "ctx": r["ctx"],
            "endings": list(r["endings"]), "label": int(r["label"])}


def hub_commonsenseqa(r: Row, lang: str) -> Row | None:
    return None if unlabelled(r.get("answerKey")) else r


def hub_tatoeba(r: Row, lang: str) -> Row:
    return {**r, "source_lang": lang, "target_lang": "eng"}  # the hub fills the language fields with file paths
