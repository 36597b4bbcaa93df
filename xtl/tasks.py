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
from xtl.task_spec import FORMATS, METRICS, ROLES, Derivation, Task

__all__ = ["FORMATS", "METRICS", "ROLES", "Derivation", "Task", "all_tasks", "get", "names", "register", "unregister"]

_TASKS: tuple[Task, ...] = tasks_xtreme.TASKS + tasks_english.TASKS + tasks_african.TASKS + (tasks_english.MLM,)

_BY_NAME: dict[str, Task] = {task.name: task for task in _TASKS}  # the registry: the table plus registered tasks


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
