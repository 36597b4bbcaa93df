"""Run identity and atomic result folders.

A run is identified by the hash of its resolved config, so the same config always lands in the
same folder, a finished folder is skipped, and a killed run leaves only a temporary folder that
the next attempt removes.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from xtl import atomic
from xtl.atomic import write_json  # the project's JSON records, re-exported: `runs.write_json`
from xtl.paths import repo_root

# The modules whose code decides a run's numbers: every xtl module that `xtl.experiment` imports, itself
# included, but those of OUTSIDE_CORE (tests/test_equivalence.py holds the two lists to that rule). So the
# config and its defaults, the kit and its row converters, data, the task registry, the model build (names,
# vocabulary trimming, the offline weights), features, heads, the training loop, prediction, the metrics,
# scoring and the leaderboard files, retrieval, the run identity and the phases that tie them together. Not
# in it: the runner, the CLI, results tables, verdicts and the book, which present numbers but do not make them.
CORE_MODULES = ("config", "kit", "convert", "data", "task_spec", "tasks_xtreme", "tasks_english", "tasks_african",
                "tasks", "model_names", "models", "trim", "e5_weights", "features", "heads", "train", "predict",
                "metrics", "mining", "scoring", "leaderboard", "retrieval", "identity", "experiment")
OUTSIDE_CORE = {
    "errors": "the one exception type: messages, not numbers",
    "paths": "where files are, not what they hold",
    "runs": "hashes, folders and this fingerprint itself",
    "atomic": "how a file is written, not what it holds",
    "compressed": "gzip bytes of prediction text that `xtl.equivalence` compares as text",
    "online": "whether the hub answers: where a model comes from, never what a run computes with it",
}
# Fingerprints of core code known to make the same numbers (a refactor that moved code, checked by
# re-running a finished run and comparing its results: `python -m xtl.equivalence`).
SAME_NUMBERS_FILE = Path(__file__).with_name("same_numbers.json")

PACKAGES = ("xtl", "torch", "transformers", "datasets", "accelerate", "tokenizers", "numpy", "seqeval",
            "papermill", "pandas", "seaborn")


def config_hash(config: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a config (sorted keys, no whitespace)."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_id(slug: str, config: dict[str, Any]) -> str:
    return f"{slug}-{config_hash(config)[:10]}"


def is_complete(folder: Path) -> bool:
    return (Path(folder) / "metrics.json").is_file()


class RunFolder:
    """Collects a run's files in `<final>.partial/` and renames it to `<final>` on `commit()` (`xtl.atomic`)."""

    def __init__(self, final: Path):
        self.final = Path(final)
        self.partial = atomic.staging_folder(self.final)

    def path(self, name: str) -> Path:
        return self.partial / name

    def write_json(self, name: str, payload: Any) -> None:
        write_json(self.partial / name, payload)

    def commit(self) -> Path:
        return atomic.publish(self.partial, self.final)


@functools.cache
def core_fingerprint() -> str:
    """The fingerprint of this checkout's CORE_MODULES (computed once per process)."""
    return fingerprint({name: (Path(__file__).parent / f"{name}.py").read_text() for name in CORE_MODULES})


DOC_FIELDS = ("stand_ins", "description", "cost")
"""Keyword arguments that make no number (a task's notes for the deviations page, its cost for estimates):
not part of the fingerprint."""


def fingerprint(sources: dict[str, str]) -> str:
    """sha256 over the syntax trees of named sources: comments, docstrings, layout and DOC_FIELDS do not change it."""
    digest = hashlib.sha256()
    for name, source in sorted(sources.items()):
        tree = ast.parse(source)
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
            if isinstance(node, ast.Call):
                node.keywords = [k for k in node.keywords if k.arg not in DOC_FIELDS]
        digest.update(f"{name}\n{ast.dump(tree)}\n".encode())
    return digest.hexdigest()[:16]


def same_numbers(made: str | None, current: str | None = None) -> bool:
    """Whether code with fingerprint `made` makes the numbers this code (or `current`) makes.

    True when they are equal, or when SAME_NUMBERS_FILE records them in one class of code checked to
    give identical results (classes are joined when they share a fingerprint).
    """
    current = current or core_fingerprint()
    if made is None:
        return False
    return made == current or made in equivalent_fingerprints(current)


def equivalent_fingerprints(fingerprint_: str) -> set[str]:
    """Every fingerprint recorded as making the same numbers as `fingerprint_` (itself included)."""
    classes = [set(entry["fingerprints"]) for entry in _same_numbers_records()]
    found, grew = {fingerprint_}, True
    while grew:
        grew = False
        for members in classes:
            if members & found and not members <= found:
                found |= members
                grew = True
    return found


def _same_numbers_records() -> list[dict[str, Any]]:
    if not SAME_NUMBERS_FILE.is_file():
        return []
    return json.loads(SAME_NUMBERS_FILE.read_text()).get("records", [])


def checkpoint_is_current(folder: Path) -> bool:
    """A cached model (phase-2 encoder, shared phase-3 model) is reused only if this core code, or code recorded
    as making the same numbers, made it."""
    summary = Path(folder) / "summary.json"
    return summary.is_file() and same_numbers(json.loads(summary.read_text()).get("core_fingerprint"))


def made_by(folder: Path) -> str | None:
    """The core fingerprint a finished run folder was made with (None: made before fingerprints, or unreadable)."""
    try:
        return json.loads((Path(folder) / "env.json").read_text()).get("core_fingerprint")
    except (OSError, ValueError, AttributeError):
        return None


def environment(wall_s: float | None = None, device: str | None = None,
                fingerprint: str | None = None) -> dict[str, Any]:
    """Versions, git revision, core fingerprint, device and wall time: what a reader needs to trust a number."""
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "versions": versions,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_revision": git_revision(),
        "core_fingerprint": fingerprint or core_fingerprint(),
        "device": device or describe_device(),
        "cpu_count": os.cpu_count(),
        "wall_s": wall_s,
    }


def git_revision() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], check=False, cwd=repo_root(), capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], check=False, cwd=repo_root(),
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def describe_device() -> str:
    import torch  # here, not above: 3.7 s to import, and only a run's record needs it

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"cpu ({os.cpu_count()} cores, torch threads {torch.get_num_threads()})"
