"""The lint and breaking configuration of buf.yaml, restated for image inputs.

The gate compiles each tree once and then lints and compares the compiled
images; buf applies no buf.yaml to image inputs, so the `proto` module's
lint/breaking blocks are passed inline, with paths made module-relative.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from ss3_schema.errors import ConfigError
from ss3_schema.validate import read_text as validate_text
from ss3_schema.workspace import PROTO_DIR, Workspace

PATH_KEYS = ("ignore",)
PATH_MAP_KEYS = ("ignore_only",)


def image_config(ws: Workspace) -> str:
    """A JSON buf config (v2) with the proto module's lint and breaking settings."""
    data = _load(ws)
    module = _proto_module(data)
    config: dict[str, Any] = {"version": "v2"}
    for section in ("lint", "breaking"):
        block = module.get(section, data.get(section)) or {}
        if not isinstance(block, dict):
            raise ConfigError(f"buf.yaml: key '{section}' must be a mapping")
        config[section] = _module_relative(block, section)
    return json.dumps(config)


def _load(ws: Workspace) -> dict[str, Any]:
    path = ws.root / "buf.yaml"
    try:
        data = yaml.safe_load(validate_text(path, "buf.yaml"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"buf.yaml{where}: not valid YAML") from None
    if not isinstance(data, dict) or data.get("version") != "v2":
        raise ConfigError("buf.yaml: key 'version' must be v2")
    return data


def _proto_module(data: dict[str, Any]) -> dict[str, Any]:
    modules = data.get("modules")
    if not isinstance(modules, list):
        raise ConfigError("buf.yaml: key 'modules' must list the proto module")
    for module in modules:
        if isinstance(module, dict) and module.get("path") == PROTO_DIR:
            return module
    raise ConfigError(f"buf.yaml: key 'modules' has no module with path '{PROTO_DIR}'")


def validate(ws: Workspace) -> None:
    """buf.yaml is one buf reads as intended; checked before any command hands it to buf.

    buf's own errors on a v1 file or an odd type name neither the key nor the
    cause (a v1 file shows up as every type "declared multiple times").
    """
    image_config(ws)


def _module_relative(block: dict[str, Any], section: str) -> dict[str, Any]:
    out = dict(block)
    for key in PATH_KEYS:
        if key in out:
            out[key] = [_strip(p, f"{section}.{key}") for p in _path_list(out[key], f"{section}.{key}")]
    for key in PATH_MAP_KEYS:
        if key in out:
            out[key] = {
                rule: [_strip(p, f"{section}.{key}.{rule}") for p in _path_list(paths, f"{section}.{key}.{rule}")]
                for rule, paths in _mapping(out[key], f"{section}.{key}").items()
            }
    return out


def _path_list(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"buf.yaml: key '{key}' must be a list of paths (strings)")
    return value


def _mapping(value: object, key: str) -> dict[str, object]:
    if not isinstance(value, dict) or not all(isinstance(rule, str) for rule in value):
        raise ConfigError(f"buf.yaml: key '{key}' must map rule names to lists of paths")
    return value


def _strip(path: str, key: str) -> str:
    prefix = f"{PROTO_DIR}/"
    if not path.startswith(prefix):
        raise ConfigError(f"buf.yaml: key '{key}': path {path!r} is outside the '{PROTO_DIR}' module")
    return path[len(prefix) :]
