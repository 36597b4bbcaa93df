"""The English intermediate tasks of phase 2 (the paper's nine, plus XTREME-R's Social IQa), and the MLM corpus.

Every split that trains or early-stops a task loses the rows whose text equals an evaluated row of
that task (`xtl.data`, "decontamination"); anli_plus mixes other tasks' training splits (`mix`).
"""

from __future__ import annotations

from xtl import convert
from xtl.task_spec import NLI_LABELS, Cost, Derivation, Task, langs

_MLM = langs("af bg de el en es et eu fa fi fr he hu id it ja kk ko mr nl pt ru ta te tr ur vi zh")

TASKS: tuple[Task, ...] = (
    # ----------------------------------------------------------------- English intermediate tasks
    Task(
        name="anli_plus", format="pair_classification", role="intermediate", kit_name="anli_plus",
        convert=convert.pair("premise", "hypothesis"),
        languages=("en",), eval_split={"en": "validation"}, label_names=NLI_LABELS, metric="accuracy",
        hub={"path": "anli", "config": "plain_text",
             "mix": ["mnli (glue mnli) train", "snli (snli plain_text) train"]},
        head_group="nli3", max_length=256,
        train_task="anli_plus", train_split="train", dev_task="anli_plus", dev_split="validation",
        known_splits=("train", "validation", "train_r1", "train_r2", "train_r3", "dev_r1", "dev_r2", "dev_r3",
                      "test_r1", "test_r2", "test_r3"),
        derived=(Derivation("en", ("dev_r1", "dev_r2", "dev_r3"), ("train", "validation"), 0.10, ("premise",),
                            unless="train_r1"),),
        composite={"train": ("train_r1", "train_r2", "train_r3"), "validation": ("dev_r1", "dev_r2", "dev_r3")},
        mix={"train": (("mnli", "en", "train"), ("snli", "en", "train")),
             "validation": (("mnli", "en", "validation_matched"), ("snli", "en", "validation"))},
        cost=Cost(official_train=162_865 + 392_702 + 550_152, paper_tokens=64),
        stand_ins=(
            ("NOT ANLI+: no ANLI training pair is in the kit. en/train (20,876) = 2,878 pairs of the ANLI R1-R3 "
            "dev sets (3,198 pairs, ~10 % held out by premise) + mnli en/train (8,999) + snli en/train (8,999)"),
            ("en/validation (2,320) = the 320 held-out ANLI dev pairs + mnli en/validation_matched (1,000) + snli "
            "en/validation (1,000)"),
            ("ANLI R3 dev holds 1,198 of the official 1,200 pairs; the raw en/dev_r1..dev_r3 splits overlap "
            "en/train: do not evaluate an anli_plus-trained model on them"),
        ),
        description="ANLI+ as far as the kit allows: ANLI rounds 1-3 (dev sets) + MNLI + SNLI",
    ),
    Task(
        name="mnli", format="pair_classification", role="intermediate", kit_name="mnli", languages=("en",),
        convert=convert.pair("premise", "hypothesis"),
        eval_split={"en": "validation_matched"}, label_names=NLI_LABELS, metric="accuracy",
        hub={"path": "glue", "config": "mnli"}, head_group="nli3", max_length=256,
        train_task="mnli", train_split="train", dev_task="mnli", dev_split="validation_matched",
        known_splits=("train", "validation_matched", "validation_mismatched", "test_matched", "test_mismatched"),
        cost=Cost(official_train=392_702, paper_tokens=64),
        stand_ins=(
            "en/train: an 8,999-pair random subset of MNLI train (official 392,702)",
            ("en/validation_matched is a STAND-IN: 1,000 further pairs of the official TRAIN split (disjoint from "
            "en/train); the official matched/mismatched dev sets are missing"),
        ),
        description="MultiNLI",
    ),
    Task(
        name="snli", format="pair_classification", role="intermediate", kit_name="snli", languages=("en",),
        convert=convert.pair("premise", "hypothesis"),
        eval_split={"en": "validation"}, label_names=NLI_LABELS, metric="accuracy",
        hub={"path": "snli", "config": "plain_text"}, head_group="nli3", max_length=256,
        train_task="snli", train_split="train", dev_task="snli", dev_split="validation",
        known_splits=("train", "validation", "test"),
        stand_ins=(
            "en/train: an 8,999-pair random subset of SNLI train (official 550,152)",
            ("en/validation is a STAND-IN: 1,000 further pairs of the official TRAIN split (disjoint from "
            "en/train); the official dev and test sets are missing"),
        ),
        description="Stanford NLI (part of ANLI+ in the paper; registered on its own too)",
    ),
    Task(
        name="qqp", format="pair_classification", role="intermediate", kit_name="qqp", languages=("en",),
        convert=convert.pair("question1", "question2"),
        eval_split={"en": "validation"}, label_names=("not_duplicate", "duplicate"), metric="accuracy",
        hub={"path": "glue", "config": "qqp"}, head_group="qqp", max_length=256,
        train_task="qqp", train_split="train", dev_task="qqp", dev_split="validation",
        known_splits=("train", "validation", "test"),
        cost=Cost(official_train=363_846, paper_tokens=48),
        stand_ins=(
            "en/train: an 8,999-pair random subset of QQP train (official 363,846)",
            ("en/validation is a STAND-IN: 1,000 further pairs of the official TRAIN split (disjoint from "
            "en/train); the official 40,430-pair dev set is missing"),
        ),
        description="Quora Question Pairs (paraphrase)",
    ),
    Task(
        name="sst2", format="sentence_classification", role="intermediate", kit_name="sst2", languages=("en",),
        convert=convert.sentence("sentence"),
        eval_split={"en": "validation"}, label_names=("negative", "positive"), metric="accuracy",
        hub={"path": "glue", "config": "sst2"}, head_group="sst2", max_length=256,
        train_task="sst2", train_split="train", dev_task="sst2", dev_split="validation",
        known_splits=("train", "validation", "test"),
        cost=Cost(official_train=67_349, paper_tokens=40),
        stand_ins=("en/train: 25,000 of 67,349 rows (seed-0 sample); validation is the official GLUE dev set",),
        description="Stanford Sentiment Treebank, binary (GLUE)",
    ),
    Task(
        name="squad", format="extractive_qa", role="intermediate", kit_name="squad", languages=("en",),
        convert=convert.qa,
        eval_split={"en": "validation"}, label_names=(), metric="squad",
        hub={"path": "squad", "config": "plain_text"}, head_group="squad", max_length=384,
        train_task="squad", train_split="train", dev_task="squad", dev_split="validation",
        known_splits=("train", "validation"),
        derived=(Derivation("en", ("train",), ("train", "validation"), 0.10, ("title",)),),
        cost=Cost(official_train=87_599, paper_tokens=384),
        stand_ins=(
            ("en/train is a STAND-IN for SQuAD v1.1 train: all 7,938 questions of SQuADShifts new_wiki v1.0 "
            "(48 new Wikipedia articles, SQuAD v1.1 protocol)"),
            ("en/validation is derived: 5 whole articles (906 questions, by title) held out of the SQuADShifts "
            "file; en/train is the other 43 articles (7,032 questions). SQuAD v1.1 dev is not used: it is "
            "XQuAD's English source, so a hub-prepared squad/validation is shadowed by this derived split too"),
        ),
        description="SQuAD v1.1-style extractive QA (SQuADShifts new_wiki stand-in)",
    ),
    Task(
        name="hellaswag", format="multiple_choice", role="intermediate", kit_name="hellaswag", languages=("en",),
        convert=convert.hellaswag,
        eval_split={"en": "validation"}, label_names=("ending0", "ending1", "ending2", "ending3"),
        metric="accuracy", hub={"path": "hellaswag", "config": "default"}, head_group="hellaswag",
        max_length=256, train_task="hellaswag", train_split="train", dev_task="hellaswag", dev_split="validation",
        known_splits=("train", "validation", "test"),
        cost=Cost(official_train=39_905, paper_tokens=4 * 64, pace={128: (1.53, 5.65)}),
        from_hub=convert.hub_hellaswag,
        stand_ins=(
            ("en/train is a STAND-IN: 9,042 items of the official VALIDATION split (the 39,905-item train split "
            "is missing); en/validation is the other 1,000 validation items (seed-0 sample)"),
            ("text carries the lm-evaluation-harness cleanup of the source ([header]/[title]/[step] markers "
            "removed); context = ctx, the activity label is not used"),
        ),
        description="HellaSwag commonsense sentence completion",
    ),
    Task(
        name="ccg", format="token_tagging", role="intermediate", kit_name="ccg", languages=("en",),
        convert=convert.ccg,
        eval_split={"en": "validation"}, label_names=(), metric="accuracy",
        hub={"path": None, "config": None,
             "note": "CCGbank (LDC2005T13) is LDC-licensed and not on the Hugging Face hub"},
        head_group="ccg", max_length=256,
        train_task="ccg", train_split="train", dev_task="ccg", dev_split="validation",
        known_splits=("train", "validation", "test"),
        cost=Cost(official_train=39_604, paper_tokens=40),
        stand_ins=(
            ("MISSING: CCGbank is LDC-licensed (LDC2005T13) and not in the kit; the paper's ninth intermediate "
            "task cannot be run offline (put a converted copy in $XTL_DATA_EXTRA/ccg/en/<split>.jsonl.gz with "
            "tokens/tags to run it)"),
        ),
        description="CCG supertagging (CCGbank), registered for users who hold an LDC licence",
    ),
    Task(
        name="cosmosqa", format="multiple_choice", role="intermediate", kit_name="cosmosqa", languages=("en",),
        convert=convert.cosmosqa,
        eval_split={"en": "validation"}, label_names=("answer0", "answer1", "answer2", "answer3"),
        metric="accuracy", hub={"path": "cosmos_qa", "config": "default"}, head_group="cosmosqa",
        max_length=256, train_task="cosmosqa", train_split="train", dev_task="cosmosqa", dev_split="validation",
        known_splits=("train", "validation", "test"),
        derived=(Derivation("en", ("validation",), ("train", "validation"), 0.10, ("context",), unless="train"),),
        cost=Cost(official_train=25_262, paper_tokens=4 * 128, pace={256: (1.18, 4.72)}),
        stand_ins=(
            ("en/train is missing from the kit (~25k rows): en/train (2,685) and en/validation (300) are both "
            "derived from the official dev set (2,985 questions), ~10 % held out by context paragraph"),
        ),
        description="Cosmos QA commonsense reading comprehension",
    ),
    Task(
        name="commonsenseqa", format="multiple_choice", role="intermediate", kit_name="commonsenseqa",
        convert=convert.commonsenseqa,
        languages=("en",), eval_split={"en": "validation"}, label_names=("A", "B", "C", "D", "E"),
        metric="accuracy", hub={"path": "commonsense_qa", "config": "default"}, head_group="commonsenseqa",
        max_length=256, train_task="commonsenseqa", train_split="train", dev_task="commonsenseqa",
        dev_split="validation", known_splits=("train", "validation", "test"),
        cost=Cost(official_train=9_741, paper_tokens=5 * 32, pace={128: (6.0, 18.1)}),
        from_hub=convert.hub_commonsenseqa,
        stand_ins=("no passage: the question is the context column and the question column is empty",),
        description="CommonsenseQA v1.11 (random split)",
    ),
    Task(
        name="socialiqa", format="multiple_choice", role="intermediate", kit_name="socialiqa", languages=("en",),
        convert=convert.socialiqa,
        eval_split={"en": "validation"}, label_names=("1", "2", "3"), metric="accuracy",
        hub={"path": "social_i_qa", "config": "default"}, head_group="socialiqa", max_length=256,
        train_task="socialiqa", train_split="train", dev_task="socialiqa", dev_split="validation",
        known_splits=("train", "validation"),
        stand_ins=("en/train: 25,000 of 33,410 rows (seed-0 sample)",),
        description="Social IQa (not one of the paper's nine; XTREME-R's intermediate task for XCOPA)",
    ),
)

# multilingual raw text (role "mlm"): continued MLM beside an intermediate task (the mnli_mlm setting)
MLM = Task(
    name="mlm", format="raw_text", role="mlm", kit_name="mlm", languages=_MLM, eval_split={},
    convert=convert.raw_text,
    label_names=(), metric="mlm_loss", head_group="mlm",
    hub={"path": None, "config": None, "unprepared": (
        "the MLM corpus is built from Universal Dependencies treebanks, not a hub dataset; use the kit's mlm")},
    max_length=256, train_task="mlm", train_lang=None, train_split="train", known_splits=("train",),
    cost=Cost(paper_tokens=40),
    stand_ins=(
        ("sentences of UD train/dev treebank parts only (never UD test), 28 languages; ar, hi, th, tl, yo "
        "and most low-resource XTREME languages are missing"),
    ),
    description="multilingual raw text for the MLM baseline (continuing MLM during intermediate training)",
)
