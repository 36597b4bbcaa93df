"""The bench: output format, both sides on the same work, and the FLOPs counter by hand."""

from __future__ import annotations

import json

import pytest
from transformers import BertConfig, BertModel

from benchmarks import bench, sides, workload
from xtl.features import Features, encode
from xtl.models import TINY_CONFIG
from xtl.train import LengthGroupedBatches

STEPS, BATCH = 3, 4
PAIRS = [("Angela Merkel visited Paris .", "Where did she go?"),
         ("The cat sat on the mat and Paris is the capital of France .", "What is the capital of France?"),
         ("He was hungry. What did he do?", "ate slept ran"),
         ("Der Hund schläft.", "猫が寝ている。 القطة نائمة")]


def _workload(tiny) -> workload.Workload:
    tokenizer, make = tiny
    rows = [{"text_a": a, "text_b": b, "label": i % 3} for i, (a, b) in enumerate(PAIRS * STEPS)]
    features = encode(rows, "pair_classification", tokenizer, 32, train=True)
    return workload.Workload("tiny-random", tokenizer, make(0), features, STEPS, BATCH, 32, learning_rate=1e-3)


def test_bench_prints_the_speedup_last_and_both_sides_do_the_same_work(tiny, tmp_path, monkeypatch, capsys):
    work = _workload(tiny)
    monkeypatch.setattr(bench, "build_workload", lambda *args, **kwargs: work)
    out = tmp_path / "bench.json"
    # bf16 on both sides: the GPU configuration (Trainer bf16=True, accelerate autocast), here on CPU
    result = bench.main(["tiny-random"], steps=STEPS, repeats=1, out=out, only=["xtl"], warmup_steps=0,
                        precision="bf16")

    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("speedup_vs_trainer=") and float(last.split("=")[1]) > 0
    assert json.loads(out.read_text())["speedup_vs_trainer"] == pytest.approx(result["speedup_vs_trainer"])

    assert result["workloads"][0]["precision"] == "bf16"
    assert {run["extra"].get("bf16", run["extra"].get("config", {}).get("mixed_precision"))
            for run in result["workloads"][0]["runs"]} == {True, "bf16"}
    summary = result["workloads"][0]["summary"]
    assert set(summary) == {"trainer", "xtl"}
    tokens = sum(work.features.lengths)
    for side in summary.values():  # one epoch each: every example once, so the same non-pad tokens
        assert side["examples"] == STEPS * BATCH and side["tokens"] == tokens
        assert side["padded_tokens"] >= tokens and side["examples_per_s"] > 0
    for run in result["workloads"][0]["runs"]:
        assert run["final_loss"] == pytest.approx(run["final_loss"]) and run["final_loss"] > 0  # finite


def test_xtl_padded_tokens_replays_its_sampler():
    lengths = [3, 9, 4, 8, 5, 7]
    work = workload.Workload("x", None, None, Features("pair_classification", [{}] * 6, lengths), 3, 2, 16)
    batches = iter(LengthGroupedBatches(lengths, 2, 0))
    expected = sum(2 * max(lengths[i] for i in next(batches)) for _ in range(3))
    assert sides.xtl_padded_tokens(work) == expected
    assert expected >= sum(lengths)


def test_flops_by_hand_for_the_tiny_config():
    # per layer: QKV 3(32*32+32) + out 32*32+32 + 2 norms 2*2*32 + FFN 32*64+64 + 64*32+32 = 8544
    encoder = BertModel(BertConfig(**{**TINY_CONFIG, "vocab_size": 100}), add_pooling_layer=False)
    assert workload.matmul_params(encoder) == 2 * 8544 + 64  # + the embeddings' LayerNorm
    assert workload.embedding_table_params(encoder) == (100 + 514 + 2) * 32
    # 6 N t + 12 L d t^2 over sequences of 10 and 20 tokens, N = 17152, L = 2, d = 32
    assert workload.training_flops([10, 20], 17152, 2, 32) == 6 * 17152 * 30 + 12 * 2 * 32 * (100 + 400)
    assert workload.training_flops([10, 20], 17152, 2, 32) == 3471360


def test_peak_table_knows_the_hopper_cards():
    assert workload.peak_bf16_flops("NVIDIA H100 80GB HBM3") == 989e12
    assert workload.peak_bf16_flops("NVIDIA H200") == 989e12
    assert workload.peak_bf16_flops("NVIDIA H100 PCIe") == 756e12
    assert workload.peak_bf16_flops("Quadro K600") is None


def test_table_and_geometric_mean():
    assert bench.geometric_mean([2.0, 8.0]) == pytest.approx(4.0)
    side = {"examples_per_s": 2.0, "tokens_per_s": 50.0, "tokens": 80, "padded_tokens": 100, "peak_mem_mib": 1.0,
            "model_tflops_per_s": 0.001, "mfu": None}
    result = {"workloads": [{"model": "m", "summary": {"trainer": side, "xtl": {**side, "examples_per_s": 3.0}}}],
              "speedup_vs_trainer": 1.5}
    lines = bench.table(result)
    assert lines[-1] == "speedup_vs_trainer=1.50" and "1.50x" in lines[-2] and "20.0" in lines[-2]
