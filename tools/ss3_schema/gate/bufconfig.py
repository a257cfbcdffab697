"""The lint and breaking configuration of buf.yaml, restated for image inputs.

The gate compiles each tree once and then lints and compares the compiled
images; buf applies no buf.yaml to image inputs, so the `proto` module's
lint/breaking blocks are passed inline, with paths made module-relative.

The rules that judge a change are read from the base's buf.yaml (see
gate/guard.py): a change cannot relax the rules it is judged by.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ss3_schema import validate as validate_module
from ss3_schema.errors import ConfigError
from ss3_schema.workspace import PROTO_DIR

PATH_KEYS = ("ignore",)
PATH_MAP_KEYS = ("ignore_only",)
SECTIONS = ("lint", "breaking")


def image_config(config_root: Path) -> str:
    """A JSON buf config (v2) with the proto module's lint and breaking settings of config_root/buf.yaml."""
    config: dict[str, Any] = {"version": "v2"}
    for section, block in gate_rules(config_root).items():
        if section in SECTIONS:
            config[section] = _module_relative(block, section)
    return json.dumps(config)


def validate(config_root: Path) -> None:
    """buf.yaml is one buf reads as intended; checked before any command hands it to buf.

    buf's own errors on a v1 file or a wrong type name neither the key nor the
    cause (a v1 file shows up as every type "declared multiple times").
    """
    image_config(config_root)
    other_modules(config_root)


def gate_rules(config_root: Path) -> dict[str, dict[str, Any]]:
    """What buf.yaml says the gate checks: the effective lint and breaking blocks and the module's own keys."""
    data = _load(config_root / "buf.yaml")
    module = _proto_module(data)
    rules: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        block = module.get(section, data.get(section)) or {}
        if not isinstance(block, dict):
            raise ConfigError(f"buf.yaml: key '{section}' must be a mapping")
        rules[section] = block
    rules["module"] = {k: v for k, v in module.items() if k not in (*SECTIONS, "path")}
    return rules


def other_modules(config_root: Path) -> dict[str, dict[str, Any]]:
    """The modules of buf.yaml besides `proto`, by path: buf compiles them, the gate does not judge them."""
    modules = _load(config_root / "buf.yaml")["modules"]
    found: dict[str, dict[str, Any]] = {}
    for module in modules:
        if not isinstance(module, dict) or not isinstance(module.get("path"), str):
            raise ConfigError("buf.yaml: every entry of key 'modules' must be a mapping with a 'path'")
        if module["path"] != PROTO_DIR:
            found[module["path"]] = module
    return found


def _load(path: Path) -> dict[str, Any]:
    validate_module.not_a_link(path, "buf.yaml")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("buf.yaml: missing") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
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


def _module_relative(block: dict[str, Any], section: str) -> dict[str, Any]:
    out = dict(block)
    for key in PATH_KEYS:
        if key in out:
            out[key] = [_strip(p, f"{section}.{key}") for p in _string_list(out[key], f"{section}.{key}")]
    for key in PATH_MAP_KEYS:
        if key in out:
            if not isinstance(out[key], dict):
                raise ConfigError(f"buf.yaml: key '{section}.{key}' must map rules to paths")
            out[key] = {
                rule: [_strip(p, f"{section}.{key}.{rule}") for p in _string_list(paths, f"{section}.{key}.{rule}")]
                for rule, paths in out[key].items()
            }
    return out


def _string_list(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"buf.yaml: key '{key}' must be a list of strings")
    return value


def _strip(path: str, key: str) -> str:
    prefix = f"{PROTO_DIR}/"
    if not path.startswith(prefix):
        raise ConfigError(f"buf.yaml: key '{key}': path {path!r} is outside the '{PROTO_DIR}' module")
    return path[len(prefix) :]
