"""The task registry: what every task is, where its data lives and how it is scored.

One frozen `Task` (`xtl.task_spec`) per task of the paper, XTREME(-R), the follow-up questions and the MLM
baseline; the tables are `xtl.tasks_xtreme`, `xtl.tasks_english` and `xtl.tasks_african`.
The registry works without the data kit; `xtl.data` turns it into rows. A task's behaviour is in its
entry: `convert` reads its kit rows, `format` and `metric` pick its columns, head and scorer (`bucc_f1`
makes a sentence pool), `leaderboard` names its XTREME prediction file. So a new task of an existing
format is one `register(Task(...))` plus its files in the kit layout (e.g. under `$XTL_DATA_EXTRA`;
tests/test_toy_task.py does just that). Split choices follow the data kit's recommendations (its
SOURCES.md): evaluate on `test` where it exists with labels, else `validation`; early-stop on English
data that is never evaluated; never train on any language's copy of an evaluated item.

Two kinds of split are made by `xtl.data` rather than read from one kit file:
- a `Derivation` carves a held-out part out of a kit split, deterministically and by groups
  (rows sharing a title, passage or sentence stay on one side), e.g. SQuAD's English validation;
- `mix` appends other tasks' splits, e.g. anli_plus = ANLI + MNLI train + SNLI train.
Besides, every split that trains or early-stops a task loses the rows whose text equals an
evaluated row of that task (any language): see `xtl.data` ("decontamination").
"""

from __future__ import annotations

from xtl import tasks_african, tasks_english, tasks_xtreme
from xtl.errors import XtlError
from xtl.task_spec import FORMATS, METRICS, ROLES, Cost, Derivation, Source, Task

__all__ = ["FORMATS", "METRICS", "MLM_CORPUS", "ROLES", "TRANSLATED_NLI", "Cost", "Derivation", "Source", "Task",
           "all_tasks", "cost", "get", "names", "register", "source", "unregister"]

_TASKS: tuple[Task, ...] = tasks_xtreme.TASKS + tasks_english.TASKS + tasks_african.TASKS + (tasks_english.MLM,)

_BY_NAME: dict[str, Task] = {task.name: task for task in _TASKS}  # the registry: the table plus registered tasks

MLM_CORPUS: Task = tasks_english.MLM  # the raw text an MLM share of phase 2 is drawn from

# C6's baseline: XNLI's validation sets in its 14 non-English languages (human translations of the English
# items) as one intermediate task, early-stopped on MNLI's English dev set.
TRANSLATED_NLI = "xnli-translated"
_SOURCES: dict[str, Source] = {TRANSLATED_NLI: Source(
    TRANSLATED_NLI, _BY_NAME["xnli"],
    train=tuple(("xnli", lang, "validation") for lang in _BY_NAME["xnli"].eval_split if lang != "en"),
    dev=("mnli", "en", _BY_NAME["mnli"].dev_split),
    cost=Cost(official_train=14 * 2_490, paper_tokens=64),
)}


def names(role: str | None = None) -> list[str]:
    """Registered task names in registry order, optionally only those of one role."""
    if role is not None and role not in ROLES:
        raise XtlError(f"unknown task role {role!r}; roles: {', '.join(ROLES)}")
    return [task.name for task in _BY_NAME.values() if role is None or task.role == role]


def get(name: str | Task) -> Task:
    """The task called `name` (a Task passes through)."""
    if isinstance(name, Task):
        return name
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise XtlError(f"unknown task {name!r}; known tasks: {', '.join(_BY_NAME)} (run 'xtl tasks')") from None


def source(name: str) -> Source:
    """What `name` in a config's `intermediate.tasks` trains on.

    'mnli': the task's English training split, early-stopped on its English dev split; 'masakhaner2:hau':
    that language's own train and validation splits; 'xnli-translated': the named source above.
    """
    if name in _SOURCES:
        return _SOURCES[name]
    task_name, _, lang = name.partition(":")
    task = get(task_name)
    if lang and lang not in task.languages:
        raise XtlError(f"task {task.name} has no language {lang!r}; choose from {', '.join(task.languages)}")
    if lang and lang != task.train_lang:
        return Source(name, task, train=((task.name, lang, "train"),), dev=(task.name, lang, "validation"))
    if task.train_lang is None:
        raise XtlError(f"task {task.name} has no English training data; name a language, e.g. "
                       f"'{task.name}:{task.languages[0]}'")
    return Source(name, task, train=((task.train_task or task.name, task.train_lang, task.train_split),),
                  dev=(task.dev_task or task.name, task.train_lang, task.dev_split))


def cost(name: str) -> Cost:
    """What training on `name` costs: an intermediate source's own record, else its task's (`Task.cost`)."""
    return _SOURCES[name].costs if name in _SOURCES else get(name.partition(":")[0]).cost


def all_tasks() -> list[Task]:
    """Every registered task, in registry order."""
    return list(_BY_NAME.values())


def register(task: Task) -> Task:
    """Add a task of one's own (after the table's); its rows are read from the kit layout like any other.

    The one thing a new task needs besides its files (`<kit or $XTL_DATA_EXTRA>/<kit_name>/<lang>/<split>.jsonl.gz`,
    with a MANIFEST.json listing their sha256): no other module names tasks.
    """
    checks = (("format", task.format, FORMATS), ("role", task.role, ROLES), ("metric", task.metric, METRICS))
    for what, value, known in checks:
        if value not in known:
            raise XtlError(f"task {task.name!r} has unknown {what} {value!r}; use one of {', '.join(known)}")
    if not callable(task.convert):
        raise XtlError(f"task {task.name!r} needs a row converter (convert=...), e.g. xtl.convert.pair('a', 'b')")
    if task.name in _BY_NAME:
        raise XtlError(f"task {task.name!r} is already registered; choose another name")
    _BY_NAME[task.name] = task
    return task


def unregister(name: str) -> None:
    """Remove a task added with `register` (the table's own tasks stay)."""
    if name in {task.name for task in _TASKS}:
        raise XtlError(f"task {name!r} is one of the registry's own tasks; only registered ones can be removed")
    _BY_NAME.pop(name, None)
