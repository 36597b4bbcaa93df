"""The number a claim compares: a run's score on a target, as XTREME scores it, or as the first rule did.

Claim decisions use the XTREME score (Hu et al. 2020): the mean over the task's XTREME languages
(`xtl.scoring`'s `xtreme_avg` language set, what metrics.json's `average` holds) of the headline
metric, with QA counting (EM + F1) / 2, the number XTREME's own evaluation enters into its benchmark
average for XQuAD, MLQA and TyDiQA. The first two-valued rule scored `all_langs_avg` with QA as F1;
it is kept so each claim page can show what that rule gave.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from xtl.scoring import ALL_LANGS_AVG, XTREME_AVG, language_average


@dataclass(frozen=True)
class Score:
    """Which languages a run's score averages and how QA counts (`qa`: 'em_f1' or 'f1')."""

    name: str
    average: str   # a named language set of xtl.scoring
    qa: str
    definition: str

    @property
    def column(self) -> str:
        """The canonical frame's column with this per-language value (`xtl.report.canonical`)."""
        return "xtreme_value" if self.qa == "em_f1" else "value"

    def of(self, task: str, values: Mapping[str, float]) -> float:
        """The score of {language: per-language value in this score's QA convention}."""
        return language_average(self.average, task, values)


XTREME_SCORE = Score(
    "XTREME score", XTREME_AVG, "em_f1",
    "mean over the task's XTREME languages of its headline metric in percent (accuracy, or F1 for tagging "
    "and BUCC); QA counts (EM + F1) / 2, as XTREME's benchmark average does")
FIRST_RULE_SCORE = Score(
    ALL_LANGS_AVG, ALL_LANGS_AVG, "f1",
    "mean over every evaluated language, English included, of the headline metric in percent; QA counts F1 only")

