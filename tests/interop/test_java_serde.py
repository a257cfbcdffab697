"""Every event through a real Kafka broker with Apicurio's Java serde and the wheel's Python serde.

The registry is filled by `ss3-schema register` alone. The Java side is
configured as a service that must not register (auto-register off,
find-latest on, the default TopicIdStrategy); its consumer adds only
`apicurio.protobuf.derive.class=true` and must get the generated classes.
Headers mode adds `apicurio.registry.headers.enabled=true` on both sides.
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
from ss3.kafka import Deserializer, Framing, Registry, Serializer

from devservices.kafka import RunningKafka
from tests.helpers import REPO_ROOT
from tests.interop.conftest import java_consumer, java_producer
from tests.interop.harness import Consumed, JavaHarness, Produced
from tests.kafka.events import every_event, fill

pytestmark = pytest.mark.integration

EVENTS = [(topic, fill(cls())) for topic, cls in every_event()]
MODES = {"payload": Framing.PAYLOAD, "headers": Framing.HEADERS}
POLL_TIMEOUT_S = 60.0
TOPIC_OPTION = re.compile(r'^option \(ss3\.options\.v1\.topic\) = "([^"]+)";', re.MULTILINE)


def generated_class(event: ProtobufMessage) -> str:
    """The Java class the schema's options promise: com.shopstar3.<proto package>.<message>."""
    return f"com.shopstar3.{event.DESCRIPTOR.file.package}.{event.DESCRIPTOR.name}"


def python_registry(registry: Any) -> Registry:
    user, password = registry.auth
    return Registry(registry.url, username=user, password=password)


def java_rows() -> list[tuple[str, str, bytes]]:
    return [(topic, generated_class(event), event.SerializeToString()) for topic, event in EVENTS]


def test_every_declared_topic_is_exercised_with_filled_events() -> None:
    declared = {
        match.group(1)
        for path in (REPO_ROOT / "proto").rglob("*.proto")
        if (match := TOPIC_OPTION.search(path.read_text(encoding="utf-8")))
    }
    assert {topic for topic, _ in EVENTS} == declared
    assert all(event.ListFields() for _, event in EVENTS)


@pytest.fixture(scope="module", params=list(MODES))
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def java_produced(mode: str, java_harness: JavaHarness, kafka_broker: RunningKafka, registered: Any) -> list[Produced]:
    """Every event, sent once per mode by the Java serializer configured as a service."""
    config = java_producer(kafka_broker, registered, headers=mode == "headers")
    return java_harness.produce(config, java_rows())


def test_java_producer_and_consumer_round_trip_every_event(
    mode: str, java_produced: list[Produced], java_harness: JavaHarness, kafka_broker: RunningKafka, registered: Any
) -> None:
    headers = mode == "headers"
    produced = java_produced

    consumed = java_harness.consume(java_consumer(kafka_broker, registered, headers=headers), produced)

    for record, (topic, event) in zip(produced, EVENTS, strict=True):
        got = consumed[record]
        assert (record.topic, got.java_class) == (topic, generated_class(event))
        assert type(event).FromString(got.payload) == event


def test_java_to_python_every_event_with_identical_framing(
    mode: str, java_produced: list[Produced], kafka_broker: RunningKafka, registered: Any
) -> None:
    produced = java_produced
    registry = python_registry(registered)
    deserializer = Deserializer(registry, framing=MODES[mode])
    serializer = Serializer(registry, framing=MODES[mode])

    received = consume_with_python(kafka_broker, produced)

    for record, (topic, event) in zip(produced, EVENTS, strict=True):
        message = received[record]
        assert deserializer.deserialize_message(message) == event
        # The Python serializer writes the same bytes and headers as the Java one.
        expected = serializer.serialize(topic, event)
        assert message.value() == expected.value
        assert sorted(message.headers() or []) == sorted(expected.headers)


def test_python_to_java_every_event_read_as_generated_classes(
    mode: str, java_harness: JavaHarness, kafka_broker: RunningKafka, registered: Any
) -> None:
    headers = mode == "headers"
    serializer = Serializer(python_registry(registered), framing=MODES[mode])
    produced = produce_with_python(kafka_broker, serializer)

    consumed = java_harness.consume(java_consumer(kafka_broker, registered, headers=headers), produced)

    for record, (topic, event) in zip(produced, EVENTS, strict=True):
        got: Consumed = consumed[record]
        assert (record.topic, got.java_class) == (topic, generated_class(event))
        assert type(event).FromString(got.payload) == event


def produce_with_python(broker: RunningKafka, serializer: Serializer) -> list[Produced]:
    producer = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True})
    delivered: list[Produced] = []
    for topic, event in EVENTS:
        record = serializer.serialize(topic, event)
        producer.produce(topic, value=record.value, headers=record.headers, on_delivery=_collect(delivered))
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
