"""A task of one's own is one registry entry plus its files in the kit layout, and nothing else.

`toy` is a pair-classification task whose kit rows use field names no other task uses (`left`, `right`,
`same`). Its files sit in a user folder (`$XTL_DATA_EXTRA`) beside an empty kit, with a MANIFEST.json like the
real kit's; the test registers the entry and runs phase 3 end to end with tiny-random. No module of `xtl` is
told about it: its converter, metric and (absent) leaderboard layout are fields of the entry.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json

import pytest

from xtl import compressed, convert, data, experiment, tasks
from xtl.errors import XtlError

TOY = tasks.Task(
    name="toy", format="pair_classification", role="target", kit_name="toy", languages=("en", "de"),
    convert=convert.pair("left", "right"),
    eval_split={"en": "test", "de": "test"}, label_names=("different", "same"), metric="accuracy",
    hub={"path": None, "config": None}, head_group="toy", max_length=64,
    train_task="toy", train_split="train", dev_task="toy", dev_split="validation",
    known_splits=("train", "validation", "test"),
    description="a toy paraphrase task for tests",
)
SIZES = {("en", "train"): 32, ("en", "validation"): 8, ("en", "test"): 8, ("de", "test"): 8}
WORDS = {"en": ("cat", "dog", "bird", "fish"), "de": ("Katze", "Hund", "Vogel", "Fisch")}


def _row(lang: str, split: str, index: int) -> dict:
    """Kit-schema row: `left`/`right` and the label under the kit's own name (`label`, as `convert.pair` reads)."""
    word = WORDS[lang][index % 4]
    same = index % 2
    left = f"{split} {index}: the {word} sleeps" if lang == "en" else f"{split} {index}: der {word} schläft"
    right = left if same else f"{split} {index}: {word} {index}"
    return {"id": f"{lang}-{split}-{index}", "left": left, "right": right, "label": same}


def write_kit_folder(root):
    """<root>/toy/<lang>/<split>.jsonl.gz and MANIFEST.json (rows and sha256 per file), as the kit has them."""
    files = {}
    for (lang, split), size in SIZES.items():
        lines = "".join(json.dumps(_row(lang, split, i), ensure_ascii=False) + "\n" for i in range(size))
        blob = gzip.compress(lines.encode("utf-8"), mtime=0)
        path = root / "toy" / lang / f"{split}.jsonl.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
        files[f"{lang}/{split}.jsonl.gz"] = {"rows": size, "sha256": hashlib.sha256(blob).hexdigest()}
    manifest = {"task": "toy", "format": "pair_classification", "label_names": ["different", "same"], "files": files}
    (root / "toy" / "MANIFEST.json").write_text(json.dumps(manifest, indent=1))


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """The toy task registered, its files in a user folder, an empty kit, results and checkpoints in tmp."""
    (tmp_path / "kit").mkdir()
    write_kit_folder(tmp_path / "extra")
    monkeypatch.setenv("XTL_DATA", str(tmp_path / "kit"))  # a kit that does not hold the toy task
    monkeypatch.setenv("XTL_DATA_EXTRA", str(tmp_path / "extra"))
    monkeypatch.setenv("XTL_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("XTL_CHECKPOINTS", str(tmp_path / "checkpoints"))
    tasks.register(TOY)
    yield tmp_path
    tasks.unregister("toy")


def test_toy_rows_are_canonical(toy):
    assert "toy" in tasks.names("target") and tasks.get("toy") is TOY
    assert data.languages("toy") == ["en", "de"] and data.eval_languages("toy") == ["en", "de"]
    assert data.splits("toy", "en") == ["test", "train", "validation"] and data.splits("toy", "de") == ["test"]
    rows = data.rows("toy", "de", "test")
    assert len(rows) == 8 and rows[1] == {"text_a": "test 1: der Hund schläft", "text_b": "test 1: der Hund schläft",
                                          "label": 1}
    assert data.load("toy", "en", "train", limit=5, seed=0).column_names == ["text_a", "text_b", "label"]
    data.check_kit(["toy"])  # the sha256 of every file agrees with the manifest


def test_toy_task_runs_through_phase_3(toy):
    config = {"model": "tiny-random", "seed": 0, "intermediate": {"tasks": []},
              "target": {"task": "toy", "train_limit": 24, "dev_limit": 8, "eval_limit": 8, "max_length": 32,
                         "train": {"batch_size": 8, "learning_rate": 1e-3, "freeze_word_embeddings": True}}}
    folder = experiment.target(config, profile="smoke", progress=False)
    assert folder.parent == toy / "results" / "smoke" / "target"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["task"] == "toy" and metrics["metric"] == "accuracy"
    assert metrics["split_per_language"] == {"en": "test", "de": "test"}
    assert set(metrics["per_language"]) == {"en", "de"}
    assert all(0 <= scores["accuracy"] <= 100 for scores in metrics["per_language"].values())
    for lang in ("en", "de"):
        lines = compressed.read_text(folder / "predictions" / f"{lang}.jsonl.gz").splitlines()
        assert len(lines) == 8 and json.loads(lines[0])["gold"] in (0, 1)
    assert not (folder / "predictions" / "xtreme").exists()  # no leaderboard layout: no submission file


def test_registration_is_checked(toy):
    with pytest.raises(XtlError, match="already registered"):
        tasks.register(TOY)
    with pytest.raises(XtlError, match="unknown format"):
        tasks.register(dataclasses.replace(TOY, name="toy2", format="pairs"))
    with pytest.raises(XtlError, match="registry's own"):
        tasks.unregister("xnli")
    tasks.unregister("toy")
    assert "toy" not in tasks.names() and "toy2" not in tasks.names()
    with pytest.raises(XtlError, match="unknown task 'toy'"):
        data.rows("toy", "en", "train")
