"""Every bad input a user can give is answered in one line on stderr with exit status 2, before any model
loads, and leaves finished runs as they were (issue 12).

The cases call `xtl.cli.main` in-process (the console script is `sys.exit(main())`, so the exit path is
the same) with the environment pointed at tmp_path; only the shell pipe needs a real subprocess.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from xtl import cli, models, profiles, runner, runs
from xtl.paths import data_root, results_root

GOOD = "model: tiny-random\ntarget: {task: xnli, train_limit: 8, dev_limit: 4, eval_limit: 4, languages: [de]}\n"
CORRUPT_TASK = "mnli"  # small, and read by the smoke profile and by an xnli target


def _yaml(text: str | bytes) -> tuple[list[str], dict[str, str | bytes]]:
    return ["target", "{tmp}/run.yml"], {"run.yml": text}


def _target(section: str) -> tuple[list[str], dict[str, str]]:
    return _yaml(f"model: tiny-random\ntarget: {section}\n")


def _param(name: str, value: str) -> tuple[list[str], dict[str, str]]:
    return ["target", "{tmp}/run.yml", "-p", name, value], {"run.yml": GOOD}


SMOKE_DRY = ["run", "--profile", "smoke", "--dry-run"]

# (id, argv, files written under tmp, environment, what the line says)
CASES = [
    # command-line arguments
    ("unknown-command", ["frobnicate"], {}, {}, "invalid choice: 'frobnicate'"),
    ("unknown-profile", ["run", "--profile", "nope"], {}, {}, "unknown profile 'nope'"),
    ("only-matches-nothing", ["run", "--profile", "smoke", "--only", "nothing-like-this"], {}, {}, "matches no run"),
    ("parameter-without-value", ["target", "{tmp}/run.yml", "-p", "seed"], {"run.yml": GOOD}, {},
     "argument -p/--parameter: expected 2 arguments"),
    ("config-file-missing", ["target", "{tmp}/missing.yml"], {}, {}, "cannot read config"),
    ("data-check-unknown-task", ["data", "check", "xnl"], {}, {}, "unknown task 'xnl'"),
    ("unknown-notebook-parameter", *_param("target_batch", "3"), {}, "unknown parameter(s) target_batch"),
    # YAML configs (xtl target)
    ("malformed-yaml", *_yaml("model: [\n"), {}, "is not valid YAML at line 2"),
    ("empty-yaml", *_yaml(""), {}, "must hold a mapping"),
    ("yaml-list", *_yaml("- model\n"), {}, "must hold a mapping"),
    ("negative-train-limit", *_target("{task: xnli, train_limit: -5}"), {}, "target.train_limit must be an integer"),
    ("seed-not-int", *_yaml("model: tiny-random\nseed: abc\n"), {}, "seed must be an integer"),
    ("learning-rate-word", *_target("{task: xnli, train: {learning_rate: fast}}"), {},
     "target.train.learning_rate must be a number"),
    ("batch-size-zero", *_target("{task: xnli, train: {batch_size: 0}}"), {}, "target.train: batch_size must be at least 1"),
    ("seed-negative", *_yaml("model: tiny-random\nseed: -3\n"), {},
     "seed must be an integer from 0 to 4294967295, not -3; fix the config"),
    ("config-not-utf8", *_yaml(b"model: tiny-random\n# caf\xe9 au lait\n"), {}, "is not UTF-8 text (byte 0xe9"),
    ("warmup-above-one", *_target("{task: xnli, train: {warmup_ratio: 1.5}}"), {},
     "target.train: warmup_ratio must be in [0, 1], not 1.5"),
    ("precision-unknown", *_target("{task: xnli, train: {mixed_precision: fp8}}"), {},
     "unknown mixed_precision 'fp8'; use auto, no, bf16 or fp16"),
    ("patience-zero", *_yaml("intermediate: {tasks: [mnli], train: {patience: 0}}\n"), {},
     "intermediate.train: patience must be at least 1"),
    ("sampling-not-text", *_target("{task: xnli, train: {sampling: 3}}"), {}, "target.train.sampling must be a string"),
    ("target-without-english", *_target("{task: masakhaner2}"), {}, "target masakhaner2 has no English training data"),
    ("target-not-a-mapping", *_target("xnli"), {}, "target must be a mapping"),
    ("tasks-not-a-list", *_yaml("intermediate: {tasks: mnli}\ntarget: {task: xnli}\n"), {},
     "intermediate.tasks must be a list of names"),
    ("max-length-zero", *_target("{task: xnli, max_length: 0}"), {}, "target.max_length must be an integer of at least 8"),
    ("mlm-share-above-one", *_yaml("intermediate: {tasks: [mnli], mlm_share: 1.5}\n"), {}, "mlm_share must be"),
    ("unknown-language", *_target("{task: xnli, languages: [tlh]}"), {}, "no evaluation language tlh"),
    ("intermediate-without-english", *_yaml("intermediate: {tasks: [masakhaner2]}\n"), {},
     "task masakhaner2 has no English training data; name a language"),
    # notebook parameters, as papermill's -p passes them (strings)
    ("parameter-list-malformed", *_param("intermediate_tasks", "[mnli"), {}, "is not a YAML value; pass e.g. -y"),
    ("parameter-list-bare-name", *_param("intermediate_tasks", "mnli"), {}, "intermediate.tasks must be a list"),
    ("parameter-negative-limit", *_param("target_train_limit", "-5"), {}, "target.train_limit must be an integer"),
    # environment variables
    ("kit-missing-run", ["run", "--profile", "smoke"], {}, {"XTL_DATA": "/nonexistent"}, "data kit not found"),
    ("kit-missing-dry-run", SMOKE_DRY, {}, {"XTL_DATA": "/nonexistent"}, "data kit not found"),
    ("kit-missing-target", *_yaml(GOOD), {"XTL_DATA": "/nonexistent"}, "data kit not found"),
    ("kit-is-a-file", SMOKE_DRY, {"file": ""}, {"XTL_DATA": "{tmp}/file"}, "data kit not found"),
    ("cache-is-a-file", SMOKE_DRY, {"file": ""}, {"XTL_CACHE": "{tmp}/file"}, "cannot create the cache folder"),
    ("extra-folder-missing", SMOKE_DRY, {}, {"XTL_DATA_EXTRA": "{tmp}/nowhere"}, "XTL_DATA_EXTRA"),
    ("results-is-a-file", SMOKE_DRY, {"file": ""}, {"XTL_RESULTS": "{tmp}/file"}, "is a file, not a folder"),
    # a corrupt copy of one kit task
    ("corrupt-kit-run", ["run", "--profile", "smoke"], {}, {"XTL_DATA": "{corrupt}"}, "sha256 mismatch"),
    ("corrupt-kit-dry-run", SMOKE_DRY, {}, {"XTL_DATA": "{corrupt}"}, "sha256 mismatch"),
    ("corrupt-kit-target", *_yaml(GOOD), {"XTL_DATA": "{corrupt}"}, "sha256 mismatch"),
    ("corrupt-kit-check", ["data", "check", CORRUPT_TASK], {}, {"XTL_DATA": "{corrupt}"}, "kit check failed for mnli"),
    ("kit-file-missing", SMOKE_DRY, {}, {"XTL_DATA": "{gappy}"}, "listed in MANIFEST.json but missing"),
]


def _kit_copy(root: Path, kit: Path, damage) -> Path:
    """The kit with every task linked, except CORRUPT_TASK, copied and damaged."""
    for task in kit.iterdir():
        (root / task.name).symlink_to(task)
    (root / CORRUPT_TASK).unlink()
    shutil.copytree(kit / CORRUPT_TASK, root / CORRUPT_TASK)
    damage(min((root / CORRUPT_TASK).glob("*/*.jsonl.gz")))
    return root


@pytest.fixture(scope="module")
def kits(tmp_path_factory) -> dict[str, str]:
    kit = data_root()

    def corrupt(path: Path) -> None:
        path.write_bytes(gzip.compress(b'{"premise": "x", "hypothesis": "y", "label": 0}\n'))

    return {"corrupt": str(_kit_copy(tmp_path_factory.mktemp("corrupt"), kit, corrupt)),
            "gappy": str(_kit_copy(tmp_path_factory.mktemp("gappy"), kit, Path.unlink))}


@pytest.fixture(scope="module")
def finished_run() -> profiles.Run:
    return next(run for run in profiles.expand("smoke") if run.kind == "target")


@pytest.fixture
def world(tmp_path, monkeypatch, finished_run):
    """Outputs under tmp_path, one finished run there, and a model loader that fails the test if reached."""
    relative = finished_run.results.relative_to(results_root())
    for name, folder in (("XTL_RESULTS", "results"), (runner.BOOK_RUNS_ENV, "book"), ("XTL_CACHE", "cache"),
                         ("XTL_CHECKPOINTS", "checkpoints")):
        monkeypatch.setenv(name, str(tmp_path / folder))
    monkeypatch.delenv("XTL_DATA_EXTRA", raising=False)
    results = tmp_path / "results" / relative
    runs.write_json(results / "config.json", finished_run.config)
    runs.write_json(results / "env.json", {"core_fingerprint": runs.core_fingerprint()})
    runs.write_json(results / "metrics.json", {"task": "panx", "average": {"f1": 50.0}})
    notebook = tmp_path / "book" / "smoke" / finished_run.experiment / f"{finished_run.name}.ipynb"
    notebook.parent.mkdir(parents=True)
    notebook.write_text("{}")

    def refuse(*args, **kwargs):
        raise AssertionError("a model loaded before the input was checked")

    monkeypatch.setattr(models, "load", refuse)
    return tmp_path


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("argv, files, env, expected", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_is_one_line_and_exit_2(world, kits, monkeypatch, capsys, argv, files, env, expected):
    fill = {"tmp": str(world), **kits}
    for name, text in files.items():
        (world / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(**fill))
    finished = {part: _snapshot(world / part) for part in ("results", "book")}
    try:
        code = cli.main([arg.format(**fill) for arg in argv])
    except SystemExit as exit_:  # argparse's errors leave through sys.exit
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and err.endswith("\n"), err
    assert expected in err, err
    assert {part: _snapshot(world / part) for part in ("results", "book")} == finished


def test_piped_listing_exits_quietly():
    """`xtl tasks | head -1` and a reader that reads nothing: no BrokenPipeError traceback, status 0."""
    for reader in ("head -1", "true"):
        done = subprocess.run(["bash", "-o", "pipefail", "-c", f"'{sys.executable}' -m xtl.cli tasks -v | {reader}"],
                              check=False, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and done.stderr == "", (reader, done.stderr)


def test_console_script_prints_the_same_line(tmp_path):
    """The real process: malformed YAML is one line and status 2 (no PyYAML traceback)."""
    (tmp_path / "run.yml").write_text("model: [\n")
    done = subprocess.run([sys.executable, "-m", "xtl.cli", "target", str(tmp_path / "run.yml")], check=False,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("error: ") and "is not valid YAML at line 2, column 1" in done.stderr
