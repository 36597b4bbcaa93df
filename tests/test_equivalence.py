"""Fingerprints that make the same numbers: the record, its classes, and the check that writes it."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from xtl import equivalence, experiment, runs

SMALL = {"train_limit": 24, "dev_limit": 8, "max_length": 64,
         "train": {"batch_size": 8, "learning_rate": 1e-3, "freeze_word_embeddings": True}}


@pytest.fixture
def record_file(tmp_path, monkeypatch):
    path = tmp_path / "same_numbers.json"
    monkeypatch.setattr(runs, "SAME_NUMBERS_FILE", path)
    return path


def test_classes_join_through_a_shared_fingerprint(record_file):
    record_file.write_text(json.dumps({"records": [{"fingerprints": ["a", "b"]}, {"fingerprints": ["b", "c"]},
                                                   {"fingerprints": ["x", "y"]}]}))
    assert runs.equivalent_fingerprints("a") == {"a", "b", "c"}
    assert runs.same_numbers("c", current="a") and runs.same_numbers("a", current="a")
    assert not runs.same_numbers("x", current="a") and not runs.same_numbers(None, current="a")


def test_no_record_file_means_only_the_same_fingerprint(record_file):
    assert runs.equivalent_fingerprints("a") == {"a"} and not runs.same_numbers("b", current="a")


def _finished_run(tmp_path, monkeypatch, made_by="0123456789abcdef"):
    monkeypatch.setenv("XTL_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("XTL_CHECKPOINTS", str(tmp_path / "checkpoints"))
    config = {"model": "tiny-random", "seed": 0, "intermediate": {"tasks": []},
              "target": {**SMALL, "task": "pawsx", "eval_limit": 8, "languages": ["de", "zh"]}}
    folder = experiment.target(config, profile="smoke", progress=False)
    env = json.loads((folder / "env.json").read_text())
    env["core_fingerprint"] = made_by  # as if older code had made it
    (folder / "env.json").write_text(json.dumps(env))
    return folder


def test_a_rerun_with_the_same_numbers_is_recorded(tmp_path, monkeypatch, record_file, capsys):
    folder = _finished_run(tmp_path, monkeypatch)
    assert equivalence.main([str(folder)]) == 0
    assert "same numbers and predictions" in capsys.readouterr().out
    entry = json.loads(record_file.read_text())["records"][0]
    assert entry["fingerprints"] == ["0123456789abcdef", runs.core_fingerprint()]
    assert entry["checked_by"] == [f"target/{folder.name}"]
    assert runs.same_numbers("0123456789abcdef")


def test_a_rerun_with_other_numbers_records_nothing(tmp_path, monkeypatch, record_file, capsys):
    folder = _finished_run(tmp_path, monkeypatch)
    metrics = json.loads((folder / "metrics.json").read_text())
    metrics["per_language"]["de"]["accuracy"] += 1.0  # what other code would have made
    (folder / "metrics.json").write_text(json.dumps(metrics))
    assert equivalence.main([str(folder)]) == 1
    assert "per_language" in capsys.readouterr().out and not record_file.exists()


def test_bad_folders_fail_in_one_line(tmp_path, capsys):
    assert equivalence.main([str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_prediction_file_only_this_code_writes_is_an_addition_and_can_be_adopted(tmp_path, monkeypatch,
                                                                                      record_file, capsys):
    folder = _finished_run(tmp_path, monkeypatch)
    kept = folder / "predictions" / "de.jsonl.gz"
    kept.rename(tmp_path / "de.jsonl.gz")  # as if older code had not kept German predictions
    assert equivalence.main([str(folder)]) == 0
    assert "1 prediction files new in this code" in capsys.readouterr().out and not kept.exists()
    record_file.unlink()
    assert equivalence.main([str(folder), "--adopt-added"]) == 0
    assert kept.read_bytes() == (tmp_path / "de.jsonl.gz").read_bytes()


def test_a_recorded_prediction_file_this_code_no_longer_writes_is_a_difference(tmp_path, monkeypatch, record_file,
                                                                                 capsys):
    folder = _finished_run(tmp_path, monkeypatch)
    (folder / "predictions" / "en.jsonl.gz").write_bytes((folder / "predictions" / "de.jsonl.gz").read_bytes())
    assert equivalence.main([str(folder)]) == 1
    assert "predictions/en.jsonl differs" in capsys.readouterr().out and not record_file.exists()


def _xtl_imports(module: str) -> set[str]:
    """The xtl modules `xtl/<module>.py` imports, anywhere in it."""
    tree = ast.parse((Path(runs.__file__).parent / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "xtl":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("xtl."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("xtl.")}
    return found


def test_every_module_that_makes_numbers_is_in_the_fingerprint():
    """What makes a run's numbers, mechanically: every xtl module xtl.experiment reaches through its imports,
    but those `runs.OUTSIDE_CORE` names with the reason it makes no number."""
    reached, todo = set(), ["experiment"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo += sorted(_xtl_imports(module))
    assert set(runs.OUTSIDE_CORE) <= reached, "OUTSIDE_CORE names a module xtl.experiment does not import"
    missing = sorted(reached - set(runs.OUTSIDE_CORE) - set(runs.CORE_MODULES))
    assert not missing, f"add {missing} to xtl.runs.CORE_MODULES (or, with the reason, to OUTSIDE_CORE)"
    assert sorted(set(runs.CORE_MODULES) - reached) == [], "CORE_MODULES names a module xtl.experiment never imports"
