import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from xtl.config import TrainConfig
from xtl.errors import XtlError
from xtl.features import IGNORE, encode
from xtl.heads import HeadSpec, MultiHeadModel
from xtl.train import LengthGroupedBatches, TrainTask, mask_tokens, sampling_probabilities, train

ROOT = Path(__file__).resolve().parent.parent


def test_sampling_probabilities_by_hand():
    sizes = [100, 400]
    assert sampling_probabilities(sizes, TrainConfig(sampling="proportional")) == pytest.approx([0.2, 0.8])
    assert sampling_probabilities(sizes, TrainConfig(sampling="temperature", temperature=2.0)) == pytest.approx([10 / 30, 20 / 30])
    assert sampling_probabilities(sizes, TrainConfig(sampling="capped", cap=200)) == pytest.approx([1 / 3, 2 / 3])
    assert sampling_probabilities(sizes, TrainConfig(sampling="uniform")) == pytest.approx([0.5, 0.5])


def test_bad_train_config_is_one_line():
    with pytest.raises(XtlError, match="unknown sampling") as error:
        TrainConfig(sampling="roundrobin")
    assert "\n" not in str(error.value)


def test_length_grouped_batches_cover_each_epoch_once():
    lengths = [5, 1, 9, 3, 7, 2, 8, 4, 6, 10]
    sampler = LengthGroupedBatches(lengths, batch_size=3, seed=1, group=1)
    batches = iter(sampler)
    epoch = [next(batches) for _ in range(len(sampler))]
    seen = [i for b in epoch for i in b]
    assert all(len(b) == 3 for b in epoch) and len(set(seen)) == 9
    again = iter(LengthGroupedBatches(lengths, batch_size=3, seed=1, group=1))
    assert [next(again) for _ in range(len(sampler))] == epoch  # seeded


def test_mask_tokens_never_touches_special_tokens():
    ids = torch.tensor([[0, 10, 11, 12, 13, 2, 1, 1]] * 50)
    masked, labels = mask_tokens(ids, mask_id=99, vocab_size=100, special_ids={0, 1, 2}, probability=0.5,
                                 generator=torch.Generator().manual_seed(0))
    special = (ids == 0) | (ids == 1) | (ids == 2)
    assert (labels[special] == IGNORE).all() and (masked[special] == ids[special]).all()
    chosen = labels != IGNORE
    assert 0.35 < chosen.float().sum() / (~special).sum() < 0.65
    assert (labels[chosen] == ids[chosen]).all()
    assert ((masked[chosen] == 99).float().mean()) > 0.6


def _sst2_model(tiny, seed=0):
    tokenizer, make = tiny
    rows = [{"text": t, "label": i % 2} for i, t in enumerate(["Paris is the capital", "Where did she go?"] * 16)]
    feats = encode(rows, "sentence_classification", tokenizer, 32, train=True)
    model = MultiHeadModel(make(seed), {"cls": HeadSpec("classification", 2)})
    return tokenizer, model, feats


def test_same_seed_same_model_and_loss_falls(tiny):
    results = []
    for _ in range(2):
        tokenizer, model, feats = _sst2_model(tiny)
        dev = lambda m, feats=feats, tokenizer=tokenizer: -float(m("cls", dict(_batch(feats, tokenizer)))[0])
        report = train(model, [TrainTask("cls", feats, dev)], TrainConfig(learning_rate=1e-3, batch_size=8, epochs=6,
                                                                             eval_every=4), tokenizer, progress=False)
        results.append((report.dev_history, [p.detach().clone() for p in model.parameters()]))
    assert results[0][0] == results[1][0]
    assert all(torch.equal(a, b) for a, b in zip(results[0][1], results[1][1]))
    history = [score for _, score in results[0][0]]
    assert max(history[1:]) > history[0]  # dev loss fell


def _batch(feats, tokenizer):
    from xtl.features import collate

    return collate(feats.items, tokenizer.pad_token_id)


def test_multi_task_draws_every_task(tiny):
    tokenizer, make = tiny
    cls = encode([{"text": "Paris", "label": 1}] * 8, "sentence_classification", tokenizer, 16, train=True)
    tag = encode([{"tokens": ["Angela", "Merkel"], "tags": [1, 2]}] * 24, "token_tagging", tokenizer, 16, train=True)
    raw = encode([{"text": "Der Hund schläft."}] * 8, "raw_text", tokenizer, 16, train=True)
    model = MultiHeadModel(make(), {"cls": HeadSpec("classification", 2), "ner": HeadSpec("tagging", 3),
                                    "mlm": HeadSpec("mlm")})
    report = train(model, [TrainTask("cls", cls), TrainTask("ner", tag), TrainTask("mlm", raw)],
                   TrainConfig(batch_size=4, max_steps=40), tokenizer, progress=False)
    assert report.steps == 40 and all(n > 0 for n in report.task_draws.values())
    assert report.task_draws["ner"] > report.task_draws["cls"]  # proportional to size


def test_two_processes_match_one(tmp_path):
    """The same loop under `accelerate launch` with 1 and 2 CPU processes gives the same weights."""
    outputs = {}
    for n in (1, 2):
        # accelerate's multi-process CPU launch: --multi_gpu with ACCELERATE_USE_CPU (gloo backend)
        env = {**os.environ, "OMP_NUM_THREADS": "1", "ACCELERATE_USE_CPU": "true"}
        mode = ["--multi_gpu"] if n > 1 else ["--cpu"]
        cmd = [sys.executable, "-m", "accelerate.commands.launch", *mode, "--num_processes", str(n),
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
               str(ROOT / "tests" / "distributed_train.py")]
        done = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
        outputs[n] = json.loads(line[len("RESULT "):])
    assert outputs[2]["processes"] == 2
    assert outputs[1]["steps"] == outputs[2]["steps"] and outputs[1]["examples"] == outputs[2]["examples"]
    one, two = torch.tensor(outputs[1]["weights"]), torch.tensor(outputs[2]["weights"])
    assert torch.allclose(one, two, atol=1e-5), (one - two).abs().max()
