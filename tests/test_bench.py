"""The bench: output format, every side on the same work, the best-configured Trainer, the roofline, FLOPs by hand."""

from __future__ import annotations

import json
import math

import pytest
import torch
from transformers import BertConfig, BertModel

from benchmarks import bench, roofline, sides, workload
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


def test_bench_prints_both_speedups_last_and_every_side_does_the_same_work(tiny, tmp_path, monkeypatch, capsys):
    work = _workload(tiny)
    monkeypatch.setattr(bench, "build_workload", lambda *args, **kwargs: work)
    out = tmp_path / "bench.json"
    # bf16 on every side: the GPU configuration (Trainer bf16=True, accelerate autocast), here on CPU
    result = bench.main(["tiny-random"], steps=STEPS, repeats=1, out=out, only=["xtl"], warmup_steps=0,
                        precision="bf16", peak_n=128)

    *_, before_last, last = capsys.readouterr().out.strip().splitlines()
    assert before_last.startswith("speedup_vs_trainer=") and float(before_last.split("=")[1]) > 0
    assert last.startswith("speedup_vs_best_trainer=") and float(last.split("=")[1]) > 0
    written = json.loads(out.read_text())
    assert written["speedup_vs_trainer"] == pytest.approx(result["speedup_vs_trainer"])
    assert written["speedup_vs_best_trainer"] == pytest.approx(result["speedup_vs_best_trainer"])

    assert result["workloads"][0]["precision"] == "bf16"
    assert {run["extra"].get("bf16", run["extra"].get("config", {}).get("mixed_precision"))
            for run in result["workloads"][0]["runs"]} == {True, "bf16"}
    summary = result["workloads"][0]["summary"]
    assert set(summary) == {"trainer", "trainer-best", "xtl"}
    assert summary["xtl"]["examples_per_s"] / summary["trainer-best"]["examples_per_s"] == pytest.approx(
        result["speedup_vs_best_trainer"])
    tokens = sum(work.features.lengths)
    peak = written["matmul_peak_flops"]
    assert peak > 0 and written["matmul_peak"]["method"].startswith("torch.mm of two 128x128 float32")
    for side in summary.values():  # one epoch each: every example once, so the same non-pad tokens
        assert side["examples"] == STEPS * BATCH and side["tokens"] == tokens
        assert side["padded_tokens"] >= tokens and side["examples_per_s"] > 0  # the counting collator saw them
        assert side["roofline_fraction"] == pytest.approx(side["model_tflops_per_s"] * 1e12 / peak)
    # on CPU the best-configured Trainer trains exactly what xtl as profiled trains: all but the word embeddings
    words = work.encoder.get_input_embeddings().weight.numel()
    assert summary["trainer-best"]["trained_parameters"] == summary["xtl"]["trained_parameters"]
    assert summary["trainer"]["trained_parameters"] == summary["trainer-best"]["trained_parameters"] + words
    for run in result["workloads"][0]["runs"]:
        assert run["final_loss"] == pytest.approx(run["final_loss"]) and run["final_loss"] > 0  # finite


def test_best_trainer_groups_by_length_and_leaves_the_frozen_embeddings_alone(tiny):
    work = _workload(tiny)
    made = []

    def fresh_model():  # keep the model the side trains, to look at it afterwards
        made.append(workload.Workload.fresh_model(work))
        return made[-1]

    work.fresh_model = fresh_model
    run = sides.sides_for(torch.device("cpu"))["trainer-best"](work, 0, "no")

    model, pristine = made[0], work.shared_model()
    assert run.side == "trainer-best" and run.extra["train_sampling_strategy"] == "group_by_length"
    assert torch.equal(model.encoder.get_input_embeddings().weight, pristine.encoder.get_input_embeddings().weight)
    moved = [name for name, p in model.named_parameters() if not torch.equal(p, dict(pristine.named_parameters())[name])]
    assert moved and "encoder.embeddings.word_embeddings.weight" not in moved
    trainable = sum(p.numel() for p in model.parameters()) - model.encoder.get_input_embeddings().weight.numel()
    assert run.extra["trained_parameters"] == trainable
    assert run.examples == STEPS * BATCH and run.tokens == sum(work.features.lengths) <= run.padded_tokens


def test_matmul_peak_is_a_positive_rate_and_the_fraction_divides_by_it():
    peak = roofline.measure_matmul_peak(torch.device("cpu"), n=128, warmup=1, repeats=3)
    assert peak["flops"] > 0 and math.isfinite(peak["flops"])
    assert peak["flops"] == pytest.approx(2 * 128**3 / peak["median_s"]) and len(peak["seconds"]) == 3
    assert peak["dtype"] == "float32" and peak["torch_threads"] == torch.get_num_threads()
    assert roofline.roofline_fraction(2e9, 8e9) == 0.25  # 2 GFLOP/s of model work on an 8 GFLOP/s machine
    assert roofline.roofline_fraction(2e9, None) is None


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
    # forward only: 2 N t + 4 L d t^2, a third of training
    assert workload.forward_flops([10, 20], 17152, 2, 32) == 2 * 17152 * 30 + 4 * 2 * 32 * (100 + 400) == 1157120


def test_peak_table_knows_the_hopper_cards():
    assert workload.peak_bf16_flops("NVIDIA H100 80GB HBM3") == 989e12
    assert workload.peak_bf16_flops("NVIDIA H200") == 989e12
    assert workload.peak_bf16_flops("NVIDIA H100 PCIe") == 756e12
    assert workload.peak_bf16_flops("Quadro K600") is None


def test_table_and_geometric_mean():
    assert bench.geometric_mean([2.0, 8.0]) == pytest.approx(4.0)
    side = {"examples_per_s": 2.0, "tokens_per_s": 50.0, "tokens": 80, "padded_tokens": 100, "peak_mem_mib": 1.0,
            "model_tflops_per_s": 0.001, "mfu": None}
    summary = {"trainer": side, "trainer-best": {**side, "examples_per_s": 2.5, "roofline_fraction": 0.125},
               "xtl": {**side, "examples_per_s": 3.0}}
    result = {"workloads": [{"model": "m", "summary": summary}], "speedup_vs_trainer": 1.5,
              "speedup_vs_best_trainer": 1.2, "matmul_peak_flops": 8e9}
    lines = bench.table(result)
    assert lines[-2:] == ["speedup_vs_trainer=1.50", "speedup_vs_best_trainer=1.20"]
    xtl_line, best_line = lines[3], lines[2]
    assert xtl_line.split()[:2] == ["m", "xtl"] and "1.50x" in xtl_line and "1.20x" in xtl_line and "20.0" in xtl_line
    assert "12.5%" in best_line and "0.008 TFLOP/s" in lines[4]


def test_layer_products_are_the_six_weight_matrices_of_one_layer(tmp_path):
    shapes = roofline.layer_shapes(tokens=10, hidden=4, intermediate=16)
    assert shapes == [(10, 4, 4)] * 4 + [(10, 4, 16), (10, 16, 4)]
    rate = roofline.measure_shapes(shapes, repeats=2, warmup=1)
    flops = 2 * 10 * (4 * 4 * 4 + 4 * 16 + 16 * 4)  # 2mkn summed by hand: 3,840
    assert rate["flops"] == pytest.approx(flops / rate["median_s"]) and rate["flops"] > 0
    from benchmarks import plot

    result = {"file": "x-roofline.json", "command": "python -m benchmarks.roofline",
              "environment": {"device": "cpu", "cpu": "test", "cpu_cores": 2, "torch_threads": 1, "python": "3",
                              "torch": "2", "transformers": "5", "accelerate": "1"},
              "matmul_peak": {"flops": 4e11, "timed_calls": 10},
              "layer_products": [{"tokens": 768, "hidden": 384, "intermediate": 1536, "flops": 1e11,
                                  "fraction_of_peak": 0.25}]}
    text = "\n".join(plot.roofline_table(result))
    assert "| 2048 | 400.0 | 100 % |" in text and "| 768 | 100.0 | 25.0 % |" in text


def test_op_profile_sorts_operators_into_kinds_and_keeps_the_rest_outside():
    from benchmarks import op_profile

    assert op_profile.kind_of("aten::addmm") == "matmul (weight products)"
    assert op_profile.kind_of("aten::_scaled_dot_product_flash_attention_for_cpu").startswith("attention")
    assert op_profile.kind_of("aten::gelu_backward") == "element-wise and normalisation"
    assert op_profile.kind_of("aten::_fused_adamw_") == "optimiser"
    assert op_profile.kind_of("aten::something_new") == op_profile.OTHER
    result = op_profile.breakdown([("aten::mm", 2.0), ("aten::mm", 1.0), ("aten::native_layer_norm", 1.0)], wall_s=5.0)
    assert result["kinds"]["matmul (weight products)"] == 3.0 and result["shares"]["matmul (weight products)"] == 0.6
    assert result["kinds"]["outside operators (Python, the loop, waiting)"] == 1.0
    assert list(result["top_operators"]) == ["aten::mm", "aten::native_layer_norm"]
