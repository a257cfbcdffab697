"""The PR gate's registry step: which event schemas it asks about, and what it reports."""

from __future__ import annotations

import pytest
from ss3_schema.errors import ConfigError
from ss3_schema.registry.client import Cause, NewContent, Rejection, VersionInfo
from ss3_schema.registry.predict import changed_event_files, predict_rejections, prediction
from ss3_schema.report import Violation
from ss3_schema.schema.image import build_image
from ss3_schema.workspace import Workspace

from tests.helpers import SchemaRepo

PAYMENT_FILE = "proto/ss3/payments/v1/payment_events.proto"
ALL_EVENT_FILES = {
    "ss3/customers/v1/customer_events.proto",
    "ss3/inventory/v1/inventory_events.proto",
    "ss3/orders/v1/order_events.proto",
    "ss3/payments/v1/payment_events.proto",
    "ss3/shipping/v1/shipment_events.proto",
}


def test_without_base_every_event_file_is_new(schema_repo: SchemaRepo) -> None:
    assert changed_event_files(build_image(schema_repo.root), None) == ALL_EVENT_FILES


def test_unchanged_tree_asks_about_nothing(schema_repo: SchemaRepo) -> None:
    image = build_image(schema_repo.root)
    assert changed_event_files(image, build_image(schema_repo.root)) == set()


def test_a_changed_import_marks_every_event_file_that_uses_it(schema_repo: SchemaRepo) -> None:
    base = build_image(schema_repo.root)
    schema_repo.replace(
        "proto/ss3/common/v1/money.proto",
        "  int64 amount_minor = 2;\n",
        "  int64 amount_minor = 2;\n  // X.\n  string x = 3;\n",
    )

    changed = changed_event_files(build_image(schema_repo.root), base)

    assert changed == {"ss3/orders/v1/order_events.proto", "ss3/payments/v1/payment_events.proto"}


class RejectingRegistry:
    """Accepts everything except the payment events, whose change it rejects."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, bool]] = []

    def group_versions(self, group: str) -> list[VersionInfo]:
        return []

    def dry_run_as_reader(self, group: str, new: NewContent, *, exists: bool) -> VersionInfo | Rejection:
        # The gate asks only what a read-only account may: dry runs, never a write.
        self.asked.append((new.artifact_id, True))
        if new.artifact_id == "ss3.payments.payment-events.v1-value":
            return Rejection("Incompatible", (Cause("Field type changed", "/PaymentAuthorized"),))
        return VersionInfo(new.artifact_id, "1", len(self.asked))


def test_rejections_become_violations_at_the_message_the_server_names(schema_repo: SchemaRepo) -> None:
    base = build_image(schema_repo.root)
    schema_repo.replace(PAYMENT_FILE, "  string payment_id = 2;", "  int64 payment_id = 2;")
    registry = RejectingRegistry()

    violations = predict_rejections(
        registry,  # type: ignore[arg-type]
        Workspace(schema_repo.root),
        build_image(schema_repo.root),
        base,
        group="default",
        strategy="topic",
    )

    assert violations == [
        Violation(
            PAYMENT_FILE,
            schema_repo.line_of(PAYMENT_FILE, "message PaymentAuthorized"),
            1,
            "SS3_REGISTRY_REJECTS",
            "the registry would reject ss3.payments.payment-events.v1-value (group 'default'): "
            "Field type changed at /PaymentAuthorized. Registration after the merge would fail; "
            "keep the change compatible with every registered version.",
        )
    ]
    # Only the changed event file and its imports, all as dry runs.
    assert {artifact for artifact, _ in registry.asked} == {
        "google/protobuf/descriptor.proto",
        "google/protobuf/timestamp.proto",
        "ss3/common/v1/event_metadata.proto",
        "ss3/common/v1/money.proto",
        "ss3/options/v1/options.proto",
        "ss3.payments.payment-events.v1-value",
    }
    assert all(dry_run for _, dry_run in registry.asked)


def test_strategy_from_the_environment_is_validated() -> None:
    with pytest.raises(ConfigError, match="SS3_REGISTRY_STRATEGY='record'"):
        prediction("http://registry.test", "default", {"SS3_REGISTRY_STRATEGY": "record"})
