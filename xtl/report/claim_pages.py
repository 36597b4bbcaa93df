"""What the claims notebook glues for the pages C1-C6: the profile's summary, each claim's texts and tables.

Everything is a function of one `ClaimsData` (a profile's claim runs, their results view and the
runner's manifest), so the notebook only glues what these return; figures are in `xtl.report.figures`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xtl import results, scoring
from xtl.estimate import format_duration
from xtl.report.canonical import BASELINE, TRANSLATED_NLI
from xtl.report.claims import C1_TASKS, RETRIEVAL_TASKS, english_settings, mlm_pairs, translated_pair
from xtl.report.gains import MIN_SEEDS_FOR_T, SCORE_AVG, Results
from xtl.report.stats import Estimate, Verdict

CLAIM_EXPERIMENTS = ("target", "retrieval", "baseline_mlm", "baseline_translated")
CLAIM_TITLES = {
    "c1": "SQuAD, MNLI and HellaSwag are the best intermediate tasks",
    "c2": "multi-task intermediate training is best",
    "c3": "retrieval targets (BUCC, Tatoeba) gain most",
    "c4": "TyDiQA gains, XNLI does not",
    "c5": "best intermediate model per target beats the baseline",
    "c6": "plain English beats MLM-mixed and translated data",
}
C4_TARGETS = ("tydiqa", "xnli")


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


@dataclass
class ClaimsData:
    """One profile's claim runs: the (run, language) rows, their results view, result folders and manifest."""

    profile: str
    rows: pd.DataFrame
    res: Results
    folders: list[Path]
    manifest: dict[str, Any]
    n_boot: int

    @classmethod
    def load(cls, profile: str, results_root: Path, runs_root: Path, n_boot: int = 2000,
             boot_seed: int = 0) -> ClaimsData:
        everything = results.load(profile, results_root)
        rows = everything[everything["experiment"].isin(CLAIM_EXPERIMENTS)]
        folders = sorted(p.parent for p in (results_root / profile).glob("*/*/metrics.json"))
        manifest = read_json(runs_root / profile / "runs.json")
        return cls(profile, rows, Results(rows, n_boot=n_boot, boot_seed=boot_seed), folders, manifest, n_boot)

    @property
    def seeds(self) -> list[int]:
        return sorted(int(s) for s in self.rows["seed"].unique()) if len(self.rows) else []


def display_name(setting: str) -> str:
    """How pages name a setting: the multi-task mix by its size, the rest by their tasks."""
    tasks = setting.removesuffix("+mlm").split("+")
    if len(tasks) > 1 and setting != TRANSLATED_NLI:
        return f"multi-task ({len(tasks)})" + (" + MLM" if setting.endswith("+mlm") else "")
    return setting.replace("+mlm", " + MLM")


def points(est: Estimate) -> str:
    return est.text(1) + " points"


def profile_texts(data: ClaimsData) -> dict[str, Any]:
    """Which profile, model and seeds, on what device, in how long (the runner's manifest, else env.json)."""
    envs = [read_json(folder / "env.json") for folder in data.folders]
    if data.manifest:
        wall_s = sum(entry["notebook_wall_s"] for entry in data.manifest.values())
        wall_source = "the runner's manifest (notebook times)"
    else:
        wall_s = sum(e.get("wall_s") or 0 for e in envs)
        wall_source = "the result folders' env.json"
    devices = pd.Series([e.get("device") for e in envs if e.get("device")])
    seeds = data.seeds
    plural = "s" if len(seeds) != 1 else ""
    return {
        "profile": data.profile, "score_average": SCORE_AVG,
        "score_average_definition": scoring.AVERAGES[SCORE_AVG],
        "profile_wall": format_duration(wall_s) if wall_s else "not recorded",
        "profile_wall_source": wall_source,
        "profile_device": devices.mode().iloc[0] if len(devices) else "unknown",
        "profile_runs": len(data.folders), "model": data.res.model or "none",
        "seeds": ", ".join(map(str, seeds)) or "none", "n_seeds": len(seeds),
        "interval_rule": (f"t-interval over {len(seeds)} seeds" if len(seeds) >= MIN_SEEDS_FOR_T
                          else f"evaluation-sample interval (paired bootstrap over test items, {data.n_boot} "
                               f"resamples), {len(seeds)} seed{plural}"),
    }


def verdict_texts(claim: str, verdict: Verdict, model: str | None) -> dict[str, str]:
    """`<claim>_verdict`, `_reason`, `_evidence` (seeds, model, targets, score, interval) and `_left_out`."""
    evidence = verdict.evidence
    seeds = evidence.get("seeds", [])
    left_out = evidence.get("left_out") or {}
    return {
        f"{claim}_verdict": verdict.verdict, f"{claim}_reason": verdict.reason,
        f"{claim}_evidence": (f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''} "
                              f"({', '.join(map(str, seeds)) or 'none'}); model {evidence.get('model') or model}; "
                              f"targets {', '.join(evidence.get('targets', [])) or 'none'}; score: {SCORE_AVG}; "
                              f"interval: {evidence.get('interval', 'none computed')}"),
        f"{claim}_left_out": "; ".join(f"{t} ({why})" for t, why in left_out.items()) or "none",
    }


def overview_table(verdicts: dict[str, Verdict]) -> pd.DataFrame:
    return pd.DataFrame([{"claim": f'<a href="{c}.html">{c.upper()}</a>', "paper": CLAIM_TITLES[c],
                          "verdict": f"<b>{v.verdict}</b>", "why": v.reason} for c, v in verdicts.items()])


def gains_table(res: Results) -> pd.DataFrame:
    """Every setting against the baseline on each target it was run on, columns named for the page."""
    gains = res.gain_table()
    shown = gains.assign(setting=gains["setting"].map(display_name))
    shown = shown[["setting", "kind", "task", "baseline", "score", "gain", "lo", "hi", "interval"]]
    shown.columns = ["setting", "kind", "target", f"baseline {SCORE_AVG} (%)", f"setting {SCORE_AVG} (%)",
                     f"gain in {SCORE_AVG}", "95 % low", "95 % high", "interval"]
    return shown


RUN_COLUMNS = ["setting", "target", "seed", "model", "languages",
               "result folder (config.json, metrics.json, predictions/)", "executed notebook"]


def runs_table(data: ClaimsData, paths: list[str]) -> pd.DataFrame:
    """One row per run: setting, target, seed, its result folder and a link to its executed notebook."""
    notebook_of = {Path(entry["results"]).name: entry["notebook"] for entry in data.manifest.values()}
    frame, rows = data.res.frame, []
    for path in paths:
        run = frame[frame["run_path"] == path].iloc[0]
        folder = f"results/{data.profile}/{run['experiment']}/{run['run_id']}/"
        notebook = notebook_of.get(run["run_id"])
        link = (f'<a href="../runs/{data.profile}/{notebook.removesuffix(".ipynb")}.html">notebook</a>'
                if notebook else "–")
        rows.append({"setting": display_name(run["setting"]), "target": run["task"], "seed": int(run["seed"]),
                     "model": run["model"], "languages": int((frame["run_path"] == path).sum()),
                     RUN_COLUMNS[5]: f"<code>{folder}</code>", "executed notebook": link})
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def all_runs(data: ClaimsData) -> list[str]:
    return sorted(data.res.frame["run_path"].unique()) if len(data.res.frame) else []


def standins_table(verdict: Verdict) -> pd.DataFrame:
    stand = verdict.evidence.get("stand_ins", {})
    return pd.DataFrame([{"task": t, "stand-in or reduction": n} for t, notes in stand.items() for n in notes])


# --------------------------------------------------------------------------- per claim: quoted texts

def c1_texts(v: Verdict) -> dict[str, str]:
    out = {}
    for task in C1_TASKS:
        g = v.evidence.get("gains", {}).get(task)
        out[f"c1_ours_{task}_gain"] = points(Estimate(**g)) if g else "not run"
    out["c1_targets"] = ", ".join(v.evidence.get("targets", [])) or "none"
    return out


def c2_texts(v: Verdict) -> dict[str, Any]:
    multi = v.evidence.get("multi_task")
    g = v.evidence.get("gains", {}).get(multi) if multi else None
    ranking = v.evidence.get("ranking", [])
    return {
        "c2_ours_multi_gain": points(Estimate(**g, n_seeds=len(v.evidence["seeds"]))) if g else "not run",
        "c2_multi_tasks": ", ".join(multi.split("+")) if multi else "none",
        "c2_n_multi_tasks": len(multi.split("+")) if multi else 0,
        "c2_rank": f"#{ranking.index(multi) + 1} of {len(ranking)}" if multi and multi in ranking else "not ranked",
    }


def c3_texts(v: Verdict) -> dict[str, str]:
    target_gains = v.evidence.get("target_gains", {})
    retrieval = [t for t in RETRIEVAL_TASKS if t in target_gains]
    trained = [t for t in target_gains if t not in RETRIEVAL_TASKS]
    return {
        "c3_ours_retrieval_gain": "; ".join(f"{t} {target_gains[t]['value']:+.1f} points" for t in retrieval)
        or "not run",
        "c3_ours_trained_gain": "; ".join(f"{t} {target_gains[t]['value']:+.1f} points" for t in trained) or "not run",
        "c3_ranking": " > ".join(v.evidence.get("ranking", [])) or "not ranked",
        "c3_settings": ", ".join(display_name(s) for s in v.evidence.get("settings", [])) or "none",
    }


def c4_gains(res: Results) -> pd.DataFrame:
    """Gain of every English setting on TyDiQA and XNLI, where both it and the baseline ran."""
    rows = []
    for target in C4_TARGETS:
        for setting in english_settings(res):
            if res.has(setting, target) and res.has(BASELINE, target):
                e = res.gain(setting, target)
                rows.append({"setting": display_name(setting), "target": target, "value": e.value, "lo": e.lo,
                             "hi": e.hi})
    return pd.DataFrame(rows, columns=["setting", "target", "value", "lo", "hi"])


def c4_texts(v: Verdict, frame: pd.DataFrame) -> dict[str, str]:
    out = {}
    for target in C4_TARGETS:
        part = frame[frame["target"] == target]
        out[f"c4_ours_{target}_gain"] = (f"mean {part['value'].mean():+.1f} points over {len(part)} settings "
                                         f"(range {part['value'].min():+.1f} to {part['value'].max():+.1f})"
                                         if len(part) else "not run in this profile")
    helped, n = v.evidence.get("helped", {}), len(v.evidence.get("settings", []))
    out["c4_counts"] = (f"TyDiQA: {len(helped['tydiqa'])} of {n} settings; XNLI: {len(helped['xnli'])} of {n}"
                        if helped else "not counted")
    return out


def c5_texts(v: Verdict) -> dict[str, Any]:
    chosen = v.evidence.get("chosen", {})
    return {
        "c5_ours_best_gain": points(Estimate(**v.evidence["gain"])) if "gain" in v.evidence else "not run",
        "c5_chosen": "; ".join(f"{t}: {display_name(s)}" for t, s in chosen.items()) or "none",
        "c5_selection": v.evidence.get("selection", "none"),
        "c5_n_targets": len(chosen),
    }


def c5_scores(res: Results, chosen: dict[str, str]) -> pd.DataFrame:
    """Per target, the baseline's and the picked setting's score (mean over their shared seeds)."""
    rows = []
    for target, setting in chosen.items():
        seeds = sorted(set(res.seeds(setting, target)) & set(res.seeds(BASELINE, target)))
        for label, s in (("baseline encoder", BASELINE), ("best intermediate (by English dev)", setting)):
            rows.append({"target": f"{target}\n({display_name(setting)})", "model": label,
                         "value": float(np.mean([res.score(s, target, x) for x in seeds]))})
    return pd.DataFrame(rows)


def c5_language_gains(res: Results, chosen: dict[str, str]) -> pd.DataFrame:
    """Per target and language: the baseline's score and the picked setting's gain (means over shared seeds)."""
    rows = []
    for target, setting in chosen.items():
        seeds = sorted(set(res.seeds(setting, target)) & set(res.seeds(BASELINE, target)))
        f = res.frame[(res.frame["task"] == target) & res.frame["seed"].isin(seeds)]
        base = f[f["setting"] == BASELINE].groupby("language")["value"].mean()
        best = f[f["setting"] == setting].groupby("language")["value"].mean()
        for lang in base.index.intersection(best.index):
            rows.append({"target": target, "language": lang, "baseline": base[lang], "gain": best[lang] - base[lang]})
    return pd.DataFrame(rows)


def c6_gains(res: Results) -> pd.DataFrame:
    """Gains of plain English, the same tasks with MLM mixed in, and translated NLI, per shared target."""
    pair, rows = translated_pair(res), []
    for plain, mixed in mlm_pairs(res)[:1]:
        for target in res.common_targets([plain, mixed, BASELINE]):
            for label, s in (("plain English", plain), ("English + MLM", mixed)):
                e = res.gain(s, target)
                rows.append({"target": target, "setting": label, "value": e.value, "lo": e.lo, "hi": e.hi})
    if pair:
        for target in res.common_targets([*pair, BASELINE]):
            e = res.gain(pair[1], target)
            rows.append({"target": target, "setting": "translated NLI", "value": e.value, "lo": e.lo, "hi": e.hi})
            if not any(r["target"] == target and r["setting"] == "plain English" for r in rows):
                e = res.gain(pair[0], target)
                rows.append({"target": target, "setting": "plain English", "value": e.value, "lo": e.lo, "hi": e.hi})
    return pd.DataFrame(rows, columns=["target", "setting", "value", "lo", "hi"])


def c6_plain(res: Results) -> str:
    """The plain English setting C6 compares (the first MLM pair's, else the translated pair's)."""
    pairs, pair = mlm_pairs(res), translated_pair(res)
    return pairs[0][0] if pairs else (pair[0] if pair else "none")


def c6_texts(v: Verdict, res: Results) -> dict[str, str]:
    diffs = v.evidence.get("differences", {})
    return {"c6_ours_mlm_diff": points(Estimate(**diffs["mlm"])) if "mlm" in diffs else "not run",
            "c6_ours_translated_diff": points(Estimate(**diffs["translated"])) if "translated" in diffs
            else "not run",
            "c6_plain": c6_plain(res)}
