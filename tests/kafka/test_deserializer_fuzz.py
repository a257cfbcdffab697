"""Whatever bytes arrive, the deserializer returns an event of the topic or raises Ss3KafkaError.

The schema source here is an in-memory stand-in with the real registered texts'
shape (package + top-level messages, the envelope first), so that only the framing and
the envelope are under test; tests/kafka/test_serde_registry.py runs the same paths
against a real Apicurio. The byte-mutation properties run once per protobuf backend
(upb, pure Python, and cpp where the installed protobuf has it): on this process's backend
here, on each other one in an interpreter of its own.
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
    FramingError,
    Schema,
    Serializer,
    Ss3KafkaError,
    UnexpectedEventError,
    UnknownSchemaError,
    wire,
)
from ss3.kafka.registry import parse_schema
from ss3.orders.v1 import order_events_pb2

from tests.helpers import examples
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


def test_the_deserializer_leaves_remembering_failed_lookups_to_the_registry() -> None:
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


BACKEND_ENV = "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"
# Set in the interpreter that runs the mutation properties on one backend.
EXPECTED_BACKEND_ENV = "SS3_TEST_PROTOBUF_BACKEND"
ROOT = Path(__file__).resolve().parents[2]
HEADER = GOOD[: wire.HEADER_SIZE]
CANCELLED = fill(order_events_pb2.OrderCancelled())
CANCELLED_BODY = Serializer(Schemas()).serialize(ORDERS, CANCELLED)[wire.HEADER_SIZE :]  # type: ignore[arg-type]


def test_a_string_field_that_is_not_utf8_is_a_framing_error() -> None:
    # order_cancelled.order_id = b"\xff": the pure-Python backend raises UnicodeDecodeError for it.
    member = order_events_pb2.OrderEvents.DESCRIPTOR.fields_by_name["order_cancelled"].number
    value = HEADER + wire.field_key(member) + b"\x03\x12\x01\xff"
    with pytest.raises(FramingError, match=r"not a valid ss3\.orders\.v1\.OrderCancelled") as caught:
        deserializer().deserialize(ORDERS, value, partition=1, offset=2)
    error = caught.value
    assert (error.topic, error.partition, error.offset, error.schema_id) == (ORDERS, 1, 2, ORDERS_ID)


@settings(max_examples=examples(400), deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), min_size=1, max_size=4))
def test_a_mutated_message_body_is_the_event_or_a_framing_error(mutations: list[tuple[int, int]]) -> None:
    body = bytearray(CANCELLED_BODY)
    for position, byte in mutations:
        body[position % len(body)] = byte
    subject = deserializer()
    for attempt in range(2):  # the second read takes the fast path of a known header
        try:
            event = subject.deserialize(ORDERS, HEADER + bytes(body), partition=4, offset=attempt)
        except Ss3KafkaError as error:
            assert (error.topic, error.partition, error.offset, error.schema_id) == (ORDERS, 4, attempt, ORDERS_ID)
        else:
            assert type(event) in topics.TOPIC_EVENTS[ORDERS]


@settings(max_examples=examples(400), deadline=None)
@given(st.binary(max_size=40), st.binary(max_size=40))
def test_any_bytes_after_a_good_header_are_an_event_or_a_typed_error(head: bytes, tail: bytes) -> None:
    value = HEADER + head + CANCELLED_BODY[: len(tail)] + tail
    try:
        event = deserializer().deserialize(ORDERS, value, partition=0, offset=9)
    except Ss3KafkaError as error:
        assert (error.topic, error.partition, error.offset, error.schema_id) == (ORDERS, 0, 9, ORDERS_ID)
    else:
        assert type(event) in topics.TOPIC_EVENTS[ORDERS]


def test_the_properties_run_on_the_backend_they_were_started_for() -> None:
    expected = os.environ.get(EXPECTED_BACKEND_ENV)
    if expected is not None:
        assert api_implementation.Type() == expected


def _other_backends() -> list[str]:
    """upb and pure Python, and cpp where the installed protobuf has it (its pip wheels since 4.21 do not).

    Less the one this process runs on: the properties above have just run on it here.
    """
    cpp = importlib.util.find_spec("google.protobuf.pyext._message") is not None
    every = ["upb", "python", *(["cpp"] if cpp else [])]
    return [backend for backend in every if backend != api_implementation.Type()]


@pytest.mark.parametrize("backend", _other_backends())
def test_every_backend_raises_only_typed_errors_for_mutated_records(backend: str) -> None:
    # The inner run selects only the properties below (-k), never this test itself.
    env = dict(os.environ, **{BACKEND_ENV: backend, EXPECTED_BACKEND_ENV: backend})
    properties = [
        "test_arbitrary_bytes_never_escape_as_another_exception",
        "test_the_fast_path_agrees_with_the_full_decoding",
        "test_a_flipped_byte_is_an_error_or_still_an_orders_event",
        "test_a_string_field_that_is_not_utf8_is_a_framing_error",
        "test_a_mutated_message_body_is_the_event_or_a_framing_error",
        "test_any_bytes_after_a_good_header_are_an_event_or_a_typed_error",
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


def test_a_reader_of_a_headers_framed_record_names_the_headers_it_saw() -> None:
    # What a Java producer left with apicurio.registry.headers.enabled=true writes: no magic byte.
    value = b"\x02\x00" + CANCELLED_BODY
    headers = [
        ("apicurio.value.contentId", (ORDERS_ID).to_bytes(8, "big")),
        ("apicurio.value.msgType", b"com.shopstar3.ss3.orders.v1.OrderEvents"),
        ("traceparent", b"00-1"),
    ]
    with pytest.raises(FramingError) as caught:
        deserializer().deserialize(ORDERS, value, headers, partition=0, offset=3)
    message = str(caught.value)
    assert message.startswith("wrong magic byte 0x02, expected 0x00: the record carries ")
    seen = "apicurio.value.contentId, apicurio.value.msgType"
    assert f"{seen}, so its producer uses Apicurio's headers framing" in message
    assert "traceparent" not in message
    assert (caught.value.topic, caught.value.partition, caught.value.offset) == (ORDERS, 0, 3)


def test_a_member_this_version_does_not_know_is_named_from_the_records_schema() -> None:
    # A newer release's schema: the envelope gained OrderArchived as member 4.
    newer = """syntax = "proto3";
package ss3.orders.v1;
message OrderEvents {
  ss3.common.v1.EventMetadata metadata = 1;
  oneof event {
    OrderPlaced order_placed = 2;
    OrderCancelled order_cancelled = 3;
    ss3.orders.v1.OrderArchived order_archived = 4;
  }
}
message OrderPlaced {}
message OrderCancelled {}
message OrderArchived {}
"""

    class Newer(Schemas):
        def schema(self, content_id: int) -> Schema:
            self.calls += 1
            return parse_schema(content_id, newer)

    value = GOOD[: wire.HEADER_SIZE] + wire.field_key(4) + b"\x02\x12\x00"
    with pytest.raises(UnexpectedEventError) as caught:
        Deserializer(Newer()).deserialize(ORDERS, value, partition=0, offset=8)  # type: ignore[arg-type]
    assert "member 4 of ss3.orders.v1.OrderEvents (OrderArchived in the record's schema)" in str(caught.value)
    assert (caught.value.offset, caught.value.schema_id) == (8, ORDERS_ID)


def test_the_registered_envelope_members_are_read_from_the_schema_text() -> None:
    text = (ROOT / "proto/ss3/orders/v1/order_events.proto").read_text(encoding="utf-8")
    schema = parse_schema(ORDERS_ID, text)
    assert schema.messages[0] == "OrderEvents"
    assert schema.members == ((2, "OrderPlaced"), (3, "OrderCancelled"))
