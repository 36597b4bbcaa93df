"""Result folders as pandas tables: what the notebooks and the claims pages read.

`load(profile)` gives one row per (run, language) of every target and retrieval run under
`results/<profile>/`; `run_averages` collapses languages into one row per run, under the three
named averages of `xtl.scoring` (`xtreme_avg`, `zero_shot_avg`, `all_langs_avg`: headline metric,
QA as F1), and `gains` sets one of them against the baseline (no intermediate training) of the same
target, model and seed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from xtl import scoring
from xtl.paths import results_root
from xtl.scoring import ALL_LANGS_AVG, AVERAGES, XTREME_AVG

COLUMNS = ["experiment", "run_id", "run_path", "intermediate", "intermediate_tasks", "target", "seed", "model",
           "language", "metric", "value", "em_f1_mean", "english_dev", "wall_s"]
BASELINE = "baseline"
QA_METRICS = ("f1", "exact_match")


def intermediate_label(config: dict[str, Any]) -> str:
    """'baseline', the task's name, 'multi' for several tasks, 'xnli-translated'; '+mlm' when MLM is mixed in."""
    inter = config.get("intermediate") or {}
    tasks = list(inter.get("tasks") or [])
    label = BASELINE if not tasks else tasks[0] if len(tasks) == 1 else "multi"
    return label + "+mlm" if inter.get("mlm_share") else label


def _read(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    return json.loads(path.read_text()) if path.is_file() else {}


def phase3_training(folder: Path | str) -> str | None:
    """A line for a run whose phase-3 model was trained by another target's run (XQuAD and MLQA share
    one SQuAD-trained model); None when the run trained its own."""
    train = _read(Path(folder), "metrics.json").get("train") or {}
    if train.get("trained_here") is False:
        return (f"Phase 3 was not trained here: this run evaluates the model trained for {train['shared_with']} "
                "(the same English training and dev data, config and seed).")
    return None


def load_run(folder: Path | str) -> pd.DataFrame:
    """One row per language of one finished target or retrieval run (empty if it has no languages)."""
    folder = Path(folder)
    config, metrics, env = _read(folder, "config.json"), _read(folder, "metrics.json"), _read(folder, "env.json")
    per_language = metrics.get("per_language") or {}
    main = metrics.get("metric")
    rows = []
    for language, scores in per_language.items():
        value = scores.get(main)
        qa = all(m in scores for m in QA_METRICS)
        rows.append({
            "experiment": folder.parent.name, "run_id": folder.name, "run_path": str(folder),
            "intermediate": intermediate_label(config),
            "intermediate_tasks": "+".join((config.get("intermediate") or {}).get("tasks") or []),
            "target": metrics.get("task"), "seed": config.get("seed"), "model": config.get("model"),
            "language": language, "metric": main, "value": value,
            "em_f1_mean": (scores["f1"] + scores["exact_match"]) / 2 if qa else value,  # XTREME's QA score; no named average uses it
            "english_dev": metrics.get("english_dev"),
            "wall_s": metrics.get("wall_s", env.get("wall_s")),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def load(profile: str, root: Path | str | None = None) -> pd.DataFrame:
    """Every finished target/retrieval run of a profile, one row per (run, language).

    Only complete folders count (`metrics.json` present); `.partial` folders of killed runs and
    phase-2 records (no languages) are left out.
    """
    base = Path(root) if root is not None else results_root()
    folders = sorted(p.parent for p in (base / profile).glob("*/*/metrics.json") if not p.parent.name.endswith(".partial"))
    frames = [frame for frame in (load_run(folder) for folder in folders) if not frame.empty]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)


def named_averages(scores: pd.DataFrame) -> dict[str, float]:
    """`xtreme_avg`, `zero_shot_avg`, `all_langs_avg` of one run's rows (`load_run`), via `xtl.scoring`."""
    if scores.empty:
        return {name: float("nan") for name in AVERAGES}
    return scoring.named_averages(str(scores["target"].iloc[0]), dict(zip(scores["language"], scores["value"])))


def averages_line(scores: pd.DataFrame) -> str:
    """How run notebooks print one run's averages: each number beside its name and its language count."""
    if scores.empty:
        return "no languages evaluated"
    target, languages = str(scores["target"].iloc[0]), list(scores["language"])
    parts = [f"{name} {value:.1f} ({len(scoring.averaged_languages(name, target, languages))} languages)"
             for name, value in named_averages(scores).items() if not math.isnan(value)]
    english = scores.loc[scores["language"] == scoring.TRAINING_LANGUAGE, "value"]
    return f"{scores['metric'].iloc[0]}: " + ", ".join(parts) + (f"; English {english.iloc[0]:.1f}" if len(english) else "")


def run_averages(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per run: its `xtreme_avg`, `zero_shot_avg` and `all_langs_avg` (one column each, `xtl.scoring`)."""
    keys = ["experiment", "run_id", "intermediate", "intermediate_tasks", "target", "seed", "model", "metric"]
    if frame.empty:
        return pd.DataFrame(columns=keys + list(AVERAGES) + ["english_dev", "languages", "wall_s"])
    rows = []
    for key, run in frame.groupby(keys, dropna=False, sort=True):
        first = run.iloc[0]
        rows.append({**dict(zip(keys, key)), **named_averages(run), "english_dev": first["english_dev"],
                     "languages": run["language"].nunique(), "wall_s": first["wall_s"]})
    return pd.DataFrame(rows, columns=keys + list(AVERAGES) + ["english_dev", "languages", "wall_s"])


def gains(averages: pd.DataFrame, average: str = ALL_LANGS_AVG, baseline: str = BASELINE) -> pd.DataFrame:
    """`averages` with `baseline_<average>` and `gain`: the named `average` minus the baseline run's
    (same target, model and seed)."""
    if average not in AVERAGES:
        raise ValueError(f"unknown average {average!r}; use one of {', '.join(AVERAGES)}")
    base = averages[averages["intermediate"] == baseline][["target", "model", "seed", average]]
    base = base.drop_duplicates(["target", "model", "seed"]).rename(columns={average: f"baseline_{average}"})
    merged = averages.merge(base, on=["target", "model", "seed"], how="left")
    merged["gain"] = merged[average] - merged[f"baseline_{average}"]
    return merged


SUMMARY_AVERAGE = XTREME_AVG
"""The named average `summarise_folder` (and so the run index pages) reports."""


def summarise_folder(folder: Path | str) -> dict[str, Any]:
    """task, metric, `xtreme_avg` (as `average`, named by `average_name`), English dev score and training
    seconds (`train_s`, None without training) of a run folder.

    The average is recomputed from `per_language` with `xtl.scoring` (the number `metrics.json`'s
    `average` holds); phase-2 records have none.
    """
    folder = Path(folder)
    metrics = _read(folder, "metrics.json")
    if not metrics:
        return {}
    task = metrics.get("task")
    summary = {"task": "+".join(task) if isinstance(task, list) else task, "metric": metrics.get("metric", "dev"),
               "english_dev": metrics.get("english_dev"), "average": None, "average_name": SUMMARY_AVERAGE,
               "train_s": (metrics.get("train") or {}).get("wall_s")}
    per_language = metrics.get("per_language") or {}
    if per_language and isinstance(task, str):
        values = scoring.headline_values(task, per_language)
        summary["average"] = scoring.language_average(SUMMARY_AVERAGE, task, values) if values else None
    return summary


def language_order(frame: pd.DataFrame, first: str = "en") -> list[str]:
    """The order the notebooks plot languages in: English (the training language) first, then by descending score."""
    means = frame.groupby("language")["value"].mean().sort_values(ascending=False)
    return [first] * (first in means.index) + [lang for lang in means.index if lang != first]


def language_table(folder: Path | str, first: str = "en") -> pd.DataFrame:
    """Every metric of one run per language (rows in `language_order`), rounded for display."""
    metrics = _read(Path(folder), "metrics.json")
    table = pd.DataFrame(metrics.get("per_language") or {}).T
    table.index.name = "language"
    order = language_order(load_run(folder), first) if not table.empty else []
    return table.loc[order].round(1)


def comparison(frame: pd.DataFrame, target: str, model: str, seed: int, average: str = ALL_LANGS_AVG) -> pd.DataFrame:
    """Per-run named `average` of one target (same model and seed), with the gain over the baseline, best first."""
    table = gains(run_averages(frame), average)
    table = table[(table["target"] == target) & (table["model"] == model) & (table["seed"] == seed)]
    columns = ["intermediate", "intermediate_tasks", "experiment", average, "gain", "english_dev"]
    table = table.sort_values(average, ascending=False)[columns].round(1).reset_index(drop=True)
    return table.rename(columns={"gain": f"gain in {average}"})


def plot_languages(frame: pd.DataFrame, title: str, first: str = "en"):
    """Bar chart of one run's per-language scores: English first, then by descending score."""
    import matplotlib.pyplot as plt  # here, not above: with seaborn 2.2 s to import, and only a notebook plots
    import seaborn as sns

    order = language_order(frame, first)
    palette = sns.color_palette("colorblind")
    shown = frame.assign(group=["English (training language)" if lang == first else "zero-shot"
                                for lang in frame["language"]])
    fig, ax = plt.subplots(figsize=(max(6.0, 0.42 * len(order) + 1.5), 3.6))
    sns.barplot(data=shown, x="language", y="value", order=order, hue="group",
                palette={"English (training language)": palette[1], "zero-shot": palette[0]}, dodge=False, ax=ax)
    average = named_averages(frame)[ALL_LANGS_AVG]
    ax.axhline(average, color=palette[2], linestyle="--", linewidth=1, label=f"{ALL_LANGS_AVG} {average:.1f}")
    metric = frame["metric"].iloc[0]
    ax.set(xlabel=f"language ({first} first, then by descending score)", ylabel=f"{metric} (%)", title=title)
    ax.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    return fig
