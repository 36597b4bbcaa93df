"""The claims' results table: one row per (run, language) with its intermediate setting and headline metric.

`canonical` turns what `xtl.results.load` returns (or a hand-made frame) into the rows the claims
compare; a run's intermediate setting comes from its config.json where the frame does not say it.
Each row holds two per-language values: `value`, the headline metric (QA: F1), and `xtreme_value`,
the one XTREME averages (QA: (EM + F1) / 2, `xtl.report.score`; the same as `value` elsewhere).
A setting is named by its tasks ('baseline', 'mnli', 'mnli+qqp', 'mnli+mlm') and has a kind
('baseline', 'single', 'multi', 'mlm', 'translated').
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xtl import scoring, tasks
from xtl.errors import XtlError

BASELINE = "baseline"

def setting_name(intermediate_tasks: Sequence[str], mlm: bool = False) -> str:
    """The label of an intermediate setting: 'baseline', 'mnli', 'mnli+qqp', 'mnli+mlm', ..."""
    name = "+".join(intermediate_tasks) if intermediate_tasks else BASELINE
    if mlm:
        name = "mlm" if not intermediate_tasks else name + "+mlm"
    return name


def setting_kind(intermediate_tasks: Sequence[str], mlm: bool = False) -> str:
    """'baseline', 'single', 'multi' (English tasks only), 'mlm' (tasks + MLM) or 'translated'."""
    if tasks.TRANSLATED_NLI in intermediate_tasks:
        return "translated"
    if mlm:
        return "mlm"
    if not intermediate_tasks:
        return "baseline"
    return "single" if len(intermediate_tasks) == 1 else "multi"


def _as_task_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.lower() in ("", "none", "baseline", "-"):
        return []
    return [t for t in text.split("+") if t and t != "mlm"]


def _read_config(run_path: Any) -> dict[str, Any]:
    path = Path(str(run_path)) / "config.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _main_metric(task_name: str, available: Iterable[str]) -> str:
    """The headline metric of a target (what the claims compare): F1 for tagging/QA/BUCC, else accuracy."""
    available = set(available)
    try:
        wanted = scoring.main_metric(tasks.get(task_name))
    except XtlError:  # unknown task name (hand-made tests): pick what is there
        wanted = "f1" if "f1" in available else "accuracy"
    if wanted in available:
        return wanted
    if len(available) == 1:
        return next(iter(available))
    raise XtlError(f"results for {task_name} have no {wanted!r} rows (found {sorted(available)}); "
                   "re-run its notebook so metrics.json holds the headline metric")


def canonical(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (run, language) with the headline metric: setting, kind, task, seed, model, value, ...

    Accepts `xtl.results.load` frames; the intermediate setting is taken from the run's config.json
    (intermediate.tasks, intermediate.mlm_share) where the frame does not say it.
    """
    if results is None or len(results) == 0:
        return pd.DataFrame(columns=["experiment", "run_id", "run_path", "setting", "kind", "intermediate_tasks",
                                     "task", "seed", "model", "language", "metric", "value", "xtreme_value",
                                     "english_dev"])
    df = results.copy()
    task_col = next((c for c in ("task", "target", "target_task") if c in df.columns), None)
    if task_col is None:
        raise XtlError("results have no 'task' (target) column; load them with xtl.results.load(profile)")
    df = df.rename(columns={task_col: "task"})
    for column, default in (("experiment", ""), ("run_path", ""), ("model", ""), ("seed", 0)):
        if column not in df.columns:
            df[column] = default
    if "run_id" not in df.columns:
        df["run_id"] = df["run_path"].map(lambda p: Path(str(p)).name)

    rows = []
    for run_id, run in df.groupby("run_id", sort=False):
        first = run.iloc[0]
        config = _read_config(first["run_path"]) if first["run_path"] else {}
        inter = config.get("intermediate", {}) if isinstance(config.get("intermediate"), dict) else {}
        if "intermediate_tasks" in run.columns:
            inter_tasks = _as_task_list(first["intermediate_tasks"])
        elif inter:
            inter_tasks = [str(t) for t in inter.get("tasks", [])]
        else:
            inter_tasks = _as_task_list(first.get("intermediate"))
        if "mlm_share" in run.columns and not pd.isna(first["mlm_share"]):
            mlm = float(first["mlm_share"]) > 0
        elif inter:
            mlm = float(inter.get("mlm_share", 0) or 0) > 0
        else:
            mlm = str(first.get("intermediate", "")).endswith("mlm")
        run = run.copy()
        if "metric" in run.columns:
            metric = _main_metric(str(first["task"]), run["metric"].dropna().unique())
            run = run[run["metric"] == metric]
        else:
            run["metric"] = _main_metric(str(first["task"]), ["f1", "accuracy"])
        english_dev = first["english_dev"] if "english_dev" in run.columns else None
        if english_dev is None or pd.isna(english_dev):
            english_dev = _english_dev(first["run_path"])
        for _, row in run.iterrows():
            rows.append({
                "experiment": row["experiment"], "run_id": run_id, "run_path": str(row["run_path"]),
                "setting": setting_name(inter_tasks, mlm), "kind": setting_kind(inter_tasks, mlm),
                "intermediate_tasks": tuple(inter_tasks), "task": str(row["task"]), "seed": int(row["seed"]),
                "model": str(row["model"]), "language": str(row["language"]), "metric": row["metric"],
                "value": float(row["value"]), "xtreme_value": _xtreme_value(row), "english_dev": english_dev,
            })
    return pd.DataFrame(rows)


def _xtreme_value(row: pd.Series) -> float:
    """XTREME's per-language number: `em_f1_mean` ((EM + F1) / 2 for QA, `xtl.results`) where the frame has it."""
    value = row.get("em_f1_mean")
    return float(row["value"]) if value is None or pd.isna(value) else float(value)


def _english_dev(run_path: Any) -> float | None:
    try:
        value = json.loads((Path(str(run_path)) / "metrics.json").read_text()).get("english_dev")
    except (OSError, ValueError):
        return None
    if isinstance(value, dict):  # {metric: value}
        value = next(iter(value.values()), None)
    return float(value) if isinstance(value, (int, float)) else None
