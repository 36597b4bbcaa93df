"""Intervals for the book: the t-quantile, seed-paired effects, percentile intervals of resamples.

One place for the statistics every page uses. Two estimates share it: `Estimate` (the claims: a
contrast with the name of the interval it got, t over seeds or a paired bootstrap over items) and
`Effect` (the questions: a seed-paired difference that keeps its per-seed values, always a
t-interval). Both quote themselves as '+2.3 [+0.8, +3.9]'.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from scipy import stats

from xtl.errors import XtlError


def t_quantile_975(df: int) -> float:
    """t(0.975, df), rounded to the three decimals of the standard tables (the intervals the book quotes)."""
    if df < 1:
        raise XtlError(f"a t-interval needs at least 2 seeds (df >= 1), got df={df}; run more seeds")
    return round(float(stats.t.ppf(0.975, df)), 3)


def t_half_width(values: np.ndarray) -> float:
    """Half-width of the 95 % Student-t interval of the mean of `values` (two or more)."""
    n = len(values)
    return t_quantile_975(n - 1) * float(np.std(values, ddof=1)) / math.sqrt(n)


def pooled_variance(groups: Mapping[str, Sequence[float]]) -> tuple[float, int]:
    """Pooled variance of several groups of per-seed values, each around its own mean, and its degrees of freedom.

    s² = Σ_g Σ_k (x_gk − x̄_g)² / Σ_g (n_g − 1), df = Σ_g (n_g − 1): the estimate of a spread the groups are
    assumed to share (groups of one value add nothing). df 0 when no group has two values.
    """
    squares, df = 0.0, 0
    for values in groups.values():
        x = np.asarray(list(values), dtype=float)
        if len(x) > 1:
            squares += float(((x - x.mean()) ** 2).sum())
            df += len(x) - 1
    return (squares / df if df else float("nan")), df


def pooled_half_width(variance: float, df: int, n: int) -> float:
    """Half-width of the 95 % t-interval of a mean of `n` seeds whose variance is a pooled estimate with `df`."""
    return t_quantile_975(df) * math.sqrt(variance / n)


def percentile_interval(replicates: np.ndarray) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of bootstrap replicates: a 95 % percentile interval."""
    lo, hi = np.percentile(replicates, [2.5, 97.5])
    return float(lo), float(hi)


class Verdict(NamedTuple):
    """What a claim or question rule returns: the verdict, a one-paragraph reason, the evidence behind it."""

    verdict: str
    reason: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95 % interval (lo/hi None when no interval could be computed)."""

    value: float
    lo: float | None
    hi: float | None
    method: str
    n_seeds: int

    @property
    def excludes_zero_above(self) -> bool:
        """True when the whole interval lies above zero (a positive effect we can tell from noise)."""
        return self.lo is not None and self.lo > 0

    @property
    def has_interval(self) -> bool:
        return self.lo is not None and self.hi is not None

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "lo": self.lo, "hi": self.hi, "method": self.method, "n_seeds": self.n_seeds}

    def text(self, digits: int = 1) -> str:
        """'+2.3 [+0.8, +3.9]' (or '+2.3 (no interval)'): how pages quote an estimate."""
        if not self.has_interval:
            return f"{self.value:+.{digits}f} (no interval)"
        return f"{self.value:+.{digits}f} [{self.lo:+.{digits}f}, {self.hi:+.{digits}f}]"


@dataclass(frozen=True)
class Term:
    """coefficient × score(setting, task): the claims' contrasts (`xtl.report.gains`) are sums of terms."""

    coef: float
    setting: str
    task: str


@dataclass(frozen=True)
class Effect:
    """A mean over seeds with its 95 % t-interval (lo/hi None with fewer than two seeds)."""

    value: float
    lo: float | None
    hi: float | None
    per_seed: dict[int, float] = field(default_factory=dict)

    @property
    def n_seeds(self) -> int:
        return len(self.per_seed)

    @property
    def has_interval(self) -> bool:
        return self.lo is not None and self.hi is not None

    def text(self, digits: int = 1, signed: bool = True) -> str:
        """'+2.3 [+0.8, +3.9]', how pages quote an effect."""
        sign = "+" if signed else ""
        if math.isnan(self.value):
            return "not run"
        if not self.has_interval:
            return f"{self.value:{sign}.{digits}f} (no interval: {self.n_seeds} seed)"
        return f"{self.value:{sign}.{digits}f} [{self.lo:{sign}.{digits}f}, {self.hi:{sign}.{digits}f}]"

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "lo": self.lo, "hi": self.hi, "n_seeds": self.n_seeds,
                "per_seed": {int(k): float(v) for k, v in self.per_seed.items()}}


EMPTY = Effect(float("nan"), None, None, {})


def t_interval(per_seed: Mapping[int, float]) -> Effect:
    """Mean of per-seed values and its 95 % Student-t interval."""
    values = {int(k): float(v) for k, v in per_seed.items() if v is not None and not math.isnan(float(v))}
    if not values:
        return EMPTY
    x = np.array(list(values.values()))
    mean = float(x.mean())
    if len(x) < 2:
        return Effect(mean, None, None, values)
    half = t_half_width(x)
    return Effect(mean, mean - half, mean + half, values)


def contrast(treatment: Mapping[int, float], control: Mapping[int, float]) -> Effect:
    """treatment - control, paired by seed (seeds missing on either side are left out)."""
    seeds = sorted(set(treatment) & set(control))
    return t_interval({s: treatment[s] - control[s] for s in seeds})
