"""The console script: listings work, and every user error is one line on stderr with exit status 2."""

import shutil
import subprocess
import sys

import pytest

from xtl import cli
from xtl.config import resolve


def test_tasks_lists_every_task(capsys):
    assert cli.main(["tasks", "-v"]) == 0
    out = capsys.readouterr().out
    for name in ("xnli", "pawsx", "udpos", "panx", "xquad", "mlqa", "tydiqa", "bucc2018", "tatoeba", "xcopa",
                 "anli_plus", "mnli", "qqp", "sst2", "squad", "hellaswag", "ccg", "cosmosqa", "commonsenseqa",
                 "socialiqa", "masakhaner2", "masakhapos", "afrisenti", "mlm"):
        assert f"\n{name} " in "\n" + out
    assert "stand-in:" in out


def test_models_lists_registry(capsys):
    assert cli.main(["models"]) == 0
    assert "me5-small" in capsys.readouterr().out


@pytest.mark.parametrize("yaml_text, message", [
    ("model: me5-small\ntarget: {task: xnl}\n", "unknown task 'xnl'"),
    ("model: nope\ntarget: {task: xnli}\n", "unknown model 'nope'"),
    ("model: me5-small\ntarget: {task: xnli, languages: [tlh]}\n", "no evaluation language tlh"),
    ("model: me5-small\ntarget: {task: xnli}\nbatchsize: 3\n", "unknown parameter(s) batchsize"),
])
def test_bad_config_is_one_line_exit_2(tmp_path, capsys, yaml_text, message):
    config = tmp_path / "run.yml"
    config.write_text(yaml_text)
    assert cli.main(["target", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_kit_not_found_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XTL_DATA", str(tmp_path / "nowhere"))
    assert cli.main(["data", "check"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "XTL_DATA" in err


def test_target_takes_papermill_style_parameters(tmp_path, monkeypatch):
    """-p NAME VALUE as papermill passes it: a list arrives as a string and is read as YAML."""
    from xtl import experiment

    seen = []

    def stop(config, **kwargs):
        seen.append(config)
        raise KeyboardInterrupt  # nothing runs

    monkeypatch.setattr(experiment, "target", stop)
    (tmp_path / "run.yml").write_text("model: tiny-random\ntarget: {task: xnli}\n")
    argv = ["target", str(tmp_path / "run.yml"), "-p", "intermediate_tasks", '["mnli"]', "-p", "seed", "3"]
    assert cli.main(argv) == 130
    assert seen == [resolve({"model": "tiny-random", "seed": 3, "intermediate": {"tasks": ["mnli"]},
                             "target": {"task": "xnli"}})]  # the run's typed config, resolved once


def test_data_check_fails_on_a_corrupt_file(tmp_path, monkeypatch, capsys):
    from xtl.paths import data_root

    kit = tmp_path / "kit"
    shutil.copytree(data_root() / "xcopa", kit / "xcopa")
    next((kit / "xcopa").glob("*/*.jsonl.gz")).write_bytes(b"not gzip")
    monkeypatch.setenv("XTL_DATA", str(kit))
    assert cli.main(["data", "check", "xcopa"]) == 2
    captured = capsys.readouterr()
    assert "corrupt kit file" in captured.out and captured.err.startswith("error: kit check failed for xcopa")


HEAVY = ("torch", "datasets")  # seconds to import; the pure commands never need them
# what the CLI's function-local imports keep out of a start (their comments give the measured cost): torch and
# transformers (`target`), datasets (`data prepare`), papermill (a run's execution), and for the listings also
# pandas and seqeval (`run`'s cost table, `book-pages`)
NEVER_AT_START = (*HEAVY, "transformers", "papermill")
NOT_FOR_LISTINGS = (*NEVER_AT_START, "pandas", "seqeval")


def _imported(*code_or_module: str) -> set[str]:
    """Top-level packages a fresh interpreter imported running `python -X importtime ...` to the end."""
    done = subprocess.run([sys.executable, "-X", "importtime", *code_or_module], capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line.split("|")[-1] for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {name.strip().split(".")[0] for name in lines}


def test_pure_modules_import_no_torch_and_no_datasets():
    """Configs, the run identity, the registries, the grid and the estimates are pure code."""
    modules = ("xtl.config, xtl.identity, xtl.tasks, xtl.model_names, xtl.notebook_parameters, xtl.profiles, "
               "xtl.estimate, xtl.profile_cost, xtl.runner")
    assert not _imported("-c", f"import {modules}") & set(NEVER_AT_START)


@pytest.mark.parametrize("command, heavy", [(["tasks"], NOT_FOR_LISTINGS), (["models"], NOT_FOR_LISTINGS),
                                            (["run", "--profile", "laptop", "--dry-run"], NEVER_AT_START)])
def test_pure_commands_start_without_torch_or_datasets(command, heavy):
    """`xtl run --profile laptop --dry-run` and `xtl tasks` in a subprocess: neither imports torch (nor the others)."""
    imported = _imported("-m", "xtl.cli", *command) & set(heavy)
    assert not imported, f"'xtl {' '.join(command)}' imports {', '.join(sorted(imported))}"
