"""Where the kit, the cache and the results live (environment variables override the defaults)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from xtl.errors import XtlError

BOOK_RUNS_ENV = "XTL_BOOK_RUNS"


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set these environment variables (e.g. XTL_RESULTS to a scratch folder) for a block, then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def repo_root() -> Path:
    """The checkout this package sits in (the folder holding `xtl/`)."""
    return Path(__file__).resolve().parent.parent


def data_root(required: bool = True) -> Path | None:
    """The offline data kit: $XTL_DATA, else ../shared/data beside the checkout."""
    env = os.environ.get("XTL_DATA")
    candidate = Path(env) if env else repo_root().parent / "shared" / "data"
    if candidate.is_dir():
        return candidate
    if required:
        where = f"$XTL_DATA={env}" if env else str(candidate)
        raise XtlError(
            f"data kit not found at {where}; set XTL_DATA to the kit folder "
            "or run 'xtl data prepare' online"
        )
    return None


def cache_root() -> Path:
    """Built models, wheels, tokenised data and phase-2 checkpoints: $XTL_CACHE or ~/.cache/xtl."""
    path = Path(os.environ.get("XTL_CACHE", Path.home() / ".cache" / "xtl"))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise XtlError(f"cannot create the cache folder {path} ({error.strerror}); point XTL_CACHE at a writable "
                       "folder") from None
    return path


def results_root() -> Path:
    """Result folders: $XTL_RESULTS or <repo>/results."""
    return Path(os.environ.get("XTL_RESULTS", repo_root() / "results"))


def checkpoint_root() -> Path:
    """Phase-2 encoders keyed by config hash: $XTL_CHECKPOINTS or <cache>/checkpoints (never committed)."""
    env = os.environ.get("XTL_CHECKPOINTS")
    return Path(env) if env else cache_root() / "checkpoints"


def book_runs_root() -> Path:
    """Executed run notebooks (`xtl run`): $XTL_BOOK_RUNS, else <repo>/book/runs."""
    return Path(os.environ.get(BOOK_RUNS_ENV, repo_root() / "book" / "runs"))


def repo_relative(path: Path) -> str:
    """`path` relative to the checkout when it lies inside it (for messages), else as given."""
    try:
        return str(Path(path).resolve().relative_to(repo_root()))
    except ValueError:
        return str(path)
