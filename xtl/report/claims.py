"""The first, two-valued verdict rules (C1-C6): reproduced or not reproduced, each a pure function of a results view.

These were the book's rules until the reference profile's first column had been seen; the current,
three-valued rules are in `xtl.report.verdicts`, which also uses the helpers here (the settings a
claim compares, best-per-target picks). They are kept so each claim page can show what the first rule
gives on the same runs, read as it read them (`all_langs_avg`, QA as F1, no target left out, one-seed
intervals from resampling test items: `ClaimsData.first_rule`). Every function's docstring states its rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from xtl import tasks
from xtl.errors import XtlError
from xtl.report.canonical import BASELINE
from xtl.report.gains import SCORE_AVG, Results
from xtl.report.stats import Estimate, Term, Verdict

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
NOT_TESTABLE = "not testable with the data at hand"

# The tasks the paper's claims name (C3's retrieval targets and C6's pair come from the registry).
C1_TASKS = ("squad", "mnli", "hellaswag")   # the three best intermediate tasks
C4_TARGETS = ("tydiqa", "xnli")             # the target that gains with many intermediate tasks, the one that does not
RETRIEVAL_TASKS = tuple(tasks.names(role="retrieval"))   # C3: the targets searched without training (BUCC, Tatoeba)
TRANSLATED_NLI = tasks.TRANSLATED_NLI       # C6: XNLI's human translations as one intermediate task
ENGLISH_NLI = tasks.source(TRANSLATED_NLI).dev[0]   # C6: the English NLI task beside it (MNLI, whose dev set stops both)


def _not_testable(reason: str, evidence: dict[str, Any] | None = None) -> Verdict:
    return Verdict(NOT_TESTABLE, reason, evidence or {})


def _fmt(est: Estimate) -> str:
    return est.text(1)


def english_settings(res: Results) -> list[str]:
    """Single- and multi-task settings on English data only (no MLM, no translated data)."""
    return res.settings(("single", "multi"))


def _with_baseline(res: Results, settings: Sequence[str]) -> list[str]:
    """Targets where the baseline and every given setting have runs."""
    return res.common_targets([BASELINE, *settings])


def _no_target(runs_needed: str, left_out: dict[str, str]) -> Verdict:
    """Not testable: no target has runs for `runs_needed` on which an interval can be computed."""
    return _not_testable(f"no target task has runs for {runs_needed}"
                         + (f" with per-item predictions or 3 seeds (left out: {', '.join(left_out)})"
                            if left_out else ""))


def _boundable(res: Results, settings: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Targets shared by the baseline and the settings on which intervals can be computed, and the rest."""
    return res.split_boundable([BASELINE, *settings], _with_baseline(res, settings))


def verdict_c1(res: Results) -> Verdict:
    """C1: SQuAD, MNLI and HellaSwag are the best intermediate tasks.

    Rule: over the targets every single-task setting and the baseline share, (a) each of the three
    has an average gain whose 95 % interval lies above zero, and (b) the three are the top three of
    the single-task settings by average gain. (a) failing is enough to say "not reproduced"; (b)
    needs at least one other single-task setting, else the claim is not testable.
    """
    singles = res.settings(("single",))
    missing = [t for t in C1_TASKS if t not in singles]
    if missing:
        return _not_testable(f"no single-task run for {', '.join(missing)}; C1 needs squad, mnli and hellaswag "
                             "each as the only intermediate task")
    targets, left_out = _boundable(res, singles)
    if not targets:
        return _no_target("the baseline and every single-task setting", left_out)
    table = res.average_gain_table(singles, targets)
    ranking = list(table["setting"])
    top3 = ranking[:3]
    est = {s: Estimate(**{k: row[k] for k in ("value", "lo", "hi", "method", "n_seeds")})
           for s, row in table.set_index("setting").iterrows()}
    evidence = res.evidence(singles, targets)
    evidence.update(ranking=ranking, gains={s: e.as_dict() for s, e in est.items()},
                    interval=_methods({"": list(est.values())}), left_out=left_out)
    no_interval = [t for t in C1_TASKS if not est[t].has_interval]
    if no_interval:
        return _not_testable(f"no interval for {', '.join(no_interval)} (one seed and no per-item predictions)",
                             evidence)
    not_positive = [t for t in C1_TASKS if not est[t].excludes_zero_above]
    gains = "; ".join(f"{t} {_fmt(est[t])}" for t in C1_TASKS)
    where = f"over {len(targets)} target{'s' if len(targets) > 1 else ''} ({', '.join(targets)})"
    ranks = ", ".join(f"{t} #{ranking.index(t) + 1}" for t in C1_TASKS)
    problems = []
    if not_positive:
        problems.append(f"interval not above zero for {', '.join(not_positive)}")
    if len(singles) >= 4 and not set(C1_TASKS) <= set(top3):
        problems.append(f"ranks {ranks} of {len(singles)} single-task settings (our top three: {', '.join(top3)})")
    if problems:
        return Verdict(NOT_REPRODUCED, f"{'; '.join(problems)}. Average gains {where}: {gains}.", evidence)
    if len(singles) < 4:
        return _not_testable(f"the three gain with intervals above zero ({gains}) {where}, but they are the only "
                             "single-task settings in these results, so whether they are the best cannot be "
                             "tested", evidence)
    return Verdict(REPRODUCED, f"all three gain with intervals above zero ({gains}) and are our top three of "
                               f"{len(singles)} single-task settings {where}.", evidence)


def verdict_c2(res: Results) -> Verdict:
    """C2: multi-task intermediate training on all tasks is best.

    Rule: over the targets shared with the baseline, the multi-task setting (every English
    intermediate task we have) has the highest average gain of all English settings, and its
    interval lies above zero.
    """
    multis = res.settings(("multi",))
    if not multis:
        return _not_testable("no multi-task intermediate run in these results")
    multi = max(multis, key=lambda s: len(s.split("+")))
    singles = res.settings(("single",))
    if not singles:
        return _not_testable("no single-task run to compare the multi-task setting with")
    settings = [*singles, *[m for m in multis]]
    targets, left_out = _boundable(res, settings)
    if not targets:
        return _no_target("the baseline, the multi-task and every single-task setting", left_out)
    table = res.average_gain_table(settings, targets)
    row = table.set_index("setting").loc[multi]
    est = Estimate(row["value"], row["lo"], row["hi"], row["method"], int(row["n_seeds"]))
    rank = list(table["setting"]).index(multi) + 1
    evidence = res.evidence(settings, targets)
    evidence.update(multi_task=multi, multi_tasks=multi.split("+"), ranking=list(table["setting"]),
                    gains={r["setting"]: {k: r[k] for k in ("value", "lo", "hi", "method")}
                           for _, r in table.iterrows()}, interval=est.method, left_out=left_out)
    if not est.has_interval:
        return _not_testable(f"no interval for the multi-task gain ({est.method})", evidence)
    best = table.iloc[0]
    where = f"over {len(targets)} target{'s' if len(targets) > 1 else ''} ({', '.join(targets)})"
    if rank == 1 and est.excludes_zero_above:
        return Verdict(REPRODUCED, f"multi-task ({len(multi.split('+'))} tasks) has the largest average gain, "
                                   f"{_fmt(est)}, of {len(settings)} settings {where}.", evidence)
    parts = []
    if rank != 1:
        parts.append(f"multi-task ranks #{rank} of {len(settings)} ({_fmt(est)}); best is {best['setting']} "
                     f"({best['value']:+.1f})")
    if not est.excludes_zero_above:
        parts.append(f"its gain interval {_fmt(est)} does not lie above zero")
    return Verdict(NOT_REPRODUCED, "; ".join(parts) + f" {where}.", evidence)


def target_gains(res: Results, settings: Sequence[str], targets: Sequence[str]) -> pd.DataFrame:
    """Mean gain per target over the given settings (each with its interval), largest first."""
    rows = []
    for task in targets:
        terms = [Term(1.0 / len(settings), s, task) for s in settings] + [Term(-1.0, BASELINE, task)]
        est = res.contrast(terms)
        rows.append({"task": task, **est.as_dict()})
    table = pd.DataFrame(rows, columns=["task", "value", "lo", "hi", "method", "n_seeds"])
    return table.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)


def verdict_c3(res: Results) -> Verdict:
    """C3: the largest gains are on the retrieval targets (BUCC, Tatoeba).

    Rule: averaged over the English settings that were run on every target we compare, each
    retrieval target we have gains more than every trained target, and its mean gain is positive
    (a ranking claim: point estimates; intervals are shown where per-item predictions exist).
    """
    settings = english_settings(res)
    if not settings:
        return _not_testable("no intermediate-task run in these results")
    retrieval = [t for t in RETRIEVAL_TASKS if res.has(BASELINE, t)]
    if not retrieval:
        return _not_testable("no retrieval (BUCC or Tatoeba) run of the baseline encoder")
    with_all = [s for s in settings if all(res.has(s, t) for t in retrieval)]
    if not with_all:
        return _not_testable("no intermediate setting was evaluated on the retrieval targets")
    trained = [t for t in _with_baseline(res, with_all) if t not in RETRIEVAL_TASKS]
    if not trained:
        return _not_testable("no trained target shares these settings, so there is nothing to rank retrieval against")
    targets = [*retrieval, *trained]
    table = target_gains(res, with_all, targets)
    order = list(table["task"])
    gains = table.set_index("task")["value"]
    evidence = res.evidence(with_all, targets)
    evidence.update(ranking=order, target_gains={r["task"]: {k: r[k] for k in ("value", "lo", "hi", "method")}
                                                 for _, r in table.iterrows()})
    top = set(order[:len(retrieval)])
    summary = "; ".join(f"{t} {gains[t]:+.1f}" for t in order)
    if top == set(retrieval) and all(gains[t] > 0 for t in retrieval):
        return Verdict(REPRODUCED, f"retrieval targets gain most, mean over {len(with_all)} settings: {summary}.",
                       evidence)
    why = [] if top == set(retrieval) else [f"the largest mean gain is on {order[0]}, not on retrieval"]
    if not all(gains[t] > 0 for t in retrieval):
        why.append(f"retrieval gains are not all positive ({', '.join(f'{t} {gains[t]:+.1f}' for t in retrieval)})")
    return Verdict(NOT_REPRODUCED, f"{'; '.join(why)}. Mean gain over {len(with_all)} settings: {summary}.",
                   evidence)


def verdict_c4(res: Results) -> Verdict:
    """C4: TyDiQA-GoldP improves with many intermediate tasks, XNLI does not benefit.

    Rule: of the English settings run on both, more than half have a TyDiQA gain whose interval
    lies above zero, and at most half have such a gain on XNLI.
    """
    gaining, flat = C4_TARGETS
    lacking = [t for t in C4_TARGETS if not res.has(BASELINE, t)]
    if lacking:
        return _not_testable(f"no baseline run on {' or '.join(lacking)} in these results (this profile did not "
                             "run it)")
    settings = [s for s in english_settings(res) if all(res.has(s, t) for t in C4_TARGETS)]
    if not settings:
        return _not_testable("no intermediate setting was run on both TyDiQA and XNLI")
    gains = {t: {s: res.gain(s, t) for s in settings} for t in C4_TARGETS}
    missing_interval = [f"{s} on {t}" for t in gains for s, e in gains[t].items() if not e.has_interval]
    evidence = res.evidence(settings, list(C4_TARGETS))
    evidence.update(gains={t: {s: e.as_dict() for s, e in g.items()} for t, g in gains.items()})
    if missing_interval:
        return _not_testable(f"no interval for {', '.join(missing_interval)}", evidence)
    helped = {t: [s for s, e in g.items() if e.excludes_zero_above] for t, g in gains.items()}
    n = len(settings)
    counts = f"TyDiQA gains in {len(helped[gaining])} of {n} settings, XNLI in {len(helped[flat])} of {n}"
    evidence.update(helped=helped, interval=_methods({t: list(g.values()) for t, g in gains.items()}))
    if len(helped[gaining]) > n / 2 and len(helped[flat]) <= n / 2:
        return Verdict(REPRODUCED, f"{counts} (interval above zero).", evidence)
    return Verdict(NOT_REPRODUCED, f"{counts} (interval above zero); the rule needs more than half for "
                                   "TyDiQA and at most half for XNLI.", evidence)


def _methods(estimates: dict[str, list[Estimate]]) -> str:
    """The interval methods behind a verdict: one when all agree, else each with the target it was used on
    (targets can differ in how many seeds ran)."""
    used = {label: sorted({e.method for e in group}) for label, group in estimates.items()}
    distinct = sorted({m for methods in used.values() for m in methods})
    if len(distinct) == 1:
        return distinct[0]
    return "; ".join(f"{label}: {', '.join(methods)}" if label else ", ".join(methods) for label, methods in used.items())


def best_per_target(res: Results, settings: Sequence[str], targets: Sequence[str]) -> tuple[dict[str, str], str]:
    """Per target, the setting with the best English dev score (else the best `all_langs_avg`)."""
    chosen, rule = {}, "English validation score of the target task"
    for task in targets:
        candidates = [s for s in settings if res.has(s, task)]
        devs = {s: res.english_dev(s, task) for s in candidates}
        if all(v is not None for v in devs.values()):
            chosen[task] = max(candidates, key=lambda s: (devs[s], s))
        else:
            rule = f"{SCORE_AVG} (no English dev score recorded: optimistic)"
            chosen[task] = max(candidates, key=lambda s: (np.mean([res.score(s, task, x) for x in res.seeds(s, task)]), s))
    return chosen, rule


def verdict_c5(res: Results) -> Verdict:
    """C5: the best intermediate model per target beats the baseline encoder on the benchmark average.

    Rule: per target, pick the English intermediate setting with the best English validation score
    (never the evaluated languages); the average over targets of (picked − baseline) has an interval
    above zero. Picking needs a choice: with a single intermediate setting the claim is C1's question
    about that setting, not C5's, so it is not testable here.
    """
    settings = english_settings(res)
    if not settings:
        return _not_testable("no intermediate-task run in these results")
    if len(settings) < 2:
        return _not_testable(f"one intermediate setting ({settings[0]}) in these results: nothing to pick the best "
                             "from; C5 needs at least two")
    targets, left_out = [], {}
    for task in res.tasks:
        candidates = [s for s in settings if res.has(s, task)]
        if not res.has(BASELINE, task) or not candidates:
            continue
        if any(res.english_dev(s, task) is None for s in candidates):
            left_out[task] = "no English validation score to pick a model by (not trained, e.g. retrieval)"
        elif not res.can_bound([BASELINE, *candidates], task):
            left_out[task] = "fewer than 3 seeds and no per-item predictions saved, so no interval"
        else:
            targets.append(task)
    if not targets:
        return _not_testable("no target has a baseline and intermediate runs with English validation scores"
                             + (f" (left out: {', '.join(left_out)})" if left_out else ""), {"left_out": left_out})
    chosen, rule = best_per_target(res, settings, targets)
    k = len(targets)
    terms = [Term(1.0 / k, chosen[t], t) for t in targets] + [Term(-1.0 / k, BASELINE, t) for t in targets]
    est = res.contrast(terms)
    evidence = res.evidence(sorted(set(chosen.values())), targets)
    evidence.update(chosen=chosen, selection=rule, gain=est.as_dict(), interval=est.method, left_out=left_out,
                    per_target={t: res.gain(chosen[t], t).as_dict() for t in targets})
    if not est.has_interval:
        return _not_testable(f"no interval for the best-per-target gain ({est.method})", evidence)
    picks = ", ".join(f"{t}: {chosen[t]}" for t in targets)
    text = f"best-per-target gain over {k} target{'s' if k > 1 else ''} {_fmt(est)} (picked by {rule}: {picks})"
    if est.excludes_zero_above:
        return Verdict(REPRODUCED, text + ".", evidence)
    return Verdict(NOT_REPRODUCED, text + "; the interval does not lie above zero.", evidence)


def mlm_pairs(res: Results) -> list[tuple[str, str]]:
    """(plain English setting, the same tasks with MLM mixed in) pairs present in the results."""
    pairs = []
    for mixed in res.settings(("mlm",)):
        plain = mixed[: -len("+mlm")] if mixed.endswith("+mlm") else None
        if plain and plain in res.settings(("single", "multi")):
            pairs.append((plain, mixed))
    return pairs


def translated_pair(res: Results) -> tuple[str, str] | None:
    """(English NLI setting, translated NLI setting) if both were run."""
    translated = [s for s in res.settings(("translated",)) if s == TRANSLATED_NLI]
    if translated and ENGLISH_NLI in res.settings(("single",)):
        return (ENGLISH_NLI, translated[0])
    return None


def verdict_c6(res: Results) -> Verdict:
    """C6: plain English intermediate training beats (i) mixing in MLM and (ii) translated data.

    Rule: (i) averaged over the plain/MLM-mixed pairs and the targets both were run on, plain minus
    mixed has an interval above zero; (ii) English MNLI minus translated NLI over their shared
    targets has an interval above zero. Both must hold.
    """
    evidence: dict[str, Any] = {"model": res.model}
    comparisons: dict[str, Estimate] = {}
    notes = []
    pairs = [(p, m) for p, m in mlm_pairs(res) if res.common_targets([p, m])]
    if pairs:
        terms = []
        for plain, mixed in pairs:
            shared = res.common_targets([plain, mixed])
            w = 1.0 / (len(pairs) * len(shared))
            terms += [Term(w, plain, t) for t in shared] + [Term(-w, mixed, t) for t in shared]
        comparisons["mlm"] = res.contrast(terms)
        evidence["mlm_pairs"] = [{"plain": p, "mixed": m, "targets": res.common_targets([p, m])} for p, m in pairs]
    else:
        notes.append("no plain/MLM-mixed pair of runs")
    pair = translated_pair(res)
    if pair and res.common_targets(pair):
        shared = res.common_targets(pair)
        comparisons["translated"] = res.difference(pair[0], pair[1], shared)
        evidence["translated_pair"] = {"plain": pair[0], "translated": pair[1], "targets": shared}
    else:
        notes.append("no English-MNLI/translated-NLI pair of runs")
    involved = sorted({s for p in pairs for s in p} | set(pair or ()))
    targets = sorted({t for p in pairs for t in res.common_targets(p)} | set(res.common_targets(pair) if pair else []))
    evidence.update({k: v for k, v in res.evidence(involved, targets).items() if k != "model"})
    evidence["differences"] = {k: e.as_dict() for k, e in comparisons.items()}
    if notes:
        done = "; ".join(f"plain − {k} {_fmt(e)}" for k, e in comparisons.items())
        return _not_testable("; ".join(notes) + (f" (measured: {done})" if done else ""), evidence)
    no_interval = [k for k, e in comparisons.items() if not e.has_interval]
    if no_interval:
        return _not_testable(f"no interval for {', '.join(no_interval)}", evidence)
    text = (f"plain − MLM-mixed {_fmt(comparisons['mlm'])}, plain − translated {_fmt(comparisons['translated'])} "
            f"({comparisons['mlm'].method})")
    evidence["interval"] = comparisons["mlm"].method
    if all(e.excludes_zero_above for e in comparisons.values()):
        return Verdict(REPRODUCED, text + ": plain English is better in both comparisons.", evidence)
    losers = [k for k, e in comparisons.items() if not e.excludes_zero_above]
    return Verdict(NOT_REPRODUCED, text + f": the {' and '.join(losers)} comparison does not lie above zero.",
                   evidence)


CLAIMS = {"c1": verdict_c1, "c2": verdict_c2, "c3": verdict_c3, "c4": verdict_c4, "c5": verdict_c5,
          "c6": verdict_c6}


def verdicts_of(rules: Mapping[str, Callable[[Results], Verdict]], res: Results) -> dict[str, Verdict]:
    """Every claim's verdict under `rules` (these first ones, or the current ones of `xtl.report.verdicts`); a claim
    whose computation fails on these data is 'not testable' with the error."""
    out = {}
    for claim, rule in rules.items():
        try:
            out[claim] = rule(res)
        except XtlError as error:
            out[claim] = _not_testable(str(error))
    return out


def all_verdicts(res: Results) -> dict[str, Verdict]:
    """Every claim's verdict under the first, two-valued rules."""
    return verdicts_of(CLAIMS, res)
