"""`xtl data prepare` from a fake hub writes the kit layout that `xtl.data` reads back row for row."""

from __future__ import annotations

import gzip
import json

import datasets
import pytest

from xtl import data, hub, tasks
from xtl.errors import XtlError


def _kit_rows(kit, task, lang, split):
    with gzip.open(kit / task / lang / f"{split}.jsonl.gz", "rt") as handle:
        return [json.loads(line) for line in handle]


def _dataset(rows, features=None):
    return datasets.Dataset.from_list(rows, features=features)


class FakeHub:
    """`datasets.load_dataset` stand-in: hub (path, config) -> DatasetDict in the hub's own schema."""

    def __init__(self, kit):
        self.kit = kit
        self.calls = []

    def __call__(self, path, config=None, **kwargs):
        self.calls.append((path, config))
        kit = self.kit
        if (path, config) == ("google/xtreme", "PAN-X.de"):
            tags = datasets.ClassLabel(names=list(tasks.get("panx").label_names))
            features = datasets.Features({"tokens": datasets.List(datasets.Value("string")),
                                          "ner_tags": datasets.List(tags),
                                          "langs": datasets.List(datasets.Value("string"))})
            return datasets.DatasetDict({"validation": _dataset(_kit_rows(kit, "panx", "de", "validation")[:300],
                                                                features)})
        if (path, config) == ("xnli", "de"):
            label = datasets.ClassLabel(names=list(tasks.get("xnli").label_names))
            features = datasets.Features({"premise": datasets.Value("string"),
                                          "hypothesis": datasets.Value("string"), "label": label})
            return datasets.DatasetDict({split: _dataset(_kit_rows(kit, "xnli", "de", split), features)
                                         for split in ("validation", "test")})
        if (path, config) == ("squad", "plain_text"):
            return datasets.DatasetDict({"train": _dataset(_kit_rows(kit, "squad", "en", "train"))})
        if (path, config) == ("google/xtreme", "XQuAD.de"):  # the hub names XQuAD's only split 'validation'
            return datasets.DatasetDict({"validation": _dataset(_kit_rows(kit, "xquad", "de", "test"))})
        if (path, config) == ("google/xtreme", "tatoeba.deu"):  # the hub puts file paths in *_lang
            rows = [{**r, "source_lang": "/tmp/tatoeba.deu-eng.deu", "target_lang": "/tmp/tatoeba.deu-eng.eng"}
                    for r in _kit_rows(kit, "tatoeba", "deu", "validation")]
            return datasets.DatasetDict({"validation": _dataset(rows)})
        if (path, config) == ("tydiqa", "secondary_task"):  # every language in one config
            rows = [r for lang in ("ar", "sw") for r in _kit_rows(kit, "tydiqa", lang, "validation")]
            return datasets.DatasetDict({"validation": _dataset(rows)})
        if (path, config) == ("hellaswag", "default"):  # hub schema: label is a string, '' on test
            def hub_row(r, label):
                return {"ind": r["ind_in_val"], "activity_label": r["activity_label"], "ctx_a": r["ctx"],
                        "ctx_b": "", "ctx": r["ctx"], "endings": r["endings"], "source_id": "x",
                        "split": "val", "split_type": "indomain", "label": label}
            validation = [hub_row(r, str(r["label"])) for r in _kit_rows(kit, "hellaswag", "en", "validation")]
            test = [hub_row(r, "") for r in _kit_rows(kit, "hellaswag", "en", "validation")[:5]]
            return datasets.DatasetDict({"validation": _dataset(validation), "test": _dataset(test)})
        if (path, config) == ("glue", "qqp"):  # GLUE test labels are hidden (-1)
            rows = _kit_rows(kit, "qqp", "en", "validation")
            return datasets.DatasetDict({"validation": _dataset(rows),
                                         "test": _dataset([{**r, "label": -1} for r in rows[:7]])})
        raise ConnectionError(f"Couldn't reach '{path}' on the Hub (fake)")


ROUND_TRIPS = [  # (task, hub languages, (lang, split) to compare)
    ("panx", ["de"], [("de", "validation")]),
    ("xnli", ["de"], [("de", "validation"), ("de", "test")]),
    ("squad", ["en"], [("en", "train"), ("en", "validation")]),
    ("xquad", ["de"], [("de", "test")]),
    ("tatoeba", ["deu"], [("deu", "validation")]),
    ("tydiqa", ["ar", "sw"], [("ar", "validation"), ("sw", "validation")]),
    ("hellaswag", ["en"], [("en", "validation")]),
    ("qqp", ["en"], [("en", "validation")]),
]


@pytest.mark.parametrize("name, langs, compare", ROUND_TRIPS, ids=[t[0] for t in ROUND_TRIPS])
def test_prepare_round_trips_to_the_same_canonical_rows(kit, tmp_path, monkeypatch, name, langs, compare):
    monkeypatch.delenv("XTL_DATA_EXTRA", raising=False)
    task = tasks.get(name)
    expected = {(lang, split): data.rows(name, lang, split) for lang, split in compare}
    if name == "panx":
        expected[("de", "validation")] = expected[("de", "validation")][:300]
    folder = hub.prepare(name, tmp_path, load_dataset=FakeHub(kit), languages=langs)
    assert folder == tmp_path / task.kit_name
    manifest = json.loads((folder / "MANIFEST.json").read_text())
    assert manifest["format"] == task.format and manifest["hub"] == task.hub
    monkeypatch.setenv("XTL_DATA", str(tmp_path))
    for (lang, split), rows in expected.items():
        assert data.rows(name, lang, split) == rows, (name, lang, split)
    for info in manifest["files"].values():
        assert len(info["sha256"]) == 64 and info["rows"] > 0


def test_hidden_test_labels_are_not_written(kit, tmp_path):
    folder = hub.prepare("qqp", tmp_path, load_dataset=FakeHub(kit))
    manifest = json.loads((folder / "MANIFEST.json").read_text())
    assert "en/test.jsonl.gz" not in manifest["files"]
    assert any("en/test" in note for note in manifest["missing"])
    hellaswag = hub.prepare("hellaswag", tmp_path, load_dataset=FakeHub(kit))
    assert not (hellaswag / "en" / "test.jsonl.gz").exists()


def test_prepare_merges_languages_into_one_manifest(kit, tmp_path, monkeypatch):
    fake = FakeHub(kit)
    hub.prepare("tydiqa", tmp_path, load_dataset=fake, languages=["ar"])
    hub.prepare("tydiqa", tmp_path, load_dataset=fake, languages=["sw"])
    manifest = json.loads((tmp_path / "tydiqa" / "MANIFEST.json").read_text())
    assert {"ar/validation.jsonl.gz", "sw/validation.jsonl.gz"} <= set(manifest["files"])
    assert fake.calls == [("tydiqa", "secondary_task")] * 2
    monkeypatch.setenv("XTL_DATA", str(tmp_path))
    assert data.splits("tydiqa", "sw") == ["validation"]


def test_prepared_folder_works_as_the_user_folder(kit, tmp_path, monkeypatch):
    hub.prepare("xquad", tmp_path, load_dataset=FakeHub(kit), languages=["de"])
    monkeypatch.setenv("XTL_DATA", str(tmp_path / "no-kit-here"))
    monkeypatch.setenv("XTL_DATA_EXTRA", str(tmp_path))
    assert len(data.load("xquad", "de", "test", limit=10)) == 10
    bad = tmp_path / "xquad" / "de" / "test.jsonl.gz"
    with gzip.open(bad, "wt") as handle:
        handle.write("{}\n")
    with pytest.raises(XtlError, match="sha256 mismatch"):
        data.load("xquad", "de", "test")


def _one_line(call, *needles):
    with pytest.raises(XtlError) as error:
        call()
    message = str(error.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, message


def test_offline_real_call_fails_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # never touch the network from a test
    _one_line(lambda: hub.prepare("panx", tmp_path, languages=["de"]),
              "cannot reach the Hugging Face hub to prepare panx", "xtl data prepare panx")
    assert not (tmp_path / "panx").exists()


def test_network_errors_of_load_dataset_become_one_line(tmp_path):
    def offline(path, config=None, **kwargs):
        raise ConnectionError("Couldn't reach 'x' on the Hub (LocalEntryNotFoundError)\nmore detail")

    def broken(path, config=None, **kwargs):
        raise ValueError("BuilderConfig 'PAN-X.de' not found.\nAvailable: ...")

    _one_line(lambda: hub.prepare("panx", tmp_path, load_dataset=offline, languages=["de"]),
              "cannot reach the Hugging Face hub to prepare panx")
    _one_line(lambda: hub.prepare("panx", tmp_path, load_dataset=broken, languages=["de"]),
              "google/xtreme PAN-X.de", "ValueError")


def test_tasks_without_a_hub_dataset(tmp_path):
    _one_line(lambda: hub.prepare("ccg", tmp_path), "cannot prepare ccg", "LDC")
    _one_line(lambda: hub.prepare("bucc2018", tmp_path), "mining pool")
    _one_line(lambda: hub.prepare("mlm", tmp_path), "cannot prepare mlm")
    _one_line(lambda: hub.prepare("udpos", tmp_path, languages=["wo"]), "no hub config for wo")


def test_hub_configs_follow_the_manifests():
    assert hub._config(tasks.get("panx"), "de") == ("google/xtreme", "PAN-X.de")
    assert hub._config(tasks.get("udpos"), "de") == ("google/xtreme", "udpos.German")
    assert hub._config(tasks.get("mlqa"), "hi") == ("google/xtreme", "MLQA.hi.hi")
    assert hub._config(tasks.get("xcopa"), "en") == ("super_glue", "copa")
    assert hub._config(tasks.get("xnli"), "sw") == ("xnli", "sw")
    assert hub._config(tasks.get("mnli"), "en") == ("glue", "mnli")
