"""The generated `ss3.topics` module: constants named after topics, events in declaration order."""

from __future__ import annotations

import re

import pytest
from google.protobuf import descriptor_pb2
from ss3_schema.artifacts.topics import constant_name, topics_module
from ss3_schema.errors import SchemaError
from ss3_schema.schema.events import EVENT_OPTION_NUMBER, TOPIC_ENVELOPE_OPTION_NUMBER, TOPIC_OPTION_NUMBER


def event_file(
    name: str, topic: str, *messages: tuple[str, bool], envelope: str | None = "Records"
) -> descriptor_pb2.FileDescriptorProto:
    fd = descriptor_pb2.FileDescriptorProto(name=name, package=name.rsplit("/", 1)[0].replace("/", "."))
    raw_topic = topic.encode()
    # The options as protoc leaves them for a reader that does not know the extensions.
    fd.options.MergeFromString(_field(TOPIC_OPTION_NUMBER, 2, len(raw_topic).to_bytes(1, "big") + raw_topic))
    if envelope is not None:
        fd.message_type.add(name=envelope).options.MergeFromString(_field(TOPIC_ENVELOPE_OPTION_NUMBER, 0, b"\x01"))
    for message, is_event in messages:
        added = fd.message_type.add(name=message)
        if is_event:
            added.options.MergeFromString(_field(EVENT_OPTION_NUMBER, 0, b"\x01"))
    return fd


def _field(number: int, wire_type: int, payload: bytes) -> bytes:
    key = number << 3 | wire_type
    out = bytearray()
    while key > 0x7F:
        out.append(key & 0x7F | 0x80)
        key >>= 7
    out.append(key)
    return bytes(out) + payload


def test_constant_names() -> None:
    assert constant_name("ss3.orders.order-events.v1") == "SS3_ORDERS_ORDER_EVENTS_V1"
    assert constant_name("9lives.events") == "TOPIC_9LIVES_EVENTS"


def test_only_event_messages_of_own_files_are_listed_in_order() -> None:
    fd = event_file("a/v1/a_events.proto", "a.events.v1", ("Second", True), ("Helper", False), ("First", True))
    other = event_file("b/v1/b_events.proto", "b.events.v1", ("Elsewhere", True))

    source = topics_module([fd, other], ["a/v1/a_events.proto"])

    assert 'A_EVENTS_V1: Final = "a.events.v1"' in source
    assert "a.v1.a_events_pb2.Second,\n            a.v1.a_events_pb2.First," in source
    assert "Helper" not in source.split("TOPIC_EVENTS")[1]
    assert "b.events.v1" not in source
    assert "A_EVENTS_V1: a.v1.a_events_pb2.Records," in source.split("TOPIC_ENVELOPE")[1]
    assert "Records" not in source.split("TOPIC_EVENTS")[1].split("TOPIC_ENVELOPE")[0]


def test_an_event_file_without_a_topic_envelope_is_refused() -> None:
    fd = event_file("a/v1/a_events.proto", "a.events.v1", ("Only", True), envelope=None)
    with pytest.raises(SchemaError, match=re.escape("a/v1/a_events.proto: topic 'a.events.v1' has no message marked")):
        topics_module([fd], ["a/v1/a_events.proto"])


def test_two_topics_with_one_constant_name_are_refused() -> None:
    one = event_file("a/v1/a_events.proto", "a.events", ("A", True))
    two = event_file("b/v1/b_events.proto", "a-events", ("B", True))
    with pytest.raises(
        SchemaError,
        match=re.escape("b/v1/b_events.proto: topics 'a.events' and 'a-events' both map to constant A_EVENTS"),
    ):
        topics_module([one, two], ["a/v1/a_events.proto", "b/v1/b_events.proto"])
