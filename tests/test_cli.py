"""The console script: listings work, and every user error is one line on stderr with exit status 2."""

import subprocess
import sys

import pytest

from xtl import cli


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
def test_bad_config_is_one_line_exit_2(tmp_path, yaml_text, message):
    config = tmp_path / "run.yml"
    config.write_text(yaml_text)
    done = subprocess.run([sys.executable, "-m", "xtl.cli", "target", str(config)], check=False, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and message in done.stderr
    assert "Traceback" not in done.stderr


def test_kit_not_found_is_one_line(tmp_path):
    env = {"XTL_DATA": str(tmp_path / "nowhere"), "PATH": ""}
    done = subprocess.run([sys.executable, "-m", "xtl.cli", "data", "check"], check=False, capture_output=True, text=True, env=env)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "XTL_DATA" in done.stderr
