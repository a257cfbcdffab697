"""Whatever bytes and headers arrive, the deserializer returns the right event or raises Ss3KafkaError.

The schema source here is an in-memory stand-in with the real registered texts'
shape (package + top-level messages), so that only the framing is under test;
tests/integration/test_kafka_serde.py runs the same paths against a real Apicurio.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ss3 import topics
from ss3.kafka import Deserializer, Framing, Schema, Ss3KafkaError, UnexpectedEventError, UnknownSchemaError, wire
from ss3.orders.v1 import order_events_pb2
from ss3.payments.v1 import payment_events_pb2

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
            return Schema(ORDERS_ID, "ss3.orders.v1", ("OrderPlaced", "OrderCancelled"))
        if content_id == PAYMENTS_ID:
            return Schema(PAYMENTS_ID, "ss3.payments.v1", ("PaymentAuthorized", "PaymentFailed"))
        raise UnknownSchemaError("the registry knows no schema with this id", schema_id=content_id)


def deserializer(framing: Framing = Framing.PAYLOAD) -> Any:
    return Deserializer(Schemas(), framing=framing)  # type: ignore[arg-type]


PLACED = fill(order_events_pb2.OrderPlaced())
GOOD = wire.payload_prefix(ORDERS_ID, "OrderPlaced") + PLACED.SerializeToString()


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=64), st.sampled_from(list(Framing)))
def test_arbitrary_bytes_never_escape_as_another_exception(value: bytes, framing: Framing) -> None:
    headers = [(wire.CONTENT_ID_HEADER, wire.encode_header_id(ORDERS_ID))]
    try:
        event = deserializer(framing).deserialize(ORDERS, value, headers, partition=3, offset=42)
    except Ss3KafkaError as error:
        assert (error.topic, error.partition, error.offset) == (ORDERS, 3, 42)
    else:
        assert type(event) in topics.TOPIC_EVENTS[ORDERS]


@given(st.integers(min_value=0, max_value=len(GOOD) - 1), st.integers(min_value=0, max_value=255))
def test_a_flipped_byte_in_the_prefix_is_an_error_or_still_an_orders_event(position: int, byte: int) -> None:
    damaged = bytearray(GOOD)
    damaged[position] = byte
    try:
        event = deserializer().deserialize(ORDERS, bytes(damaged), partition=0, offset=1)
    except Ss3KafkaError:
        return
    assert type(event) in topics.TOPIC_EVENTS[ORDERS]


def test_a_type_of_another_topic_is_refused_even_when_its_schema_is_registered() -> None:
    value = wire.payload_prefix(PAYMENTS_ID, "PaymentFailed") + b""
    with pytest.raises(
        UnexpectedEventError, match=r"ss3\.payments\.v1\.PaymentFailed is not an event of this topic"
    ) as caught:
        deserializer().deserialize(ORDERS, value, partition=2, offset=9)
    assert (caught.value.partition, caught.value.offset, caught.value.schema_id) == (2, 9, PAYMENTS_ID)


def test_a_good_record_is_decoded_and_the_schema_looked_up_once() -> None:
    subject = deserializer()
    for _ in range(100):
        assert subject.deserialize(ORDERS, GOOD) == PLACED
    assert subject.registry.calls == 1


def test_a_failed_lookup_is_not_remembered() -> None:
    unknown = wire.payload_prefix(99, "OrderPlaced") + PLACED.SerializeToString()
    subject = deserializer()
    for _ in range(2):
        with pytest.raises(UnknownSchemaError, match="schema id 99"):
            subject.deserialize(ORDERS, unknown, partition=0, offset=5)
    assert subject.registry.calls == 2


def test_payment_event_on_orders_topic_in_headers_mode_is_refused() -> None:
    headers = [
        (wire.CONTENT_ID_HEADER, wire.encode_header_id(PAYMENTS_ID)),
        (wire.PROTOBUF_TYPE_HEADER, b"PaymentFailed"),
    ]
    value = wire.encode_ref("PaymentFailed") + fill(payment_events_pb2.PaymentFailed()).SerializeToString()
    with pytest.raises(UnexpectedEventError):
        deserializer(Framing.HEADERS).deserialize(ORDERS, value, headers)
