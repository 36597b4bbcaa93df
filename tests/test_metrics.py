"""Hand-computed expectations for xtl.metrics (percent everywhere)."""

from __future__ import annotations

import numpy as np
import pytest

from xtl import metrics, mining, tasks
from xtl.errors import XtlError

# ----------------------------------------------------------------------------- accuracy


def test_accuracy_in_percent():
    assert metrics.accuracy([0, 1, 2, 2], [0, 1, 1, 2]) == pytest.approx(75.0)


def test_accuracy_rejects_misaligned_and_empty():
    with pytest.raises(XtlError):
        metrics.accuracy([0, 1], [0])
    with pytest.raises(XtlError):
        metrics.accuracy([], [])


# ----------------------------------------------------------------------------- NER (seqeval)


def test_entity_split_across_subwords_is_a_miss():
    # gold PER spans two tokens; the prediction tags only the first: no entity matches.
    scores = metrics.tagging_f1([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]])
    assert scores == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_i_tag_without_b_starts_an_entity():
    # seqeval's default mode reads I-PER I-PER as one PER chunk, equal to B-PER I-PER.
    scores = metrics.tagging_f1([["B-PER", "I-PER", "O"]], [["I-PER", "I-PER", "O"]])
    assert scores["f1"] == pytest.approx(100.0)


def test_entity_f1_mixed_case():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "O", "O", "I-LOC"], ["B-PER", "O"]]
    # gold: PER(0-1) LOC(3) ORG(5); pred: PER(0) LOC(3) PER(5, type mismatch) -> 1 of 3 each way.
    scores = metrics.tagging_f1(gold, pred)
    assert scores["precision"] == pytest.approx(100 / 3)
    assert scores["recall"] == pytest.approx(100 / 3)
    assert scores["f1"] == pytest.approx(100 / 3)


def test_precision_and_recall_differ_when_counts_differ():
    gold = [["B-PER", "O", "B-LOC", "O"]]
    pred = [["B-PER", "O", "O", "O"]]
    scores = metrics.tagging_f1(gold, pred)
    assert scores["precision"] == pytest.approx(100.0)
    assert scores["recall"] == pytest.approx(50.0)
    assert scores["f1"] == pytest.approx(200 / 3)


def test_tagging_rejects_length_mismatch():
    with pytest.raises(XtlError, match="sentence 0"):
        metrics.tagging_f1([["O", "O"]], [["O"]])


# ----------------------------------------------------------------------------- POS (XTREME)


def test_pos_f1_is_chunk_f1_not_token_accuracy():
    # NOUN NOUN is one seqeval chunk; pred breaks it, so only VERB matches:
    # P = 1/3, R = 1/2, F1 = 0.4, while token accuracy is 2/3.
    scores = metrics.pos_scores([["NOUN", "NOUN", "VERB"]], [["NOUN", "ADJ", "VERB"]])
    assert scores["precision"] == pytest.approx(100 / 3)
    assert scores["recall"] == pytest.approx(50.0)
    assert scores["f1"] == pytest.approx(40.0)
    assert scores["accuracy"] == pytest.approx(200 / 3)


def test_pos_perfect_prediction_scores_100():
    gold = [["DET", "NOUN", "VERB", "PUNCT"], ["SCONJ", "SCONJ", "INTJ"]]
    scores = metrics.pos_scores(gold, gold)
    assert scores["f1"] == pytest.approx(100.0)
    assert scores["accuracy"] == pytest.approx(100.0)


def test_pos_cconj_sconj_legacy_vs_installed_seqeval():
    gold = [["NOUN", "CCONJ", "NOUN"]]
    pred = [["NOUN", "SCONJ", "NOUN"]]
    # seqeval 0.0.12 (XTREME/jiant in 2020): types CCONJ != SCONJ -> 2 of 3 chunks.
    assert metrics.pos_scores(gold, pred)["f1"] == pytest.approx(200 / 3)
    # seqeval >= 1.0 takes tag[1:] as the type: both are 'CONJ' -> all 3 chunks match.
    assert metrics.pos_scores(gold, pred, legacy_seqeval=False)["f1"] == pytest.approx(100.0)


def test_pos_sconj_is_always_a_single_token_chunk():
    # 'S'-prefixed tags never merge: gold has 2 SCONJ chunks, pred has 1 of them right.
    scores = metrics.pos_scores([["SCONJ", "SCONJ"]], [["SCONJ", "ADV"]])
    assert scores["recall"] == pytest.approx(50.0)
    assert scores["precision"] == pytest.approx(50.0)


# ----------------------------------------------------------------------------- SQuAD / MLQA


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Cat", "cat"),
        ("  a   big\tdog. ", "big dog"),
        ("An apple, an orange!", "apple orange"),
        ("theory", "theory"),  # 'the' inside a word stays
        ("«Tom»", "«tom»"),  # SQuAD drops ASCII punctuation only
        ("", ""),
    ],
)
def test_squad_normalisation(text, expected):
    assert metrics.normalize_answer(text) == expected


def test_squad_scores_hand_computed():
    references = {
        "q1": ["Denver Broncos", "The Denver Broncos"],
        "q2": ["Santa Clara, California"],
        "q3": ["1,000"],
        "q4": ["Levi's Stadium"],
    }
    predictions = {
        "q1": "the denver broncos.",  # EM 1, F1 1
        "q2": "California",  # EM 0; tokens {santa, clara, california}: P 1, R 1/3, F1 0.5
        "q3": "",  # empty prediction: 0, 0
        # q4 unanswered: 0, 0
    }
    scores = metrics.squad_scores(predictions, references)
    assert scores["exact_match"] == pytest.approx(100 * 1 / 4)
    assert scores["f1"] == pytest.approx(100 * (1 + 0.5) / 4)


def test_squad_max_over_gold_answers():
    references = {"q": ["Paris", "the city of Paris"]}
    scores = metrics.squad_scores({"q": "city of Paris"}, references)
    assert scores == {"f1": pytest.approx(100.0), "exact_match": pytest.approx(100.0)}
    # partial overlap: vs 'Paris' P=1/2 R=1 F1=2/3; vs 'city of paris' P=1 R=1/3... take the max
    scores = metrics.squad_scores({"q": "Paris France"}, references)
    assert scores["f1"] == pytest.approx(100 * 2 / 3)
    assert scores["exact_match"] == 0.0


def test_squad_accepts_canonical_answers_column():
    references = {"q": {"text": ["Paris"], "answer_start": [3]}}
    assert metrics.squad_scores({"q": "paris"}, references)["exact_match"] == pytest.approx(100.0)


def test_empty_gold_and_prediction_is_exact_but_zero_f1():
    # The official scripts: EM compares '' == '' (1); F1 has no common token (0).
    scores = metrics.squad_scores({"q": "the"}, {"q": ["a"]})
    assert scores == {"f1": 0.0, "exact_match": 100.0}


def test_squad_refuses_a_split_whose_gold_answers_are_all_empty():
    # The kit's TyDiQA-GoldP validation files have every answer text '' (labels stripped).
    with pytest.raises(XtlError, match="empty"):
        metrics.squad_scores({"q": ""}, {"q": {"text": [""], "answer_start": [0]}})


def test_mlqa_zh_mixed_segmentation():
    assert metrics.normalize_answer("北京大学2008年", "zh") == "北 京 大 学 2008 年"
    # characters: pred 北京 vs gold 北京大学 -> P 1, R 1/2, F1 2/3
    assert metrics.qa_f1("北京", "北京大学。", "zh") == pytest.approx(2 / 3)
    # under SQuAD rules the whole string is one token and nothing matches
    assert metrics.qa_f1("北京", "北京大学。", None) == 0.0


def test_mlqa_unicode_punctuation_and_articles():
    assert metrics.normalize_answer("«Die Katze»", "de") == "katze"
    assert metrics.normalize_answer("El perro y la casa", "es") == "perro y casa"
    assert metrics.normalize_answer("the dog—«cat»", "en") == "dogcat"  # em dash is Unicode P
    assert metrics.normalize_answer("the dog—«cat»") == "dog—«cat»"  # SQuAD keeps them
    # MLQA's Arabic rule replaces every 'ال', even inside a word, with a space
    assert metrics.normalize_answer("الكتاب", "ar") == "كتاب"


def test_mlqa_scores_use_language_rules():
    references = {"q1": ["der Hund"], "q2": ["eine Katze"]}
    predictions = {"q1": "Hund", "q2": "die Katze"}
    assert metrics.squad_scores(predictions, references, lang="de") == {
        "f1": pytest.approx(100.0),
        "exact_match": pytest.approx(100.0),
    }
    # English rules keep German articles: q1 F1 2/3 (P 1, R 1/2), q2 F1 1/2
    scores = metrics.squad_scores(predictions, references)
    assert scores["f1"] == pytest.approx(100 * (2 / 3 + 1 / 2) / 2)
    assert scores["exact_match"] == 0.0


def test_mlqa_unknown_language_names_the_fix():
    with pytest.raises(XtlError, match="lang=None"):
        metrics.normalize_answer("x", "fr")


def test_qa_normalisation_language_follows_xtreme():
    # XTREME scores MLQA with its per-language script, XQuAD and TyDiQA with SQuAD v1.1's: the task's metric says which
    assert [metrics.qa_normalisation_language(tasks.get(name).metric, lang)
            for name, lang in (("mlqa", "de"), ("xquad", "de"), ("tydiqa", "ar"))] == ["de", None, None]


# ----------------------------------------------------------------------------- BUCC


def test_ratio_margin_on_tiny_vectors():
    source = np.array([[1.0, 0.0], [0.0, 1.0]])
    target = np.array([[1.0, 0.0], [0.6, 0.8]])
    # cos = [[1, .6], [0, .8]]; k=2 means: fwd [.8, .4], bwd [.5, .7]
    expected = np.array([[1 / 0.65, 0.6 / 0.75], [0.0, 0.8 / 0.55]])
    np.testing.assert_allclose(mining.ratio_margin_matrix(source, target, k=2), expected, rtol=1e-6)
    mined = mining.mine_candidates(source, target, k=2)
    assert [(s, t) for s, t, _ in mined] == [(0, 0), (1, 1)]
    assert [score for _, _, score in mined] == pytest.approx([1 / 0.65, 0.8 / 0.55], rel=1e-6)


def test_mining_uses_each_sentence_once():
    # both sources prefer target 0; the greedy pass gives it to the better pair only.
    source = np.array([[1.0, 0.0], [0.9, 0.1]])
    target = np.array([[1.0, 0.0], [0.0, 1.0]])
    mined = mining.mine_candidates(source, target, k=1)
    assert [(s, t) for s, t, _ in mined] == [(0, 0), (1, 1)]


def test_knn_cosine_is_scale_free_and_sorted():
    queries = np.array([[2.0, 0.0]])
    database = np.array([[0.0, 5.0], [3.0, 3.0], [10.0, 0.0]])
    sims, inds = mining.knn_cosine(queries, database, k=2)
    assert inds.tolist() == [[2, 1]]
    np.testing.assert_allclose(sims, [[1.0, np.sqrt(0.5)]], rtol=1e-6)


CANDIDATES = {("a", "1"): 0.9, ("b", "2"): 0.8, ("c", "3"): 0.7, ("d", "4"): 0.6, ("e", "5"): 0.5}
GOLD = {("a", "1"), ("c", "3"), ("f", "6")}


def test_best_threshold_hand_computed():
    # prefix F1s: 1/2, 2/5, 2/3 (best, after 0.7), 4/7, 1/2 -> threshold midway 0.7..0.6
    assert mining.best_threshold(CANDIDATES, GOLD) == pytest.approx(0.65)
    scores = mining.bucc_f1(CANDIDATES, GOLD, 0.65)
    assert scores["precision"] == pytest.approx(200 / 3)
    assert scores["recall"] == pytest.approx(200 / 3)
    assert scores["f1"] == pytest.approx(200 / 3)


def test_bucc_f1_at_other_thresholds():
    assert mining.bucc_f1(CANDIDATES, GOLD, 0.85)["f1"] == pytest.approx(50.0)
    assert mining.bucc_f1(CANDIDATES, GOLD, 0.95)["f1"] == 0.0
    # threshold is inclusive (score >= threshold), as in XTREME's bucc_extract
    assert mining.bucc_f1(CANDIDATES, GOLD, 0.7)["precision"] == pytest.approx(200 / 3)


def test_best_threshold_when_last_candidate_is_best():
    assert mining.best_threshold({("a", "1"): 2.0, ("b", "2"): 1.5}, {("a", "1"), ("b", "2")}) == 1.5
    assert mining.best_threshold({("a", "1"): 2.0}, {("z", "9")}) == 0.0


# ----------------------------------------------------------------------------- Tatoeba


def test_tatoeba_accuracy_direction():
    source = np.array([[1.0, 0.0], [1.0, 0.1]])
    target = np.array([[1.0, 0.0], [0.0, 1.0]])
    # English queries (XTREME): t0 -> s0, t1 -> s1 (cos .0995 > 0): both right.
    assert mining.tatoeba_accuracy(source, target) == pytest.approx(100.0)
    # source queries: s1 is closer to t0 than to t1: one of two right.
    assert mining.tatoeba_accuracy(source, target, query="source") == pytest.approx(50.0)
    assert mining.tatoeba_predictions(source, target).tolist() == [0, 1]
