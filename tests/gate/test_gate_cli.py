"""The gate as CI and schema authors meet it: refs, shallow clones, formats, broken input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.helpers import SchemaRepo, git, run_cli

EVENTS = "proto/ss3/orders/v1/order_events.proto"
ORDER = "proto/ss3/orders/v1/order.proto"
DROP_REFUNDED = (
    "  // Amount refunded to the customer; zero when nothing was paid yet.\n  ss3.common.v1.Money refunded = 4;\n",
    "",
)


def _feature_branch_dropping_a_field(repo: SchemaRepo) -> None:
    repo.git("checkout", "-q", "-b", "feature")
    repo.replace(EVENTS, *DROP_REFUNDED)
    repo.commit("drop refunded")


def test_real_tree_passes_lint_and_check_against_itself(schema_repo: SchemaRepo) -> None:
    lint = run_cli("lint", cwd=schema_repo.root)
    check = run_cli("check", "--against", "main", cwd=schema_repo.root)
    assert (lint.returncode, check.returncode) == (0, 0), lint.stdout + check.stdout + check.stderr
    assert "registry check skipped" in check.stderr  # visible, never silent


def test_unknown_ref_exits_2_naming_it(schema_repo: SchemaRepo) -> None:
    proc = run_cli("breaking", "--against", "no-such-branch", cwd=schema_repo.root)
    assert proc.returncode == 2
    assert "no-such-branch" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_tag_and_sha_work_as_ref(schema_repo: SchemaRepo) -> None:
    schema_repo.git("tag", "v1.0.0")
    sha = schema_repo.git("rev-parse", "HEAD")
    _feature_branch_dropping_a_field(schema_repo)
    for ref in ("v1.0.0", sha, sha[:10]):
        proc = run_cli("breaking", "--against", ref, cwd=schema_repo.root)
        assert proc.returncode == 1, (ref, proc.stdout, proc.stderr)
        assert "FIELD_NO_DELETE" in proc.stdout


def test_compares_with_merge_base_not_the_tip(schema_repo: SchemaRepo) -> None:
    """A branch cut before a field was added on main must not be told it deleted it."""
    schema_repo.git("checkout", "-q", "-b", "feature")
    schema_repo.replace(EVENTS, "// A customer placed an order at checkout.", "// A customer placed an order.")
    schema_repo.commit("doc change on the branch")
    schema_repo.git("checkout", "-q", "main")
    schema_repo.replace(
        ORDER, "  OrderStatus status = 6;\n", "  OrderStatus status = 6;\n  // Sales channel.\n  string channel = 7;\n"
    )
    schema_repo.commit("field added on main later")
    schema_repo.git("checkout", "-q", "feature")
    proc = run_cli("check", "--against", "main", cwd=schema_repo.root)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_depth_1_clone_of_a_pr_branch_fetches_what_it_needs(schema_repo: SchemaRepo, tmp_path: Path) -> None:
    for n in range(3):  # some history between the merge-base and the branch tip
        schema_repo.write(f"notes/{n}.txt", str(n))
        schema_repo.commit(f"main {n}")
    _feature_branch_dropping_a_field(schema_repo)
    for n in range(3):
        schema_repo.write(f"notes/feature-{n}.txt", str(n))
        schema_repo.commit(f"feature {n}")
    clone = tmp_path / "clone"
    url = schema_repo.root.as_uri()
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "feature", url, str(clone)], check=True)
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    proc = run_cli("check", "--against", "main", "--format", "github", cwd=clone)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"::error file={EVENTS},line=" in proc.stdout and "title=FIELD_NO_DELETE::" in proc.stdout


def test_json_format_is_machine_readable(schema_repo: SchemaRepo) -> None:
    _feature_branch_dropping_a_field(schema_repo)
    proc = run_cli("breaking", "--against", "main", "--format", "json", cwd=schema_repo.root)
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and report["ok"] is False
    [violation] = report["violations"]
    line = schema_repo.line_of(EVENTS, "message OrderCancelled {")
    assert (violation["file"], violation["line"], violation["rule"]) == (EVENTS, line, "FIELD_NO_DELETE")
    assert violation["advice"]


def test_syntax_error_is_located_and_gen_writes_nothing(schema_repo: SchemaRepo) -> None:
    generated = schema_repo.root / "ss3-protos" / "src" / "ss3"
    assert run_cli("gen", cwd=schema_repo.root).returncode == 0
    before = {p: p.read_bytes() for p in generated.rglob("*") if p.is_file()}
    schema_repo.replace(ORDER, "  string sku = 1;", "  string sku = 1")
    line = schema_repo.line_of(ORDER, "  int32 quantity = 2;")  # the parser trips on the next token
    for command in (["lint"], ["gen"], ["check", "--against", "main"]):
        proc = run_cli(*command, cwd=schema_repo.root)
        assert proc.returncode == 1, (command, proc.stdout, proc.stderr)
        assert f"{ORDER}:{line}:" in proc.stdout and "COMPILE" in proc.stdout, (command, proc.stdout)
    after = {p: p.read_bytes() for p in generated.rglob("*") if p.is_file()}
    assert after == before
    assert not list(generated.parent.glob(".gen-*"))


def test_event_declaration_rules_on_the_current_tree(schema_repo: SchemaRepo) -> None:
    payments = "proto/ss3/payments/v1/payment_events.proto"
    schema_repo.git("checkout", "-q", "-b", "feature")
    schema_repo.replace(payments, '"ss3.payments.payment-events.v1"', '"ss3.orders.order-events.v1"')
    schema_repo.replace(
        "proto/ss3/shipping/v1/shipment_events.proto", '"ss3.shipping.shipment-events.v1"', '"Shipping Events!"'
    )
    schema_repo.commit("bad topics")
    proc = run_cli("check", "--against", "main", cwd=schema_repo.root)
    assert proc.returncode == 1
    assert "SS3_EVENT_TOPIC_UNIQUE" in proc.stdout and "SS3_EVENT_TOPIC_VALID" in proc.stdout
    topic_line = schema_repo.line_of(payments, "option (ss3.options.v1.topic)")
    assert f"{payments}:{topic_line}:1: SS3_EVENT_TOPIC_UNIQUE" in proc.stdout


def test_short_name_of_an_imported_type_in_an_event_file_is_located(schema_repo: SchemaRepo) -> None:
    events = "proto/ss3/orders/v1/order_events.proto"
    schema_repo.git("checkout", "-q", "-b", "feature")
    schema_repo.replace(events, "  ss3.orders.v1.Order order = 2;", "  Order order = 2;")
    schema_repo.commit("short type name")

    proc = run_cli("check", "--against", "main", cwd=schema_repo.root)

    assert proc.returncode == 1
    line = schema_repo.line_of(events, "  Order order = 2;")
    assert f"{events}:{line}:3: SS3_FIELD_TYPE_FULL_NAME: " in proc.stdout
    assert "write `ss3.orders.v1.Order`" in proc.stdout
    # Same-file types and service files (never registered) keep short names.
    assert proc.stdout.count("SS3_FIELD_TYPE_FULL_NAME") == 1


def test_java_options_must_match_the_file_and_package(schema_repo: SchemaRepo) -> None:
    money = "proto/ss3/common/v1/money.proto"
    service = "proto/ss3/orders/v1/order_service.proto"
    schema_repo.git("checkout", "-q", "-b", "feature")
    schema_repo.replace(
        money, 'option java_package = "com.shopstar3.ss3.common.v1";', 'option java_package = "com.acme";'
    )
    schema_repo.replace(service, "option java_multiple_files = true;\n", "")
    schema_repo.commit("java options")

    proc = run_cli("check", "--against", "main", cwd=schema_repo.root)

    assert proc.returncode == 1
    package_line = schema_repo.line_of(money, "option java_package")
    assert (
        f'{money}:{package_line}:1: SS3_JAVA_OPTIONS: option java_package is "com.acme"; every file sets '
        '`option java_package = "com.shopstar3.ss3.common.v1";`'
    ) in proc.stdout
    assert (
        f"{service}:{schema_repo.line_of(service, 'package ss3.orders.v1;')}:1: SS3_JAVA_OPTIONS: option" in proc.stdout
    )
    assert "java_multiple_files is missing" in proc.stdout


def test_outside_a_schema_repository_exits_2(tmp_path: Path) -> None:
    proc = run_cli("lint", cwd=tmp_path)
    assert proc.returncode == 2
    assert "buf.yaml" in proc.stderr
