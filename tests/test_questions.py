"""The questions (xtl.report.questions) at the reference scale: the grid they plan, the cells they share with the
reference grid, each question's cell selector on hand-made result folders, effects, verdicts and figures."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
import yaml

from xtl import tasks as registry
from xtl.errors import XtlError
from xtl.paths import environment
from xtl.report import stats
from xtl.report.questions import data, figure, q1, q2, q3, q4, q5, rules, run

matplotlib.use("Agg")

REPO = Path(__file__).parents[1]
LANGS = ("en", "de", "sw", "yo")


def rows(tasks, target, seed, scores, model="me5-small", inter_max_length=128, inter_examples=None, run_id=None):
    """Frame rows (data.COLUMNS) of one run: `scores` maps language -> value."""
    name = run_id or f"{'+'.join(tasks) or 'baseline'}-{inter_max_length}-{inter_examples}-{target}-{model}-s{seed}"
    return [{"profile": "p", "run_id": name, "run_path": name, "model": model, "layers": data.layers_of(model),
             "setting": data.setting_label(tasks), "tasks": tuple(tasks),
             "inter_max_length": inter_max_length if tasks else None, "inter_examples": inter_examples if tasks else None,
             "target": target, "seed": seed, "language": lang, "metric": "f1", "value": float(v), "english_dev": None,
             "eval_max_length": 128, "eval_limit": 500, "split": "test"} for lang, v in scores.items()]


def frame_of(records) -> pd.DataFrame:
    return pd.DataFrame(records, columns=data.COLUMNS)


def flat(value, langs=LANGS):
    return {lang: value for lang in langs}


JITTER = (0.0, 0.3, -0.3)


def cell(setting, target, scores, model="me5-small", jitter=JITTER):
    """Three seeds of one cell; seed k adds jitter[k] to every value (the same for every setting)."""
    if isinstance(setting, data.Setting):
        tasks, length, examples = setting.tasks, setting.max_length, setting.examples
    else:
        tasks, length, examples = setting
    return [r for seed, j in enumerate(jitter)
            for r in rows(tasks, target, seed, {k: v + j for k, v in scores.items()}, model, length, examples)]


# --------------------------------------------------------------------------- statistics and rules

def test_t_interval_by_hand():
    effect = stats.t_interval({0: 1.0, 1: 2.0, 2: 3.0})
    half = 4.303 * 1.0 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert effect.value == pytest.approx(2.0)
    assert (effect.lo, effect.hi) == (pytest.approx(2.0 - half), pytest.approx(2.0 + half))
    assert effect.text() == "+2.0 [-0.5, +4.5]"


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


def test_seeds_to_decide_by_hand():
    # mean 1.0, sd 1.0: zero is excluded once t(n-1) / sqrt(n) < 1, first at n = 7 (2.447 / 2.646 = 0.925;
    # n = 6: 2.571 / 2.449 = 1.05)
    effect = stats.t_interval({0: 0.0, 1: 1.0, 2: 2.0})
    assert rules.seeds_to_decide(effect) == 7
    assert "about 7 seeds" in rules.decision_note(effect)
    # non-inferiority: the interval must clear -1, which leaves 2.0 of room: t(n-1) / sqrt(n) < 2, first at n = 4
    # (3.182 / 2 = 1.59; n = 3: 4.303 / 1.732 = 2.48, the interval measured now, [-1.48, +3.48])
    assert rules.seeds_to_decide(effect, non_inferiority=True) == 4
    assert rules.seeds_to_decide(stats.t_interval({0: 1.0})) is None
    assert "not measured yet" in rules.decision_note(stats.t_interval({0: 1.0}))


def test_names():
    assert data.setting_label(()) == "baseline"
    assert data.setting_label(("afrisenti:hau", "afrisenti:swa", "afrisenti:yor")) == "afrisenti:hau,swa,yor"
    assert data.setting_label(("mnli", "xnli-translated")) == "mnli+xnli-translated"
    assert [data.layers_of(m) for m in ("me5-small", "me5-small-l3", "me5-small-top6", "tiny-random")] == [12, 3, 6, None]
    assert data.phase2_examples({"tasks": ["mnli", "xnli-translated"], "train_limit": 50,
                                 "task_limits": {"xnli-translated": 7}}) == 57
    assert data.phase2_examples({"tasks": []}) is None
    assert rules.family() == rules.PROFILES and rules.PROFILES[0].endswith("-shared")


# --------------------------------------------------------------------------- hand-made result folders

def write_run(root: Path, profile: str, tasks, target, seed, per_language, model="me5-small", max_length=128,
              train_limit=None, task_limits=None, experiment="target"):
    """A finished run folder as xtl.experiment writes it (config.json, metrics.json); its name is its id."""
    inter = {"tasks": list(tasks), "max_length": max_length, "train_limit": train_limit,
             "task_limits": task_limits or {}}
    config = {"model": model, "seed": seed, "intermediate": inter if tasks else {"tasks": []},
              "target": {"task": target, "max_length": 128, "eval_limit": 500}}
    name = f"{target}-{'+'.join(tasks) or 'baseline'}-{model}-{max_length}-{data.phase2_examples(inter)}-s{seed}"
    folder = root / profile / experiment / name
    folder.mkdir(parents=True)
    metric = "accuracy" if target == "xnli" else "f1"
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "metrics.json").write_text(json.dumps({
        "task": target, "metric": metric, "per_language": {k: {metric: v} for k, v in per_language.items()},
        "split_per_language": {k: "test" for k in per_language}, "english_dev": 50.0}))
    return name


def write_phase2(root: Path, profile: str, tasks, seed, history, model="me5-small", max_length=128, train_limit=None):
    folder = root / profile / "intermediate" / f"{'+'.join(tasks)}-{model}-{max_length}-{train_limit}-s{seed}"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model": model, "seed": seed, "intermediate": {
        "tasks": list(tasks), "max_length": max_length, "train_limit": train_limit, "task_limits": {}}}))
    (folder / "metrics.json").write_text(json.dumps({"task": list(tasks), "english_dev": max(v for _, v in history),
                                                     "dev_history": history, "train": {"wall_s": 3.0}}))


def test_load_reads_configs_phase2_records_and_each_run_once(tmp_path):
    write_run(tmp_path, "p", [], "panx", 0, {"en": 80.0, "sw": 40.0})
    write_run(tmp_path, "p", ["afrisenti:hau", "afrisenti:swa"], "panx", 0, {"en": 81.0, "sw": 43.0},
              task_limits={"afrisenti:hau": 5, "afrisenti:swa": 6})
    write_run(tmp_path, "p-l3", ["mnli"], "panx", 1, {"en": 70.0, "sw": 30.0}, model="me5-small-l3", train_limit=64)
    write_phase2(tmp_path, "p", ["mnli"], 0, [[50, 45.0], [100, 61.5]], train_limit=64)
    frame = data.load(["p", "p-l3"], tmp_path)
    assert list(frame.columns) == data.COLUMNS
    assert set(frame["setting"]) == {"baseline", "afrisenti:hau,swa", "mnli"}
    assert frame[frame["setting"] == "mnli"]["layers"].iloc[0] == 3
    assert frame[frame["setting"] == "afrisenti:hau,swa"]["inter_examples"].iloc[0] == 11
    assert frame[frame["setting"] == "baseline"]["inter_max_length"].isna().all()
    phase2 = data.load_phase2(["p"], tmp_path)  # phase-2 records are not phase-3 rows
    assert len(phase2) == 1 and phase2.iloc[0]["tasks"] == ("mnli",)
    assert (phase2.iloc[0]["first_step"], phase2.iloc[0]["first_dev"], phase2.iloc[0]["english_dev"]) == (50, 45.0, 61.5)
    assert not frame["run_id"].str.startswith("mnli-").any()


def test_a_comparison_reads_the_languages_every_run_evaluated():
    panel = cell(((), 128, None), "panx", {"en": 80.0, "de": 50.0, "sw": 30.0})  # a new cell: a panel
    everything = cell((("mnli",), 128, 6400), "panx", {"en": 82.0, "de": 52.0, "sw": 33.0, "fr": 99.0})  # a shared cell
    parts = data.on_common_languages({"a": frame_of(panel), "b": frame_of(everything)})
    assert set(parts["b"]["language"]) == {"en", "de", "sw"}
    assert data.common_languages(frame_of(panel), frame_of(everything)) == {"panx": ["de", "en", "sw"]}


def test_seed_scores_zero_shot_and_the_mean_over_targets():
    frame = frame_of(cell(((), 128, None), "panx", {"en": 90.0, "de": 50.0, "sw": 30.0})
                     + cell(((), 128, None), "xnli", {"en": 70.0, "de": 60.0, "sw": 40.0}))
    assert data.seed_scores(data.select(frame, (), ["panx"]), ["panx"])[0] == pytest.approx(40.0)  # English left out
    assert data.seed_scores(data.select(frame, (), ["panx", "xnli"]), ["panx", "xnli"])[1] == pytest.approx(45.3)
    assert data.seed_scores(data.select(frame, (), ["panx"]), ["panx", "xnli"]) == {}


# --------------------------------------------------------------------------- Q1

def q1_folders(root, african_minus_english=1.0):
    """Every Q1 cell, three seeds, plus decoys a selector must leave out: English NER of another size, the
    retired 6-layer toy cells, and an African NER run on PAN-X (a target the NER pair is not scored on)."""
    picked = set()
    for seed, j in enumerate(JITTER):
        for target in ("udpos", "panx", "xnli"):
            picked.add(write_run(root, "p", [], target, seed, {"en": 90.0, "de": 50.0 + j, "yo": 30.0 + j}))
        for pair in q1.PAIRS:
            limits = {t: pair.examples // 3 + (1 if k < pair.examples % 3 else 0) for k, t in enumerate(pair.african)}
            for target in pair.targets:
                english = {"en": 91.0, "de": 52.0 + j, "yo": 31.0 + j}
                african = {k: v + african_minus_english for k, v in english.items()}
                picked.add(write_run(root, "p", pair.african, target, seed, african, task_limits=limits))
                picked.add(write_run(root, "p", pair.english, target, seed, english, train_limit=pair.examples))
        write_run(root, "p", ["panx"], "udpos", seed, flat(99.0, ("en", "de", "yo")), train_limit=280)
        write_run(root, "p", ["panx"], "udpos", seed, flat(99.0, ("en", "de", "yo")), model="me5-small-l6",
                  train_limit=3200)
        write_run(root, "p", list(q1.PAIRS[0].african), "panx", seed, flat(99.0, ("en", "de", "yo")),
                  task_limits={t: 1067 for t in q1.PAIRS[0].african})
    return picked


def test_q1_selector_picks_each_pair_by_config(tmp_path):
    picked = q1_folders(tmp_path)
    frame = data.load(["p"], tmp_path)
    used = set()
    for pair in q1.PAIRS:
        parts = q1.pair_rows(frame, pair)
        assert all(set(part["target"]) == set(pair.targets) for part in parts.values())
        used |= {run_id for part in parts.values() for run_id in part["run_id"]}
    assert used == picked  # every cell, no decoy
    analysis = q1.q1(frame)
    assert analysis.values["effect"] == "+1.0 [+1.0, +1.0]" and analysis.values["effect_ner"] == "+1.0 [+1.0, +1.0]"
    assert analysis.verdict.verdict == "yes"
    assert list(analysis.table["pair"]) == ["NER", "POS", "sentiment"]
    assert set(analysis.table["same rule, this pair"]) == {"yes"}


def q1_world(african_minus_english, jitter=JITTER, pairs=q1.PAIRS):
    out = []
    for pair in pairs:
        for target in pair.targets:
            out += cell(((), 128, None), target, flat(44.0), jitter=jitter)
            out += cell((pair.english, 128, pair.examples), target, flat(45.0), jitter=jitter)
            out += cell((pair.african, 128, pair.examples), target, flat(45.0 + african_minus_english), jitter=jitter)
    return frame_of(out)


def test_q1_outcomes():
    assert q1.q1(q1_world(-0.5)).verdict.verdict == "yes"  # non-inferior: the interval stays above -1
    assert q1.q1(q1_world(-3.0)).verdict.verdict == "no"
    noisy = q1_world(0.0)
    bump = (noisy["tasks"] == q1.PAIRS[0].african) & (noisy["seed"] == 0)
    noisy.loc[bump, "value"] += 9.0  # one seed far off: the interval spans the margin and zero
    verdict = q1.q1(noisy).verdict
    assert verdict.verdict == rules.INCONCLUSIVE and "seeds would decide" in verdict.reason
    assert q1.q1(q1_world(1.0, pairs=q1.PAIRS[:2])).verdict.verdict == rules.NOT_RUN  # the sentiment pair missing
    assert q1.q1(frame_of([])).values["seeds"] == 0


# --------------------------------------------------------------------------- Q2

def q2_world(gain_by_layers, worst_drop=0.0):
    out = []
    for layers, gain in gain_by_layers.items():
        model = q2.Q2_MODELS[layers]
        base = {"en": 80.0, "de": 50.0, "sw": 30.0, "yo": 20.0}
        jitter = (0.0, 0.1 * layers, -0.1 * layers)
        for target in q2.Q2_TARGETS:
            out += cell(((), 128, None), target, base, model, jitter)
            for setting in q2.Q2_SETTINGS:
                inter = {k: v + gain for k, v in base.items()}
                inter["yo"] -= worst_drop
                # training noise that differs by seed and depth, so that the per-seed slopes differ
                noisy = tuple(j + 0.1 * ((layers + seed) % 3 - 1) for seed, j in enumerate(jitter))
                out += cell(setting, target, inter, model, noisy)
    return frame_of(out)


def test_q2_selector_picks_each_depth_and_setting_by_config(tmp_path):
    picked = set()
    for layers, model in q2.Q2_MODELS.items():
        for seed in (0, 1, 2):
            for target in q2.Q2_TARGETS:
                panel = {"en": 80.0, "de": 50.0, "sw": 30.0 + layers}
                picked.add(write_run(tmp_path, "p", [], target, seed, panel, model))
                for setting in q2.Q2_SETTINGS:
                    picked.add(write_run(tmp_path, "p", setting.tasks, target, seed,
                                         {k: v + 1.0 for k, v in panel.items()}, model, setting.max_length,
                                         setting.examples))
                # decoys: SQuAD at Q3's window, MNLI at the toy size
                write_run(tmp_path, "p", ["squad"], target, seed, flat(0.0), model, 128, 2700)
                write_run(tmp_path, "p", ["mnli"], target, seed, flat(0.0), model, 128, 280)
    parts = q2.depth_rows(data.load(["p"], tmp_path))
    assert {r for part in parts.values() for r in part["run_id"]} == picked
    analysis = q2.q2(data.load(["p"], tmp_path))
    assert analysis.values["gain_mean_l3"] == "+1.0 [+1.0, +1.0]" and analysis.values["sizes"] == "3, 6, 12"


def test_q2_slope_per_doubling_and_spread():
    analysis = q2.q2(q2_world({3: 1.0, 6: 2.0, 12: 3.0}, worst_drop=0.6))
    assert analysis.verdict.evidence["slope"]["value"] == pytest.approx(1.0, abs=0.1)
    assert analysis.verdict.verdict == "yes: the gain grows with size"
    row = analysis.table.set_index("layers").loc[6]
    # +2 on de and sw, +1.4 on yo: (2 + 2 + 1.4) / 3 = 1.8, plus the seeds' noise (0, -0.1, +0.1 at 6 layers)
    assert row[f"gain MNLI: {rules.SCORE_AVG}"].startswith("+1.8 [")
    assert row["gain SQuAD: worst language"].startswith("+1.4 [")
    assert set(analysis.plot["statistic"]) == set(q2.STATISTICS)


def test_q2_other_outcomes():
    assert q2.q2(q2_world({3: 3.0, 6: 2.0, 12: 1.0})).verdict.verdict == "no: the gain shrinks with size"
    assert q2.q2(q2_world({3: 2.0, 6: 2.0, 12: 2.0})).verdict.verdict.startswith("no: the gain does not change")
    assert q2.q2(q2_world({12: 2.0})).verdict.verdict == rules.NOT_RUN


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
    lines[1]["prediction"] = "house"
    assert q3.qa_item_table(lines, rows_, "en", words, 6)["f1"].iloc[1] == pytest.approx(100 * 2 / 3)
    with pytest.raises(XtlError, match="not in prediction order"):
        q3.qa_item_table(lines[::-1], rows_, "en", words, 6)
    with pytest.raises(XtlError, match="re-loaded rows"):
        q3.qa_item_table(lines[:1], rows_, "en", words, 6)


def test_q3_selector_picks_squad_windows_and_the_baseline(tmp_path):
    picked = set()
    for seed in (0, 1, 2):
        for window in q3.Q3_WINDOWS:
            picked.add(write_run(tmp_path, "p", ["squad"], "mlqa", seed, {"en": 60.0, "de": 40.0}, max_length=window,
                                 train_limit=q3.Q3_EXAMPLES))
        for target in q3.Q3_DESCRIBED:
            picked.add(write_run(tmp_path, "p", [], target, seed, {"en": 60.0, "de": 40.0}))
        # decoys: another size, another encoder, an English-only row
        write_run(tmp_path, "p", ["squad"], "mlqa", seed, {"de": 1.0}, max_length=256, train_limit=280)
        write_run(tmp_path, "p", ["squad"], "mlqa", seed, {"de": 1.0}, model="me5-small-l6", max_length=256,
                  train_limit=q3.Q3_EXAMPLES)
    chosen = q3.q3_runs(data.load(["p"], tmp_path))
    assert set(chosen["run_id"]) == picked and set(chosen["language"]) == {"de"}


def q3_items(long_gain, short_gain=0.0, target=q3.Q3_TARGET):
    out = []
    for window in (*q3.Q3_WINDOWS, q3.BASELINE_WINDOW):
        for seed, j in enumerate((0.0, 1.0, -1.0)):
            for lang in ("de", "hi"):
                for i, long in enumerate((True, True, False, False)):
                    gain = (long_gain if long else short_gain) if window == q3.Q3_WINDOWS[-1] else 0.0
                    out.append({"target": target, "language": lang, "id": f"{lang}{i}", "tokens": 300 if long else 100,
                                "long": long, "f1": 40.0 + j + gain, "exact_match": 30.0,
                                "run_path": f"{window}-{seed}", "seed": seed, "model": "me5-small", "window": window,
                                "eval_window": 256})
    return pd.DataFrame(out, columns=q3.ITEM_COLUMNS)


def test_q3_long_subset_effect_and_counts():
    analysis = q3.q3(q3_items(long_gain=5.0, short_gain=0.5))
    assert analysis.verdict.verdict == "yes: the longer window helps on long documents"
    assert analysis.values["effect"] == "+5.0 [+5.0, +5.0]"
    assert analysis.values["interaction"] == "+4.5 [+4.5, +4.5]"
    assert analysis.values["effect_384_minus_256"] == "+5.0 [+5.0, +5.0]"
    assert analysis.values["effect_256_minus_128"] == "+0.0 [+0.0, +0.0]"
    assert analysis.values["threshold"] == 256 and analysis.values["long_items"] == 4 and analysis.values["items"] == 8


def test_q3_other_outcomes():
    assert q3.q3(q3_items(long_gain=-3.0)).verdict.verdict == "yes: the shorter window helps on long documents"
    assert q3.q3(q3_items(long_gain=0.0)).verdict.verdict == "no: " + rules.NO_DIFFERENCE
    assert q3.q3(q3_items(0.0).iloc[0:0]).verdict.verdict == rules.NOT_RUN
    assert q3.q3(q3_items(5.0, target="xquad")).verdict.verdict == rules.NOT_RUN  # MLQA decides


# --------------------------------------------------------------------------- Q4

DIFFICULTY = {"anli_plus": 0.9, "mnli": 0.8, "qqp": 0.6, "sst2": 0.4, "squad": 0.85, "hellaswag": 1.0,
              "cosmosqa": 0.95, "commonsenseqa": 0.97}


def phase2_frame(difficulties=DIFFICULTY, seeds=(0, 1, 2)):
    """Phase-2 records whose first dev point gives `difficulties` exactly (dev = 100 - d * (100 - chance))."""
    out = []
    for s in q4.Q4_SETTINGS:
        if s.name not in difficulties:
            continue
        chance = registry.get(s.tasks[0]).chance
        for seed in seeds:
            out.append({"profile": "p", "run_id": f"{s.name}-{seed}", "model": "me5-small", "seed": seed, "tasks": s.tasks,
                        "setting": s.name, "max_length": s.max_length, "examples": s.examples, "english_dev": 90.0,
                        "first_step": 50, "first_dev": 100.0 - difficulties[s.name] * (100.0 - chance), "wall_s": 1.0})
    return pd.DataFrame(out, columns=data.PHASE2_COLUMNS)


def q4_world(slope_african, slope_other=0.0):
    base = {"en": 80.0, "de": 50.0, "ru": 45.0, "sw": 25.0, "yo": 20.0}
    out = cell(((), 128, None), "panx", base)
    for s in q4.Q4_SETTINGS:
        d = DIFFICULTY[s.name]
        out += cell(s, "panx", {k: v + (slope_african if k in q4.AFRICAN_LANGUAGES else slope_other) * d
                                for k, v in base.items()})
    return frame_of(out)


def test_q4_difficulty_is_chance_normalised_and_read_at_the_budget():
    measured = q4.difficulty(phase2_frame()).groupby("setting")["difficulty"].mean()
    assert measured.to_dict() == pytest.approx(DIFFICULTY)
    assert registry.get("commonsenseqa").chance == 20.0 and registry.get("squad").chance == 0.0


def test_q4_trend_over_the_eight_tasks():
    analysis = q4.q4(q4_world(slope_african=10.0), phase2_frame())
    span = max(DIFFICULTY.values()) - min(DIFFICULTY.values())  # 0.6
    assert analysis.verdict.evidence["african"]["value"] == pytest.approx(10.0 * span)
    assert analysis.values["effect"] == "+6.0 [+6.0, +6.0]" and analysis.values["effect_other"] == "+0.0 [+0.0, +0.0]"
    assert (analysis.values["easy"], analysis.values["hard"]) == ("sst2", "hellaswag")
    assert analysis.values["old_rule"] == "+6.0 [+6.0, +6.0]"  # hardest - easiest: 10 x (1.0 - 0.4)
    assert analysis.verdict.verdict == "yes: harder tasks transfer better to the African languages"
    assert q4.q4(q4_world(-10.0), phase2_frame()).verdict.verdict.startswith("yes: easier")
    flat_trend = stats.t_interval({0: 0.2, 1: -0.2, 2: 0.0})
    assert q4.q4_verdict(flat_trend, flat_trend, flat_trend, flat_trend, "a", "b").verdict == "no: " + rules.NO_DIFFERENCE
    missing = {k: v for k, v in DIFFICULTY.items() if k != "qqp"}
    assert q4.q4(q4_world(10.0), phase2_frame(missing)).verdict.verdict == rules.NOT_RUN  # all eight or none


def test_q4_describes_the_masakhane_zero_shot_targets():
    """Gains on MasakhaNER 2.0 and MasakhaPOS (every language African, English not evaluated) and their own trend:
    gain = 5 x difficulty on the first, 0 on the second, so their mean rises by 2.5 x the span (0.6) = 1.5."""
    world = q4_world(slope_african=10.0).to_dict("records")
    base = {"swa": 30.0, "yor": 20.0, "hau": 25.0}
    for target, slope in (("masakhaner2_zs", 5.0), ("masakhapos_zs", 0.0)):
        world += cell(((), 128, None), target, base)
        for s in q4.Q4_SETTINGS:
            world += cell(s, target, {k: v + slope * DIFFICULTY[s.name] for k, v in base.items()})
    analysis = q4.q4(frame_of(world), phase2_frame())
    assert analysis.values["effect_masakhane"] == "+1.5 [+1.5, +1.5]" and analysis.values["seeds_masakhane"] == 3
    table = analysis.table.set_index("setting")
    assert table.loc["sst2", "gain: masakhaner2_zs"] == "+2.0 [+2.0, +2.0]"   # 5 x 0.4
    assert table.loc["sst2", "gain: masakhapos_zs"] == "+0.0 [+0.0, +0.0]"
    assert analysis.verdict.verdict == "yes: harder tasks transfer better to the African languages"  # PAN-X decides
    assert q4.q4(q4_world(10.0), phase2_frame()).values["effect_masakhane"] == stats.EMPTY.text()  # not run


def test_q4_selector_reads_the_reference_sizes(tmp_path):
    for seed in (0, 1, 2):
        write_run(tmp_path, "p", [], "panx", seed, {"en": 80.0, "sw": 20.0, "de": 50.0})
        for s in q4.Q4_SETTINGS:
            write_run(tmp_path, "p", s.tasks, "panx", seed, {"en": 80.0, "sw": 21.0, "de": 50.0}, max_length=s.max_length,
                      train_limit=s.examples)
            write_phase2(tmp_path, "p", s.tasks, seed, [[50, 60.0], [100, 70.0]], max_length=s.max_length,
                         train_limit=s.examples)
        write_run(tmp_path, "p", ["squad"], "panx", seed, {"en": 0.0, "sw": 99.0, "de": 0.0}, max_length=128,
                  train_limit=2700)  # Q3's window: not Q4's squad
        write_phase2(tmp_path, "p", ["squad"], seed, [[50, 1.0]], max_length=384, train_limit=2700)
    gains = q4.gains_by_group(data.load(["p"], tmp_path), ("panx",))
    assert all(gains[(s.name, "African")].value == pytest.approx(1.0) for s in q4.Q4_SETTINGS)
    measured = q4.difficulty(data.load_phase2(["p"], tmp_path))
    assert len(measured) == 24 and set(measured["dev_at_budget"]) == {60.0}


# --------------------------------------------------------------------------- Q5

def test_q5_selector_and_effect(tmp_path):
    for seed in (0, 1, 2):
        for target in q5.Q5_TARGETS:
            write_run(tmp_path, "p", q5.Q5_ENGLISH.tasks, target, seed, {"en": 80.0, "de": 50.0 + seed, "fr": 10.0},
                      train_limit=6400)
            write_run(tmp_path, "p", q5.Q5_MIXED.tasks, target, seed, {"en": 80.0, "de": 52.0 + seed},
                      task_limits={"mnli": 3208, "xnli-translated": 3192})
            write_run(tmp_path, "p", q5.Q5_MIXED.tasks, target, seed, {"en": 0.0, "de": 0.0},
                      task_limits={"mnli": 140, "xnli-translated": 140})  # decoy: the toy size
    analysis = q5.q5(data.load(["p"], tmp_path))
    assert analysis.values["effect"] == "+2.0 [+2.0, +2.0]"  # on de only: fr is not in the mixed runs
    assert analysis.values["effect_xnli"] == "+2.0 [+2.0, +2.0]"
    assert analysis.verdict.verdict == "mixed is better"
    assert q5.q5(data.load(["p"], tmp_path).query("target != 'xnli'")).verdict.verdict == rules.NOT_RUN


# --------------------------------------------------------------------------- figures

@pytest.mark.parametrize("analysis", [
    lambda: q1.q1(q1_world(0.5)),
    lambda: q2.q2(q2_world({3: 1.0, 6: 2.0, 12: 3.0})),
    lambda: q3.q3(q3_items(long_gain=5.0)),
    lambda: q4.q4(q4_world(10.0), phase2_frame()),
    lambda: q5.q5(frame_of(cell(q5.Q5_ENGLISH, "udpos", flat(40.0)) + cell(q5.Q5_MIXED, "udpos", flat(41.0)))),
    lambda: q1.q1(frame_of([])),  # not run: a placeholder figure
])
def test_figures_have_labelled_axes(analysis):
    import matplotlib.pyplot as plt

    fig = figure.figure(analysis())
    ax = fig.axes[0]
    if ax.axison:
        assert ax.get_xlabel() and ax.get_ylabel()
    plt.close(fig)


# --------------------------------------------------------------------------- the grid: the dry runs and the reference

@pytest.fixture(scope="module")
def family(tmp_path_factory):
    # no cached encoder: every estimate from scratch, the same on any machine
    with environment(XTL_CHECKPOINTS=str(tmp_path_factory.mktemp("no-checkpoints"))):
        merged = run.grid()
        return run.planned(rules.PROFILE, merged), run.shared_ids(merged), merged


def test_the_dry_runs_list_the_intended_cells(family):
    planned, _, _ = family
    assert set(planned) == set(rules.PROFILES)
    listed = {}
    for name, runs_ in planned.items():
        for r in runs_:
            key = run.cell_of(r)
            assert key not in listed, f"{key} is planned by {listed.get(key)} and {name}"
            listed[key] = name
    intended = {(c.setting, c.target, c.layers, seed) for cells in run.CELLS.values() for c in cells for seed in c.seeds}
    assert intended <= set(listed), sorted(intended - set(listed))[:5]
    assert set(listed) <= intended, sorted(set(listed) - intended)[:5]  # no run that no question reads
    # three seeds for every cell a verdict reads (the described Q4 cells excepted)
    for question, cells in run.CELLS.items():
        for c in cells:
            if c.seeds == run.ALL_SEEDS:
                assert all((c.setting, c.target, c.layers, s) in listed for s in run.ALL_SEEDS), (question, c)


def test_shared_cells_have_the_reference_run_ids_and_nothing_else_does(family):
    planned, shared, _ = family
    shared_profile, *others = rules.PROFILES
    assert planned[shared_profile] and all(run._where(r) in shared for r in planned[shared_profile])
    for name in others:  # a cell the reference grid has is never planned (so never trained) outside `-shared`
        assert not [r.label for r in planned[name] if run._where(r) in shared], name
    # the reference grid's configs exactly: a shared run's config is the reference run's, field by field
    reference = {r.label: r for r in run.expand(rules.SHARED_WITH, grid=run.deep_merge(family[2]))}
    for r in planned[shared_profile]:
        assert r.config == reference[r.label].config and r.results.name == reference[r.label].results.name


def test_the_design_fits_the_budget(family):
    planned, shared, _ = family
    not_shared = [r for runs_ in planned.values() for r in runs_ if run._where(r) not in shared]
    hours = sum(r.estimate_s for r in not_shared) / 3600   # xtl.estimate prices a cut encoder at its depth
    assert hours <= 12.0, f"{hours:.1f} h not shared: cut cells or evaluation (experiments.yml)"


def test_sizes_agree_with_experiments_yml(family):
    merged = family[2]
    settings = {**merged["settings"], **merged["profiles"]["reference-first"]["settings"],
                **merged["profiles"]["reference"]["settings"], **merged["profiles"][rules.PROFILE]["settings"]}
    for pair, (african, english) in zip(q1.PAIRS, (("q1_masakhaner2", "q1_panx"), ("q1_masakhapos", "q1_udpos"),
                                                   ("q1_afrisenti", "sst2"))):
        assert tuple(settings[african]["tasks"]) == pair.african
        assert sum(settings[african]["task_limits"].values()) == pair.examples == settings[english]["train_limit"]
        assert tuple(settings[english]["tasks"]) == pair.english
    for s in q4.Q4_SETTINGS:  # the reference grid's settings, as Q2 and Q4 select them
        got = settings[s.name]
        assert (tuple(got["tasks"]), got.get("max_length", 128), got["train_limit"]) == (s.tasks, s.max_length,
                                                                                        s.examples), s.name
    assert {s.name: s for s in q4.Q4_SETTINGS}["mnli"].examples == q2.Q2_SETTINGS[0].examples
    mixed = settings["q5_mixed_nli"]
    assert tuple(mixed["tasks"]) == q5.Q5_MIXED.tasks and sum(mixed["task_limits"].values()) == q5.Q5_MIXED.examples
    windows = (settings["q3_squad128"]["max_length"], settings["squad"]["max_length"], settings["q3_squad384"]["max_length"])
    assert windows == q3.Q3_WINDOWS
    assert all(settings[k]["train_limit"] == q3.Q3_EXAMPLES for k in ("q3_squad128", "squad", "q3_squad384"))


def test_the_retired_toy_profiles_stay_defined():
    grid = yaml.safe_load((REPO / "experiments.yml").read_text())
    assert set(rules.RETIRED_PROFILES) <= set(grid["profiles"])
    assert not set(rules.RETIRED_PROFILES) & set(rules.PROFILES)


# --------------------------------------------------------------------------- the command and the chapters

def test_unknown_question():
    with pytest.raises(XtlError, match="unknown question"):
        run.analyse("q9")


def test_every_key_a_chapter_pastes_is_glued_by_the_notebook():
    """Keys in book/questions/q*.md exist for every outcome (values of a not-run analysis + fixed notebook keys)."""
    import re

    source = "\n".join("".join(c["source"]) for c in json.loads((REPO / "notebooks/questions.ipynb").read_text())["cells"])
    fixed = set(re.findall(r'text\("([a-z0-9_]+)"', source)) | set(re.findall(r'glue\(f"\{question\}_([a-z0-9_]+)"', source))
    assert {"verdict", "reason", "fig", "table", "planned_runs", "cost_measured"} <= fixed
    empty = frame_of([])
    not_run = {"q1": q1.q1(empty), "q2": q2.q2(empty), "q3": q3.q3(q3_items(0.0).iloc[0:0]),
               "q4": q4.q4(empty, phase2_frame({})), "q5": q5.q5(empty)}
    for question, analysis in not_run.items():
        assert analysis.verdict.verdict == rules.NOT_RUN
        page = (REPO / "book" / "questions" / f"{question}.md").read_text()
        pasted = set(re.findall(rf"{question}_questions\.ipynb::{question}_([a-z0-9_]+)", page))
        pasted |= set(re.findall(rf"\{{glue:any\}} {question}_([a-z0-9_]+)\n:doc: {question}_questions\.ipynb", page))
        assert "verdict" in pasted and "fig" in pasted
        missing = pasted - fixed - set(analysis.values)
        assert not missing, f"{question}.md pastes keys nobody glues: {sorted(missing)}"


def test_measured_time_sums_every_profile_manifest_but_copies(tmp_path, monkeypatch):
    monkeypatch.setenv("XTL_BOOK_RUNS", str(tmp_path))
    for profile, seconds in ((rules.PROFILE, [30.0, 45.5]), (rules.PROFILES[-1], [200.0])):
        (tmp_path / profile).mkdir()
        manifest = {f"target/run{k}": {"notebook_wall_s": s} for k, s in enumerate(seconds)}
        (tmp_path / profile / "runs.json").write_text(json.dumps(manifest))
    (tmp_path / rules.PROFILES[0]).mkdir()
    (tmp_path / rules.PROFILES[0] / "runs.json").write_text(
        json.dumps({"target/x": {"notebook_wall_s": 999.0, "copied_from": "reference"}}))
    assert run.measured_time() == (3, 275.5)
    assert run.measured_time([rules.PROFILES[2]]) == (0, 0.0)  # a profile that has not run yet
