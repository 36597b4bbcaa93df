"""The seed-to-seed variance a contrast with fewer than three seeds borrows, pooled over the settings that ran three."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from xtl.report.canonical import BASELINE
from xtl.report.stats import Term, pooled_variance

MIN_SEEDS_FOR_T = 3


class SeedScores(Protocol):
    """What the pooling reads of a results view (`xtl.report.gains.Results`)."""

    def settings(self) -> list[str]: ...

    def seeds(self, setting: str, task: str) -> list[int]: ...

    def score(self, setting: str, task: str, seed: int) -> float: ...


@dataclass(frozen=True)
class Spread:
    """A pooled seed-to-seed variance: from which three-seed settings, with how many degrees of freedom."""

    variance: float
    df: int
    settings: tuple[str, ...]
    per_setting: dict[str, tuple[float, ...]]   # the per-seed values each setting contributed


def three_seed_settings(res: SeedScores, tasks_: Iterable[str], with_baseline: bool = True) -> list[str]:
    """Intermediate settings with three or more seeds on every given target (shared with the baseline)."""
    tasks_ = list(tasks_)
    out = []
    for setting in res.settings():
        if setting == BASELINE:
            continue
        shared = [set(res.seeds(setting, t)) & (set(res.seeds(BASELINE, t)) if with_baseline else set(
            res.seeds(setting, t))) for t in tasks_]
        if tasks_ and all(len(s) >= MIN_SEEDS_FOR_T for s in shared):
            out.append(setting)
    return out


def reference_spread(res: SeedScores, terms: Sequence[Term]) -> Spread | None:
    """The seed-to-seed variance of this contrast, pooled over the settings that ran three or more seeds.

    A contrast of gains (its intermediate terms do not cancel on some target) is re-computed per seed
    with each three-seed setting R in place of every intermediate setting, paired with the baseline
    of the same seed. A contrast between intermediate settings (their weights cancel on every target)
    takes its two sides as independent runs: the variance of each side is pooled from the three-seed
    settings and the two are added. None when no setting ran three seeds on these targets.
    """
    weights: dict[str, float] = {}
    for t in terms:
        if t.setting != BASELINE:
            weights[t.task] = weights.get(t.task, 0.0) + t.coef
    tasks_ = sorted({t.task for t in terms})
    if any(abs(w) > 1e-12 for w in weights.values()):
        return _spread_of_gains(res, terms, weights, tasks_)
    sides = [{t.task: t.coef for t in terms if t.setting != BASELINE and sign * t.coef > 0} for sign in (1, -1)]
    references = three_seed_settings(res, tasks_, with_baseline=False)
    if not references:
        return None
    variance, df, per_setting = 0.0, 0, {}
    for side in sides:
        series = {r: tuple(_series(res, r, side, seeds_on(res, r, tasks_))) for r in references}
        v, df = pooled_variance(series)
        variance += v
        per_setting.update({f"{r} ({'+' if side is sides[0] else '−'})": x for r, x in series.items()})
    return Spread(variance, df, tuple(references), per_setting) if df else None


def gain_spread(res: SeedScores, task: str) -> Spread | None:
    """The seed-to-seed variance of a one-target gain, pooled over the three-seed settings (their per-seed
    gains in `per_setting`), or None."""
    return _spread_of_gains(res, [Term(-1.0, BASELINE, task)], {task: 1.0}, [task])


def _spread_of_gains(res: SeedScores, terms: Sequence[Term], weights: dict[str, float],
                     tasks_: list[str]) -> Spread | None:
    references = three_seed_settings(res, tasks_)
    if not references:
        return None
    base: dict[str, float] = {}
    for t in terms:
        if t.setting == BASELINE:
            base[t.task] = base.get(t.task, 0.0) + t.coef
    series = {}
    for r in references:
        seeds = sorted(set(seeds_on(res, r, tasks_)) & set(seeds_on(res, BASELINE, tasks_)))
        on_r, on_base = _series(res, r, weights, seeds), _series(res, BASELINE, base, seeds)
        series[r] = tuple(a + b for a, b in zip(on_r, on_base))
    variance, df = pooled_variance(series)
    return Spread(variance, df, tuple(references), series) if df else None


def seeds_on(res: SeedScores, setting: str, tasks_: Iterable[str]) -> list[int]:
    """Seeds `setting` ran on every one of `tasks_`."""
    sets = [set(res.seeds(setting, t)) for t in tasks_]
    return sorted(set.intersection(*sets)) if sets else []


def _series(res: SeedScores, setting: str, weights: dict[str, float], seeds: list[int]) -> list[float]:
    """Per seed, Σ_task weight·score(setting, task, seed)."""
    return [sum(w * res.score(setting, task, s) for task, w in weights.items()) for s in seeds]
