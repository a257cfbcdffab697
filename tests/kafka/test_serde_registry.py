"""The serdes against a real Apicurio Registry filled by `ss3-schema register` alone.

Every event of every topic makes a Python -> Python round trip in every framing,
and the bytes are checked against the layout of Apicurio's Java serde with the
ids read back from the registry independently. Faults (500, slow, down) are
injected by a loopback proxy in front of the same real registry.
"""

from __future__ import annotations

import socket
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
    Framing,
    FramingError,
    Record,
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


def expected_record(server: Any, content_id: int, framing: Framing, event: Message) -> Record:
    """The bytes and headers Apicurio's Java serde 3.1.x writes (Confluent's for CONFLUENT), built by hand."""
    name = event.DESCRIPTOR.name
    body = event.SerializeToString()
    if framing is Framing.PAYLOAD:
        return Record(b"\x00" + content_id.to_bytes(4, "big") + wire.encode_ref(name) + body, [])
    if framing is Framing.HEADERS:
        java_package = event.DESCRIPTOR.file.GetOptions().java_package
        headers = [
            ("apicurio.value.contentId", content_id.to_bytes(8, "big")),
            ("apicurio.value.msgType", f"{java_package}.{name}".encode()),
            ("apicurio.protobuf.type", name.encode()),
        ]
        return Record(wire.encode_ref(name) + body, headers)
    index = top_level_messages(server, content_id).index(name)
    indexes = b"\x00" if index == 0 else bytes([2, 2 * index])
    return Record(b"\x00" + content_id.to_bytes(4, "big") + indexes + body, [])


@pytest.mark.parametrize("framing", list(Framing), ids=[f.value for f in Framing])
@pytest.mark.parametrize(("topic", "cls"), EVENTS, ids=[cls.__name__ for _, cls in EVENTS])
def test_every_event_round_trips_in_every_framing_with_the_java_serdes_bytes(
    registered: Registered, topic: str, cls: type[Message], framing: Framing
) -> None:
    event = fill(cls())
    content_id = latest_content_id(registered.server, registered.group, topic)

    record = Serializer(registered.client, framing=framing, group=registered.group).serialize(topic, event)

    assert record == expected_record(registered.server, content_id, framing, event)
    decoded = Deserializer(registered.client, framing=framing).deserialize(topic, record.value, record.headers)
    assert type(decoded) is cls
    assert decoded == event


def test_confluent_kafka_call_shape_carries_headers_through_the_context(shared: Registry, group: str) -> None:
    event = fill(order_events_pb2.OrderCancelled())
    framing = {ORDERS: Framing.HEADERS}
    headers: list[tuple[str, bytes]] = []

    value = Serializer(shared, framing=framing, group=group)(
        event, SerializationContext(ORDERS, MessageField.VALUE, headers)
    )

    assert [name for name, _ in headers] == [
        wire.CONTENT_ID_HEADER,
        wire.MESSAGE_TYPE_HEADER,
        wire.PROTOBUF_TYPE_HEADER,
    ]
    ctx = SerializationContext(ORDERS, MessageField.VALUE, headers)
    assert Deserializer(shared, framing=framing)(value, ctx) == event
    assert Deserializer(shared, framing=framing)(None, ctx) is None


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
        assert deserializer.deserialize(topic, serializer.serialize(topic, event).value) == event

    # Per topic: the latest version's content id, and that content (shared with the deserializer).
    assert counted.calls == 2 * len(topics.TOPIC_EVENTS)


class TestBadInput:
    def test_an_id_the_registry_does_not_know(self, shared: Registry) -> None:
        value = wire.payload_prefix(987_654, "OrderPlaced") + b""
        with pytest.raises(UnknownSchemaError) as caught:
            Deserializer(shared).deserialize(ORDERS, value, partition=4, offset=1234)
        assert str(caught.value) == (
            f"the registry knows no schema with this id (topic {ORDERS}, partition 4, offset 1234, schema id 987654)"
        )

    def test_a_ref_naming_a_type_of_another_topic(self, registry: Any, group: str, shared: Registry) -> None:
        payments_id = latest_content_id(registry, group, topics.SS3_PAYMENTS_PAYMENT_EVENTS_V1)
        orders_id = latest_content_id(registry, group, ORDERS)
        failed = fill(payment_events_pb2.PaymentFailed()).SerializeToString()
        deserializer = Deserializer(shared)

        with pytest.raises(UnexpectedEventError, match=r"not an event of this topic.*offset 8, schema id"):
            deserializer.deserialize(ORDERS, wire.payload_prefix(payments_id, "PaymentFailed") + failed, offset=8)
        with pytest.raises(UnexpectedEventError, match=f"schema {orders_id} declares no message 'PaymentFailed'"):
            deserializer.deserialize(ORDERS, wire.payload_prefix(orders_id, "PaymentFailed") + failed, offset=9)

    def test_wrong_magic_and_truncated_frames(self, registry: Any, group: str, shared: Registry) -> None:
        good = Serializer(shared, group=group).serialize(ORDERS, fill(order_events_pb2.OrderPlaced())).value
        deserializer = Deserializer(shared)
        with pytest.raises(FramingError, match=r"wrong magic byte 0x01, .*partition 0, offset 3"):
            deserializer.deserialize(ORDERS, b"\x01" + good[1:], partition=0, offset=3)
        with pytest.raises(FramingError, match="truncated"):
            deserializer.deserialize(ORDERS, good[:8], partition=0, offset=4)
        with pytest.raises(FramingError, match=r"not a valid ss3\.orders\.v1\.OrderPlaced"):
            deserializer.deserialize(ORDERS, good[:-3], partition=0, offset=5)

    def test_headers_mode_without_the_id_header(self, shared: Registry) -> None:
        with pytest.raises(FramingError, match=r"apicurio\.value\.contentId is missing"):
            Deserializer(shared, framing=Framing.HEADERS).deserialize(ORDERS, wire.encode_ref("OrderPlaced"), [])

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
        with pytest.raises(UnexpectedEventError, match=r"does not declare ss3\.orders\.v1\.OrderPlaced") as caught:
            Serializer(connect(registry), group=group).serialize(ORDERS, order_events_pb2.OrderPlaced())
        assert caught.value.schema_id == created.json()["version"]["contentId"]

    def test_refused_credentials_are_typed_and_never_echoed(self, registry: Any) -> None:
        secret = "not-the-password-" + uuid.uuid4().hex
        wrong = Registry(registry.url, username="ss3-ci", password=secret, retries=0)
        with pytest.raises(RegistryAuthError) as caught:
            Deserializer(wrong).deserialize(ORDERS, wire.payload_prefix(1, "OrderPlaced"))
        assert secret not in str(caught.value)


class TestRegistryFaults:
    def test_server_errors_are_retried(self, registry: Any, group: str) -> None:
        with FaultProxy(registry.url, ["500", "503", "ok"]) as proxy:
            client = connect(registry, proxy.url, retries=2)
            Serializer(client, group=group).serialize(ORDERS, order_events_pb2.OrderPlaced())
        assert proxy.faults_injected == ["500", "503"]
        assert client.calls == 4  # 3 attempts for the latest version, 1 for its content

    def test_an_outage_fails_typed_is_remembered_and_then_probed(self, registry: Any, group: str) -> None:
        with FaultProxy(registry.url, ["503"] * 2) as proxy:
            remembering = connect(registry, proxy.url, retries=1)
            with pytest.raises(
                RegistryError, match=f"unavailable: HTTP 503 \\(after 2 attempts\\) \\(topic {ORDERS}\\)"
            ):
                Serializer(remembering, group=group).serialize(ORDERS, order_events_pb2.OrderPlaced())
            # The registry is back, but remembered as down: the next record fails at once, no request.
            with pytest.raises(RegistryError, match="remembered, next try in"):
                Serializer(remembering, group=group).serialize(ORDERS, order_events_pb2.OrderPlaced())
            assert remembering.calls == 2

        with FaultProxy(registry.url, ["503"] * 2) as proxy:
            probing = connect(registry, proxy.url, retries=1, outage_ttl=0)
            serializer = Serializer(probing, group=group)
            with pytest.raises(RegistryError, match="after 2 attempts"):
                serializer.serialize(ORDERS, order_events_pb2.OrderPlaced())
            # Outage time over (0 s here): one probe, and the record resolves; nothing failed was cached.
            assert serializer.serialize(ORDERS, order_events_pb2.OrderPlaced()).value[0] == 0

    def test_a_slow_registry_is_cut_off_at_the_total_time_limit(self, registry: Any, shared: Registry) -> None:
        with FaultProxy(registry.url, ["slow", "slow"], slow_s=6.0) as proxy:
            client = connect(registry, proxy.url, timeout=0.5, retries=1)
            with pytest.raises(RegistryError, match=r"no answer within 0\.5 s \(after 1 attempt\)"):
                Deserializer(client).deserialize(ORDERS, wire.payload_prefix(1, "OrderPlaced"), partition=1, offset=2)
            # The first attempt used the lookup's whole time limit: no retry after it.
            assert client.calls == 1

    def test_a_registry_that_is_down(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        client = Registry(f"http://127.0.0.1:{port}", retries=1)
        with pytest.raises(RegistryError, match=r"unavailable: .* \(after 2 attempts\).*offset 7, schema id 5"):
            Deserializer(client).deserialize(ORDERS, wire.payload_prefix(5, "OrderPlaced"), partition=0, offset=7)


@pytest.fixture(autouse=True)
def _no_env_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every Registry here is built explicitly; a developer's SS3_REGISTRY_* must not leak in."""
    for name in ("SS3_REGISTRY_URL", "SS3_REGISTRY_USERNAME", "SS3_REGISTRY_PASSWORD", "SS3_REGISTRY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    yield
