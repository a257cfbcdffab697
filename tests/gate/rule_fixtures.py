"""Run one rule fixture in-process: tests/gate/rules/<RULE_ID>/.

A fixture holds `after/` (files laid over the repository's proto/ tree: the change),
optionally `before/` (laid over proto/ for the base the change is compared with),
and `expected.txt`: every finding of the change, one `file:line:col RULE_ID` per line.
The repository's tree itself is clean, so every finding comes from the fixture.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ss3_schema.gate.events import check_changes, check_declarations
from ss3_schema.gate.jvm import check_jvm_rules
from ss3_schema.gate.limits import check_limits
from ss3_schema.report import Violation
from ss3_schema.schema.image import CompileFailed, Image, build_image

from tests.helpers import REPO_ROOT

FIXTURES = Path(__file__).parent / "rules"


def fixture_ids() -> list[str]:
    return sorted(entry.name for entry in FIXTURES.iterdir() if entry.is_dir())


def expected(rule_id: str) -> list[str]:
    text = (FIXTURES / rule_id / "expected.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


def findings(rule_id: str, work: Path) -> list[str]:
    """Every finding of the fixture's change, as `file:line:col RULE_ID`, sorted."""
    fixture = FIXTURES / rule_id
    before = fixture / "before"
    base = _image(_tree(work / "base", before if before.is_dir() else None), work / "base.binpb")
    try:
        head = _image(_tree(work / "head", fixture / "after"), work / "head.binpb")
    except CompileFailed as failed:
        return _lines(failed.violations)
    found = [*check_declarations(head), *check_jvm_rules(head), *check_limits(head), *check_changes(base, head)]
    return _lines(found)


def _tree(dest: Path, overlay: Path | None) -> Path:
    """A workspace: the repository's buf.yaml and proto/, with `overlay` laid over proto/."""
    shutil.copytree(REPO_ROOT / "proto", dest / "proto")
    shutil.copy2(REPO_ROOT / "buf.yaml", dest / "buf.yaml")
    if overlay is not None:
        shutil.copytree(overlay, dest / "proto", dirs_exist_ok=True)
    return dest


def _image(source: Path, output: Path) -> Image:
    return build_image(source, output)


def _lines(violations: list[Violation]) -> list[str]:
    ordered = sorted(violations, key=lambda v: (v.file, v.line, v.column, v.rule))
    return [f"{v.file}:{v.line}:{v.column} {v.rule}" for v in ordered]
