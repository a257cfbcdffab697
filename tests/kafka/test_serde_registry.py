"""The serdes against a real Apicurio Registry filled by `ss3-schema register` alone.

Every event of every topic makes a Python -> Python round trip, and the bytes are
checked against the topic envelope in Confluent's wire format, built by hand from the
generated envelope class with the ids read back from the registry independently. Faults (500, slow, down) are
injected by a loopback proxy in front of the same real registry.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf.message import Message
from ss3 import topics
from ss3.kafka import (
    ConfigError,
    Deserializer,
    FramingError,
    Registry,
    RegistryAuthError,
    RegistryError,
    Serializer,
    UnexpectedEventError,
    UnknownSchemaError,
    wire,
)
from ss3.orders.v1 import order_events_pb2
from ss3.payments.v1 import payment_events_pb2

from tests.helpers import REPO_ROOT, run_cli
from tests.integration.fault_proxy import FaultProxy
from tests.integration.registry_fixture import env_for
from tests.kafka.events import every_event, fill

pytestmark = pytest.mark.integration

ORDERS = topics.SS3_ORDERS_ORDER_EVENTS_V1
EVENTS = list(every_event())


@pytest.fixture(scope="module")
def group(registry: Any) -> str:
    """A group filled by `ss3-schema register` from this checkout, as CI's release job fills `default`."""
    name = f"ss3-kafka-{uuid.uuid4().hex[:10]}"
    proc = run_cli("register", "--group", name, cwd=REPO_ROOT, env=env_for(registry))
    assert proc.returncode == 0, proc.stderr
    return name


def connect(server: Any, url: str | None = None, **options: Any) -> Registry:
    user, password = server.auth
    return Registry(url or server.url, username=user, password=password, **options)


@pytest.fixture(scope="module")
def shared(registry: Any) -> Registry:
    return connect(registry)


@dataclass(frozen=True)
class Registered:
    server: Any
    group: str
    client: Registry


@pytest.fixture(scope="module")
def registered(registry: Any, group: str, shared: Registry) -> Registered:
    return Registered(registry, group, shared)


def latest_content_id(server: Any, group: str, topic: str) -> int:
    """The registry's own answer, read without the runtime."""
    url = f"{server.url}/apis/registry/v3/groups/{group}/artifacts/{topic}-value/versions/branch=latest"
    response = requests.get(url, auth=server.auth, timeout=30)
    response.raise_for_status()
    return int(response.json()["contentId"])


def top_level_messages(server: Any, content_id: int) -> list[str]:
    response = requests.get(f"{server.url}/apis/registry/v3/ids/contentIds/{content_id}", auth=server.auth, timeout=30)
    response.raise_for_status()
    return [line.split()[1] for line in response.text.splitlines() if line.startswith("message ")]


def envelope_of(topic: str, event: Message) -> Message:
    """The topic envelope holding `event`, built with the generated classes: metadata once, in the envelope."""
    envelope = topics.TOPIC_ENVELOPE[topic]()
    member = next(f for f in envelope.DESCRIPTOR.oneofs_by_name["event"].fields if f.message_type is event.DESCRIPTOR)
    envelope.metadata.CopyFrom(event.metadata)  # type: ignore[attr-defined]
    inner = getattr(envelope, member.name)
    inner.CopyFrom(event)
    inner.ClearField("metadata")
    return envelope


def expected_value(content_id: int, topic: str, event: Message) -> bytes:
    """Confluent's wire format with message index [0] as Apicurio's Java serde writes it, then the envelope."""
    return b"\x00" + content_id.to_bytes(4, "big") + b"\x02\x00" + envelope_of(topic, event).SerializeToString()


@pytest.mark.parametrize(("topic", "cls"), EVENTS, ids=[cls.__name__ for _, cls in EVENTS])
def test_every_event_round_trips_as_its_topic_envelope_in_confluent_framing(
    registered: Registered, topic: str, cls: type[Message]
) -> None:
    event = fill(cls())
    content_id = latest_content_id(registered.server, registered.group, topic)
    assert top_level_messages(registered.server, content_id)[0] == topics.TOPIC_ENVELOPE[topic].DESCRIPTOR.name

    value = Serializer(registered.client, group=registered.group).serialize(topic, event)

    assert value == expected_value(content_id, topic, event)
    decoded = Deserializer(registered.client).deserialize(topic, value)
    assert type(decoded) is cls
    assert decoded == event
    assert Deserializer(registered.client, envelope=True).deserialize(topic, value) == envelope_of(topic, event)


def test_an_envelope_is_written_as_it_is(shared: Registry, group: str) -> None:
    event = fill(order_events_pb2.OrderCancelled())
    envelope = envelope_of(ORDERS, event)
    serializer = Serializer(shared, group=group)

    assert serializer.serialize(ORDERS, envelope) == serializer.serialize(ORDERS, event)


def test_confluent_kafka_call_shape(shared: Registry, group: str) -> None:
    event = fill(order_events_pb2.OrderCancelled())
    ctx = SerializationContext(ORDERS, MessageField.VALUE, [])

    value = Serializer(shared, group=group)(event, ctx)

    assert Deserializer(shared)(value, ctx) == event
    assert Deserializer(shared)(None, ctx) is None


def test_confluents_short_index_form_reads_too(shared: Registry, group: str) -> None:
    event = fill(order_events_pb2.OrderPlaced())
    value = Serializer(shared, group=group).serialize(ORDERS, event)
    short = value[:5] + b"\x00" + value[7:]  # what Confluent's own serializer writes for [0]

    deserializer = Deserializer(shared)
    assert deserializer.deserialize(ORDERS, short) == event
    assert deserializer.deserialize(ORDERS, value) == event
    assert deserializer.deserialize(ORDERS, short) == event


def test_the_serializer_refuses_to_write_keys(shared: Registry, group: str) -> None:
    ctx = SerializationContext(ORDERS, MessageField.KEY, [])
    with pytest.raises(ConfigError, match="values, not keys"):
        Serializer(shared, group=group)(order_events_pb2.OrderPlaced(), ctx)


def test_one_registry_call_per_lookup_for_ten_thousand_messages(registry: Any, group: str) -> None:
    counted = connect(registry)
    serializer, deserializer = Serializer(counted, group=group), Deserializer(counted)
    events = [(topic, fill(cls())) for topic, cls in EVENTS]

    for number in range(10_000):
        topic, event = events[number % len(events)]
        assert deserializer.deserialize(topic, serializer.serialize(topic, event)) == event

    # Per topic: the latest version's content id, and that content (shared with the deserializer).
    assert counted.calls == 2 * len(topics.TOPIC_EVENTS)


class TestBadInput:
    def test_an_id_the_registry_does_not_know(self, shared: Registry) -> None:
        value = wire.confluent_prefix(987_654) + b""
        with pytest.raises(UnknownSchemaError) as caught:
            Deserializer(shared).deserialize(ORDERS, value, partition=4, offset=1234)
        assert str(caught.value) == (
            f"the registry knows no schema with this id (topic {ORDERS}, partition 4, offset 1234, schema id 987654)"
        )

    def test_a_record_of_another_topics_schema(self, registry: Any, group: str, shared: Registry) -> None:
        payments_id = latest_content_id(registry, group, topics.SS3_PAYMENTS_PAYMENT_EVENTS_V1)
        failed = Serializer(shared, group=group).serialize(
            topics.SS3_PAYMENTS_PAYMENT_EVENTS_V1, fill(payment_events_pb2.PaymentFailed())
        )
        with pytest.raises(
            UnexpectedEventError,
            match=rf"schema {payments_id} starts with ss3\.payments\.v1\.PaymentEvents, not with the topic envelope "
            rf"ss3\.orders\.v1\.OrderEvents.*offset 8, schema id {payments_id}",
        ):
            Deserializer(shared).deserialize(ORDERS, failed, offset=8)

    def test_a_message_index_other_than_the_envelope(self, registry: Any, group: str, shared: Registry) -> None:
        orders_id = latest_content_id(registry, group, ORDERS)
        placed = fill(order_events_pb2.OrderPlaced()).SerializeToString()
        value = wire.confluent_prefix(orders_id)[:5] + b"\x02\x02" + placed  # index [1]: OrderPlaced bare
        with pytest.raises(UnexpectedEventError, match=r"message index \[1\] is not the topic envelope .*offset 9"):
            Deserializer(shared).deserialize(ORDERS, value, offset=9)

    def test_an_event_newer_than_the_wheel_is_named_and_typed(self, shared: Registry, group: str) -> None:
        good = Serializer(shared, group=group).serialize(ORDERS, fill(order_events_pb2.OrderPlaced()))
        newer = good[:7] + b"\x0a\x00" + b"\x4a\x02\x08\x01"  # metadata, then member 9 (field 9, 2 bytes)
        with pytest.raises(UnexpectedEventError, match=r"member 9 of ss3\.orders\.v1\.OrderEvents.*offset 10"):
            Deserializer(shared).deserialize(ORDERS, newer, offset=10)
        # Asked for the envelope, the consumer gets it, the unknown member kept as unknown fields.
        envelope = Deserializer(shared, envelope=True).deserialize(ORDERS, newer)
        assert envelope is not None and envelope.WhichOneof("event") is None
        assert envelope.SerializeToString() == newer[7:]

    def test_wrong_magic_truncated_and_empty_frames(self, registry: Any, group: str, shared: Registry) -> None:
        good = Serializer(shared, group=group).serialize(ORDERS, fill(order_events_pb2.OrderPlaced()))
        deserializer = Deserializer(shared)
        with pytest.raises(FramingError, match=r"wrong magic byte 0x01, .*partition 0, offset 3"):
            deserializer.deserialize(ORDERS, b"\x01" + good[1:], partition=0, offset=3)
        with pytest.raises(FramingError, match="truncated"):
            deserializer.deserialize(ORDERS, good[:4], partition=0, offset=4)
        with pytest.raises(FramingError, match="truncated envelope"):
            deserializer.deserialize(ORDERS, good[:-3], partition=0, offset=5)
        with pytest.raises(FramingError, match=r"OrderEvents in the record holds no event.*offset 6"):
            deserializer.deserialize(ORDERS, good[:7], partition=0, offset=6)

    def test_an_event_of_another_topic_is_not_serialized(self, shared: Registry, group: str) -> None:
        with pytest.raises(UnexpectedEventError, match="PaymentFailed is not an event of this topic"):
            Serializer(shared, group=group).serialize(ORDERS, payment_events_pb2.PaymentFailed())

    def test_a_topic_never_registered(self, shared: Registry) -> None:
        with pytest.raises(UnknownSchemaError, match=f"no artifact '{ORDERS}-value' in group 'nowhere'"):
            Serializer(shared, group="nowhere").serialize(ORDERS, order_events_pb2.OrderPlaced())

    def test_a_latest_version_without_the_event_is_refused_by_the_producer(self, registry: Any) -> None:
        # What a client that registers on its own leaves behind: a latest version that is not ss3's schema.
        group = f"ss3-kafka-foreign-{uuid.uuid4().hex[:8]}"
        foreign = 'syntax = "proto3";\npackage ss3.orders.v1;\nmessage Something { string id = 1; }\n'
        created = requests.post(
            f"{registry.url}/apis/registry/v3/groups/{group}/artifacts",
            json={
                "artifactId": f"{ORDERS}-value",
                "artifactType": "PROTOBUF",
                "firstVersion": {"content": {"content": foreign, "contentType": "application/x-protobuf"}},
            },
            auth=registry.auth,
            timeout=30,
        )
        assert created.status_code == 200, created.text
        with pytest.raises(
            UnexpectedEventError, match=r"starts with ss3\.orders\.v1\.Something, not with the topic envelope"
        ) as caught:
            Serializer(connect(registry), group=group).serialize(ORDERS, order_events_pb2.OrderPlaced())
        assert caught.value.schema_id == created.json()["version"]["contentId"]

    def test_refused_credentials_are_typed_and_never_echoed(self, registry: Any) -> None:
        secret = "not-the-password-" + uuid.uuid4().hex
        wrong = Registry(registry.url, username="ss3-ci", password=secret, retries=0)
        with pytest.raises(RegistryAuthError) as caught:
            Deserializer(wrong).deserialize(ORDERS, wire.confluent_prefix(1))
        assert secret not in str(caught.value)


class TestRegistryFaults:
    def test_server_errors_are_retried(self, registry: Any, group: str) -> None:
        with FaultProxy(registry.url, ["500", "503", "ok"]) as proxy:
            client = connect(registry, proxy.url, retries=2)
            Serializer(client, group=group).serialize(ORDERS, order_events_pb2.OrderPlaced())
        assert proxy.faults_injected == ["500", "503"]
        assert client.calls == 4  # 3 attempts for the latest version, 1 for its content

    def test_an_outage_fails_typed_and_is_not_remembered(self, registry: Any, group: str) -> None:
        with FaultProxy(registry.url, ["503"] * 2) as proxy:
            client = connect(registry, proxy.url, retries=1)
            serializer = Serializer(client, group=group)
            with pytest.raises(
                RegistryError, match=f"unavailable: HTTP 503 \\(after 2 attempts\\) \\(topic {ORDERS}\\)"
            ):
                serializer.serialize(ORDERS, order_events_pb2.OrderPlaced())
            # The registry is back: the next record resolves, nothing failed was cached.
            assert serializer.serialize(ORDERS, order_events_pb2.OrderPlaced())[0] == 0

    def test_a_slow_registry_is_cut_off_at_the_total_time_limit(self, registry: Any, shared: Registry) -> None:
        with FaultProxy(registry.url, ["slow", "slow"], slow_s=6.0) as proxy:
            client = connect(registry, proxy.url, timeout=0.5, retries=1)
            started = time.monotonic()
            with pytest.raises(RegistryError, match=r"no answer within 0\.5 s \(after 2 attempts\)"):
                Deserializer(client).deserialize(ORDERS, wire.confluent_prefix(1), partition=1, offset=2)
            # 2 x 0.5 s and one pause; far less than one slow answer, even on a loaded machine
            assert time.monotonic() - started < 4.0

    def test_a_registry_that_is_down(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        client = Registry(f"http://127.0.0.1:{port}", retries=1)
        with pytest.raises(RegistryError, match=r"unavailable: .* \(after 2 attempts\).*offset 7, schema id 5"):
            Deserializer(client).deserialize(ORDERS, wire.confluent_prefix(5), partition=0, offset=7)


@pytest.fixture(autouse=True)
def _no_env_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every Registry here is built explicitly; a developer's SS3_REGISTRY_* must not leak in."""
    for name in ("SS3_REGISTRY_URL", "SS3_REGISTRY_USERNAME", "SS3_REGISTRY_PASSWORD", "SS3_REGISTRY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    yield
