"""The typed run config: one resolution from the dict form, its dict form back, and run ids that stay put."""

from __future__ import annotations

import dataclasses

import pytest

from xtl import config, identity, runs
from xtl.config import RunConfig, TrainConfig, resolve
from xtl.errors import XtlError

TARGET = {"model": "tiny-random", "seed": 3,
          "intermediate": {"tasks": ["mnli"], "train_limit": 50, "train": {"learning_rate": "1e-4", "epochs": 2}},
          "target": {"task": "xnli", "languages": ["en", "de"], "train": {"sentence_pooling": "mean"}}}


def test_a_dict_resolves_once_into_typed_sections():
    run = resolve(TARGET)
    assert run.kind == "target" and isinstance(run.target.train, TrainConfig)
    assert run.intermediate.train.learning_rate == 1e-4  # YAML 1.1 reads 1e-4 as a string
    assert run.intermediate.train.epochs == 2 and isinstance(run.intermediate.train.epochs, int)  # kept as given
    assert run.target.train.seed == run.intermediate.train.seed == 3  # the run's seed trains both phases
    assert run.target.train.sentence_pooling == "mean" and run.intermediate.limit("mnli") == 50
    assert resolve(run) is run and resolve(run, "intermediate").kind == "intermediate"
    with pytest.raises(XtlError, match="cannot make a retrieval run"):
        resolve(run, "retrieval")


def test_the_dict_form_resolves_to_itself():
    """config.json read back (xtl.equivalence) is the same run: same record, same run id."""
    for kind, given in (("target", TARGET), ("intermediate", {"intermediate": {"tasks": ["mnli"]}}),
                        ("retrieval", {"retrieval": {"task": "tatoeba", "prefix": "query: "}})):
        run = resolve(given, kind)
        again = resolve(run.record(), kind)
        assert again == run and again.record() == run.record()
        assert identity.of(kind, again).run_id == identity.of(kind, run).run_id


def test_the_record_keeps_the_keys_runs_have_always_recorded():
    record = resolve({"target": {"task": "xnli"}}).record()
    assert list(record) == ["model", "seed", "intermediate", "target"]
    assert list(record["target"]) == ["task", "train_limit", "dev_limit", "eval_limit", "max_length", "languages",
                                      "train", "eval_batch_size"]
    assert tuple(record["target"]["train"]) == config.TRAIN_KEYS == (
        "learning_rate", "batch_size", "epochs", "max_steps", "eval_every", "patience", "grad_accum", "warmup_ratio",
        "weight_decay", "freeze_word_embeddings", "sampling", "temperature", "cap", "mixed_precision",
        "max_grad_norm", "mlm_probability")  # never add to it: a new field is recorded only when set


def test_a_new_training_field_changes_run_ids_only_when_set():
    widened = dataclasses.make_dataclass("Widened", [("new_knob", int, dataclasses.field(default=7))],
                                         bases=(TrainConfig,))
    assert widened().record() == TrainConfig().record()
    assert widened(new_knob=8).record() == {**TrainConfig().record(), "new_knob": 8}
    for name in {f.name for f in dataclasses.fields(TrainConfig)} - set(config.TRAIN_KEYS) - set(config.NOT_RECORDED):
        assert name not in TrainConfig().record(), f"{name} at its default must not enter config.json"
    plain, pooled = (resolve({"target": {"task": "xnli", "train": train}}) for train in ({}, {"sentence_pooling": "first"}))
    assert runs.config_hash(plain.record()) == runs.config_hash(pooled.record())  # set to its default: the same run


@pytest.mark.parametrize("given, message", [
    ({"seed": -3}, "seed must be an integer from 0 to 4294967295, not -3"),
    ({"seed": True}, "seed must be an integer"),
    ({"target": {"task": "xnli", "train": {"epochs": 0}}}, "target.train: epochs must be above 0"),
    ({"target": {"task": "xnli", "train": {"max_steps": -1}}}, "target.train: max_steps must be at least 0"),
    ({"target": {"task": "xnli", "train": {"temperature": 0.0}}}, "temperature must be above 0"),
    ({"target": {"task": "xnli", "train": {"seed": 1}}}, "unknown target.train parameter(s) seed"),
    ({"target": {"task": "xnli", "train": {"compile": True}}}, "unknown target.train parameter(s) compile"),
    ({"retrieval": {"task": "tatoeba", "prefix": 3}}, "retrieval.prefix must be a string"),
    ({"retrieval": {"task": "tatoeba"}, "tagret": {}}, "unknown parameter(s) tagret"),
])
def test_every_field_is_checked_in_one_line(given, message):
    with pytest.raises(XtlError) as caught:
        resolve(given)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_hand_made_config_cannot_train_with_another_seed():
    with pytest.raises(XtlError, match="is not the run's seed"):
        RunConfig("tiny-random", 1, config.IntermediateConfig())
    assert RunConfig("tiny-random", 0, config.IntermediateConfig()).record() == resolve({"model": "tiny-random"}).record()
