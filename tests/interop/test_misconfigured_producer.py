"""A producer left on auto-register makes its own versions `latest`; `register` notices, and restores.

The foreign versions are registered the way confluent-kafka's ProtobufSerializer
does with its default `auto.register.schemas=True` against Apicurio's
Confluent-compatible API: a base64 FileDescriptorProto per subject. Serdes that
resolve `latest` (the Java serde with find-latest) then break, while Java
producers configured as the docs say (pinned to their release's branch) keep
producing; `ss3-schema register` must fail naming the artifacts, and
`--restore-latest` must make every event flow again.

Runs after test_java_serde.py (file order) and leaves the registry restored.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import pytest
import requests
from google.protobuf import descriptor_pb2
from ss3.common.v1 import money_pb2
from ss3.orders.v1 import order_events_pb2

from devservices.kafka import RunningKafka
from tests.helpers import REPO_ROOT, run_cli
from tests.integration.registry_fixture import env_for
from tests.interop.conftest import java_producer
from tests.interop.harness import HarnessFailed, JavaHarness
from tests.interop.test_java_serde import EVENTS, generated_class, java_consume, java_rows

pytestmark = pytest.mark.interop

ORDER_EVENTS = "ss3.orders.order-events.v1-value"
MONEY = "ss3/common/v1/money.proto"


def auto_register_like_confluent(registry: Any, subject: str, file: Any) -> None:
    """What confluent-kafka's serializer sends on first use when auto.register.schemas is on."""
    proto = descriptor_pb2.FileDescriptorProto()
    file.CopyToProto(proto)
    body = {
        "schema": base64.b64encode(proto.SerializeToString()).decode(),
        "schemaType": "PROTOBUF",
        "references": [{"name": dep, "subject": dep, "version": 1} for dep in proto.dependency],
    }
    url = f"{registry.url}/apis/ccompat/v7/subjects/{quote(subject, safe='')}/versions"
    response = requests.post(url, json=body, auth=registry.auth, timeout=30)
    assert response.status_code == 200, response.text


def resolving_latest(config: dict[str, str]) -> dict[str, str]:
    """The producer configuration with `find-latest` instead of the release's branch."""
    unpinned = {key: value for key, value in config.items() if key != "apicurio.registry.artifact.version"}
    return unpinned | {"apicurio.registry.find-latest": "true"}


def test_register_names_foreign_latest_versions_and_restore_makes_events_flow_again(
    java_harness: JavaHarness, kafka_broker: RunningKafka, registered: Any
) -> None:
    auto_register_like_confluent(registered, ORDER_EVENTS, order_events_pb2.DESCRIPTOR)
    auto_register_like_confluent(registered, MONEY, money_pb2.DESCRIPTOR)

    noticed = run_cli("register", cwd=REPO_ROOT, env=env_for(registered))
    with pytest.raises(HarnessFailed):
        java_harness.produce(resolving_latest(java_producer(kafka_broker, registered)), java_rows())
    pinned = java_harness.produce(java_producer(kafka_broker, registered), java_rows())
    restored = run_cli("register", "--restore-latest", cwd=REPO_ROOT, env=env_for(registered))
    rerun = run_cli("register", cwd=REPO_ROOT, env=env_for(registered))

    assert noticed.returncode == 1, noticed.stdout + noticed.stderr
    not_latest = [line for line in noticed.stdout.splitlines() if line.startswith("not latest")]
    assert [line.split()[2].rstrip(":") for line in not_latest] == [MONEY, ORDER_EVENTS]
    assert "--restore-latest" in noticed.stdout
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert f"restored     {MONEY}" in restored.stdout
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert len(pinned) == len(EVENTS)
    assert "(unchanged: 12)" in rerun.stdout
    produced = java_harness.produce(java_producer(kafka_broker, registered), java_rows())
    consumed = java_consume(java_harness, kafka_broker, registered, produced)
    assert [consumed[record].java_class for record in produced] == [generated_class(event) for _, event in EVENTS]
