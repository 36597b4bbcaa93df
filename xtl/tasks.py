"""The task registry: what every task is, where its data lives and how it is scored.

One frozen `Task` per task of the paper, XTREME(-R), the follow-up questions and the MLM baseline.
The registry works without the data kit; `xtl.data` turns it into rows. A task's behaviour is in its
entry: `convert` reads its kit rows, `format` and `metric` pick its columns, head and scorer (`bucc_f1`
makes a sentence pool), `leaderboard` names its XTREME prediction file. So a new task of an existing
format is one `register(Task(...))` plus its files in the kit layout (e.g. under `$XTL_DATA_EXTRA`;
tests/test_toy_task.py does just that). Split
choices follow the data kit's recommendations (its SOURCES.md): evaluate on `test` where
it exists with labels, else `validation`; early-stop on English data that is never evaluated;
never train on any language's copy of an evaluated item.

Two kinds of split are made by `xtl.data` rather than read from one kit file:
- a `Derivation` carves a held-out part out of a kit split, deterministically and by groups
  (rows sharing a title, passage or sentence stay on one side), e.g. SQuAD's English validation;
- `mix` appends other tasks' splits, e.g. anli_plus = ANLI + MNLI train + SNLI train.
Besides, every split that trains or early-stops a task loses the rows whose text equals an
evaluated row of that task (any language): see `xtl.data` ("decontamination").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xtl import convert
from xtl.convert import Converter
from xtl.errors import XtlError

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


def _langs(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_XNLI = _langs("ar bg de el en es fr hi ru sw th tr ur vi zh")
_PAWSX = _langs("de en es fr ja ko zh")
_UDPOS = _langs("af ar bg de el en es et eu fa fi fr he hi hu id it ja kk ko lt mr nl pl pt ro ru ta te th tl "
                "tr uk ur vi wo yo zh")
_UDPOS_XTREME = _langs("af ar bg de el en es et eu fa fi fr he hi hu id it ja kk ko mr nl pt ru ta te th tl tr ur "
                       "vi yo zh")
_PANX = _langs("af ar bg bn de el en es et eu fa fi fr he hi hu id it ja jv ka kk ko ml mr ms my nl pt ru sw ta "
               "te tl tr ur vi yo zh")
_XQUAD = _langs("ar de el en es hi ro ru th tr vi zh")
_MLQA = _langs("ar de en es hi vi zh")
_TYDIQA = _langs("ar bn en fi id ko ru sw te")
_TATOEBA = _langs("afr ara ben bul cmn deu ell est eus fin fra heb hin hun ind ita jav jpn kat kaz kor mal mar nld "
                  "pes por rus spa swh tam tel tgl tha tur urd vie")
_XCOPA = _langs("en et ht id it qu sw ta th tr vi zh")
_MASAKHA = _langs("bam bbj ewe fon hau ibo kin lug luo mos nya pcm sna swa tsn twi wol xho yor zul")
_AFRISENTI = _langs("amh arq ary hau ibo kin orm pcm por swa tir tso twi yor")
_MASAKHANEWS = _langs("amh eng fra hau ibo lin lug orm pcm run sna som swa tir xho yor")
_AFRIQA = _langs("bem fon hau ibo kin swa twi yor zul")
_MLM = _langs("af bg de el en es et eu fa fi fr he hu id it ja kk ko mr nl pt ru ta te tr ur vi zh")

_UDPOS_CONFIG = {
    "af": "udpos.Afrikaans", "ar": "udpos.Arabic", "bg": "udpos.Bulgarian", "de": "udpos.German",
    "el": "udpos.Greek", "en": "udpos.English", "es": "udpos.Spanish", "et": "udpos.Estonian",
    "eu": "udpos.Basque", "fa": "udpos.Persian", "fi": "udpos.Finnish", "fr": "udpos.French",
    "he": "udpos.Hebrew", "hi": "udpos.Hindi", "hu": "udpos.Hungarian", "id": "udpos.Indonesian",
    "it": "udpos.Italian", "ja": "udpos.Japanese", "kk": "udpos.Kazakh", "ko": "udpos.Korean",
    "mr": "udpos.Marathi", "nl": "udpos.Dutch", "pt": "udpos.Portuguese", "ru": "udpos.Russian",
    "ta": "udpos.Tamil", "te": "udpos.Telugu", "th": "udpos.Thai", "tl": "udpos.Tagalog",
    "tr": "udpos.Turkish", "ur": "udpos.Urdu", "vi": "udpos.Vietnamese", "yo": "udpos.Yoruba",
    "zh": "udpos.Chinese",
}

NLI_LABELS = ("entailment", "neutral", "contradiction")
UPOS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
        "SCONJ", "SYM", "VERB", "X")
PANX_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")

# Rows dropped from training/dev splits because their text equals an evaluated row of the task
# (the counts quoted below are measured on the kit; tests/test_data.py checks the XTREME ones).
_DECONTAMINATION = "decontaminated: rows whose text equals an evaluated row of the task (any language) are dropped"


def _every(langs: tuple[str, ...], split: str) -> dict[str, str]:
    return {lang: split for lang in langs}


_TASKS: tuple[Task, ...] = (
    # ----------------------------------------------------------------- XTREME targets
    Task(
        name="xnli", format="pair_classification", role="target", kit_name="xnli", languages=_XNLI,
        convert=convert.pair("premise", "hypothesis"), leaderboard="label_names",
        eval_split=_every(_XNLI, "test"), label_names=NLI_LABELS, metric="accuracy",
        hub={"path": "xnli", "config": "{lang}"}, head_group="nli3", max_length=256,
        train_task="mnli", train_split="train", dev_task="xnli", dev_split="validation",
        known_splits=("train", "validation", "test"), xtreme_languages=_XNLI,
        stand_ins=(
            ("English training data is the mnli task's en/train: an 8,999-pair random subset of MNLI train "
            "(official 392,702 pairs)"),
            ("test (every language): 5,000 of the 5,010 pairs (seed-0 sample); labels joined by position from the "
            "English XNLI test gold labels"),
            "early stopping on XNLI English validation (2,490); other languages' validation sets are never evaluated",
        ),
        description="XNLI 1.0, natural language inference in 15 languages; trained on English MNLI",
    ),
    Task(
        name="pawsx", format="pair_classification", role="target", kit_name="pawsx", languages=_PAWSX,
        convert=convert.pair("sentence1", "sentence2"), leaderboard="integers",
        eval_split={"de": "test", "zh": "test"}, label_names=("0", "1"), metric="accuracy",
        hub={"path": "paws-x", "config": "{lang}"}, head_group="pawsx", max_length=256,
        train_task="pawsx", train_split="train", dev_task="pawsx", dev_split="validation",
        known_splits=("train", "validation", "test"),
        derived=(Derivation("en", ("validation",), ("train", "validation"), 0.10, ("sentence1", "sentence2"),
                            unless="train"),),
        xtreme_languages=("de", "zh"),
        stand_ins=(
            ("en/train is missing from the kit (PAWS-Wiki English train, 49,401 pairs): en/train (1,800) and "
            "en/validation (200, early stopping) are derived from the English validation set (2,000 pairs), "
            "grouped so that pairs sharing a sentence stay on one side"),
            ("evaluated on the de and zh test sets only (the only labelled test sets in the kit; the other "
            "languages' validation sets translate the English training items)"),
            "en, es, fr, ja, ko test: only label-stripped copies exist; not evaluated",
        ),
        description="PAWS-X paraphrase identification; trained on English validation pairs, tested on de/zh",
    ),
    Task(
        name="udpos", format="token_tagging", role="target", kit_name="udpos", languages=_UDPOS,
        convert=convert.tagging("pos_tags"), leaderboard="tags",
        eval_split=_every(_UDPOS, "test"), label_names=UPOS, metric="pos",
        hub={"path": "google/xtreme", "config": "udpos.{LanguageName}", "lang_to_config": _UDPOS_CONFIG},
        head_group="udpos", max_length=256,
        train_task="udpos", train_split="train", dev_task="udpos", dev_split="validation",
        known_splits=("train", "validation", "test"), xtreme_languages=_UDPOS_XTREME,
        stand_ins=(
            ("de/test stands in for XTREME's German test (UD v2.5 German treebanks combined): only the "
            "UD_German-GSD test set, from a newer UD release"),
            "en/train: 20,000 of 21,253 sentences (seed-0 sample); validation sets over 5,000 sentences subsampled",
            "lt, pl, ro, uk, wo: XTREME-R languages, not google/xtreme udpos configs (outside the XTREME average)",
            (f"en/train and en/validation {_DECONTAMINATION}: 296 of 20,000 train and 94 of 3,974 validation "
            "sentences (mostly short strings such as 'thank you !' or e-mail signatures)"),
        ),
        description="Universal Dependencies v2.5 part-of-speech tagging (XTREME's UD-POS)",
    ),
    Task(
        name="panx", format="token_tagging", role="target", kit_name="panx", languages=_PANX,
        convert=convert.tagging("ner_tags"), leaderboard="tags",
        eval_split=_every(_PANX, "validation"), label_names=PANX_TAGS, metric="f1",
        hub={"path": "google/xtreme", "config": "PAN-X.{lang}"}, head_group="panx", max_length=256,
        train_task="panx", train_split="train", dev_task="panx", dev_split="dev",
        known_splits=("train", "validation", "test", "dev"),
        derived=(Derivation("en", ("train",), ("train", "dev"), 0.05, ("tokens",)),),
        xtreme_languages=_PANX,
        stand_ins=(
            ("test (all languages) is missing from the kit (only label-stripped copies exist): every language, "
            "English included, is evaluated on its validation set"),
            "th is missing entirely (its validation file was too large for the source snapshot)",
            "validation sets of 10,000 sentences are subsampled to 5,000 (seed 0)",
            ("en/dev (early stopping) is derived: ~5 % of en/train held out (identical sentences kept together); "
            "en/train is the rest"),
            (f"en/train and en/dev {_DECONTAMINATION}: 469 of 19,000 train and 14 of 1,000 dev sentences "
            "(Wikipedia list titles and boilerplate sentences that recur across languages); 18,531 / 986 remain"),
        ),
        description="PAN-X / WikiANN named-entity recognition (Rahimi et al. splits)",
    ),
    Task(
        name="xquad", format="extractive_qa", role="target", kit_name="xquad", languages=_XQUAD,
        convert=convert.qa, leaderboard="answers",
        eval_split=_every(_XQUAD, "test"), label_names=(), metric="squad",
        hub={"path": "google/xtreme", "config": "XQuAD.{lang}", "split_names": {"validation": "test"}},
        head_group="xquad", max_length=384,
        train_task="squad", train_split="train", dev_task="squad", dev_split="validation",
        known_splits=("test",), xtreme_languages=tuple(x for x in _XQUAD if x != "ro"),
        stand_ins=(
            ("English training data is the squad task: SQuADShifts new_wiki (7,938 questions) stands in for "
            "SQuAD v1.1 train; no paragraph is shared with XQuAD"),
            ("early stopping on held-out SQuADShifts articles (task squad, en/validation), not SQuAD v1.1 dev "
            "(XQuAD's English items come from SQuAD v1.1 dev)"),
            "ro is evaluated but is not one of XTREME's 11 XQuAD languages (outside the XTREME average)",
        ),
        description="XQuAD, SQuAD v1.1 dev paragraphs professionally translated into 11 languages",
    ),
    Task(
        name="mlqa", format="extractive_qa", role="target", kit_name="mlqa", languages=_MLQA,
        convert=convert.qa, leaderboard="answers",
        eval_split=_every(_MLQA, "validation"),
        label_names=(), metric="mlqa",
        hub={"path": "google/xtreme", "config": "MLQA.{lang}.{lang}"}, head_group="mlqa", max_length=384,
        train_task="squad", train_split="train", dev_task="squad", dev_split="validation",
        known_splits=("validation", "test"), xtreme_languages=_MLQA,
        stand_ins=(
            "English training data is the squad task (SQuADShifts new_wiki stands in for SQuAD v1.1 train)",
            ("every language is evaluated on validation, the one split complete in all 7 languages: ar, en, hi "
             "test are missing"),
            ("de/test, es/test, vi/test, zh/test are PARTIAL stand-ins rebuilt by MLQA question id from "
             "cross-lingual files: 3,821 of 4,517 (de), 4,424 of 5,253 (es), 4,365 of 5,495 (vi), 4,217 of 5,137 "
             "(zh) questions; they over-represent questions available in 3+ languages, so they are not evaluated"),
        ),
        description="MLQA, same-language context and question (G-XLT diagonal)",
    ),
    Task(
        name="tydiqa", format="extractive_qa", role="target", kit_name="tydiqa", languages=_TYDIQA,
        convert=convert.qa, leaderboard="answers",
        eval_split=_every(_TYDIQA, "validation"), label_names=(), metric="squad",
        hub={"path": "tydiqa", "config": "secondary_task", "split_by_id_prefix": True},
        head_group="tydiqa", max_length=384,
        train_task="tydiqa", train_split="train", dev_task="tydiqa", dev_split="dev",
        known_splits=("train", "validation", "dev"),
        derived=(Derivation("en", ("train",), ("train", "dev"), 0.10, ("context",)),),
        xtreme_languages=_TYDIQA,
        stand_ins=(
            "TyDiQA-GoldP has no public test set: every language is evaluated on validation (as XTREME does)",
            ("en/dev (early stopping, 370 questions) is derived: ~10 % of en/train held out by passage; en/train "
            "is the rest (3,326)"),
            "the kit's en/train ids are not unique (XTREME's paragraph indices): rows get '<id>-<row>' ids",
            ("the kit's validation gold answers come from Google's per-language GoldP v1.1 dev files (XTREME's "
             "download strips them)"),
        ),
        description="TyDiQA-GoldP (gold passage) extractive QA in 9 typologically diverse languages",
    ),
    Task(
        name="xcopa", format="multiple_choice", role="target", kit_name="xcopa", languages=_XCOPA,
        convert=convert.xcopa,
        eval_split=_every(_XCOPA, "test"), label_names=("choice1", "choice2"),
        metric="accuracy",
        hub={"path": "xcopa", "config": "{lang}", "english": {"path": "super_glue", "config": "copa"}},
        head_group="xcopa", max_length=256,
        train_task="xcopa", train_split="train", dev_task="xcopa", dev_split="validation",
        known_splits=("train", "validation", "test"), xtreme_languages=tuple(x for x in _XCOPA if x != "en"),
        stand_ins=(
            "trained on the 400 English COPA training items only (XTREME-R first trains on SIQA; see socialiqa)",
            "the question ('cause'/'effect') is rendered as an English question in every language",
            ("en/test labels (COPA test) are those of XCOPA's 11 translations, which agree on every item; English "
             "is evaluated but is outside the XTREME-R average"),
        ),
        description="XCOPA causal commonsense reasoning (XTREME-R)",
    ),
    # ----------------------------------------------------------------- retrieval (no training)
    Task(
        name="bucc2018", format="retrieval", role="retrieval", kit_name="bucc2018", languages=("zh",),
        convert=convert.bucc, leaderboard="pairs",
        eval_split={"zh": "validation"}, label_names=(), metric="bucc_f1",
        hub={"path": "google/xtreme", "config": "bucc18.{lang}"}, head_group="retrieval", max_length=512,
        train_lang=None, known_splits=("validation", "test"), xtreme_languages=("zh",),
        stand_ins=(
            "only zh-en is in the kit; de, fr and ru sentence files are missing",
            ("test is missing (BUCC test gold is not public): evaluated on the sample ('dev') set, split in two "
            "halves by a hash of the zh sentence id; the similarity threshold is tuned on one half and F1 is "
            "reported on the other"),
        ),
        description="BUCC 2018 parallel sentence mining (zh-en sample set, the whole mining pool)",
    ),
    Task(
        name="tatoeba", format="retrieval", role="retrieval", kit_name="tatoeba", languages=_TATOEBA,
        convert=convert.tatoeba, leaderboard="integers",
        eval_split=_every(_TATOEBA, "validation"), label_names=(), metric="tatoeba_accuracy",
        hub={"path": "google/xtreme", "config": "tatoeba.{lang}"}, head_group="retrieval", max_length=512,
        train_lang=None, known_splits=("validation",), xtreme_languages=_TATOEBA,
        stand_ins=(
            ("named 'validation' as on the hub, though XTREME reports it as a test set; jav, kat, kaz, mal, swh, "
            "tam, tel, tha have fewer than 1,000 pairs"),
        ),
        description="Tatoeba sentence retrieval into English (LASER test set v1, 36 languages)",
    ),
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
    # ----------------------------------------------------------------- African languages (Q1, Q4)
    Task(
        name="masakhaner2", format="token_tagging", role="african", kit_name="masakhaner2", languages=_MASAKHA,
        convert=convert.tagging("ner_tags"),
        eval_split=_every(_MASAKHA, "test"),
        label_names=("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-DATE", "I-DATE"),
        metric="f1", hub={"path": "masakhane/masakhaner2", "config": "{lang}"}, head_group="masakhaner2",
        max_length=256, train_task="masakhaner2", train_lang=None, train_split="train",
        dev_task="masakhaner2", dev_split="validation", known_splits=("train", "validation", "test"),
        stand_ins=(
            "train splits over 5,000 sentences are subsampled to 5,000 (seed 0)",
            (f"train and validation {_DECONTAMINATION}: 808 train sentences (hau 184, ibo 274, xho 225, ...) "
            "and 45 validation sentences"),
        ),
        description="MasakhaNER 2.0, named entities in 20 African languages",
    ),
    Task(
        name="masakhapos", format="token_tagging", role="african", kit_name="masakhapos", languages=_MASAKHA,
        convert=convert.tagging("upos"),
        eval_split=_every(_MASAKHA, "test"),
        label_names=("NOUN", "PUNCT", "ADP", "NUM", "SYM", "SCONJ", "ADJ", "PART", "DET", "CCONJ", "PROPN",
                     "PRON", "X", "_", "ADV", "INTJ", "VERB", "AUX"),
        metric="pos", hub={"path": "masakhane/masakhapos", "config": "{lang}"}, head_group="masakhapos",
        max_length=256, train_task="masakhapos", train_lang=None, train_split="train",
        dev_task="masakhapos", dev_split="validation", known_splits=("train", "validation", "test"),
        stand_ins=(
            "label order is the hub's (18 names including '_', which never occurs)",
            f"train and validation {_DECONTAMINATION}: 22 train and 4 validation sentences",
        ),
        description="MasakhaPOS, part-of-speech tagging in 20 African languages",
    ),
    Task(
        name="afrisenti", format="sentence_classification", role="african", kit_name="afrisenti",
        convert=convert.sentence("tweet"),
        languages=_AFRISENTI, eval_split=_every(_AFRISENTI, "test"),
        label_names=("positive", "neutral", "negative"), metric="accuracy",
        hub={"path": "shmuhammad/AfriSenti-twitter-sentiment", "config": "{lang}"}, head_group="afrisenti",
        max_length=256, train_task="afrisenti", train_lang=None, train_split="train",
        dev_task="afrisenti", dev_split="validation", known_splits=("train", "validation", "test"),
        stand_ins=(
            "orm/train and tir/train do not exist (zero-shot languages of the shared task)",
            "train splits over 5,000 tweets subsampled to 5,000 (seed 0); hau/test trimmed to 5,000 of its rows",
            (f"train and validation {_DECONTAMINATION}: 1,213 train tweets (pcm 985 of 5,000, twi 195) and 528 "
            "validation tweets (orm 229 of 396, pcm 266): many tweets recur across the official splits"),
        ),
        description="AfriSenti (SemEval-2023 Task 12) tweet sentiment, 14 African languages",
    ),
    Task(
        name="masakhanews", format="sentence_classification", role="african", kit_name="masakhanews",
        convert=convert.sentence("headline"),
        languages=_MASAKHANEWS, eval_split=_every(_MASAKHANEWS, "test"),
        label_names=("business", "entertainment", "health", "politics", "religion", "sports", "technology"),
        metric="accuracy", hub={"path": "masakhane/masakhanews", "config": "{lang}"}, head_group="masakhanews",
        max_length=256, train_task="masakhanews", train_lang=None, train_split="train",
        dev_task="masakhanews", dev_split="validation", known_splits=("train", "validation", "test"),
        stand_ins=(
            "headline only: the article text is not in the kit",
            "amh, eng, fra, hau, swa, tir train splits are missing",
            f"train and validation {_DECONTAMINATION}: 26 train and 14 validation headlines",
        ),
        description="MasakhaNEWS news-topic classification from headlines, 16 languages",
    ),
    Task(
        name="afriqa", format="extractive_qa", role="african", kit_name="afriqa", languages=_AFRIQA,
        convert=convert.afriqa,
        eval_split=_every(_AFRIQA, "test"), label_names=(), metric="squad",
        hub={"path": "masakhane/afriqa-gold-passages", "config": "{lang}"}, head_group="afriqa",
        max_length=384, train_task="afriqa", train_lang=None, train_split="train",
        dev_task="afriqa", dev_split="validation", known_splits=("train", "validation", "test"),
        stand_ins=(
            ("cross-lingual QA: the question is in the African language, the passage and answer in English "
            "(French for fon)"),
            ("rows whose answer is not a span of the passage are dropped (686 in all); swa and yor have no "
            "validation, swa no train, wol nothing"),
            f"train and validation {_DECONTAMINATION}: 25 train and 18 validation questions",
        ),
        description="AfriQA gold passages (question in an African language, English/French passage)",
    ),
    # ----------------------------------------------------------------- MLM baseline
    Task(
        name="mlm", format="raw_text", role="mlm", kit_name="mlm", languages=_MLM, eval_split={},
        convert=convert.raw_text,
        label_names=(), metric="mlm_loss", hub={"path": None, "config": None}, head_group="mlm",
        max_length=256, train_task="mlm", train_lang=None, train_split="train", known_splits=("train",),
        stand_ins=(
            ("sentences of UD train/dev treebank parts only (never UD test), 28 languages; ar, hi, th, tl, yo "
            "and most low-resource XTREME languages are missing"),
        ),
        description="multilingual raw text for the MLM baseline (continuing MLM during intermediate training)",
    ),
)

_BY_NAME: dict[str, Task] = {task.name: task for task in _TASKS}  # the registry: the table plus registered tasks


def names(role: str | None = None) -> list[str]:
    """Registered task names in registry order, optionally only those of one role."""
    if role is not None and role not in ROLES:
        raise XtlError(f"unknown task role {role!r}; roles: {', '.join(ROLES)}")
    return [task.name for task in _BY_NAME.values() if role is None or task.role == role]


def get(name: str | Task) -> Task:
    """The task called `name` (a Task passes through)."""
    if isinstance(name, Task):
        return name
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise XtlError(f"unknown task {name!r}; known tasks: {', '.join(_BY_NAME)} (run 'xtl tasks')") from None


def all_tasks() -> list[Task]:
    """Every registered task, in registry order."""
    return list(_BY_NAME.values())


def register(task: Task) -> Task:
    """Add a task of one's own (after the table's); its rows are read from the kit layout like any other.

    The one thing a new task needs besides its files (`<kit or $XTL_DATA_EXTRA>/<kit_name>/<lang>/<split>.jsonl.gz`,
    with a MANIFEST.json listing their sha256): no other module names tasks.
    """
    checks = (("format", task.format, FORMATS), ("role", task.role, ROLES), ("metric", task.metric, METRICS))
    for what, value, known in checks:
        if value not in known:
            raise XtlError(f"task {task.name!r} has unknown {what} {value!r}; use one of {', '.join(known)}")
    if not callable(task.convert):
        raise XtlError(f"task {task.name!r} needs a row converter (convert=...), e.g. xtl.convert.pair('a', 'b')")
    if task.name in _BY_NAME:
        raise XtlError(f"task {task.name!r} is already registered; choose another name")
    _BY_NAME[task.name] = task
    return task


def unregister(name: str) -> None:
    """Remove a task added with `register` (the table's own tasks stay)."""
    if name in {task.name for task in _TASKS}:
        raise XtlError(f"task {name!r} is one of the registry's own tasks; only registered ones can be removed")
    _BY_NAME.pop(name, None)
