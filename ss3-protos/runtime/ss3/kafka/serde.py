"""Serializer and deserializer of ss3 events: the topic envelope in Confluent's wire format.

Every record of a topic is one message type, the topic's envelope (``OrderEvents`` on
``ss3.orders.order-events.v1``): the event metadata once (field 1) and the event as a
member of the oneof ``event``. Services keep programming against the concrete events:
the serializer takes ``OrderPlaced`` and writes the envelope, moving the event's own
``metadata`` to the envelope's (so it is on the wire once); the deserializer returns
``OrderPlaced`` with its ``metadata`` filled from the envelope, or the envelope itself
with ``Deserializer(..., envelope=True)``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message
from ss3.kafka import wire
from ss3.kafka.errors import ConfigError, FramingError, Ss3KafkaError, UnexpectedEventError
from ss3.kafka.registry import Registry, Schema

DEFAULT_GROUP = "default"
METADATA_FIELD = 1
EVENT_ONEOF = "event"


class SerializationContextLike(Protocol):
    """What confluent-kafka passes to a serializer: ``topic`` and ``field``."""

    topic: str


@dataclass(frozen=True)
class TopicEnvelope:
    """A topic's envelope class and its members: event class <-> oneof field number."""

    envelope: type[Message]
    number_of: Mapping[type[Message], int]
    event_of: Mapping[int, type[Message]]

    @classmethod
    def of(cls, envelope: type[Message]) -> TopicEnvelope:
        oneof = envelope.DESCRIPTOR.oneofs_by_name.get(EVENT_ONEOF)
        if oneof is None:
            raise ConfigError(f"{envelope.DESCRIPTOR.full_name} has no oneof {EVENT_ONEOF!r}: not a topic envelope")
        sample = envelope()
        number_of: dict[type[Message], int] = {}
        for field in oneof.fields:
            if field.type != FieldDescriptor.TYPE_MESSAGE:
                raise ConfigError(f"{envelope.DESCRIPTOR.full_name}.{field.name} is not an event")
            number_of[type(getattr(sample, field.name))] = field.number
        return cls(envelope, number_of, {number: event for event, number in number_of.items()})

    @property
    def name(self) -> str:
        return str(self.envelope.DESCRIPTOR.full_name)


def _default_envelopes() -> Mapping[str, type[Message]]:
    from ss3 import topics  # noqa: PLC0415 - generated; imports every events module

    return topics.TOPIC_ENVELOPE


class _Topics:
    """The envelope of each topic, shared by the serializer and the deserializer."""

    def __init__(self, envelopes: Mapping[str, type[Message]] | None) -> None:
        source = _default_envelopes() if envelopes is None else envelopes
        self._by_topic = {topic: TopicEnvelope.of(envelope) for topic, envelope in source.items()}

    def get(self, topic: str) -> TopicEnvelope:
        found = self._by_topic.get(topic)
        if found is None:
            raise UnexpectedEventError("not an ss3 event topic", topic=topic)
        return found


def _check_schema(topic: str, schema: Schema, envelope: TopicEnvelope) -> None:
    """The record's schema must have the topic's envelope as its first message (message index [0])."""
    first = schema.full_name(schema.messages[0]) if schema.messages else "no message"
    if first != envelope.name:
        raise UnexpectedEventError(
            f"schema {schema.content_id} starts with {first}, not with the topic envelope {envelope.name}: "
            "it is not a schema `ss3-schema register` made for this topic",
            topic=topic,
            schema_id=schema.content_id,
        )


class Serializer:
    """Turns an ss3 event (or its topic envelope) into the record value for its topic.

    ``Serializer(registry)(event, ctx)`` has confluent-kafka's serializer shape;
    ``serialize(topic, event)`` returns the value bytes for any client.
    """

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        group: str = DEFAULT_GROUP,
        topics: Mapping[str, type[Message]] | None = None,
    ) -> None:
        self.registry = Registry.from_env() if registry is None else registry
        self.group = group
        self._topics = _Topics(topics)
        # topic -> (record header, {event class: oneof member key; the envelope class: b""})
        self._prepared: dict[str, tuple[bytes, dict[type[Message], bytes]]] = {}
        self._lock = threading.Lock()

    def serialize(self, topic: str, event: Message) -> bytes:
        """The record value of `event` (an event of the topic, or its envelope) on `topic`."""
        header, keys = self._prepared.get(topic) or self._prepare(topic)
        key = keys.get(event.__class__)
        if key is None:
            key = self._member_key(topic, event)
        body = event.SerializeToString()
        if not key:
            return header + body
        # The event's metadata (field 1, written first) becomes the envelope's field 1;
        # the rest of the event is the oneof member. Same bytes as building the envelope.
        # Short metadata and members (one-byte lengths) skip the general varint code.
        split = 0
        if body[:1] == _METADATA_KEY and len(body) > 1:
            size, start = _short_length(body, 1, len(body))
            split = start + size if size >= 0 else wire.leading_field_end(body, METADATA_FIELD)
        size = len(body) - split
        length = _ONE_BYTE_LENGTHS[size] if size < 0x80 else wire.encode_varint(size)
        return b"".join((header, body[:split], key, length, body[split:]))

    def __call__(self, event: Message | None, ctx: SerializationContextLike) -> bytes | None:
        if event is None:
            return None
        if getattr(ctx, "field", None) == "key":
            raise ConfigError("the ss3 serializer writes record values, not keys", topic=ctx.topic)
        return self.serialize(ctx.topic, event)

    def _member_key(self, topic: str, event: object) -> bytes:
        envelope = self._topics.get(topic)
        if not isinstance(event, Message):
            raise UnexpectedEventError(f"{type(event).__name__} is not a protobuf message", topic=topic)
        name = event.DESCRIPTOR.full_name
        known = ", ".join(sorted(cls.DESCRIPTOR.name for cls in envelope.number_of))
        raise UnexpectedEventError(
            f"{name} is not an event of this topic (its events: {known}; its envelope: {envelope.name})", topic=topic
        )

    def _prepare(self, topic: str) -> tuple[bytes, dict[type[Message], bytes]]:
        envelope = self._topics.get(topic)
        artifact = f"{topic}-value"
        try:
            content_id = self.registry.latest_content_id(self.group, artifact)
            schema = self.registry.schema(content_id)
        except Ss3KafkaError as error:
            raise error.located(topic=topic, partition=None, offset=None) from None
        try:
            _check_schema(topic, schema, envelope)
        except UnexpectedEventError as error:
            raise UnexpectedEventError(
                f"the latest version of {artifact!r} in group {self.group!r}: {error.reason}",
                topic=topic,
                schema_id=content_id,
            ) from None
        keys = {cls: wire.field_key(number) for cls, number in envelope.number_of.items()}
        keys[envelope.envelope] = b""
        prepared = (wire.confluent_prefix(content_id), keys)
        with self._lock:
            self._prepared[topic] = prepared
        return prepared


class Deserializer:
    """Turns the record value of an ss3 topic into the generated event class (or the envelope).

    ``Deserializer(registry)(value, ctx)`` has confluent-kafka's deserializer shape;
    ``deserialize(topic, value, partition=..., offset=...)`` serves any client, and
    ``deserialize_message(msg)`` takes a confluent-kafka ``Message`` (so errors name its
    partition and offset). With ``envelope=True`` it returns the topic envelope itself.
    """

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        envelope: bool = False,
        topics: Mapping[str, type[Message]] | None = None,
    ) -> None:
        self.registry = Registry.from_env() if registry is None else registry
        self.envelope = envelope
        self._topics = _Topics(topics)
        # topic -> record headers (magic, id, indexes) already checked against the registry
        self._checked: dict[str, set[bytes]] = {}
        # topic -> (the checked headers, one-byte member key -> event class): the fast path
        self._fast: dict[str, tuple[set[bytes], dict[int, type[Message]]]] = {}
        self._lock = threading.Lock()

    def __call__(self, value: bytes | None, ctx: SerializationContextLike) -> Message | None:
        return self.deserialize(ctx.topic, value)

    def deserialize_message(self, message: Any) -> Message | None:
        """Decode a confluent-kafka ``Message`` (anything with topic(), partition(), offset(), value(), headers())."""
        return self.deserialize(
            message.topic(),
            message.value(),
            message.headers(),
            partition=message.partition(),
            offset=message.offset(),
        )

    def deserialize(
        self,
        topic: str,
        value: bytes | None,
        headers: HeadersIn = None,
        *,
        partition: int | None = None,
        offset: int | None = None,
    ) -> Message | None:
        """The event in `value`; None for a tombstone (no value). Raises an Ss3KafkaError subclass.

        `headers` (the record's, as pairs or a dict) only make an error clearer: a record
        without the magic byte that carries ``apicurio.*`` headers came from a producer
        configured for Apicurio's headers framing, and the error says so.
        """
        if value is None:
            return None
        if value[:1] not in (b"", bytes([wire.MAGIC_BYTE])):
            _refuse_headers_framed(topic, value, headers, partition, offset)
        fast = self._fast.get(topic)
        if fast is not None and value[: wire.HEADER_SIZE] in fast[0] and not self.envelope:
            event = _unwrap_common_layout(fast[1], value)
            if event is not None:
                return event
        try:
            envelope = self._topics.get(topic)
            body = self._checked_header(topic, envelope, value)
            if self.envelope:
                return _parse(envelope.envelope, value, body)
            return self._unwrap(envelope, value, body)
        except Ss3KafkaError as error:
            raise error.located(topic=topic, partition=partition, offset=offset) from None

    def _checked_header(self, topic: str, envelope: TopicEnvelope, value: bytes) -> int:
        """Where the envelope starts, once the record's header was checked (once per schema id)."""
        checked = self._checked.get(topic)
        if checked is not None:
            # The long form [0] (Java's and ours) first, then Confluent's short one.
            if value[: wire.HEADER_SIZE] in checked:
                return wire.HEADER_SIZE
            if value[: wire.HEADER_SIZE - 1] in checked:
                return wire.HEADER_SIZE - 1
        schema_id, indexes, body = wire.read_confluent_frame(bytes(value))
        if indexes != (0,):
            raise UnexpectedEventError(
                f"message index {list(indexes)} is not the topic envelope {envelope.name} (index [0])",
                schema_id=schema_id,
            )
        try:
            _check_schema(topic, self.registry.schema(schema_id), envelope)
        except Ss3KafkaError as error:
            raise error.located(topic=None, partition=None, offset=None, schema_id=schema_id) from None
        with self._lock:
            checked = self._checked.setdefault(topic, set())
            checked.add(bytes(value[:body]))
            keys = {number << 3 | wire.LENGTH_DELIMITED: cls for number, cls in envelope.event_of.items()}
            self._fast[topic] = (checked, {key: cls for key, cls in keys.items() if key < 0x80})
        return body

    def _unwrap(self, envelope: TopicEnvelope, value: bytes, body: int) -> Message:
        schema_id = int.from_bytes(value[1 : 1 + wire.ID_SIZE], "big")
        try:
            metadata, member = wire.envelope_fields(value, body)
        except FramingError as error:
            raise error.located(topic=None, partition=None, offset=None, schema_id=schema_id) from None
        if member is None:
            raise FramingError(f"the {envelope.name} in the record holds no event", schema_id=schema_id)
        number, start, stop = member
        cls = envelope.event_of.get(number)
        if cls is None:
            raise UnexpectedEventError(
                f"the record's event is member {number} of {envelope.name}{self._named(schema_id, number)}, "
                "an event type this version of ss3-protos does not know (a newer one: upgrade the wheel, "
                "or skip the record)",
                schema_id=schema_id,
            )
        # The envelope's metadata is appended after the event's bytes, so it is what the
        # returned event carries (protobuf merges repeated occurrences, the last one winning).
        event_bytes = value[start:stop] if metadata is None else value[start:stop] + value[metadata[0] : metadata[1]]
        return _parse(cls, event_bytes, 0, schema_id)

    def _named(self, schema_id: int, number: int) -> str:
        """` (<Type> in the record's schema)` when that schema (looked up already) names the member."""
        try:
            name = self.registry.schema(schema_id).member_name(number)
        except Ss3KafkaError:
            return ""
        return f" ({name} in the record's schema)" if name else ""


HeadersIn = Mapping[str, bytes | None] | list[tuple[str, bytes | None]] | None


def _apicurio_header_names(headers: HeadersIn) -> list[str]:
    """The distinct `apicurio.*` header names a record carries, in order, printable."""
    if not headers:
        return []
    names = headers.keys() if isinstance(headers, Mapping) else (pair[0] for pair in headers)
    seen = dict.fromkeys(n for n in names if isinstance(n, str) and n.startswith("apicurio."))
    return [ascii(name)[1:-1] for name in seen]


def _refuse_headers_framed(
    topic: str, value: bytes, headers: HeadersIn, partition: int | None, offset: int | None
) -> None:
    """A value without the magic byte that comes with apicurio.* headers was written in headers framing."""
    seen = _apicurio_header_names(headers)
    if seen:
        raise FramingError(
            f"wrong magic byte 0x{value[0]:02x}, expected 0x00: the record carries {', '.join(seen)}, "
            "so its producer uses Apicurio's headers framing (apicurio.registry.headers.enabled=true), "
            "not the Confluent framing every ss3 topic uses",
            topic=topic,
            partition=partition,
            offset=offset,
        )


_METADATA_KEY = bytes([METADATA_FIELD << 3 | wire.LENGTH_DELIMITED])
_ONE_BYTE_LENGTHS = [bytes([size]) for size in range(0x80)]


def _unwrap_common_layout(members: Mapping[int, type[Message]], value: bytes) -> Message | None:
    """The event of a record laid out as serializers write it (metadata, then the member, with
    one-byte keys and lengths below 16 KiB), or None to take the general path (which also
    reports errors)."""
    start = wire.HEADER_SIZE
    end = len(value)
    if end < start + 4 or value[start] != _METADATA_KEY[0]:
        return None
    meta_size, member = _short_length(value, start + 1, end)
    member += meta_size
    if meta_size < 0 or member + 2 > end:
        return None
    cls = members.get(value[member])
    size, body = _short_length(value, member + 1, end)
    if cls is None or size < 0 or body + size != end:
        return None
    try:
        return cls.FromString(value[body:] + value[start:member])
    except Exception:  # any backend's parse failure: the general path reports it as a FramingError
        return None


def _short_length(value: bytes, pos: int, end: int) -> tuple[int, int]:
    """A length of one or two varint bytes at `pos` and where its data starts; (-1, end) otherwise."""
    first = value[pos]
    if first < 0x80:
        return first, pos + 1
    if pos + 1 < end and value[pos + 1] < 0x80:
        return (first & 0x7F) | value[pos + 1] << 7, pos + 2
    return -1, end


def _parse(cls: type[Message], value: bytes, start: int, schema_id: int | None = None) -> Message:
    """The message in `value[start:]`, or FramingError, on every protobuf backend.

    upb raises DecodeError; the pure-Python backend also lets UnicodeDecodeError (a
    string field that is not UTF-8), struct.error, IndexError and others escape, so
    every failure of the parser is taken as what it is: bytes that are not this message.
    """
    if schema_id is None and start:
        schema_id = int.from_bytes(value[1 : 1 + wire.ID_SIZE], "big")
    try:
        return cls.FromString(value[start:] if start else value)
    except Exception as error:
        problem = "" if isinstance(error, DecodeError) else f" ({type(error).__name__})"
        raise FramingError(
            f"the message bytes are not a valid {cls.DESCRIPTOR.full_name}{problem}", schema_id=schema_id
        ) from None
