"""The questions (xtl.report.questions) on hand-made results: intervals, selections, each question's effect and every verdict outcome."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
import yaml

from xtl import profiles
from xtl import tasks as registry
from xtl.errors import XtlError
from xtl.report import stats
from xtl.report.questions import data, figure, q1, q2, q3, q4, q5, rules, run

matplotlib.use("Agg")

LANGS = ("en", "de", "sw", "yo")


def rows(tasks, target, seed, scores, model="me5-small-l6", inter_max_length=64):
    """Frame rows (data.COLUMNS) of one run: `scores` maps language -> value."""
    return [{"profile": "questions", "run_id": f"{'+'.join(tasks) or 'baseline'}-{target}-{model}-s{seed}",
             "run_path": "", "model": model, "layers": data.layers_of(model), "setting": data.setting_label(tasks),
             "tasks": tuple(tasks), "inter_max_length": inter_max_length if tasks else None, "target": target,
             "seed": seed, "language": lang, "metric": "f1", "value": float(v), "english_dev": None,
             "eval_max_length": 64, "eval_limit": 100, "split": "validation"} for lang, v in scores.items()]


def world(spec, seeds=(0, 1, 2), jitter=(0.0, 0.3, -0.3), model="me5-small-l6") -> pd.DataFrame:
    """spec: {(tasks, target): {lang: value}}; seed k adds jitter[k] to every value (same for all settings)."""
    out = []
    for (tasks, target), scores in spec.items():
        for seed, j in zip(seeds, jitter):
            out += rows(tasks, target, seed, {lang: v + j for lang, v in scores.items()}, model)
    return pd.DataFrame(out, columns=data.COLUMNS)


def flat(value, langs=LANGS):
    return {lang: value for lang in langs}


# --------------------------------------------------------------------------- statistics

def test_t_interval_by_hand():
    effect = stats.t_interval({0: 1.0, 1: 2.0, 2: 3.0})
    half = 4.303 * 1.0 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert effect.value == pytest.approx(2.0)
    assert (effect.lo, effect.hi) == (pytest.approx(2.0 - half), pytest.approx(2.0 + half))
    assert effect.n_seeds == 3
    assert effect.text() == "+2.0 [-0.5, +4.5]"


def test_t_interval_edge_cases():
    assert stats.t_interval({}).n_seeds == 0 and stats.t_interval({}).text() == "not run"
    one = stats.t_interval({4: 1.5})
    assert one.lo is None and one.text() == "+1.5 (no interval: 1 seed)"
    assert stats.t_interval({0: 1.0, 1: float("nan")}).n_seeds == 1
    assert stats.t_quantile_975(1) == 12.706 and stats.t_quantile_975(2) == 4.303
    assert stats.t_quantile_975(200) == pytest.approx(1.972, abs=0.001)
    with pytest.raises(XtlError, match="at least 2 seeds"):
        stats.t_quantile_975(0)


def test_contrast_pairs_by_seed():
    effect = stats.contrast({0: 10.0, 1: 12.0, 2: 11.0, 7: 99.0}, {0: 9.0, 1: 10.0, 2: 11.0})
    assert effect.per_seed == {0: 1.0, 1: 2.0, 2: 0.0}


@pytest.mark.parametrize("per_seed, expected", [
    ({0: 2.0, 1: 2.1, 2: 1.9}, "up"),
    ({0: -2.0, 1: -2.1, 2: -1.9}, "down"),
    ({0: 0.1, 1: -0.1, 2: 0.0}, rules.NO_DIFFERENCE),
    ({0: 3.0, 1: -3.0, 2: 0.5}, rules.INCONCLUSIVE),
    ({0: 2.0, 1: 2.1}, rules.INCONCLUSIVE),    # two seeds: below MIN_SEEDS
    ({}, rules.NOT_RUN),
])
def test_classify(per_seed, expected):
    assert rules.classify(stats.t_interval(per_seed), "up", "down") == expected


def test_names():
    assert data.setting_label(()) == "baseline"
    assert data.setting_label(("afrisenti:hau", "afrisenti:swa", "afrisenti:yor")) == "afrisenti:hau,swa,yor"
    assert data.setting_label(("mnli", "xnli-translated")) == "mnli+xnli-translated"
    assert [data.layers_of(m) for m in ("me5-small", "me5-small-l3", "me5-small-top6", "tiny-random")] == [12, 3, 6, None]


# --------------------------------------------------------------------------- loading from result folders

def write_run(root: Path, profile: str, tasks, target, seed, per_language, model="me5-small-l6", name=None):
    folder = root / profile / "questions" / (name or f"{target}-{'+'.join(tasks) or 'baseline'}-s{seed}")
    (folder / "predictions").mkdir(parents=True)
    config = {"model": model, "seed": seed, "intermediate": {"tasks": list(tasks), "max_length": 64, "train_limit": 280},
              "target": {"task": target, "max_length": 64, "eval_limit": 100}}
    metric = "f1" if target != "xnli" else "accuracy"
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "metrics.json").write_text(json.dumps({
        "task": target, "metric": metric, "per_language": {k: {metric: v} for k, v in per_language.items()},
        "split_per_language": {k: "validation" for k in per_language}, "english_dev": 50.0}))
    return folder


def test_load_reads_configs_and_sibling_profiles(tmp_path):
    write_run(tmp_path, "questions", [], "panx", 0, {"en": 80.0, "sw": 40.0})
    write_run(tmp_path, "questions", ["afrisenti:hau", "afrisenti:swa"], "panx", 0, {"en": 81.0, "sw": 43.0})
    write_run(tmp_path, "questions-l3", ["mnli"], "panx", 1, {"en": 70.0, "sw": 30.0}, model="me5-small-l3")
    (tmp_path / "questions" / "intermediate" / "mnli-s0").mkdir(parents=True)
    (tmp_path / "questions" / "intermediate" / "mnli-s0" / "config.json").write_text(
        json.dumps({"model": "me5-small-l6", "seed": 0, "intermediate": {"tasks": ["mnli"], "max_length": 64}}))
    (tmp_path / "questions" / "intermediate" / "mnli-s0" / "metrics.json").write_text(
        json.dumps({"task": ["mnli"], "english_dev": 61.5, "train": {"wall_s": 3.0}}))
    assert data.sibling_profiles("questions", tmp_path) == ["questions", "questions-l3"]
    frame = data.load(data.sibling_profiles("questions", tmp_path), tmp_path)
    assert list(frame.columns) == data.COLUMNS
    assert set(frame["setting"]) == {"baseline", "afrisenti:hau,swa", "mnli"}
    assert frame[frame["setting"] == "mnli"]["layers"].iloc[0] == 3
    assert frame[frame["setting"] == "baseline"]["inter_max_length"].isna().all()
    assert set(frame["split"]) == {"validation"}
    phase2 = data.load_phase2(["questions"], tmp_path)  # phase-2 records are not phase-3 rows
    assert phase2.iloc[0]["english_dev"] == 61.5 and phase2.iloc[0]["tasks"] == ("mnli",)
    assert "mnli-s0" not in set(frame["run_id"])


def test_seed_scores_zero_shot_and_xtreme_average():
    frame = world({((), "panx"): {"en": 90.0, "de": 50.0, "sw": 30.0},
                   ((), "xnli"): {"en": 70.0, "de": 60.0, "sw": 40.0}})
    panx_only = data.seed_scores(data.select(frame, (), ["panx"]), ["panx"])
    assert panx_only[0] == pytest.approx(40.0)  # English left out: (50 + 30) / 2
    both = data.seed_scores(data.select(frame, (), ["panx", "xnli"]), ["panx", "xnli"])
    assert both[1] == pytest.approx((40.3 + 50.3) / 2)
    missing = data.seed_scores(data.select(frame, (), ["panx"]), ["panx", "xnli"])
    assert missing == {}


# --------------------------------------------------------------------------- Q1

T1 = q1.Q1_TARGETS[0]


def q1_world(african, english=45.0, baseline=44.0, jitter=(0.0, 0.3, -0.3)):
    return world({((), T1): flat(baseline), (q1.Q1_ENGLISH, T1): flat(english),
                  (q1.Q1_AFRICAN, T1): flat(african)}, jitter=jitter)


def test_q1_yes_when_african_is_non_inferior():
    analysis = q1.q1(q1_world(african=45.5))
    assert analysis.verdict.verdict == "yes"
    assert analysis.values["effect"] == "+0.5 [+0.5, +0.5]"
    assert analysis.values["seeds"] == 3 and analysis.verdict.evidence["seeds"] == 3
    assert "3 seeds" in analysis.verdict.reason
    assert list(analysis.table.columns) == ["baseline", "English", "African", "African − English"]
    assert analysis.order == ["de", "sw", "yo"] or set(analysis.order) == {"de", "sw", "yo"}


def test_q1_no_and_inconclusive_and_not_run():
    assert q1.q1(q1_world(african=40.0)).verdict.verdict == "no"
    noisy = world({((), T1): flat(44.0), (q1.Q1_ENGLISH, T1): flat(45.0)})
    african = [r for s, v in zip((0, 1, 2), (48.0, 41.0, 44.0)) for r in rows(q1.Q1_AFRICAN, T1, s, flat(v))]
    noisy = pd.concat([noisy, pd.DataFrame(african, columns=data.COLUMNS)])
    assert q1.q1(noisy).verdict.verdict == rules.INCONCLUSIVE
    not_run = q1.q1(world({((), T1): flat(44.0)}))
    assert not_run.verdict.verdict == rules.NOT_RUN and not_run.values["seeds"] == 0
    two_seeds = q1_world(african=47.0)
    assert q1.q1(two_seeds[two_seeds["seed"] < 2]).verdict.verdict == rules.INCONCLUSIVE


# --------------------------------------------------------------------------- Q2

def q2_world(gain_by_layers, worst_drop=0.0):
    frames = []
    for layers, gain in gain_by_layers.items():
        model = "me5-small" if layers == 12 else f"me5-small-l{layers}"
        base = {"en": 80.0, "de": 50.0, "sw": 30.0, "yo": 20.0}
        inter = {k: v + gain for k, v in base.items()}
        inter["yo"] -= worst_drop
        frames.append(world({((), q2.Q2_TARGET): base}, model=model, jitter=(0.0, 0.1 * layers, -0.1 * layers)))
        # training noise: differs by seed and size, so that the per-seed slopes differ
        noisy = [r for seed, j in zip((0, 1, 2), (0.0, 0.1 * layers, -0.1 * layers))
                 for r in rows(q2.Q2_INTERMEDIATE, q2.Q2_TARGET, seed,
                               {k: v + j + 0.1 * ((layers + seed) % 3 - 1) for k, v in inter.items()}, model)]
        frames.append(pd.DataFrame(noisy, columns=data.COLUMNS))
    return pd.concat(frames, ignore_index=True)


def test_q2_slope_per_doubling_and_spread():
    analysis = q2.q2(q2_world({3: 1.0, 6: 2.0, 12: 3.0}, worst_drop=0.6))
    assert analysis.verdict.evidence["slope"]["value"] == pytest.approx(1.0, abs=0.1)
    assert analysis.verdict.verdict == "yes: the gain grows with size"
    row = analysis.table.set_index("layers").loc[6]
    # +2 on de and sw, +1.4 on yo: (2 + 2 + 1.4) / 3 = 1.8, plus the seeds' noise (0, -0.1, +0.1 at 6 layers)
    assert row["gain: zero_shot_avg"].startswith("+1.8 [")
    assert row["gain: worst language"].startswith("+1.4 [")
    assert set(analysis.plot["statistic"]) == {"mean", "std", "worst", "gap"}


def test_q2_other_outcomes():
    assert q2.q2(q2_world({3: 3.0, 6: 2.0, 12: 1.0})).verdict.verdict == "no: the gain shrinks with size"
    flat_gain = q2.q2(q2_world({3: 2.0, 6: 2.0, 12: 2.0})).verdict.verdict
    assert flat_gain.startswith("no: the gain does not change")
    assert q2.q2(q2_world({6: 2.0})).verdict.verdict == rules.NOT_RUN


def test_depth_slope_by_hand():
    slope = q2.depth_slope({2: {0: 0.0, 1: 1.0}, 8: {0: 4.0, 1: 3.0}})  # log2: 1 -> 3
    assert slope.per_seed == {0: pytest.approx(2.0), 1: pytest.approx(1.0)}


# --------------------------------------------------------------------------- Q3

def words(question, context):
    return len(question.split()) + len(context.split())


def test_qa_item_table_scores_and_long_flag():
    rows_ = [{"id": "a", "question": "who ?", "context": "Paris is nice"},
             {"id": "b", "question": "where is it ?", "context": "a b c d e f"}]
    lines = [{"gold": {"id": "a", "answers": ["Paris"]}, "prediction": "Paris"},
             {"gold": {"id": "b", "answers": ["the big house"]}, "prediction": "big house"}]
    table = q3.qa_item_table(lines, rows_, "en", words, window=6)
    assert table["tokens"].tolist() == [5, 10] and table["long"].tolist() == [False, True]
    assert table["f1"].tolist() == [100.0, 100.0]  # 'the' is an article: dropped by SQuAD normalisation
    assert table["exact_match"].tolist() == [100.0, 100.0]
    lines[1]["prediction"] = "house"
    assert q3.qa_item_table(lines, rows_, "en", words, 6)["f1"].iloc[1] == pytest.approx(100 * 2 / 3)
    with pytest.raises(XtlError, match="not in prediction order"):
        q3.qa_item_table(lines[::-1], rows_, "en", words, 6)
    with pytest.raises(XtlError, match="re-loaded rows"):
        q3.qa_item_table(lines[:1], rows_, "en", words, 6)


def q3_items(long_gain, short_gain=0.0):
    out = []
    for window in q3.Q3_WINDOWS:
        for seed, j in zip((0, 1, 2), (0.0, 1.0, -1.0)):
            for lang in ("en", "de"):
                for i, long in enumerate((True, True, False, False)):
                    gain = (long_gain if long else short_gain) if window == q3.Q3_WINDOWS[1] else 0.0
                    out.append({"language": lang, "id": f"{lang}{i}", "tokens": 300 if long else 100, "long": long,
                                "f1": 40.0 + j + gain, "exact_match": 30.0, "run_path": f"{window}-{seed}",
                                "seed": seed, "model": "me5-small-l6", "window": window, "eval_window": 192})
    return pd.DataFrame(out)


def test_q3_long_subset_effect_and_counts():
    analysis = q3.q3(q3_items(long_gain=5.0, short_gain=0.5))
    assert analysis.verdict.verdict == "yes: the longer window helps on long documents"
    assert analysis.values["effect"] == "+5.0 [+5.0, +5.0]"
    assert analysis.values["interaction"] == "+4.5 [+4.5, +4.5]"
    assert analysis.values["threshold"] == 192
    assert analysis.table.loc["en", "long_items"] == 2 and analysis.table.loc["en", "items"] == 4
    assert analysis.values["long_items"] == 4 and analysis.values["items"] == 8


def test_q3_other_outcomes():
    assert q3.q3(q3_items(long_gain=-3.0)).verdict.verdict == "yes: the shorter window helps on long documents"
    assert q3.q3(q3_items(long_gain=0.0)).verdict.verdict == "no: " + rules.NO_DIFFERENCE
    empty = q3.q3(q3_items(0.0).iloc[0:0])
    assert empty.verdict.verdict == rules.NOT_RUN


# --------------------------------------------------------------------------- Q4

def phase2_frame(devs):
    return pd.DataFrame([{"profile": "questions", "model": "me5-small-l6", "seed": s, "tasks": tasks,
                          "setting": data.setting_label(tasks), "max_length": 64, "english_dev": dev, "wall_s": 1.0}
                         for tasks, dev in devs.items() for s in (0, 1, 2)])


def test_difficulty_is_chance_normalised():
    candidates = (("sst2",), ("commonsenseqa",), ("mnli",), ("squad",))
    measured = q4.difficulty(phase2_frame({("sst2",): 80.0, ("commonsenseqa",): 36.0, ("mnli",): 60.0,
                                          ("squad",): 30.0}), candidates)
    by = measured.set_index("setting")["difficulty"]
    assert by["sst2"] == pytest.approx(20 / 50)            # (100 - 80) / (100 - 50)
    assert by["commonsenseqa"] == pytest.approx(64 / 80)   # five choices: chance 20
    assert by["mnli"] == pytest.approx(40 / (100 - 100 / 3))
    assert by["squad"] == pytest.approx(0.7)               # F1: chance 0
    assert registry.get("squad").chance == 0.0 and registry.get("panx").chance == 0.0


def q4_world(hard_gain_african, hard_gain_other=1.0, easy_gain=1.0):
    base = {"en": 80.0, "de": 50.0, "ru": 45.0, "yo": 20.0}
    easy = {k: v + easy_gain for k, v in base.items()}
    hard = {k: v + (hard_gain_african if k in q4.AFRICAN_LANGUAGES else hard_gain_other) for k, v in base.items()}
    return world({((), q4.Q4_TARGET): base, (("panx",), q4.Q4_TARGET): easy, (("squad",), q4.Q4_TARGET): hard})


def test_q4_hard_minus_easy_on_african_languages():
    phase2 = phase2_frame({("panx",): 60.0, ("squad",): 20.0, ("mnli",): 50.0})  # mnli: not a candidate
    analysis = q4.q4(q4_world(hard_gain_african=4.0), phase2)
    assert (analysis.values["easy"], analysis.values["hard"]) == ("panx", "squad")
    assert analysis.values["african"] == "yo"  # sw is not evaluated here
    assert analysis.values["effect"] == "+3.0 [+3.0, +3.0]"
    assert analysis.values["effect_other"] == "+0.0 [+0.0, +0.0]"
    assert analysis.verdict.verdict == "yes: the harder task transfers better to the African languages"
    assert list(analysis.table["setting"]) == ["panx", "squad"]
    assert q4.q4(q4_world(hard_gain_african=1.0), phase2).verdict.verdict == "no: " + rules.NO_DIFFERENCE
    assert q4.q4(q4_world(hard_gain_african=-2.0), phase2).verdict.verdict.startswith("yes: the easier")
    assert q4.q4(q4_world(4.0), phase2.iloc[0:0]).verdict.verdict == rules.NOT_RUN


# --------------------------------------------------------------------------- Q5

def test_q5_mixed_minus_english_on_xtreme_average():
    base = {"en": 80.0, "de": 50.0, "yo": 30.0}
    target = q5.Q5_TARGETS[0]
    frame = world({(q5.Q5_ENGLISH, target): base, (q5.Q5_MIXED, target): {k: v + 2.0 for k, v in base.items()}})
    analysis = q5.q5(frame, {"seed 0": 0, "seed 1": 0, "seed 2": 0})
    assert analysis.values["effect"] == "+2.0 [+2.0, +2.0]"
    assert analysis.values[f"effect_{target}"] == "+2.0 [+2.0, +2.0]"
    assert analysis.values["overlap"] == 0
    assert analysis.verdict.verdict == "mixed is better"
    assert "equals an evaluated sentence: 0" in analysis.verdict.reason
    assert q5.q5(frame[frame["tasks"] == q5.Q5_ENGLISH]).verdict.verdict == rules.NOT_RUN


def test_xtreme_style_average_over_two_targets():
    frame = world({(q5.Q5_ENGLISH, "udpos"): {"en": 90.0, "de": 60.0}, (q5.Q5_ENGLISH, "panx"): {"en": 80.0, "de": 40.0}})
    assert data.seed_scores(data.select(frame, q5.Q5_ENGLISH), ["udpos", "panx"])[0] == pytest.approx(50.0)


def test_text_overlap():
    assert q5.text_overlap(["a\tb", "c\td", "a\tb"], {"a\tb", "x\ty"}) == 2


# --------------------------------------------------------------------------- figures and the grid

@pytest.mark.parametrize("analysis", [
    lambda: q1.q1(q1_world(african=45.5)),
    lambda: q2.q2(q2_world({3: 1.0, 6: 2.0, 12: 3.0})),
    lambda: q3.q3(q3_items(long_gain=5.0)),
    lambda: q4.q4(q4_world(4.0), phase2_frame({("panx",): 60.0, ("squad",): 20.0})),
    lambda: q5.q5(world({(q5.Q5_ENGLISH, "udpos"): flat(40.0), (q5.Q5_MIXED, "udpos"): flat(41.0)})),
    lambda: q1.q1(world({((), T1): flat(44.0)})),  # not run: a placeholder figure
])
def test_figures_have_labelled_axes(analysis):
    import matplotlib.pyplot as plt

    fig = figure.figure(analysis())
    ax = fig.axes[0]
    if ax.axison:
        assert ax.get_xlabel() and ax.get_ylabel()
    plt.close(fig)


def test_questions_yml_matches_the_analysis():
    grid = yaml.safe_load((Path(__file__).parents[1] / "experiments.yml").read_text())
    settings = grid["settings"]
    assert tuple(settings["q1_african_ner"]["tasks"]) == q1.Q1_AFRICAN
    assert tuple(settings["english_ner"]["tasks"]) == q1.Q1_ENGLISH == q5.Q5_ENGLISH == q2.Q2_INTERMEDIATE
    assert tuple(settings["q5_mixed_ner"]["tasks"]) == q5.Q5_MIXED
    assert (settings["q3_squad64"]["max_length"], settings["q3_squad256"]["max_length"]) == q3.Q3_WINDOWS
    assert set(rules.PROFILES) <= set(grid["profiles"])
    for question, cells in run.CELLS.items():  # every cell a question analyses is in its profile's grid
        for suffix, setting, target in cells:
            runs = grid["profiles"]["questions" + suffix]["experiments"][rules.EXPERIMENT]["runs"]
            assert {"intermediate": setting, "target": target} in runs, (question, suffix, setting, target)
    # sizes: the African and English Q1 settings and the two Q5 settings see (about) the same number of examples
    train_limit = grid["profiles"]["questions"]["intermediate"]["train_limit"]
    assert abs(3 * settings["q1_african_ner"]["train_limit"] - train_limit) <= 3
    assert sum(settings["q5_mixed_ner"]["task_limits"].values()) == train_limit


def test_merged_grid_expands():
    merged = run.grid()
    planned = {p: profiles.expand(p, grid=profiles.deep_merge(merged)) for p in rules.PROFILES}
    assert len(planned["questions"]) == 15 and len(planned["questions-l3"]) == 6 and len(planned["questions-q3"]) == 6
    assert {r.config["model"] for r in planned["questions-l12"]} == {"me5-small"}


def test_unknown_question():
    with pytest.raises(XtlError, match="unknown question"):
        run.analyse("q9")


def test_every_key_a_chapter_pastes_is_glued_by_the_notebook():
    """Keys in book/questions/q*.md exist for every outcome (values of a not-run analysis + fixed notebook keys)."""
    import re

    repo = Path(__file__).parents[1]
    source = "\n".join("".join(c["source"]) for c in json.loads((repo / "notebooks/questions.ipynb").read_text())["cells"])
    fixed = set(re.findall(r'text\("([a-z0-9_]+)"', source)) | set(re.findall(r'glue\(f"\{question\}_([a-z0-9_]+)"', source))
    assert {"verdict", "reason", "fig", "table", "planned_runs", "cost_measured"} <= fixed
    empty = pd.DataFrame(columns=data.COLUMNS)
    not_run = {"q1": q1.q1(empty), "q2": q2.q2(empty), "q3": q3.q3(q3_items(0.0).iloc[0:0]),
               "q4": q4.q4(empty, phase2_frame({}).reindex(columns=["profile", "model", "seed", "tasks", "setting",
                                                                   "max_length", "english_dev", "wall_s"])),
               "q5": q5.q5(empty)}
    for question, analysis in not_run.items():
        assert analysis.verdict.verdict == rules.NOT_RUN
        page = (repo / "book" / "questions" / f"{question}.md").read_text()
        pasted = set(re.findall(rf"{question}_questions\.ipynb::{question}_([a-z0-9_]+)", page))
        pasted |= set(re.findall(rf"\{{glue:any\}} {question}_([a-z0-9_]+)\n:doc: {question}_questions\.ipynb", page))
        assert "verdict" in pasted and "fig" in pasted
        missing = pasted - fixed - set(analysis.values)
        assert not missing, f"{question}.md pastes keys nobody glues: {sorted(missing)}"


def test_measured_time_sums_every_profile_manifest(tmp_path, monkeypatch):
    monkeypatch.setenv("XTL_BOOK_RUNS", str(tmp_path))
    for profile, seconds in (("questions", [30.0, 45.5]), ("questions-q3", [200.0])):
        (tmp_path / profile).mkdir()
        manifest = {f"questions/run{k}": {"notebook_wall_s": s} for k, s in enumerate(seconds)}
        (tmp_path / profile / "runs.json").write_text(json.dumps(manifest))
    assert run.measured_time() == (3, 275.5)
    assert run.measured_time(["questions-l3"]) == (0, 0.0)  # a profile that has not run yet
