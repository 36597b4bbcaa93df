"""Every phase on every task format, end to end, with tiny-random on a few dozen real kit rows."""

import json

import pytest

from xtl import compressed, data, experiment, retrieval
from xtl.config import resolve_target
from xtl.errors import XtlError

TRAIN = {"batch_size": 8, "learning_rate": 1e-3, "freeze_word_embeddings": True}
SMALL = {"train_limit": 24, "dev_limit": 8, "max_length": 64, "train": TRAIN}


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setenv("XTL_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("XTL_CHECKPOINTS", str(tmp_path / "checkpoints"))
    return tmp_path / "results"


def _target(intermediate, target):
    return {"model": "tiny-random", "seed": 0, "intermediate": {**SMALL, **intermediate},
            "target": {**SMALL, "eval_limit": 8, **target}}


@pytest.mark.parametrize("intermediate, target", [
    ({"tasks": ["mnli"]}, {"task": "panx", "languages": ["en", "de", "zh"]}),           # pair -> tagging
    ({"tasks": ["squad", "hellaswag", "sst2"], "mlm_share": 0.3},                      # multi-task + MLM
     {"task": "xquad", "languages": ["en", "de"]}),                                    # -> extractive QA
    ({"tasks": ["xnli-translated"]}, {"task": "xnli", "languages": ["en", "sw"]}),       # C6 translated data
    ({"tasks": ["commonsenseqa"]}, {"task": "xcopa", "languages": ["sw", "zh"]}),        # multiple choice
    ({"tasks": []}, {"task": "udpos", "languages": ["en", "yo"]}),                     # baseline -> POS
])
def test_phase_2_and_3(results, intermediate, target):
    folder = experiment.target(_target(intermediate, target), profile="smoke", progress=False)
    metrics = json.loads((folder / "metrics.json").read_text())
    config = json.loads((folder / "config.json").read_text())
    env = json.loads((folder / "env.json").read_text())
    assert set(metrics["per_language"]) == set(target["languages"])
    assert all(0 <= v <= 100 for scores in metrics["per_language"].values() for v in scores.values())
    assert config["target"]["task"] == target["task"] and config["intermediate"]["tasks"] == intermediate["tasks"]
    assert env["versions"]["torch"].startswith("2.13.0") and env["wall_s"] > 0
    for lang in target["languages"]:
        lines = compressed.read_text(folder / "predictions" / f"{lang}.jsonl.gz").splitlines()
        assert len(lines) == 8 and {"gold", "prediction"} <= set(json.loads(lines[0]))
    if intermediate["tasks"]:
        phase2 = list((results / "smoke" / "intermediate").iterdir())
        assert phase2 and all((p / "metrics.json").is_file() for p in phase2)


@pytest.mark.parametrize("task, extra", [("tatoeba", {"languages": ["deu", "swh"], "limit": 16}),
                                         ("bucc2018", {"limit": 300})])
def test_retrieval(results, task, extra):
    config = {"model": "tiny-random", "seed": 0, "intermediate": {"tasks": []}, "retrieval": {"task": task, **extra}}
    folder = experiment.retrieval(config, profile="smoke", progress=False)
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["per_language"] and metrics["layer"] == 1  # round(2 layers * 14 / 24)
    for lang, scores in metrics["per_language"].items():  # the kept predictions re-score the run
        lines = [json.loads(line) for line in compressed.read_text(folder / "predictions" / f"{lang}.jsonl.gz").splitlines()]
        assert (folder / "predictions" / "xtreme" / task).is_dir()
        if task == "tatoeba":
            assert len(lines) == 16
            assert scores["accuracy"] == 100.0 * sum(line["gold"] == line["prediction"] for line in lines) / len(lines)
        else:
            pool = retrieval.subsample_pool([dict(r) for r in data.load(task, lang, "validation")], 300)
            gold = {(r["id"], r["gold_pair_id"]) for r in pool if r["lang"] != "en" and r.get("gold_pair_id")}
            again = retrieval.rescore_bucc(lines, gold)
            assert again.as_metrics() == {k: pytest.approx(v) for k, v in scores.items()}
            assert again.threshold == scores["threshold"]


def test_finished_run_is_skipped_and_killed_run_leaves_nothing(results, monkeypatch):
    config = _target({"tasks": []}, {"task": "xnli", "languages": ["en"]})
    folder = experiment.target(config, profile="smoke", progress=False)
    stamp = (folder / "metrics.json").stat().st_mtime_ns
    assert experiment.target(config, profile="smoke", progress=False) == folder
    assert (folder / "metrics.json").stat().st_mtime_ns == stamp  # skipped, not redone

    other = _target({"tasks": []}, {"task": "xnli", "languages": ["en", "sw"]})

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(experiment, "evaluate_rows", killed)
    with pytest.raises(KeyboardInterrupt):
        experiment.target(other, profile="smoke", progress=False)
    siblings = [p.name for p in folder.parent.iterdir()]
    assert siblings == [folder.name] or all(not (folder.parent / s / "metrics.json").exists()
                                           for s in siblings if s != folder.name)
    monkeypatch.undo()
    monkeypatch.setenv("XTL_RESULTS", str(results))
    redone = experiment.target(other, profile="smoke", progress=False)
    assert (redone / "metrics.json").is_file()
    assert not any(p.name.endswith(".partial") for p in folder.parent.iterdir())


@pytest.mark.parametrize("config, message", [
    ({"model": "tiny-random", "target": {"task": "xnl"}}, "unknown task"),
    ({"model": "tiny-random", "target": {"task": "xnli", "languages": ["xx"]}}, "no evaluation language xx"),
    ({"model": "tiny-randm", "target": {"task": "xnli"}}, "unknown model"),
    ({"model": "tiny-random", "target": {"task": "xnli", "epochs": 2}}, "unknown target parameter"),
    ({"model": "tiny-random", "target": {"task": "xnli", "train": {"lr": 1}}}, "unknown target.train parameter"),
    ({"model": "tiny-random", "intermediate": {"tasks": ["ccg"]}, "target": {"task": "xnli"}}, "ccg"),
])
def test_bad_parameters_fail_in_one_line(config, message):
    with pytest.raises(XtlError, match=message) as error:
        resolve_target(config)
        experiment.intermediate(config)
    assert "\n" not in str(error.value)


def test_xquad_and_mlqa_share_one_squad_trained_model(results, tmp_path, monkeypatch):
    """The second SQuAD-trained target loads the first one's model: same numbers as training it afresh."""
    def run(task):
        config = _target({"tasks": []}, {"task": task, "languages": ["en", "de"]})
        return json.loads((experiment.target(config, profile="smoke", progress=False) / "metrics.json").read_text())

    xquad, mlqa = run("xquad"), run("mlqa")
    assert xquad["train"]["trained_here"] and xquad["train"]["shared_with"] is None
    assert not mlqa["train"]["trained_here"] and mlqa["train"]["shared_with"] == "xquad"
    assert mlqa["train"]["dev_history"] == xquad["train"]["dev_history"]

    monkeypatch.setenv("XTL_RESULTS", str(tmp_path / "alone"))           # MLQA with nothing cached:
    monkeypatch.setenv("XTL_CHECKPOINTS", str(tmp_path / "alone-cache"))  # it trains, and gets the same scores
    alone = run("mlqa")
    assert alone["train"]["trained_here"] and alone["per_language"] == mlqa["per_language"]
    assert alone["train"]["dev_history"] == xquad["train"]["dev_history"]

    pawsx = _target({"tasks": []}, {"task": "pawsx", "languages": ["de"]})   # a target nobody shares: no cache
    metrics = json.loads((experiment.target(pawsx, profile="smoke", progress=False) / "metrics.json").read_text())
    assert "trained_here" not in metrics["train"]
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "alone-cache").iterdir()) == ["phase3"]
