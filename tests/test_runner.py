"""The grid runner without kernels: expansion, validation, skip/resume, failures, the index page.

A fake executor stands in for papermill: it rebuilds the config from the notebook parameters (as
the templates do) and writes a result folder where xtl.experiment would, so these tests also check
that the runner's parameters round-trip to the run folder it expects.
"""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path

import pytest
import yaml

from xtl import book_index, estimate, identity, notebook_parameters, profile_cost, profiles, results, runner, runs
from xtl.config import resolve
from xtl.errors import XtlError
from xtl.paths import repo_root


@pytest.fixture(scope="module")
def grid():
    return profiles.load_grid()


class FakeExecutor:
    """Writes an output notebook and a complete result folder; optionally fails at call `fail_at`."""

    def __init__(self, fail_at: int | None = None, error: BaseException | None = None):
        self.calls: list[str] = []
        self.fail_at, self.error = fail_at, error

    def __call__(self, template: Path, output: Path, parameters: dict) -> None:
        self.calls.append(f"{parameters.get('experiment', 'intermediate')}:{parameters['model']}:"
                          f"{parameters['intermediate_tasks']}:{parameters.get('target_task', parameters.get('retrieval_task'))}")
        output.write_text(json.dumps({"cells": [], "template": str(template)}))
        if self.fail_at is not None and len(self.calls) == self.fail_at:
            raise self.error
        resolved = notebook_parameters.config_from_parameters(parameters)
        kind = resolved.kind
        folder = identity.of(kind, resolved).results(parameters["profile"], parameters.get("experiment", "intermediate"))
        runs.write_json(folder / "config.json", resolved.record())
        runs.write_json(folder / "env.json", {"core_fingerprint": runs.core_fingerprint()})
        if kind == "intermediate":  # phase 2 records no languages
            runs.write_json(folder / "metrics.json", {"task": resolved.intermediate.tasks, "english_dev": 50.0})
            return
        task = (resolved.target or resolved.retrieval).task
        runs.write_json(folder / "metrics.json", {"task": task, "metric": "accuracy",
                                                  "english_dev": 50.0, "wall_s": 1.0, "average": {"accuracy": 50.0},
                                                  "per_language": {"en": {"accuracy": 60.0}, "de": {"accuracy": 40.0}}})


def _smoke_grid(grid, **changes):
    """A copy of the grid whose smoke profile is modified by dotted-path `changes`."""
    changed = copy.deepcopy(grid)
    for path, value in changes.items():
        node = changed["profiles"]["smoke"]
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return changed


# ----------------------------------------------------------------------------------- parameters

def test_parameters_round_trip():
    config = {"model": "tiny-random", "seed": 3, "intermediate": {"tasks": ["mnli"], "train": {"epochs": 2}},
              "target": {"task": "xnli", "languages": ["en"]}}
    flat = notebook_parameters.parameters_from_config(config)
    assert flat["intermediate_train"] == {"epochs": 2} and flat["target_task"] == "xnli"
    assert notebook_parameters.config_from_parameters({**flat, "unrelated": 1, "profile": "p"}) == resolve(config)
    resolved = resolve(config)
    assert notebook_parameters.config_from_parameters(notebook_parameters.parameters_from_config(resolved.record())) \
        == resolved  # the runner passes the resolved config's parameters: the notebook makes the same run


def test_parameters_given_as_strings_are_read_as_yaml():
    """papermill -p intermediate_tasks '["mnli"]' passes a string; a task name stays a string."""
    config = notebook_parameters.config_from_parameters({"seed": "3", "intermediate_tasks": '["mnli"]', "target_task": "xnli",
                                            "target_languages": "[en, de]", "target_train_limit": "null"})
    assert config == resolve({"seed": 3, "intermediate": {"tasks": ["mnli"]},
                              "target": {"task": "xnli", "languages": ["en", "de"], "train_limit": None}})
    assert config.seed == 3 and config.target.languages == ["en", "de"] and config.target.train_limit is None
    with pytest.raises(XtlError, match=r"parameter intermediate_tasks='\[mnli' is not a YAML value; pass e.g. -y"):
        notebook_parameters.config_from_parameters({"intermediate_tasks": "[mnli"})


def test_profile_spec_leaves_the_grid_alone():
    grid = {"profiles": {"base": {"model": "m", "seeds": [0], "experiments": {"a": {}}, "target": {"x": 1}},
                         "child": {"extends": "base", "experiments": {"b": {}}, "target": {"y": 2}}}}
    before = copy.deepcopy(grid)
    spec = profiles.profile_spec(grid, "child")
    spec["target"]["z"] = 3
    profiles.profile_spec(grid, "base")["experiments"].clear()
    assert grid == before
    assert profiles.profile_spec(grid, "child") == {"model": "m", "seeds": [0], "experiments": {"b": {}},
                                                  "target": {"x": 1, "y": 2}}


def test_template_parameters_reads_the_parameters_cell():
    declared = profiles.template_parameters(repo_root() / "notebooks" / "target.ipynb")
    assert {"model", "seed", "target_task", "intermediate_train", "profile", "experiment", "force"} <= set(declared)
    assert declared["target_languages"] == "None"


def test_deep_merge_replaces_lists_and_merges_dicts():
    merged = profiles.deep_merge({"a": {"x": 1, "y": [1]}, "b": 1}, {"a": {"y": [2]}}, None, {"c": 3})
    assert merged == {"a": {"x": 1, "y": [2]}, "b": 1, "c": 3}


# ----------------------------------------------------------------------------------- the grid

@pytest.mark.parametrize("profile", ["smoke", "laptop", "gpu", "paper"])
def test_every_profile_expands_and_validates(isolated, monkeypatch, profile):
    if profile == "paper":  # runs online, where TyDiQA's labelled validation set comes from the hub
        monkeypatch.setenv("XTL_DATA_EXTRA", str(isolated / "extra"))
    planned = profiles.expand(profile)
    labels = [run.label for run in planned]
    assert len(labels) == len(set(labels))
    assert planned[0].experiment == "intermediate"  # phase-2 notebooks first
    models = {run.config["model"] for run in planned}
    assert len(models) == 1


def test_laptop_grid_and_estimate(isolated):
    planned = profiles.expand("laptop")
    assert {run.experiment for run in planned} == {"intermediate", "target", "retrieval", "baseline_mlm",
                                                    "baseline_translated"}
    assert all(run.config["model"] == "me5-small" and run.config["seed"] == 0 for run in planned)
    assert 10 * 60 < sum(run.estimate_s for run in planned) < 45 * 60


def test_smoke_covers_every_template_and_format(isolated):
    from xtl import tasks

    planned = profiles.expand("smoke")
    templates = {run.template.name for run in planned}
    assert templates == {Path(e["template"]).name for e in profiles.load_grid()["experiments"].values()}
    names = {t for run in planned for t in run.config["intermediate"]["tasks"]}
    names |= {run.config[run.kind]["task"] for run in planned if run.kind != "intermediate"}
    formats = {tasks.get(n).format for n in names if n != "xnli-translated"}
    assert {"sentence_classification", "pair_classification", "token_tagging", "extractive_qa",
            "multiple_choice", "retrieval"} <= formats
    assert any(run.config["intermediate"]["mlm_share"] > 0 for run in planned)
    assert any(len(run.config["intermediate"]["tasks"]) > 1 for run in planned)


def test_only_filters_by_experiment_or_name(isolated):
    assert {r.experiment for r in profiles.expand("smoke", only=["retrieval"])} == {"retrieval"}
    assert [r.name for r in profiles.expand("smoke", only=["bucc"])] == ["baseline-bucc2018-s0"]
    with pytest.raises(XtlError, match="matches no run"):
        profiles.expand("smoke", only=["nothing-like-this"])


@pytest.mark.parametrize("changes, expected", [
    ({"target.foo": 1}, r"parameter target_foo is not in notebooks/target.ipynb's parameters cell"),
    ({"target.train.learn_rate": 1e-3}, r"unknown target.train parameter"),
    ({"targets.panx.languages": ["en", "xx"]}, r"no evaluation language xx"),
    ({"experiments.target": {"runs": [{"intermediate": "baseline", "target": "xnl"}]}}, r"unknown task 'xnl'"),
    ({"experiments.target": {"runs": [{"intermediate": "mlni", "target": "xnli"}]}}, r"unknown intermediate setting 'mlni'"),
    ({"settings.multi": {"tasks": ["mnli", "sqad"]}}, r"unknown task 'sqad'"),
    ({"model": "tiny-randm"}, r"unknown model 'tiny-randm'"),
    ({"seeds": [-3]}, r"run intermediate/multi-s-3: seed must be an integer from 0 to 4294967295, not -3"),
    ({"target.train.warmup_ratio": 2}, r"target.train: warmup_ratio must be in \[0, 1\], not 2; fix the config"),
    ({"experiments.nonsense": {"intermediate": ["mnli"]}}, r"unknown experiment"),
    ({"experiments.target": {"intermediate": ["baseline"]}}, r"give a list for target"),
    ({"experiments.target": {"intermediate": ["baseline"], "target": ["panx"], "seeds": {"baseline": [0, 1]}}},
     r"a seeds map needs a 'default' list"),
    ({"experiments.target": {"intermediate": ["baseline"], "target": ["panx"],
                             "seeds": {"default": [0], "mlni": [0, 1]}}}, r"seeds given for mlni, which"),
])
def test_grid_errors_are_one_line_and_name_the_fix(isolated, grid, changes, expected):
    with pytest.raises(XtlError) as caught:
        profiles.expand("smoke", grid=_smoke_grid(grid, **changes))
    message = str(caught.value)
    assert re.search(expected, message), message
    assert "\n" not in message


def test_a_grid_file_that_is_not_utf8_is_one_line(tmp_path):
    path = tmp_path / "experiments.yml"
    path.write_bytes(b"# caf\xe9\nprofiles: {}\n")
    with pytest.raises(XtlError, match=r"experiments.yml is not UTF-8 text \(byte 0xe9 at offset 5\); save it as UTF-8"):
        profiles.load_grid(path)
    path.write_text("- a list\n")
    with pytest.raises(XtlError, match="has no 'experiments:' mapping"):
        profiles.load_grid(path)


def test_a_seeds_map_gives_each_setting_its_seeds(isolated, grid):
    """Three seeds where a verdict turns on, one elsewhere: seeds outermost, as with a seeds list."""
    changed = _smoke_grid(grid, **{"seeds": [0, 1, 2], "experiments.target": {
        "intermediate": ["baseline", "mnli"], "target": ["panx", "xnli"], "seeds": {"default": [0], "mnli": [0, 2]}}})
    names = [run.name for run in profiles.expand("smoke", grid=changed, only=["target"])]
    assert names == ["baseline-panx-s0", "baseline-xnli-s0", "mnli-panx-s0", "mnli-xnli-s0", "mnli-panx-s2",
                     "mnli-xnli-s2"]
    changed = _smoke_grid(grid, **{"experiments.target": {
        "runs": [{"intermediate": "baseline", "target": "panx"}, {"intermediate": "mnli", "target": "panx", "seed": 5}],
        "seeds": {"default": [1], "baseline": [3]}}})
    assert [run.name for run in profiles.expand("smoke", grid=changed, only=["target"])] == [
        "baseline-panx-s3", "mnli-panx-s5"]


def test_unknown_profile(isolated):
    with pytest.raises(XtlError, match="unknown profile 'laptp'; profiles in experiments.yml: smoke, laptop"):
        profiles.expand("laptp")


def test_template_without_parameters_cell_is_refused(isolated, tmp_path, grid):
    import nbformat

    bad = tmp_path / "bad.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), bad)
    changed = copy.deepcopy(grid)
    changed["experiments"]["target"]["template"] = str(bad)
    with pytest.raises(XtlError, match="0 cells tagged 'parameters'"):
        profiles.expand("smoke", grid=changed)


def test_runs_and_paths_are_stable(isolated):
    first, second = profiles.expand("smoke"), profiles.expand("smoke")
    assert [r.results for r in first] == [r.results for r in second]
    baseline = next(r for r in first if r.name == "baseline-panx-s0")
    assert baseline.config["intermediate"]["tasks"] == [] and baseline.parameters["intermediate_tasks"] == []
    assert baseline.notebook == isolated / "book" / "smoke" / "target" / "baseline-panx-s0.ipynb"
    assert str(baseline.results).startswith(str(isolated / "results" / "smoke" / "target"))


# ----------------------------------------------------------------------------------- execution

def test_run_skip_and_progress_lines(isolated):
    out = io.StringIO()
    fake = FakeExecutor()
    planned = runner.run_profile("smoke", executor=fake, out=out)
    assert len(fake.calls) == len(planned) and all(run.is_finished() for run in planned)
    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"\[1/7\] intermediate/multi-s0 \.\.\. done in \d+ s \| elapsed \d+ s \| ~\d+ s left", lines[1])
    again = FakeExecutor()
    runner.run_profile("smoke", executor=again, out=io.StringIO())
    assert again.calls == []  # everything finished: nothing re-executed
    runner.run_profile("smoke", executor=again, force=True, only=["xquad"], out=io.StringIO())
    assert len(again.calls) == 1


def test_stale_runs_are_listed_and_kept_until_rerun_stale(isolated):
    """Runs finished by other core code (stale) or without a fingerprint (unknown code) are never reused silently."""
    runner.run_profile("smoke", executor=FakeExecutor(), out=io.StringIO())
    planned = profiles.expand("smoke")
    stale, unknown = planned[1], planned[2]
    runs.write_json(stale.results / "env.json", {"core_fingerprint": "0123456789abcdef"})
    (unknown.results / "env.json").unlink()
    kept = {run.label: (run.results / "metrics.json").read_bytes() for run in (stale, unknown)}
    out = io.StringIO()
    runner.run_profile("smoke", dry_run=True, out=out)
    listing = out.getvalue()
    assert "kept as they are: 1 finished by other core code (stale), 1 of unknown code" in listing
    assert re.search(rf"{re.escape(stale.label)} +stale ", listing) and re.search(rf"{re.escape(unknown.label)} +unknown code ", listing)
    again, out = FakeExecutor(), io.StringIO()
    runner.run_profile("smoke", executor=again, out=out)
    assert again.calls == [] and {r.label: (r.results / "metrics.json").read_bytes() for r in (stale, unknown)} == kept
    assert f"{stale.label} ... finished earlier by other core code (stale), kept" in out.getvalue()
    forced = []
    rerun = FakeExecutor()
    runner.run_profile("smoke", executor=lambda t, o, p: (forced.append(p.get("force")), rerun(t, o, p)),
                       rerun_stale=True, out=io.StringIO())
    assert len(rerun.calls) == 2 and forced == [True, True]
    assert all(run.state(runs.core_fingerprint()) == "done" for run in profiles.expand("smoke"))


def test_render_reexecutes_finished_phase3_notebooks_only_and_keeps_recorded_times(isolated):
    runner.run_profile("smoke", executor=FakeExecutor(), out=io.StringIO())
    manifest = book_index.read_manifest("smoke")
    forced, rendered = [], FakeExecutor()
    runner.run_profile("smoke", executor=lambda t, o, p: (forced.append(p.get("force")), rendered(t, o, p)),
                       render=True, out=io.StringIO())
    planned = profiles.expand("smoke")
    assert len(rendered.calls) == sum(run.kind != "intermediate" for run in planned) > 0
    assert not any(call.startswith("intermediate:") for call in rendered.calls)  # phase 2 would retrain
    assert set(forced) <= {False, None} and book_index.read_manifest("smoke") == manifest


def test_core_fingerprint_ignores_comments_and_docstrings():
    source = 'def f(x):\n    """Why."""\n    return x + 1  # note\n'
    same = 'def f(x):\n    """Another why."""\n\n    return x + 1\n'
    assert runs.fingerprint({"train": source}) == runs.fingerprint({"train": same})
    assert runs.fingerprint({"train": source}) != runs.fingerprint({"train": source.replace("+ 1", "+ 2")})
    assert re.fullmatch(r"[0-9a-f]{16}", runs.core_fingerprint())


def test_core_fingerprint_ignores_task_notes_but_not_task_facts():
    task = 'T = Task(name="x", metric="f1", stand_ins=("a note",), description="what it is")\n'
    noted = task.replace("a note", "a corrected note").replace("what it is", "what it really is")
    assert runs.fingerprint({"tasks": task}) == runs.fingerprint({"tasks": noted})
    assert runs.fingerprint({"tasks": task}) != runs.fingerprint({"tasks": task.replace('"f1"', '"accuracy"')})


def test_phase2_record_and_checkpoint_follow_the_core_code(isolated):
    from xtl import experiment

    key = identity.of("intermediate", resolve({"model": "tiny-random", "intermediate": {"tasks": ["mnli"]}}))
    summary = {"wall_s": 1.0, "report": {"best_dev": 1.0, "dev_history": []}, "core_fingerprint": "old"}
    experiment._record_intermediate("p", key, summary, refresh=False)
    folder = next((isolated / "results" / "p" / "intermediate").iterdir())
    assert runs.made_by(folder) == "old"
    current = {**summary, "core_fingerprint": runs.core_fingerprint()}
    experiment._record_intermediate("p", key, current, refresh=False)  # phase 3 never rewrites it
    assert runs.made_by(folder) == "old"
    experiment._record_intermediate("p", key, current, refresh=True)  # the phase-2 notebook does
    assert runs.made_by(folder) == runs.core_fingerprint()
    runs.write_json(isolated / "ckpt" / "summary.json", {"core_fingerprint": "old"})
    assert not runs.checkpoint_is_current(isolated / "ckpt")


def test_kill_and_resume_redoes_only_the_unfinished_run(isolated):
    killed = FakeExecutor(fail_at=3, error=KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        runner.run_profile("smoke", executor=killed, out=io.StringIO())
    planned = profiles.expand("smoke")
    assert [run.is_finished() for run in planned] == [True, True] + [False] * (len(planned) - 2)
    assert not list((isolated / "book").rglob("*.partial")) and not list((isolated / "cache").rglob("*.ipynb"))
    resumed = FakeExecutor()
    runner.run_profile("smoke", executor=resumed, out=io.StringIO())
    assert len(resumed.calls) == len(planned) - 2 and resumed.calls[0] == killed.calls[2]


def test_a_profile_copies_the_runs_its_parent_finished(isolated, grid):
    """`extends` shares finished runs of the same config: copied (results, notebook, measured time), not re-run."""
    grid = copy.deepcopy(grid)
    grid["profiles"]["wider"] = {"extends": "smoke", "seeds": [0, 1], "experiments": {
        "target": {"runs": [{"intermediate": "baseline", "target": "panx"}]}}}
    assert profiles.ancestors("wider", grid) == ["smoke"] and profiles.ancestors("smoke", grid) == []
    runner.run_profile("smoke", executor=FakeExecutor(), grid=grid, only=["baseline-panx"], out=io.StringIO())
    parent = next(r for r in profiles.expand("smoke", grid=grid) if r.name == "baseline-panx-s0")
    listing = io.StringIO()
    runner.run_profile("wider", dry_run=True, grid=grid, out=listing)
    assert "1 finished, 1 to run" in listing.getvalue()
    assert re.search(r"target/baseline-panx-s0 +finished in smoke, to copy", listing.getvalue())
    table = profile_cost.table("wider", grid)  # the last line: the whole profile from scratch, prior and measured pace
    measured = table.dropna(subset=["measured_s"])
    pace = measured["measured_s"].sum() / measured["estimate_then_s"].sum()  # the copied run found nothing cached
    assert measured["estimate_then_s"].sum() == pytest.approx(measured["estimate_s"].sum(), abs=0.1)  # rounded in runs.json
    assert listing.getvalue().splitlines()[-1] == (
        f"whole profile from scratch: 2 runs, {runner.format_duration(table['estimate_s'].sum())} on the prior; "
        f"{runner.format_duration(table['estimate_s'].sum() * pace)} at the pace of the 1 run measured so far "
        f"({runner.format_duration(measured['measured_s'].sum())} of them)")
    fake, out = FakeExecutor(), io.StringIO()
    runner.run_profile("wider", executor=fake, grid=grid, out=out)
    assert fake.calls == ["target:tiny-random:[]:panx"]  # seed 1 only
    assert "target/baseline-panx-s0 ... finished in profile 'smoke', copied" in out.getvalue()
    child = parent.in_profile("wider")
    assert child.is_finished() and child.results.name == parent.results.name
    assert (child.results / "metrics.json").read_bytes() == (parent.results / "metrics.json").read_bytes()
    entry = book_index.read_manifest("wider")[child.label]
    assert entry["copied_from"] == "smoke" and entry["results"] == f"wider/target/{parent.results.name}"
    assert entry["notebook_wall_s"] == book_index.read_manifest("smoke")[parent.label]["notebook_wall_s"]
    assert not list(isolated.rglob("*.partial"))


def test_a_stale_parent_run_is_not_copied(isolated, grid):
    grid = copy.deepcopy(grid)
    grid["profiles"]["wider"] = {"extends": "smoke", "experiments": {
        "target": {"runs": [{"intermediate": "baseline", "target": "panx"}]}}}
    runner.run_profile("smoke", executor=FakeExecutor(), grid=grid, only=["baseline-panx"], out=io.StringIO())
    parent = next(r for r in profiles.expand("smoke", grid=grid) if r.name == "baseline-panx-s0")
    runs.write_json(parent.results / "env.json", {"core_fingerprint": "0123456789abcdef"})
    fake = FakeExecutor()
    runner.run_profile("wider", executor=fake, grid=grid, out=io.StringIO())
    assert fake.calls == ["target:tiny-random:[]:panx"] and "copied_from" not in book_index.read_manifest("wider")[parent.label]


def test_missing_results_reruns_the_notebook(isolated):
    runner.run_profile("smoke", executor=FakeExecutor(), out=io.StringIO())
    victim = profiles.expand("smoke")[3]
    import shutil

    shutil.rmtree(victim.results)
    again = FakeExecutor()
    runner.run_profile("smoke", executor=again, out=io.StringIO())
    assert len(again.calls) == 1 and victim.is_finished()


def test_failing_notebook_stops_with_one_line(isolated):
    failing = FakeExecutor(fail_at=2, error=RuntimeError("cell 4 raised"))
    with pytest.raises(XtlError) as caught:
        runner.run_profile("smoke", executor=failing, out=io.StringIO())
    message = str(caught.value)
    assert "\n" not in message and "run target/baseline-panx-s0 of profile 'smoke' failed" in message
    failed = Path(re.search(r"traceback is in (\S+);", message).group(1))
    assert failed.is_file() and not str(failed).startswith(str(isolated / "book"))
    planned = profiles.expand("smoke")
    assert planned[0].is_finished() and not planned[1].notebook.exists()


def test_a_notebook_that_writes_no_results_is_an_error(isolated):
    def lazy(template, output, parameters):
        output.write_text("{}")

    with pytest.raises(XtlError, match="wrote no results"):
        runner.run_profile("smoke", executor=lazy, out=io.StringIO())


def test_book_index_and_results_table(isolated):
    runner.run_profile("smoke", executor=FakeExecutor(), out=io.StringIO())
    index = isolated / "book" / "smoke" / "index.md"
    text = index.read_text()
    assert "[notebook](target/baseline-panx-s0.ipynb)" in text and "## baseline_translated" in text
    assert book_index.write_book_index() == [index]
    frame = results.load("smoke")
    assert set(frame["experiment"]) == {"target", "retrieval", "baseline_mlm", "baseline_translated"}
    assert len(frame) == 2 * 6 and list(frame.columns) == results.COLUMNS
    assert set(frame["intermediate"]) == {"baseline", "multi", "mnli+mlm", "xnli-translated"}


def test_index_time_names_training_a_cached_model_saved():
    assert book_index._time(11.0, 2490.0) == "11 s (trained earlier in 41m30s, cached)"
    assert book_index._time(700.0, 600.0) == book_index._time(700.0, None) == "11m40s"


def test_cli_run_dry_run_and_errors(isolated, capsys):
    from xtl import cli

    assert cli.main(["run", "--profile", "smoke", "--dry-run"]) == 0
    assert "[7/7] baseline_translated/xnli_translated-xnli-s0" in capsys.readouterr().out
    assert cli.main(["run", "--profile", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown profile 'nope'") and err.count("\n") == 1


def test_grid_file_parses_with_the_documented_keys():
    grid = yaml.safe_load((repo_root() / "experiments.yml").read_text())
    assert {"smoke", "laptop", "gpu", "paper"} <= set(grid["profiles"])
    paper = grid["profiles"]["paper"]
    assert paper["model"] == "xlm-roberta-large" and paper["target"]["train"]["learning_rate"] == 1e-5
    assert paper["targets"]["xquad"]["train"]["grad_accum"] == 4 and paper["target"]["train"]["grad_accum"] == 8


def test_estimate_sizes_come_from_the_kit_manifest_when_a_limit_is_null():
    if estimate.kit_rows("xcopa", "qu", "test") is None:
        pytest.skip("the offline data kit is not here")
    assert estimate.kit_rows("xcopa", "qu", "test") == 500 and estimate.kit_rows("xcopa", "xx", "test") is None
    assert estimate.eval_size("xcopa", "qu", None) == 500 and estimate.eval_size("xcopa", "qu", 100) == 100
    assert estimate.eval_size("xcopa", "qu", 10_000) == 500
    assert estimate.train_size("mnli", None) == 8999 and estimate.train_size("mnli", 50) == 50
    # XNLI's 14 translated validation sets, every row of each (a limit is shared evenly among them)
    assert estimate.train_size("xnli-translated", None) == 14 * estimate.kit_rows("xnli", "de", "validation")
    assert estimate.train_size("xnli-translated", 140) == 140


def test_a_shared_phase_3_training_is_charged_once(isolated):
    """XQuAD and MLQA share one SQuAD-trained model: the estimate charges its training to the first run only."""
    planned = {run.label: run for run in profiles.expand("reference-first", only=["xquad", "mlqa", "tydiqa"])}
    xquad, mlqa = planned["target/baseline-xquad-s0"], planned["target/baseline-mlqa-s0"]
    assert xquad.phase3 == mlqa.phase3 != "" and planned["target/baseline-tydiqa-s0"].phase3 == ""
    assert xquad.phase3 != planned["target/baseline-xquad-s1"].phase3  # the seed trains another model
    training = estimate.train_seconds(["xquad"], xquad.config["target"])
    alone = estimate.run_seconds("target", mlqa.config, None, mlqa.phase3)
    assert mlqa.estimate_s == pytest.approx(alone - training)
