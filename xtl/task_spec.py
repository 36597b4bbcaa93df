"""What a task is: the frozen `Task`, `Derivation`, `Cost` and `Source` records the registry (`xtl.tasks`) is made of.

A task's behaviour is in its entry: `convert` reads its kit rows (`from_hub` the hub's, where they differ),
`format` and `metric` pick its columns, head and scorer, `leaderboard` names its XTREME prediction file,
`cost` what it takes to train. A `Source` says what one name in a config's `intermediate.tasks` trains on.
The tables of tasks are in `xtl.tasks_xtreme`, `xtl.tasks_english` and `xtl.tasks_african`; the helpers
below are what they share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xtl.convert import Converter

HubRow = Callable[[dict[str, Any], str], dict[str, Any] | None]  # (hub row, language) -> kit row, None: no gold label

FORMATS = (
    "sentence_classification", "pair_classification", "token_tagging", "extractive_qa",
    "multiple_choice", "retrieval", "raw_text",
)
ROLES = ("target", "intermediate", "retrieval", "african", "mlm")
METRICS = ("accuracy", "f1", "pos", "squad", "mlqa", "bucc_f1", "tatoeba_accuracy", "mlm_loss")



@dataclass(frozen=True)
class Derivation:
    """A split carved out of kit split(s): `outputs[1]` holds out ~`fraction` of the rows, by group."""

    lang: str
    source: tuple[str, ...]          # kit splits, concatenated in this order
    outputs: tuple[str, str]         # (the rest, the held-out part)
    fraction: float
    group_by: tuple[str, ...]        # kit fields: rows sharing any (normalised) value stay together
    unless: str | None = None        # not applied when this split exists as a file (a real one, online)


@dataclass(frozen=True)
class Cost:
    """What training a task costs, for estimates only (no run reads it, so it is outside the core fingerprint).

    `official_train`: English training examples of the official dataset (the datasets' papers / hub cards).
    `paper_tokens`: non-pad tokens per training example at the paper's lengths (x choices for multiple choice;
    one 384-token window per QA question), assumed: our runs truncate, so their measured lengths undercount.
    `pace`: max_length -> (train examples/s, dev items/s) measured on 2 cores where the format's typical
    length misleads (multiple choice: four or five sequences an example, each batch padded to its longest).
    """

    official_train: int | None = None
    paper_tokens: int | None = None
    pace: dict[int, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """One task. `languages` are the kit's codes; `eval_split` maps each evaluated language to its split.

    `convert` turns one kit row into the canonical row of `format` (`xtl.convert`); `leaderboard` names the
    layout of its XTREME submission file (`xtl.leaderboard.LAYOUTS`), None for a task XTREME does not score.
    """

    name: str
    format: str
    role: str
    kit_name: str
    languages: tuple[str, ...]
    eval_split: dict[str, str]
    label_names: tuple[str, ...]
    metric: str
    hub: dict[str, Any]
    head_group: str
    max_length: int
    convert: Converter               # kit row -> canonical row
    train_task: str | None = None    # whose data trains it (xnli <- mnli); None: no training data
    train_lang: str | None = "en"    # None: every language with a train split (African tasks, mlm)
    train_split: str | None = None
    dev_task: str | None = None      # English validation used for early stopping
    dev_split: str | None = None
    known_splits: tuple[str, ...] = ()   # every split name the task has anywhere (kit, hub, derived)
    derived: tuple[Derivation, ...] = ()
    composite: dict[str, tuple[str, ...]] = field(default_factory=dict)  # split -> concatenated splits
    mix: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)  # split -> (task, lang, split)
    xtreme_languages: tuple[str, ...] = ()   # the languages the XTREME / XTREME-R average uses
    leaderboard: str | None = None   # layout of the XTREME prediction file; None: no leaderboard file
    from_hub: HubRow | None = None   # the hub's row -> the kit's row, where the two schemas differ (`xtl.hub`)
    cost: Cost = field(default_factory=Cost)
    stand_ins: tuple[str, ...] = ()
    description: str = ""

    def __hash__(self) -> int:
        return hash(self.name)

    @property
    def chance(self) -> float:
        """The score of a uniform guess (%): 100 / classes or choices for accuracy, 0 for F1-type metrics."""
        return 100.0 / len(self.label_names) if self.metric == "accuracy" and self.label_names else 0.0

    @property
    def sentence_pool(self) -> bool:
        """BUCC-style mining: rows are one pool of sentences (id, lang, sentence, gold_pair_id), not aligned pairs."""
        return self.metric == "bucc_f1"

    @property
    def dev_lang(self) -> str | None:
        """Early stopping always uses the training language's data (English for every target)."""
        return self.train_lang


@dataclass(frozen=True)
class Source:
    """What one name in a config's `intermediate.tasks` trains on (`xtl.tasks.source`).

    `task` gives the head, format, labels and scorer; `train` the (task, language, split) parts whose rows
    train it, a limit shared evenly among them (`part_limit`); `dev` the (task, language, split) whose rows
    early-stop it, scored in that language.
    """

    name: str
    task: Task
    train: tuple[tuple[str, str, str], ...]
    dev: tuple[str, str, str]
    cost: Cost | None = None  # None: the task's own

    def part_limit(self, limit: int | None) -> int | None:
        """Rows drawn from each training part: the limit itself for one part, else an even share of it."""
        if limit is None or len(self.train) == 1:
            return limit
        return max(1, limit // len(self.train))

    @property
    def reads(self) -> tuple[str, ...]:
        """The tasks whose kit files training on this source reads."""
        return tuple(sorted({self.task.name, self.dev[0], *(part[0] for part in self.train)}))

    @property
    def costs(self) -> Cost:
        return self.cost or self.task.cost



def langs(text: str) -> tuple[str, ...]:
    """A tuple of language codes from one space-separated string."""
    return tuple(text.split())


def every(languages: tuple[str, ...], split: str) -> dict[str, str]:
    """An `eval_split` that evaluates every language on the same split."""
    return {lang: split for lang in languages}


NLI_LABELS = ("entailment", "neutral", "contradiction")

# Rows dropped from training/dev splits because their text equals an evaluated row of the task
# (the counts quoted below are measured on the kit; tests/test_data.py checks the XTREME ones).
DECONTAMINATION = "decontaminated: rows whose text equals an evaluated row of the task (any language) are dropped"
