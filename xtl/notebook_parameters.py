"""A run's config as notebook parameters and back: the papermill boundary, where the config is a dict.

Notebook parameters are the config's dict form flattened one level: `model`, `seed`, and `<section>_<key>`
for every key of the `intermediate`, `target` and `retrieval` sections (e.g. `target_task`,
`intermediate_train`). `parameters_from_config` flattens; `config_from_parameters`, which the templates
call first, reads them back into the run's typed config (`xtl.config.resolve`, once in the notebook).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from xtl import config
from xtl.errors import XtlError

SECTIONS = ("intermediate", "target", "retrieval")


def _section_defaults() -> dict[str, dict[str, Any]]:
    return {"intermediate": config.DEFAULT_INTERMEDIATE, "target": config.DEFAULT_TARGET,
            "retrieval": config.DEFAULT_RETRIEVAL}


def parameters_from_config(config: dict[str, Any]) -> dict[str, Any]:
    """{"model", "seed", "intermediate": {...}, "target": {...}} -> model, seed, intermediate_*, target_*."""
    flat = {key: copy.deepcopy(config[key]) for key in ("model", "seed") if key in config}
    for section in SECTIONS:
        for key, value in (config.get(section) or {}).items():
            flat[f"{section}_{key}"] = copy.deepcopy(value)
    return flat


def config_from_parameters(namespace: dict[str, Any], kind: str | None = None) -> config.RunConfig:
    """The inverse: model, seed and `<section>_<key>` names picked out of a notebook's namespace, resolved into
    the run's typed config (of `kind`, else of the sections given: a template's parameters cell names them)."""
    return config.resolve(_nested(namespace), kind)


def _nested(namespace: dict[str, Any]) -> dict[str, Any]:
    """The dict form of the config whose parameters a namespace holds (other names are left out)."""
    top = {"model": "me5-small", "seed": 0}
    nested: dict[str, Any] = {key: parameter_value(default, key, namespace[key]) for key, default in top.items()
                              if key in namespace}
    for section, defaults in _section_defaults().items():
        values = {key: parameter_value(defaults[key], f"{section}_{key}", namespace[f"{section}_{key}"]) for key in defaults
                  if f"{section}_{key}" in namespace}
        if values:
            nested[section] = values
    return nested


def parameter_names() -> list[str]:
    """Every notebook parameter name a config can have."""
    return ["model", "seed"] + [f"{section}_{key}" for section, defaults in _section_defaults().items()
                                for key in defaults]


def parameter_value(default: Any, name: str, value: Any) -> Any:
    """papermill's `-p` passes a list as a string ('["mnli"]'): where the default is no string, read it as YAML."""
    if not isinstance(value, str) or isinstance(default, str):
        return copy.deepcopy(value)
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError:
        raise XtlError(f"parameter {name}={value!r} is not a YAML value; pass e.g. -y '{name}: [mnli]' "
                       "to papermill") from None


# ----------------------------------------------------------------------------------- the templates' cells
# A template's parameters cell is generated from the config defaults (`xtl.config.DEFAULT_*`), so a
# notebook run without parameters is the run `xtl target` / `xtl run` would make with the same config:
# `python -m xtl.notebook_parameters` rewrites the cells, tests/test_notebooks.py checks they match.

TEMPLATES = {"intermediate.ipynb": ("intermediate",), "target.ipynb": ("intermediate", "target"),
             "retrieval.ipynb": ("intermediate", "retrieval")}
# Values a template sets apart from the defaults: phase 2 alone needs a task to train.
TEMPLATE_VALUES = {"intermediate.ipynb": {"intermediate_tasks": ["mnli"]}}
COMMENTS = {
    "profile": "results go to results/<profile>/<experiment>/<run-id>/",
    "force": "True: recompute even if the result folder is complete",
    "model": "a name from `xtl models`",
    "intermediate_tasks": "English intermediate task(s), e.g. [\"mnli\"]; [] is the baseline (no phase 2)",
    "intermediate_train_limit": "training examples per task (None: all the kit has)",
    "intermediate_dev_limit": "English dev examples per task (early stopping, dev curve)",
    "intermediate_max_length": "tokens",
    "intermediate_mlm_share": "share of draws that are multilingual MLM batches (C6 baseline)",
    "intermediate_task_limits": "per-task training limits overriding intermediate_train_limit",
    "intermediate_train": "xtl.config.TrainConfig fields; {} keeps DEFAULT_TRAIN",
    "target_task": "a target task from `xtl tasks`",
    "target_train_limit": "English training examples (None: all)",
    "target_dev_limit": "English dev examples (model selection)",
    "target_eval_limit": "evaluation examples per language (None: all)",
    "target_max_length": "tokens",
    "target_languages": "None: every language the kit has for the task",
    "target_train": "xtl.config.TrainConfig fields; {} keeps DEFAULT_TRAIN",
    "target_eval_batch_size": "examples per evaluation batch",
    "retrieval_task": "tatoeba or bucc2018",
    "retrieval_languages": "None: every language the kit has",
    "retrieval_limit": "source sentences per language (BUCC: with their partners)",
    "retrieval_layer": "hidden layer to mean-pool; None: 14/24 of the depth, as the paper",
    "retrieval_max_length": "tokens",
    "retrieval_prefix": "text put before every sentence (E5 models were trained with \"query: \")",
}


def parameter_cell(template: str) -> str:
    """The parameters cell of notebooks/<template>, from the config defaults."""
    if template not in TEMPLATES:
        raise XtlError(f"no generated parameters cell for {template}; known: {', '.join(TEMPLATES)}")
    values: dict[str, Any] = {"profile": "adhoc"}
    if template != "intermediate.ipynb":
        values.update(experiment=template.removesuffix(".ipynb"), force=False)
    values.update(model="me5-small", seed=0)
    defaults = _section_defaults()
    for section in TEMPLATES[template]:
        values.update({f"{section}_{key}": copy.deepcopy(value) for key, value in defaults[section].items()})
    values.update(TEMPLATE_VALUES.get(template, {}))
    lines = []
    for name, value in values.items():
        code = f"{name} = {_literal(value)}"
        comment = COMMENTS.get(name)
        if name == "profile" and template == "intermediate.ipynb":
            comment = "results go to results/<profile>/intermediate/<run-id>/"
        lines.append(f"{code:<34} # {comment}" if comment else code)
    return "\n".join(lines)


def _literal(value: Any) -> str:
    """Python source for a default, strings in double quotes as the notebooks write them."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def write_cells(folder: str = "notebooks") -> list[str]:
    """Rewrite each template's parameters cell from the defaults; the templates changed."""
    changed = []
    for template in TEMPLATES:
        path = Path(folder) / template
        notebook = json.loads(path.read_text())
        cell = next(c for c in notebook["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
        source = parameter_cell(template)
        if "".join(cell["source"]) != source:
            cell["source"] = source.splitlines(keepends=True)
            path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
            changed.append(str(path))
    return changed


if __name__ == "__main__":
    for changed_path in write_cells():
        print(f"rewrote the parameters cell of {changed_path}")
