"""The online path: write a task in the kit layout from the Hugging Face hub (`xtl data prepare`).

`prepare` downloads each language's hub config (the `hub` path/config of the task, as in the kit's
MANIFEST.json), converts the rows to the kit's schema (which follows the hub's field names; the few
differences are each task's `from_hub`) and writes `<out_root>/<kit_name>/<lang>/<split>.jsonl.gz` plus a
MANIFEST.json with rows and sha256, so `xtl.data.load` reads the folder exactly like the kit (point
`XTL_DATA` or `XTL_DATA_EXTRA` at `out_root`). Splits whose labels are all hidden (-1 or empty, as in
GLUE test sets) are not written; single unlabelled rows (SNLI's '-' pairs) are dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import datasets

from xtl import atomic, compressed, convert
from xtl import tasks as registry
from xtl.errors import XtlError
from xtl.online import DATASETS_OFFLINE, hub_reachable
from xtl.tasks import Task

SUFFIX = ".jsonl.gz"



def prepare(task: str | Task, out_root: str | Path, load_dataset: Callable[..., Any] = datasets.load_dataset,
            languages: Iterable[str] | None = None, splits: Iterable[str] | None = None) -> Path:
    """Write `task` (every registry language, or `languages`) from the hub in the kit layout; the task folder.

    `load_dataset` is `datasets.load_dataset` or any callable with its signature (tests pass a fake).
    """
    spec = registry.get(task)
    if spec.hub.get("path") is None or spec.hub.get("unprepared"):
        reason = spec.hub.get("unprepared") or spec.hub.get("note") or "it has no Hugging Face hub dataset"
        raise XtlError(f"cannot prepare {spec.name} from the hub: {reason}")
    wanted = list(languages) if languages else list(spec.languages)
    unknown_config = [lang for lang in wanted if _config(spec, lang) is None]
    if unknown_config:
        raise XtlError(f"{spec.name} has no hub config for {', '.join(unknown_config)}; "
                       f"choose languages among {', '.join(l for l in spec.languages if _config(spec, l))}")
    if load_dataset is datasets.load_dataset and not hub_reachable(DATASETS_OFFLINE):
        raise _unreachable(spec, "no connection to the hub, or HF_HUB_OFFLINE is set")
    out = Path(out_root) / spec.kit_name
    written: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    origin: list[dict[str, str]] = []
    for (path, config), langs in _requests(spec, wanted).items():
        dataset_dict = _call(load_dataset, spec, path, config)
        origin.append({"what": f"{spec.name} {' '.join(langs)} from the Hugging Face hub",
                       "from": f"hf:{path}" + (f" {config}" if config else "")})
        for hub_split in dataset_dict:
            split = spec.hub.get("split_names", {}).get(hub_split, hub_split)
            if splits is not None and split not in set(splits):
                continue
            for lang, rows in _by_language(spec, langs, dataset_dict[hub_split]).items():
                kept = [row for row in (_to_kit(spec, lang, r) for r in rows) if row is not None]
                if not kept:
                    missing.append(f"{lang}/{split}: no labelled rows on the hub (hidden test labels)")
                    continue
                rel = f"{lang}/{split}{SUFFIX}"
                written[rel] = _write(out / rel, kept, full_rows=len(rows), source=f"{path} {config or ''}".strip())
    _write_manifest(out, spec, written, missing, origin)
    return out


# ----------------------------------------------------------------------------------- which hub configs


def _config(spec: Task, lang: str) -> tuple[str, str | None] | None:
    """(hub path, config) holding one language, or None when the hub has none for it."""
    hub = spec.hub
    if "english" in hub and lang == "en":  # English from another dataset (XCOPA's from COPA)
        return hub["english"]["path"], hub["english"]["config"]
    config = hub.get("config")
    if config and "{LanguageName}" in config:
        named = hub.get("lang_to_config", {}).get(lang)
        return (hub["path"], named) if named else None
    if config and "{lang}" in config:
        return hub["path"], config.format(lang=lang)
    if hub.get("split_by_id_prefix"):  # one config for every language, told apart by the ids' prefixes
        return (hub["path"], config) if lang in hub["split_by_id_prefix"].values() else None
    return (hub["path"], config) if lang == "en" or len(spec.languages) == 1 else None


def _requests(spec: Task, langs: list[str]) -> dict[tuple[str, str | None], list[str]]:
    out: dict[tuple[str, str | None], list[str]] = {}
    for lang in langs:
        out.setdefault(_config(spec, lang), []).append(lang)  # type: ignore[arg-type]
    return out


def _by_language(spec: Task, langs: list[str], dataset: Any) -> dict[str, list[dict[str, Any]]]:
    rows = [dict(r) for r in dataset]
    if not spec.hub.get("split_by_id_prefix"):
        return {langs[0]: rows}
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        lang = spec.hub["split_by_id_prefix"].get(str(row["id"]).split("-", 1)[0])
        if lang in langs:
            out.setdefault(lang, []).append(row)
    return out


# ----------------------------------------------------------------------------------- calling the hub


def _unreachable(spec: Task, why: str) -> XtlError:
    return XtlError(f"cannot reach the Hugging Face hub to prepare {spec.name}; connect to the internet (and unset "
                    f"HF_HUB_OFFLINE) and run 'xtl data prepare {spec.name}' again, or use the offline kit ({why})")


def _call(load_dataset: Callable[..., Any], spec: Task, path: str, config: str | None) -> Any:
    try:
        return load_dataset(path, config) if config else load_dataset(path)
    except XtlError:
        raise
    except Exception as error:  # noqa: BLE001 - the hub's errors are many; the user needs one line
        if _is_network_error(error):
            raise _unreachable(spec, type(error).__name__) from None
        raise _failed(spec, path, config, error) from None


def _is_network_error(error: Exception) -> bool:
    if isinstance(error, (ConnectionError, TimeoutError)):
        return True
    return any("Connect" in cls.__name__ or "Timeout" in cls.__name__ or cls.__name__ == "OfflineModeIsEnabled"
               for cls in type(error).__mro__)


def _failed(spec: Task, path: str, config: str | None, error: Exception) -> XtlError:
    detail = " ".join(str(error).split())[:200]
    return XtlError(f"the Hugging Face hub could not give {path} {config or ''} for {spec.name} "
                    f"({type(error).__name__}: {detail}); check the hub id in xtl/tasks.py or use the offline kit")


# ----------------------------------------------------------------------------------- hub schema -> kit schema


def _to_kit(spec: Task, lang: str, row: dict[str, Any]) -> dict[str, Any] | None:
    """One hub row in the kit's schema, or None when it carries no gold label."""
    if spec.from_hub is not None:  # a schema of its own (`Task.from_hub`)
        return spec.from_hub(row, lang)
    if "label" in row and spec.format != "token_tagging" and convert.unlabelled(row["label"]):
        return None
    if spec.format == "extractive_qa":
        for key in ("answers", "answer_pivot"):
            if key in row:
                row[key] = {"text": list(row[key]["text"]), "answer_start": [int(s) for s in row[key]["answer_start"]]}
    return row


# ----------------------------------------------------------------------------------- writing


def _write(path: Path, rows: list[dict[str, Any]], full_rows: int, source: str) -> dict[str, Any]:
    data = compressed.gzip_bytes("".join(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n"
                                         for row in rows))
    atomic.write_bytes(path, data)
    return {"rows": len(rows), "full_rows": full_rows, "sha256": hashlib.sha256(data).hexdigest(),
            "sampled": "full", "stand_in": False, "note": f"prepared from the Hugging Face hub: {source}"}


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _write_manifest(out: Path, spec: Task, written: dict[str, dict[str, Any]], missing: list[str],
                    origin: list[dict[str, str]]) -> None:
    """MANIFEST.json in the kit's format, merged with an earlier one (languages prepared before)."""
    path = out / "MANIFEST.json"
    manifest: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
    manifest.update({"task": spec.kit_name, "format": spec.format, "hub": spec.hub,
                     "label_names": list(spec.label_names),
                     "license": "see the Hugging Face hub card of each source dataset"})
    manifest["origin"] = manifest.get("origin", []) + origin
    manifest["missing"] = sorted(set(manifest.get("missing", [])) | set(missing))
    manifest["files"] = {**manifest.get("files", {}), **written}
    atomic.write_text(path, json.dumps(manifest, indent=1, ensure_ascii=False))
