"""The training loop's meaning, pinned: accumulation, task draws, MLM share, schedule, early stop, speed, tagging."""

import time

import numpy as np
import pytest
import torch

from xtl import predict, scoring, tasks
from xtl import train as train_module
from xtl.config import TrainConfig
from xtl.features import IGNORE, collate, encode
from xtl.heads import HeadSpec, MultiHeadModel
from xtl.train import TrainTask, train

SENTENCES = ["Paris is the capital", "Where did she go?", "Angela Merkel visited Paris .", "The cat sat on the mat"]


def _no_dropout(model: MultiHeadModel) -> MultiHeadModel:
    """Dropout masks depend on the batch shape; switch them off so batch layouts can be compared."""
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
        if hasattr(module, "dropout_prob"):  # the encoder's attention (sdpa) dropout
            module.dropout_prob = 0.0
    return model


def _classification(tokenizer, n, classes):
    rows = [{"text": SENTENCES[i % 4], "label": i % classes} for i in range(n)]
    return encode(rows, "sentence_classification", tokenizer, 32, train=True)


def _weights(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_batch_16_equals_batch_8_times_2_accumulated(tiny):
    """16 examples per task: one batch of 16 or two of 8 is the same data per optimiser step.

    Two tasks, so the test also needs one task per optimiser step: a step mixing tasks differs.
    """
    tokenizer, make = tiny
    weights = []
    for batch_size, grad_accum in ((16, 1), (8, 2)):
        model = _no_dropout(MultiHeadModel(make(), {"a": HeadSpec("classification", 2), "b": HeadSpec("classification", 3)}))
        feats_a, feats_b = _classification(tokenizer, 16, 2), _classification(tokenizer, 16, 3)
        config = TrainConfig(learning_rate=1e-3, batch_size=batch_size, grad_accum=grad_accum, max_steps=8,
                             max_grad_norm=0.5)
        report = train(model, [TrainTask("a", feats_a), TrainTask("b", feats_b)], config, tokenizer, progress=False)
        assert report.steps == 8 and report.examples == 8 * 16
        weights.append(_weights(model))
    assert torch.allclose(weights[0], weights[1], atol=1e-5), (weights[0] - weights[1]).abs().max()


def test_one_task_per_optimiser_step(tiny, monkeypatch):
    tokenizer, make = tiny
    heads = []
    forward = MultiHeadModel.forward

    def spy(self, head, batch):
        heads.append(head)
        return forward(self, head, batch)

    monkeypatch.setattr(MultiHeadModel, "forward", spy)
    model = MultiHeadModel(make(), {"a": HeadSpec("classification", 2), "b": HeadSpec("classification", 3),
                                    "mlm": HeadSpec("mlm")})
    raw = encode([{"text": t} for t in SENTENCES * 2], "raw_text", tokenizer, 16, train=True)
    train_tasks = [TrainTask("a", _classification(tokenizer, 8, 2)), TrainTask("b", _classification(tokenizer, 8, 3)),
                   TrainTask("mlm", raw)]
    report = train(model, train_tasks, TrainConfig(batch_size=2, grad_accum=4, max_steps=12), tokenizer, progress=False)
    steps = [heads[i:i + 4] for i in range(0, len(heads), 4)]
    assert len(heads) == 12 * 4 and all(len(set(step)) == 1 for step in steps), steps
    assert set(heads) == {"a", "b", "mlm"} and sum(report.task_draws.values()) == 48


def test_mlm_share_counts_questions_not_windows(tiny):
    """QA makes several windows per question; the MLM share is sized in examples, so draws count examples."""
    tokenizer, make = tiny
    context = "The cat sat on the mat and " * 6 + "Paris is the capital of France ."
    questions = [{"id": str(i), "context": context, "question": "What is the capital of France?",
                  "answers": {"text": ["Paris"], "answer_start": [context.index("Paris")]}} for i in range(8)]
    qa = encode(questions, "extractive_qa", tokenizer, 32, train=True, doc_stride=8)
    share = 0.5
    mlm_rows = round(len(questions) * share / (1 - share))  # how experiment._mlm_rows sizes the stream
    raw = encode([{"text": SENTENCES[i % 4]} for i in range(mlm_rows)], "raw_text", tokenizer, 32, train=True)
    assert len(qa) >= 3 * len(questions) and qa.num_examples == len(questions) and raw.num_examples == mlm_rows
    model = MultiHeadModel(make(), {"qa": HeadSpec("span", 1), "mlm": HeadSpec("mlm")})
    report = train(model, [TrainTask("qa", qa), TrainTask("mlm", raw)], TrainConfig(batch_size=2, max_steps=300),
                   tokenizer, progress=False)
    mlm_share = report.task_draws["mlm"] / sum(report.task_draws.values())
    assert abs(mlm_share - share) < 0.08, mlm_share  # binomial sd at 300 draws: 0.03


def test_warmup_then_linear_decay(tiny, monkeypatch):
    """Learning rate per optimiser step (accumulated micro-batches do not advance the schedule)."""
    tokenizer, make = tiny
    rates = []

    class RecordingAdamW(torch.optim.AdamW):
        def step(self, closure=None):
            rates.append(self.param_groups[0]["lr"])
            return super().step(closure)

    monkeypatch.setattr(torch.optim, "AdamW", RecordingAdamW)
    model = MultiHeadModel(make(), {"cls": HeadSpec("classification", 2)})
    config = TrainConfig(learning_rate=1e-3, batch_size=4, grad_accum=2, max_steps=10, warmup_ratio=0.2)
    train(model, [TrainTask("cls", _classification(tokenizer, 16, 2))], config, tokenizer, progress=False)
    assert len(rates) == 10
    assert rates[0] == 0.0  # step 0 of the schedule: warm-up starts from zero
    assert rates[2] == pytest.approx(1e-3)  # end of the 2 warm-up steps: the peak
    assert rates[9] == pytest.approx(1e-3 * 1 / 8)  # last step: one step from zero
    assert rates == pytest.approx([1e-3 * x for x in (0, 0.5, 1, 7 / 8, 6 / 8, 5 / 8, 4 / 8, 3 / 8, 2 / 8, 1 / 8)])


def test_early_stopping_restores_best_state(tiny, monkeypatch):
    tokenizer, make = tiny
    scores, states = iter([1.0, 3.0, 2.0, 2.5, 9.0]), {}

    def dev_score(core, _tasks):
        states[len(states) + 1] = _weights(core).clone()
        return next(scores)

    monkeypatch.setattr(train_module, "_dev_score", dev_score)
    model = MultiHeadModel(make(), {"cls": HeadSpec("classification", 2)})
    config = TrainConfig(learning_rate=1e-3, batch_size=4, max_steps=20, eval_every=1, patience=2)
    report = train(model, [TrainTask("cls", _classification(tokenizer, 16, 2))], config, tokenizer, progress=False)
    assert report.stopped_early and report.steps == 4 and report.best_step == 2 and report.best_dev == 3.0
    assert torch.equal(_weights(model), states[2]) and not torch.equal(states[2], states[4])


def test_throughput_excludes_dev_evaluation(tiny, monkeypatch):
    tokenizer, make = tiny
    pause = 0.5

    def slow_dev_score(core, _tasks):
        time.sleep(pause)
        return 1.0

    monkeypatch.setattr(train_module, "_dev_score", slow_dev_score)
    model = MultiHeadModel(make(), {"cls": HeadSpec("classification", 2)})
    config = TrainConfig(batch_size=4, max_steps=4, eval_every=1, patience=100)
    report = train(model, [TrainTask("cls", _classification(tokenizer, 16, 2))], config, tokenizer, progress=False)
    training_s = report.examples / report.examples_per_s  # the time the reported speed implies
    assert training_s <= report.wall_s - 4 * pause + 1e-6
    assert report.tokens / report.tokens_per_s == pytest.approx(training_s)


def test_truncated_words_are_ignored_in_loss_and_missed_in_scoring(tiny):
    """A word cut off by truncation has no label in the loss, and counts as missed (never as tag 0) when scored."""
    tokenizer, make = tiny
    udpos = tasks.get("udpos")
    words = ["Angela", "Merkel", "visited", "Paris", "."] * 4
    rows = [{"tokens": words, "tags": [0] * len(words)}]  # tag 0 is ADJ in UD-POS
    feats = encode(rows, "token_tagging", tokenizer, 12, train=True)
    item = feats.items[0]
    first = {position for _, position in item["first_positions"]}
    visible = len(item["first_positions"])
    assert 0 < visible < len(words)
    assert all((label == IGNORE) == (position not in first) for position, label in enumerate(item["labels"]))

    model = MultiHeadModel(make(), {"pos": HeadSpec("tagging", len(udpos.label_names))}).eval()
    batch = collate(feats.items, tokenizer.pad_token_id)
    loss, logits = model("pos", batch)
    labelled = batch["labels"][0] != IGNORE
    expected = torch.nn.functional.cross_entropy(logits[0][labelled], batch["labels"][0][labelled])
    assert torch.allclose(loss, expected)

    perfect = np.full((len(item["input_ids"]), len(udpos.label_names)), -1.0)
    perfect[:, 0] = 1.0  # the model predicts ADJ, right for every visible word
    predictions = predict.decode("token_tagging", rows, feats, [perfect], list(udpos.label_names))
    accuracy = scoring.score(udpos, "en", rows, predictions)["accuracy"]
    assert accuracy == pytest.approx(100.0 * visible / len(words))  # the cut-off words count as wrong
    assert predictions[0] == ["ADJ"] * visible + ["O"] * (len(words) - visible)
    assert predict.decode("token_tagging", rows, feats, [perfect])[0][visible:] == [IGNORE] * (len(words) - visible)
