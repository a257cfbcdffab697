"""A PR cannot weaken the gate that judges it: rules come from the base, narrowing them needs an override."""

from __future__ import annotations

import json

import pytest

from tests.helpers import SchemaRepo, run_cli

EVENTS = "proto/ss3/orders/v1/order_events.proto"
DROPPED = "  // Amount refunded to the customer; zero when nothing was paid yet.\n  ss3.common.v1.Money refunded = 4;\n"
BREAKING_BLOCK = "breaking:\n"
MODULE = "  - path: proto\n"


def _pr(repo: SchemaRepo, buf_yaml_edit: tuple[str, str], *, drop_field: bool = True) -> None:
    repo.git("checkout", "-q", "-b", "feature")
    repo.replace("buf.yaml", *buf_yaml_edit)
    if drop_field:
        repo.replace(EVENTS, DROPPED, "")
    repo.commit("pr")


@pytest.mark.parametrize(
    ("edit", "narrowing"),
    [
        ((BREAKING_BLOCK, "breaking:\n  except:\n    - FIELD_NO_DELETE\n"), "breaking.except + FIELD_NO_DELETE"),
        ((BREAKING_BLOCK, "breaking:\n  ignore:\n    - proto/ss3/orders\n"), "breaking.ignore + proto/ss3/orders"),
        (
            (BREAKING_BLOCK, "breaking:\n  ignore_only:\n    FIELD_NO_DELETE:\n      - proto/ss3/orders\n"),
            "breaking.ignore_only.FIELD_NO_DELETE + proto/ss3/orders",
        ),
        (("    - FILE\n", "    - WIRE_JSON\n"), "breaking.use - FILE"),
        ((MODULE, MODULE + "    excludes:\n      - proto/ss3/orders\n"), "module.excludes + proto/ss3/orders"),
    ],
)
def test_a_pr_that_narrows_the_breaking_rules_is_still_judged_by_the_base_and_told(
    schema_repo: SchemaRepo, edit: tuple[str, str], narrowing: str
) -> None:
    _pr(schema_repo, edit)
    proc = run_cli("check", "--against", "main", cwd=schema_repo.root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # The base's rules judged the deletion (an excluded directory reads as deleted files).
    assert "FIELD_NO_DELETE" in proc.stdout or "FILE_NO_DELETE" in proc.stdout
    assert "buf.yaml:" in proc.stdout and "SS3_GATE_RULES_NARROWED" in proc.stdout
    assert narrowing in proc.stdout, proc.stdout
    breaking = run_cli("breaking", "--against", "main", cwd=schema_repo.root)
    assert breaking.returncode == 1 and "_NO_DELETE" in breaking.stdout


def test_narrowing_lint_is_a_violation_and_base_lint_rules_apply(schema_repo: SchemaRepo) -> None:
    schema_repo.git("checkout", "-q", "-b", "feature")
    schema_repo.replace("buf.yaml", "    - COMMENTS\n", "")
    schema_repo.replace(EVENTS, "// A customer placed an order at checkout.\n", "")
    schema_repo.commit("undocumented event, COMMENTS off")
    proc = run_cli("check", "--against", "main", cwd=schema_repo.root)
    assert proc.returncode == 1
    assert "COMMENT_MESSAGE" in proc.stdout and "lint.use - COMMENTS" in proc.stdout


def test_comment_ignores_cannot_switch_lint_off(schema_repo: SchemaRepo) -> None:
    schema_repo.replace(EVENTS, "// A customer placed an order at checkout.\n", "// buf:lint:ignore COMMENT_MESSAGE\n")
    proc = run_cli("lint", cwd=schema_repo.root)
    assert proc.returncode == 1 and "COMMENT_MESSAGE" in proc.stdout


def test_an_override_with_a_reason_lets_the_narrowing_through_visibly(schema_repo: SchemaRepo) -> None:
    _pr(schema_repo, ("    - FILE\n", "    - FILE\n  except:\n    - FIELD_SAME_JSON_NAME\n"), drop_field=False)
    schema_repo.write(
        "gate-overrides.yaml",
        "overrides:\n  - change: breaking.except + FIELD_SAME_JSON_NAME\n    reason: JSON is not used on the wire\n",
    )
    schema_repo.commit("override")
    proc = run_cli("check", "--against", "main", "--format", "json", cwd=schema_repo.root)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert any("gate override" in n and "JSON is not used on the wire" in n for n in report["notices"])
    github = run_cli("check", "--against", "main", "--format", "github", cwd=schema_repo.root)
    assert "::notice::gate override (gate-overrides.yaml): breaking.except + FIELD_SAME_JSON_NAME" in github.stdout


def test_an_override_without_a_reason_is_a_config_error(schema_repo: SchemaRepo) -> None:
    _pr(schema_repo, (BREAKING_BLOCK, "breaking:\n  except:\n    - FIELD_NO_DELETE\n"), drop_field=False)
    schema_repo.write("gate-overrides.yaml", "overrides:\n  - change: breaking.except + FIELD_NO_DELETE\n")
    proc = run_cli("check", "--against", "main", cwd=schema_repo.root)
    assert proc.returncode == 2
    assert "gate-overrides.yaml: key 'overrides[0].reason'" in proc.stderr


def test_widening_the_rules_needs_no_override(schema_repo: SchemaRepo) -> None:
    schema_repo.replace("buf.yaml", BREAKING_BLOCK, "breaking:\n  except:\n    - FIELD_SAME_JSON_NAME\n")
    schema_repo.commit("main has an exception")
    _pr(schema_repo, ("  except:\n    - FIELD_SAME_JSON_NAME\n", ""), drop_field=False)
    proc = run_cli("check", "--against", "main", cwd=schema_repo.root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
