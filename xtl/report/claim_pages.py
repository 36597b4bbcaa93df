"""What the claims notebook glues for the pages C1-C6: the profile's summary, the verdict tables, each claim's tables.

Everything is a function of one `ClaimsData` (a profile's claim runs, read with the runs of the profiles it
extends that it has not copied yet, their results view, the exclusion rule's checks and the runners'
manifests), so the notebook only glues what these return. The quoted per-claim texts are in
`xtl.report.claim_texts`; the figures in `xtl.report.figures`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xtl import profiles
from xtl.estimate import format_duration
from xtl.report import claims, exclusion, sources, verdicts
from xtl.report.canonical import BASELINE, canonical
from xtl.report.gains import BOOTSTRAP, Results
from xtl.report.score import FIRST_RULE_SCORE
from xtl.report.spread import MIN_SEEDS_FOR_T, gain_spread, three_seed_settings
from xtl.report.stats import Verdict

CLAIM_EXPERIMENTS = ("target", "retrieval", "baseline_mlm", "baseline_translated")
CLAIM_TITLES = {
    "c1": "SQuAD, MNLI and HellaSwag are the best intermediate tasks",
    "c2": "multi-task intermediate training is best",
    "c3": "retrieval targets (BUCC, Tatoeba) gain most",
    "c4": "TyDiQA gains, XNLI does not",
    "c5": "best intermediate model per target beats the baseline",
    "c6": "plain English beats MLM-mixed and translated data",
}
CLAIM_KINDS = {"c1": ("single",), "c2": ("single", "multi"), "c3": ("single", "multi"), "c4": ("single", "multi"),
               "c5": ("single", "multi"), "c6": ("mlm", "translated")}
"""Which settings' gains each claim page tabulates (C6 adds the plain setting it compares)."""


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


@dataclass
class ClaimsData:
    """One profile's claim runs: rows, canonical frame, results views (current and first rule), checks, manifests."""

    profile: str
    rows: pd.DataFrame
    res: Results
    checks: list[exclusion.TargetCheck]
    folders: list[Path]
    manifests: dict[str, dict[str, Any]]
    planned: list[profiles.Run]
    results_root: Path
    n_boot: int
    boot_seed: int

    @classmethod
    def load(cls, profile: str, results_root: Path, runs_root: Path, n_boot: int = 2000,
             boot_seed: int = 0) -> ClaimsData:
        planned = sources.plan(profile)
        everything, folders = sources.load(profile, results_root, planned)
        rows = everything[everything["experiment"].isin(CLAIM_EXPERIMENTS)]
        frame = canonical(rows)
        checks = exclusion.checks(frame)
        res = Results(frame, n_boot=n_boot, boot_seed=boot_seed, canonicalised=True,
                      excluded=exclusion.excluded(checks))
        manifests = {name: read_json(runs_root / name / "runs.json") for name in [profile, *sources.ancestors(profile)]}
        return cls(profile, rows, res, checks, folders, manifests, planned, results_root, n_boot, boot_seed)

    @cached_property
    def first_rule(self) -> Results:
        """The same runs as the first, two-valued rule read them: `all_langs_avg`, QA as F1, no target left out,
        one-seed intervals from resampling test items."""
        return Results(self.res.frame, model=self.res.model, n_boot=self.n_boot, boot_seed=self.boot_seed,
                       canonicalised=True, score=FIRST_RULE_SCORE, one_seed=BOOTSTRAP)

    @property
    def seeds(self) -> list[int]:
        return sorted(int(s) for s in self.rows["seed"].unique()) if len(self.rows) else []

    def manifest_entry(self, folder: Path) -> dict[str, Any]:
        """The runner's record of a result folder (its notebook, its measured time), from the profile that ran it."""
        profile = folder.parent.parent.name
        key = f"{profile}/{folder.parent.name}/{folder.name}"
        return next((entry for entry in self.manifests.get(profile, {}).values() if entry.get("results") == key), {})


def display_name(setting: str) -> str:
    """How pages name a setting: the multi-task mix by its size, the rest by their tasks."""
    tasks = setting.removesuffix("+mlm").split("+")
    if len(tasks) > 1 and setting != claims.TRANSLATED_NLI:
        return f"multi-task ({len(tasks)})" + (" + MLM" if setting.endswith("+mlm") else "")
    return setting.replace("+mlm", " + MLM")


def interval_rule(data: ClaimsData) -> str:
    """How this profile's intervals are made, in a sentence."""
    res = data.res
    three = three_seed_settings(res, res.tasks)
    if three:
        return (f"a t-interval over seeds where a comparison has {MIN_SEEDS_FOR_T} or more; with fewer, a t-interval "
                f"whose seed-to-seed variance is pooled from the settings that ran three seeds "
                f"({', '.join(display_name(s) for s in three)}), with the pooled degrees of freedom")
    plural = "s" if len(data.seeds) != 1 else ""
    return (f"no setting ran three seeds, so intervals come from resampling test items (paired bootstrap, "
            f"{data.n_boot} resamples, {len(data.seeds)} seed{plural}): they cover which test items were drawn, "
            "not training randomness")


def profile_texts(data: ClaimsData) -> dict[str, Any]:
    """Which profile, model and seeds, what the score is, on what device, in how long (manifests, else env.json)."""
    walls, sources_used, devices = [], set(), []
    for folder in data.folders:
        entry, env = data.manifest_entry(folder), read_json(folder / "env.json")
        if entry.get("notebook_wall_s") is not None:
            walls.append(entry["notebook_wall_s"])
            sources_used.add("the runners' manifests (notebook times)")
        elif env.get("wall_s"):
            walls.append(env["wall_s"])
            sources_used.add("the result folders' env.json")
        if env.get("device"):
            devices.append(env["device"])
    borrowed = sorted({f.parent.parent.name for f in data.folders} - {data.profile})
    seeds = data.seeds
    return {
        "profile": data.profile, "score_name": data.res.score_def.name,
        "score_definition": data.res.score_def.definition,
        "profile_wall": format_duration(sum(walls)) if walls else "not recorded",
        "profile_wall_source": " and ".join(sorted(sources_used)) or "nothing recorded",
        "profile_device": pd.Series(devices).mode().iloc[0] if devices else "unknown",
        "profile_runs": len(data.folders), "model": data.res.model or "none",
        "profile_borrowed": (f"{sum(f.parent.parent.name != data.profile for f in data.folders)} of them finished in "
                             f"{', '.join(borrowed)}, a profile it extends (same configs), and not copied yet"
                             if borrowed else "all of them in this profile's own folder"),
        "seeds": ", ".join(map(str, seeds)) or "none", "n_seeds": len(seeds),
        "interval_rule": interval_rule(data),
    }


# --------------------------------------------------------------------------- verdicts

def comparisons_table(verdict: Verdict) -> pd.DataFrame:
    """One row per comparison of a claim: ours with its interval and method, the paper's number, the outcome."""
    rows = [{"comparison": c["name"], "ours (points)": c["value"], "95 % low": c["lo"], "95 % high": c["hi"],
             "interval": c["method"], "paper": c["paper"] or "not published", "outcome": c["outcome"]}
            for c in verdict.evidence.get("comparisons", [])]
    return pd.DataFrame(rows, columns=["comparison", "ours (points)", "95 % low", "95 % high", "interval", "paper",
                                       "outcome"])


def _effects(verdict: Verdict) -> str:
    parts = []
    for c in verdict.evidence.get("comparisons", []):
        interval = f" [{c['lo']:+.1f}, {c['hi']:+.1f}]" if c["lo"] is not None else " (no interval)"
        paper = f"; paper {c['paper']}" if c["paper"] else ""
        parts.append(f"{c['name']}: {c['value']:+.1f}{interval}{paper}")
    return "<br>".join(parts) or "–"


def left_out_text(verdict: Verdict) -> str:
    """Each left-out target with its reason, as sentences ('none.' when nothing was left out)."""
    left_out = verdict.evidence.get("left_out") or {}
    parts = [why if why.startswith(f"{t}:") else f"{t}: {why}" for t, why in left_out.items()]
    return " ".join(p if p.endswith(".") else p + "." for p in parts) or "none."


def overview_table(current: dict[str, Verdict], first: dict[str, Verdict], data: ClaimsData) -> pd.DataFrame:
    """The verdict table the intro leads with: per claim, the verdict, our effects beside the paper's (or, when not
    testable, why and how many planned runs it waits for), what was left out, and what the first rule gave."""
    rows = []
    for c, v in current.items():
        effects = _effects(v)
        if v.verdict == verdicts.NOT_TESTABLE:
            total, waiting = sources.pending(c, data.planned, data.results_root) if data.planned else (0, [])
            effects = v.reason + (f"; waits for {len(waiting)} of its {total} planned runs (named on its page)"
                                  if waiting else "")
        rows.append({"claim": f'<a href="{c}.html">{c.upper()}</a>', "paper": CLAIM_TITLES[c],
                     "verdict": f"<b>{v.verdict}</b>", "ours [95 % interval] beside the paper": effects,
                     "targets left out": left_out_text(v), "first rule gave": first[c].verdict})
    return pd.DataFrame(rows)


def verdict_texts(claim: str, verdict: Verdict, first: Verdict, data: ClaimsData) -> dict[str, str]:
    """`<claim>_verdict`, `_reason`, `_evidence`, `_left_out`, `_waiting` and the first rule's `_first_verdict`,
    `_first_reason`."""
    evidence = verdict.evidence
    seeds = evidence.get("seeds", [])
    return {
        f"{claim}_verdict": verdict.verdict, f"{claim}_reason": verdict.reason,
        f"{claim}_evidence": (f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''} "
                              f"({', '.join(map(str, seeds)) or 'none'}); model {evidence.get('model') or data.res.model}; "
                              f"targets {', '.join(evidence.get('targets', [])) or 'none'}; score: "
                              f"{data.res.score_def.name}; interval: {evidence.get('interval', 'none computed')}"),
        f"{claim}_left_out": left_out_text(verdict),
        f"{claim}_waiting": sources.waiting_text(claim, data.planned, data.results_root),
        f"{claim}_first_verdict": first.verdict, f"{claim}_first_reason": first.reason,
    }


# --------------------------------------------------------------------------- tables

def gains_table(res: Results, settings: list[str] | None = None, targets: list[str] | None = None) -> pd.DataFrame:
    """Settings against the baseline on each target they ran, columns named for the page; whether the target
    decides claims."""
    gains = res.gain_table()
    if settings is not None:
        gains = gains[gains["setting"].isin(settings)]
    if targets is not None:
        gains = gains[gains["task"].isin(targets)]
    name = res.score_def.name
    shown = pd.DataFrame({
        "setting": gains["setting"].map(display_name), "target": gains["task"],
        f"baseline {name} (%)": gains["baseline"], f"setting {name} (%)": gains["score"],
        "gain (points)": gains["gain"], "95 % low": gains["lo"], "95 % high": gains["hi"],
        "seeds": gains["n_seeds"], "interval": gains["interval"],
        "decides claims": ["no: left out" if t in res.excluded else "yes" for t in gains["task"]]})
    return shown.reset_index(drop=True)


def claim_settings(res: Results, claim: str) -> list[str]:
    """The settings whose gains a claim page tabulates."""
    settings = res.settings(CLAIM_KINDS[claim])
    if claim == "c6" and claims.ENGLISH_NLI in res.settings(("single",)):
        settings = [claims.ENGLISH_NLI, *settings]
    return settings


def claim_gains(res: Results, claim: str) -> pd.DataFrame:
    """The per-target gains a claim page opens with."""
    targets = list(claims.C4_TARGETS) if claim == "c4" else None
    return gains_table(res, claim_settings(res, claim), targets)


def spread_table(res: Results) -> pd.DataFrame:
    """Per target, each three-seed setting's seed-to-seed SD of its gain, side by side, and the pooled SD and df
    that one-seed intervals use: a reader can judge whether the settings agree."""
    rows = []
    for task in res.tasks:
        spread = gain_spread(res, task)
        if spread is None:
            continue
        row = {"target": task, "decides claims": "no: left out" if task in res.excluded else "yes"}
        for setting, values in spread.per_setting.items():
            row[f"{display_name(setting)}: gains per seed"] = ", ".join(f"{v:+.1f}" for v in values)
            row[f"{display_name(setting)}: SD"] = float(np.std(values, ddof=1))
        row["pooled SD"] = float(np.sqrt(spread.variance))
        row["df"] = spread.df
        rows.append(row)
    return pd.DataFrame(rows)


RUN_COLUMNS = ["setting", "target", "seed", "model", "languages",
               "result folder (config.json, metrics.json, predictions/)", "executed notebook"]


def runs_table(data: ClaimsData, paths: list[str]) -> pd.DataFrame:
    """One row per run: setting, target, seed, its result folder and a link to its executed notebook."""
    frame, rows = data.res.frame, []
    for path in paths:
        run = frame[frame["run_path"] == path].iloc[0]
        folder = Path(path)
        profile = folder.parent.parent.name
        notebook = data.manifest_entry(folder).get("notebook")
        link = (f'<a href="../runs/{profile}/{notebook.removesuffix(".ipynb")}.html">notebook</a>'
                if notebook else "–")
        rows.append({"setting": display_name(run["setting"]), "target": run["task"], "seed": int(run["seed"]),
                     "model": run["model"], "languages": int((frame["run_path"] == path).sum()),
                     RUN_COLUMNS[5]: f"<code>results/{profile}/{run['experiment']}/{run['run_id']}/</code>",
                     "executed notebook": link})
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def claim_runs(data: ClaimsData, claim: str, verdict: Verdict) -> list[str]:
    """The runs behind a verdict; when the rule stopped before comparing, the runs of the settings it would
    compare (and the baseline's on their targets) that have finished."""
    paths = verdict.evidence.get("runs", [])
    if paths or not len(data.res.frame):
        return paths
    settings = claim_settings(data.res, claim)
    targets = {t for s in settings for t in data.res.targets_of(s)}
    frame = data.res.frame
    chosen = frame[frame["setting"].isin(settings) | ((frame["setting"] == BASELINE) & frame["task"].isin(targets))]
    return sorted(chosen["run_path"].unique()) if settings else []


def all_runs(data: ClaimsData) -> list[str]:
    return sorted(data.res.frame["run_path"].unique()) if len(data.res.frame) else []


def standins_table(verdict: Verdict) -> pd.DataFrame:
    stand = verdict.evidence.get("stand_ins", {})
    return pd.DataFrame([{"task": t, "stand-in or reduction": n} for t, notes in stand.items() for n in notes])


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
    column = res.score_def.column
    for target, setting in chosen.items():
        seeds = sorted(set(res.seeds(setting, target)) & set(res.seeds(BASELINE, target)))
        f = res.frame[(res.frame["task"] == target) & res.frame["seed"].isin(seeds)]
        base = f[f["setting"] == BASELINE].groupby("language")[column].mean()
        best = f[f["setting"] == setting].groupby("language")[column].mean()
        for lang in base.index.intersection(best.index):
            rows.append({"target": target, "language": lang, "baseline": base[lang], "gain": best[lang] - base[lang]})
    return pd.DataFrame(rows)


def c4_gains(res: Results) -> pd.DataFrame:
    """Gain of every English setting on TyDiQA and XNLI, where both it and the baseline ran."""
    rows = []
    for target in claims.C4_TARGETS:
        for setting in claims.english_settings(res):
            if res.has(setting, target) and res.has(BASELINE, target):
                e = res.gain(setting, target)
                rows.append({"setting": display_name(setting), "target": target, "value": e.value, "lo": e.lo,
                             "hi": e.hi})
    return pd.DataFrame(rows, columns=["setting", "target", "value", "lo", "hi"])


def c6_gains(res: Results) -> pd.DataFrame:
    """Gains of plain English, the same tasks with MLM mixed in, and translated NLI, per shared target."""
    pair, rows = claims.translated_pair(res), []
    for plain, mixed in claims.mlm_pairs(res)[:1]:
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
