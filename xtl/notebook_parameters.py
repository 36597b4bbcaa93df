"""A run's config as notebook parameters and back (papermill passes flat names to a template).

Notebook parameters are the config flattened one level: `model`, `seed`, and `<section>_<key>` for
every key of the `intermediate`, `target` and `retrieval` sections (e.g. `target_task`,
`intermediate_train`); `parameters_from_config` and `config_from_parameters` convert both ways.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from xtl.errors import XtlError

SECTIONS = ("intermediate", "target", "retrieval")


def _section_defaults() -> dict[str, dict[str, Any]]:
    from xtl import experiment  # lazy: torch; `import xtl.runner` in the notebooks and the CLI stays light

    return {"intermediate": experiment.DEFAULT_INTERMEDIATE, "target": experiment.DEFAULT_TARGET,
            "retrieval": experiment.DEFAULT_RETRIEVAL}


def parameters_from_config(config: dict[str, Any]) -> dict[str, Any]:
    """{"model", "seed", "intermediate": {...}, "target": {...}} -> model, seed, intermediate_*, target_*."""
    flat = {key: copy.deepcopy(config[key]) for key in ("model", "seed") if key in config}
    for section in SECTIONS:
        for key, value in (config.get(section) or {}).items():
            flat[f"{section}_{key}"] = copy.deepcopy(value)
    return flat


def config_from_parameters(namespace: dict[str, Any]) -> dict[str, Any]:
    """The inverse: pick model, seed and `<section>_<key>` names out of a notebook's namespace."""
    top = {"model": "me5-small", "seed": 0}
    config: dict[str, Any] = {key: parameter_value(default, key, namespace[key]) for key, default in top.items()
                              if key in namespace}
    for section, defaults in _section_defaults().items():
        values = {key: parameter_value(defaults[key], f"{section}_{key}", namespace[f"{section}_{key}"]) for key in defaults
                  if f"{section}_{key}" in namespace}
        if values:
            config[section] = values
    return config


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
