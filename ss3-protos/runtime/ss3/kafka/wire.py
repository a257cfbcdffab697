"""The bytes on the wire: Apicurio's Protobuf framing (payload and headers mode) and Confluent's.

Checked against Apicurio Registry's Java Kafka serde 3.1.x
(``ProtobufSerializer``, ``ProtobufKafkaSerializer``, ``Default4ByteIdHandler``,
``DefaultHeadersHandler``, ``ProtobufSerdeHeaders``, ``MessageIndexesUtil``):

payload mode (the serde's default)
    ``0x00`` | contentId as 4 bytes big-endian | ``Ref`` length-delimited | message
headers mode (``apicurio.registry.headers.enabled=true``)
    value: ``Ref`` length-delimited | message (no magic byte, no id);
    headers: ``apicurio.value.contentId`` (8 bytes big-endian),
    ``apicurio.value.msgType`` (the Java class), ``apicurio.protobuf.type`` (the simple name)
Confluent framing
    ``0x00`` | id as 4 bytes big-endian | message-index array | message, where the
    array is a zig-zag varint count followed by zig-zag varint indexes and ``[0]``
    may be written as a single ``0x00``

``Ref`` is Apicurio's ``io.apicurio.registry.serde.protobuf.ref.Ref { string name = 1; }``
carrying the message's simple name (``OrderPlaced``), never its full name.
"""

from __future__ import annotations

from ss3.kafka.errors import FramingError

MAGIC_BYTE = 0
ID_SIZE = 4
HEADER_ID_SIZE = 8
MAX_ID = 2**31 - 1  # the Java serde writes the id as a signed 32-bit int
CONTENT_ID_HEADER = "apicurio.value.contentId"
GLOBAL_ID_HEADER = "apicurio.value.globalId"
MESSAGE_TYPE_HEADER = "apicurio.value.msgType"
PROTOBUF_TYPE_HEADER = "apicurio.protobuf.type"
_REF_NAME_TAG = 0x0A  # field 1, wire type 2 (length-delimited)
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


def encode_ref(name: str) -> bytes:
    """Apicurio's ``Ref{name}``, length-delimited as ``writeDelimitedTo`` writes it."""
    raw = name.encode("utf-8")
    body = bytes([_REF_NAME_TAG]) + encode_varint(len(raw)) + raw if raw else b""
    return encode_varint(len(body)) + body


def decode_ref(data: bytes, pos: int) -> tuple[str, int]:
    """The type name of the length-delimited ``Ref`` at `pos`, and the position of the message after it."""
    length, start = decode_varint(data, pos)
    end = start + length
    if end > len(data):
        raise FramingError("truncated frame: the type reference runs past the end of the record")
    name = ""
    cursor = start
    while cursor < end:
        tag, cursor = decode_varint(data, cursor)
        if tag != _REF_NAME_TAG:
            raise FramingError(f"malformed frame: unexpected field tag {tag} in the type reference")
        size, cursor = decode_varint(data, cursor)
        if cursor + size > end:
            raise FramingError("malformed frame: the type name runs past the type reference")
        try:
            name = data[cursor : cursor + size].decode("utf-8")
        except UnicodeDecodeError:
            raise FramingError("malformed frame: the type name is not UTF-8") from None
        cursor += size
    if not name:
        raise FramingError("malformed frame: the type reference names no type")
    return name, end


def encode_id(schema_id: int) -> bytes:
    if not 0 <= schema_id <= MAX_ID:
        raise ValueError(f"schema id {schema_id} does not fit the 4-byte frame")
    return schema_id.to_bytes(ID_SIZE, "big")


def payload_prefix(schema_id: int, type_name: str) -> bytes:
    """Everything an Apicurio payload-mode record holds before the message bytes."""
    return bytes([MAGIC_BYTE]) + encode_id(schema_id) + encode_ref(type_name)


def confluent_prefix(schema_id: int, index: int) -> bytes:
    """Everything a Confluent-framed record of top-level message `index` holds before the message bytes."""
    indexes = b"\x00" if index == 0 else encode_varint(zigzag(1)) + encode_varint(zigzag(index))
    return bytes([MAGIC_BYTE]) + encode_id(schema_id) + indexes


def read_magic_and_id(data: bytes) -> int:
    """The schema id of a magic-byte frame (payload mode or Confluent)."""
    if data[:1] not in (b"", bytes([MAGIC_BYTE])):
        raise FramingError(f"wrong magic byte 0x{data[0]:02x}, expected 0x00")
    if len(data) < 1 + ID_SIZE:
        raise FramingError(f"truncated frame: {len(data)} bytes, shorter than the {1 + ID_SIZE}-byte prefix")
    return int.from_bytes(data[1 : 1 + ID_SIZE], "big")


def read_payload_frame(data: bytes) -> tuple[int, str, int]:
    """Schema id, type name and the offset of the message bytes of an Apicurio payload-mode record."""
    schema_id = read_magic_and_id(data)
    try:
        name, body = decode_ref(data, 1 + ID_SIZE)
    except FramingError as error:
        raise error.located(topic=None, partition=None, offset=None, schema_id=schema_id) from None
    return schema_id, name, body


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


def encode_header_id(schema_id: int) -> bytes:
    return schema_id.to_bytes(HEADER_ID_SIZE, "big", signed=True)


def decode_header_id(value: bytes) -> int:
    if len(value) != HEADER_ID_SIZE:
        raise FramingError(f"malformed header {CONTENT_ID_HEADER}: {len(value)} bytes, expected {HEADER_ID_SIZE}")
    schema_id = int.from_bytes(value, "big", signed=True)
    if schema_id < 0:
        raise FramingError(f"malformed header {CONTENT_ID_HEADER}: negative id {schema_id}")
    return schema_id
