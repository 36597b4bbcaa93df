"""How far apart two result folders of the same run are: the largest metric difference and the share of
differing predictions.

`xtl.equivalence` asks a yes-or-no question (may two fingerprints share runs?); a reproduction also wants the
distance when the answer is no, since a re-made run on another machine may differ by a rounding in one
language or by a different model. Metrics are those `xtl.equivalence` compares; predictions are compared
line by line in every prediction file, gzipped or plain. A file only the re-made run has (a task that keeps
predictions it did not keep before) is counted as added, not as a difference, as `xtl.equivalence` does.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from xtl import compressed
from xtl.equivalence import COMPARED


@dataclass
class Comparison:
    """What differs between a committed run and the same run made again."""

    metric_max_diff: float = 0.0  # largest |committed - re-made| over the metrics both have, in points
    metric_differences: list[str] = field(default_factory=list)  # each metric that differs or only one side has
    prediction_files: int = 0  # committed prediction files compared
    prediction_lines: int = 0  # lines in them (the longer side's, file by file)
    differing_lines: int = 0
    differing_files: list[str] = field(default_factory=list)  # committed prediction files with a differing line
    missing_files: list[str] = field(default_factory=list)  # committed prediction files the re-made run lacks
    added_files: list[str] = field(default_factory=list)  # prediction files only the re-made run has

    @property
    def same(self) -> bool:
        return not self.metric_differences and not self.differing_lines and not self.missing_files

    @property
    def share_differing(self) -> float | None:
        """Share of prediction lines that differ (None when the run keeps no predictions)."""
        return self.differing_lines / self.prediction_lines if self.prediction_lines else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "same": self.same, "share_differing": self.share_differing}


def compare(committed: Path, again: Path) -> Comparison:
    """Compare the committed result folder of a run with the folder the same run made again."""
    result = Comparison()
    _compare_metrics(result, *(json.loads((folder / "metrics.json").read_text()) for folder in (committed, again)))
    old_files, new_files = prediction_files(committed), prediction_files(again)
    result.added_files = sorted(new_files.keys() - old_files.keys())
    for name in sorted(old_files):
        result.prediction_files += 1
        old_lines = compressed.read_text(old_files[name]).splitlines()
        if name not in new_files:
            result.missing_files.append(name)
            result.prediction_lines += len(old_lines)
            result.differing_lines += len(old_lines)
            continue
        new_lines = compressed.read_text(new_files[name]).splitlines()
        differing = sum(a != b for a, b in zip_longest(old_lines, new_lines))
        result.prediction_lines += max(len(old_lines), len(new_lines))
        result.differing_lines += differing
        if differing:
            result.differing_files.append(name)
    return result


def prediction_files(folder: Path) -> dict[str, Path]:
    """A run's prediction files by what they hold (`predictions/de.jsonl` for `de.jsonl.gz` or a plain `de.jsonl`)."""
    root = folder / "predictions"
    return {str(path.with_name(compressed.logical_name(path)).relative_to(folder)): path
            for path in root.rglob("*") if path.is_file()} if root.is_dir() else {}


def _compare_metrics(result: Comparison, old: dict[str, Any], new: dict[str, Any]) -> None:
    old_values, new_values = (dict(_leaves({key: metrics.get(key) for key in COMPARED})) for metrics in (old, new))
    for name in sorted(old_values.keys() | new_values.keys()):
        then, now = old_values.get(name), new_values.get(name)
        if then == now:
            continue
        result.metric_differences.append(f"{name}: {then!r} then, {now!r} now")
        if _number(then) and _number(now):
            result.metric_max_diff = max(result.metric_max_diff, abs(float(now) - float(then)))


def _leaves(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested metrics as (dotted name, value) pairs: `per_language.de.accuracy`."""
    if isinstance(value, dict):
        return [leaf for key, inner in value.items() for leaf in _leaves(inner, f"{prefix}{key}.")]
    return [(prefix.rstrip("."), value)]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
