"""Why a topic keeps one framing: Apicurio's Java deserializer (3.1.7) mixes them up.

A consumer with `apicurio.registry.headers.enabled=true` reads a payload-mode
record on its own, but after a headers-mode record of another event on the same
topic it applies that record's `apicurio.value.msgType` to the header-less one
and fails to parse it. This pins that
upstream behaviour: when a serde upgrade fixes it, this test fails, and
docs/kafka-clients.md ("One framing per topic") can be relaxed.
"""

from __future__ import annotations

from typing import Any

import pytest
from ss3.orders.v1 import order_events_pb2

from devservices.kafka import RunningKafka
from tests.interop.conftest import java_consumer, java_producer
from tests.interop.harness import HarnessFailed, JavaHarness
from tests.interop.test_java_serde import generated_class
from tests.kafka.events import fill

pytestmark = pytest.mark.integration

TOPIC = "ss3.orders.order-events.v1"


def test_headers_then_payload_record_on_one_topic_is_misread(
    java_harness: JavaHarness, kafka_broker: RunningKafka, registered: Any
) -> None:
    placed = fill(order_events_pb2.OrderPlaced())
    cancelled = fill(order_events_pb2.OrderCancelled())
    first = java_harness.produce(
        java_producer(kafka_broker, registered, headers=True),
        [(TOPIC, generated_class(placed), placed.SerializeToString())],
    )
    second = java_harness.produce(
        java_producer(kafka_broker, registered), [(TOPIC, generated_class(cancelled), cancelled.SerializeToString())]
    )

    consumer = java_consumer(kafka_broker, registered, headers=True)

    alone = java_harness.consume(consumer, second)
    with pytest.raises(HarnessFailed) as mixed:
        java_harness.consume(consumer, first + second)

    assert alone[second[0]].java_class == generated_class(cancelled)
    # After the OrderPlaced record's headers, the header-less OrderCancelled bytes are parsed as OrderPlaced.
    assert f"Error deserializing VALUE for partition {TOPIC}-0 at offset {second[0].offset}" in str(mixed.value)
    assert "Not a valid protobuf builder" in str(mixed.value)
