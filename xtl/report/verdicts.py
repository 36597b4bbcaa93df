"""The claims' three-valued verdicts: each claim is a few directional comparisons, each read off its interval.

A comparison is phrased so that the paper says it is positive. Its 95 % interval lies above zero
(the paper's side): reproduced; below zero: contradicted; across zero (or no interval): undecided. A
claim is reproduced when all its comparisons are, contradicted when any is, undecided otherwise; it is
"not testable" when the runs a comparison needs are missing (the page names the runs it waits for).
Targets whose baseline does not learn (`Results.excluded`) never enter a deciding average.

This rule replaced the two-valued one of `xtl.report.claims` after the reference profile's first
column had been seen; the pages show what that rule gave beside this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xtl.report.canonical import BASELINE
from xtl.report.claims import (
    C1_TASKS,
    C4_TARGETS,
    RETRIEVAL_TASKS,
    best_per_target,
    english_settings,
    mlm_pairs,
    translated_pair,
    verdicts_of,
)
from xtl.report.gains import Results
from xtl.report.stats import Estimate, Term, Verdict

REPRODUCED = "reproduced"
CONTRADICTED = "contradicted"
UNDECIDED = "undecided"
NOT_TESTABLE = "not testable with the data at hand"
OUTCOMES = (REPRODUCED, CONTRADICTED, UNDECIDED)

PAPER = {  # the paper's numbers each comparison stands beside (book/paper.md); "" where it publishes none
    "c1_squad": "+8.2", "c1_mnli": "+7.5", "c1_hellaswag": "+7.0", "c2_multi": "+8.7",
    "c4_tydiqa": "+10.9 (TyDiQA F1, test)", "c4_difference": "+10.9 vs +1.2 (test)", "c5": "+5.4",
}


@dataclass(frozen=True)
class Comparison:
    """One directional comparison of a claim: our estimate, the paper's number, and which side of zero we are on."""

    name: str
    estimate: Estimate
    paper: str = ""

    @property
    def outcome(self) -> str:
        est = self.estimate
        if not est.has_interval:
            return UNDECIDED
        if est.lo > 0:
            return REPRODUCED
        if est.hi < 0:
            return CONTRADICTED
        return UNDECIDED

    def text(self) -> str:
        paper = f"; paper {self.paper}" if self.paper else ""
        return f"{self.name} {self.estimate.text(1)} ({self.outcome}{paper})"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, **self.estimate.as_dict(), "paper": self.paper, "outcome": self.outcome}


def combine(comparisons: Sequence[Comparison]) -> str:
    """Contradicted if any comparison is, reproduced if all are, undecided otherwise."""
    outcomes = [c.outcome for c in comparisons]
    if CONTRADICTED in outcomes:
        return CONTRADICTED
    return REPRODUCED if outcomes and all(o == REPRODUCED for o in outcomes) else UNDECIDED


def _verdict(comparisons: list[Comparison], evidence: dict[str, Any], where: str, note: str = "") -> Verdict:
    verdict = combine(comparisons)
    if note and verdict == REPRODUCED:
        verdict = UNDECIDED
    evidence.update(comparisons=[c.as_dict() for c in comparisons],
                    interval=_methods([c.estimate for c in comparisons]))
    reason = "; ".join(c.text() for c in comparisons) + f" {where}." + (f" {note}" if note else "")
    return Verdict(verdict, reason, evidence)


def _methods(estimates: Sequence[Estimate]) -> str:
    return "; ".join(dict.fromkeys(e.method for e in estimates))


def _not_testable(reason: str, evidence: dict[str, Any] | None = None) -> Verdict:
    return Verdict(NOT_TESTABLE, reason, evidence or {})


def _over(targets: Sequence[str]) -> str:
    return f"over {len(targets)} target{'s' if len(targets) != 1 else ''} ({', '.join(targets)})"


def deciding_targets(res: Results, settings: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Targets the baseline and every setting ran that may decide (not left out, an interval possible),
    and {left-out target: why}."""
    common = res.common_targets([BASELINE, *settings])
    left_out = {t: res.excluded[t] for t in common if t in res.excluded}
    kept, unbounded = res.split_boundable([BASELINE, *settings], res.deciding(common))
    return kept, {**left_out, **unbounded}


def verdict_c1(res: Results) -> Verdict:
    """C1: SQuAD, MNLI and HellaSwag are the best intermediate tasks.

    Comparisons, over the deciding targets every single-task setting and the baseline ran: each of the
    three tasks' average gain; and, with other single-task settings, the weakest of the three (by its
    gain) minus the strongest other. Without other single-task settings the ranking cannot be checked,
    so the claim is at best undecided.
    """
    singles = res.settings(("single",))
    missing = [t for t in C1_TASKS if t not in singles]
    if missing:
        return _not_testable(f"no single-task run for {', '.join(missing)}; C1 needs squad, mnli and hellaswag "
                             "each as the only intermediate task")
    targets, left_out = deciding_targets(res, singles)
    if not targets:
        return _not_testable("no deciding target has runs of the baseline and every single-task setting",
                             {"left_out": left_out})
    table = res.average_gain_table(singles, targets)
    gains = {r["setting"]: Estimate(r["value"], r["lo"], r["hi"], r["method"], int(r["n_seeds"]))
             for _, r in table.iterrows()}
    comparisons = [Comparison(f"{t} average gain", gains[t], PAPER[f"c1_{t}"]) for t in C1_TASKS]
    others = [s for s in table["setting"] if s not in C1_TASKS]
    note = ""
    if others:
        weakest = min(C1_TASKS, key=lambda s: gains[s].value)
        strongest = others[0]
        comparisons.append(Comparison(f"{weakest} minus {strongest} (the best other task)",
                                      res.difference(weakest, strongest, targets)))
    else:
        note = "No other single-task setting ran, so whether the three are the best cannot be checked yet."
    evidence = res.evidence(singles, targets)
    evidence.update(ranking=list(table["setting"]), gains={s: e.as_dict() for s, e in gains.items()},
                    left_out=left_out)
    return _verdict(comparisons, evidence, _over(targets), note)


def verdict_c2(res: Results) -> Verdict:
    """C2: multi-task intermediate training on all tasks is best.

    Comparisons, over the deciding targets: the multi-task setting's average gain, and the multi-task
    setting minus the strongest other English setting.
    """
    multis = res.settings(("multi",))
    if not multis:
        return _not_testable("no multi-task intermediate run in these results")
    multi = max(multis, key=lambda s: len(s.split("+")))
    singles = res.settings(("single",))
    if not singles:
        return _not_testable("no single-task run to compare the multi-task setting with")
    settings = [*singles, *multis]
    targets, left_out = deciding_targets(res, settings)
    if not targets:
        return _not_testable("no deciding target has runs of the baseline, the multi-task and every single-task "
                             "setting", {"left_out": left_out})
    table = res.average_gain_table(settings, targets)
    gains = {r["setting"]: Estimate(r["value"], r["lo"], r["hi"], r["method"], int(r["n_seeds"]))
             for _, r in table.iterrows()}
    strongest = next(s for s in table["setting"] if s != multi)
    comparisons = [Comparison("multi-task average gain", gains[multi], PAPER["c2_multi"]),
                   Comparison(f"multi-task minus {strongest} (the best other setting)",
                              res.difference(multi, strongest, targets))]
    evidence = res.evidence(settings, targets)
    evidence.update(multi_task=multi, multi_tasks=multi.split("+"), ranking=list(table["setting"]),
                    gains={s: e.as_dict() for s, e in gains.items()}, left_out=left_out)
    return _verdict(comparisons, evidence, _over(targets))


def _target_terms(settings: Sequence[str], task: str, coef: float = 1.0) -> list[Term]:
    """The mean gain over `settings` on `task`, as terms."""
    return [Term(coef / len(settings), s, task) for s in settings] + [Term(-coef, BASELINE, task)]


def verdict_c3(res: Results) -> Verdict:
    """C3: the largest gains are on the retrieval targets (BUCC, Tatoeba).

    Over the English settings run on every compared target, each deciding retrieval target's mean gain,
    and that gain minus the largest mean gain of a trained target.
    """
    settings = english_settings(res)
    if not settings:
        return _not_testable("no intermediate-task run in these results")
    retrieval = [t for t in res.deciding(RETRIEVAL_TASKS) if res.has(BASELINE, t)]
    if not retrieval:
        return _not_testable("no retrieval (BUCC or Tatoeba) run of the baseline encoder")
    with_all = [s for s in settings if all(res.has(s, t) for t in retrieval)]
    if not with_all:
        return _not_testable("no intermediate setting was evaluated on the retrieval targets")
    trained_all = [t for t in res.common_targets([BASELINE, *with_all]) if t not in RETRIEVAL_TASKS]
    trained = res.deciding(trained_all)
    left_out = {t: res.excluded[t] for t in trained_all if t in res.excluded}
    if not trained:
        return _not_testable("no deciding trained target shares these settings, so there is nothing to rank "
                             "retrieval against", {"left_out": left_out})
    targets = [*retrieval, *trained]
    means = {t: res.contrast(_target_terms(with_all, t)) for t in targets}
    order = sorted(targets, key=lambda t: -means[t].value)
    top_trained = next(t for t in order if t not in RETRIEVAL_TASKS)
    comparisons = []
    for t in retrieval:
        comparisons.append(Comparison(f"{t} mean gain", means[t]))
        comparisons.append(Comparison(f"{t} minus {top_trained} (the trained target that gains most)",
                                      res.contrast(_target_terms(with_all, t) + _target_terms(with_all, top_trained,
                                                                                             -1.0))))
    evidence = res.evidence(with_all, targets)
    evidence.update(ranking=order, target_gains={t: means[t].as_dict() for t in order}, left_out=left_out)
    return _verdict(comparisons, evidence, f"mean over {len(with_all)} setting{'s' if len(with_all) > 1 else ''}")


def verdict_c4(res: Results) -> Verdict:
    """C4: TyDiQA-GoldP improves with many intermediate tasks, XNLI does not.

    Over the English settings run on both targets: TyDiQA's mean gain, and TyDiQA's mean gain minus
    XNLI's (the claim sets the two apart).
    """
    for target in C4_TARGETS:
        if not res.has(BASELINE, target):
            return _not_testable(f"no baseline run on {target} in these results (this profile did not run it)")
        if target in res.excluded:
            return _not_testable(f"{target} is left out: {res.excluded[target]}", {"left_out": dict(res.excluded)})
    gaining, flat = C4_TARGETS
    settings = [s for s in english_settings(res) if all(res.has(s, t) for t in C4_TARGETS)]
    if not settings:
        return _not_testable("no intermediate setting was run on both TyDiQA and XNLI")
    gain = res.contrast(_target_terms(settings, gaining))
    gap = res.contrast(_target_terms(settings, gaining) + _target_terms(settings, flat, -1.0))
    comparisons = [Comparison("TyDiQA mean gain", gain, PAPER["c4_tydiqa"]),
                   Comparison("TyDiQA minus XNLI mean gain", gap, PAPER["c4_difference"])]
    evidence = res.evidence(settings, list(C4_TARGETS))
    evidence.update(gains={t: {s: res.gain(s, t).as_dict() for s in settings} for t in C4_TARGETS},
                    left_out={})
    return _verdict(comparisons, evidence, f"mean over {len(settings)} setting{'s' if len(settings) > 1 else ''}")


def verdict_c5(res: Results) -> Verdict:
    """C5: the best intermediate model per target beats the baseline encoder on the benchmark average.

    Per deciding target, the English setting with the best English validation score is picked (never
    the evaluated languages); the comparison is the average over targets of picked minus baseline.
    """
    settings = english_settings(res)
    if len(settings) < 2:
        return _not_testable("fewer than two intermediate settings in these results: nothing to pick the best "
                             "from; C5 needs at least two")
    targets, left_out = [], {}
    for task in res.tasks:
        candidates = [s for s in settings if res.has(s, task)]
        if not res.has(BASELINE, task) or not candidates:
            continue
        if task in res.excluded:
            left_out[task] = res.excluded[task]
        elif any(res.english_dev(s, task) is None for s in candidates):
            left_out[task] = "no English validation score to pick a model by (not trained, e.g. retrieval)"
        elif not res.can_bound([BASELINE, *candidates], task):
            left_out[task] = "no interval possible (one seed, no three-seed setting, no per-item predictions)"
        else:
            targets.append(task)
    if not targets:
        return _not_testable("no deciding target has a baseline and intermediate runs with English validation "
                             "scores", {"left_out": left_out})
    chosen, rule = best_per_target(res, settings, targets)
    k = len(targets)
    terms = [Term(1.0 / k, chosen[t], t) for t in targets] + [Term(-1.0 / k, BASELINE, t) for t in targets]
    est = res.contrast(terms)
    evidence = res.evidence(sorted(set(chosen.values())), targets)
    evidence.update(chosen=chosen, selection=rule, gain=est.as_dict(), left_out=left_out,
                    per_target={t: res.gain(chosen[t], t).as_dict() for t in targets})
    return _verdict([Comparison("best-per-target average gain", est, PAPER["c5"])], evidence, _over(targets))


def verdict_c6(res: Results) -> Verdict:
    """C6: plain English intermediate training beats (i) mixing in MLM and (ii) translated data.

    Comparisons over the deciding targets each pair shares: plain minus MLM-mixed, and English MNLI minus
    translated NLI. Both pairs must have run.
    """
    evidence: dict[str, Any] = {"model": res.model}
    comparisons, notes, targets, involved = [], [], set(), set()
    pairs = [(p, m) for p, m in mlm_pairs(res) if res.deciding(res.common_targets([p, m]))]
    if pairs:
        terms = []
        for plain, mixed in pairs:
            shared = res.deciding(res.common_targets([plain, mixed]))
            w = 1.0 / (len(pairs) * len(shared))
            terms += [Term(w, plain, t) for t in shared] + [Term(-w, mixed, t) for t in shared]
            targets |= set(shared)
            involved |= {plain, mixed}
        comparisons.append(Comparison("plain minus MLM-mixed", res.contrast(terms)))
        evidence["mlm_pairs"] = [{"plain": p, "mixed": m, "targets": res.deciding(res.common_targets([p, m]))}
                                 for p, m in pairs]
    else:
        notes.append("no plain/MLM-mixed pair of runs")
    pair = translated_pair(res)
    shared = res.deciding(res.common_targets(pair)) if pair else []
    if pair and shared:
        comparisons.append(Comparison("plain minus translated", res.difference(pair[0], pair[1], shared)))
        evidence["translated_pair"] = {"plain": pair[0], "translated": pair[1], "targets": shared}
        targets |= set(shared)
        involved |= set(pair)
    else:
        notes.append("no English-MNLI/translated-NLI pair of runs")
    evidence.update({k: v for k, v in res.evidence(sorted(involved), sorted(targets)).items() if k != "model"})
    evidence["left_out"] = {t: why for t, why in res.excluded.items() if t in res.tasks}
    evidence["differences"] = {("mlm" if c.name.endswith("MLM-mixed") else "translated"): c.estimate.as_dict()
                               for c in comparisons}
    if notes:
        done = "; ".join(c.text() for c in comparisons)
        return _not_testable("; ".join(notes) + (f" (measured: {done})" if done else ""), evidence)
    return _verdict(comparisons, evidence, _over(sorted(targets)))


CLAIMS = {"c1": verdict_c1, "c2": verdict_c2, "c3": verdict_c3, "c4": verdict_c4, "c5": verdict_c5,
          "c6": verdict_c6}


def all_verdicts(res: Results) -> dict[str, Verdict]:
    """Every claim's three-valued verdict (not testable, with the error, where its computation fails on these data)."""
    return verdicts_of(CLAIMS, res)
