"""Whatever bytes arrive, the deserializer returns an event of the topic or raises Ss3KafkaError.

The schema source here is an in-memory stand-in with the real registered texts'
shape (package + top-level messages, the envelope first), so that only the framing and
the envelope are under test; tests/kafka/test_serde_registry.py runs the same paths
against a real Apicurio.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ss3 import topics
from ss3.kafka import Deserializer, Schema, Serializer, Ss3KafkaError, UnexpectedEventError, UnknownSchemaError, wire
from ss3.orders.v1 import order_events_pb2

from tests.kafka.events import fill

ORDERS = topics.SS3_ORDERS_ORDER_EVENTS_V1
ORDERS_ID = 10
PAYMENTS_ID = 11


class Schemas:
    """Two registered schemas by content id; every other id is unknown."""

    def __init__(self) -> None:
        self.calls = 0

    def schema(self, content_id: int) -> Schema:
        self.calls += 1
        if content_id == ORDERS_ID:
            return Schema(ORDERS_ID, "ss3.orders.v1", ("OrderEvents", "OrderPlaced", "OrderCancelled"))
        if content_id == PAYMENTS_ID:
            return Schema(PAYMENTS_ID, "ss3.payments.v1", ("PaymentEvents", "PaymentAuthorized", "PaymentFailed"))
        raise UnknownSchemaError("the registry knows no schema with this id", schema_id=content_id)

    def latest_content_id(self, group: str, artifact: str) -> int:
        return ORDERS_ID


def deserializer(*, envelope: bool = False) -> Any:
    return Deserializer(Schemas(), envelope=envelope)  # type: ignore[arg-type]


PLACED = fill(order_events_pb2.OrderPlaced())
GOOD = Serializer(Schemas()).serialize(ORDERS, PLACED)  # type: ignore[arg-type]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=64), st.booleans())
def test_arbitrary_bytes_never_escape_as_another_exception(value: bytes, envelope: bool) -> None:
    for candidate in (value, GOOD[:7] + value):
        try:
            event = deserializer(envelope=envelope).deserialize(ORDERS, candidate, partition=3, offset=42)
        except Ss3KafkaError as error:
            assert (error.topic, error.partition, error.offset) == (ORDERS, 3, 42)
        else:
            expected = (topics.TOPIC_ENVELOPE[ORDERS],) if envelope else topics.TOPIC_EVENTS[ORDERS]
            assert type(event) in expected


WARM = deserializer()
WARM.deserialize(ORDERS, GOOD)  # its fast path now knows GOOD's header


def outcome(subject: Any, value: bytes) -> object:
    try:
        return subject.deserialize(ORDERS, value)
    except Ss3KafkaError as error:
        return type(error), error.reason


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_the_fast_path_agrees_with_the_full_decoding(body: bytes) -> None:
    value = GOOD[:7] + body
    assert outcome(WARM, value) == outcome(deserializer(), value)


@given(st.integers(min_value=1, max_value=40), st.integers(min_value=0, max_value=200), st.integers(0, 20_000))
def test_the_fast_path_agrees_on_long_fields(meta: int, member: int, extra: int) -> None:
    event = order_events_pb2.OrderCancelled(order_id="o" * member, refunded={"currency_code": "x" * (extra % 300)})
    event.metadata.event_id = "e" * meta * 10
    value = Serializer(Schemas()).serialize(ORDERS, event)  # type: ignore[arg-type]
    assert outcome(WARM, value) == outcome(deserializer(), value) == event


@given(st.integers(min_value=0, max_value=len(GOOD) - 1), st.integers(min_value=0, max_value=255))
def test_a_flipped_byte_is_an_error_or_still_an_orders_event(position: int, byte: int) -> None:
    damaged = bytearray(GOOD)
    damaged[position] = byte
    try:
        event = deserializer().deserialize(ORDERS, bytes(damaged), partition=0, offset=1)
    except Ss3KafkaError:
        return
    assert type(event) in topics.TOPIC_EVENTS[ORDERS]


def test_a_record_of_another_topic_is_refused_even_when_its_schema_is_registered() -> None:
    value = wire.confluent_prefix(PAYMENTS_ID) + GOOD[7:]
    with pytest.raises(UnexpectedEventError, match=r"starts with ss3\.payments\.v1\.PaymentEvents") as caught:
        deserializer().deserialize(ORDERS, value, partition=2, offset=9)
    assert (caught.value.partition, caught.value.offset, caught.value.schema_id) == (2, 9, PAYMENTS_ID)


def test_a_good_record_is_decoded_and_the_schema_looked_up_once() -> None:
    subject = deserializer()
    for _ in range(100):
        assert subject.deserialize(ORDERS, GOOD) == PLACED
    assert subject.registry.calls == 1


def test_a_failed_lookup_is_not_remembered() -> None:
    unknown = wire.confluent_prefix(99) + GOOD[7:]
    subject = deserializer()
    for _ in range(2):
        with pytest.raises(UnknownSchemaError, match="schema id 99"):
            subject.deserialize(ORDERS, unknown, partition=0, offset=5)
    assert subject.registry.calls == 2


def test_the_envelopes_metadata_wins_over_a_member_that_carries_its_own() -> None:
    # A producer that forgot to clear the event's metadata: the envelope's is what readers see.
    envelope = order_events_pb2.OrderEvents()
    envelope.metadata.event_id = "from-the-envelope"
    envelope.order_placed.metadata.event_id = "from-the-member"
    envelope.order_placed.metadata.correlation_id = "only-in-the-member"
    value = GOOD[:7] + envelope.SerializeToString()

    event = deserializer().deserialize(ORDERS, value)

    assert event.metadata.event_id == "from-the-envelope"
    assert event.metadata.correlation_id == "only-in-the-member"
