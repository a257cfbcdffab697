"""Every event through a real Kafka broker with Apicurio's Java serde and the wheel's Python serde.

The registry is filled by `ss3-schema register` alone. The Java side is
configured as docs/kafka-clients.md says: a producer that must not register
(auto-register off, find-latest on, the default TopicIdStrategy) and a consumer
whose return class is the topic's envelope, both in Confluent's wire format
(send/read-indexes on, send/read-type-ref off). The harness wraps each event into
its envelope and unwraps what it reads, as the page's Java code does.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka import Consumer, Message, Producer, TopicPartition
from google.protobuf.message import Message as ProtobufMessage
from ss3 import topics
from ss3.kafka import Deserializer, Registry, Serializer

from devservices.kafka import RunningKafka
from tests.helpers import REPO_ROOT
from tests.interop.conftest import java_consumer, java_producer
from tests.interop.harness import Consumed, HarnessFailed, JavaHarness, Produced
from tests.kafka.events import every_event, fill

pytestmark = pytest.mark.interop

EVENTS = [(topic, fill(cls())) for topic, cls in every_event()]
POLL_TIMEOUT_S = 60.0
TOPIC_OPTION = re.compile(r'^option \(ss3\.options\.v1\.topic\) = "([^"]+)";', re.MULTILINE)


def generated_class(event: ProtobufMessage) -> str:
    """The Java class the schema's options promise: com.shopstar3.<proto package>.<message>."""
    return f"com.shopstar3.{event.DESCRIPTOR.file.package}.{event.DESCRIPTOR.name}"


def envelope_class(topic: str) -> str:
    """The Java class of the topic's envelope (com.shopstar3.ss3.orders.v1.OrderEvents)."""
    return generated_class(topics.TOPIC_ENVELOPE[topic]())


def python_registry(registry: Any) -> Registry:
    user, password = registry.auth
    return Registry(registry.url, username=user, password=password)


def java_rows() -> list[tuple[str, str, bytes]]:
    return [
        (topic, generated_class(event), event.SerializeToString(), envelope_class(topic)) for topic, event in EVENTS
    ]


def java_consume(
    harness: JavaHarness, broker: RunningKafka, registry: Any, produced: list[Produced], **overrides: str
) -> dict[Produced, Consumed]:
    """Read `produced` back with the Java deserializer: one consumer per topic, as its return class is per topic."""
    consumed: dict[Produced, Consumed] = {}
    for topic in sorted({record.topic for record in produced}):
        config = java_consumer(broker, registry, envelope_class(topic)) | overrides
        consumed |= harness.consume(config, [record for record in produced if record.topic == topic])
    return consumed


def test_every_declared_topic_is_exercised_with_filled_events() -> None:
    declared = {
        match.group(1)
        for path in (REPO_ROOT / "proto").rglob("*.proto")
        if (match := TOPIC_OPTION.search(path.read_text(encoding="utf-8")))
    }
    assert {topic for topic, _ in EVENTS} == declared
    assert all(event.ListFields() for _, event in EVENTS)


@pytest.fixture(scope="module")
def java_produced(java_harness: JavaHarness, kafka_broker: RunningKafka, registered: Any) -> list[Produced]:
    """Every event, wrapped into its envelope and sent by the Java serializer configured as a service."""
    return java_harness.produce(java_producer(kafka_broker, registered), java_rows())


def test_java_producer_and_consumer_round_trip_every_event(
    java_produced: list[Produced], java_harness: JavaHarness, kafka_broker: RunningKafka, registered: Any
) -> None:
    consumed = java_consume(java_harness, kafka_broker, registered, java_produced)

    for record, (topic, event) in zip(java_produced, EVENTS, strict=True):
        got = consumed[record]
        assert (record.topic, got.java_class) == (topic, generated_class(event))
        assert type(event).FromString(got.payload) == event


def test_java_to_python_every_event_with_identical_bytes(
    java_produced: list[Produced], kafka_broker: RunningKafka, registered: Any
) -> None:
    registry = python_registry(registered)
    deserializer, serializer = Deserializer(registry), Serializer(registry)

    received = consume_with_python(kafka_broker, java_produced)

    for record, (topic, event) in zip(java_produced, EVENTS, strict=True):
        message = received[record]
        assert deserializer.deserialize_message(message) == event
        # The Python serializer writes the same bytes as the Java one, and no headers.
        assert message.value() == serializer.serialize(topic, event)
        assert message.value()[5:7] == b"\x02\x00"
        assert not message.headers()


def test_python_to_java_every_event_read_as_generated_classes(
    java_harness: JavaHarness, kafka_broker: RunningKafka, registered: Any
) -> None:
    serializer = Serializer(python_registry(registered))
    produced = produce_with_python(kafka_broker, serializer)

    consumed = java_consume(java_harness, kafka_broker, registered, produced)

    for record, (topic, event) in zip(produced, EVENTS, strict=True):
        got: Consumed = consumed[record]
        assert (record.topic, got.java_class) == (topic, generated_class(event))
        assert type(event).FromString(got.payload) == event


def test_an_event_type_newer_than_the_java_classes_is_an_empty_oneof_not_an_error(
    java_harness: JavaHarness, kafka_broker: RunningKafka, registered: Any
) -> None:
    # A record of a newer release: an envelope member these classes do not know (field 15).
    orders = topics.SS3_ORDERS_ORDER_EVENTS_V1
    placed = fill(topics.TOPIC_EVENTS[orders][0]())
    known = Serializer(python_registry(registered)).serialize(orders, placed)
    newer = known[:7] + b"\x0a\x03\x0a\x01x" + b"\x7a\x02\x08\x01"
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap})
    delivered: list[Produced] = []
    for value in (newer, known):
        producer.produce(orders, value=value, on_delivery=_collect(delivered))
        producer.flush(30)

    consumed = java_consume(java_harness, kafka_broker, registered, delivered)

    assert [consumed[record].java_class for record in delivered] == ["-", generated_class(placed)]


def test_the_deserializers_class_derivation_cannot_read_confluent_framing(
    java_produced: list[Produced], java_harness: JavaHarness, kafka_broker: RunningKafka, registered: Any
) -> None:
    # Apicurio 3.1.7's ProtobufDeserializer reads the message indexes and drops them: with
    # read-type-ref off it never finds a descriptor, so derive.class dereferences null.
    # When this starts passing, derive.class could replace the per-topic return class.
    first = [record for record in java_produced if record.topic == EVENTS[0][0]][:1]
    derived = {
        **java_consumer(kafka_broker, registered, "unused"),
        "apicurio.protobuf.derive.class": "true",
    }
    del derived["apicurio.registry.deserializer.value.return-class"]
    with pytest.raises(HarnessFailed, match=r'NullPointerException.*"des" is null'):
        java_harness.consume(derived, first)


def produce_with_python(broker: RunningKafka, serializer: Serializer) -> list[Produced]:
    producer = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True})
    delivered: list[Produced] = []
    for topic, event in EVENTS:
        producer.produce(topic, value=serializer.serialize(topic, event), on_delivery=_collect(delivered))
        producer.flush(30)  # one at a time: offsets follow the order of EVENTS
    assert len(delivered) == len(EVENTS)
    return delivered


def _collect(delivered: list[Produced]) -> Any:
    def on_delivery(error: Any, message: Message) -> None:
        assert error is None, error
        delivered.append(Produced(message.topic(), message.partition(), message.offset()))

    return on_delivery


def consume_with_python(broker: RunningKafka, records: list[Produced]) -> dict[Produced, Message]:
    wanted = set(records)
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": f"ss3-interop-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
        }
    )
    try:
        starts = {
            (r.topic, r.partition): min(o.offset for o in records if (o.topic, o.partition) == (r.topic, r.partition))
            for r in records
        }
        consumer.assign([TopicPartition(topic, partition, offset) for (topic, partition), offset in starts.items()])
        return dict(_poll(consumer, wanted))
    finally:
        consumer.close()


def _poll(consumer: Consumer, wanted: set[Produced]) -> Iterator[tuple[Produced, Message]]:
    deadline = time.monotonic() + POLL_TIMEOUT_S
    missing = set(wanted)
    while missing and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        assert message.error() is None, message.error()
        key = Produced(message.topic(), message.partition(), message.offset())
        if key in missing:
            missing.discard(key)
            yield key, message
    assert not missing, f"not consumed within {POLL_TIMEOUT_S:.0f}s: {sorted(missing, key=str)}"
