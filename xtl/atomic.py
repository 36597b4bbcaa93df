"""Atomic writes: a file or a folder is written beside its final path and renamed into place.

A reader sees the old version or the new one, never half of either, and a killed writer leaves only
a temporary sibling that the next attempt removes (`.partial` folders, `.tmp` files).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder; the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, payload: Any) -> Path:
    """JSON as every record of the project is written: one-space indent, sorted keys, UTF-8, final newline."""
    return write_text(path, json.dumps(payload, indent=1, sort_keys=True, ensure_ascii=False, default=str) + "\n")


def copy_file(source: str | Path, target: str | Path) -> Path:
    """Copy a file into place through a temporary sibling of `target`."""
    return write_bytes(target, Path(source).read_bytes())


def staging_folder(final: Path, shared: bool = False) -> Path:
    """An empty folder beside `final` to fill before `publish` renames it into place.

    `<final>.partial`, emptied of what a killed attempt left; `shared` (a cache that several processes
    may build at once) gives each writer a folder of its own instead.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    if shared:
        return Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=final.parent))
    staging = final.with_name(final.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    return staging


def publish(staging: Path, final: Path, shared: bool = False) -> Path:
    """Rename a filled staging folder to `final`, replacing what is there; `final`.

    An older `final` is first moved aside, so readers see one or the other. `shared`: the folder is
    made readable by all (a shared cache), and when another writer put its copy in place first,
    that copy stays.
    """
    staging, final = Path(staging), Path(final)
    if shared:
        os.chmod(staging, 0o755)  # mkdtemp makes it private
        for path in staging.iterdir():
            if path.is_file():
                os.chmod(path, 0o644)
    aside = None
    if final.exists():
        aside = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
        os.rename(final, aside / final.name)
    try:
        os.rename(staging, final)
    except OSError:
        if not (shared and final.exists()):
            raise
        shutil.rmtree(staging, ignore_errors=True)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
    return final


@contextlib.contextmanager
def folder(final: Path, shared: bool = False) -> Iterator[Path]:
    """`with folder(final) as staging:` fill `staging`; on success it replaces `final`, on failure it is removed."""
    staging = staging_folder(final, shared)
    try:
        yield staging
        publish(staging, final, shared)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
