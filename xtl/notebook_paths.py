"""Executed notebooks without machine paths: what run notebooks print, and what the book commits.

A notebook executed on one machine prints and records that machine's folders (`/work/main/results/…`,
`/root/.cache/xtl/…`, a temporary folder). The book must read the same on every machine, so:

- `display_path` is how notebooks print a path: repo-relative inside the checkout, else under the
  environment variable that locates it (`$XTL_RESULTS/…`, `$XTL_CACHE/…`, `$XTL_DATA/…`), else `~/…`;
- `clean_notebook` rewrites machine paths in a notebook's outputs and papermill metadata the same
  way, and drops stale warning outputs (stderr streams with "Warning": e.g. tqdm's widget notice);
- `machine_paths` and `warning_outputs` find what `clean_notebook` would change (tests/test_book.py
  fails the build on any).

The runner cleans each run notebook this way before moving it into the book.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xtl import paths

MACHINE_PREFIXES = ("/work/", "/tmp/", "/root/", "/home/", "/var/folders/", "/private/var/")
"""Absolute prefixes that name one machine's folders; a committed notebook holds none of them."""

_PATH_END = r"(?=$|[\s'\"`,;:)\]}<>\\])"


def _env_roots() -> list[tuple[str, str]]:
    """(absolute folder, how to print it) for this machine: the checkout, then the xtl variables, then ~."""
    roots: list[tuple[str, str]] = []
    for variable in ("XTL_RESULTS", "XTL_BOOK_RUNS", "XTL_CHECKPOINTS", "XTL_CACHE", "XTL_DATA_EXTRA", "XTL_DATA"):
        if os.environ.get(variable):
            roots.append((str(Path(os.environ[variable]).resolve()), f"${variable}"))
    roots.append((str(paths.repo_root()), "."))
    roots.append((str(Path.home() / ".cache" / "xtl"), "$XTL_CACHE"))
    data = paths.data_root(required=False)
    if data is not None:
        roots.append((str(Path(data).resolve()), "$XTL_DATA"))
    roots.append((str(Path.home()), "~"))
    return roots


def display_path(path: str | Path, roots: Sequence[tuple[str, str]] | None = None) -> str:
    """`path` as notebooks print it: 'results/laptop/target/…', '$XTL_CACHE/checkpoints/…', '~/…'.

    Inside the checkout the path is repo-relative even when an environment variable points there too.
    """
    resolved = Path(path).resolve()
    roots = list(roots) if roots is not None else _env_roots()
    repo = next((root for root, shown in roots if shown == "."), None)
    ordered = ([(repo, ".")] if repo else []) + sorted(
        [(r, s) for r, s in roots if s != "."], key=lambda pair: -len(pair[0]))
    for root, shown in ordered:
        try:
            rest = resolved.relative_to(root)
        except ValueError:
            continue
        if shown == ".":
            return str(rest) if str(rest) != "." else "."
        return shown if str(rest) == "." else f"{shown}/{rest}"
    return str(path)


def relativise_text(text: str, replacements: Sequence[tuple[str, str]]) -> str:
    """Every occurrence of an absolute folder in `text` replaced (longest folder first).

    `replacements` are (absolute folder or regular expression prefixed 're:', replacement); a
    replacement of '.' makes paths below the folder relative ('/repo/results/x' -> 'results/x').
    """
    for root, shown in sorted(replacements, key=lambda pair: -len(pair[0])):
        pattern = root[3:] if root.startswith("re:") else re.escape(root.rstrip("/"))
        if shown == ".":
            text = re.sub(pattern + "/", "", text)
            text = re.sub(pattern + _PATH_END, ".", text)
        else:
            text = re.sub(pattern + _PATH_END, lambda _m, s=shown: s, text)
            text = re.sub(pattern + "/", lambda _m, s=shown: s + "/", text)
    return text


def _is_warning(output: Mapping[str, Any]) -> bool:
    text = output.get("text", "")
    text = "".join(text) if isinstance(text, list) else str(text)
    return output.get("output_type") == "stream" and output.get("name") == "stderr" and "Warning" in text


def _rewrite(value: Any, replacements: Sequence[tuple[str, str]]) -> Any:
    """Strings anywhere in a JSON value rewritten with `relativise_text`; images left alone."""
    if isinstance(value, str):
        return relativise_text(value, replacements) if "/" in value else value
    if isinstance(value, list):
        return [_rewrite(v, replacements) for v in value]
    if isinstance(value, dict):
        return {k: (v if k.startswith("image/") else _rewrite(v, replacements)) for k, v in value.items()}
    return value


def clean_notebook(notebook: dict[str, Any], replacements: Sequence[tuple[str, str]],
                   output_path: str | None = None, input_path: str | None = None) -> dict[str, Any]:
    """A copy of a notebook (nbformat JSON) without machine paths and without stale warning outputs.

    Outputs and metadata are rewritten with `relativise_text`; papermill's `output_path` and
    `input_path` are set to the given repo-relative paths when passed. Deterministic: cleaning
    twice changes nothing more.
    """
    out = json.loads(json.dumps(notebook))
    for cell in out.get("cells", []):
        if "outputs" in cell:
            cell["outputs"] = [_rewrite(o, replacements) for o in cell["outputs"] if not _is_warning(o)]
    out["metadata"] = _rewrite(out.get("metadata", {}), replacements)
    papermill = out["metadata"].get("papermill")
    if isinstance(papermill, dict):
        if output_path is not None:
            papermill["output_path"] = output_path
        if input_path is not None:
            papermill["input_path"] = input_path
    return out


def clean_notebook_file(path: str | Path, replacements: Sequence[tuple[str, str]] | None = None,
                        template: str | Path | None = None) -> bool:
    """Clean one notebook file in place (see `clean_notebook`); True when it changed.

    `output_path` becomes the file's own path as `display_path` prints it; `input_path` the
    template's, when given.
    """
    path = Path(path)
    replacements = list(replacements) if replacements is not None else _env_roots()
    before = path.read_text(encoding="utf-8")
    notebook = json.loads(before)
    cleaned = clean_notebook(notebook, replacements, output_path=display_path(path),
                             input_path=display_path(template) if template is not None else None)
    after = json.dumps(cleaned, indent=1, ensure_ascii=False) + ("\n" if before.endswith("\n") else "")
    if after == before:
        return False
    path.write_text(after, encoding="utf-8")
    return True


def machine_paths(notebook: Mapping[str, Any], markers: Sequence[str] = MACHINE_PREFIXES) -> list[str]:
    """Each output or metadata string of a notebook that holds an absolute machine path (first 120 chars)."""
    found = []

    def visit(value: Any, where: str) -> None:
        if isinstance(value, str):
            if any(m in value for m in markers):
                found.append(f"{where}: {value[:120]!r}")
        elif isinstance(value, list):
            for v in value:
                visit(v, where)
        elif isinstance(value, dict):
            for k, v in value.items():
                if not k.startswith("image/"):
                    visit(v, where)

    for i, cell in enumerate(notebook.get("cells", [])):
        visit(cell.get("outputs", []), f"cell {i}")
    visit(notebook.get("metadata", {}), "metadata")
    return found


def warning_outputs(notebook: Mapping[str, Any]) -> list[str]:
    """Each stderr stream output with 'Warning' (stale warnings the book must not keep)."""
    return [f"cell {i}" for i, cell in enumerate(notebook.get("cells", []))
            for o in cell.get("outputs", []) if _is_warning(o)]


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m xtl.notebook_paths FILE... [--root ABS=SHOWN ...]`: clean committed notebooks in place.

    This machine's folders are always replaced; `--root` adds folders of the machines that executed
    the notebooks (e.g. `--root /work/fresh=.` for another checkout, `--root 're:/tmp/xtl-teaching-[a-z0-9_]+=$XTL_RESULTS'`).
    """
    parser = argparse.ArgumentParser(prog="python -m xtl.notebook_paths", description=main.__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--root", action="append", default=[], help="ABSOLUTE=SHOWN, e.g. /work/fresh=.")
    args = parser.parse_args(argv)
    extra = [tuple(item.rsplit("=", 1)) for item in args.root]
    replacements = _env_roots() + [(root, shown) for root, shown in extra]
    changed = [path for path in args.files if clean_notebook_file(path, replacements)]
    left = {str(p): machine_paths(json.loads(p.read_text(encoding="utf-8"))) for p in args.files}
    for path in changed:
        print(f"cleaned {path}")
    for path, found in left.items():
        for item in found:
            print(f"still holds a machine path: {path} {item}")
    return 1 if any(left.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
