"""Fixtures of the interop tests: the built Java harness and a registry filled by `ss3-schema register` alone."""

from __future__ import annotations

from typing import Any

import pytest

from devservices.common import DevServiceError
from devservices.kafka import RunningKafka
from tests.helpers import REPO_ROOT, run_cli, server_unavailable
from tests.integration.registry_fixture import env_for
from tests.interop.harness import JavaHarness, build_harness

SERIALIZER = "io.apicurio.registry.serde.protobuf.ProtobufKafkaSerializer"
DESERIALIZER = "io.apicurio.registry.serde.protobuf.ProtobufKafkaDeserializer"


@pytest.fixture(scope="session")
def java_harness() -> JavaHarness:
    try:
        return build_harness()
    except DevServiceError as error:
        server_unavailable(f"the Java interop harness could not be built: {error}")


@pytest.fixture(scope="session")
def registered(registry: Any) -> Any:
    """The session registry after `ss3-schema register` of this checkout into group `default`.

    `default` is where the serdes look without further settings; the other
    registry tests use groups of their own.
    """
    proc = run_cli("register", cwd=REPO_ROOT, env=env_for(registry))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return registry


# Confluent's wire format, as docs/kafka-clients.md sets it for every topic.
WIRE_FORMAT = {
    "apicurio.registry.serde.send-indexes": "true",
    "apicurio.registry.serde.send-type-ref": "false",
    "apicurio.registry.serde.read-indexes": "true",
    "apicurio.registry.serde.read-type-ref": "false",
}
RETURN_CLASS = "apicurio.registry.deserializer.value.return-class"


def java_producer(broker: RunningKafka, registry: Any, release: str | None = None) -> dict[str, str]:
    """A service's producer: registry URL and credentials, never registers, Confluent framing.

    It resolves the schema version of the ss3-protos release its classes come from
    (`branch=<VERSION>`, put there by `ss3-schema register`); this checkout's by default.
    """
    return {
        "bootstrap.servers": broker.bootstrap,
        "key.serializer": "org.apache.kafka.common.serialization.StringSerializer",
        "value.serializer": SERIALIZER,
        **_registry_settings(registry),
        **WIRE_FORMAT,
        "apicurio.registry.auto-register": "false",
        "apicurio.registry.artifact.version": f"branch={release or checkout_release()}",
    }


def checkout_release() -> str:
    return (REPO_ROOT / "VERSION").read_text(encoding="utf-8").strip()


def java_consumer(broker: RunningKafka, registry: Any, envelope_class: str) -> dict[str, str]:
    """A service's consumer of one topic: Confluent framing, the topic envelope's generated class."""
    return {
        "bootstrap.servers": broker.bootstrap,
        "key.deserializer": "org.apache.kafka.common.serialization.StringDeserializer",
        "value.deserializer": DESERIALIZER,
        **_registry_settings(registry),
        **WIRE_FORMAT,
        RETURN_CLASS: envelope_class,
    }


def _registry_settings(registry: Any) -> dict[str, str]:
    user, password = registry.auth
    return {
        "apicurio.registry.url": f"{registry.url}/apis/registry/v3",
        "apicurio.registry.auth.username": user,
        "apicurio.registry.auth.password": password,
    }
