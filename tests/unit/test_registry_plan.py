"""Which artifacts registration creates, named how, in which order."""

from __future__ import annotations

import re

import pytest
from ss3_schema.errors import SchemaError
from ss3_schema.registry.plan import PlannedArtifact, artifact_id_for, plan_registration
from ss3_schema.schema.image import build_image
from ss3_schema.workspace import Workspace

from tests.helpers import SchemaRepo

ORDER_EVENTS = "ss3/orders/v1/order_events.proto"


def plan(repo: SchemaRepo, strategy: str = "topic", only: set[str] | None = None) -> list[PlannedArtifact]:
    return plan_registration(Workspace(repo.root), build_image(repo.root), strategy, only=only)


def test_every_artifact_comes_after_what_it_imports(schema_repo: SchemaRepo) -> None:
    artifacts = plan(schema_repo)

    position = {a.file: index for index, a in enumerate(artifacts)}
    for artifact in artifacts:
        assert all(position[dep] < position[artifact.file] for dep in artifact.imports), artifact.file
    assert len(position) == len(artifacts)  # each file once, however many import it


def test_event_files_are_named_by_topic_and_imports_by_import_path(schema_repo: SchemaRepo) -> None:
    by_file = {a.file: a for a in plan(schema_repo)}

    order_events = by_file[ORDER_EVENTS]
    assert order_events.artifact_id == "ss3.orders.order-events.v1-value"
    assert order_events.topic == "ss3.orders.order-events.v1"
    assert order_events.imports == (
        "ss3/common/v1/event_metadata.proto",
        "ss3/common/v1/money.proto",
        "ss3/options/v1/options.proto",
        "ss3/orders/v1/order.proto",
    )
    assert order_events.content == schema_repo.read(f"proto/{ORDER_EVENTS}")
    assert by_file["ss3/orders/v1/order.proto"].artifact_id == "ss3/orders/v1/order.proto"
    assert by_file["ss3/orders/v1/order.proto"].topic is None
    # Well-known imports are registered and referenced like any other import (the Java serde
    # builds a schema only from its references), with the text the pinned protoc ships.
    timestamp = by_file["google/protobuf/timestamp.proto"]
    assert timestamp.artifact_id == "google/protobuf/timestamp.proto"
    assert "message Timestamp {" in timestamp.content
    assert "google/protobuf/timestamp.proto" in by_file["ss3/common/v1/event_metadata.proto"].imports
    assert by_file["ss3/options/v1/options.proto"].imports == ("google/protobuf/descriptor.proto",)
    # Services are not events and nothing registered imports them.
    assert "ss3/orders/v1/order_service.proto" not in by_file


def test_simple_topic_strategy_uses_the_bare_topic(schema_repo: SchemaRepo) -> None:
    by_file = {a.file: a for a in plan(schema_repo, "simple-topic")}
    assert by_file[ORDER_EVENTS].artifact_id == "ss3.orders.order-events.v1"
    assert artifact_id_for("t", "topic") == "t-value"


def test_only_plans_the_named_event_files_and_their_imports(schema_repo: SchemaRepo) -> None:
    files = [a.file for a in plan(schema_repo, only={"ss3/payments/v1/payment_events.proto"})]
    assert files == [
        "google/protobuf/timestamp.proto",
        "ss3/common/v1/event_metadata.proto",
        "ss3/common/v1/money.proto",
        "google/protobuf/descriptor.proto",
        "ss3/options/v1/options.proto",
        "ss3/payments/v1/payment_events.proto",
    ]


def test_an_event_file_without_topic_is_refused(schema_repo: SchemaRepo) -> None:
    schema_repo.replace(f"proto/{ORDER_EVENTS}", 'option (ss3.options.v1.topic) = "ss3.orders.order-events.v1";', "")
    with pytest.raises(SchemaError, match=re.escape(f"proto/{ORDER_EVENTS}:33:1: SS3_EVENT_TOPIC_DECLARED")):
        plan(schema_repo)


def test_two_event_files_with_one_topic_are_refused(schema_repo: SchemaRepo) -> None:
    schema_repo.replace(
        "proto/ss3/payments/v1/payment_events.proto",
        '"ss3.payments.payment-events.v1"',
        '"ss3.orders.order-events.v1"',
    )
    unique = 'SS3_EVENT_TOPIC_UNIQUE: Topic "ss3.orders.order-events.v1" is already declared by'
    with pytest.raises(SchemaError, match=re.escape(unique)):
        plan(schema_repo)
