"""Trains tiny-random on real SST-2 rows and prints the result as JSON; run under `accelerate launch`.

tests/test_train.py runs it with 1 and with 2 CPU processes and compares: the loop must give the
same model whatever the number of processes (global batch split across them).
"""

import json
import sys

import torch

from xtl import data, models
from xtl.config import TrainConfig
from xtl.features import encode
from xtl.heads import HeadSpec, MultiHeadModel
from xtl.train import TrainTask, make_accelerator, train


def main() -> None:
    rows = list(data.load("sst2", "en", "train", limit=64, seed=0))
    tokenizer, encoder = models.load("tiny-random", vocab_texts=[r["text"] for r in rows], seed=0)
    feats = encode(rows, "sentence_classification", tokenizer, 32, train=True)
    model = MultiHeadModel(encoder, {"sst2": HeadSpec("classification", 2)}, dropout=0.0)
    for module in model.modules():  # dropout draws differ per process; switch it off to compare
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    config = TrainConfig(learning_rate=1e-3, batch_size=8, epochs=2, seed=0)
    accelerator = make_accelerator(config)
    report = train(model, [TrainTask("sst2", feats)], config, tokenizer, accelerator=accelerator, progress=False)
    weights = torch.cat([p.detach().flatten().cpu() for p in accelerator.unwrap_model(model).parameters()])
    if accelerator.is_main_process:
        print("RESULT " + json.dumps({"processes": accelerator.num_processes, "steps": report.steps,
                                      "examples": report.examples, "weights": weights[:2000].tolist()}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
