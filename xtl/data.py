"""Rows of every task in one canonical schema per format, read in place from the offline data kit.

`load(task, lang, split)` reads `<kit>/<kit_name>/<lang>/<split>.jsonl.gz` (sha256 checked against
the task's MANIFEST.json once per process), falls back to the same layout under `$XTL_DATA_EXTRA`
(a user folder, e.g. written by `xtl data prepare`), and converts the kit's hub field names into the
canonical columns of ARCHITECTURE.md. Three things happen on top of plain reading, all declared in
`xtl.tasks`:

- derived splits: a `Derivation` carves a deterministic held-out part out of a kit split, keeping
  rows that share a title / passage / sentence on one side (e.g. squad en/validation);
- mixes: `Task.mix` appends other tasks' rows (anli_plus = ANLI + MNLI + SNLI);
- decontamination: a split that trains or early-stops task T (T's train/dev split) loses every row
  whose normalised text (`row_text`) equals that of a row T evaluates, in any language.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import gzip
import hashlib
import json
import os
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import numpy as np

from xtl import tasks as registry
from xtl.errors import XtlError
from xtl.paths import data_root
from xtl.tasks import Derivation, Task

EXTRA_ENV = "XTL_DATA_EXTRA"
SUFFIX = ".jsonl.gz"

XCOPA_QUESTIONS = {"cause": "What was the cause?", "effect": "What happened as a result?"}

# ----------------------------------------------------------------------------------- public API


def load(task: str | Task, lang: str, split: str, limit: int | None = None, seed: int = 0,
         extra: str | Path | None = None) -> datasets.Dataset:
    """Canonical rows of one task/language/split; `limit` keeps a seeded random sample of that many rows.

    `extra` (default `$XTL_DATA_EXTRA`) is a folder in the kit layout read when the kit lacks a file.
    """
    spec = registry.get(task)
    rows = _rows(spec, lang, split, _Roots.resolve(extra))
    if limit is not None:
        rows = _sample(spec, rows, int(limit), seed)
    return datasets.Dataset.from_list(rows, features=features(spec.format, spec.name))


def rows(task: str | Task, lang: str, split: str, extra: str | Path | None = None) -> list[dict[str, Any]]:
    """All canonical rows of a split as plain dicts (what `load` wraps in a Dataset)."""
    return _rows(registry.get(task), lang, split, _Roots.resolve(extra))  # fresh dicts on every call


def languages(task: str | Task, extra: str | Path | None = None) -> list[str]:
    """The task's languages: the registry's (the kit's codes) plus any other found in the data folders."""
    spec = registry.get(task)
    roots = _Roots.resolve(extra, required=False)
    found = [lang for lang in roots.languages(spec.kit_name) if lang not in spec.languages]
    return list(spec.languages) + sorted(found)


def eval_languages(task: str | Task) -> list[str]:
    """The languages a task is evaluated on (the keys of `Task.eval_split`, in registry order)."""
    return list(registry.get(task).eval_split)


def splits(task: str | Task, lang: str, extra: str | Path | None = None) -> list[str]:
    """Split names `load` can give offline for this language (kit, user folder, derived, composite)."""
    spec = registry.get(task)
    return sorted(_available_splits(spec, lang, _Roots.resolve(extra, required=False)))


def in_kit(task: str | Task) -> bool:
    """Whether the offline kit holds this task at all (False for ccg, or when there is no kit)."""
    root = data_root(required=False)
    return root is not None and (root / registry.get(task).kit_name / "MANIFEST.json").is_file()


def verify_kit(names: Iterable[str] | None = None) -> list[str]:
    """Check every kit file's sha256 against its MANIFEST.json; one report line per task."""
    root = data_root()
    lines = []
    for name in names or registry.names():
        spec = registry.get(name)
        manifest = _manifest(root / spec.kit_name)
        if manifest is None:
            lines.append(f"{spec.name}: not in the kit" + (f" ({spec.hub['note']})" if spec.hub.get("note") else ""))
            continue
        try:
            for rel, info in manifest["files"].items():
                _verify(root / spec.kit_name / rel, info["sha256"])
        except XtlError as error:
            lines.append(f"{spec.name}: {error}")
            continue
        lines.append(f"{spec.name}: {len(manifest['files'])} files ok")
    return lines


def check_kit(names: Iterable[str]) -> None:
    """Refuse a missing kit, or a missing or corrupt file of these tasks, in one line before any training.

    Covers what `load` reads for them: their training, dev and mixed-in tasks, and (where present) the evaluated
    tasks whose texts decontaminate those. The sha256 checks are the ones `load` does, cached per process.
    """
    roots = _Roots.resolve(required=True)
    if roots.extra is not None and not roots.extra.is_dir():
        raise XtlError(f"${EXTRA_ENV}={roots.extra} is not a folder; create it or unset {EXTRA_ENV}")
    needed = _read_with(names)
    feeding = {t.name for t in registry.all_tasks() if t.eval_split and {t.train_task or t.name, t.dev_task or t.name} & needed}
    for name in sorted(needed | feeding):
        spec = registry.get(name)
        if not roots.folders(spec.kit_name):
            if name in needed:
                raise _not_in_kit(spec, roots)
            continue
        for path, sha256 in roots.files(spec.kit_name).values():
            _verify(path, sha256)


def _read_with(names: Iterable[str]) -> set[str]:
    """The tasks and every task whose rows they read (training and dev data, mixes), transitively."""
    found: set[str] = set()
    todo = [registry.get(name).name for name in names]
    while todo:
        spec = registry.get(todo.pop())
        if spec.name in found:
            continue
        found.add(spec.name)
        todo += [n for n in (spec.train_task, spec.dev_task) if n] + [m[0] for parts in spec.mix.values() for m in parts]
    return found


def _not_in_kit(spec: Task, roots: _Roots) -> XtlError:
    where = f"{roots.extra or '$' + EXTRA_ENV}/{spec.kit_name}/"
    if spec.hub.get("path") is None and spec.hub.get("note"):  # e.g. ccg: licensed data, no hub copy
        return XtlError(f"{spec.name} is not in the kit: {spec.hub['note']}; put a copy in the kit layout at {where}")
    return XtlError(f"{spec.name} is not in the kit at {roots.kit}; run 'xtl data prepare {spec.name}' online "
                    f"and put it in {where}")


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


def features(fmt: str, task: str = "") -> datasets.Features:
    """The canonical columns (and their types) of a format."""
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
    if fmt == "retrieval" and task == "bucc2018":
        return datasets.Features({"id": string, "lang": string, "sentence": string, "gold_pair_id": string})
    if fmt == "retrieval":
        return datasets.Features({"source": string, "target": string})
    if fmt == "raw_text":
        return datasets.Features({"text": string})
    raise ValueError(f"unknown format {fmt!r}")


# ----------------------------------------------------------------------------------- where files are


@dataclass(frozen=True)
class _Roots:
    """The kit folder (None when absent) and the optional user folder, in lookup order."""

    kit: Path | None
    extra: Path | None

    @classmethod
    def resolve(cls, extra: str | Path | None = None, required: bool = False) -> _Roots:
        extra = extra if extra is not None else os.environ.get(EXTRA_ENV) or None
        return cls(data_root(required=required), Path(extra) if extra else None)

    def folders(self, kit_name: str) -> list[tuple[Path, bool]]:
        """(task folder, is the kit) pairs that exist."""
        out = []
        if self.kit is not None and (self.kit / kit_name).is_dir():
            out.append((self.kit / kit_name, True))
        if self.extra is not None and (self.extra / kit_name).is_dir():
            out.append((self.extra / kit_name, False))
        return out

    def files(self, kit_name: str) -> dict[str, tuple[Path, str | None]]:
        """'lang/split' -> (path, expected sha256 or None); the kit wins over the user folder."""
        found: dict[str, tuple[Path, str | None]] = {}
        for folder, is_kit in reversed(self.folders(kit_name)):
            manifest = _manifest(folder)
            if manifest is not None:
                listed = {rel[: -len(SUFFIX)]: (folder / rel, info.get("sha256"))
                          for rel, info in manifest.get("files", {}).items() if rel.endswith(SUFFIX)}
            elif is_kit:
                listed = {}
            else:
                listed = {f"{p.parent.name}/{p.name[: -len(SUFFIX)]}": (p, None) for p in folder.glob(f"*/*{SUFFIX}")}
            found.update(listed)
        return found

    def languages(self, kit_name: str) -> set[str]:
        return {key.split("/")[0] for key in self.files(kit_name)}

    def extra_hint(self, kit_name: str, lang: str, split: str) -> str:
        base = str(self.extra) if self.extra is not None else f"${EXTRA_ENV}"
        return f"{base}/{kit_name}/{lang}/{split}{SUFFIX}"


@functools.cache
def _manifest_cached(path: str, mtime_ns: int) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise XtlError(f"corrupt kit manifest {path} ({type(error).__name__}); re-fetch the kit") from None


def _manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / "MANIFEST.json"
    if not path.is_file():
        return None
    return _manifest_cached(str(path), path.stat().st_mtime_ns)


@functools.cache
def _verified(path: str, size: int, mtime_ns: int, sha256: str) -> bool:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != sha256:
        raise XtlError(f"corrupt kit file {path}: sha256 mismatch; re-fetch the kit")
    return True


def _verify(path: Path, sha256: str | None) -> None:
    if not path.is_file():
        raise XtlError(f"kit file {path} is listed in MANIFEST.json but missing; re-fetch the kit")
    if sha256:
        stat = path.stat()
        _verified(str(path), stat.st_size, stat.st_mtime_ns, sha256)


def _read(path: Path, sha256: str | None) -> list[dict[str, Any]]:
    _verify(path, sha256)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            lines = [line for line in handle.read().splitlines() if line.strip()]
        return json.loads("[" + ",".join(lines) + "]")
    except (OSError, EOFError, ValueError) as error:
        raise XtlError(f"corrupt kit file {path} ({type(error).__name__}); re-fetch the kit") from None


# ----------------------------------------------------------------------------------- the pipeline


def _applicable(derivation: Derivation, files: dict[str, Any]) -> bool:
    return derivation.unless is None or f"{derivation.lang}/{derivation.unless}" not in files


def _available_splits(spec: Task, lang: str, roots: _Roots) -> set[str]:
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


def _check_choice(spec: Task, lang: str, split: str, roots: _Roots) -> None:
    known_langs = list(spec.languages) + sorted(roots.languages(spec.kit_name) - set(spec.languages))
    if lang not in known_langs:
        raise XtlError(f"unknown language {lang!r} for task {spec.name}; choose one of: "
                       f"{', '.join(known_langs)} (run 'xtl tasks -v')")
    available = _available_splits(spec, lang, roots)
    if split not in available and split not in spec.known_splits:
        choices = sorted(available) or sorted(spec.known_splits)
        raise XtlError(f"unknown split {split!r} for {spec.name}/{lang}; choose one of: {', '.join(choices)}")


def _not_offline(spec: Task, lang: str, split: str, roots: _Roots) -> XtlError:
    where = roots.extra_hint(spec.kit_name, lang, split)
    if spec.hub.get("path") is None and spec.hub.get("note"):  # e.g. ccg: licensed data, no hub copy
        return XtlError(f"{spec.name}/{lang}/{split} is not in the kit: {spec.hub['note']}; "
                        f"put a copy in the kit layout at {where}")
    if roots.kit is None:
        data_root()  # raises the one-line 'data kit not found' error
    return XtlError(f"{spec.name}/{lang}/{split} is not in the kit; run 'xtl data prepare {spec.name}' online "
                    f"or put it in {where}")


def _raw(spec: Task, lang: str, split: str, roots: _Roots) -> list[dict[str, Any]]:
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


def _raw_file(spec: Task, lang: str, split: str, roots: _Roots, files: dict[str, Any]) -> list[dict[str, Any]]:
    key = f"{lang}/{split}"
    if key not in files:
        raise _not_offline(spec, lang, split, roots)
    rows = _read(*files[key])
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


def _rows(spec: Task, lang: str, split: str, roots: _Roots) -> list[dict[str, Any]]:
    with _bulk():
        return _rows_unpaused(spec, lang, split, roots)


def _rows_unpaused(spec: Task, lang: str, split: str, roots: _Roots) -> list[dict[str, Any]]:
    _check_choice(spec, lang, split, roots)
    convert = CONVERTERS[spec.kit_name]
    out = [convert(row) for row in _raw(spec, lang, split, roots)]
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


def _blocked_texts(spec: Task, lang: str, split: str, roots: _Roots) -> frozenset[str]:
    blocked: set[str] = set()
    for target in _feeds(spec, lang, split):
        blocked |= _evaluated_texts(target.name, roots)
    return frozenset(blocked)


@functools.lru_cache(maxsize=64)
def _evaluated_texts(task_name: str, roots: _Roots) -> frozenset[str]:
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
    """Seeded shuffle, then the first `limit`; BUCC keeps each gold pair whole (both sides or neither)."""
    if limit < 0:
        raise XtlError(f"limit must be a positive number of rows, not {limit}")
    rng = np.random.default_rng(seed)
    if spec.name != "bucc2018":
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


# ----------------------------------------------------------------------------------- kit schema -> canonical


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _sentence(field: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda r: {"text": r[field], "label": int(r["label"])}


def _pair(a: str, b: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda r: {"text_a": r[a], "text_b": r[b], "label": int(r["label"])}


def _tagging(field: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda r: {"tokens": r["tokens"], "tags": r[field]}


def _answers(answers: dict[str, Any]) -> dict[str, Any]:
    return {"text": list(answers["text"]), "answer_start": [int(s) for s in answers["answer_start"]]}


def _qa(r: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(r["id"]), "context": r["context"], "question": r["question"], "answers": _answers(r["answers"])}


def _afriqa(r: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(r["id"]), "context": r["context"], "question": r["question_lang"],
            "answers": _answers(r["answer_pivot"])}


def _choice(context: str, question: str, choices: list[str], label: int) -> dict[str, Any]:
    return {"context": context, "question": question, "choices": list(choices), "label": int(label)}


def _commonsenseqa(r: dict[str, Any]) -> dict[str, Any]:
    # No passage: the question is what the model reads first, so it goes in `context`.
    return _choice(r["question"], "", r["choices"]["text"], r["choices"]["label"].index(r["answerKey"]))


def _socialiqa(r: dict[str, Any]) -> dict[str, Any]:
    return _choice(r["context"], r["question"], [r["answerA"], r["answerB"], r["answerC"]], int(r["label"]) - 1)


def _cosmosqa(r: dict[str, Any]) -> dict[str, Any]:
    return _choice(r["context"], r["question"], [r[f"answer{i}"] for i in range(4)], r["label"])


def _hellaswag(r: dict[str, Any]) -> dict[str, Any]:
    return _choice(r["ctx"], "", r["endings"], int(r["label"]))


def _xcopa(r: dict[str, Any]) -> dict[str, Any]:
    return _choice(r["premise"], XCOPA_QUESTIONS[r["question"]], [r["choice1"], r["choice2"]], r["label"])


def _tatoeba(r: dict[str, Any]) -> dict[str, Any]:
    return {"source": r["source_sentence"], "target": r["target_sentence"]}


def _bucc(r: dict[str, Any]) -> dict[str, Any]:
    return {"id": r["id"], "lang": r["lang"], "sentence": r["sentence"], "gold_pair_id": r.get("gold_pair_id")}


def _ccg(r: dict[str, Any]) -> dict[str, Any]:
    return {"tokens": list(r["tokens"]), "tags": [int(t) for t in r.get("tags", r.get("ccg_tags", []))]}


CONVERTERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "xnli": _pair("premise", "hypothesis"),
    "mnli": _pair("premise", "hypothesis"),
    "snli": _pair("premise", "hypothesis"),
    "anli_plus": _pair("premise", "hypothesis"),
    "qqp": _pair("question1", "question2"),
    "pawsx": _pair("sentence1", "sentence2"),
    "sst2": _sentence("sentence"),
    "afrisenti": _sentence("tweet"),
    "masakhanews": _sentence("headline"),
    "udpos": _tagging("pos_tags"),
    "panx": _tagging("ner_tags"),
    "masakhaner2": _tagging("ner_tags"),
    "masakhapos": _tagging("upos"),
    "ccg": _ccg,
    "squad": _qa,
    "xquad": _qa,
    "mlqa": _qa,
    "tydiqa": _qa,
    "afriqa": _afriqa,
    "commonsenseqa": _commonsenseqa,
    "socialiqa": _socialiqa,
    "cosmosqa": _cosmosqa,
    "hellaswag": _hellaswag,
    "xcopa": _xcopa,
    "tatoeba": _tatoeba,
    "bucc2018": _bucc,
    "mlm": lambda r: {"text": r["text"]},
}
