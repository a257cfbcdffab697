"""The gate's rules as data (tools/ss3_schema/rules.py): one case per rule, one table in the docs.

Each rule id is a fixture directory under tests/gate/rules/ and a test id here:
the fixture's change must produce exactly the findings of its expected.txt,
at their file:line:col (tests/gate/rule_fixtures.py runs it in-process).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ss3_schema import rules
from ss3_schema.rules import OWN_RULES, RuleId

from tests.gate.rule_fixtures import expected, findings, fixture_ids
from tests.helpers import REPO_ROOT

GATE_DOC = REPO_ROOT / "docs" / "gate.md"
TABLE = re.compile(r"<!-- rule-table -->\n(.*?)<!-- /rule-table -->", re.DOTALL)
# Rules a fixture cannot show in-process: their cases live in these tests.
CASES_ELSEWHERE = {
    RuleId.GATE_RULES_NARROWED: "tests/gate/test_gate_guard.py",  # compares buf.yaml of two git refs
    RuleId.REGISTRY_REJECTS: "tests/integration/test_register.py",  # the real registry's dry run
}


@pytest.mark.parametrize("rule_id", fixture_ids())
def test_rule(rule_id: str, tmp_path: Path) -> None:
    want = expected(rule_id)
    assert any(line.endswith(f" {rule_id}") for line in want), f"expected.txt of {rule_id} never names it"
    assert findings(rule_id, tmp_path) == want


def test_every_rule_has_a_case() -> None:
    fixtures = set(fixture_ids())
    assert fixtures <= {rule.id for rule in OWN_RULES}, "a fixture directory that names no rule"
    for rule in OWN_RULES:
        if rule.id in fixtures:
            continue
        where = CASES_ELSEWHERE.get(RuleId(rule.id))
        assert where, f"{rule.id} has no fixture under tests/gate/rules/ and no test named in CASES_ELSEWHERE"
        assert rule.id in (REPO_ROOT / where).read_text(encoding="utf-8"), f"{where} never names {rule.id}"


def test_every_rule_is_emitted_by_the_tool() -> None:
    code = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (REPO_ROOT / "tools" / "ss3_schema").rglob("*.py")
        if path.name != "rules.py"
    )
    for rule_id in RuleId:
        assert f"RuleId.{rule_id.name}" in code, f"{rule_id} is in the table but nothing reports it"


def test_every_rule_has_advice_and_a_docs_section_that_exists() -> None:
    for rule in OWN_RULES:
        assert rules.advice(rule.id) == rule.advice != ""
        page, _, anchor = rule.docs.partition("#")
        text = (REPO_ROOT / page).read_text(encoding="utf-8")
        headings = {_anchor(line) for line in text.splitlines() if line.startswith("#")}
        assert not anchor or anchor in headings, f"{rule.id}: no section #{anchor} in {page}"


def test_the_rule_table_of_docs_gate_md_is_the_rule_table() -> None:
    found = TABLE.search(GATE_DOC.read_text(encoding="utf-8"))
    assert found, "docs/gate.md lost its <!-- rule-table --> markers"
    assert found.group(1) == rules.markdown_table(), "paste rules.markdown_table() between the markers"


def _anchor(heading: str) -> str:
    # GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
    text = heading.lstrip("#").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
