"""The short texts each claim page quotes beside the paper's number, read off a verdict's evidence.

Every value is a sentence or a number with its unit, never a Python container, so a page can paste it
inline; a claim that did not run says so in words.
"""

from __future__ import annotations

from typing import Any

from xtl.report.canonical import BASELINE
from xtl.report.claim_pages import display_name
from xtl.report.claims import C1_TASKS, C4_TARGETS, RETRIEVAL_TASKS
from xtl.report.gains import Results
from xtl.report.stats import Estimate, Verdict

NOT_RUN = "not run"


def points(est: Estimate) -> str:
    return est.text(1) + " points"


def _estimate(values: dict[str, Any] | None) -> Estimate | None:
    if not values:
        return None
    keys = ("value", "lo", "hi", "method", "n_seeds")
    return Estimate(**{k: values.get(k, 0 if k == "n_seeds" else None) for k in keys})


def c1_texts(v: Verdict, res: Results) -> dict[str, str]:
    """The three tasks' average gains; before all three have run, those that have, over the deciding targets
    they share with the baseline, marked as partial."""
    gains, targets, partial = v.evidence.get("gains", {}), v.evidence.get("targets", []), ""
    ran = [t for t in C1_TASKS if t in res.settings(("single",))]
    if not gains and ran:
        targets = res.deciding(res.common_targets([BASELINE, *ran]))
        targets = [t for t in targets if res.can_bound([BASELINE, *ran], t)]
        gains = {t: res.average_gain(t, targets).as_dict() for t in ran} if targets else {}
        partial = " (partial: the claim's other runs have not finished)"
    out = {}
    for task in C1_TASKS:
        est = _estimate(gains.get(task))
        out[f"c1_ours_{task}_gain"] = points(est) + partial if est else NOT_RUN
    out["c1_targets"] = ", ".join(targets) or "none"
    return out


def c2_texts(v: Verdict) -> dict[str, Any]:
    multi = v.evidence.get("multi_task")
    est = _estimate(v.evidence.get("gains", {}).get(multi)) if multi else None
    ranking = v.evidence.get("ranking", [])
    return {
        "c2_ours_multi_gain": points(est) if est else NOT_RUN,
        "c2_multi_tasks": ", ".join(multi.split("+")) if multi else "none",
        "c2_n_multi_tasks": len(multi.split("+")) if multi else 0,
        "c2_rank": f"#{ranking.index(multi) + 1} of {len(ranking)}" if multi and multi in ranking else "not ranked",
    }


def c3_texts(v: Verdict) -> dict[str, str]:
    target_gains = v.evidence.get("target_gains", {})
    retrieval = [t for t in RETRIEVAL_TASKS if t in target_gains]
    trained = [t for t in target_gains if t not in RETRIEVAL_TASKS]

    def quote(targets: list[str]) -> str:
        return "; ".join(f"{t} {_estimate(target_gains[t]).text(1)} points" for t in targets) or NOT_RUN

    return {
        "c3_ours_retrieval_gain": quote(retrieval), "c3_ours_trained_gain": quote(trained),
        "c3_ranking": " > ".join(v.evidence.get("ranking", [])) or "not ranked",
        "c3_settings": ", ".join(display_name(s) for s in v.evidence.get("settings", [])) or "none",
    }


def c4_texts(v: Verdict) -> dict[str, str]:
    comparisons = {c["name"]: c for c in v.evidence.get("comparisons", [])}
    gains = v.evidence.get("gains", {})
    out = {}
    for target in C4_TARGETS:
        per_setting = gains.get(target, {})
        values = [g["value"] for g in per_setting.values()]
        if not values:
            out[f"c4_ours_{target}_gain"] = "not run in this profile"
        elif len(values) == 1:
            out[f"c4_ours_{target}_gain"] = f"{values[0]:+.1f} points (one setting: {display_name(next(iter(per_setting)))})"
        else:
            out[f"c4_ours_{target}_gain"] = (f"mean {sum(values) / len(values):+.1f} points over {len(values)} settings "
                                             f"(range {min(values):+.1f} to {max(values):+.1f})")
    gap = _estimate(comparisons.get("TyDiQA minus XNLI mean gain"))
    out["c4_difference"] = points(gap) if gap else NOT_RUN
    return out


def c5_texts(v: Verdict) -> dict[str, Any]:
    chosen = v.evidence.get("chosen", {})
    est = _estimate(v.evidence.get("gain"))
    return {
        "c5_ours_best_gain": points(est) if est else NOT_RUN,
        "c5_chosen": "; ".join(f"{t}: {display_name(s)}" for t, s in chosen.items()) or "none",
        "c5_selection": v.evidence.get("selection", "none"),
        "c5_n_targets": len(chosen),
    }


def c6_texts(v: Verdict, plain: str) -> dict[str, str]:
    diffs = v.evidence.get("differences", {})
    mlm, translated = _estimate(diffs.get("mlm")), _estimate(diffs.get("translated"))
    return {"c6_ours_mlm_diff": points(mlm) if mlm else NOT_RUN,
            "c6_ours_translated_diff": points(translated) if translated else NOT_RUN,
            "c6_plain": plain}


def c6_plain(pairs: list[tuple[str, str]], pair: tuple[str, str] | None) -> str:
    """The plain English setting C6 compares (the first MLM pair's, else the translated pair's)."""
    return pairs[0][0] if pairs else (pair[0] if pair else "none")
