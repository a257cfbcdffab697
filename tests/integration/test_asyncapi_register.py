"""The release registers the catalog's AsyncAPI document in a real Apicurio Registry, idempotently."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from ss3_schema.registry.asyncapi import ASYNCAPI_ARTIFACT_ID
from ss3_schema.release.pipeline import RegistryTarget, register_event_schemas
from ss3_schema.workspace import Workspace

from tests.catalog.hard_inputs import with_order_archived
from tests.helpers import SchemaRepo
from tests.integration.registry_fixture import RegistryReader, env_for

pytestmark = pytest.mark.integration


def test_the_register_step_adds_the_asyncapi_document_once_and_versions_changes(
    schema_repo: SchemaRepo,
    registry: Any,
    registry_group: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in env_for(registry).items():
        monkeypatch.setenv(name, value)
    ws, target, reader = (
        Workspace(schema_repo.root),
        RegistryTarget(registry.url, registry_group),
        RegistryReader(registry),
    )

    first = register_event_schemas(ws, target)
    assert first.outcome == "registered", first.detail
    assert reader.versions(registry_group, ASYNCAPI_ARTIFACT_ID) == ["1"]
    stored = yaml.safe_load(reader.content(registry_group, ASYNCAPI_ARTIFACT_ID, "1"))
    assert stored["asyncapi"] == "3.0.0" and "ss3.orders.order-events.v1" in stored["channels"]

    again = register_event_schemas(ws, target)
    assert again.outcome == "registered" and "create" not in again.detail, again.detail
    assert reader.versions(registry_group, ASYNCAPI_ARTIFACT_ID) == ["1"]

    events = "proto/ss3/orders/v1/order_events.proto"
    schema_repo.write(events, with_order_archived(schema_repo.read(events)))
    changed = register_event_schemas(ws, target)
    assert changed.outcome == "registered", changed.detail
    assert reader.versions(registry_group, ASYNCAPI_ARTIFACT_ID) == ["1", "2"]
    latest = yaml.safe_load(reader.content(registry_group, ASYNCAPI_ARTIFACT_ID, "2"))
    assert "ss3.orders.v1.OrderArchived" in latest["components"]["messages"]


def test_without_a_registry_the_plan_names_the_document(schema_repo: SchemaRepo) -> None:
    planned = register_event_schemas(Workspace(schema_repo.root), None)
    assert planned.outcome == "planned"
    assert planned.detail.startswith("registry not configured: would register 5 event artifacts (+")
    assert planned.detail.endswith(f", {ASYNCAPI_ARTIFACT_ID}")
