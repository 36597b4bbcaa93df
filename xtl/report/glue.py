"""Glue: how report notebooks hand values to the book's pages, and how a test reads them back.

`text`, `table`, `html` and `figure` glue under a key (myst_nb stores each as a display output
whose metadata names the key); `glued_values` reads every glued value of an executed notebook back,
so that two executions can be compared value by value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape as html_escape
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, display
from myst_nb import glue

PREFIX = "application/papermill.record/"


def text(key: str, value: Any) -> None:
    """Glue a string or number for the pages (not shown); numpy scalars as plain Python."""
    glue(key, value.item() if isinstance(value, np.generic) else value, display=False)


def texts(values: Mapping[str, Any]) -> None:
    """Glue every (key, value) of a mapping as `text` does."""
    for key, value in values.items():
        text(key, value)


def table(key: str, frame: pd.DataFrame) -> None:
    """Glue a table as HTML for the pages (one decimal, '–' for missing) and show it here."""
    rendered = HTML(frame.to_html(index=False, escape=False, border=0, na_rep="–", justify="left",
                                  float_format=lambda v: f"{v:.1f}"))
    glue(key, rendered, display=False)
    display(rendered)


def html(key: str, frame: pd.DataFrame, empty: str, escape: bool = True) -> None:
    """Glue a table as HTML as it is (no number format), or the sentence `empty` as an HTML paragraph when it has
    no rows (a glued str would show on the page as a quoted Python string in a code block)."""
    value = (HTML(frame.to_html(index=False, escape=escape, border=0, justify="left")) if len(frame)
             else sentence(empty))
    glue(key, value, display=False)


def sentence(text_: str) -> HTML:
    """A sentence as HTML, for `{glue:any}` places that expect a table or a figure."""
    return HTML(f"<p>{html_escape(text_)}</p>")


def table_or_sentence(key: str, frame: pd.DataFrame, empty: str) -> None:
    """`table` when the frame has rows, else the sentence `empty`, both as HTML."""
    if len(frame):
        table(key, frame)
    else:
        glue(key, sentence(empty), display=False)


def figure(key: str, fig) -> None:
    """Glue a figure (shown here too, which also writes the image file the pages link to)."""
    glue(key, fig, display=True)
    plt.close(fig)


def glued_values(notebook_path: str | Path) -> dict[str, dict[str, Any]]:
    """Every value glued in an executed notebook: {key: {mime type: data}}, in cell order.

    A figure glued with display=True is stored as the plain image output it shows; a key glued
    twice keeps its last value, as the pages see it.
    """
    notebook = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    values: dict[str, dict[str, Any]] = {}
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            name = (output.get("metadata", {}).get("scrapbook") or {}).get("name")
            if name is None:
                continue
            values[name] = {mime.removeprefix(PREFIX): data for mime, data in output.get("data", {}).items()}
    return values


def differences(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]],
                skip_mimes: tuple[str, ...] = ()) -> list[str]:
    """One line per key missing on either side or glued with different data (mime types in `skip_mimes` left out)."""
    lines = [f"{key}: only before" for key in before if key not in after]
    lines += [f"{key}: only after" for key in after if key not in before]
    for key in before.keys() & after.keys():
        a = {m: d for m, d in before[key].items() if m not in skip_mimes}
        b = {m: d for m, d in after[key].items() if m not in skip_mimes}
        if a != b:
            changed = sorted(m for m in a.keys() | b.keys() if a.get(m) != b.get(m))
            lines.append(f"{key}: {', '.join(changed)} differ")
    return sorted(lines)
