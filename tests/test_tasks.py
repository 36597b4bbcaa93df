"""The task registry agrees with the kit's manifests and with the paper's task list."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest

from xtl import data, leaderboard, metrics, tasks
from xtl.errors import XtlError

PAPER_TASKS = {
    "target": {"xnli", "pawsx", "udpos", "panx", "xquad", "mlqa", "tydiqa", "xcopa"},
    "retrieval": {"bucc2018", "tatoeba"},
    "intermediate": {"anli_plus", "mnli", "qqp", "sst2", "squad", "hellaswag", "ccg", "cosmosqa",
                     "commonsenseqa", "socialiqa", "snli"},
    "african": {"masakhaner2", "masakhapos", "afrisenti", "masakhanews", "afriqa", "masakhaner2_zs", "masakhapos_zs"},
    "mlm": {"mlm"},
}


def _manifest(kit, task):
    path = kit / task.kit_name / "MANIFEST.json"
    return json.loads(path.read_text()) if path.is_file() else None


def test_every_task_of_the_paper_is_registered_once():
    for role, expected in PAPER_TASKS.items():
        assert set(tasks.names(role)) == expected
    assert len(tasks.names()) == len(set(tasks.names())) == sum(len(v) for v in PAPER_TASKS.values())


def test_fields_take_known_values():
    for task in tasks.all_tasks():
        assert task.format in tasks.FORMATS
        assert task.role in tasks.ROLES
        assert task.metric in tasks.METRICS
        assert set(task.eval_split) <= set(task.languages)
        assert set(task.xtreme_languages) <= set(task.eval_split) or not task.xtreme_languages
        assert task.max_length == {"extractive_qa": 384, "retrieval": 512}.get(task.format, 256)
        for name in (task.train_task, task.dev_task):
            if name is not None:
                tasks.get(name)
        if task.role in ("target", "intermediate"):
            assert task.train_split and task.dev_split and task.train_lang == "en"
        for derivation in task.derived:
            assert set(derivation.outputs) <= set(task.known_splits)
        assert callable(task.convert)
        assert task.leaderboard is None or task.leaderboard in leaderboard.LAYOUTS


def test_xtreme_tasks_name_their_leaderboard_layout():
    layouts = {t.name: t.leaderboard for t in tasks.all_tasks() if t.leaderboard}
    assert layouts == {"xnli": "label_names", "pawsx": "integers", "udpos": "tags", "panx": "tags",
                       "xquad": "answers", "mlqa": "answers", "tydiqa": "answers", "bucc2018": "pairs",
                       "tatoeba": "integers"}
    assert [t.name for t in tasks.all_tasks() if t.sentence_pool] == ["bucc2018"]


def test_shared_label_spaces_share_a_head():
    assert {t.name for t in tasks.all_tasks() if t.head_group == "nli3"} == {"mnli", "snli", "anli_plus", "xnli"}
    assert len({tasks.get(n).label_names for n in ("mnli", "snli", "anli_plus", "xnli")}) == 1


def test_english_training_data_of_targets_follows_xtreme():
    assert (tasks.get("xnli").train_task, tasks.get("xnli").train_split) == ("mnli", "train")
    for name in ("xquad", "mlqa"):
        assert tasks.get(name).train_task == "squad" and tasks.get(name).dev_task == "squad"
    assert tasks.get("pawsx").eval_split == {"de": "test", "zh": "test"}
    assert tasks.get("mlqa").metric == "mlqa"


def test_task_is_frozen_and_hashable():
    task = tasks.get("xnli")
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.name = "other"  # type: ignore[misc]
    assert {task: 1}[tasks.get("xnli")] == 1


@pytest.mark.parametrize("bad", ["xnl", "", "XNLI"])
def test_unknown_task_is_one_line_that_names_the_fix(bad):
    with pytest.raises(XtlError) as error:
        tasks.get(bad)
    message = str(error.value)
    assert "\n" not in message and "xtl tasks" in message and "xnli" in message


def test_unknown_role():
    with pytest.raises(XtlError, match="roles"):
        tasks.names("teacher")


def test_registry_matches_the_manifests(kit):
    for task in tasks.all_tasks():
        manifest = _manifest(kit, task)
        if manifest is None:
            assert task.name == "ccg"
            continue
        kit_languages = {rel.split("/")[0] for rel in manifest["files"]}
        mixed_in = {task.train_lang} if task.mix and task.composite else set()  # an English split of other tasks' rows
        assert set(task.languages) == kit_languages | mixed_in, task.name
        assert task.format == manifest["format"]
        assert task.hub.get("path") == manifest["hub"].get("path")
        assert task.hub.get("config") == manifest["hub"].get("config")
        if manifest.get("label_names") and task.kit_name == task.name:  # else another kit's rows in its labels
            assert len(task.label_names) == len(manifest["label_names"])
            for ours, theirs in zip(task.label_names, manifest["label_names"]):
                assert theirs.startswith(ours), (task.name, ours, theirs)


def test_eval_train_and_dev_splits_exist_offline(kit):
    for task in tasks.all_tasks():
        if task.name == "ccg":
            continue
        for lang, split in task.eval_split.items():
            assert split in data.splits(task.name, lang), (task.name, lang, split)
        if task.train_split and task.train_lang:
            assert task.train_split in data.splits(task.train_task or task.name, task.train_lang), task.name
        if task.dev_split and task.train_lang:
            assert task.dev_split in data.splits(task.dev_task or task.name, task.train_lang), task.name


def test_stand_ins_are_listed_for_every_stand_in_file_and_missing_part(kit):
    for task in tasks.all_tasks():
        manifest = _manifest(kit, task)
        if manifest is None:
            assert any("LDC" in note for note in task.stand_ins)
            continue
        text = " ".join(task.stand_ins)
        for rel, info in manifest["files"].items():
            if info.get("stand_in"):
                lang, split = rel[: -len(".jsonl.gz")].split("/")
                assert f"{lang}/{split}" in text, (task.name, rel)
        if manifest.get("missing"):
            assert task.stand_ins, task.name
        for derivation in task.derived:
            for output in derivation.outputs:
                assert f"{derivation.lang}/{output}" in text, (task.name, output)
    assert all("\n" not in note for task in tasks.all_tasks() for note in task.stand_ins)
    assert "NOT ANLI+" in " ".join(tasks.get("anli_plus").stand_ins)


@pytest.mark.parametrize("lang", tasks.get("tydiqa").languages)
def test_tydiqa_validation_is_scorable_in_every_language(kit, lang):
    """The repaired kit carries gold answers: every question has a non-empty span, and gold scores 100."""
    rows = data.rows("tydiqa", lang, "validation")
    assert rows and all(t for r in rows for t in r["answers"]["text"]) and all(r["answers"]["text"] for r in rows)
    gold = {r["id"]: r["answers"]["text"][0] for r in rows}
    refs = {r["id"]: r["answers"] for r in rows}
    assert metrics.squad_scores(gold, refs, lang=None)["f1"] == pytest.approx(100.0)


def test_xcopa_english_test_is_evaluated_with_real_labels(kit):
    task = tasks.get("xcopa")
    assert task.eval_split["en"] == "test" and "en" not in task.xtreme_languages
    labels = [r["label"] for r in data.rows("xcopa", "en", "test")]
    assert len(labels) == 500 and set(labels) == {0, 1}
    # row i of every translation shares the English label
    assert labels == [r["label"] for r in data.rows("xcopa", "qu", "test")]


REGISTRY = {"tasks.py", "task_spec.py", "tasks_xtreme.py", "tasks_english.py", "tasks_african.py", "convert.py"}
# What a report module is about may name tasks: a claim of the paper (C4's two targets), published scores by task,
# and the follow-up questions' designs. The rest of xtl/report/ asks the registry.
NOT_YET = ("claims.py", "published.py", "questions")


def _task_name_uses(path: Path, names: set[str]) -> list[str]:
    """Comparisons with a task's name, names bound to task names and tables keyed by them, in one module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Assign):  # QA_TASKS = ("xquad", ...), TRANSLATED = "xnli-translated"
            values = node.value.elts if isinstance(node.value, (ast.Tuple, ast.List, ast.Set)) else [node.value]
            bound = [v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            if bound and len(bound) == len(values) and set(bound) <= names:
                found.append(f"{path.name}:{node.lineno} binds a name to {bound}")
        elif isinstance(node, ast.Compare):
            constants = [c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
            found += [f"{path.name}:{node.lineno} compares with {value!r}" for value in constants if value in names]
        elif isinstance(node, ast.Dict):
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            found += [f"{path.name}:{node.lineno} a table keyed by {key!r}" for key in keys if key in names]
    return found


def test_no_module_outside_the_registry_compares_a_task_name():
    """Task behaviour is on the Task: other modules ask the record, they never branch on a name."""
    # 'mlqa' is a metric's name too and 'mlm' a head kind's: modules compare those as metric and head names
    names = (set(tasks.names()) | {tasks.TRANSLATED_NLI}) - set(tasks.METRICS) - {"mlm"}
    package = Path(tasks.__file__).parent
    modules = [p for p in package.rglob("*.py") if p.name not in REGISTRY or p.parent != package]
    found = [use for p in modules if not set(p.relative_to(package).parts) & set(NOT_YET)
             for use in _task_name_uses(p, names)]
    assert not found, "\n".join(found)


def test_intermediate_sources_name_what_they_train_on():
    translated = tasks.source(tasks.TRANSLATED_NLI)
    assert translated.task.name == "xnli" and len(translated.train) == 14 and translated.dev[:2] == ("mnli", "en")
    assert translated.part_limit(6400) == 457 and translated.reads == ("mnli", "xnli")
    assert tasks.source("mnli").train == (("mnli", "en", "train"),) and tasks.source("mnli").part_limit(50) == 50
    hausa = tasks.source("masakhaner2:hau")
    assert hausa.train == (("masakhaner2", "hau", "train"),) and hausa.dev == ("masakhaner2", "hau", "validation")
    with pytest.raises(XtlError, match="no English training data"):
        tasks.source("masakhaner2")
    with pytest.raises(XtlError, match="no language 'tlh'"):
        tasks.source("masakhaner2:tlh")
