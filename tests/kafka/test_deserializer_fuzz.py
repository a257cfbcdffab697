"""Whatever bytes and headers arrive, the deserializer returns the right event or raises Ss3KafkaError.

The schema source here is an in-memory stand-in with the real registered texts'
shape (package + top-level messages), so that only the framing is under test;
tests/kafka/test_serde_registry.py runs the same paths against a real Apicurio.
The byte-mutation properties run once per protobuf backend (upb, pure Python, and
cpp where the installed protobuf has it), each in its own interpreter.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.internal import api_implementation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ss3 import topics
from ss3.kafka import (
    Deserializer,
    Framing,
    FramingError,
    Schema,
    Ss3KafkaError,
    UnexpectedEventError,
    UnknownSchemaError,
    wire,
)
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


def test_the_deserializer_leaves_remembering_failed_lookups_to_the_registry() -> None:
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


BACKEND_ENV = "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"
# Set in the interpreter that runs the mutation properties on one backend.
EXPECTED_BACKEND_ENV = "SS3_TEST_PROTOBUF_BACKEND"
ROOT = Path(__file__).resolve().parents[2]
CANCELLED = fill(order_events_pb2.OrderCancelled())
CANCELLED_BODY = CANCELLED.SerializeToString()
CANCELLED_PREFIX = wire.payload_prefix(ORDERS_ID, "OrderCancelled")


def test_a_string_field_that_is_not_utf8_is_a_framing_error() -> None:
    # order_id = b"\xff": the pure-Python backend raises UnicodeDecodeError for it.
    value = CANCELLED_PREFIX + b"\x12\x01\xff"
    with pytest.raises(FramingError, match=r"not a valid ss3\.orders\.v1\.OrderCancelled") as caught:
        deserializer().deserialize(ORDERS, value, partition=1, offset=2)
    error = caught.value
    assert (error.topic, error.partition, error.offset, error.schema_id) == (ORDERS, 1, 2, ORDERS_ID)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), min_size=1, max_size=4))
def test_a_mutated_message_body_is_the_event_or_a_framing_error(mutations: list[tuple[int, int]]) -> None:
    body = bytearray(CANCELLED_BODY)
    for position, byte in mutations:
        body[position % len(body)] = byte
    subject = deserializer()
    for attempt in range(2):  # the second read takes the fast path of a known prefix
        try:
            event = subject.deserialize(ORDERS, CANCELLED_PREFIX + bytes(body), partition=4, offset=attempt)
        except FramingError as error:
            assert (error.topic, error.partition, error.offset, error.schema_id) == (ORDERS, 4, attempt, ORDERS_ID)
        else:
            assert type(event) is order_events_pb2.OrderCancelled


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=40), st.binary(max_size=40))
def test_any_bytes_after_a_good_prefix_are_the_event_or_a_framing_error(head: bytes, tail: bytes) -> None:
    value = CANCELLED_PREFIX + head + CANCELLED_BODY[: len(tail)] + tail
    try:
        event = deserializer().deserialize(ORDERS, value, partition=0, offset=9)
    except FramingError as error:
        assert (error.topic, error.partition, error.offset, error.schema_id) == (ORDERS, 0, 9, ORDERS_ID)
    else:
        assert type(event) is order_events_pb2.OrderCancelled


def test_the_properties_run_on_the_backend_they_were_started_for() -> None:
    expected = os.environ.get(EXPECTED_BACKEND_ENV)
    if expected is not None:
        assert api_implementation.Type() == expected


def _backends() -> list[str]:
    """upb and pure Python, and cpp where the installed protobuf has it (its pip wheels since 4.21 do not)."""
    cpp = importlib.util.find_spec("google.protobuf.pyext._message") is not None
    return ["upb", "python", *(["cpp"] if cpp else [])]


@pytest.mark.parametrize("backend", _backends())
def test_every_backend_raises_only_framing_errors_for_mutated_records(backend: str) -> None:
    if os.environ.get(EXPECTED_BACKEND_ENV) is not None:
        pytest.skip("already inside one backend's run")
    env = dict(os.environ, **{BACKEND_ENV: backend, EXPECTED_BACKEND_ENV: backend})
    properties = [
        "test_arbitrary_bytes_never_escape_as_another_exception",
        "test_a_string_field_that_is_not_utf8_is_a_framing_error",
        "test_a_mutated_message_body_is_the_event_or_a_framing_error",
        "test_any_bytes_after_a_good_prefix_are_the_event_or_a_framing_error",
        "test_the_properties_run_on_the_backend_they_were_started_for",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", " or ".join(properties), __file__],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert f"{len(properties)} passed" in proc.stdout


def test_a_payload_reader_of_a_headers_framed_record_names_the_headers_it_saw() -> None:
    value = wire.encode_ref("OrderPlaced") + PLACED.SerializeToString()
    headers = [
        (wire.CONTENT_ID_HEADER, wire.encode_header_id(ORDERS_ID)),
        (wire.MESSAGE_TYPE_HEADER, b"com.shopstar3.ss3.orders.v1.OrderPlaced"),
        ("traceparent", b"00-1"),
    ]
    with pytest.raises(FramingError) as caught:
        deserializer().deserialize(ORDERS, value, headers, partition=0, offset=3)
    message = str(caught.value)
    assert message.startswith(f"wrong magic byte 0x{value[0]:02x}, expected 0x00: the record carries ")
    assert f"{wire.CONTENT_ID_HEADER}, {wire.MESSAGE_TYPE_HEADER}, so its producer uses headers framing" in message
    assert "read as PAYLOAD" in message and "traceparent" not in message


def test_a_headers_reader_of_a_record_without_the_id_header_names_the_ones_it_saw() -> None:
    value = wire.encode_ref("OrderPlaced") + PLACED.SerializeToString()
    headers = {wire.PROTOBUF_TYPE_HEADER: b"OrderPlaced"}
    with pytest.raises(FramingError, match=rf"{wire.CONTENT_ID_HEADER} is missing \(it carries apicurio\.protobuf"):
        deserializer(Framing.HEADERS).deserialize(ORDERS, value, headers)
    with pytest.raises(FramingError, match=r"magic byte 0x00 and no apicurio\.\* header came: payload framing"):
        deserializer(Framing.HEADERS).deserialize(ORDERS, GOOD, [])
