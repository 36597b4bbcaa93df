"""Rows of every task in one canonical schema per format, read in place from the offline data kit.

`load(task, lang, split)` reads the task's kit file (`xtl.kit`: the kit, else `$XTL_DATA_EXTRA`, sha256
checked) and turns each row into the canonical columns of ARCHITECTURE.md with the task's own converter
(`Task.convert`, from `xtl.convert`). Three things happen on top of plain reading, all declared in
`xtl.tasks`:

- derived splits: a `Derivation` carves a deterministic held-out part out of a kit split, keeping
  rows that share a title / passage / sentence on one side (e.g. squad en/validation);
- mixes: `Task.mix` appends other tasks' rows (anli_plus = ANLI + MNLI + SNLI);
- decontamination: a split that trains or early-stops task T (T's train/dev split) loses every row
  whose normalised text (`row_text`) equals that of a row T evaluates, in any language.

The kit checks (`in_kit`, `verify_kit`, `check_kit`) live in `xtl.kit` and are part of this API too.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import unicodedata
from pathlib import Path
from typing import Any

import datasets
import numpy as np

from xtl import tasks as registry
from xtl.errors import XtlError
from xtl.kit import Roots, check_kit, in_kit, not_offline, read, verify_kit
from xtl.tasks import Derivation, Task

__all__ = ["carve", "check_kit", "eval_languages", "features", "in_kit", "languages", "load", "row_text", "rows",
           "splits", "verify_kit"]  # the kit checks are xtl.kit's, part of this API too

# ----------------------------------------------------------------------------------- public API


def load(task: str | Task, lang: str, split: str, limit: int | None = None, seed: int = 0,
         extra: str | Path | None = None) -> datasets.Dataset:
    """Canonical rows of one task/language/split; `limit` keeps a seeded random sample of that many rows.

    `extra` (default `$XTL_DATA_EXTRA`) is a folder in the kit layout read when the kit lacks a file.
    """
    spec = registry.get(task)
    rows = _rows(spec, lang, split, Roots.resolve(extra))
    if limit is not None:
        rows = _sample(spec, rows, int(limit), seed)
    return datasets.Dataset.from_list(rows, features=features(spec.format, spec))


def rows(task: str | Task, lang: str, split: str, extra: str | Path | None = None) -> list[dict[str, Any]]:
    """All canonical rows of a split as plain dicts (what `load` wraps in a Dataset)."""
    return _rows(registry.get(task), lang, split, Roots.resolve(extra))  # fresh dicts on every call


def languages(task: str | Task, extra: str | Path | None = None) -> list[str]:
    """The task's languages: the registry's (the kit's codes) plus any other found in the data folders."""
    spec = registry.get(task)
    roots = Roots.resolve(extra, required=False)
    found = [lang for lang in roots.languages(spec.kit_name) if lang not in spec.languages]
    return list(spec.languages) + sorted(found)


def eval_languages(task: str | Task) -> list[str]:
    """The languages a task is evaluated on (the keys of `Task.eval_split`, in registry order)."""
    return list(registry.get(task).eval_split)


def splits(task: str | Task, lang: str, extra: str | Path | None = None) -> list[str]:
    """Split names `load` can give offline for this language (kit, user folder, derived, composite)."""
    spec = registry.get(task)
    return sorted(_available_splits(spec, lang, Roots.resolve(extra, required=False)))


def row_text(fmt: str, row: dict[str, Any]) -> str:
    """A row's text, normalised (NFKC, case-folded, whitespace collapsed): the identity used for leakage."""
    if fmt == "sentence_classification" or fmt == "raw_text":
        parts = [row["text"]]
    elif fmt == "pair_classification":
        parts = [row["text_a"], row["text_b"]]
    elif fmt == "token_tagging":
        parts = [" ".join(row["tokens"])]
    elif fmt == "extractive_qa":
        parts = [row["context"], row["question"]]
    elif fmt == "multiple_choice":
        parts = [row["context"], row["question"], *row["choices"]]
    elif fmt == "retrieval":
        parts = [row["source"], row["target"]] if "source" in row else [row["sentence"]]
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return "\t".join(_normalise(p) for p in parts)


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def features(fmt: str, task: str | Task | None = None) -> datasets.Features:
    """The canonical columns (and their types) of a format; retrieval's depend on the task (pairs or a pool)."""
    string, integer = datasets.Value("string"), datasets.Value("int64")
    if fmt == "sentence_classification":
        return datasets.Features({"text": string, "label": integer})
    if fmt == "pair_classification":
        return datasets.Features({"text_a": string, "text_b": string, "label": integer})
    if fmt == "token_tagging":
        return datasets.Features({"tokens": datasets.List(string), "tags": datasets.List(integer)})
    if fmt == "extractive_qa":
        return datasets.Features({"id": string, "context": string, "question": string,
                                  "answers": {"text": datasets.List(string), "answer_start": datasets.List(integer)}})
    if fmt == "multiple_choice":
        return datasets.Features({"context": string, "question": string, "choices": datasets.List(string),
                                  "label": integer})
    if fmt == "retrieval" and task and registry.get(task).sentence_pool:
        return datasets.Features({"id": string, "lang": string, "sentence": string, "gold_pair_id": string})
    if fmt == "retrieval":
        return datasets.Features({"source": string, "target": string})
    if fmt == "raw_text":
        return datasets.Features({"text": string})
    raise ValueError(f"unknown format {fmt!r}")


# ----------------------------------------------------------------------------------- the pipeline


def _applicable(derivation: Derivation, files: dict[str, Any]) -> bool:
    return derivation.unless is None or f"{derivation.lang}/{derivation.unless}" not in files


def _available_splits(spec: Task, lang: str, roots: Roots) -> set[str]:
    files = roots.files(spec.kit_name)
    out = {key.split("/", 1)[1] for key in files if key.split("/", 1)[0] == lang}
    for derivation in spec.derived:
        if derivation.lang == lang and _applicable(derivation, files) and \
                all(f"{lang}/{s}" in files for s in derivation.source):
            out.update(derivation.outputs)
    for name, parts in spec.composite.items():
        if all(f"{lang}/{p}" in files for p in parts):
            out.add(name)
    return out


def _check_choice(spec: Task, lang: str, split: str, roots: Roots) -> None:
    known_langs = list(spec.languages) + sorted(roots.languages(spec.kit_name) - set(spec.languages))
    if lang not in known_langs:
        raise XtlError(f"unknown language {lang!r} for task {spec.name}; choose one of: "
                       f"{', '.join(known_langs)} (run 'xtl tasks -v')")
    available = _available_splits(spec, lang, roots)
    if split not in available and split not in spec.known_splits:
        choices = sorted(available) or sorted(spec.known_splits)
        raise XtlError(f"unknown split {split!r} for {spec.name}/{lang}; choose one of: {', '.join(choices)}")


def _raw(spec: Task, lang: str, split: str, roots: Roots) -> list[dict[str, Any]]:
    """Kit-schema rows of one split: a file, a derived part or a concatenation of splits."""
    files = roots.files(spec.kit_name)
    for derivation in spec.derived:
        if derivation.lang == lang and split in derivation.outputs and _applicable(derivation, files):
            source: list[dict[str, Any]] = []
            for part in derivation.source:
                source += _raw_file(spec, lang, part, roots, files)
            rest, held = carve(source, derivation)
            return rest if split == derivation.outputs[0] else held
    if f"{lang}/{split}" in files or split not in spec.composite:
        return _raw_file(spec, lang, split, roots, files)
    return [row for part in spec.composite[split] for row in _raw_file(spec, lang, part, roots, files)]


def _raw_file(spec: Task, lang: str, split: str, roots: Roots, files: dict[str, Any]) -> list[dict[str, Any]]:
    key = f"{lang}/{split}"
    if key not in files:
        raise not_offline(spec, lang, split, roots)
    rows = read(*files[key])
    if spec.format == "extractive_qa":
        ids = [str(r["id"]) for r in rows]
        if len(set(ids)) != len(ids):  # e.g. tydiqa en/train carries XTREME's paragraph indices
            for index, row in enumerate(rows):
                row["id"] = f"{row['id']}-{index}"
    return rows


@contextlib.contextmanager
def _bulk() -> Any:
    """Pause the cyclic garbage collector while building many small objects (halves load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _rows(spec: Task, lang: str, split: str, roots: Roots) -> list[dict[str, Any]]:
    with _bulk():
        return _rows_unpaused(spec, lang, split, roots)


def _rows_unpaused(spec: Task, lang: str, split: str, roots: Roots) -> list[dict[str, Any]]:
    _check_choice(spec, lang, split, roots)
    out = [spec.convert(row) for row in _raw(spec, lang, split, roots)]
    for task_name, mix_lang, mix_split in spec.mix.get(split, ()):
        if lang == spec.train_lang:
            out += _rows(registry.get(task_name), mix_lang, mix_split, roots)
    blocked = _blocked_texts(spec, lang, split, roots)
    if blocked:
        out = [row for row in out if row_text(spec.format, row) not in blocked]
    return out


def _feeds(spec: Task, lang: str, split: str) -> list[Task]:
    """Tasks that this split trains or early-stops, and that evaluate other rows."""
    out = []
    for target in registry.all_tasks():
        uses = [(target.train_task or target.name, target.train_lang, target.train_split),
                (target.dev_task or target.name, target.dev_lang, target.dev_split)]
        feeds = any(name == spec.name and s == split and (lng is None or lng == lang) for name, lng, s in uses)
        evaluated = target.name == spec.name and target.eval_split.get(lang) == split
        if feeds and not evaluated and target.eval_split:
            out.append(target)
    return out


def _blocked_texts(spec: Task, lang: str, split: str, roots: Roots) -> frozenset[str]:
    blocked: set[str] = set()
    for target in _feeds(spec, lang, split):
        blocked |= _evaluated_texts(target.name, roots)
    return frozenset(blocked)


@functools.lru_cache(maxsize=64)
def _evaluated_texts(task_name: str, roots: Roots) -> frozenset[str]:
    """Normalised texts of every row the task evaluates (all languages); languages not offline are skipped."""
    spec = registry.get(task_name)
    texts: set[str] = set()
    for lang, split in spec.eval_split.items():
        if split not in _available_splits(spec, lang, roots):
            continue
        texts.update(row_text(spec.format, row) for row in _rows(spec, lang, split, roots))
    return frozenset(texts)


# ----------------------------------------------------------------------------------- derivation


def carve(rows: list[dict[str, Any]], derivation: Derivation) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split rows into (rest, held-out) by groups: rows sharing any `group_by` value stay together.

    Groups are ordered by the sha256 of their smallest member text and held out in that order until
    `fraction` of the rows is reached, so the result depends on content only, not on row order.
    """
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    atoms_of: list[list[str]] = []
    for index, row in enumerate(rows):
        atoms = []
        for name in derivation.group_by:
            value = row[name]
            atoms.append(_normalise(" ".join(value) if isinstance(value, list) else str(value)))
        atoms_of.append(atoms)
        for atom in atoms:
            if atom in owner:
                parent[find(index)] = find(owner[atom])
            else:
                owner[atom] = index
    groups: dict[int, list[int]] = {}
    for index in range(len(rows)):
        groups.setdefault(find(index), []).append(index)
    keyed = sorted(groups.values(), key=lambda members: hashlib.sha256(
        min(a for m in members for a in atoms_of[m]).encode("utf-8")).hexdigest())
    wanted = round(derivation.fraction * len(rows))
    held: set[int] = set()
    for members in keyed:
        if len(held) >= wanted:
            break
        held.update(members)
    return ([r for i, r in enumerate(rows) if i not in held], [r for i, r in enumerate(rows) if i in held])


# ----------------------------------------------------------------------------------- sampling


def _sample(spec: Task, rows: list[dict[str, Any]], limit: int, seed: int) -> list[dict[str, Any]]:
    """Seeded shuffle, then the first `limit`; a sentence pool (BUCC) keeps each gold pair whole (both or neither)."""
    if limit < 0:
        raise XtlError(f"limit must be a positive number of rows, not {limit}")
    rng = np.random.default_rng(seed)
    if not spec.sentence_pool:
        return [rows[i] for i in rng.permutation(len(rows))[:limit]]
    by_id = {row["id"]: i for i, row in enumerate(rows)}
    units, seen = [], set()
    for i, row in enumerate(rows):
        if i in seen:
            continue
        partner = by_id.get(row["gold_pair_id"]) if row["gold_pair_id"] else None
        unit = [i] if partner is None else sorted({i, partner})
        seen.update(unit)
        units.append(unit)
    picked: list[int] = []
    for u in rng.permutation(len(units)):
        if len(picked) >= limit:
            break
        picked += units[u]
    return [rows[i] for i in picked]
