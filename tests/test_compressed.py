"""Compressed prediction files: reproducible bytes, both forms readable, old run folders converted."""

from __future__ import annotations

import gzip
import json
import time

import pytest

from xtl import compressed, equivalence, leaderboard
from xtl.report.items import read_predictions


def test_the_same_text_makes_the_same_bytes(tmp_path):
    first = compressed.write_text(tmp_path / "a.jsonl.gz", "héllo\n")
    time.sleep(1.1)  # gzip would stamp a different second here
    second = compressed.write_text(tmp_path / "b.jsonl.gz", "héllo\n")
    assert first.read_bytes() == second.read_bytes()
    assert gzip.decompress(first.read_bytes()).decode("utf-8") == "héllo\n"
    assert compressed.read_text(first) == "héllo\n"
    assert not list(tmp_path.glob("*.tmp"))  # atomic write leaves nothing behind


def test_a_compressed_name_must_end_in_gz(tmp_path):
    with pytest.raises(ValueError, match=r"ends in \.gz"):
        compressed.write_text(tmp_path / "a.jsonl", "x")


def test_find_prefers_the_compressed_form(tmp_path):
    assert compressed.find(tmp_path / "de.jsonl") is None
    (tmp_path / "de.jsonl").write_text("plain\n")
    assert compressed.find(tmp_path / "de.jsonl") == tmp_path / "de.jsonl"
    compressed.write_text(tmp_path / "de.jsonl.gz", "packed\n")
    assert compressed.find(tmp_path / "de.jsonl") == tmp_path / "de.jsonl.gz"


def test_leaderboard_files_compress_to_the_same_text(tmp_path):
    plain = leaderboard.write_predictions("udpos", "de", [["DET", "NOUN"]], tmp_path / "plain")
    packed = leaderboard.write_predictions("udpos", "de", [["DET", "NOUN"]], tmp_path / "packed", compress=True)
    assert packed.name == plain.name + ".gz"
    assert compressed.read_text(packed) == plain.read_text() == "DET\nNOUN\n\n"


def _old_run(root):
    """A run folder as written before predictions were compressed."""
    predictions = root / "run" / "predictions"
    (predictions / "xtreme" / "pawsx").mkdir(parents=True)
    (predictions / "de.jsonl").write_text(json.dumps({"gold": 1, "prediction": 0}) + "\n")
    (predictions / "xtreme" / "pawsx" / "test-de.tsv").write_text("0\n")
    return root / "run"


def test_old_runs_are_converted_and_read_alike(tmp_path):
    run = _old_run(tmp_path)
    before = read_predictions(run, "de")
    assert compressed.main([str(tmp_path)]) == 0
    assert sorted(p.name for p in (run / "predictions").rglob("*") if p.is_file()) == ["de.jsonl.gz", "test-de.tsv.gz"]
    assert read_predictions(run, "de") == before == [{"gold": 1, "prediction": 0}]
    assert compressed.compress_predictions(tmp_path) == 0  # nothing left to do


def test_equivalence_compares_what_files_hold_not_how_they_are_stored(tmp_path):
    old = _old_run(tmp_path / "old")
    new = _old_run(tmp_path / "new")
    compressed.compress_predictions(new)
    assert equivalence.differences_in_predictions(old, new) == []
    compressed.write_text(new / "predictions" / "de.jsonl.gz", json.dumps({"gold": 1, "prediction": 1}) + "\n")
    assert equivalence.differences_in_predictions(old, new) == ["predictions/de.jsonl differs"]


def test_missing_folders_fail_in_one_line(tmp_path, capsys):
    assert compressed.main([str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
