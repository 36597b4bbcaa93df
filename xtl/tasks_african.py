"""Tasks in African languages, for the follow-up questions (Q1, Q4): NER, sentiment, news topics, QA."""

from __future__ import annotations

from xtl import convert
from xtl.task_spec import DECONTAMINATION, Task, every, langs

_MASAKHA = langs("bam bbj ewe fon hau ibo kin lug luo mos nya pcm sna swa tsn twi wol xho yor zul")
_AFRISENTI = langs("amh arq ary hau ibo kin orm pcm por swa tir tso twi yor")
_MASAKHANEWS = langs("amh eng fra hau ibo lin lug orm pcm run sna som swa tir xho yor")
_AFRIQA = langs("bem fon hau ibo kin swa twi yor zul")

TASKS: tuple[Task, ...] = (
    Task(
        name="masakhaner2", format="token_tagging", role="african", kit_name="masakhaner2", languages=_MASAKHA,
        convert=convert.tagging("ner_tags"),
        eval_split=every(_MASAKHA, "test"),
        label_names=("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-DATE", "I-DATE"),
        metric="f1", hub={"path": "masakhane/masakhaner2", "config": "{lang}"}, head_group="masakhaner2",
        max_length=256, train_task="masakhaner2", train_lang=None, train_split="train",
        dev_task="masakhaner2", dev_split="validation", known_splits=("train", "validation", "test"),
        stand_ins=(
            "train splits over 5,000 sentences are subsampled to 5,000 (seed 0)",
            (f"train and validation {DECONTAMINATION}: 808 train sentences (hau 184, ibo 274, xho 225, ...) "
            "and 45 validation sentences"),
        ),
        description="MasakhaNER 2.0, named entities in 20 African languages",
    ),
    Task(
        name="masakhapos", format="token_tagging", role="african", kit_name="masakhapos", languages=_MASAKHA,
        convert=convert.tagging("upos"),
        eval_split=every(_MASAKHA, "test"),
        label_names=("NOUN", "PUNCT", "ADP", "NUM", "SYM", "SCONJ", "ADJ", "PART", "DET", "CCONJ", "PROPN",
                     "PRON", "X", "_", "ADV", "INTJ", "VERB", "AUX"),
        metric="pos", hub={"path": "masakhane/masakhapos", "config": "{lang}"}, head_group="masakhapos",
        max_length=256, train_task="masakhapos", train_lang=None, train_split="train",
        dev_task="masakhapos", dev_split="validation", known_splits=("train", "validation", "test"),
        stand_ins=(
            "label order is the hub's (18 names including '_', which never occurs)",
            f"train and validation {DECONTAMINATION}: 22 train and 4 validation sentences",
        ),
        description="MasakhaPOS, part-of-speech tagging in 20 African languages",
    ),
    Task(
        name="afrisenti", format="sentence_classification", role="african", kit_name="afrisenti",
        convert=convert.sentence("tweet"),
        languages=_AFRISENTI, eval_split=every(_AFRISENTI, "test"),
        label_names=("positive", "neutral", "negative"), metric="accuracy",
        hub={"path": "shmuhammad/AfriSenti-twitter-sentiment", "config": "{lang}"}, head_group="afrisenti",
        max_length=256, train_task="afrisenti", train_lang=None, train_split="train",
        dev_task="afrisenti", dev_split="validation", known_splits=("train", "validation", "test"),
        stand_ins=(
            "orm/train and tir/train do not exist (zero-shot languages of the shared task)",
            "train splits over 5,000 tweets subsampled to 5,000 (seed 0); hau/test trimmed to 5,000 of its rows",
            (f"train and validation {DECONTAMINATION}: 1,213 train tweets (pcm 985 of 5,000, twi 195) and 528 "
            "validation tweets (orm 229 of 396, pcm 266): many tweets recur across the official splits"),
        ),
        description="AfriSenti (SemEval-2023 Task 12) tweet sentiment, 14 African languages",
    ),
    Task(
        name="masakhanews", format="sentence_classification", role="african", kit_name="masakhanews",
        convert=convert.sentence("headline"),
        languages=_MASAKHANEWS, eval_split=every(_MASAKHANEWS, "test"),
        label_names=("business", "entertainment", "health", "politics", "religion", "sports", "technology"),
        metric="accuracy", hub={"path": "masakhane/masakhanews", "config": "{lang}"}, head_group="masakhanews",
        max_length=256, train_task="masakhanews", train_lang=None, train_split="train",
        dev_task="masakhanews", dev_split="validation", known_splits=("train", "validation", "test"),
        stand_ins=(
            "headline only: the article text is not in the kit",
            "amh, eng, fra, hau, swa, tir train splits are missing",
            f"train and validation {DECONTAMINATION}: 26 train and 14 validation headlines",
        ),
        description="MasakhaNEWS news-topic classification from headlines, 16 languages",
    ),
    Task(
        name="afriqa", format="extractive_qa", role="african", kit_name="afriqa", languages=_AFRIQA,
        convert=convert.afriqa,
        eval_split=every(_AFRIQA, "test"), label_names=(), metric="squad",
        hub={"path": "masakhane/afriqa-gold-passages", "config": "{lang}"}, head_group="afriqa",
        max_length=384, train_task="afriqa", train_lang=None, train_split="train",
        dev_task="afriqa", dev_split="validation", known_splits=("train", "validation", "test"),
        stand_ins=(
            ("cross-lingual QA: the question is in the African language, the passage and answer in English "
            "(French for fon)"),
            ("rows whose answer is not a span of the passage are dropped (686 in all); swa and yor have no "
            "validation, swa no train, wol nothing"),
            f"train and validation {DECONTAMINATION}: 25 train and 18 validation questions",
        ),
        description="AfriQA gold passages (question in an African language, English/French passage)",
    ),
)
