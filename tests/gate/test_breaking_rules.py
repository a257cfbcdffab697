"""The PR gate on real git repositories: what FULL compatibility lets through and what it stops.

Each case is named after the rule it expects (buf's rule id, or ours for
event checks), and asserts the exact file and line the author is sent to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.helpers import SchemaRepo, run_cli

EVENTS = "proto/ss3/orders/v1/order_events.proto"
ORDER = "proto/ss3/orders/v1/order.proto"
SERVICE = "proto/ss3/orders/v1/order_service.proto"
SHIPPING = "proto/ss3/shipping/v1/shipping_service.proto"
INVENTORY_SERVICE = "proto/ss3/inventory/v1/inventory_service.proto"

Edit = tuple[str, str, str]  # file, old text, new text


@dataclass(frozen=True)
class Case:
    edits: list[Edit]
    base_edits: list[Edit] = field(default_factory=list)  # committed on main first
    expect: tuple[str, str, str] | None = None  # rule, file, text on the expected line
    command: str = "breaking"


def _apply(repo: SchemaRepo, edits: list[Edit]) -> None:
    for path, old, new in edits:
        if new is None:
            repo.path(path).unlink()
        else:
            repo.replace(path, old, new)


def _run_case(repo: SchemaRepo, case: Case) -> tuple[int, str, str]:
    if case.base_edits:
        _apply(repo, case.base_edits)
        repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    _apply(repo, case.edits)
    repo.commit("change")
    proc = run_cli(case.command, "--against", "main", cwd=repo.root)
    return proc.returncode, proc.stdout, proc.stderr


NOTE_FIELD = (
    EVENTS,
    "  ss3.common.v1.Money refunded = 4;\n}",
    "  ss3.common.v1.Money refunded = 4;\n  // Note for customer support.\n  string note = 5;\n}",
)
ENVELOPE_MEMBER_ARCHIVED = (
    EVENTS,
    "    OrderCancelled order_cancelled = 3;\n",
    "    OrderCancelled order_cancelled = 3;\n    // Set when the event is OrderArchived.\n"
    "    OrderArchived order_archived = 4;\n",
)
ARCHIVED_EVENT = (
    EVENTS,
    "// Why an order was cancelled.",
    "// An order was archived.\nmessage OrderArchived {\n  option (ss3.options.v1.event) = true;\n\n"
    "  // Event envelope.\n  ss3.common.v1.EventMetadata metadata = 1;\n}\n\n// Why an order was cancelled.",
)
ONEOF_BASE = (
    ORDER,
    "  OrderStatus status = 6;\n}",
    "  OrderStatus status = 6;\n  // How the order is paid.\n  oneof payment {\n"
    "    // Card payment token.\n    string card_token = 7;\n  }\n}",
)
MAP_BASE = (
    ORDER,
    "  OrderStatus status = 6;\n}",
    "  OrderStatus status = 6;\n  // Free-form attributes.\n  map<string, string> attributes = 7;\n}",
)

ADDITIVE = {
    "new_field": Case([NOTE_FIELD]),
    "new_enum_value": Case(
        [
            (
                EVENTS,
                "  CANCELLATION_REASON_FRAUD_SUSPECTED = 4;\n",
                "  CANCELLATION_REASON_FRAUD_SUSPECTED = 4;\n  // Duplicate order.\n  CANCELLATION_REASON_DUPLICATE = 5;\n",
            )
        ]
    ),
    "new_message": Case(
        [
            (
                EVENTS,
                "// Why an order was cancelled.",
                "// An order was archived.\nmessage OrderArchived {\n  option (ss3.options.v1.event) = true;\n\n"
                "  // Event envelope.\n  ss3.common.v1.EventMetadata metadata = 1;\n}\n\n// Why an order was cancelled.",
            ),
            ENVELOPE_MEMBER_ARCHIVED,
        ],
        command="check",
    ),
    "new_rpc": Case(
        [
            (
                SERVICE,
                "  rpc CancelOrder(CancelOrderRequest) returns (CancelOrderResponse);\n",
                "  rpc CancelOrder(CancelOrderRequest) returns (CancelOrderResponse);\n"
                "  // Archives an order.\n  rpc ArchiveOrder(ArchiveOrderRequest) returns (ArchiveOrderResponse);\n",
            ),
            (
                SERVICE,
                "// Request of OrderService.GetOrder.",
                "// Request of OrderService.ArchiveOrder.\nmessage ArchiveOrderRequest {\n  // Order id.\n"
                "  string order_id = 1;\n}\n\n// Response of OrderService.ArchiveOrder.\nmessage ArchiveOrderResponse {}\n\n"
                "// Request of OrderService.GetOrder.",
            ),
        ],
        command="check",
    ),
    "new_oneof_member": Case(
        [
            (
                ORDER,
                "    string card_token = 7;\n",
                "    string card_token = 7;\n    // Voucher code.\n    string voucher = 8;\n",
            )
        ],
        base_edits=[ONEOF_BASE],
    ),
    "doc_only": Case(
        [(EVENTS, "// A customer placed an order at checkout.", "// A customer placed an order (checkout done).")]
    ),
}

BREAKING = {
    "FIELD_NO_DELETE": Case(
        [
            (
                EVENTS,
                "  // Amount refunded to the customer; zero when nothing was paid yet.\n  ss3.common.v1.Money refunded = 4;\n",
                "",
            )
        ],
        expect=("FIELD_NO_DELETE", EVENTS, "message OrderCancelled {"),
    ),
    "FIELD_NO_DELETE_even_when_reserved": Case(
        [
            (
                EVENTS,
                "  // Amount refunded to the customer; zero when nothing was paid yet.\n  ss3.common.v1.Money refunded = 4;\n",
                '  reserved 4;\n  reserved "refunded";\n',
            )
        ],
        expect=("FIELD_NO_DELETE", EVENTS, "message OrderCancelled {"),
    ),
    "FIELD_SAME_TYPE_int32_to_int64": Case(
        [(ORDER, "  int32 quantity = 2;", "  int64 quantity = 2;")],
        expect=("FIELD_SAME_TYPE", ORDER, "int64 quantity = 2;"),
    ),
    "FIELD_SAME_TYPE_message_to_scalar": Case(
        [(EVENTS, "  ss3.common.v1.Money refunded = 4;", "  int64 refunded = 4;")],
        expect=("FIELD_SAME_TYPE", EVENTS, "int64 refunded = 4;"),
    ),
    "FIELD_SAME_NAME": Case(
        [(ORDER, "  string sku = 1;", "  string product_sku = 1;")],
        expect=("FIELD_SAME_NAME", ORDER, "string product_sku = 1;"),
    ),
    "FIELD_SAME_JSON_NAME": Case(
        [(ORDER, "  string sku = 1;", '  string sku = 1 [json_name = "SKU"];')],
        expect=("FIELD_SAME_JSON_NAME", ORDER, 'string sku = 1 [json_name = "SKU"];'),
    ),
    "FIELD_renumbered": Case(
        [(ORDER, "  string customer_id = 2;", "  string customer_id = 9;")],
        expect=("FIELD_NO_DELETE", ORDER, "message Order {"),
    ),
    "FIELD_SAME_CARDINALITY_singular_to_repeated": Case(
        [(ORDER, "  string customer_id = 2;", "  repeated string customer_id = 2;")],
        expect=("FIELD_SAME_CARDINALITY", ORDER, "repeated string customer_id = 2;"),
    ),
    "FIELD_SAME_CARDINALITY_repeated_to_singular": Case(
        [(ORDER, "  repeated LineItem line_items = 3;", "  LineItem line_items = 3;")],
        expect=("FIELD_SAME_CARDINALITY", ORDER, "LineItem line_items = 3;"),
    ),
    "FIELD_SAME_CARDINALITY_optional_added": Case(
        [(ORDER, "  string customer_id = 2;", "  optional string customer_id = 2;")],
        expect=("FIELD_SAME_CARDINALITY", ORDER, "optional string customer_id = 2;"),
    ),
    "ENUM_VALUE_NO_DELETE": Case(
        [(EVENTS, "  // Fraud prevention rejected the order.\n  CANCELLATION_REASON_FRAUD_SUSPECTED = 4;\n", "")],
        expect=("ENUM_VALUE_NO_DELETE", EVENTS, "enum CancellationReason {"),
    ),
    "ENUM_VALUE_renumbered": Case(
        [(EVENTS, "  CANCELLATION_REASON_FRAUD_SUSPECTED = 4;", "  CANCELLATION_REASON_FRAUD_SUSPECTED = 5;")],
        expect=("ENUM_VALUE_NO_DELETE", EVENTS, "enum CancellationReason {"),
    ),
    "MESSAGE_NO_DELETE_renamed": Case(
        [
            (SERVICE, "message GetOrderResponse {", "message GetOrderReply {"),
            (SERVICE, "returns (GetOrderResponse)", "returns (GetOrderReply)"),
        ],
        expect=("MESSAGE_NO_DELETE", SERVICE, 'syntax = "proto3";'),
    ),
    "RPC_NO_DELETE": Case(
        [
            (
                SERVICE,
                "  // Cancels an order that has not been shipped yet.\n  rpc CancelOrder(CancelOrderRequest) returns (CancelOrderResponse);\n",
                "",
            )
        ],
        expect=("RPC_NO_DELETE", SERVICE, "service OrderService {"),
    ),
    "RPC_SAME_REQUEST_TYPE": Case(
        [(SERVICE, "rpc GetOrder(GetOrderRequest)", "rpc GetOrder(CancelOrderRequest)")],
        expect=("RPC_SAME_REQUEST_TYPE", SERVICE, "rpc GetOrder(CancelOrderRequest)"),
    ),
    "RPC_SAME_RESPONSE_TYPE": Case(
        [(SERVICE, "returns (GetOrderResponse)", "returns (CancelOrderResponse)")],
        expect=("RPC_SAME_RESPONSE_TYPE", SERVICE, "rpc GetOrder(GetOrderRequest) returns (CancelOrderResponse)"),
    ),
    "RPC_SAME_SERVER_STREAMING": Case(
        [(SHIPPING, "returns (stream WatchShipmentResponse)", "returns (WatchShipmentResponse)")],
        expect=("RPC_SAME_SERVER_STREAMING", SHIPPING, "rpc WatchShipment(WatchShipmentRequest)"),
    ),
    "RPC_SAME_CLIENT_STREAMING": Case(
        [(SHIPPING, "rpc WatchShipment(WatchShipmentRequest)", "rpc WatchShipment(stream WatchShipmentRequest)")],
        expect=("RPC_SAME_CLIENT_STREAMING", SHIPPING, "rpc WatchShipment(stream WatchShipmentRequest)"),
    ),
    "FIELD_SAME_ONEOF_moved_into_oneof": Case(
        [
            (
                ORDER,
                "  OrderStatus status = 6;\n",
                "  // Lifecycle.\n  oneof lifecycle {\n    // Current state.\n    OrderStatus status = 6;\n  }\n",
            )
        ],
        expect=("FIELD_SAME_ONEOF", ORDER, "OrderStatus status = 6;"),
    ),
    "FIELD_SAME_TYPE_map_value": Case(
        [(ORDER, "map<string, string> attributes = 7;", "map<string, int64> attributes = 7;")],
        base_edits=[MAP_BASE],
        expect=("FIELD_SAME_TYPE", ORDER, "map<string, int64> attributes = 7;"),
    ),
    "FILE_SAME_PACKAGE": Case(
        [(INVENTORY_SERVICE, "package ss3.inventory.v1;", "package ss3.inventory.v2;")],
        expect=("FILE_SAME_PACKAGE", INVENTORY_SERVICE, "package ss3.inventory.v2;"),
    ),
    "FILE_NO_DELETE": Case(
        [(INVENTORY_SERVICE, "", None)],  # type: ignore[list-item]
        expect=("FILE_NO_DELETE", INVENTORY_SERVICE, None),  # type: ignore[arg-type]
    ),
    "SS3_EVENT_TOPIC_UNCHANGED": Case(
        [(EVENTS, '"ss3.orders.order-events.v1"', '"ss3.orders.orders.v1"')],
        expect=("SS3_EVENT_TOPIC_UNCHANGED", EVENTS, "option (ss3.options.v1.topic)"),
        command="check",
    ),
    "SS3_EVENT_TOPIC_UNCHANGED_removed": Case(
        [(EVENTS, 'option (ss3.options.v1.topic) = "ss3.orders.order-events.v1";\n', "")],
        expect=("SS3_EVENT_TOPIC_UNCHANGED", EVENTS, "package ss3.orders.v1;"),
        command="check",
    ),
    "SS3_EVENT_STAYS_EVENT": Case(
        [(EVENTS, "message OrderCancelled {\n  option (ss3.options.v1.event) = true;\n", "message OrderCancelled {\n")],
        expect=("SS3_EVENT_STAYS_EVENT", EVENTS, "message OrderCancelled {"),
        command="check",
    ),
    "SS3_EVENT_ENVELOPE": Case(
        [
            (
                EVENTS,
                "// Why an order was cancelled.",
                "// An order was archived.\nmessage OrderArchived {\n  option (ss3.options.v1.event) = true;\n\n"
                "  // Archived order.\n  string order_id = 1;\n}\n\n// Why an order was cancelled.",
            )
        ],
        expect=("SS3_EVENT_ENVELOPE", EVENTS, "message OrderArchived {"),
        command="check",
    ),
    "SS3_ENVELOPE_MEMBERS_missing": Case(
        [ARCHIVED_EVENT],
        expect=("SS3_ENVELOPE_MEMBERS", EVENTS, "message OrderEvents {"),
        command="check",
    ),
    "SS3_ENVELOPE_MEMBERS_twice": Case(
        [
            (
                EVENTS,
                "    OrderCancelled order_cancelled = 3;\n",
                "    OrderCancelled order_cancelled = 3;\n    // Again.\n    OrderPlaced order_placed_again = 4;\n",
            )
        ],
        expect=("SS3_ENVELOPE_MEMBERS", EVENTS, "OrderPlaced order_placed_again = 4;"),
        command="check",
    ),
    "SS3_ENVELOPE_MEMBERS_not_an_event": Case(
        [
            (
                EVENTS,
                "    OrderCancelled order_cancelled = 3;\n",
                "    OrderCancelled order_cancelled = 3;\n    // An order.\n    ss3.orders.v1.Order order = 4;\n",
            )
        ],
        expect=("SS3_ENVELOPE_MEMBERS", EVENTS, "ss3.orders.v1.Order order = 4;"),
        command="check",
    ),
    "SS3_ENVELOPE_MEMBERS_KEPT_removed": Case(
        [(EVENTS, "    // Set when the event is OrderCancelled.\n    OrderCancelled order_cancelled = 3;\n", "")],
        expect=("SS3_ENVELOPE_MEMBERS_KEPT", EVENTS, "message OrderEvents {"),
        command="check",
    ),
    "SS3_ENVELOPE_MEMBERS_KEPT_renumbered": Case(
        [(EVENTS, "OrderCancelled order_cancelled = 3;", "OrderCancelled order_cancelled = 4;")],
        expect=("SS3_ENVELOPE_MEMBERS_KEPT", EVENTS, "message OrderEvents {"),
        command="check",
    ),
    "SS3_ENVELOPE_MEMBERS_KEPT_retyped": Case(
        [
            ARCHIVED_EVENT,
            (EVENTS, "    OrderCancelled order_cancelled = 3;", "    OrderArchived order_cancelled = 3;"),
        ],
        expect=("SS3_ENVELOPE_MEMBERS_KEPT", EVENTS, "OrderArchived order_cancelled = 3;"),
        command="check",
    ),
    "SS3_ENVELOPE_FIRST": Case(
        [
            (
                EVENTS,
                "// A record of topic ss3.orders.order-events.v1",
                "// A helper.\nmessage Helper {\n  // Id.\n  string id = 1;\n}\n\n"
                "// A record of topic ss3.orders.order-events.v1",
            )
        ],
        expect=("SS3_ENVELOPE_FIRST", EVENTS, "message OrderEvents {"),
        command="check",
    ),
    "SS3_ENVELOPE_FIRST_missing": Case(
        [(EVENTS, "  option (ss3.options.v1.topic_envelope) = true;\n", "")],
        expect=("SS3_ENVELOPE_FIRST", EVENTS, "message OrderEvents {"),
        command="check",
    ),
}


@pytest.mark.parametrize("name", sorted(ADDITIVE))
def test_additive_change_passes(schema_repo: SchemaRepo, name: str) -> None:
    code, out, err = _run_case(schema_repo, ADDITIVE[name])
    assert code == 0, out + err
    assert "ok" in out


@pytest.mark.parametrize("name", sorted(BREAKING))
def test_breaking_change_fails_at_its_line(schema_repo: SchemaRepo, name: str) -> None:
    case = BREAKING[name]
    assert case.expect is not None
    rule, path, needle = case.expect
    code, out, err = _run_case(schema_repo, case)
    assert code == 1, out + err
    line = schema_repo.line_of(path, needle) if needle else 1
    assert f"{path}:{line}:" in out and f": {rule}: " in out, out
    assert any(ln.startswith(f"{path}:{line}:") and f": {rule}: " in ln for ln in out.splitlines()), out
