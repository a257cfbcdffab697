"""`ss3-schema register` against a real Apicurio Registry (basic auth on).

Each test registers a copy of the real schema tree into a group of its own
and reads the result back over plain HTTP.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from typing import Any

import pytest
import requests
from ss3_schema.registry.plan import well_known_schema

from tests.helpers import SchemaRepo, run_cli
from tests.integration.registry_fixture import RegistryReader, env_for

pytestmark = pytest.mark.integration

MONEY = "ss3/common/v1/money.proto"
ORDER = "ss3/orders/v1/order.proto"
ORDER_EVENTS = "ss3.orders.order-events.v1-value"
PAYMENT_EVENTS = "ss3.payments.payment-events.v1-value"
CUSTOMER_EVENTS = "ss3.customers.customer-events.v1-value"
PAYMENT_FILE = "proto/ss3/payments/v1/payment_events.proto"
CUSTOMER_FILE = "proto/ss3/customers/v1/customer_events.proto"
# Everything that imports money.proto, directly or through order.proto.
MONEY_DEPENDENTS = {MONEY, ORDER, ORDER_EVENTS, PAYMENT_EVENTS}

_TOPIC = re.compile(r'option \(ss3\.options\.v1\.topic\) = "([^"]+)";')
_IMPORT = re.compile(r'^import "([^"]+)";', re.MULTILINE)


def expected_artifacts(repo: SchemaRepo) -> dict[str, str]:
    """artifact id -> import path: every event file (by topic) and what it imports, google/protobuf/* included."""
    found: dict[str, str] = {}
    todo = []
    for path in sorted((repo.root / "proto").rglob("*.proto")):
        topic = _TOPIC.search(path.read_text(encoding="utf-8"))
        if topic:
            name = path.relative_to(repo.root / "proto").as_posix()
            found[f"{topic.group(1)}-value"] = name
            todo.append(name)
    while todo:
        for dep in _IMPORT.findall(repo.read(f"proto/{todo.pop()}")):
            if dep not in found.values():
                found[dep] = dep
                if not dep.startswith("google/protobuf/"):
                    todo.append(dep)
    return found


def register(repo: SchemaRepo, env: dict[str, str], group: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("register", "--group", group, *args, cwd=repo.root, env=env)


def register_json(repo: SchemaRepo, env: dict[str, str], group: str, *args: str) -> tuple[int, dict[str, Any]]:
    """Exit code and artifact id -> outcome of a --format json run."""
    proc = register(repo, env, group, "--format", "json", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, {item["artifact_id"]: item for item in json.loads(proc.stdout)["artifacts"]}


def actions(outcomes: dict[str, Any]) -> dict[str, str]:
    return {artifact_id: item["action"] for artifact_id, item in outcomes.items()}


def add_customer_field(repo: SchemaRepo) -> None:
    repo.replace(
        CUSTOMER_FILE,
        "  bool marketing_consent = 5;\n",
        "  bool marketing_consent = 5;\n  // Where the customer signed up.\n  string signup_channel = 6;\n",
    )


def add_money_field(repo: SchemaRepo) -> None:
    repo.replace(
        f"proto/{MONEY}",
        "  int64 amount_minor = 2;\n",
        "  int64 amount_minor = 2;\n  // How the amount was rounded.\n  string rounding = 3;\n",
    )


def release_versions(repo: SchemaRepo) -> tuple[str, str]:
    """The checkout's VERSION and the next minor release after it."""
    current = repo.read("VERSION").strip()
    major, minor, _ = current.split(".")
    return current, f"{major}.{int(minor) + 1}.0"


def break_payment_events(repo: SchemaRepo) -> None:
    repo.replace(PAYMENT_FILE, "  string payment_id = 2;", "  int64 payment_id = 2;")


def test_first_registration_registers_every_event_schema_and_its_imports(
    schema_repo: SchemaRepo, registry_env: dict[str, str], registry_group: str, registry_reader: RegistryReader
) -> None:
    expected = expected_artifacts(schema_repo)

    proc = register(schema_repo, registry_env, registry_group)

    assert proc.returncode == 0, proc.stderr
    assert registry_reader.all_versions(registry_group) == {artifact_id: ["1"] for artifact_id in expected}
    for artifact_id, name in expected.items():
        source = well_known_schema(name) if name.startswith("google/protobuf/") else schema_repo.read(f"proto/{name}")
        assert registry_reader.content(registry_group, artifact_id, "1") == source
        assert registry_reader.rule(registry_group, artifact_id) == "BACKWARD_TRANSITIVE"
    assert f"create       {ORDER_EVENTS} (ss3/orders/v1/order_events.proto): version 1" in proc.stdout
    assert f"register: {len(expected)} artifacts in group '{registry_group}' (create: {len(expected)})" in proc.stdout


def test_simple_topic_strategy_names_artifacts_by_topic(
    schema_repo: SchemaRepo, registry_env: dict[str, str], registry_group: str, registry_reader: RegistryReader
) -> None:
    proc = register(schema_repo, registry_env, registry_group, "--strategy", "simple-topic")

    assert proc.returncode == 0, proc.stderr
    names = set(registry_reader.all_versions(registry_group))
    assert "ss3.orders.order-events.v1" in names
    assert ORDER_EVENTS not in names


def test_rerun_without_changes_creates_no_version(
    schema_repo: SchemaRepo, registry_env: dict[str, str], registry_group: str, registry_reader: RegistryReader
) -> None:
    register(schema_repo, registry_env, registry_group)
    before = registry_reader.all_versions(registry_group)

    code, outcomes = register_json(schema_repo, registry_env, registry_group)

    assert code == 0
    assert set(actions(outcomes).values()) == {"unchanged"}
    assert registry_reader.all_versions(registry_group) == before


def test_additive_change_creates_one_version_per_changed_artifact_and_its_dependents(
    schema_repo: SchemaRepo, registry_env: dict[str, str], registry_group: str, registry_reader: RegistryReader
) -> None:
    register(schema_repo, registry_env, registry_group)
    add_money_field(schema_repo)
    add_customer_field(schema_repo)

    code, outcomes = register_json(schema_repo, registry_env, registry_group)

    # A new money.proto version changes the references (and so the content
    # identity) of everything that imports it, even with unchanged text.
    changed = MONEY_DEPENDENTS | {CUSTOMER_EVENTS}
    assert code == 0
    assert {a for a, action in actions(outcomes).items() if action == "new version"} == changed
    assert {a for a, action in actions(outcomes).items() if action == "unchanged"} == set(outcomes) - changed
    assert registry_reader.all_versions(registry_group) == {a: ["1", "2"] if a in changed else ["1"] for a in outcomes}


def test_every_artifact_is_on_the_branch_of_its_release_and_earlier_branches_stay(
    schema_repo: SchemaRepo, registry_env: dict[str, str], registry_group: str, registry_reader: RegistryReader
) -> None:
    # Producers of a release resolve `branch=<VERSION>` (docs/schema-changes.md): that
    # branch must hold the release's version of every artifact, changed or not.
    first, following = release_versions(schema_repo)
    register(schema_repo, registry_env, registry_group)
    add_money_field(schema_repo)
    schema_repo.write("VERSION", f"{following}\n")

    code, outcomes = register_json(schema_repo, registry_env, registry_group)
    rerun, _ = register_json(schema_repo, registry_env, registry_group)

    assert (code, rerun) == (0, 0)
    for artifact_id in outcomes:
        second = "2" if artifact_id in MONEY_DEPENDENTS else "1"
        assert registry_reader.branch(registry_group, artifact_id, first) == "1"
        assert registry_reader.branch(registry_group, artifact_id, following) == second


def test_a_dry_run_puts_nothing_on_a_release_branch(
    schema_repo: SchemaRepo, registry_env: dict[str, str], registry_group: str, registry_reader: RegistryReader
) -> None:
    _, following = release_versions(schema_repo)
    register(schema_repo, registry_env, registry_group)
    schema_repo.write("VERSION", f"{following}\n")

    register(schema_repo, registry_env, registry_group, "--dry-run")

    assert registry_reader.branch(registry_group, ORDER_EVENTS, following) is None


def test_references_name_the_imports_and_pin_the_registered_versions(
    schema_repo: SchemaRepo, registry_env: dict[str, str], registry_group: str, registry_reader: RegistryReader
) -> None:
    register(schema_repo, registry_env, registry_group)
    add_money_field(schema_repo)
    register(schema_repo, registry_env, registry_group)

    def ref(name: str, version: str) -> dict[str, str]:
        return {"groupId": registry_group, "artifactId": name, "version": version, "name": name}

    assert registry_reader.references(registry_group, ORDER_EVENTS, "1") == [
        ref("ss3/common/v1/event_metadata.proto", "1"),
        ref(MONEY, "1"),
        ref("ss3/options/v1/options.proto", "1"),
        ref(ORDER, "1"),
    ]
    assert registry_reader.references(registry_group, ORDER, "2") == [
        ref("ss3/common/v1/address.proto", "1"),
        ref(MONEY, "2"),
    ]
    assert registry_reader.references(registry_group, ORDER_EVENTS, "2") == [
        ref("ss3/common/v1/event_metadata.proto", "1"),
        ref(MONEY, "2"),
        ref("ss3/options/v1/options.proto", "1"),
        ref(ORDER, "2"),
    ]


def test_breaking_change_is_rejected_and_independent_artifacts_still_register(
    schema_repo: SchemaRepo, registry_env: dict[str, str], registry_group: str, registry_reader: RegistryReader
) -> None:
    register(schema_repo, registry_env, registry_group)
    break_payment_events(schema_repo)  # as if forced past the gate
    add_customer_field(schema_repo)

    proc = register(schema_repo, registry_env, registry_group)

    assert proc.returncode == 1, proc.stderr
    assert f"rejected     {PAYMENT_EVENTS} (ss3/payments/v1/payment_events.proto)" in proc.stdout
    assert "- Field type changed, message PaymentAuthorized , before: string , after int64" in proc.stdout
    assert f"new version  {CUSTOMER_EVENTS}" in proc.stdout
    assert registry_reader.versions(registry_group, PAYMENT_EVENTS) == ["1"]
    assert registry_reader.versions(registry_group, CUSTOMER_EVENTS) == ["1", "2"]


def test_rejected_dependency_skips_its_dependents(
    schema_repo: SchemaRepo, registry_env: dict[str, str], registry_group: str, registry_reader: RegistryReader
) -> None:
    register(schema_repo, registry_env, registry_group)
    before = registry_reader.all_versions(registry_group)
    schema_repo.replace(f"proto/{MONEY}", "  int64 amount_minor = 2;", "  string amount_minor = 2;")

    code, outcomes = register_json(schema_repo, registry_env, registry_group)

    assert code == 1
    assert outcomes[MONEY]["action"] == "rejected"
    assert outcomes[MONEY]["causes"] == [
        {"description": "Field type changed, message Money , before: int64 , after string", "context": "/Money"}
    ]
    for dependent in MONEY_DEPENDENTS - {MONEY}:
        assert outcomes[dependent]["action"] == "skipped"
    assert outcomes[ORDER]["note"] == f"depends on rejected {MONEY}"
    assert outcomes[ORDER_EVENTS]["note"] == f"depends on rejected {MONEY}"
    assert outcomes[CUSTOMER_EVENTS]["action"] == "unchanged"
    assert registry_reader.all_versions(registry_group) == before


def test_dry_run_persists_nothing_and_reports_the_plan(
    schema_repo: SchemaRepo, registry_env: dict[str, str], registry_group: str, registry_reader: RegistryReader
) -> None:
    code, outcomes = register_json(schema_repo, registry_env, registry_group, "--dry-run")
    assert code == 0
    assert set(actions(outcomes).values()) == {"create"}
    assert registry_reader.all_versions(registry_group) == {}

    register(schema_repo, registry_env, registry_group)
    before = registry_reader.all_versions(registry_group)
    add_money_field(schema_repo)
    break_payment_events(schema_repo)

    code, outcomes = register_json(schema_repo, registry_env, registry_group, "--dry-run")

    assert code == 1
    assert actions(outcomes)[MONEY] == "new version"
    assert actions(outcomes)[ORDER] == "new version"
    assert outcomes[ORDER]["note"] == f"depends on new version of {MONEY}"
    assert actions(outcomes)[PAYMENT_EVENTS] == "rejected"
    assert actions(outcomes)[CUSTOMER_EVENTS] == "unchanged"
    assert registry_reader.all_versions(registry_group) == before


def test_new_import_under_an_integrity_rule_registers_and_dry_runs_cleanly(
    schema_repo: SchemaRepo, registry: Any, registry_group: str, registry_reader: RegistryReader
) -> None:
    # An INTEGRITY rule refuses references to versions that do not exist, and
    # a dry run cannot create the new import it would have to reference.
    _group_rule(registry, registry_group, "INTEGRITY", "FULL")
    env = env_for(registry)
    register(schema_repo, env, registry_group)
    schema_repo.write(TAX_FILE, TAX)
    schema_repo.replace(
        "proto/ss3/orders/v1/order_events.proto",
        'import "ss3/orders/v1/order.proto";\n',
        'import "ss3/orders/v1/order.proto";\nimport "ss3/common/v1/tax.proto";\n',
    )
    schema_repo.replace(
        "proto/ss3/orders/v1/order_events.proto",
        "  ss3.common.v1.Money refunded = 4;\n",
        "  ss3.common.v1.Money refunded = 4;\n  // Tax on the refund.\n  ss3.common.v1.Tax tax = 5;\n",
    )

    code, dry = register_json(schema_repo, env, registry_group, "--dry-run")
    assert code == 0
    assert dry["ss3/common/v1/tax.proto"]["action"] == "create"
    assert dry[ORDER_EVENTS]["action"] == "new version"
    assert dry[ORDER_EVENTS]["note"].startswith("not evaluated: references new ss3/common/v1/tax.proto")
    assert registry_reader.versions(registry_group, ORDER_EVENTS) == ["1"]

    code, real = register_json(schema_repo, env, registry_group)
    assert code == 0
    assert real[ORDER_EVENTS]["action"] == "new version"
    names = {ref["name"]: ref["version"] for ref in registry_reader.references(registry_group, ORDER_EVENTS, "2")}
    assert names["ss3/common/v1/tax.proto"] == "1"


TAX_FILE = "proto/ss3/common/v1/tax.proto"
TAX = """syntax = "proto3";

package ss3.common.v1;

// A tax applied to an amount.
message Tax {
  // Rate in basis points.
  int32 rate_bp = 1;
}
"""


def _group_rule(server: Any, group: str, rule_type: str, config: str) -> None:
    api = f"{server.url}/apis/registry/v3"
    created = requests.post(f"{api}/groups", json={"groupId": group}, auth=server.auth, timeout=30)
    assert created.status_code == 200, created.text
    rule = {"ruleType": rule_type, "config": config}
    added = requests.post(f"{api}/groups/{group}/rules", json=rule, auth=server.auth, timeout=30)
    assert added.status_code == 204, added.text


def test_wrong_password_exits_2_with_one_line_and_no_secret(
    schema_repo: SchemaRepo, registry: Any, registry_group: str
) -> None:
    wrong = "not-the-password-3141"
    env = dict(env_for(registry), SS3_REGISTRY_PASSWORD=wrong)

    proc = register(schema_repo, env, registry_group)

    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"error: registry at {registry.url} refused the credentials (HTTP 401) for user '{registry.auth[0]}'"
    )
    assert wrong not in proc.stdout + proc.stderr


def test_password_in_the_url_is_never_printed(schema_repo: SchemaRepo, registry: Any, registry_group: str) -> None:
    secret = "url-secret-2718"
    url = registry.url.replace("http://", f"http://someone:{secret}@")

    proc = register(schema_repo, {"SS3_REGISTRY_URL": url}, registry_group)

    assert proc.returncode == 2
    assert "refused the credentials (HTTP 401)" in proc.stderr
    assert secret not in proc.stdout + proc.stderr


def test_registry_down_gives_up_after_bounded_retries(schema_repo: SchemaRepo, registry_group: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens once the socket is closed

    started = time.monotonic()
    proc = register(
        schema_repo, {"SS3_REGISTRY_URL": f"http://127.0.0.1:{closed_port}"}, registry_group, "--retries", "2"
    )

    assert proc.returncode == 2
    *retries, last = proc.stderr.strip().splitlines()
    assert last == (
        f"error: registry at http://127.0.0.1:{closed_port} failed: connection refused "
        f"(gave up after 3 attempts in {_seconds(proc.stderr)}s)"
    )
    # Each retry says so, with its count, while it waits: never silent, never the URL.
    assert [line.split(" failed")[0] for line in retries] == ["warning: attempt 1/3", "warning: attempt 2/3"]
    assert all(str(closed_port) not in line for line in retries)
    assert time.monotonic() - started < 30


def _seconds(stderr: str) -> str:
    match = re.search(r"in (\d+\.\d)s\)", stderr)
    assert match, stderr
    return match.group(1)


def test_legacy_error_codes_409_are_rule_violations_too(
    schema_repo: SchemaRepo, legacy_registry: Any, registry_group: str
) -> None:
    env = env_for(legacy_registry)
    register(schema_repo, env, registry_group)
    break_payment_events(schema_repo)

    code, outcomes = register_json(schema_repo, env, registry_group)

    assert code == 1
    assert outcomes[PAYMENT_EVENTS]["action"] == "rejected"
    assert "Field type changed" in outcomes[PAYMENT_EVENTS]["causes"][0]["description"]
    # The server really answered with the pre-3.3 status.
    assert _raw_dry_run_status(legacy_registry, registry_group, PAYMENT_EVENTS, schema_repo.read(PAYMENT_FILE)) == 409


def _raw_dry_run_status(server: Any, group: str, artifact_id: str, content: str) -> int:
    response = requests.post(
        f"{server.url}/apis/registry/v3/groups/{group}/artifacts",
        params={"ifExists": "FIND_OR_CREATE_VERSION", "dryRun": "true"},
        json={
            "artifactId": artifact_id,
            "firstVersion": {"content": {"content": content, "contentType": "application/x-protobuf"}},
        },
        auth=server.auth,
        timeout=30,
    )
    return response.status_code


def test_check_fails_on_a_change_the_registry_rejects_and_passes_an_additive_one(
    schema_repo: SchemaRepo, registry_env: dict[str, str], registry_group: str
) -> None:
    register(schema_repo, registry_env, registry_group)

    def check() -> subprocess.CompletedProcess[str]:
        return run_cli("check", "--against", "main", "--group", registry_group, cwd=schema_repo.root, env=registry_env)

    add_customer_field(schema_repo)
    passing = check()
    assert passing.returncode == 0, passing.stdout + passing.stderr

    break_payment_events(schema_repo)
    failing = check()
    assert failing.returncode == 1
    line = schema_repo.line_of(PAYMENT_FILE, "message PaymentAuthorized")
    assert (
        f"{PAYMENT_FILE}:{line}:1: SS3_REGISTRY_REJECTS: the registry would reject {PAYMENT_EVENTS} "
        f"(group '{registry_group}'): Field type changed, message PaymentAuthorized , before: string , after int64"
    ) in failing.stdout
