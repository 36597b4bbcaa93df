"""The notebook templates: clean in git, and every one of them runs under papermill (smoke profile).

The smoke profile (tiny-random, a few dozen real rows) executes every template through the real
runner into tmp_path; nbval then re-runs the executed notebooks in lax mode (only errors fail).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import nbformat
import pytest

from xtl import config, notebook_parameters, profiles, results, runner
from xtl.paths import environment, repo_root

NOTEBOOKS = sorted((repo_root() / "notebooks").glob("*.ipynb"))
# the grid's templates (claims.ipynb and other pages in notebooks/ are executed by their own owners)
TEMPLATES = sorted({repo_root() / e["template"] for e in profiles.load_grid()["experiments"].values()})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_template_is_clean(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    with_outputs = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not with_outputs, f"{path.name}: cells {with_outputs} have outputs; clear them before committing"
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code", f"{path.name}: tag exactly one code cell 'parameters'"
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert notebook.metadata["kernelspec"]["language"] == "python"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_template_explains_itself_and_calls_only_xtl(path):
    notebook = nbformat.read(path, as_version=4)
    intro = notebook.cells[0]
    assert intro.cell_type == "markdown" and intro.source.startswith("# ")
    assert "xtl run --profile" in intro.source and "papermill notebooks/" in intro.source
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    for forbidden in ("import torch", ".backward(", "optimizer", "from transformers"):
        assert forbidden not in code, f"{path.name} holds training code ({forbidden}); move it into xtl"
    declared = profiles.template_parameters(path)
    assert {"model", "seed", "intermediate_tasks"} <= set(declared)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_template_prints_repo_relative_paths_and_named_averages(path):
    """No template prints a machine path; every scored run prints and glues its averages by name."""
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    raw = [line for line in code.splitlines()
           if "print(" in line and ("folder" in line or "checkpoint" in line) and "display_path" not in line]
    assert not raw, f"{path.name} prints a machine path; print xtl.notebook_paths.display_path(...): {raw}"
    if "load_run(folder)" in code:
        assert "xtl.results.named_averages(scores)" in code and "xtl.results.averages_line(scores)" in code
        assert 'glue("average"' not in code and '["value"].mean()' not in code


@pytest.mark.parametrize("template", sorted(notebook_parameters.TEMPLATES))
def test_parameters_cell_is_generated_from_the_config_defaults(template):
    """One place for the defaults: the cell equals what xtl.config.DEFAULT_* generate."""
    notebook = nbformat.read(repo_root() / "notebooks" / template, as_version=4)
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    assert cell.source == notebook_parameters.parameter_cell(template), (
        f"{template}'s parameters cell differs from the defaults; run 'python -m xtl.notebook_parameters'")
    namespace: dict = {}
    exec(cell.source, namespace)  # noqa: S102  (our own template)
    sections = notebook_parameters.TEMPLATES[template]
    given: dict = {section: {} for section in sections}
    for name, value in notebook_parameters.TEMPLATE_VALUES.get(template, {}).items():
        section, key = name.split("_", 1)
        given[section][key] = value
    # run without parameters, the template makes the defaults' run (`xtl target` / `xtl run` with the same config)
    assert notebook_parameters.config_from_parameters(namespace) == config.resolve(given, sections[-1])


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """Run the smoke profile for real, with results, notebooks and phase-2 checkpoints in tmp."""
    tmp = tmp_path_factory.mktemp("smoke")
    # fresh phase-2 checkpoints; the real cache keeps serving the built models and wheels
    env = {"XTL_RESULTS": str(tmp / "results"), runner.BOOK_RUNS_ENV: str(tmp / "book"),
           "XTL_CHECKPOINTS": str(tmp / "checkpoints")}
    with environment(**env):
        out = io.StringIO()
        planned = runner.run_profile("smoke", out=out)
        yield {"tmp": tmp, "env": env, "planned": planned, "log": out.getvalue()}


@pytest.mark.slow
def test_smoke_runs_every_template(smoke):
    planned = smoke["planned"]
    assert all(run.is_finished() for run in planned), smoke["log"]
    assert {run.template.name for run in planned} == {p.name for p in TEMPLATES}
    for run in planned:
        notebook = nbformat.read(run.notebook, as_version=4)
        injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1 and "intermediate_tasks" in injected[0].source
        errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors
    assert "done in" in smoke["log"] and "left" in smoke["log"]


@pytest.mark.slow
def test_smoke_results_and_index(smoke):
    frame = results.load("smoke", root=smoke["tmp"] / "results")
    assert set(frame["target"]) == {"panx", "xquad", "tatoeba", "bucc2018", "xnli"}
    assert set(frame["intermediate"]) == {"baseline", "multi", "mnli+mlm", "xnli-translated"}
    assert frame["value"].between(0, 100).all()
    averages = results.gains(results.run_averages(frame), "all_langs_avg")
    assert len(averages) == 6 and (averages.loc[averages["intermediate"] == "baseline", "gain"] == 0).all()
    index = (smoke["tmp"] / "book" / "smoke" / "index.md").read_text()
    assert index.count("[notebook](") == len(smoke["planned"])


@pytest.mark.slow
def test_smoke_resume_executes_nothing(smoke):
    calls = []
    runner.run_profile("smoke", executor=lambda *args: calls.append(args), out=io.StringIO())
    assert calls == []


@pytest.mark.slow
def test_nbval_lax_over_executed_notebooks(smoke):
    executed = [str(run.notebook) for run in smoke["planned"]]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env",
               "--rootdir", str(smoke["tmp"]), *executed]
    done = subprocess.run(command, check=False, cwd=repo_root(), env={**os.environ, **smoke["env"]}, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert f"{len(executed)} passed" in done.stdout or "passed" in done.stdout.splitlines()[-1]
