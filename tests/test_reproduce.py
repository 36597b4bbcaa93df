"""Reproduction on demand (`make reproduce`): the comparison, the sample, the resume, the errors, the page.

Fakes stand in for training: a fake profile's manifest and result folders under tmp_path, and a fake re-make
that copies a committed run (changed where a test says so). One test re-makes a tiny real run.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from xtl import compressed, experiment, runner, runs
from xtl.paths import repo_root
from xtl.reproduction import plan, report
from xtl.reproduction import run as reproduce
from xtl.reproduction.compare import compare

LANGS = ["en", "de", "sw"]
TARGETS = {"xnli": "target", "panx": "target", "tatoeba": "retrieval"}
SETTINGS = ["baseline", "mnli"]
MACHINE = {"cpu": "Test CPU 9000", "cores": 2, "torch_threads": 2, "accelerator": None}


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Results, manifests and the cache (the scratch folder) under tmp_path, never the repo."""
    monkeypatch.setenv("XTL_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv(runner.BOOK_RUNS_ENV, str(tmp_path / "book"))
    monkeypatch.setenv("XTL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("XTL_CHECKPOINTS", str(tmp_path / "checkpoints"))
    return tmp_path


def _write_run(folder: Path, target: str, setting: str, seed: int = 0) -> None:
    """A committed result folder: config, metrics and (targets only, as today) gzipped predictions."""
    kind = TARGETS[target]
    runs.write_json(folder / "config.json", {"model": "tiny-random", "seed": seed,
                                             "intermediate": {"tasks": [] if setting == "baseline" else [setting]},
                                             kind: {"task": target, "languages": LANGS}})
    scores = {lang: {"accuracy": 40.0 + k + seed} for k, lang in enumerate(LANGS)}
    runs.write_json(folder / "metrics.json", {"task": target, "metric": "accuracy", "per_language": scores,
                                              "average": {"accuracy": 41.0}, "english_dev": 50.0, "wall_s": 10.0})
    if kind == "target":
        for lang in LANGS:
            lines = [json.dumps({"id": i, "prediction": (i + seed) % 3}) for i in range(10)]
            compressed.write_text(folder / "predictions" / f"{lang}.jsonl.gz", "\n".join(lines) + "\n")


def _fake_profile(root: Path, name: str = "fake", seeds: tuple[int, ...] = (0,)) -> list[str]:
    """A profile with every target x setting x seed committed, plus one phase-2-only run; its labels."""
    manifest = {"intermediate/mnli-s0": {"kind": "intermediate", "experiment": "intermediate", "name": "mnli-s0",
                                         "results": f"{name}/intermediate/mnli-s0-x", "notebook_wall_s": 30.0,
                                         "cells": {"intermediate": "mnli"}, "config": {}}}
    for target, kind in TARGETS.items():
        for setting in SETTINGS:
            for seed in seeds:
                label = f"{kind}/{setting}-{target}-s{seed}"
                results = f"{name}/{kind}/{target}-{setting}-s{seed}-0123456789"
                _write_run(root / "results" / results, target, setting, seed)
                manifest[label] = {"kind": kind, "experiment": kind, "name": label.split("/")[1], "results": results,
                                   "notebook_wall_s": 20.0, "cells": {"intermediate": setting, kind: target},
                                   "config": json.loads((root / "results" / results / "config.json").read_text())}
    runs.write_json(root / "book" / name / "runs.json", manifest)
    return sorted(label for label, entry in manifest.items() if entry["kind"] != "intermediate")


class FakeRemake:
    """Copies the committed run into the scratch folder, as a re-run would write it; `change` alters some copies,
    and the call numbered `crash_at` raises KeyboardInterrupt (a kill) before writing anything."""

    def __init__(self, change=None, crash_at: int | None = None):
        self.calls: list[str] = []
        self.change, self.crash_at = change or {}, crash_at

    def __call__(self, folder: Path, scratch: Path) -> Path:
        self.calls.append(folder.name)
        if self.crash_at is not None and len(self.calls) == self.crash_at:
            raise KeyboardInterrupt
        again = scratch / "results" / "same-numbers" / folder.parent.name / folder.name
        shutil.copytree(folder, again)
        for name, alter in self.change.items():
            if name in folder.name:
                alter(again)
        return again


def _reproduce(**kwargs) -> tuple[int, str]:
    out = io.StringIO()
    kwargs.setdefault("describe", lambda: MACHINE)
    code = reproduce.reproduce(kwargs.pop("profile", "fake"), out=out, **kwargs)
    return code, out.getvalue()


def _change_line(folder: Path, lang: str = "de", line: int = 3) -> None:
    path = folder / "predictions" / f"{lang}.jsonl.gz"
    lines = compressed.read_text(path).splitlines()
    lines[line] = json.dumps({"id": line, "prediction": 99})
    compressed.write_text(path, "\n".join(lines) + "\n")


def _change_metric(folder: Path, lang: str = "sw", by: float = 0.5) -> None:
    metrics = json.loads((folder / "metrics.json").read_text())
    metrics["per_language"][lang]["accuracy"] += by
    runs.write_json(folder / "metrics.json", metrics)


# ----------------------------------------------------------------------------------- the comparison

@pytest.fixture
def pair(tmp_path):
    committed, again = tmp_path / "committed", tmp_path / "again"
    _write_run(committed, "xnli", "mnli")
    shutil.copytree(committed, again)
    return committed, again


def test_the_same_run_compares_the_same(pair):
    found = compare(*pair)
    assert found.same and found.metric_max_diff == 0.0 and found.share_differing == 0.0
    assert (found.prediction_files, found.prediction_lines) == (3, 30)


def test_a_changed_prediction_is_caught(pair):
    _change_line(pair[1])
    found = compare(*pair)
    assert not found.same and found.differing_lines == 1 and found.share_differing == pytest.approx(1 / 30)
    assert found.metric_max_diff == 0.0 and not found.metric_differences and found.differing_files == ["predictions/de.jsonl"]


def test_a_changed_metric_is_caught_with_its_size(pair):
    _change_metric(pair[1], "sw", by=0.25)
    found = compare(*pair)
    assert not found.same and found.metric_max_diff == pytest.approx(0.25) and found.differing_lines == 0
    assert found.metric_differences == ["per_language.sw.accuracy: 42.0 then, 42.25 now"]


def test_a_missing_prediction_file_is_caught(pair):
    (pair[1] / "predictions" / "de.jsonl.gz").unlink()
    found = compare(*pair)
    assert not found.same and found.missing_files == ["predictions/de.jsonl"] and found.differing_lines == 10


def test_a_metric_only_one_side_has_is_a_difference(pair):
    metrics = json.loads((pair[1] / "metrics.json").read_text())
    del metrics["english_dev"]
    runs.write_json(pair[1] / "metrics.json", metrics)
    assert compare(*pair).metric_differences == ["english_dev: 50.0 then, None now"]


def test_a_prediction_file_only_the_remade_run_has_is_an_addition_and_plain_equals_gzipped(pair):
    committed, again = pair
    compressed.write_text(again / "predictions" / "xtreme" / "test-de.tsv.gz", "0\n1\n")
    plain = committed / "predictions" / "en.jsonl"
    plain.write_text(compressed.read_text(committed / "predictions" / "en.jsonl.gz"))
    (committed / "predictions" / "en.jsonl.gz").unlink()  # an older run kept it plain
    found = compare(committed, again)
    assert found.same and found.added_files == ["predictions/xtreme/test-de.tsv"]


# ----------------------------------------------------------------------------------- the sample

def _grid(targets: int = 9, settings: int = 2, seeds: int = 3) -> dict[str, tuple[str, str]]:
    return {f"{s}-t{t}-s{k}": (f"t{t}", s) for t in range(targets) for s in ("baseline", "mnli")[:settings]
            for k in range(seeds)}


def test_the_sample_is_deterministic_and_independent_of_order():
    strata = _grid()
    reordered = dict(reversed(list(strata.items())))
    assert plan.stratified_sample(strata, 5) == plan.stratified_sample(reordered, 5) == plan.stratified_sample(strata, 5)
    assert len({tuple(plan.stratified_sample(strata, 5, seed)) for seed in range(5)}) > 1  # the seed draws


@pytest.mark.parametrize("n", [1, 2, 5, 9, 12, 54])
def test_the_sample_covers_as_many_targets_and_settings_as_n_allows(n):
    strata = _grid()
    for seed in range(10):
        picked = plan.stratified_sample(strata, n, seed)
        assert len(picked) == len(set(picked)) == n
        targets = [strata[label][0] for label in picked]
        assert len(set(targets)) == min(n, 9) and len({strata[label][1] for label in picked}) == min(n, 2)
        assert max(targets.count(t) for t in set(targets)) - min(targets.count(t) for t in set(targets)) <= 1


def test_the_sample_covers_both_axes_where_a_greedy_draw_would_not():
    """(A,x), (A,y), (B,x): only (A,y) with (B,x) covers both targets and both settings with two runs."""
    strata = {"A-x": ("A", "x"), "A-y": ("A", "y"), "B-x": ("B", "x")}
    for seed in range(20):
        assert sorted(plan.stratified_sample(strata, 2, seed)) == ["A-y", "B-x"]


def test_choose_takes_every_run_without_a_sample_and_spreads_a_sample(isolated):
    labels = _fake_profile(isolated, seeds=(0, 1, 2))
    committed, phase2_only = plan.committed_runs("fake")
    assert [run.label for run in committed] == labels and phase2_only == 1
    assert plan.choose(committed, None) == committed == plan.choose(committed, 100)
    chosen = plan.choose(committed, 3)
    assert len({run.target for run in chosen}) == 3 and len({run.setting for run in chosen}) == 2


# ----------------------------------------------------------------------------------- a reproduction

def test_a_reproduction_reports_same_runs_and_writes_report_table_and_page(isolated):
    labels = _fake_profile(isolated)
    committed = {p: p.read_bytes() for p in (isolated / "results" / "fake").rglob("*") if p.is_file()}
    page = isolated / "reproduction.md"
    code, out = _reproduce(remake_run=FakeRemake(), page=page)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("reproduce fake: 6 of its 6 committed target and retrieval runs; 0 compared earlier")
    assert len([line for line in lines if line.startswith("[")]) == 6 and "~" in lines[1] and " left" in lines[1]
    assert lines[-1].startswith("6 of 6 fake target and retrieval runs re-made on Test CPU 9000, 2 cores, torch threads 2 on ")
    assert ": same numbers and predictions" in lines[-1]
    (path, saved), = report.read_reports()
    assert sorted(saved["runs"]) == labels and all(o["same"] and o["machine"] == MACHINE for o in saved["runs"].values())
    assert {o["git_revision"] for o in saved["runs"].values()} == {runs.git_revision()}
    assert path.with_suffix(".md").read_text().count("| same |") == 6
    assert "`" + path.name + "`" in page.read_text() and "| 6 of 6 |" in page.read_text()
    assert {p: p.read_bytes() for p in (isolated / "results" / "fake").rglob("*") if p.is_file()} == committed
    assert not (isolated / "cache" / "reproductions").exists() or not any((isolated / "cache" / "reproductions").iterdir())


def test_a_differing_run_is_reported_with_how_far_apart(isolated):
    _fake_profile(isolated)
    fake = FakeRemake(change={"xnli-mnli": _change_line, "panx-baseline": _change_metric})
    code, out = _reproduce(remake_run=fake)
    assert code == 1
    assert "target/mnli-xnli-s0 ... DIFFERS: largest metric difference 0.00, 1 of 30 prediction lines (3.3%)" in out
    assert "target/baseline-panx-s0 ... DIFFERS: largest metric difference 0.50" in out
    line = report.summary_line("fake")
    assert line.endswith(": 4 the same, 2 differ (largest metric difference 0.50 points, up to 3.3% of a run's predictions)")


def test_a_killed_reproduction_resumes_with_the_runs_not_yet_compared(isolated):
    labels = _fake_profile(isolated)
    killed = FakeRemake(crash_at=3)
    with pytest.raises(KeyboardInterrupt):
        _reproduce(remake_run=killed)
    (path, saved), = report.read_reports()
    assert sorted(saved["runs"]) == sorted(labels[:2]) and saved["planned"] == labels
    assert not [p for p in path.parent.iterdir() if p.suffix == ".tmp"]  # nothing half-written
    assert "4 still to go" in report.summary_line("fake")
    resumed = FakeRemake()
    code, out = _reproduce(remake_run=resumed)
    assert code == 0 and "2 compared earlier at this revision, 4 to re-make" in out
    assert len(resumed.calls) == 4 and resumed.calls[0] == killed.calls[2]  # the killed run is made again
    assert not set(resumed.calls) & set(killed.calls[:2])  # the two compared before are not
    (same_path, done), = report.read_reports()
    assert same_path == path and sorted(done["runs"]) == labels
    again = FakeRemake()
    assert _reproduce(remake_run=again)[0] == 0 and again.calls == []  # finished at this revision: nothing re-made


def test_a_sample_of_another_profile_draws_its_runs_and_names_its_report(isolated):
    _fake_profile(isolated, seeds=(0, 1, 2))
    fake = FakeRemake()
    code, listing = _reproduce(remake_run=fake, sample=4, dry_run=True)
    assert code == 0 and fake.calls == [] and not report.read_reports()  # a dry run lists, writes nothing
    assert len([line for line in listing.splitlines() if line.startswith("[")]) == 4
    code, out = _reproduce(remake_run=fake, sample=4)
    assert code == 0 and len(fake.calls) == 4 and "(a sample spread over targets and settings)" in out
    (path, saved), = report.read_reports()
    assert path.name.endswith("-sample4.json") and saved["request"] == {"sample": 4, "seed": 0}
    assert len({saved["runs"][label]["target"] for label in saved["runs"]}) == 3
    assert report.summary_line("fake").startswith("4 of 18 fake target and retrieval runs re-made (a sample")


# ----------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("argv, words", [
    (["--profile", "no-such-profile"], "unknown profile 'no-such-profile'"),
    (["--profile", "fake", "--sample", "0"], "SAMPLE must be a positive whole number"),
    (["--profile", "fake", "--sample", "five"], "SAMPLE must be a positive whole number"),
    (["--profile", "fake", "--sample=-3"], "SAMPLE must be a positive whole number"),
    (["--profile", "phase2"], "profile 'phase2' has no committed target or retrieval runs"),
    (["--profile", "gpu"], "profile 'gpu' has no committed target or retrieval runs"),
])
def test_bad_input_fails_in_one_line_naming_the_fix(isolated, capsys, argv, words):
    _fake_profile(isolated)
    runs.write_json(isolated / "book" / "phase2" / "runs.json", {"intermediate/mnli-s0": {"kind": "intermediate"}})
    assert reproduce.main([*argv, "--page", str(isolated / "page.md")]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"error: {words}") and captured.err.count("\n") == 1
    assert "Traceback" not in captured.err and not (isolated / "page.md").exists()
    if "has no committed" in words:
        assert "fake" in captured.err  # names a profile that has runs


# ----------------------------------------------------------------------------------- the book

def test_with_no_report_the_page_and_the_line_say_so(isolated):
    assert report.summary_line("laptop") == "No reproduction of the laptop runs has been recorded yet (make reproduce records one)."
    assert "No reproduction has been recorded yet" in report.render_page()


def test_the_committed_page_is_computed_from_the_committed_reports():
    """book/reproduction.md is never typed: it is what the reports in results/reproductions render to."""
    page = repo_root() / "book" / "reproduction.md"
    assert page.read_text() == report.render_page(repo_root() / "results" / report.FOLDER), \
        "regenerate it: python -m xtl.reproduction --page-only"


def test_the_page_is_in_the_books_evidence_part():
    toc = (repo_root() / "_toc.yml").read_text()
    assert "- file: book/reproduction" in toc.split("caption: Evidence", 1)[1]


# ----------------------------------------------------------------------------------- a real re-make

def test_a_tiny_real_run_is_remade_the_same_in_a_scratch_folder(isolated):
    """equivalence.rerun through the default re-make: same numbers and predictions (per language and in the
    leaderboard layout: 4 files), the committed folder untouched."""
    config = {"model": "tiny-random", "seed": 0, "intermediate": {"tasks": []},
              "target": {"task": "pawsx", "train_limit": 24, "dev_limit": 8, "max_length": 64, "eval_limit": 8,
                         "languages": ["de", "zh"], "train": {"batch_size": 8, "learning_rate": 1e-3,
                                                              "freeze_word_embeddings": True}}}
    folder = experiment.target(config, profile="tiny", progress=False)
    runs.write_json(isolated / "book" / "tiny" / "runs.json", {"target/baseline-pawsx-s0": {
        "kind": "target", "experiment": "target", "name": "baseline-pawsx-s0", "notebook_wall_s": 5.0,
        "results": str(folder.relative_to(isolated / "results")), "cells": {"intermediate": "baseline", "target": "pawsx"},
        "config": json.loads((folder / "config.json").read_text())}})
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    code, out = _reproduce(profile="tiny", describe=reproduce.machine)
    assert code == 0, out
    assert "[1/1] target/baseline-pawsx-s0 ... same numbers and predictions" in out
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    (_, saved), = report.read_reports()
    outcome = saved["runs"]["target/baseline-pawsx-s0"]
    assert outcome["prediction_files"] == 4 and outcome["machine"]["torch_threads"] >= 1 and outcome["wall_s"] > 0


# ----------------------------------------------------------------------------------- make book's last line

def test_xtl_run_ends_with_what_it_made_reused_and_kept(isolated):
    from tests.test_runner import FakeExecutor  # the runner's own fake papermill

    first = io.StringIO()
    planned = runner.run_profile("smoke", executor=FakeExecutor(), out=first)
    n = len(planned)
    assert first.getvalue().splitlines()[-1] == f"xtl run --profile smoke: {n} runs: {n} made, 0 reused (finished " \
                                                "earlier by this code), 0 kept though stale"
    runs.write_json(planned[1].results / "env.json", {"core_fingerprint": "0123456789abcdef"})  # made by other code
    second = io.StringIO()
    runner.run_profile("smoke", executor=FakeExecutor(), out=second)
    expected = (f"xtl run --profile smoke: {n} runs: 0 made, {n - 1} reused (finished earlier by this code), 1 kept "
                "though stale (made by other or unknown core code; --rerun-stale re-makes them)")
    assert second.getvalue().splitlines()[-1] == expected == runner.last_summary("smoke")
