"""The framing bytes, property-tested: Confluent's wire format around the topic envelope.

The expected layouts come from Apicurio's Java serde 3.1.x (``MessageIndexesUtil``) and
Confluent's wire format; envelope bytes are compared with protobuf's own encoding of the
generated envelope class.
"""

from __future__ import annotations

import pytest
from google.protobuf import descriptor_pb2
from hypothesis import given
from hypothesis import strategies as st
from ss3 import topics
from ss3.kafka import FramingError, wire
from ss3.orders.v1 import order_events_pb2

from tests.kafka.events import fill

ids = st.integers(min_value=0, max_value=2**31 - 1)


@given(ids, st.binary(max_size=50))
def test_every_record_starts_with_the_same_7_bytes_and_reads_back(schema_id: int, body: bytes) -> None:
    record = wire.confluent_prefix(schema_id) + body

    assert record[:7] == b"\x00" + schema_id.to_bytes(4, "big") + b"\x02\x00"
    assert wire.read_confluent_frame(record) == (schema_id, (0,), 7)


def test_confluents_short_form_of_index_zero_and_longer_paths_read_too() -> None:
    assert wire.read_confluent_frame(b"\x00\x00\x00\x00\x07\x00rest") == (7, (0,), 6)
    assert wire.read_confluent_frame(b"\x00\x00\x00\x00\x07\x04\x02\x06rest") == (7, (1, 3), 8)


def test_an_id_that_does_not_fit_the_frame_is_refused() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        wire.confluent_prefix(2**31)


@given(ids, st.data())
def test_every_cut_of_the_header_is_a_framing_error(schema_id: int, data: st.DataObject) -> None:
    record = wire.confluent_prefix(schema_id)
    cut = data.draw(st.integers(min_value=0, max_value=len(record) - 2))

    with pytest.raises(FramingError):
        wire.read_confluent_frame(record[:cut] if cut > 0 else b"")


@given(st.integers(min_value=1, max_value=255), st.binary(min_size=6, max_size=30))
def test_a_wrong_magic_byte_is_named(magic: int, rest: bytes) -> None:
    with pytest.raises(FramingError, match=f"wrong magic byte 0x{magic:02x}"):
        wire.read_confluent_frame(bytes([magic]) + rest)


def test_envelope_fields_finds_the_metadata_and_the_member_as_protobuf_writes_them() -> None:
    envelope = order_events_pb2.OrderEvents()
    fill(envelope.metadata)
    fill(envelope.order_cancelled)
    raw = b"xx" + envelope.SerializeToString()

    metadata, member = wire.envelope_fields(raw, 2)

    assert metadata is not None and member is not None
    assert order_events_pb2.OrderEvents.FromString(raw[metadata[0] : metadata[1]]).metadata == envelope.metadata
    number, start, stop = member
    assert number == 3
    assert order_events_pb2.OrderCancelled.FromString(raw[start:stop]) == envelope.order_cancelled


def test_envelope_fields_skips_scalar_fields_and_refuses_broken_ones() -> None:
    assert wire.envelope_fields(b"\x08\x96\x01\x11" + bytes(8) + b"\x15" + bytes(4) + b"\x12\x00", 0) == (
        None,
        (2, 19, 19),
    )
    with pytest.raises(FramingError, match="field 3 has wire type 3"):
        wire.envelope_fields(b"\x1b", 0)
    with pytest.raises(FramingError, match="field number 0"):
        wire.envelope_fields(b"\x02\x00", 0)
    with pytest.raises(FramingError, match="truncated envelope"):
        wire.envelope_fields(b"\x12\x05ab", 0)


def test_every_topic_has_its_envelope_first_with_metadata_as_field_1() -> None:
    for topic, envelope in topics.TOPIC_ENVELOPE.items():
        fd = descriptor_pb2.FileDescriptorProto.FromString(envelope.DESCRIPTOR.file.serialized_pb)
        assert fd.message_type[0].name == envelope.DESCRIPTOR.name, topic
        assert envelope.DESCRIPTOR.fields_by_number[1].name == "metadata"
