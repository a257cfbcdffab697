"""The gate guards itself: a change may not narrow what the gate checks without a reviewed override.

The rules that judge a change are always the base's (breaking.py reads the
base's buf.yaml), so a PR that adds `except: [FIELD_NO_DELETE]` is still
judged with FIELD_NO_DELETE. What this module adds is the verdict on the rule
change itself: every way the PR narrows the rules for the changes after it
is a `SS3_GATE_RULES_NARROWED` violation, unless `gate-overrides.yaml` names
that exact narrowing with a reason. That file is owned by the schema owners
(.github/CODEOWNERS), so an override is a reviewed, visible decision, and the
gate prints every override it honours.

Narrowing, per key of the lint and breaking blocks and of the proto module:
  use                 a rule or category removed
  except, ignore      an entry added
  ignore_only         a rule or path added
  excludes (module)   a path added
  anything else       any change of value (options such as
                      disallow_comment_ignores are judged conservatively)
  modules             a module besides `proto` added, removed or changed (buf
                      compiles its files, the gate never judges them)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ss3_schema import validate
from ss3_schema.errors import ConfigError
from ss3_schema.gate.bufconfig import gate_rules, other_modules
from ss3_schema.report import Violation
from ss3_schema.rules import RuleId

RULE = RuleId.GATE_RULES_NARROWED
OVERRIDES_FILE = "gate-overrides.yaml"
_REMOVAL_NARROWS = ("use",)
_ADDITION_NARROWS = ("except", "ignore", "excludes")
_MAP_ADDITION_NARROWS = ("ignore_only",)


@dataclass(frozen=True)
class Verdict:
    violations: list[Violation]
    notices: list[str]


def judge_rule_changes(current_root: Path, base_root: Path | None) -> Verdict:
    """Narrowings of buf.yaml since the base: violations, or notices for the ones overridden."""
    if base_root is None or not (base_root / "buf.yaml").is_file():
        return Verdict([], [])
    changes = narrowings(gate_rules(base_root), gate_rules(current_root))
    changes += module_changes(other_modules(base_root), other_modules(current_root))
    overrides = load_overrides(current_root)
    buf_yaml = read_repo_text(current_root, "buf.yaml")
    violations, notices = [], []
    for change in changes:
        reason = overrides.get(change)
        if reason is None:
            violations.append(_violation(change, buf_yaml))
        else:
            notices.append(f"gate override ({OVERRIDES_FILE}): {change}; reason: {reason}")
    notices += [f"{OVERRIDES_FILE}: unused override {c!r} (nothing narrows it)" for c in overrides if c not in changes]
    return Verdict(violations, notices)


def narrowings(base: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]) -> list[str]:
    """Each way `current` checks less than `base`, as a stable one-line name (the override key)."""
    found: list[str] = []
    for section in sorted(set(base) | set(current)):
        old, new = base.get(section, {}), current.get(section, {})
        for key in sorted(set(old) | set(new)):
            found += _key_narrowings(f"{section}.{key}", key, old.get(key), new.get(key))
    return found


def module_changes(base: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]) -> list[str]:
    """Any change to buf.yaml's other modules: files there are compiled but never judged by the gate."""
    found = [f"modules + {path}" for path in sorted(current) if path not in base]
    found += [f"modules - {path}" for path in sorted(base) if path not in current]
    found += [
        f"modules.{path}: {_show(base[path])} -> {_show(current[path])}"
        for path in sorted(set(base) & set(current))
        if base[path] != current[path]
    ]
    return found


def _key_narrowings(name: str, key: str, old: Any, new: Any) -> list[str]:
    if old == new:
        return []
    if key in _REMOVAL_NARROWS:
        return [f"{name} - {item}" for item in _items(old) if item not in _items(new)]
    if key in _ADDITION_NARROWS:
        return [f"{name} + {item}" for item in _items(new) if item not in _items(old)]
    if key in _MAP_ADDITION_NARROWS:
        old_map, new_map = _mapping(old), _mapping(new)
        return [
            f"{name}.{rule} + {path}"
            for rule in sorted(new_map)
            for path in _items(new_map[rule])
            if path not in _items(old_map.get(rule))
        ]
    return [f"{name}: {_show(old)} -> {_show(new)}"]


def _items(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def _violation(change: str, buf_yaml: str) -> Violation:
    line, column = _locate(change, buf_yaml)
    message = f"buf.yaml narrows what the gate checks: {change}."
    return Violation("buf.yaml", line, column, RULE, message)


def _locate(change: str, buf_yaml: str) -> tuple[int, int]:
    """The line that most likely holds the change: its value, else its key; else the top."""
    value = change.rsplit(" ", 1)[-1]
    key = change.split(" ", 1)[0].split(":", 1)[0].rsplit(".", 1)[-1]
    for needle in (value, f"{key}:"):
        for number, text in enumerate(buf_yaml.splitlines(), start=1):
            column = text.find(needle)
            if column >= 0 and not text.lstrip().startswith("#"):
                return number, column + 1
    return 1, 1


def read_repo_text(root: Path, name: str) -> str:
    """A file at the root of the tree being judged; a symbolic link there is refused, never followed."""
    return validate.read_text(validate.not_a_link(root / name, name), name)


def load_overrides(root: Path) -> dict[str, str]:
    """gate-overrides.yaml as {narrowing: reason}; every entry needs both."""
    path = root / OVERRIDES_FILE
    if not path.is_file() and not path.is_symlink():
        return {}
    try:
        data = yaml.safe_load(read_repo_text(root, OVERRIDES_FILE)) or {}
    except yaml.YAMLError:
        raise ConfigError(f"{OVERRIDES_FILE}: not valid YAML") from None
    entries = data.get("overrides") if isinstance(data, dict) else None
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise ConfigError(f"{OVERRIDES_FILE}: key 'overrides' must be a list")
    overrides: dict[str, str] = {}
    for index, entry in enumerate(entries):
        change = entry.get("change") if isinstance(entry, dict) else None
        reason = entry.get("reason") if isinstance(entry, dict) else None
        if not isinstance(change, str) or not change.strip():
            raise ConfigError(f"{OVERRIDES_FILE}: key 'overrides[{index}].change' must name the narrowing")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{OVERRIDES_FILE}: key 'overrides[{index}].reason' must say why it is accepted")
        overrides[change.strip()] = reason.strip()
    return overrides
