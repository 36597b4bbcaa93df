"""One run identity: the folder the runner plans for a run is the folder its notebook's xtl call writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from xtl import config, experiment, identity, notebook_parameters, profiles, runs

PROFILES = tuple(profiles.load_grid()["profiles"])  # every profile of experiments.yml


def _experiment_folder(run: profiles.Run, tmp_path: Path) -> Path:
    """The result folder `xtl.experiment` writes for the parameters papermill gives the run's template."""
    config = notebook_parameters.config_from_parameters(run.parameters)
    profile = run.parameters["profile"]
    if run.kind == "intermediate":  # a cached encoder made by this code: phase 2 only writes its record
        cached = identity.of("intermediate", run.resolved).phase2_checkpoint
        runs.write_json(cached / "summary.json", {"wall_s": 1.0, "core_fingerprint": runs.core_fingerprint(),
                                                  "report": {"best_dev": 1.0, "dev_history": []}})
        shutil.rmtree(tmp_path / "results", ignore_errors=True)
        experiment.intermediate(config, profile=profile)
        (written,) = (tmp_path / "results" / profile / identity.INTERMEDIATE).iterdir()
        return written
    phase = experiment.target if run.kind == "target" else experiment.retrieval
    return phase(config, profile=profile, experiment=run.parameters["experiment"])  # returns before it trains


@pytest.mark.parametrize("profile", PROFILES)
def test_the_runner_expects_the_folder_the_experiment_writes(profile, isolated, monkeypatch):
    monkeypatch.setattr(runs, "environment", lambda *args, **kwargs: {})  # no git, no torch: only the folder matters
    planned = profiles.expand(profile)
    # a phase-3 or retrieval run returns its folder at once when it is finished: say every one is
    monkeypatch.setattr(runs, "is_complete", lambda folder: (folder / "metrics.json").is_file()
                        or folder.parent.name != identity.INTERMEDIATE)
    for run in planned:
        assert _experiment_folder(run, isolated) == run.results, run.label


def test_targets_that_train_on_the_same_data_share_one_phase_3_key():
    resolved = {name: config.resolve({"model": "tiny-random", "target": {"task": name}})
                for name in ("xquad", "mlqa", "tydiqa")}
    xquad, mlqa, tydiqa = (identity.of("target", resolved[name]) for name in ("xquad", "mlqa", "tydiqa"))
    assert xquad.phase3 == mlqa.phase3 != "" and tydiqa.phase3 == "" and tydiqa.phase3_checkpoint is None
    assert xquad.run_id != mlqa.run_id and xquad.phase2 == mlqa.phase2
    assert xquad.run_id.startswith("xquad-baseline-tiny-random-s0-")
