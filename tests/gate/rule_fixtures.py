"""Run one rule fixture in-process: tests/gate/rules/<RULE_ID>/.

A fixture is a change to the repository's proto/ tree and what the gate must find in it:
`change.yaml` lists edits (`file` under proto/, the text to `replace`, what to put `with`),
each applied once to a copy of the tree; `expected.txt` holds every finding of the change,
one `file:line:col RULE_ID` per line. The base is the tree itself, which is clean, so every
finding comes from the change.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from ss3_schema.gate.events import check_changes
from ss3_schema.gate.jvm import check_jvm_rules
from ss3_schema.gate.limits import check_limits
from ss3_schema.report import Violation
from ss3_schema.schema.declarations import check_declarations
from ss3_schema.schema.image import CompileFailed, build_image

from tests.helpers import REPO_ROOT

FIXTURES = Path(__file__).parent / "rules"


def fixture_ids() -> list[str]:
    return sorted(entry.name for entry in FIXTURES.iterdir() if entry.is_dir())


def expected(rule_id: str) -> list[str]:
    text = (FIXTURES / rule_id / "expected.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


def findings(rule_id: str, work: Path) -> list[str]:
    """Every finding of the fixture's change, as `file:line:col RULE_ID`, in file and line order."""
    base = build_image(_workspace(work / "base"), work / "base.binpb")
    changed = _workspace(work / "head")
    _apply(FIXTURES / rule_id / "change.yaml", changed / "proto")
    try:
        head = build_image(changed, work / "head.binpb")
    except CompileFailed as failed:
        return _lines(failed.violations)
    return _lines([*check_declarations(head), *check_jvm_rules(head), *check_limits(head), *check_changes(base, head)])


def _workspace(dest: Path) -> Path:
    """A copy of the repository's buf.yaml and proto/."""
    shutil.copytree(REPO_ROOT / "proto", dest / "proto")
    shutil.copy2(REPO_ROOT / "buf.yaml", dest / "buf.yaml")
    return dest


def _apply(change: Path, proto: Path) -> None:
    for edit in yaml.safe_load(change.read_text(encoding="utf-8")):
        path = proto / edit["file"]
        text = path.read_text(encoding="utf-8")
        assert edit["replace"] in text, f"{change}: {edit['file']} no longer holds {edit['replace']!r}"
        path.write_text(text.replace(edit["replace"], edit["with"], 1), encoding="utf-8")


def _lines(violations: list[Violation]) -> list[str]:
    ordered = sorted(violations, key=lambda v: (v.file, v.line, v.column, v.rule))
    return [f"{v.file}:{v.line}:{v.column} {v.rule}" for v in ordered]
