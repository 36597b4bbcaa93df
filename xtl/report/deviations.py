"""The deviations page's tables, generated from the task registry and the runs' own configs.

Stand-ins and reductions as `xtl.tasks` records them, the sizes a profile's runs actually used
(their `config.json`), and the languages each target was evaluated on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from xtl import data, tasks
from xtl.report.gains import Results

ROLES = ("target", "retrieval", "intermediate", "mlm")
NONE_RECORDED = "(none recorded)"
NOT_IN_KIT = "NOT IN THE OFFLINE KIT: the task cannot run here (online users get it from the hub)"


def standins() -> pd.DataFrame:
    """One row per (task, note) of every task the paper uses; a task missing from the data kit says so first."""
    rows = []
    for task in tasks.all_tasks():
        if task.role not in ROLES:
            continue
        notes = list(task.stand_ins)
        if not data.in_kit(task.name):
            notes.insert(0, NOT_IN_KIT)
        for note in notes or [NONE_RECORDED]:
            rows.append({"task": task.name, "role": task.role, "stand-in, subset or missing data": note})
    return pd.DataFrame(rows)


def n_standins(table: pd.DataFrame) -> int:
    return sum(1 for note in table["stand-in, subset or missing data"] if note != NONE_RECORDED)


def _train(section: dict[str, Any]) -> dict[str, Any]:
    train = section["train"]
    return {"epochs": train["epochs"], "learning rate": train["learning_rate"], "batch": train["batch_size"],
            "frozen word embeddings": train["freeze_word_embeddings"]}


def size_rows(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The sizes one run used: its phase 3 (target), phase 2 (intermediate) and retrieval sections."""
    rows, inter = [], config.get("intermediate", {})
    if "target" in config:
        t = config["target"]
        rows.append({"phase": "3 (target)", "task": t["task"], "train examples": t["train_limit"] or "all",
                     "eval items per language": t["eval_limit"] or "all", "max length": t["max_length"], **_train(t),
                     "languages": len(t["languages"]) if t["languages"] else "all"})
    if inter.get("tasks"):
        rows.append({"phase": "2 (intermediate)", "task": "+".join(inter["tasks"]),
                     "train examples": inter["train_limit"] or "all", "eval items per language": "–",
                     "max length": inter["max_length"], **_train(inter),
                     "languages": "en" if not inter.get("mlm_share") else f"en + MLM {inter['mlm_share']:g}"})
    if "retrieval" in config:
        r = config["retrieval"]
        rows.append({"phase": "retrieval", "task": r["task"], "train examples": "–",
                     "eval items per language": r["limit"] or "all", "max length": r["max_length"], "epochs": "–",
                     "learning rate": "–", "batch": "–", "frozen word embeddings": "–",
                     "languages": len(r["languages"]) if r["languages"] else "all"})
    return rows


def sizes(folders: Iterable[Path]) -> pd.DataFrame:
    """The distinct sizes the runs of these result folders used, by phase and task (all as text)."""
    configs = [json.loads((f / "config.json").read_text()) for f in folders if (f / "config.json").is_file()]
    table = pd.DataFrame([row for config in configs for row in size_rows(config)])
    if not len(table):
        return pd.DataFrame({"note": ["no runs in this profile"]})
    return table.astype(str).drop_duplicates().sort_values(["phase", "task"]).reset_index(drop=True)


def languages(res: Results) -> pd.DataFrame:
    """Per target: how many languages were evaluated, of how many the task has, and which."""
    rows = []
    for target in res.tasks:
        used = res.languages.get(target, [])
        rows.append({"target": target, "evaluated": len(used), "in the task": len(tasks.get(target).languages),
                     "languages evaluated": " ".join(used)})
    return pd.DataFrame(rows, columns=["target", "evaluated", "in the task", "languages evaluated"])
