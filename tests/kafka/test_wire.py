"""The framing bytes, property-tested: what Apicurio's Java serde writes and reads.

The expected layouts come from the Java serde 3.1.x sources (see ss3.kafka.wire);
the Ref bytes are compared with protobuf's own encoding of Apicurio's `Ref` message.
"""

from __future__ import annotations

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.internal import encoder
from hypothesis import given
from hypothesis import strategies as st
from ss3.kafka import FramingError, wire

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=300)
ids = st.integers(min_value=0, max_value=2**31 - 1)


def _ref_class() -> type:
    """Apicurio's ref.proto (`package io.apicurio.registry.serde.protobuf.ref; message Ref { string name = 1; }`)."""
    fd = descriptor_pb2.FileDescriptorProto(name="ref.proto", package="io.apicurio.registry.serde.protobuf.ref")
    message = fd.message_type.add(name="Ref")
    message.field.add(name="name", number=1, type=9, label=1)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("io.apicurio.registry.serde.protobuf.ref.Ref"))


REF = _ref_class()


def _delimited(message: object) -> bytes:
    body: bytes = message.SerializeToString()  # type: ignore[attr-defined]
    return encoder._VarintBytes(len(body)) + body


@given(names)
def test_ref_is_protobufs_length_delimited_ref_message(name: str) -> None:
    assert wire.encode_ref(name) == _delimited(REF(name=name))


@given(ids, names, st.binary(max_size=200))
def test_payload_frame_is_magic_id_ref_message_and_reads_back(schema_id: int, name: str, body: bytes) -> None:
    record = wire.payload_prefix(schema_id, name) + body

    assert record[0] == 0
    assert int.from_bytes(record[1:5], "big") == schema_id
    assert record[5:] == _delimited(REF(name=name)) + body
    assert wire.read_payload_frame(record) == (schema_id, name, len(record) - len(body))


@given(ids, st.integers(min_value=0, max_value=10_000), st.binary(max_size=50))
def test_confluent_frame_reads_back_its_index(schema_id: int, index: int, body: bytes) -> None:
    record = wire.confluent_prefix(schema_id, index) + body

    assert wire.read_confluent_frame(record) == (schema_id, (index,), len(record) - len(body))


def test_confluent_index_zero_is_one_zero_byte_and_the_long_form_reads_too() -> None:
    assert wire.confluent_prefix(7, 0) == b"\x00\x00\x00\x00\x07\x00"
    # Apicurio's MessageIndexesUtil writes [0] in full: count 1 (zig-zag 2), index 0.
    assert wire.read_confluent_frame(b"\x00\x00\x00\x00\x07\x02\x00rest") == (7, (0,), 7)
    assert wire.confluent_prefix(7, 3) == b"\x00\x00\x00\x00\x07\x02\x06"


@given(ids)
def test_header_id_is_8_bytes_big_endian(schema_id: int) -> None:
    raw = wire.encode_header_id(schema_id)
    assert len(raw) == 8
    assert raw == schema_id.to_bytes(8, "big")
    assert wire.decode_header_id(raw) == schema_id


@given(ids, names, st.binary(max_size=20), st.data())
def test_every_cut_of_a_payload_frame_is_a_framing_error_or_an_empty_message(
    schema_id: int, name: str, body: bytes, data: st.DataObject
) -> None:
    record = wire.payload_prefix(schema_id, name) + body
    prefix_end = len(record) - len(body)
    cut = data.draw(st.integers(min_value=0, max_value=prefix_end - 1))

    with pytest.raises(FramingError):
        wire.read_payload_frame(record[:cut])


@given(st.integers(min_value=1, max_value=255), st.binary(min_size=4, max_size=30))
def test_a_wrong_magic_byte_is_named(magic: int, rest: bytes) -> None:
    with pytest.raises(FramingError, match=f"wrong magic byte 0x{magic:02x}"):
        wire.read_payload_frame(bytes([magic]) + rest)


def test_a_ref_with_another_field_or_no_name_is_refused() -> None:
    with pytest.raises(FramingError, match="unexpected field tag"):
        wire.decode_ref(b"\x02\x10\x01", 0)
    with pytest.raises(FramingError, match="names no type"):
        wire.decode_ref(b"\x00", 0)
