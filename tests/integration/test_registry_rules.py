"""Pin how the real Apicurio Registry (3.3.x) treats Protobuf schema changes.

Every expectation here was measured against the server (see
docs/registry-compatibility.md). The registration policy of ss3-protos
(server rule BACKWARD_TRANSITIVE, buf breaking FILE as the strict gate, no
server VALIDITY rule, no descriptor.proto artifact) rests on these facts, so
a failure after a server upgrade means: re-measure, update the document and
revisit the policy. In particular ``test_full_rejects_added_field`` fails
once upstream issue #9662 is fixed.

Needs session fixtures ``registry`` and ``legacy_registry`` (the latter with
apicurio.rest.legacy-error-codes.enabled=true), each with ``.url``
(``http://host:port``) and ``.auth`` (``(user, password)`` or None).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from ss3_schema.toolchain.generator import ensure_generator

from tests.docs.snippets import code

API = "/apis/registry/v3"
PROTOBUF = "application/x-protobuf"
TIMEOUT = 30
# Column order of MATRIX below.
LEVELS = ("BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FULL", "FULL_TRANSITIVE")

pytestmark = pytest.mark.integration


# --------------------------------------------------------------------------
# Client


@dataclass
class Client:
    """Raw REST v3 calls, confined to one fresh group per test."""

    api: str
    session: requests.Session
    group: str

    def create(
        self,
        artifact_id: str,
        content: str,
        references: Sequence[dict[str, str]] = (),
        *,
        dry_run: bool = False,
        canonical: bool = True,
        group: str | None = None,
    ) -> requests.Response:
        """createArtifact with ifExists=FIND_OR_CREATE_VERSION, as CI registers."""
        params = {"ifExists": "FIND_OR_CREATE_VERSION", "canonical": str(canonical).lower()}
        if dry_run:
            params["dryRun"] = "true"
        body = {
            "artifactId": artifact_id,
            "artifactType": "PROTOBUF",
            "firstVersion": {
                "content": {
                    "content": content,
                    "contentType": PROTOBUF,
                    "references": list(references),
                }
            },
        }
        return self.session.post(
            f"{self.api}/groups/{group or self.group}/artifacts",
            params=params,
            json=body,
            timeout=TIMEOUT,
        )

    def register(self, artifact_id: str, content: str, *refs: dict[str, str]) -> str:
        """Create or find a version that must succeed; return its version."""
        response = self.create(artifact_id, content, refs)
        assert response.status_code == 200, response.text
        return str(response.json()["version"]["version"])

    def add_rule(self, artifact_id: str, rule_type: str, config: str) -> requests.Response:
        return self.session.post(
            f"{self.api}/groups/{self.group}/artifacts/{artifact_id}/rules",
            json={"ruleType": rule_type, "config": config},
            timeout=TIMEOUT,
        )

    def set_rule(self, artifact_id: str, rule_type: str, config: str) -> None:
        response = self.add_rule(artifact_id, rule_type, config)
        if response.status_code == 409:  # exists: update it instead
            response = self.session.put(
                f"{self.api}/groups/{self.group}/artifacts/{artifact_id}/rules/{rule_type}",
                json={"ruleType": rule_type, "config": config},
                timeout=TIMEOUT,
            )
            assert response.status_code == 200, response.text
            return
        assert response.status_code == 204, response.text

    def group_rules(self, *rules: tuple[str, str]) -> None:
        # Group rules need an existing group (registering an artifact also creates it).
        response = self.session.post(f"{self.api}/groups", json={"groupId": self.group}, timeout=TIMEOUT)
        assert response.status_code in (200, 409), response.text
        for rule_type, config in rules:
            response = self.session.post(
                f"{self.api}/groups/{self.group}/rules",
                json={"ruleType": rule_type, "config": config},
                timeout=TIMEOUT,
            )
            assert response.status_code == 204, response.text

    def versions(self, artifact_id: str) -> list[str] | None:
        """Version ids, or None when the artifact does not exist."""
        response = self.session.get(
            f"{self.api}/groups/{self.group}/artifacts/{artifact_id}/versions",
            timeout=TIMEOUT,
        )
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return [str(item["version"]) for item in response.json()["versions"]]

    def ref(self, artifact_id: str, name: str, version: str = "1") -> dict[str, str]:
        return {
            "groupId": self.group,
            "artifactId": artifact_id,
            "version": version,
            "name": name,
        }


def new_id(prefix: str = "a") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def causes(response: requests.Response) -> list[str]:
    return [str(cause["description"]) for cause in response.json().get("causes", [])]


def assert_rule_violation(response: requests.Response) -> None:
    # 3.3 answers 400; 409 with apicurio.rest.legacy-error-codes.enabled.
    assert response.status_code in (400, 409), response.text
    assert response.json()["name"] == "RuleViolationException", response.text


@pytest.fixture
def client(registry: Any) -> Iterator[Client]:
    session = requests.Session()
    session.auth = registry.auth
    try:
        yield Client(f"{registry.url}{API}", session, new_id("ss3-it"))
    finally:
        session.close()


# --------------------------------------------------------------------------
# Schemas


BASE = """syntax = "proto3";

package ss3.itest.v1;

enum OrderStatus {
  ORDER_STATUS_UNSPECIFIED = 0;
  ORDER_STATUS_PLACED = 1;
}

message OrderPlaced {
  string order_id = 1;
  int32 quantity = 2;
  string customer_id = 3;
  OrderStatus status = 4;
  string note = 5;
}

message GetOrderRequest {
  string order_id = 1;
}

message GetOrderResponse {
  OrderPlaced order = 1;
}

service OrderService {
  rpc GetOrder(GetOrderRequest) returns (GetOrderResponse);
}
"""


def test_the_page_shows_the_schema_the_matrix_registers() -> None:
    def tokens(text: str) -> list[str]:
        return re.findall(r"\w+|[^\s\w]", text)

    assert tokens(code("registry-compat-schema")) == tokens(BASE)


SCALAR_BASE = """syntax = "proto3";

package ss3.itest.v1;

message Ping {
  string id = 1;
  string note = 2;
}
"""

NOTE = "  string note = 5;\n"
RPC = "  rpc GetOrder(GetOrderRequest) returns (GetOrderResponse);\n"


def edit(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


CHANGES: dict[str, str] = {
    "add-field": edit(NOTE, NOTE + "  string channel = 6;\n"),
    "add-optional-field": edit(NOTE, NOTE + "  optional string channel = 6;\n"),
    "add-map-field": edit(NOTE, NOTE + "  map<string, string> attributes = 6;\n"),
    "add-wkt-field": edit(
        "package ss3.itest.v1;\n",
        'package ss3.itest.v1;\n\nimport "google/protobuf/timestamp.proto";\n',
        edit(NOTE, NOTE + "  google.protobuf.Timestamp placed_at = 6;\n"),
    ),
    "add-nested-message": edit(NOTE, NOTE + "  message Line {\n    string sku = 1;\n  }\n  repeated Line lines = 6;\n"),
    "add-enum-value": edit(
        "  ORDER_STATUS_PLACED = 1;\n",
        "  ORDER_STATUS_PLACED = 1;\n  ORDER_STATUS_SHIPPED = 2;\n",
    ),
    "add-message": BASE + "\nmessage OrderCancelled {\n  string order_id = 1;\n}\n",
    "add-empty-message": BASE + "\nmessage Marker {\n}\n",
    "add-enum-type": BASE + "\nenum Channel {\n  CHANNEL_UNSPECIFIED = 0;\n}\n",
    "add-service": BASE + "\nservice AuditService {\n  rpc Audit(GetOrderRequest) returns (GetOrderResponse);\n}\n",
    "add-rpc": edit(RPC, RPC + "  rpc FindOrder(GetOrderRequest) returns (GetOrderResponse);\n"),
    "add-reserved-range": edit(NOTE, NOTE + "  reserved 10 to 20;\n"),
    "deprecate-field": edit("string note = 5;", "string note = 5 [deprecated = true];"),
    "add-json-name": edit("string note = 5;", 'string note = 5 [json_name = "remark"];'),
    "add-java-package": edit(
        "package ss3.itest.v1;\n", 'package ss3.itest.v1;\n\noption java_package = "com.ss3.itest.v1";\n'
    ),
    "remove-field": edit(NOTE, ""),
    "remove-field-reserved": edit(NOTE, '  reserved 5;\n  reserved "note";\n'),
    "remove-field-reserved-number-only": edit(NOTE, "  reserved 5;\n"),
    "remove-enum-value": edit("  ORDER_STATUS_PLACED = 1;\n", ""),
    "remove-rpc": edit(RPC, ""),
    "type-int32-to-int64": edit("int32 quantity = 2;", "int64 quantity = 2;"),
    "type-string-to-int64": edit("string customer_id = 3;", "int64 customer_id = 3;"),
    "type-string-to-bytes": edit("string customer_id = 3;", "bytes customer_id = 3;"),
    "rename-field": edit("string customer_id = 3;", "string buyer_id = 3;"),
    "renumber-field": edit("string note = 5;", "string note = 6;"),
    "add-optional-label": edit("string note = 5;", "optional string note = 5;"),
    "singular-to-repeated": edit("string note = 5;", "repeated string note = 5;"),
    "move-into-oneof": edit(NOTE, "  oneof detail {\n    string note = 5;\n  }\n"),
    "package-change": edit("package ss3.itest.v1;", "package ss3.itest.v2;"),
    "rename-message": BASE.replace("OrderPlaced", "OrderCreated"),
}

# Measured outcome per level, in LEVELS order: A = accepted (new version),
# R = rejected as a rule violation.
MATRIX: dict[str, str] = {
    # Additions: only BACKWARD* accept them; FORWARD/FULL* run the checker with
    # the versions swapped and see a removal (upstream #9662, #2548).
    "add-field": "AARRR",
    "add-optional-field": "AARRR",
    "add-map-field": "AARRR",
    "add-wkt-field": "AARRR",
    "add-nested-message": "AARRR",
    "add-enum-value": "AARRR",
    "add-message": "AARRR",
    "add-empty-message": "AAAAA",
    "add-enum-type": "AAAAA",
    "add-rpc": "AARRR",
    "add-service": "AARRR",
    "add-reserved-range": "AARRR",
    # Options are not compared at all.
    "deprecate-field": "AAAAA",
    "add-json-name": "AAAAA",
    "add-java-package": "AAAAA",
    # Removals.
    "remove-field": "RRARR",
    "remove-field-reserved": "AARRR",
    "remove-field-reserved-number-only": "RRRRR",
    "remove-enum-value": "RRARR",
    "remove-rpc": "RRARR",
    # Type, name, number and label changes: rejected at every level.
    "type-int32-to-int64": "RRRRR",
    "type-string-to-int64": "RRRRR",
    "type-string-to-bytes": "RRRRR",
    "rename-field": "RRRRR",
    "renumber-field": "RRRRR",
    "add-optional-label": "RRRRR",
    "singular-to-repeated": "RRRRR",
    # Not checked: oneof membership.
    "move-into-oneof": "AAAAA",
    # Rejected only because message-typed fields now resolve to another
    # package (see test_package_change_of_scalar_only_file_passes).
    "package-change": "RRRRR",
    "rename-message": "RRRRR",
}

# The rejection reason the server gives, for the cases the policy relies on.
CAUSES: dict[tuple[str, str], str] = {
    ("add-field", "FULL"): "fields removed without reservation",
    ("add-enum-value", "FULL"): "Field name changed",
    ("add-rpc", "FULL"): "rpc services removed",
    ("remove-field", "BACKWARD"): "fields removed without reservation",
    ("remove-field-reserved-number-only", "BACKWARD"): "fields removed without reservation",
    ("remove-enum-value", "BACKWARD"): "Field name changed",
    ("remove-rpc", "BACKWARD"): "rpc services removed",
    ("type-int32-to-int64", "BACKWARD"): "Field type changed",
    ("type-string-to-int64", "BACKWARD"): "Field type changed",
    ("rename-field", "BACKWARD"): "Field name changed",
    ("renumber-field", "BACKWARD"): "field id changed",
    ("add-optional-label", "BACKWARD"): "Field label changed",
    ("singular-to-repeated", "BACKWARD"): "Field label changed",
    ("package-change", "BACKWARD"): "Field type changed",
}


# --------------------------------------------------------------------------
# Compatibility matrix


@pytest.mark.parametrize(
    ("change", "level"),
    [(change, level) for change in MATRIX for level in LEVELS],
)
def test_compatibility_matrix(client: Client, change: str, level: str) -> None:
    artifact = new_id()
    assert client.register(artifact, BASE) == "1"
    client.set_rule(artifact, "COMPATIBILITY", level)

    response = client.create(artifact, CHANGES[change])

    expected = MATRIX[change][LEVELS.index(level)]
    if expected == "A":
        assert response.status_code == 200, response.text
        assert response.json()["version"]["version"] == "2"
    else:
        assert_rule_violation(response)
        assert causes(response), "a compatibility violation lists its causes"
        assert client.versions(artifact) == ["1"]
    if (change, level) in CAUSES:
        assert any(CAUSES[change, level] in cause for cause in causes(response))


def test_full_rejects_added_field(client: Client) -> None:
    """Upstream #9662: FULL treats a new field as a removal. Fails once fixed."""
    artifact = new_id()
    client.register(artifact, BASE)
    client.set_rule(artifact, "COMPATIBILITY", "FULL")

    response = client.create(artifact, CHANGES["add-field"])

    assert_rule_violation(response)
    assert set(causes(response)) == {
        "Field name changed, message OrderPlaced , before: channel , after null",
        "2 fields removed without reservation, message OrderPlaced",
    }


def test_unchanged_content_is_accepted_without_new_version(client: Client) -> None:
    for level in LEVELS:
        artifact = new_id()
        client.register(artifact, BASE)
        client.set_rule(artifact, "COMPATIBILITY", level)
        assert client.register(artifact, BASE) == "1"
        assert client.versions(artifact) == ["1"]


def test_package_change_of_scalar_only_file_passes(client: Client) -> None:
    # The checker compares messages by unqualified name: the package itself is
    # not compared, only field types that resolve into it.
    for level in ("BACKWARD", "FULL"):
        artifact = new_id()
        client.register(artifact, SCALAR_BASE)
        client.set_rule(artifact, "COMPATIBILITY", level)
        moved = edit("package ss3.itest.v1;", "package ss3.itest.v2;", SCALAR_BASE)
        assert client.register(artifact, moved) == "2"


def test_transitive_levels_compare_all_versions(client: Client) -> None:
    v1 = SCALAR_BASE
    v2 = edit("string note = 2;", "int64 note = 2;", v1)
    v3 = edit("  int64 note = 2;\n", "  int64 note = 2;\n  string extra = 3;\n", v2)
    outcomes = {}
    for level in ("BACKWARD", "BACKWARD_TRANSITIVE"):
        artifact = new_id()
        client.register(artifact, v1)
        client.set_rule(artifact, "COMPATIBILITY", "NONE")
        assert client.register(artifact, v2) == "2"  # NONE lets the type change in
        client.set_rule(artifact, "COMPATIBILITY", level)
        outcomes[level] = client.create(artifact, v3)

    assert outcomes["BACKWARD"].status_code == 200
    assert_rule_violation(outcomes["BACKWARD_TRANSITIVE"])
    assert causes(outcomes["BACKWARD_TRANSITIVE"]) == [
        "Field type changed, message Ping , before: string , after int64"
    ]


# --------------------------------------------------------------------------
# Error responses


def test_rule_violation_body_shape(client: Client) -> None:
    artifact = new_id()
    client.register(artifact, BASE)
    client.set_rule(artifact, "COMPATIBILITY", "BACKWARD")

    response = client.create(artifact, CHANGES["type-string-to-int64"])

    assert response.status_code == 400  # 3.3 default (no legacy codes)
    body = response.json()
    assert body["name"] == "RuleViolationException"
    assert body["status"] == 400
    assert body["title"].startswith(f"Incompatible artifact: {artifact} [PROTOBUF]")
    assert "num of incompatible diffs: {1}" in body["title"]
    assert body["detail"].startswith(body["title"])
    assert body["causes"] == [
        {
            "description": "Field type changed, message OrderPlaced , before: string , after int64",
            "context": "/OrderPlaced",
        }
    ]


def test_invalid_compatibility_level_is_stored_then_breaks_registration(
    client: Client,
) -> None:
    # The server does not validate the level: registration then fails with 500.
    artifact = new_id()
    client.register(artifact, BASE)

    assert client.add_rule(artifact, "COMPATIBILITY", "SIDEWAYS").status_code == 204

    response = client.create(artifact, CHANGES["add-field"])
    assert response.status_code == 500
    assert "CompatibilityLevel.SIDEWAYS" in response.json()["title"]


def test_existing_artifact_with_if_exists_fail_is_409(client: Client) -> None:
    artifact = new_id()
    client.register(artifact, BASE)
    response = client.session.post(
        f"{client.api}/groups/{client.group}/artifacts",
        json={
            "artifactId": artifact,
            "artifactType": "PROTOBUF",
            "firstVersion": {"content": {"content": BASE, "contentType": PROTOBUF}},
        },
        timeout=TIMEOUT,
    )
    assert response.status_code == 409
    assert response.json()["name"] == "ArtifactAlreadyExistsException"


def test_legacy_error_codes_turn_violations_into_409(legacy_registry: Any) -> None:
    """Needs the fixture ``legacy_registry``: apicurio.rest.legacy-error-codes.enabled=true."""
    session = requests.Session()
    session.auth = legacy_registry.auth
    legacy = Client(f"{legacy_registry.url}{API}", session, new_id("ss3-it"))
    artifact = new_id()
    legacy.register(artifact, BASE)
    legacy.set_rule(artifact, "COMPATIBILITY", "BACKWARD")

    response = legacy.create(artifact, CHANGES["remove-field"])

    assert response.status_code == 409
    assert response.json()["name"] == "RuleViolationException"
    assert response.json()["status"] == 409
    assert causes(response)


# --------------------------------------------------------------------------
# dryRun


def test_dry_run_of_first_version_persists_nothing(client: Client) -> None:
    artifact = new_id()
    response = client.create(artifact, BASE, dry_run=True)

    assert response.status_code == 200
    assert response.json()["version"]["version"] == "1"
    assert client.versions(artifact) is None


def test_dry_run_reports_new_and_unchanged_versions(client: Client) -> None:
    artifact = new_id()
    first = client.create(artifact, BASE).json()["version"]
    client.set_rule(artifact, "COMPATIBILITY", "BACKWARD")

    unchanged = client.create(artifact, BASE, dry_run=True)
    added = client.create(artifact, CHANGES["add-field"], dry_run=True)
    broken = client.create(artifact, CHANGES["remove-field"], dry_run=True)

    # Unchanged content: the existing version, same globalId.
    assert unchanged.status_code == 200
    assert unchanged.json()["version"]["version"] == "1"
    assert unchanged.json()["version"]["globalId"] == first["globalId"]
    # New content: the version it would get (with a globalId never stored).
    assert added.status_code == 200
    assert added.json()["version"]["version"] == "2"
    assert added.json()["version"]["globalId"] != first["globalId"]
    # Rules run for real.
    assert_rule_violation(broken)
    assert causes(broken)
    assert client.versions(artifact) == ["1"]


# --------------------------------------------------------------------------
# Idempotency and canonical matching


def test_same_content_twice_creates_one_version(client: Client) -> None:
    artifact = new_id()
    first = client.create(artifact, BASE).json()["version"]
    second = client.create(artifact, BASE).json()["version"]

    assert (second["version"], second["globalId"]) == (first["version"], first["globalId"])
    assert client.versions(artifact) == ["1"]


@pytest.mark.parametrize(
    ("variant", "new_version"),
    [
        (edit(NOTE, "  string   note   =   5;\n\n\n"), False),
        ("// File header comment.\n" + BASE, False),
        (edit(NOTE, "  // Free text.\n" + NOTE), True),
        (edit(NOTE, "  string note = 5; // Free text.\n"), True),
        (edit("package ss3.itest.v1;\n", "package ss3.itest.v1;\n\n/* Block. */\n"), True),
    ],
    ids=[
        "whitespace",
        "comment-before-syntax",
        "leading-field-comment",
        "trailing-field-comment",
        "comment-before-enum",
    ],
)
def test_canonical_matching_ignores_layout_but_not_comments(client: Client, variant: str, new_version: bool) -> None:
    # Canonical form is Wire's re-print: layout and comments before `syntax`
    # are dropped, comments attached to an element are kept.
    artifact = new_id()
    client.register(artifact, BASE)

    version = client.register(artifact, variant)

    assert version == ("2" if new_version else "1")


def test_without_canonical_whitespace_creates_a_version(client: Client) -> None:
    artifact = new_id()
    client.register(artifact, BASE)
    response = client.create(artifact, edit(NOTE, "  string  note = 5;\n"), canonical=False)
    assert response.json()["version"]["version"] == "2"


def test_syntax_error_is_stored_without_a_validity_rule(client: Client) -> None:
    # Only a VALIDITY rule parses content; CI relies on buf build instead.
    artifact = new_id()
    assert client.register(artifact, 'syntax = "proto3";\nmessage {{ broken\n') == "1"


# --------------------------------------------------------------------------
# References


MONEY = """syntax = "proto3";

package ss3.common.v1;

message Money {
  string currency_code = 1;
  int64 units = 2;
  int32 nanos = 3;
}
"""

PAYMENT = """syntax = "proto3";

package ss3.payments.v1;

import "ss3/common/v1/money.proto";

message PaymentCaptured {
  string payment_id = 1;
  ss3.common.v1.Money amount = 2;
}
"""
MONEY_PATH = "ss3/common/v1/money.proto"


def test_reference_named_by_import_path_round_trips(client: Client) -> None:
    money = new_id("money")
    client.register(money, MONEY)
    ref = client.ref(money, MONEY_PATH)
    payment = new_id("payment")

    assert client.register(payment, PAYMENT, ref) == "1"
    assert client.register(payment, PAYMENT, ref) == "1"  # idempotent with refs

    outbound = client.session.get(
        f"{client.api}/groups/{client.group}/artifacts/{payment}/versions/1/references",
        timeout=TIMEOUT,
    )
    inbound = client.session.get(
        f"{client.api}/groups/{client.group}/artifacts/{money}/versions/1/references",
        params={"refType": "INBOUND"},
        timeout=TIMEOUT,
    )
    assert outbound.json() == [ref]
    assert [item["artifactId"] for item in inbound.json()] == [payment]


def test_missing_reference_passes_without_rules(client: Client) -> None:
    assert client.register(new_id(), PAYMENT) == "1"


@pytest.mark.parametrize(
    ("rule_type", "config", "cause"),
    [
        ("INTEGRITY", "FULL", "Unmapped reference detected."),
        ("INTEGRITY", "ALL_REFS_MAPPED", "Unmapped reference detected."),
        ("VALIDITY", "FULL", None),
    ],
)
def test_missing_reference_is_rejected_by_rules(client: Client, rule_type: str, config: str, cause: str | None) -> None:
    client.group_rules((rule_type, config))
    money = new_id("money")
    client.register(money, MONEY)

    response = client.create(new_id(), PAYMENT)

    assert_rule_violation(response)
    if cause:
        assert response.json()["causes"] == [{"description": cause, "context": MONEY_PATH}]
    else:
        assert response.json()["title"] == "Syntax violation for Protobuf artifact."
    assert client.register(new_id(), PAYMENT, client.ref(money, MONEY_PATH)) == "1"


def test_reference_to_missing_version(client: Client) -> None:
    # Stored as is without rules; INTEGRITY FULL (REFS_EXIST) rejects it.
    money = new_id("money")
    client.register(money, MONEY)
    dangling = client.ref(money, MONEY_PATH, version="42")
    assert client.register(new_id(), PAYMENT, dangling) == "1"

    client.group_rules(("INTEGRITY", "FULL"))
    response = client.create(new_id(), PAYMENT, [dangling])

    assert_rule_violation(response)
    assert response.json()["causes"] == [
        {
            "description": f"Referenced artifact ({client.group}/{money} @ 42) does not yet exist in the registry.",
            "context": MONEY_PATH,
        }
    ]


def test_reference_without_version_is_a_server_error(client: Client) -> None:
    money = new_id("money")
    client.register(money, MONEY)
    ref = {"groupId": client.group, "artifactId": money, "name": MONEY_PATH}

    response = client.create(new_id(), PAYMENT, [ref])

    assert response.status_code == 500
    assert "Invalid reference" in response.json()["title"]


def _chain(package_main: str, package_dep: str, package_leaf: str) -> tuple[str, str, str]:
    leaf = f'syntax = "proto3";\n\npackage {package_leaf};\n\nmessage Leaf {{\n  string id = 1;\n}}\n'
    dep = (
        f'syntax = "proto3";\n\npackage {package_dep};\n\nimport "t/leaf.proto";\n\n'
        f"message Dep {{\n  {package_leaf}.Leaf leaf = 1;\n}}\n"
    )
    main = (
        f'syntax = "proto3";\n\npackage {package_main};\n\nimport "t/dep.proto";\n\n'
        f"message Main {{\n  {package_dep}.Dep dep = 1;\n}}\n"
    )
    return leaf, dep, main


@pytest.mark.parametrize(
    ("packages", "accepted"),
    [
        (("x.v1", "y.v1", "z.v1"), True),
        (("x.v1", "y.v1", "y.v1"), True),
        (("x.v1", "x.v1", "z.v1"), False),
        (("x.v1", "y.v1", "x.v1"), False),
    ],
    ids=["all-different", "dep-and-leaf-share", "main-and-dep-share", "main-and-leaf-share"],
)
def test_validity_fails_on_transitive_import_in_same_package(
    client: Client, packages: tuple[str, str, str], accepted: bool
) -> None:
    # main -> dep -> leaf, main does not import leaf itself. VALIDITY rejects
    # it when main shares its package with dep or leaf - the layout of
    # ss3/orders/v1/order_service.proto -> order.proto -> money.proto.
    client.group_rules(("VALIDITY", "FULL"))
    leaf, dep, main = _chain(*packages)
    client.register("leaf", leaf)
    client.register("dep", dep, client.ref("leaf", "t/leaf.proto"))

    response = client.create("main", main, [client.ref("dep", "t/dep.proto")])

    if accepted:
        assert response.status_code == 200, response.text
    else:
        assert_rule_violation(response)
        assert response.json()["title"] == "Syntax violation for Protobuf artifact."


# --------------------------------------------------------------------------
# Custom options (descriptor.proto imports)


OPTIONS = """syntax = "proto3";

package ss3.options.v1;

import "google/protobuf/descriptor.proto";

extend google.protobuf.FileOptions {
  string topic = 51000;
}

extend google.protobuf.MessageOptions {
  bool event = 51001;
}
"""

EVENT = """syntax = "proto3";

package ss3.orders.v1;

import "ss3/options/v1/options.proto";

option (ss3.options.v1.topic) = "ss3.orders.order-events.v1";

message OrderPlaced {
  option (ss3.options.v1.event) = true;

  string order_id = 1;
}
"""
EVENT_V2 = edit("  string order_id = 1;\n", "  string order_id = 1;\n  string note = 2;\n", EVENT)
OPTIONS_PATH = "ss3/options/v1/options.proto"
DESCRIPTOR_PATH = "google/protobuf/descriptor.proto"


def _descriptor_proto() -> str:
    # The pinned generator ships the well-known protos.
    return (ensure_generator().include / DESCRIPTOR_PATH).read_text(encoding="utf-8")


def test_custom_options_register_with_integrity_and_compatibility(client: Client) -> None:
    """The recommended set-up: no descriptor.proto artifact, no VALIDITY rule."""
    client.group_rules(("INTEGRITY", "FULL"), ("COMPATIBILITY", "BACKWARD_TRANSITIVE"))
    options = client.register("options", OPTIONS)  # google/protobuf/* needs no reference
    ref = client.ref("options", OPTIONS_PATH, options)

    assert client.register("event", EVENT, ref) == "1"
    assert client.register("event", EVENT_V2, ref) == "2"
    assert client.register("event", EVENT_V2, ref) == "2"

    dereferenced = client.session.get(
        f"{client.api}/groups/{client.group}/artifacts/options/versions/1/content",
        params={"references": "DEREFERENCE"},
        timeout=TIMEOUT,
    )
    assert dereferenced.status_code == 200


def test_validity_rejects_file_importing_custom_options(client: Client) -> None:
    client.group_rules(("VALIDITY", "FULL"))
    client.register("options", OPTIONS)  # the options file itself passes

    response = client.create("event", EVENT, [client.ref("options", OPTIONS_PATH)])

    assert_rule_violation(response)
    assert response.json()["title"] == "Syntax violation for Protobuf artifact."
    assert response.json()["causes"] == []


def test_validity_needs_descriptor_proto_as_a_reference(client: Client) -> None:
    descriptor_text = _descriptor_proto()
    client.group_rules(("VALIDITY", "FULL"))
    # descriptor.proto itself fails VALIDITY, and createArtifact applies the
    # group rule even to an existing artifact: put it in a rule-free group.
    well_known = new_id("ss3-it-wk")
    response = client.create("descriptor", descriptor_text)
    assert_rule_violation(response)
    assert client.create("descriptor", descriptor_text, group=well_known).status_code == 200
    descriptor_ref = {
        "groupId": well_known,
        "artifactId": "descriptor",
        "version": "1",
        "name": DESCRIPTOR_PATH,
    }
    client.register("options", OPTIONS, descriptor_ref)

    assert client.register("event", EVENT, client.ref("options", OPTIONS_PATH)) == "1"

    # ...but the server can then no longer dereference options.proto.
    dereferenced = client.session.get(
        f"{client.api}/groups/{client.group}/artifacts/options/versions/1/content",
        params={"references": "DEREFERENCE"},
        timeout=TIMEOUT,
    )
    assert dereferenced.status_code == 500


# --------------------------------------------------------------------------
# Authentication


def test_basic_auth_refuses_anonymous_access(registry: Any, client: Client) -> None:
    assert registry.auth is not None, "the registry fixture runs with basic auth on"
    anonymous = requests.Session()
    url = f"{registry.url}{API}"
    artifact = new_id()
    body = {
        "artifactId": artifact,
        "artifactType": "PROTOBUF",
        "firstVersion": {"content": {"content": BASE, "contentType": PROTOBUF}},
    }

    write = anonymous.post(f"{url}/groups/{client.group}/artifacts", json=body, timeout=TIMEOUT)
    read = anonymous.get(f"{url}/groups", timeout=TIMEOUT)
    wrong = anonymous.post(
        f"{url}/groups/{client.group}/artifacts",
        json=body,
        auth=(registry.auth[0], "wrong-password"),
        timeout=TIMEOUT,
    )
    info = anonymous.get(f"{url}/system/info", timeout=TIMEOUT)

    assert (write.status_code, read.status_code, wrong.status_code) == (401, 401, 401)
    assert info.status_code == 200  # the only anonymous REST endpoint
    assert client.create(artifact, BASE).status_code == 200
