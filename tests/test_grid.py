"""The background grid: steps parsed, finished runs harvested once, a second grid refused."""

import json
import multiprocessing
import os
import subprocess
import time

import pytest

from xtl import grid
from xtl.errors import XtlError


def _git(where, *args):
    subprocess.run(["git", "-C", str(where), *args], check=True, capture_output=True)


def _repo(path):
    path.mkdir()
    _git(path, "init", "-q")
    _git(path, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "start")
    return path


def _finished_run(worktree, profile, label, folder):
    results = worktree / "results" / folder
    results.mkdir(parents=True)
    (results / "metrics.json").write_text("{}")
    notebook = worktree / "book" / "runs" / profile / "target" / f"{label}.ipynb"
    notebook.parent.mkdir(parents=True, exist_ok=True)
    notebook.write_text("{}")
    manifest = worktree / "book" / "runs" / profile / "runs.json"
    entries = json.loads(manifest.read_text()) if manifest.is_file() else {}
    entries[label] = {"results": folder, "notebook": f"target/{label}.ipynb", "notebook_wall_s": 61.0}
    manifest.write_text(json.dumps(entries))


def test_a_step_is_a_profile_with_optional_run_names():
    assert grid.parse_step("reference") == ["--profile", "reference"]
    assert grid.parse_step("reference:a-s0,b") == ["--profile", "reference", "--only", "a-s0", "b"]
    with pytest.raises(XtlError, match="names no profile"):
        grid.parse_step(":a-s0")
    assert grid.split_lanes(["a", "b:x", "//", "c"]) == [["a", "b:x"], ["c"]]
    with pytest.raises(XtlError, match="lane has no step"):
        grid.split_lanes(["a", "//"])


def test_harvest_copies_finished_runs_once_and_leaves_unfinished_and_committed_ones(tmp_path):
    place = grid.Place(_repo(tmp_path / "main"), _repo(tmp_path / "grid"))
    _finished_run(place.worktree, "reference", "a-s0", "reference/target/a-s0-1")
    _finished_run(place.worktree, "reference", "b-s0", "reference/target/b-s0-2")
    (place.worktree / "results/reference/target/b-s0-2/metrics.json").unlink()     # still running
    _finished_run(place.worktree, "reference", "c-s0", "reference/target/c-s0-3")
    _git(place.worktree, "add", "results/reference/target/c-s0-3")                   # in the worktree's commit

    assert grid.harvest(place) == ["reference/a-s0 (61 s)"]
    assert (place.checkout / "results/reference/target/a-s0-1/metrics.json").is_file()
    assert (place.checkout / "book/runs/reference/target/a-s0.ipynb").is_file()
    assert list(json.loads((place.checkout / "book/runs/reference/runs.json").read_text())) == ["a-s0"]
    assert grid.harvest(place) == []


def test_start_refuses_a_second_grid_and_harvests_before_it_moves_the_worktree(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(grid, "AUTOGROUP", tmp_path / "autogroup")
    (tmp_path / "autogroup").write_text("1\n")
    place = grid.Place(_repo(tmp_path / "main"), tmp_path / "grid")
    place.pid_file.write_text(str(os.getpid()))
    with pytest.raises(XtlError, match="a grid is running"):
        grid.start(place, ["laptop"])
    place.pid_file.write_text("999999999")

    _git(place.checkout, "worktree", "add", "--detach", str(place.worktree), "HEAD")
    _finished_run(place.worktree, "laptop", "a-s0", "laptop/target/a-s0-1")
    launched = []
    monkeypatch.setattr(grid, "_launch", lambda place, steps, threads: launched.append((steps, threads)) or 4242)
    monkeypatch.setattr(grid.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(grid, "_state_at_commit", lambda place, step: f"at the pinned commit: {step}")
    assert grid.start(place, ["laptop:a-s0", "//", "laptop:b-s0"]) == [4242, 4242]
    assert launched == [(["laptop:a-s0"], 1), (["laptop:b-s0"], 1)]
    assert place.pid_file.read_text() == "4242 4242"
    out = capsys.readouterr().out
    assert "harvested laptop/a-s0" in out and "autogroup: switched off" in out
    assert (place.checkout / "results/laptop/target/a-s0-1/metrics.json").is_file()
    assert not (place.worktree / "results").exists()                                   # a fresh worktree
    assert (tmp_path / "autogroup").read_text() == "0"
    with pytest.raises(XtlError, match="names no profile"):
        grid.start(place, [":x"])


def test_drive_runs_each_step_and_logs_its_end(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(grid.subprocess, "run", lambda args, **k: calls.append(args[3:]) or
                        type("Done", (), {"returncode": 2 if "bad" in args else 0})())
    assert grid.drive(["a:x", "bad"]) == 2
    assert calls == [["run", "--profile", "a", "--only", "x"], ["run", "--profile", "bad"]]
    assert "step bad ended, status 2" in capsys.readouterr().out


def _add_entries(folder, start):
    os.environ["XTL_BOOK_RUNS"] = str(folder)
    from xtl import book_index, runs
    for k in range(start, start + 15):
        with book_index._manifest_lock("lanes"):
            manifest = book_index.read_manifest("lanes")
            time.sleep(0.002)  # another lane's write would land here without the lock
            manifest[f"run-{k}"] = {}
            runs.write_json(book_index.manifest_path("lanes"), manifest)


def test_two_lanes_recording_runs_at_once_keep_every_entry(tmp_path):
    context = multiprocessing.get_context("fork")
    lanes = [context.Process(target=_add_entries, args=(tmp_path, start)) for start in (0, 100)]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join(30)
    manifest = json.loads((tmp_path / "lanes" / "runs.json").read_text())
    assert len(manifest) == 30
