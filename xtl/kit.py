"""Where a task's kit files are, and whether they are whole: the kit, the user folder, MANIFEST.json, sha256.

The offline kit holds `<kit>/<kit_name>/<lang>/<split>.jsonl.gz` with a MANIFEST.json per task that lists
every file's sha256. A user folder in the same layout (`$XTL_DATA_EXTRA`, e.g. written by `xtl data
prepare`) fills in files the kit lacks; the kit wins where both have one. Every file is checked against
its manifest once per process before it is read, and every failure is one line that names the fix.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xtl import tasks as registry
from xtl.errors import XtlError
from xtl.paths import data_root
from xtl.tasks import Task

EXTRA_ENV = "XTL_DATA_EXTRA"
SUFFIX = ".jsonl.gz"


@dataclass(frozen=True)
class Roots:
    """The kit folder (None when absent) and the optional user folder, in lookup order."""

    kit: Path | None
    extra: Path | None

    @classmethod
    def resolve(cls, extra: str | Path | None = None, required: bool = False) -> Roots:
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
            listing = manifest(folder)
            if listing is not None:
                listed = {rel[: -len(SUFFIX)]: (folder / rel, info.get("sha256"))
                          for rel, info in listing.get("files", {}).items() if rel.endswith(SUFFIX)}
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


# ----------------------------------------------------------------------------------- reading, checked


@functools.cache
def _manifest_cached(path: str, mtime_ns: int) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise XtlError(f"corrupt kit manifest {path} ({type(error).__name__}); re-fetch the kit") from None


def manifest(folder: Path) -> dict[str, Any] | None:
    """A task folder's MANIFEST.json (None when it has none)."""
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


def verify(path: Path, sha256: str | None) -> None:
    """Refuse a missing file, or one whose sha256 is not the manifest's (checked once per process)."""
    if not path.is_file():
        raise XtlError(f"kit file {path} is listed in MANIFEST.json but missing; re-fetch the kit")
    if sha256:
        stat = path.stat()
        _verified(str(path), stat.st_size, stat.st_mtime_ns, sha256)


def read(path: Path, sha256: str | None) -> list[dict[str, Any]]:
    """The rows of one kit file, in the kit's schema, after the sha256 check."""
    verify(path, sha256)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            lines = [line for line in handle.read().splitlines() if line.strip()]
        return json.loads("[" + ",".join(lines) + "]")
    except (OSError, EOFError, ValueError) as error:
        raise XtlError(f"corrupt kit file {path} ({type(error).__name__}); re-fetch the kit") from None


# ----------------------------------------------------------------------------------- whole-kit checks


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
        listing = manifest(root / spec.kit_name)
        if listing is None:
            lines.append(f"{spec.name}: not in the kit" + (f" ({spec.hub['note']})" if spec.hub.get("note") else ""))
            continue
        try:
            for rel, info in listing["files"].items():
                verify(root / spec.kit_name / rel, info["sha256"])
        except XtlError as error:
            lines.append(f"{spec.name}: {error}")
            continue
        lines.append(f"{spec.name}: {len(listing['files'])} files ok")
    return lines


def check_kit(names: Iterable[str]) -> None:
    """Refuse a missing kit, or a missing or corrupt file of these tasks, in one line before any training.

    Covers what `xtl.data.load` reads for them: their training, dev and mixed-in tasks, and (where present) the
    evaluated tasks whose texts decontaminate those. The sha256 checks are the ones `load` does, cached per process.
    """
    roots = Roots.resolve(required=True)
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
            verify(path, sha256)


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


# ----------------------------------------------------------------------------------- one-line errors


def _not_in_kit(spec: Task, roots: Roots) -> XtlError:
    where = f"{roots.extra or '$' + EXTRA_ENV}/{spec.kit_name}/"
    if spec.hub.get("path") is None and spec.hub.get("note"):  # e.g. ccg: licensed data, no hub copy
        return XtlError(f"{spec.name} is not in the kit: {spec.hub['note']}; put a copy in the kit layout at {where}")
    return XtlError(f"{spec.name} is not in the kit at {roots.kit}; run 'xtl data prepare {spec.name}' online "
                    f"and put it in {where}")


def not_offline(spec: Task, lang: str, split: str, roots: Roots) -> XtlError:
    """The error for a split that neither the kit nor the user folder holds."""
    where = roots.extra_hint(spec.kit_name, lang, split)
    if spec.hub.get("path") is None and spec.hub.get("note"):  # e.g. ccg: licensed data, no hub copy
        return XtlError(f"{spec.name}/{lang}/{split} is not in the kit: {spec.hub['note']}; "
                        f"put a copy in the kit layout at {where}")
    if roots.kit is None:
        data_root()  # raises the one-line 'data kit not found' error
    return XtlError(f"{spec.name}/{lang}/{split} is not in the kit; run 'xtl data prepare {spec.name}' online "
                    f"or put it in {where}")
