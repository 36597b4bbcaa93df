"""The evaluation bench (both paths predict the same) and the run profile (its phases add up to the run)."""

from __future__ import annotations

import json
import os

import pytest

import xtl.experiment
from benchmarks import eval_bench, plot, run_profile
from xtl import models

LANGUAGES = ["en", "de"]


@pytest.fixture(scope="module")
def tiny_full():
    """tiny-random with the whole XLM-R vocabulary: the kit's sentences in any language tokenise as in a run."""
    return models.load("tiny-random")


def test_both_evaluation_paths_predict_the_same_on_kit_rows(tiny_full):
    tokenizer, encoder = tiny_full
    for work in eval_bench.load_sets(["xnli", "panx"], LANGUAGES, limit=12):
        model = eval_bench.build_model(encoder, work.task)
        mine = eval_bench.xtl_path(model, work, tokenizer, 64, batch_size=8)
        plain = eval_bench.plain_path(model, work, tokenizer, 64, batch_size=8)
        equal, compared = eval_bench.agreement(mine.predictions, plain.predictions)
        words = sum(len(r["tokens"]) for r in work.rows) if work.fmt == "token_tagging" else len(work.rows)
        assert compared == words and equal / compared >= 0.98, (work.task, work.lang, equal, compared)
        assert mine.tokens == plain.tokens  # same truncation: the same non-pad tokens
        assert plain.padded_tokens == 64 * len(work.rows) >= mine.padded_tokens >= mine.tokens


def test_agreement_counts_items_and_words():
    assert eval_bench.agreement([0, 1, 2], [0, 1, 1]) == (2, 3)
    assert eval_bench.agreement([[0, 1], [2]], [[0, 0], [2]]) == (2, 3)


def test_eval_bench_writes_its_json_and_prints_the_ratio_last(tmp_path, capsys):
    out = tmp_path / "eval.json"
    result = eval_bench.main(["tiny-random"], ["xnli", "panx"], LANGUAGES, limit=8, max_length=64, batch_size=8,
                             sweep=[4, 8], repeats=1, out=out, peak_n=128)

    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == f"eval_speedup_vs_plain={result['eval_speedup_vs_plain']:.2f}"
    written = json.loads(out.read_text())
    assert written["kind"] == "eval" and "workloads" not in written  # xtl.report.scale reads bench files only
    peak = written["matmul_peak_flops"]
    (model,) = written["evaluations"]
    assert model["batch_sweep"]["best_batch_size"] in (4, 8)
    for task in model["tasks"]:
        assert task["examples"] == 8 * len(LANGUAGES) and task["agreement_percent"] >= 98
        for side in task["sides"].values():
            assert side["tokens"] == task["non_pad_tokens"]
            assert side["roofline_fraction"] == pytest.approx(task["model_flops"] / side["wall_s"] / peak)
    rendered = plot.tables({"bench": [], "ablation": [], "eval": [{**written, "file": "x-eval.json"}], "run-profile": []})
    assert f"`eval_speedup_vs_plain={result['eval_speedup_vs_plain']:.2f}`" in "\n".join(rendered)
    assert "*Not measured yet* (`python -m benchmarks.run_profile`)." in rendered


def test_phase_clock_charges_the_innermost_timed_call():
    ticks = iter(range(100))
    clock = run_profile.PhaseClock(now=lambda: float(next(ticks)))
    inner = clock.wrap("tokenise", lambda: None)
    nested_in_dev = clock.wrap(run_profile.DEV, lambda: inner())

    def outer():
        inner()  # charges train up to its start, then tokenise
        nested_in_dev()  # charges train up to its start, then dev scoring with the nested call in it

    clock.start()  # every wrapped call reads the clock once on entry and once on exit: one tick each
    clock.wrap("train", outer)()
    clock.stop()
    # ticks: other 1-2 | train 2-3 | tokenise 3-4 | train 4-5 | dev 5-6 | train 6-7 | other 7-8
    assert dict(clock.seconds) == {"other": 2.0, "train": 3.0, "tokenise": 1.0, run_profile.DEV: 1.0}
    assert clock.calls == {"train": 1, "tokenise": 1, run_profile.DEV: 1}


def test_run_profile_phases_add_up_to_the_whole_run(tmp_path):
    before = {name: os.environ.get(name) for name in ("XTL_RESULTS", "XTL_CHECKPOINTS", "XTL_BOOK_RUNS")}
    overrides = {"model": "tiny-random", "train_limit": 32, "dev_limit": 8, "eval_limit": 8, "languages": LANGUAGES}
    result = run_profile.main("laptop", "baseline-panx-s0", overrides, out=tmp_path / "profile.json")

    phases = result["phases"]
    assert list(phases) == run_profile.ORDER
    assert sum(p["seconds"] for p in phases.values()) == pytest.approx(result["total_s"])
    assert result["total_s"] == pytest.approx(result["wall_s"], rel=0.02, abs=0.05)  # nothing counted twice
    assert sum(p["share"] for p in phases.values()) == pytest.approx(1.0)
    for name in ("load data", "load model", "tokenise", "train", "evaluate", "write"):
        assert phases[name]["seconds"] > 0 and phases[name]["calls"] >= 1, name
    assert phases[run_profile.DEV]["calls"] == 1  # the laptop profile scores English dev once per epoch
    assert phases["evaluate"]["calls"] == 3 * len(LANGUAGES)  # logits, decode, score per language
    assert result["config"]["model"] == "tiny-random" and sorted(result["languages"]) == sorted(LANGUAGES)
    assert result["train_report"]["steps"] == 2  # 32 sentences, batch 16
    # the wrapped functions are put back and the run wrote nowhere but a temporary folder
    assert xtl.experiment.train.__module__ == "xtl.train" and not hasattr(xtl.experiment.train, "__wrapped__")
    assert {name: os.environ.get(name) for name in before} == before
    written = {**json.loads((tmp_path / "profile.json").read_text()), "file": "x-run-profile.json"}
    assert written["kind"] == "run-profile"
    rendered = plot.tables({"bench": [], "ablation": [], "eval": [], "run-profile": [written]})
    assert f"| train | {phases['train']['seconds']:.1f} |" in "\n".join(rendered)
