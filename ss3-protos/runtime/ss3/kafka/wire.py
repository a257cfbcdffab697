"""The bytes on the wire: Confluent's wire format around the topic envelope.

Every record value of an ss3 topic is::

    0x00 | schema id (4 bytes, big-endian) | 0x02 0x00 | topic envelope (protobuf)

The id is Apicurio's contentId of the topic's schema (``<topic>-value``), which is also
the id of the Confluent-compatible API (``/apis/ccompat/v7/schemas/ids/{id}``). ``0x02 0x00``
is the message-index array ``[0]`` (zig-zag varint count 1, then index 0): the envelope is
the first message of the schema. It is written in this long form because that is what
Apicurio's Java serde 3.1.x writes (``MessageIndexesUtil.writeTo``), so every record of a
topic starts with the same 7 bytes whichever serde wrote it; Confluent's short form
(a single ``0x00`` for ``[0]``) is read too.

The envelope carries the event metadata once (field 1) and the event as a member of its
oneof ``event``; see :mod:`ss3.kafka.serde` for how the event's own metadata relates to it.
"""

from __future__ import annotations

from ss3.kafka.errors import FramingError

MAGIC_BYTE = 0
ID_SIZE = 4
MAX_ID = 2**31 - 1  # the Java serde writes the id as a signed 32-bit int
ENVELOPE_INDEXES = b"\x02\x00"  # [0], as Apicurio's Java serde writes it
HEADER_SIZE = 1 + ID_SIZE + len(ENVELOPE_INDEXES)
LENGTH_DELIMITED = 2
_MAX_VARINT_BYTES = 10
_MAX_INDEXES = 64


def encode_varint(value: int) -> bytes:
    if value < 0:
        raise ValueError("varint must not be negative")
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The unsigned varint at `pos` and the position after it; FramingError when cut off."""
    result = 0
    for shift_index in range(_MAX_VARINT_BYTES):
        if pos >= len(data):
            raise FramingError("truncated frame: a varint runs past the end of the record")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << (7 * shift_index)
        if not byte & 0x80:
            return result, pos
    raise FramingError("malformed frame: a varint is longer than 10 bytes")


def zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


def unzigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def encode_id(schema_id: int) -> bytes:
    if not 0 <= schema_id <= MAX_ID:
        raise ValueError(f"schema id {schema_id} does not fit the 4-byte frame")
    return schema_id.to_bytes(ID_SIZE, "big")


def confluent_prefix(schema_id: int) -> bytes:
    """The 7 bytes every record of a topic whose schema has this id starts with."""
    return bytes([MAGIC_BYTE]) + encode_id(schema_id) + ENVELOPE_INDEXES


def read_magic_and_id(data: bytes) -> int:
    """The schema id of a Confluent frame."""
    if data[:1] not in (b"", bytes([MAGIC_BYTE])):
        raise FramingError(f"wrong magic byte 0x{data[0]:02x}, expected 0x00")
    if len(data) < 1 + ID_SIZE:
        raise FramingError(f"truncated frame: {len(data)} bytes, shorter than the {1 + ID_SIZE}-byte prefix")
    return int.from_bytes(data[1 : 1 + ID_SIZE], "big")


def read_message_indexes(data: bytes, pos: int) -> tuple[tuple[int, ...], int]:
    """A Confluent message-index array at `pos` (``0x00`` alone means ``[0]``) and the position after it."""
    raw_count, pos = decode_varint(data, pos)
    count = unzigzag(raw_count)
    if count == 0:
        return (0,), pos
    if not 0 < count <= _MAX_INDEXES:
        raise FramingError(f"malformed frame: message-index count {count}")
    indexes = []
    for _ in range(count):
        raw, pos = decode_varint(data, pos)
        indexes.append(unzigzag(raw))
    return tuple(indexes), pos


def read_confluent_frame(data: bytes) -> tuple[int, tuple[int, ...], int]:
    """Schema id, message-index path and the offset of the message bytes of a Confluent-framed record."""
    schema_id = read_magic_and_id(data)
    try:
        indexes, body = read_message_indexes(data, 1 + ID_SIZE)
    except FramingError as error:
        raise error.located(topic=None, partition=None, offset=None, schema_id=schema_id) from None
    return schema_id, indexes, body


def field_key(number: int) -> bytes:
    """The key of a length-delimited field `number`."""
    return encode_varint(number << 3 | LENGTH_DELIMITED)


def leading_field_end(data: bytes, number: int) -> int:
    """Where length-delimited field `number` ends when `data` starts with it, else 0."""
    key = number << 3 | LENGTH_DELIMITED
    if key > 0x7F or data[:1] != bytes([key]):
        return 0
    length, start = decode_varint(data, 1)
    return start + length


def envelope_fields(data: bytes, pos: int) -> tuple[tuple[int, int] | None, tuple[int, int, int] | None]:
    """The metadata field (start, end, key included) and the last other length-delimited field
    (number, start, end of its value) of the envelope in ``data[pos:]``; other fields are skipped."""
    metadata: tuple[int, int] | None = None
    member: tuple[int, int, int] | None = None
    end = len(data)
    while pos < end:
        field_start = pos
        key, pos = decode_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise FramingError("malformed envelope: field number 0")
        if wire_type == LENGTH_DELIMITED:
            length, pos = decode_varint(data, pos)
            stop = pos + length
            if stop > end:
                raise FramingError(f"truncated envelope: field {number} runs past the end of the record")
            if number == 1:
                metadata = (field_start, stop)
            else:
                member = (number, pos, stop)
            pos = stop
        else:
            pos = _skip(data, pos, wire_type, number)
    return metadata, member


def _skip(data: bytes, pos: int, wire_type: int, number: int) -> int:
    if wire_type == 0:
        return decode_varint(data, pos)[1]
    size = {1: 8, 5: 4}.get(wire_type)
    if size is None or pos + size > len(data):
        raise FramingError(f"malformed envelope: field {number} has wire type {wire_type}")
    return pos + size
