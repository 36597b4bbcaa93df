"""Where we stand: our baseline encoder beside published XTREME baselines on the same targets.

Published rows are language averages on the test sets (`xtl.report.published`); ours is
`xtreme_avg` of the profile's baseline runs (no intermediate training), averaged over seeds. The
sizes and splits differ (the page says how), so the table places us, it does not rank us.
"""

from __future__ import annotations

import pandas as pd

from xtl.report.published import SCORES
from xtl.results import BASELINE
from xtl.scoring import XTREME_AVG


def standing(averages: pd.DataFrame, ours: str = "ours") -> pd.DataFrame:
    """One row per target with a published score or a baseline run of ours; NaN where a cell is missing."""
    base = averages[averages["intermediate"] == BASELINE].groupby("target")[XTREME_AVG].agg(["mean", "count"])
    targets = list(dict.fromkeys([t for row in SCORES.values() for t in row] + list(base.index)))
    rows = []
    for target in targets:
        row = {"target": target, **{model: scores.get(target, float("nan")) for model, scores in SCORES.items()}}
        row[ours] = float(base.loc[target, "mean"]) if target in base.index else float("nan")
        row[f"{ours}: seeds"] = int(base.loc[target, "count"]) if target in base.index else 0
        rows.append(row)
    return pd.DataFrame(rows)


def standings(averages_by_profile: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """`standing` for several profiles side by side: the published columns once, then each profile's
    baseline mean (`ours (<profile>)`) and its seed count."""
    table = None
    for profile, averages in averages_by_profile.items():
        part = standing(averages, ours=f"ours ({profile})")
        if table is None:
            table = part
        else:
            ours = [c for c in part.columns if c.startswith(f"ours ({profile})")]
            table = table.merge(part[["target", *ours]], on="target", how="outer", sort=False)
    if table is None:
        raise ValueError("standings needs at least one profile")
    seeds = [c for c in table.columns if c.endswith(": seeds")]
    table[seeds] = table[seeds].fillna(0).astype(int)
    return table
