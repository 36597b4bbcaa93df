"""Run files kept gzip-compressed, byte-for-byte reproducible.

Predictions are most of a results folder (a UD-POS run over 37 languages writes ~5 MB of JSON lines
and tag files); gzip makes them about ten times smaller, which is what lets a grid of hundreds of
runs be committed. The files carry no time stamp and no name (mtime 0), so the same predictions make
the same bytes and `xtl.equivalence` can still compare runs file by file.

`python -m xtl.compressed FOLDER...` compresses the prediction files of run folders written before
predictions were compressed (readers accept both forms).
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
from pathlib import Path

from xtl import atomic

SUFFIX = ".gz"


def gzip_bytes(text: str) -> bytes:
    """`text` as UTF-8, gzip-compressed with no time stamp or file name (the same text, the same bytes)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=buffer, mode="wb", mtime=0) as handle:
        handle.write(text.encode("utf-8"))
    return buffer.getvalue()


def write_text(path: str | Path, text: str) -> Path:
    """Write `text` compressed to `path` (which ends in .gz) atomically; return the path."""
    path = Path(path)
    if path.suffix != SUFFIX:
        raise ValueError(f"{path}: a compressed file's name ends in {SUFFIX}")
    return atomic.write_bytes(path, gzip_bytes(text))


def find(path: str | Path) -> Path | None:
    """The stored form of `path` (a name without .gz): `path.gz`, else `path` itself, else None."""
    path = Path(path)
    for candidate in (path.with_name(path.name + SUFFIX), path):
        if candidate.is_file():
            return candidate
    return None


def read_text(path: str | Path) -> str:
    """The text of a file, decompressed when its name ends in .gz."""
    path = Path(path)
    if path.suffix == SUFFIX:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return handle.read()
    return path.read_text(encoding="utf-8")


def logical_name(path: Path) -> str:
    """A file's name with any .gz removed: what it holds, whichever way it is stored."""
    return path.name[: -len(SUFFIX)] if path.suffix == SUFFIX else path.name


def compress_predictions(folder: str | Path) -> int:
    """Compress every uncompressed file under each `predictions/` folder below `folder`; return how many."""
    done = 0
    for predictions in sorted(Path(folder).rglob("predictions")):
        if not predictions.is_dir():
            continue
        for path in sorted(p for p in predictions.rglob("*") if p.is_file() and p.suffix != SUFFIX):
            write_text(path.with_name(path.name + SUFFIX), path.read_text(encoding="utf-8"))
            path.unlink()
            done += 1
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xtl.compressed", description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="results folders (searched for predictions/)")
    args = parser.parse_args(argv)
    missing = [str(f) for f in args.folders if not f.is_dir()]
    if missing:
        print(f"error: no such folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    for folder in args.folders:
        print(f"{folder}: compressed {compress_predictions(folder)} prediction files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
