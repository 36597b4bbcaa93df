"""The claims (xtl.report: canonical, items, gains, claims, verdicts, exclusion, sources) on hand-made result folders:
re-scoring, the XTREME score, pooled one-seed intervals, the rule for targets that do not learn, every outcome of the
first (two-valued) rules and of the three-valued ones."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xtl import metrics
from xtl.errors import XtlError
from xtl.report import canonical, claims, gains, items, spread, stats
from xtl.report.claims import NOT_REPRODUCED, NOT_TESTABLE, REPRODUCED
from xtl.report.gains import BOOTSTRAP
from xtl.report.gains import Results as CurrentResults
from xtl.report.score import FIRST_RULE_SCORE


def Results(frame, **kwargs):
    return CurrentResults(frame, score=FIRST_RULE_SCORE, one_seed=BOOTSTRAP, **kwargs)


N_ITEMS = 400
LANGS = ("en", "de")


# --------------------------------------------------------------------------- hand-made results

def write_run(root: Path, inter: list[str], task: str, seed: int, correct: dict[str, int], mlm: bool = False,
              english_dev: float | None = None, experiment: str = "grid", predictions: bool = True) -> list[dict]:
    """A result folder whose predictions get the first `correct[lang]` of N_ITEMS items right; its table rows."""
    setting = canonical.setting_name(inter, mlm)
    run_id = f"{task}-{setting}-s{seed}"
    folder = root / experiment / run_id
    (folder / "predictions").mkdir(parents=True)
    config = {"model": "me5-small", "seed": seed, "intermediate": {"tasks": inter, "mlm_share": 0.2 if mlm else 0.0},
              "target": {"task": task}}
    (folder / "config.json").write_text(json.dumps(config))
    per_language = {lang: {"accuracy": 100.0 * k / N_ITEMS} for lang, k in correct.items()}
    (folder / "metrics.json").write_text(json.dumps({"task": task, "per_language": per_language,
                                                     "english_dev": english_dev}))
    rows = []
    for lang, k in correct.items():
        if predictions:
            with open(folder / "predictions" / f"{lang}.jsonl", "w") as handle:
                handle.writelines(json.dumps(_line(task, i, right=i < k)) + "\n" for i in range(N_ITEMS))
        rows.append({"experiment": experiment, "run_id": run_id, "run_path": str(folder), "intermediate": setting,
                     "task": task, "seed": seed, "model": "me5-small", "language": lang, "metric": "accuracy",
                     "value": 100.0 * k / N_ITEMS})
    return rows


def _line(task: str, i: int, right: bool) -> dict:
    if task in ("xquad", "mlqa", "tydiqa"):  # extractive QA: F1 1 or 0 per question
        return {"gold": {"id": f"q{i}", "answers": ["Paris"]}, "prediction": "Paris" if right else "Rome"}
    return {"gold": i % 3, "prediction": i % 3 if right else (i + 1) % 3}


def world(root: Path, accuracy: dict[tuple[str, str], float], seeds=(0,), mlm_settings=(), noise: float = 0.0,
          dev: dict[tuple[str, str], float] | None = None, predictions: bool = True) -> pd.DataFrame:
    """Runs for every (setting, target) in `accuracy` (percent, same in every language)."""
    rng = np.random.default_rng(1)
    rows = []
    for (setting, task), acc in accuracy.items():
        mlm = setting in mlm_settings
        inter = [] if setting == "baseline" else setting.removesuffix("+mlm").split("+")
        for seed in seeds:
            k = round(N_ITEMS * (acc + (rng.normal() * noise if seed else 0.0)) / 100)
            rows += write_run(root, inter, task, seed, {lang: k for lang in LANGS}, mlm=mlm,
                              english_dev=(dev or {}).get((setting, task)), predictions=predictions)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- pieces

def test_t_quantiles_match_tables():
    assert stats.t_quantile_975(1) == 12.706
    assert stats.t_quantile_975(2) == 4.303
    assert stats.t_quantile_975(30) == 2.042
    assert abs(stats.t_quantile_975(60) - 2.000) < 0.001
    assert abs(stats.t_quantile_975(120) - 1.980) < 0.001


def test_setting_names_and_kinds():
    assert canonical.setting_name([]) == "baseline"
    assert canonical.setting_name(["mnli", "qqp"]) == "mnli+qqp"
    assert canonical.setting_name(["mnli"], mlm=True) == "mnli+mlm"
    assert canonical.setting_kind(["mnli"]) == "single"
    assert canonical.setting_kind(["mnli", "qqp"]) == "multi"
    assert canonical.setting_kind(["mnli"], mlm=True) == "mlm"
    assert canonical.setting_kind(["xnli-translated"]) == "translated"
    assert canonical.setting_kind([]) == "baseline"


def test_item_scores_reproduce_official_metrics():
    qa = [{"gold": {"id": "a", "answers": ["the red car", "red car"]}, "prediction": "a red car"},
          {"gold": {"id": "b", "answers": ["Paris"]}, "prediction": "in Paris France"},
          {"gold": {"id": "c", "answers": ["1999"]}, "prediction": "2001"}]
    expected = metrics.squad_scores({x["gold"]["id"]: x["prediction"] for x in qa},
                                    {x["gold"]["id"]: x["gold"]["answers"] for x in qa})["f1"]
    assert items.item_scores("xquad", "en", qa).score() == pytest.approx(expected)

    ner = [{"gold": ["B-PER", "I-PER", "O", "B-LOC"], "prediction": ["B-PER", "I-PER", "O", "B-ORG"]},
           {"gold": ["O", "B-ORG", "I-ORG"], "prediction": ["O", "B-ORG", "O"]},
           {"gold": ["O", "O"], "prediction": ["B-LOC", "O"]}]
    expected = metrics.tagging_f1([x["gold"] for x in ner], [x["prediction"] for x in ner])["f1"]
    assert items.item_scores("panx", "de", ner).score() == pytest.approx(expected)

    pos = [{"gold": ["NOUN", "NOUN", "VERB", "SCONJ"], "prediction": ["NOUN", "VERB", "VERB", "SCONJ"]},
           {"gold": ["PRON", "AUX", "ADJ"], "prediction": ["PRON", "AUX", "ADJ"]}]
    expected = metrics.pos_scores([x["gold"] for x in pos], [x["prediction"] for x in pos])["f1"]
    assert items.item_scores("udpos", "fr", pos).score() == pytest.approx(expected)

    acc = [{"gold": 0, "prediction": 0}, {"gold": 1, "prediction": 2}, {"gold": 2, "prediction": 2}]
    assert items.item_scores("xnli", "de", acc).score() == pytest.approx(200 / 3)


def test_rescored_predictions_match_reported_values(tmp_path):
    df = world(tmp_path, {("baseline", "xnli"): 61.5, ("mnli", "xnli"): 64.25})
    res = Results(df)
    assert max(res.rescoring_gaps().values()) < 1e-9


def test_bootstrap_is_deterministic_and_paired(tmp_path):
    df = world(tmp_path, {("baseline", "xnli"): 60.0, ("mnli", "xnli"): 65.0, ("qqp", "xnli"): 60.0})
    first = Results(df, n_boot=500, boot_seed=7).gain("mnli", "xnli")
    again = Results(df, n_boot=500, boot_seed=7).gain("mnli", "xnli")
    other = Results(df, n_boot=500, boot_seed=8).gain("mnli", "xnli")
    assert first == again
    assert (first.lo, first.hi) != (other.lo, other.hi)
    assert first.value == pytest.approx(5.0)
    assert first.method == "evaluation-sample interval, 1 seed"
    assert 0 < first.lo < 5.0 < first.hi
    # same predictions as the baseline: the paired resamples give exactly zero every time
    same = Results(df, n_boot=200).gain("qqp", "xnli")
    assert (same.value, same.lo, same.hi) == (0.0, 0.0, 0.0)


def test_t_interval_over_three_seeds(tmp_path):
    df = world(tmp_path, {("baseline", "xnli"): 60.0, ("mnli", "xnli"): 64.0}, seeds=(0, 1, 2), noise=2.0)
    res = Results(df)
    per_seed = [res.score("mnli", "xnli", s) - res.score("baseline", "xnli", s) for s in (0, 1, 2)]
    est = res.gain("mnli", "xnli")
    half = 4.303 * np.std(per_seed, ddof=1) / math.sqrt(3)
    assert est.method == "t-interval over 3 seeds"
    assert est.value == pytest.approx(np.mean(per_seed))
    assert (est.lo, est.hi) == pytest.approx((np.mean(per_seed) - half, np.mean(per_seed) + half))


def test_missing_predictions_give_no_interval(tmp_path):
    df = world(tmp_path, {("baseline", "tatoeba"): 80.0, ("mnli", "tatoeba"): 70.0}, predictions=False)
    est = Results(df).gain("mnli", "tatoeba")
    assert est.value == pytest.approx(-10.0) and est.lo is None and "no interval" in est.method


def test_languages_are_intersected(tmp_path):
    rows = write_run(tmp_path, [], "xnli", 0, {"en": 200, "de": 100, "fr": 100})
    rows += write_run(tmp_path, ["mnli"], "xnli", 0, {"en": 220, "de": 120})
    res = Results(pd.DataFrame(rows))
    assert res.languages["xnli"] == ["de", "en"]
    assert res.gain("mnli", "xnli").value == pytest.approx(100 * 20 / N_ITEMS)


def test_two_runs_for_one_setting_are_refused(tmp_path):
    rows = write_run(tmp_path, ["mnli"], "xnli", 0, {"en": 200}, experiment="a")
    rows += write_run(tmp_path, ["mnli"], "xnli", 0, {"en": 210}, experiment="b")
    for row in rows[1:]:
        row["run_id"] = "other-run"
    with pytest.raises(XtlError, match="different runs"):
        Results(pd.DataFrame(rows))


# --------------------------------------------------------------------------- C1

SINGLES = ("squad", "mnli", "hellaswag", "qqp", "sst2")


def c1_world(root, gains: dict[str, float], targets=("xnli", "xcopa")):
    acc = {("baseline", t): 50.0 for t in targets}
    acc.update({(s, t): 50.0 + g for s, g in gains.items() for t in targets})
    return Results(world(root, acc), n_boot=500)


def test_c1_reproduced(tmp_path):
    v = claims.verdict_c1(c1_world(tmp_path, {"squad": 8, "mnli": 7, "hellaswag": 6, "qqp": 1, "sst2": -2}))
    assert v.verdict == REPRODUCED, v.reason
    assert v.evidence["ranking"][:3] == ["squad", "mnli", "hellaswag"]
    assert v.evidence["n_seeds"] == 1 and v.evidence["model"] == "me5-small"
    assert "mnli" in v.evidence["stand_ins"]


def test_c1_not_reproduced_when_another_task_is_better(tmp_path):
    v = claims.verdict_c1(c1_world(tmp_path, {"squad": 8, "mnli": 7, "hellaswag": 2, "qqp": 5, "sst2": -2}))
    assert v.verdict == NOT_REPRODUCED and "hellaswag #4" in v.reason


def test_c1_not_reproduced_when_gain_is_noise(tmp_path):
    v = claims.verdict_c1(c1_world(tmp_path, {"squad": 8, "mnli": 0, "hellaswag": 6, "qqp": -1, "sst2": -2}))
    assert v.verdict == NOT_REPRODUCED and "not above zero for mnli" in v.reason


def test_c1_not_testable_without_hellaswag(tmp_path):
    v = claims.verdict_c1(c1_world(tmp_path, {"squad": 8, "mnli": 7, "qqp": 1, "sst2": 0}))
    assert v.verdict == NOT_TESTABLE and "hellaswag" in v.reason


def test_c1_ranking_not_testable_without_other_tasks(tmp_path):
    v = claims.verdict_c1(c1_world(tmp_path, {"squad": 8, "mnli": 7, "hellaswag": 6}))
    assert v.verdict == NOT_TESTABLE and "only single-task settings" in v.reason


def test_c1_not_reproduced_without_other_tasks_when_a_gain_fails(tmp_path):
    v = claims.verdict_c1(c1_world(tmp_path, {"squad": 8, "mnli": -3, "hellaswag": 6}))
    assert v.verdict == NOT_REPRODUCED and "mnli" in v.reason


# --------------------------------------------------------------------------- C2

def c2_world(root, multi_gain: float | None):
    gains = {"squad": 5, "mnli": 4, "qqp": 1}
    if multi_gain is not None:
        gains["squad+mnli+qqp"] = multi_gain
    return c1_world(root, gains)


def test_c2_reproduced(tmp_path):
    v = claims.verdict_c2(c2_world(tmp_path, 7))
    assert v.verdict == REPRODUCED, v.reason
    assert v.evidence["multi_task"] == "squad+mnli+qqp"


def test_c2_not_reproduced(tmp_path):
    v = claims.verdict_c2(c2_world(tmp_path, 3))
    assert v.verdict == NOT_REPRODUCED and "ranks #3 of 4" in v.reason


def test_c2_not_testable(tmp_path):
    v = claims.verdict_c2(c2_world(tmp_path, None))
    assert v.verdict == NOT_TESTABLE and "multi-task" in v.reason


# --------------------------------------------------------------------------- C3

def c3_world(root, retrieval_gain: float, with_retrieval: bool = True):
    acc = {("baseline", "xnli"): 50.0, ("mnli", "xnli"): 53.0, ("qqp", "xnli"): 52.0,
           ("baseline", "xcopa"): 50.0, ("mnli", "xcopa"): 51.0, ("qqp", "xcopa"): 52.0}
    if with_retrieval:
        acc.update({("baseline", "tatoeba"): 60.0, ("mnli", "tatoeba"): 60 + retrieval_gain,
                    ("qqp", "tatoeba"): 60 + retrieval_gain})
    return Results(world(root, acc), n_boot=300)


def test_c3_reproduced(tmp_path):
    v = claims.verdict_c3(c3_world(tmp_path, 6.0))
    assert v.verdict == REPRODUCED, v.reason
    assert v.evidence["ranking"][0] == "tatoeba"


def test_c3_not_reproduced(tmp_path):
    v = claims.verdict_c3(c3_world(tmp_path, -4.0))
    assert v.verdict == NOT_REPRODUCED and "xnli" in v.reason


def test_c3_not_testable(tmp_path):
    v = claims.verdict_c3(c3_world(tmp_path, 0, with_retrieval=False))
    assert v.verdict == NOT_TESTABLE and "retrieval" in v.reason


# --------------------------------------------------------------------------- C4

def c4_world(root, tydiqa: float, xnli: float, with_tydiqa: bool = True):
    acc = {("baseline", "xnli"): 60.0}
    acc.update({(s, "xnli"): 60.0 + xnli for s in ("mnli", "squad", "qqp")})
    if with_tydiqa:
        acc[("baseline", "tydiqa")] = 40.0
        acc.update({(s, "tydiqa"): 40.0 + tydiqa for s in ("mnli", "squad", "qqp")})
    return Results(world(root, acc), n_boot=300)


def test_c4_reproduced(tmp_path):
    v = claims.verdict_c4(c4_world(tmp_path, tydiqa=8, xnli=0))
    assert v.verdict == REPRODUCED, v.reason


def test_c4_not_reproduced(tmp_path):
    v = claims.verdict_c4(c4_world(tmp_path, tydiqa=8, xnli=8))
    assert v.verdict == NOT_REPRODUCED and "XNLI in 3 of 3" in v.reason


def test_c4_not_testable_without_tydiqa(tmp_path):
    v = claims.verdict_c4(c4_world(tmp_path, 0, 0, with_tydiqa=False))
    assert v.verdict == NOT_TESTABLE and "no baseline run on tydiqa" in v.reason


def test_c4_names_each_targets_interval_when_their_seeds_differ(tmp_path):
    """TyDiQA over three seeds (t-interval), XNLI over one (bootstrap): the evidence must not call both t."""
    three = world(tmp_path / "three", {("baseline", "tydiqa"): 40.0, ("mnli", "tydiqa"): 48.0}, seeds=(0, 1, 2),
                  noise=1.0)
    one = world(tmp_path / "one", {("baseline", "xnli"): 60.0, ("mnli", "xnli"): 60.0})
    v = claims.verdict_c4(Results(pd.concat([three, one]), n_boot=300))
    assert v.evidence["interval"] == "tydiqa: t-interval over 3 seeds; xnli: evaluation-sample interval, 1 seed"
    same = claims.verdict_c4(c4_world(tmp_path / "same", tydiqa=8, xnli=0))
    assert same.evidence["interval"] == "evaluation-sample interval, 1 seed"


# --------------------------------------------------------------------------- C5

def c5_world(root, good_gain: float, dev_prefers_bad: bool = False):
    acc = {("baseline", "xnli"): 60.0, ("mnli", "xnli"): 60.0 + good_gain, ("qqp", "xnli"): 58.0,
           ("baseline", "xcopa"): 50.0, ("mnli", "xcopa"): 50.0 + good_gain, ("qqp", "xcopa"): 48.0}
    dev = {("mnli", t): (70.0 if not dev_prefers_bad else 60.0) for t in ("xnli", "xcopa")}
    dev.update({("qqp", t): 65.0 for t in ("xnli", "xcopa")})
    return Results(world(root, acc, dev=dev), n_boot=300)


def test_c5_reproduced_selecting_on_english_dev(tmp_path):
    v = claims.verdict_c5(c5_world(tmp_path, 6.0))
    assert v.verdict == REPRODUCED, v.reason
    assert v.evidence["chosen"] == {"xcopa": "mnli", "xnli": "mnli"}
    assert v.evidence["selection"].startswith("English validation")


def test_c5_not_reproduced_when_dev_picks_a_bad_model(tmp_path):
    v = claims.verdict_c5(c5_world(tmp_path, 6.0, dev_prefers_bad=True))
    assert v.verdict == NOT_REPRODUCED and v.evidence["chosen"]["xnli"] == "qqp"


def test_c5_not_testable_without_intermediate_runs(tmp_path):
    res = Results(world(tmp_path, {("baseline", "xnli"): 60.0}))
    assert claims.verdict_c5(res).verdict == NOT_TESTABLE


def test_c5_not_testable_with_a_single_intermediate_setting(tmp_path):
    """Whatever its gain, one setting leaves nothing to pick (a big gain here would read as 'reproduced')."""
    acc = {("baseline", "xnli"): 60.0, ("mnli", "xnli"): 70.0, ("baseline", "xcopa"): 50.0, ("mnli", "xcopa"): 60.0}
    v = claims.verdict_c5(Results(world(tmp_path, acc, dev={("mnli", t): 70.0 for t in ("xnli", "xcopa")}), n_boot=300))
    assert v.verdict == NOT_TESTABLE and "nothing to pick" in v.reason


# --------------------------------------------------------------------------- C6

def c6_world(root, mlm_gap: float, translated_gap: float, with_translated: bool = True):
    acc = {("baseline", "xnli"): 60.0, ("mnli", "xnli"): 66.0, ("mnli+mlm", "xnli"): 66.0 - mlm_gap}
    if with_translated:
        acc[("xnli-translated", "xnli")] = 66.0 - translated_gap
    return Results(world(root, acc, mlm_settings=("mnli+mlm",)), n_boot=300)


def test_c6_reproduced(tmp_path):
    v = claims.verdict_c6(c6_world(tmp_path, 3.0, 4.0))
    assert v.verdict == REPRODUCED, v.reason
    assert v.evidence["differences"]["mlm"]["value"] == pytest.approx(3.0)


def test_c6_not_reproduced(tmp_path):
    v = claims.verdict_c6(c6_world(tmp_path, 3.0, -4.0))
    assert v.verdict == NOT_REPRODUCED and "translated" in v.reason


def test_c6_not_testable_without_translated_runs(tmp_path):
    v = claims.verdict_c6(c6_world(tmp_path, 3.0, 0.0, with_translated=False))
    assert v.verdict == NOT_TESTABLE and "translated" in v.reason


# --------------------------------------------------------------------------- everything at once

def test_all_verdicts_on_empty_results_are_not_testable():
    out = claims.all_verdicts(Results(pd.DataFrame()))
    assert set(out) == {"c1", "c2", "c3", "c4", "c5", "c6"}
    assert {v.verdict for v in out.values()} == {NOT_TESTABLE}
    assert all(v.reason for v in out.values())


# --------------------------------------------------------------------------- one name, one number

def _qa_run(root: Path, inter: list[str], seed: int, f1: dict[str, float]) -> Path:
    """An xquad result folder as xtl.experiment writes it; EM is 10 points below F1 in every language."""
    from xtl import scoring, tasks

    folder = root / "grid" / f"xquad-{'+'.join(inter) or 'baseline'}-s{seed}"
    folder.mkdir(parents=True)
    config = {"model": "me5-small", "seed": seed, "intermediate": {"tasks": inter, "mlm_share": 0.0, "max_length": 128},
              "target": {"task": "xquad", "max_length": 128, "eval_limit": 10}}
    per_language = {lang: {"f1": v, "exact_match": v - 10.0} for lang, v in f1.items()}
    xtreme = {lang: m for lang, m in per_language.items() if lang in tasks.get("xquad").xtreme_languages}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "metrics.json").write_text(json.dumps({
        "task": "xquad", "metric": "f1", "per_language": per_language, "average": scoring.average(xtreme),
        "english_dev": 50.0}))
    return folder


def test_the_same_run_gives_the_same_number_under_the_same_name_on_every_path(tmp_path):
    """results loader, run index summary, verdicts and questions: each named average is one number.

    English scores far above the rest and 'ro' is evaluated but not an XTREME language for XQuAD, so the
    three averages differ from each other and from the EM/F1 mean: a path that averaged other
    languages or another QA score under a name would disagree here.
    """
    from xtl import results, scoring
    from xtl.report.questions import data as questions

    f1 = {"en": 90.0, "de": 40.0, "es": 50.0, "ro": 20.0}
    for seed in (0, 1, 2):
        _qa_run(tmp_path / "p", [], seed, {k: v - seed for k, v in f1.items()})
        folder = _qa_run(tmp_path / "p", ["squad"], seed, {k: v + 5 - seed for k, v in f1.items()})
    expected = {"xtreme_avg": (90 + 40 + 50) / 3, "zero_shot_avg": (40 + 50 + 20) / 3, "all_langs_avg": 200 / 4}
    assert list(scoring.AVERAGES) == list(expected) and scoring.QA_SCORE == "f1"

    frame = results.load("p", tmp_path)
    table = results.run_averages(frame)
    base0 = table[(table["intermediate"] == "baseline") & (table["seed"] == 0)].iloc[0]
    for name, value in expected.items():  # the loader
        assert base0[name] == pytest.approx(value)
    shown = results.comparison(frame, "xquad", "me5-small", 0).set_index("intermediate")  # run notebooks' table
    assert shown.loc["baseline", "all_langs_avg"] == pytest.approx(round(expected["all_langs_avg"], 1))

    summary = results.summarise_folder(folder)  # the run index
    assert summary["average"] == pytest.approx(table.set_index("run_id").loc[folder.name, summary["average_name"]])
    metrics_json = json.loads((folder / "metrics.json").read_text())
    assert summary["average_name"] == "xtreme_avg" and summary["average"] == pytest.approx(metrics_json["average"]["f1"])

    first = Results(frame)  # the first verdict rule: all_langs_avg, QA as F1
    current = CurrentResults(frame)  # the verdicts: XTREME languages, QA as (EM + F1) / 2 (EM is F1 - 10 here)
    assert gains.SCORE_AVG in expected
    for _, row in table.iterrows():
        setting = "baseline" if row["intermediate"] == "baseline" else "squad"
        assert first.score(setting, "xquad", int(row["seed"])) == pytest.approx(row["all_langs_avg"])
        assert current.score(setting, "xquad", int(row["seed"])) == pytest.approx(row["xtreme_avg"] - 5.0)
    assert current.score("baseline", "xquad", 0) == pytest.approx(((90 + 40 + 50) / 3 + (80 + 30 + 40) / 3) / 2)

    q = questions.load(("p",), tmp_path)  # the questions
    assert questions.SCORE_AVG in expected
    for tasks_, setting in (((), "baseline"), (("squad",), "squad")):
        per_seed = questions.seed_scores(questions.select(q, tasks_, ["xquad"]), ["xquad"])
        want = table[table["intermediate"] == setting].set_index("seed")[questions.SCORE_AVG]
        assert per_seed == pytest.approx({int(s): v for s, v in want.items()})
    wide = questions.wide_table({"baseline": questions.select(q, (), ["xquad"])}, ["de", "es", "ro"], ["baseline"])
    assert wide.loc[questions.SCORE_AVG, "baseline"] == pytest.approx(round(expected["zero_shot_avg"] - 1, 1))


def test_named_averages_are_defined_once():
    from xtl import scoring

    values = {"en": 80.0, "de": 40.0, "xx": 10.0}
    assert scoring.language_average("all_langs_avg", "xnli", values) == pytest.approx(130 / 3)
    assert scoring.language_average("zero_shot_avg", "xnli", values) == pytest.approx(25.0)
    assert scoring.language_average("xtreme_avg", "xnli", values) == pytest.approx(60.0)  # xx is no XNLI language
    assert scoring.language_average("xtreme_avg", "not-a-task", values) == pytest.approx(130 / 3)
    assert math.isnan(scoring.language_average("zero_shot_avg", "xnli", {"en": 80.0}))
    with pytest.raises(Exception, match="unknown average"):
        scoring.language_average("average", "xnli", values)


# =========================================================================== the current rules

from xtl.report import exclusion, sources, verdicts
from xtl.report.verdicts import CONTRADICTED, UNDECIDED, Comparison


def seeded(root: Path, accuracy: dict[tuple[str, str, int], float], dev: float | None = None) -> pd.DataFrame:
    """Runs with the given accuracy (percent, the same in both languages) per (setting, target, seed)."""
    rows = []
    for (setting, task, seed), acc in accuracy.items():
        inter = [] if setting == "baseline" else setting.split("+")
        k = round(N_ITEMS * acc / 100)
        rows += write_run(root, inter, task, seed, {lang: k for lang in LANGS}, english_dev=dev)
    return pd.DataFrame(rows)


# baseline, mnli and squad at three seeds, qqp at one: gains per seed mnli 4, 5, 4; squad 2, 0, 3; qqp 3
THREE_SEEDS = {("baseline", "xnli", 0): 60, ("baseline", "xnli", 1): 61, ("baseline", "xnli", 2): 59,
               ("mnli", "xnli", 0): 64, ("mnli", "xnli", 1): 66, ("mnli", "xnli", 2): 63,
               ("squad", "xnli", 0): 62, ("squad", "xnli", 1): 61, ("squad", "xnli", 2): 62,
               ("qqp", "xnli", 0): 63}


def test_pooled_variance_by_hand():
    variance, df = stats.pooled_variance({"a": [1.0, 2.0, 6.0], "b": [0.0, 2.0], "c": [5.0]})
    assert df == 3 and variance == pytest.approx((14 + 2) / 3)   # a: 4 + 1 + 9 around 3; b: 1 + 1 around 1
    assert stats.pooled_variance({"c": [5.0]})[1] == 0
    assert stats.pooled_half_width(4.0, 4, 1) == pytest.approx(2.776 * 2.0)


def test_one_seed_gain_borrows_the_pooled_seed_variance(tmp_path):
    res = CurrentResults(seeded(tmp_path, THREE_SEEDS))
    assert spread.three_seed_settings(res, ["xnli"]) == ["mnli", "squad"]
    pooled = spread.gain_spread(res, "xnli")
    assert pooled.df == 4 and pooled.variance == pytest.approx((2 / 3 + 14 / 3) / 4)
    assert pooled.per_setting["mnli"] == pytest.approx((4.0, 5.0, 4.0))
    est = res.gain("qqp", "xnli")
    half = 2.776 * math.sqrt(4 / 3)
    assert est.value == pytest.approx(3.0) and (est.lo, est.hi) == pytest.approx((3.0 - half, 3.0 + half))
    assert est.method == "t-interval, 1 seed, seed variance pooled from mnli and squad (4 df)"
    three = res.gain("mnli", "xnli")   # three seeds of its own: its own t-interval, 2 df
    assert three.method == "t-interval over 3 seeds" and three.value == pytest.approx(13 / 3)


def test_a_difference_between_settings_adds_the_pooled_variance_of_each_side(tmp_path):
    res = CurrentResults(seeded(tmp_path, THREE_SEEDS))
    est = res.difference("qqp", "mnli", ["xnli"])   # seed 0 only: 63 - 64
    # each side: scores of mnli (64, 66, 63) and squad (62, 61, 62) around their means, pooled: 16/3 / 4
    half = 2.776 * math.sqrt(2 * (14 / 3 + 2 / 3) / 4)
    assert est.value == pytest.approx(-1.0) and (est.lo, est.hi) == pytest.approx((-1.0 - half, -1.0 + half))
    assert "(4 df)" in est.method


def test_without_a_three_seed_setting_the_interval_covers_test_items_only(tmp_path):
    df = world(tmp_path, {("baseline", "xnli"): 60.0, ("mnli", "xnli"): 65.0})
    est = CurrentResults(df, n_boot=300).gain("mnli", "xnli")
    assert est.method == "evaluation-sample interval (test items only), 1 seed" and est.lo > 0


# --------------------------------------------------------------------------- targets that do not learn

def choice_run(root: Path, inter: list[str], task: str, seed: int, golds: list[int], preds: list[int],
               dev: float) -> list[dict]:
    """A classification run whose saved predictions are `preds` against `golds` in both languages."""
    setting = canonical.setting_name(inter)
    folder = root / "grid" / f"{task}-{setting}-s{seed}"
    (folder / "predictions").mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model": "me5-small", "seed": seed,
                                                    "intermediate": {"tasks": inter}, "target": {"task": task}}))
    acc = 100.0 * sum(g == p for g, p in zip(golds, preds)) / len(golds)
    (folder / "metrics.json").write_text(json.dumps({"task": task, "english_dev": dev,
                                                     "per_language": {lang: {"accuracy": acc} for lang in LANGS}}))
    rows = []
    for lang in LANGS:
        (folder / "predictions" / f"{lang}.jsonl").write_text(
            "".join(json.dumps({"gold": g, "prediction": p}) + "\n" for g, p in zip(golds, preds)))
        rows.append({"experiment": "grid", "run_id": folder.name, "run_path": str(folder), "task": task,
                     "seed": seed, "model": "me5-small", "language": lang, "metric": "accuracy", "value": acc,
                     "intermediate": setting})
    return rows


GOLD = [0] * 55 + [1] * 45   # majority rate 55 %


def test_exclusion_rule_by_hand(tmp_path):
    rows = []
    for seed in (0, 1):  # pawsx: one class for every test pair
        rows += choice_run(tmp_path, [], "pawsx", seed, GOLD, [0] * 100, dev=58.0)
    rows += choice_run(tmp_path, [], "xcopa", 0, [0, 1] * 50, [0, 1] * 30 + [1, 0] * 20, dev=57.0)  # near chance
    rows += choice_run(tmp_path, [], "xnli", 0, [0, 1, 2] * 30, [0, 1, 2] * 20 + [1, 2, 0] * 10, dev=70.0)
    rows += write_run(tmp_path, [], "panx", 0, {"en": 100, "de": 100})
    found = {c.task: c for c in exclusion.checks(canonical.canonical(pd.DataFrame(rows)))}
    pawsx, xcopa, xnli, panx = found["pawsx"], found["xcopa"], found["xnli"], found["panx"]
    assert pawsx.excluded and pawsx.one_class_share == pytest.approx(100.0) and pawsx.majority == pytest.approx(55.0)
    assert pawsx.seeds == 2 and "100.0 % of the test items in one class" in pawsx.reason
    assert xcopa.excluded and xcopa.chance == pytest.approx(50.0) and xcopa.floor == pytest.approx(50.0)
    assert "+7.0 points from the floor of 50.0 %" in xcopa.reason and xcopa.one_class_share == pytest.approx(50.0)
    assert not xnli.excluded and xnli.chance == pytest.approx(100 / 3)
    assert not panx.excluded and "does not apply" in panx.reason
    assert exclusion.excluded(list(found.values())) == {"pawsx": pawsx.reason, "xcopa": xcopa.reason}
    assert list(exclusion.table(list(found.values()))["left out"]) == ["no", "yes", "yes", "no"]


def test_exclusion_thresholds_are_strict_at_the_edge(tmp_path):
    """Exactly 10 points above the floor is kept; 94 % of items in one class is kept."""
    rows = choice_run(tmp_path, [], "xcopa", 0, [0, 1] * 50, [0, 1] * 50, dev=60.0)
    rows += choice_run(tmp_path, [], "pawsx", 0, [0, 1] * 50, [0] * 94 + [1] * 6, dev=80.0)
    found = {c.task: c for c in exclusion.checks(canonical.canonical(pd.DataFrame(rows)))}
    assert not found["xcopa"].excluded and not found["pawsx"].excluded, [c.reason for c in found.values()]


def test_a_left_out_target_leaves_the_deciding_average(tmp_path):
    acc = {("baseline", "xnli"): 60.0, ("mnli", "xnli"): 64.0, ("qqp", "xnli"): 61.0,
           ("baseline", "pawsx"): 55.0, ("mnli", "pawsx"): 85.0, ("qqp", "pawsx"): 80.0}
    dev = {(s, t): 70.0 if s == "mnli" else 65.0 for s in ("mnli", "qqp") for t in ("xnli", "pawsx")}
    frame = world(tmp_path, acc, dev=dev)
    res = CurrentResults(frame, n_boot=300, excluded={"pawsx": "pawsx: left out; one class."})
    v = verdicts.verdict_c5(res)
    assert v.evidence["targets"] == ["xnli"] and v.evidence["left_out"]["pawsx"] == "pawsx: left out; one class."
    assert v.evidence["gain"]["value"] == pytest.approx(4.0)
    kept = verdicts.verdict_c5(CurrentResults(frame, n_boot=300))
    assert kept.evidence["gain"]["value"] == pytest.approx((4.0 + 30.0) / 2)


# --------------------------------------------------------------------------- three verdict values

def test_a_comparison_reads_its_side_of_zero():
    def outcome(lo, hi):
        return Comparison("x", stats.Estimate(1.0, lo, hi, "t", 3)).outcome
    assert outcome(0.1, 2.0) == REPRODUCED and outcome(-2.0, -0.1) == CONTRADICTED
    assert outcome(-0.1, 2.0) == UNDECIDED and outcome(0.0, 0.0) == UNDECIDED and outcome(None, None) == UNDECIDED
    rep, con, und = (Comparison("x", stats.Estimate(1.0, *b, "t", 3)) for b in ((0.5, 1.5), (-2, -1), (-1, 1)))
    assert verdicts.combine([rep, rep]) == REPRODUCED
    assert verdicts.combine([rep, und]) == UNDECIDED and verdicts.combine([und, con, rep]) == CONTRADICTED


def current_c1(root, gains: dict[str, float]):
    acc = {("baseline", t): 50.0 for t in ("xnli", "xcopa")}
    acc.update({(s, t): 50.0 + g for s, g in gains.items() for t in ("xnli", "xcopa")})
    return CurrentResults(world(root, acc), n_boot=500)


def test_c1_three_values(tmp_path):
    rep = verdicts.verdict_c1(current_c1(tmp_path / "a", {"squad": 8, "mnli": 7, "hellaswag": 6, "qqp": 1}))
    assert rep.verdict == REPRODUCED, rep.reason
    assert [c["name"] for c in rep.evidence["comparisons"]][-1] == "hellaswag minus qqp (the best other task)"
    assert rep.evidence["comparisons"][0]["paper"] == "+8.2"
    con = verdicts.verdict_c1(current_c1(tmp_path / "b", {"squad": 8, "mnli": -5, "hellaswag": 6, "qqp": 1}))
    assert con.verdict == CONTRADICTED and "mnli average gain -5.0" in con.reason
    und = verdicts.verdict_c1(current_c1(tmp_path / "c", {"squad": 8, "mnli": 7, "hellaswag": 0, "qqp": -2}))
    assert und.verdict == UNDECIDED, und.reason
    alone = verdicts.verdict_c1(current_c1(tmp_path / "d", {"squad": 8, "mnli": 7, "hellaswag": 6}))
    assert alone.verdict == UNDECIDED and "cannot be checked yet" in alone.reason
    assert verdicts.verdict_c1(current_c1(tmp_path / "e", {"squad": 8, "mnli": 7})).verdict == verdicts.NOT_TESTABLE


def test_c4_and_c6_three_values(tmp_path):
    acc = {("baseline", "xnli"): 60.0, ("baseline", "tydiqa"): 40.0}
    acc.update({(s, "tydiqa"): 48.0 for s in ("mnli", "qqp")})
    acc.update({(s, "xnli"): 60.0 for s in ("mnli", "qqp")})
    c4 = verdicts.verdict_c4(CurrentResults(world(tmp_path / "a", acc), n_boot=300))
    assert c4.verdict == REPRODUCED and [c["outcome"] for c in c4.evidence["comparisons"]] == [REPRODUCED] * 2
    left = verdicts.verdict_c4(CurrentResults(world(tmp_path / "b", acc), n_boot=300, excluded={"xnli": "xnli: out."}))
    assert left.verdict == verdicts.NOT_TESTABLE and "xnli is left out" in left.reason
    six = {("baseline", "xnli"): 60.0, ("mnli", "xnli"): 62.0, ("mnli+mlm", "xnli"): 66.0,
           ("xnli-translated", "xnli"): 61.0}
    c6 = verdicts.verdict_c6(CurrentResults(world(tmp_path / "c", six, mlm_settings=("mnli+mlm",)), n_boot=300))
    assert c6.verdict == CONTRADICTED and c6.evidence["differences"]["mlm"]["value"] == pytest.approx(-4.0)


def test_current_verdicts_on_empty_results_are_not_testable():
    out = verdicts.all_verdicts(CurrentResults(pd.DataFrame()))
    assert {v.verdict for v in out.values()} == {verdicts.NOT_TESTABLE} and set(out) == set(claims.CLAIMS)


# --------------------------------------------------------------------------- a profile reads its ancestors' runs

def test_a_profile_reads_the_runs_it_has_not_copied_from_the_profile_it_extends(tmp_path, monkeypatch):
    from xtl import profiles

    monkeypatch.setenv("XTL_RESULTS", str(tmp_path))

    def run(experiment: str, run_id: str, cells: dict) -> profiles.Run:
        return profiles.Run("child", experiment, run_id, "target", Path("t.ipynb"), {"seed": 0}, {},
                            tmp_path / "child" / experiment / run_id, cells=cells)

    def done(profile: str, experiment: str, run_id: str) -> Path:
        folder = tmp_path / profile / experiment / run_id
        folder.mkdir(parents=True)
        (folder / "metrics.json").write_text("{}")
        return folder

    planned = [run("target", "a", {"intermediate": "mnli", "target": "xnli"}),
               run("target", "b", {"intermediate": "mnli", "target": "panx"}),
               run("target", "c", {"intermediate": "qqp", "target": "xnli"})]
    own = done("child", "target", "a")
    done("parent", "target", "a")   # copied already: the child's own folder stands for it
    borrowed = done("parent", "target", "b")
    done("parent", "target", "unplanned")   # not in the child's plan: not read
    assert sources.folders("child", tmp_path, planned, ["parent"]) == [own, borrowed]
    assert sources.run_names(planned) == "target/mnli-{xnli, panx}-s0; target/qqp-xnli-s0"


def test_qa_items_count_em_and_f1_as_xtreme_does():
    qa = [{"gold": {"id": "a", "answers": ["the red car", "red car"]}, "prediction": "red car model"},
          {"gold": {"id": "b", "answers": ["Paris"]}, "prediction": "Paris"},
          {"gold": {"id": "c", "answers": ["1999"]}, "prediction": "2001"}]
    official = metrics.squad_scores({x["gold"]["id"]: x["prediction"] for x in qa},
                                    {x["gold"]["id"]: x["gold"]["answers"] for x in qa})
    both = items.item_scores("xquad", "en", qa, qa="em_f1").score()
    assert both == pytest.approx((official["f1"] + official["exact_match"]) / 2)
    assert official["f1"] != official["exact_match"]   # the case tells the two conventions apart
    assert items.item_scores("tatoeba", "deu", [{"gold": 1, "prediction": 1}]) is None  # retrieval: not per item
    assert not items.per_item("bucc2018") and items.per_item("xquad")
