"""The paper's three phases as three functions the notebooks call.

- `intermediate(config)`: phase 2, train the encoder on English intermediate task(s); the encoder is
  cached under XTL_CACHE keyed by the config hash (never committed) and summarised in results/.
- `target(config)`: phase 3, start from the phase-2 encoder (or the plain model), train on the
  target's English data and evaluate zero-shot in every language.
- `retrieval(config)`: BUCC / Tatoeba from the encoder's sentence vectors (no phase 3).

Each phase takes a config's dict form (a notebook's parameters, a config file, config.json) or a resolved
`xtl.config.RunConfig`, resolves it once (`xtl.config.resolve`: defaults filled in, every field checked) and
names the run with `xtl.identity` (its result folder, its cached phase-2 encoder, a phase-3 model it shares);
each training section's `TrainConfig` goes to `xtl.train.train` as it is.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from xtl import atomic, data, identity, models, predict, runs, scoring, tasks
from xtl import retrieval as retrieval_lib  # its name: `retrieval` here is phase "retrieval"
from xtl.config import IntermediateConfig, RunConfig, TrainConfig, resolve
from xtl.features import Features, encode
from xtl.heads import HEAD_FOR_FORMAT, HeadSpec, MultiHeadModel
from xtl.train import TrainTask, train

MLM = tasks.MLM_CORPUS.name  # the MLM stream's task and head

# ----------------------------------------------------------------------------------- helpers

def _head_name(task: tasks.Task) -> str:
    return task.head_group or task.name


def _head_spec(task: tasks.Task, train: TrainConfig) -> HeadSpec:
    kind = HEAD_FOR_FORMAT[task.format]
    return HeadSpec(kind, len(task.label_names) if kind in ("classification", "tagging") else 1, train.sentence_pooling)


def _rows(task_name: str, lang: str, split: str, limit: int | None, seed: int) -> list[dict[str, Any]]:
    return list(data.load(task_name, lang, split, limit=limit, seed=seed))


def _features(task: tasks.Task, rows: list[dict[str, Any]], tokenizer, max_length: int, train_mode: bool) -> Features:
    return encode(rows, task.format, tokenizer, max_length, train=train_mode, doc_stride=min(128, max_length // 2))


def evaluate_rows(model: MultiHeadModel, head: str, task: tasks.Task, lang: str, rows: list[dict[str, Any]],
                  tokenizer, max_length: int, batch_size: int = 64) -> tuple[dict[str, float], list[Any]]:
    """Predict and score one language's rows with the task's official metric."""
    feats = _features(task, rows, tokenizer, max_length, train_mode=False)
    item_logits = predict.logits(model, head, feats, tokenizer.pad_token_id, batch_size)
    predictions = predict.decode(task.format, rows, feats, item_logits, list(task.label_names or []))
    return scoring.score(task, lang, rows, predictions), predictions


def _dev_scorer(head: str, task: tasks.Task, rows, tokenizer, max_length: int, lang: str = "en"):
    def score(model: MultiHeadModel) -> float:
        metrics, _ = evaluate_rows(model, head, task, lang, rows, tokenizer, max_length)
        return metrics[scoring.main_metric(task)]
    return score


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _save_weights(module: torch.nn.Module, path: Path) -> None:
    save_file({k: v.contiguous().cpu() for k, v in module.state_dict().items()}, str(path))


# ----------------------------------------------------------------------------------- phase 2

def _intermediate_training_tasks(inter: IntermediateConfig, seed: int, tokenizer) -> tuple[list[TrainTask], dict[str, HeadSpec], dict]:
    """Features per intermediate task (and the MLM stream), with their heads and English-dev scorers."""
    train_tasks, specs, sizes = [], {}, {}
    for name in inter.tasks:
        source = tasks.source(name)
        task, share = source.task, source.part_limit(inter.limit(name))
        rows = [r for task_name, lang, split in source.train for r in _rows(task_name, lang, split, share, seed)]
        dev_task, dev_lang, dev_split = source.dev
        dev_rows = _rows(dev_task, dev_lang, dev_split, inter.dev_limit, seed)
        head = _head_name(task)
        specs[head] = _head_spec(task, inter.train)
        feats = _features(task, rows, tokenizer, inter.max_length, train_mode=True)
        scorer = _dev_scorer(head, task, dev_rows, tokenizer, inter.max_length, dev_lang)
        train_tasks.append(TrainTask(head, feats, scorer))
        sizes[name] = len(rows)
    if inter.mlm_share > 0:
        mlm_rows = _mlm_rows(inter, seed, sum(sizes.values()))
        specs[MLM] = HeadSpec("mlm")
        train_tasks.append(TrainTask(MLM, encode(mlm_rows, "raw_text", tokenizer, inter.max_length, train=True)))
        sizes[MLM] = len(mlm_rows)
    return train_tasks, specs, sizes


def _mlm_rows(inter: IntermediateConfig, seed: int, task_examples: int) -> list[dict[str, Any]]:
    """Multilingual raw text sized so that MLM gets `mlm_share` of the draws under proportional sampling."""
    share = inter.mlm_share
    wanted = max(1, round(task_examples * share / (1 - share))) if share < 1 else task_examples
    langs = data.languages(MLM)
    per_lang = max(1, wanted // len(langs))
    return [r for lang in langs for r in _rows(MLM, lang, "train", per_lang, seed)]


def intermediate(config: dict[str, Any] | RunConfig, profile: str = "adhoc", progress: bool = True,
                 refresh: bool = True) -> dict[str, Any]:
    """Phase 2: returns {"checkpoint": path or None, "summary": dict}; cached by config hash and core code.

    `refresh`: replace a results record made by other core code (phase 3 passes False: it never rewrites it).
    """
    resolved = resolve(config, "intermediate")
    inter = resolved.intermediate
    if not inter.tasks:
        return {"checkpoint": None, "summary": {"tasks": [], "note": "no intermediate training (baseline)"}}
    run = identity.of("intermediate", resolved)
    folder = run.phase2_checkpoint
    if runs.checkpoint_is_current(folder):
        summary = json.loads((folder / "summary.json").read_text())
        _record_intermediate(profile, run, summary, refresh)
        return {"checkpoint": folder, "summary": summary}

    data.check_kit(resolved.tasks_read())
    start = time.perf_counter()
    torch.manual_seed(resolved.seed)
    tokenizer, encoder = models.load(resolved.model, seed=resolved.seed)
    train_tasks, specs, sizes = _intermediate_training_tasks(inter, resolved.seed, tokenizer)
    model = MultiHeadModel(encoder, specs, seed=resolved.seed).to(_device())
    report = train(model, train_tasks, inter.train, tokenizer, progress=progress)
    summary = {"config": run.phase2_key, "train_examples": sizes, "report": report.to_dict(),
               "wall_s": time.perf_counter() - start, "device": runs.describe_device(),
               "core_fingerprint": runs.core_fingerprint()}
    with atomic.folder(folder) as staging:
        _save_weights(model.encoder, staging / "encoder.safetensors")
        runs.write_json(staging / "summary.json", summary)
    _record_intermediate(profile, run, summary, refresh)
    return {"checkpoint": folder, "summary": summary}


def _record_intermediate(profile: str, run: identity.RunIdentity, summary: dict[str, Any], refresh: bool) -> None:
    """A small results folder for phase 2 (English dev curve, throughput): the book shows it.

    A finished record is kept, unless `refresh` (the phase-2 notebook itself runs) and it describes an encoder
    made by other core code than the cached one.
    """
    final = run.results(profile, identity.INTERMEDIATE)
    if runs.is_complete(final) and not (refresh and runs.made_by(final) != summary["core_fingerprint"]):
        return
    record = runs.RunFolder(final)
    record.write_json("config.json", run.phase2_key)
    record.write_json("env.json", runs.environment(summary["wall_s"], fingerprint=summary["core_fingerprint"]))
    report = summary["report"]
    record.write_json("metrics.json", {"task": run.phase2_key["intermediate"]["tasks"], "english_dev": report["best_dev"],
                                       "dev_history": report["dev_history"], "train": report})
    record.commit()


def load_encoder(resolved: RunConfig, progress: bool = True, profile: str = "adhoc"):
    """The tokenizer and the encoder phase 3 starts from (phase 2 runs here if not cached)."""
    tokenizer, encoder = models.load(resolved.model, seed=resolved.seed)
    phase2 = intermediate(resolved, profile=profile, progress=progress, refresh=False)
    if phase2["checkpoint"] is not None:
        encoder.load_state_dict(load_file(str(Path(phase2["checkpoint"]) / "encoder.safetensors")))
    return tokenizer, encoder, phase2["summary"]


# ----------------------------------------------------------------------------------- phase 3

def target(config: dict[str, Any] | RunConfig, profile: str = "adhoc", experiment: str = "target",
           progress: bool = True, force: bool = False) -> Path:
    """Phase 3: English target training, then zero-shot evaluation in every language; the run folder."""
    resolved = resolve(config, "target")
    cfg = resolved.target
    assert cfg is not None  # resolved as a target run
    task = tasks.get(cfg.task)
    run_identity = identity.of("target", resolved)
    folder = run_identity.results(profile, experiment)
    if runs.is_complete(folder) and not force:
        return folder
    data.check_kit(resolved.tasks_read())
    start = time.perf_counter()
    tokenizer, encoder, phase2 = load_encoder(resolved, progress, profile)
    head = task.name
    model = MultiHeadModel(encoder, {head: _head_spec(task, cfg.train)}, seed=resolved.seed).to(_device())
    report = _train_target(model, head, task, resolved, run_identity, tokenizer, progress)

    run = runs.RunFolder(folder)
    per_language, split_per_language = {}, {}
    languages = cfg.languages or data.eval_languages(task.name)
    for lang in languages:
        split = task.eval_split[lang]
        rows = _rows(task.name, lang, split, cfg.eval_limit, resolved.seed)
        metrics, predictions = evaluate_rows(model, head, task, lang, rows, tokenizer, cfg.max_length,
                                             cfg.eval_batch_size)
        per_language[lang], split_per_language[lang] = metrics, split
        scoring.write_predictions(run.path("predictions"), task, lang, rows, predictions)
        if progress:
            print(f"{task.name} {lang}: " + ", ".join(f"{k} {v:.1f}" for k, v in metrics.items()), flush=True)
    wall = time.perf_counter() - start
    run.write_json("config.json", resolved.record())
    run.write_json("env.json", runs.environment(wall))
    run.write_json("metrics.json", {
        "task": task.name, "metric": scoring.main_metric(task), "split_per_language": split_per_language,
        "per_language": per_language, "average": scoring.average(_benchmark_languages(task, per_language)),
        "average_all_languages": scoring.average(per_language), "english_dev": report["best_dev"], "train": report,
        "intermediate": phase2,
        "eval_rows_per_language": cfg.eval_limit, "wall_s": wall,
    })
    return run.commit()


def _train_target(model: MultiHeadModel, head: str, task: tasks.Task, resolved: RunConfig,
                  run_identity: identity.RunIdentity, tokenizer, progress: bool) -> dict[str, Any]:
    """Phase-3 training on the target's English data; its report as a dict.

    Targets that share their English training and dev data (XQuAD and MLQA both train on SQuAD, as in
    XTREME) share one trained model: the first run trains it and caches it beside the phase-2
    encoders, the others load it. The dev set is scored with the dev task's own metric, so the
    checkpoint kept does not depend on which target asked.
    """
    cfg, seed = resolved.target, resolved.seed
    assert cfg is not None  # a target run
    dev_task = tasks.get(task.dev_task or task.name)
    folder = run_identity.phase3_checkpoint
    if folder is not None and runs.checkpoint_is_current(folder):
        model.encoder.load_state_dict(load_file(str(folder / "encoder.safetensors")))
        model.heads[head].load_state_dict(load_file(str(folder / "head.safetensors")))
        summary = json.loads((folder / "summary.json").read_text())
        return {**summary["report"], "shared_with": summary["trained_for"], "trained_here": False}
    train_rows = _rows(task.train_task or task.name, task.train_lang, task.train_split, cfg.train_limit, seed)
    dev_rows = _rows(dev_task.name, "en", task.dev_split, cfg.dev_limit, seed)
    train_feats = _features(task, train_rows, tokenizer, cfg.max_length, train_mode=True)
    scorer = _dev_scorer(head, dev_task, dev_rows, tokenizer, cfg.max_length)
    report = train(model, [TrainTask(head, train_feats, scorer)], cfg.train, tokenizer, progress=progress).to_dict()
    if folder is not None:
        with atomic.folder(folder) as staging:
            _save_weights(model.encoder, staging / "encoder.safetensors")
            _save_weights(model.heads[head], staging / "head.safetensors")
            runs.write_json(staging / "summary.json", {"config": run_identity.phase3_key, "report": report,
                                                       "trained_for": task.name,
                                                       "core_fingerprint": runs.core_fingerprint()})
    return {**report, "shared_with": None, "trained_here": True} if folder is not None else report


# ----------------------------------------------------------------------------------- retrieval

def retrieval(config: dict[str, Any] | RunConfig, profile: str = "adhoc", experiment: str = "retrieval",
              progress: bool = True, force: bool = False) -> Path:
    """BUCC or Tatoeba from mean-pooled sentence vectors of one encoder layer; the run folder."""
    resolved = resolve(config, "retrieval")
    cfg = resolved.retrieval
    assert cfg is not None  # resolved as a retrieval run
    task = tasks.get(cfg.task)
    folder = identity.of("retrieval", resolved).results(profile, experiment)
    if runs.is_complete(folder) and not force:
        return folder
    data.check_kit(resolved.tasks_read())
    start = time.perf_counter()
    tokenizer, encoder, phase2 = load_encoder(resolved, progress, profile)
    encoder = encoder.to(_device()).eval()
    layer = cfg.layer if cfg.layer is not None else round(encoder.config.num_hidden_layers * 14 / 24)
    languages = cfg.languages or data.eval_languages(task.name)
    run = runs.RunFolder(folder)
    per_language = {}
    for lang in languages:
        rows = _search_rows(task, lang, cfg.limit, resolved.seed)
        per_language[lang], lines, submission = retrieval_lib.search(
            encoder, tokenizer, rows, task.sentence_pool, layer=layer, max_length=cfg.max_length, prefix=cfg.prefix)
        scoring.write_retrieval_predictions(run.path("predictions"), task, lang, lines, submission)
        if progress:
            print(f"{task.name} {lang}: {per_language[lang]}", flush=True)
    wall = time.perf_counter() - start
    run.write_json("config.json", {**resolved.record(), "retrieval": {**cfg.record(), "layer": layer}})
    run.write_json("env.json", runs.environment(wall))
    run.write_json("metrics.json", {
        "task": task.name, "metric": scoring.main_metric(task), "per_language": per_language,
        "average": scoring.average(_benchmark_languages(task, per_language)),
        "average_all_languages": scoring.average(per_language), "layer": layer, "intermediate": phase2, "wall_s": wall,
        "split_per_language": {lang: task.eval_split[lang] for lang in languages},
    })
    return run.commit()


def _search_rows(task: tasks.Task, lang: str, limit: int | None, seed: int) -> list[dict[str, Any]]:
    """One language's rows, `limit` source sentences of them: a seeded sample of aligned pairs (Tatoeba), or of
    a sentence pool (BUCC) those sentences with their gold partners and English fillers (`subsample_pool`)."""
    if not task.sentence_pool:
        return _rows(task.name, lang, task.eval_split[lang], limit, seed)
    rows = _rows(task.name, lang, task.eval_split[lang], None, seed)
    return retrieval_lib.subsample_pool(rows, limit) if limit is not None else rows


def _benchmark_languages(task: tasks.Task, per_language: dict[str, dict]) -> dict[str, dict]:
    """The languages the XTREME average uses (all evaluated ones when the task names none)."""
    chosen = {lang: m for lang, m in per_language.items() if lang in task.xtreme_languages}
    return chosen or per_language

