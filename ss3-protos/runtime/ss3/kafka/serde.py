"""Serializer and deserializer of ss3 events in Apicurio's (or, per topic, Confluent's) wire format."""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from google.protobuf.message import DecodeError, Message
from ss3.kafka import wire
from ss3.kafka.errors import ConfigError, FramingError, Ss3KafkaError, UnexpectedEventError
from ss3.kafka.registry import Registry, Schema

DEFAULT_GROUP = "default"

Header = tuple[str, bytes | None]
HeadersIn = Sequence[Header] | Mapping[str, bytes | None] | None


class Framing(enum.Enum):
    """How a topic's records carry their schema id and type; one per topic, never mixed.

    PAYLOAD    Apicurio's default: magic byte, 4-byte content id and ``Ref`` in the value.
    HEADERS    Apicurio headers mode: ids and type names in record headers, ``Ref`` + message in the value.
    CONFLUENT  Confluent's framing: magic byte, 4-byte id and message indexes in the value.
    """

    PAYLOAD = "payload"
    HEADERS = "headers"
    CONFLUENT = "confluent"


class Record(NamedTuple):
    """A serialized event: the record value and the headers to send with it (empty unless HEADERS)."""

    value: bytes
    headers: list[tuple[str, bytes]]


class SerializationContextLike(Protocol):
    """What confluent-kafka passes to a serializer: ``topic``, ``field`` and ``headers``."""

    topic: str
    headers: Any


def _default_topics() -> Mapping[str, Sequence[type[Message]]]:
    from ss3 import topics  # noqa: PLC0415 - generated; imports every events module

    return topics.TOPIC_EVENTS


class _TopicSettings:
    """Framing and event classes per topic, shared by the serializer and the deserializer."""

    def __init__(
        self,
        framing: Framing | Mapping[str, Framing],
        events: Mapping[str, Sequence[type[Message]]] | None,
    ) -> None:
        self._framing = framing
        self.events = _default_topics() if events is None else events
        self.by_name = {
            topic: {cls.DESCRIPTOR.full_name: cls for cls in classes} for topic, classes in self.events.items()
        }
        if isinstance(framing, Mapping):
            for topic, mode in framing.items():
                if not isinstance(mode, Framing):
                    raise ConfigError(f"framing of topic {topic} must be a Framing, not {mode!r}")

    def framing(self, topic: str) -> Framing:
        if isinstance(self._framing, Framing):
            return self._framing
        try:
            return self._framing[topic]
        except KeyError:
            raise ConfigError("no framing configured for this topic", topic=topic) from None

    def event_class(self, topic: str, full_name: str) -> type[Message]:
        classes = self.by_name.get(topic)
        if classes is None:
            raise UnexpectedEventError("not an ss3 event topic", topic=topic)
        cls = classes.get(full_name)
        if cls is None:
            known = ", ".join(sorted(classes))
            raise UnexpectedEventError(f"{full_name} is not an event of this topic (its events: {known})", topic=topic)
        return cls


_JAVA_NAMES: dict[type[Message], str] = {}


def java_class_name(cls: type[Message]) -> str:
    """The Java class protoc generates for `cls`, as Apicurio writes it in ``apicurio.value.msgType``."""
    name = _JAVA_NAMES.get(cls)
    if name is None:
        name = _JAVA_NAMES[cls] = _derive_java_class_name(cls)
    return name


def _derive_java_class_name(cls: type[Message]) -> str:
    descriptor = cls.DESCRIPTOR
    options = descriptor.file.GetOptions()
    package = options.java_package if options.HasField("java_package") else descriptor.file.package
    nested = []
    current: Any = descriptor  # protobuf stubs type the upb and pure-Python descriptors apart
    while current is not None:
        nested.append(current.name)
        current = current.containing_type
    inner = "$".join(reversed(nested))
    if not options.java_multiple_files:
        outer = options.java_outer_classname or _default_outer_class(descriptor.file.name)
        inner = f"{outer}${inner}"
    return f"{package}.{inner}" if package else inner


def _default_outer_class(file_name: str) -> str:
    stem = file_name.rsplit("/", 1)[-1].removesuffix(".proto")
    return "".join(part[:1].upper() + part[1:] for part in stem.replace("-", "_").split("_"))


class Serializer:
    """Turns an ss3 event into record bytes (and headers) for its topic.

    ``Serializer(registry)(event, ctx)`` has confluent-kafka's serializer shape;
    ``serialize(topic, event)`` returns a :class:`Record` for any client.
    """

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        framing: Framing | Mapping[str, Framing] = Framing.PAYLOAD,
        group: str = DEFAULT_GROUP,
        topics: Mapping[str, Sequence[type[Message]]] | None = None,
    ) -> None:
        self.registry = Registry.from_env() if registry is None else registry
        self.group = group
        self._topics = _TopicSettings(framing, topics)
        self._prepared: dict[str, dict[type[Message], tuple[bytes, tuple[tuple[str, bytes], ...]]]] = {}
        self._lock = threading.Lock()

    def serialize(self, topic: str, event: Message) -> Record:
        """The record value and headers of `event` on `topic`."""
        try:
            prefix, headers = self._prepared[topic][event.__class__]
        except KeyError:
            prefix, headers = self._remember(topic, event)
        return Record(prefix + event.SerializeToString(), list(headers) if headers else [])

    def __call__(self, event: Message | None, ctx: SerializationContextLike) -> bytes | None:
        if event is None:
            return None
        try:
            prefix, headers = self._prepared[ctx.topic][event.__class__]
        except KeyError:
            if getattr(ctx, "field", None) == "key":
                raise ConfigError("the ss3 serializer writes record values, not keys", topic=ctx.topic) from None
            prefix, headers = self._remember(ctx.topic, event)
        if headers:
            _add_headers(ctx, headers, ctx.topic)
        return prefix + event.SerializeToString()

    def _remember(self, topic: str, event: Message) -> tuple[bytes, tuple[tuple[str, bytes], ...]]:
        """Resolve and cache what precedes (and accompanies) every record of this type on this topic."""
        prepared = self._prepare(topic, type(event))
        with self._lock:
            self._prepared.setdefault(topic, {})[type(event)] = prepared
        return prepared

    def _prepare(self, topic: str, cls: type[Message]) -> tuple[bytes, tuple[tuple[str, bytes], ...]]:
        if not issubclass(cls, Message):
            raise UnexpectedEventError(f"{cls.__name__} is not a protobuf message", topic=topic)
        framing = self._topics.framing(topic)
        full_name = cls.DESCRIPTOR.full_name
        self._topics.event_class(topic, full_name)
        artifact = f"{topic}-value"
        try:
            content_id = self.registry.latest_content_id(self.group, artifact)
            schema = self.registry.schema(content_id)
        except Ss3KafkaError as error:
            raise error.located(topic=topic, partition=None, offset=None) from None
        simple = cls.DESCRIPTOR.name
        if schema.full_name(simple) != full_name or simple not in schema.messages:
            raise UnexpectedEventError(
                f"the latest version of {artifact!r} in group {self.group!r} does not declare {full_name}: "
                "its latest version must be the one `ss3-schema register` made from the schemas of this event",
                topic=topic,
                schema_id=content_id,
            )
        if framing is Framing.CONFLUENT:
            return wire.confluent_prefix(content_id, schema.messages.index(simple)), ()
        if framing is Framing.HEADERS:
            headers = (
                (wire.CONTENT_ID_HEADER, wire.encode_header_id(content_id)),
                (wire.MESSAGE_TYPE_HEADER, java_class_name(cls).encode("utf-8")),
                (wire.PROTOBUF_TYPE_HEADER, simple.encode("utf-8")),
            )
            return wire.encode_ref(simple), headers
        return wire.payload_prefix(content_id, simple), ()


def _add_headers(ctx: SerializationContextLike, headers: Iterable[tuple[str, bytes]], topic: str) -> None:
    target = ctx.headers
    if isinstance(target, list):
        target.extend(headers)
    elif isinstance(target, dict):
        target.update(headers)
    else:
        raise ConfigError(
            "headers framing needs a mutable headers list: produce(..., headers=[]) "
            "or use Serializer.serialize(topic, event)",
            topic=topic,
        )


class Deserializer:
    """Turns record bytes (and headers) of an ss3 topic into the generated event class.

    ``Deserializer(registry)(value, ctx)`` has confluent-kafka's deserializer shape;
    ``deserialize(topic, value, headers, partition=..., offset=...)`` serves any client,
    and ``deserialize_message(msg)`` takes a confluent-kafka ``Message`` (so errors name
    its partition and offset).
    """

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        framing: Framing | Mapping[str, Framing] = Framing.PAYLOAD,
        topics: Mapping[str, Sequence[type[Message]]] | None = None,
    ) -> None:
        self.registry = Registry.from_env() if registry is None else registry
        self._topics = _TopicSettings(framing, topics)
        # The fast paths: topic -> record prefix (magic, id, Ref) -> class, and topic ->
        # (id header, type header, Java type header, Ref) -> class.
        self._payload_prefixes: dict[str, dict[bytes, type[Message]]] = {}
        self._headers_prefixes: dict[str, dict[tuple[bytes | None, ...], type[Message]]] = {}
        # (topic, schema id, type name or index path) -> class
        self._resolved: dict[tuple[str, int, object], type[Message]] = {}
        self._lock = threading.Lock()

    def __call__(self, value: bytes | None, ctx: SerializationContextLike) -> Message | None:
        return self.deserialize(ctx.topic, value, ctx.headers)

    def deserialize_message(self, message: Any) -> Message | None:
        """Decode a confluent-kafka ``Message`` (anything with topic(), partition(), offset(), headers(), value())."""
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
        """The event in `value`; None for a tombstone (no value). Raises an Ss3KafkaError subclass."""
        if value is None:
            return None
        # Fast paths: a record framed exactly like one checked before. Only prefixes (and
        # type headers) that passed every check are remembered, so a short record, an
        # unknown prefix or a long ``Ref`` simply takes the full path.
        payload = self._payload_prefixes.get(topic)
        if payload is not None and len(value) > 5:
            start = 6 + value[5]
            cls = payload.get(value[:start])
        else:
            cls, start = self._seen_with_headers(topic, value, headers)
        if cls is not None:
            try:
                return cls.FromString(value[start:])
            except Exception:  # noqa: S110 - any backend's parse failure; the full path reports it
                pass
        try:
            return self._decode(topic, bytes(value), headers)
        except Ss3KafkaError as error:
            raise error.located(topic=topic, partition=partition, offset=offset) from None

    def _seen_with_headers(self, topic: str, value: bytes, headers: HeadersIn) -> tuple[type[Message] | None, int]:
        """The class and message offset of a headers-mode record framed like one checked before."""
        framed = self._headers_prefixes.get(topic)
        if framed is not None and headers is not None and value:
            end = 1 + value[0]
            return framed.get((*_apicurio_headers(headers), value[:end])), end
        return None, 0

    def _decode(self, topic: str, value: bytes, headers: HeadersIn) -> Message:
        framing = self._topics.framing(topic)
        if framing is not Framing.HEADERS and value[:1] not in (b"", bytes([wire.MAGIC_BYTE])):
            _refuse_headers_framed(value, headers, framing)
        if framing is Framing.PAYLOAD:
            schema_id, name, body = wire.read_payload_frame(value)
            cls = self._class_for_name(topic, schema_id, name)
            self._remember_prefix(topic, value[:body], cls)
        elif framing is Framing.HEADERS:
            schema_id, name, body = self._read_headers_frame(value, headers)
            cls = self._class_for_name(topic, schema_id, name)
            _check_header_types(headers, cls, name, schema_id)
            self._remember_headers(topic, (*_apicurio_headers(headers), value[:body]), cls)
        else:
            schema_id, indexes, body = wire.read_confluent_frame(value)
            cls = self._class_for_indexes(topic, schema_id, indexes)
        return _parse(cls, value[body:], schema_id)

    def _read_headers_frame(self, value: bytes, headers: HeadersIn) -> tuple[int, str, int]:
        raw = _last_header(headers, wire.CONTENT_ID_HEADER)
        if raw is None:
            hint = (
                " (it carries a globalId; ss3 producers use contentId)"
                if _last_header(headers, wire.GLOBAL_ID_HEADER)
                else ""
            )
            seen = _apicurio_header_names(headers)
            if not hint and seen:
                hint = f" (it carries {', '.join(seen)})"
            elif not hint and value[:1] == bytes([wire.MAGIC_BYTE]):
                hint = " (the value starts with magic byte 0x00 and no apicurio.* header came: payload framing?)"
            raise FramingError(f"header {wire.CONTENT_ID_HEADER} is missing{hint}")
        schema_id = wire.decode_header_id(raw)
        try:
            name, body = wire.decode_ref(value, 0)
        except FramingError as error:
            raise error.located(topic=None, partition=None, offset=None, schema_id=schema_id) from None
        return schema_id, name, body

    def _class_for_name(self, topic: str, schema_id: int, name: str) -> type[Message]:
        key = (topic, schema_id, name)
        cls = self._resolved.get(key)
        if cls is None:
            schema = self._schema(schema_id)
            if name not in schema.messages:
                raise UnexpectedEventError(f"schema {schema_id} declares no message {name!r}", schema_id=schema_id)
            cls = self._event_class(topic, schema, schema.full_name(name))
            with self._lock:
                self._resolved[key] = cls
        return cls

    def _class_for_indexes(self, topic: str, schema_id: int, indexes: tuple[int, ...]) -> type[Message]:
        key = (topic, schema_id, indexes)
        cls = self._resolved.get(key)
        if cls is None:
            schema = self._schema(schema_id)
            if len(indexes) != 1 or not 0 <= indexes[0] < len(schema.messages):
                raise UnexpectedEventError(
                    f"message index {list(indexes)} names no top-level message of schema {schema_id}",
                    schema_id=schema_id,
                )
            cls = self._event_class(topic, schema, schema.full_name(schema.messages[indexes[0]]))
            with self._lock:
                self._resolved[key] = cls
        return cls

    def _schema(self, schema_id: int) -> Schema:
        try:
            return self.registry.schema(schema_id)
        except Ss3KafkaError as error:
            raise error.located(topic=None, partition=None, offset=None, schema_id=schema_id) from None

    def _event_class(self, topic: str, schema: Schema, full_name: str) -> type[Message]:
        try:
            return self._topics.event_class(topic, full_name)
        except Ss3KafkaError as error:
            raise error.located(topic=topic, partition=None, offset=None, schema_id=schema.content_id) from None

    def _remember_prefix(self, topic: str, prefix: bytes, cls: type[Message]) -> None:
        if len(prefix) > 5 and prefix[5] < 0x80:
            with self._lock:
                self._payload_prefixes.setdefault(topic, {})[prefix] = cls

    def _remember_headers(self, topic: str, key: tuple[bytes | None, ...], cls: type[Message]) -> None:
        ref = key[-1]
        if isinstance(ref, bytes) and ref[:1] and ref[0] < 0x80:
            with self._lock:
                self._headers_prefixes.setdefault(topic, {})[key] = cls


def _parse(cls: type[Message], data: bytes, schema_id: int) -> Message:
    """The message in `data`, or FramingError, on every protobuf backend.

    upb raises DecodeError; the pure-Python backend also lets UnicodeDecodeError (a
    string field that is not UTF-8), struct.error, IndexError and others escape, so
    every failure of the parser is taken as what it is: bytes that are not this message.
    """
    try:
        return cls.FromString(data)
    except Exception as error:
        problem = "" if isinstance(error, DecodeError) else f" ({type(error).__name__})"
        raise FramingError(
            f"the message bytes are not a valid {cls.DESCRIPTOR.full_name}{problem}", schema_id=schema_id
        ) from None


def _apicurio_headers(headers: HeadersIn) -> tuple[bytes | None, ...]:
    """The last values of the id and type headers, in one pass."""
    if headers is None:
        return (None, None, None)
    # Lists first: what Kafka clients hand over, and a much cheaper check than the Mapping ABC.
    if not isinstance(headers, (list, tuple)) and isinstance(headers, Mapping):
        return tuple(headers.get(name) for name in _TYPE_HEADERS)
    content_id = protobuf_type = java_type = None
    for name, value in headers:
        if name == wire.CONTENT_ID_HEADER:
            content_id = value
        elif name == wire.PROTOBUF_TYPE_HEADER:
            protobuf_type = value
        elif name == wire.MESSAGE_TYPE_HEADER:
            java_type = value
    return content_id, protobuf_type, java_type


_TYPE_HEADERS = (wire.CONTENT_ID_HEADER, wire.PROTOBUF_TYPE_HEADER, wire.MESSAGE_TYPE_HEADER)


def _last_header(headers: HeadersIn, name: str) -> bytes | None:
    """The last value of header `name` (Kafka's lastHeader), from a list of pairs or a dict."""
    if headers is None:
        return None
    if isinstance(headers, Mapping):
        return headers.get(name)
    found = None
    for key, value in headers:
        if key == name:
            found = value
    return found


def _apicurio_header_names(headers: HeadersIn) -> list[str]:
    """The distinct `apicurio.*` header names a record carries, in order, printable."""
    if headers is None:
        return []
    names = headers.keys() if isinstance(headers, Mapping) else (name for name, _ in headers)
    seen = dict.fromkeys(n for n in names if isinstance(n, str) and n.startswith("apicurio."))
    return [ascii(name)[1:-1] for name in seen]


def _refuse_headers_framed(value: bytes, headers: HeadersIn, framing: Framing) -> None:
    """A value without the magic byte that comes with apicurio.* headers was written in headers framing."""
    seen = _apicurio_header_names(headers)
    if seen:
        raise FramingError(
            f"wrong magic byte 0x{value[0]:02x}, expected 0x00: the record carries {', '.join(seen)}, "
            f"so its producer uses headers framing (apicurio.registry.headers.enabled=true) "
            f"while this topic is read as {framing.name}"
        )


def _check_header_types(headers: HeadersIn, cls: type[Message], name: str, schema_id: int) -> None:
    """The type headers, when present, must agree with the value's ``Ref`` (the Java serde trusts msgType)."""
    declared = _last_header(headers, wire.PROTOBUF_TYPE_HEADER)
    if declared is not None and declared != name.encode("utf-8"):
        raise FramingError(
            f"header {wire.PROTOBUF_TYPE_HEADER} says {declared.decode('utf-8', 'replace')!r} "
            f"but the value's type reference says {name!r}",
            schema_id=schema_id,
        )
    java = _last_header(headers, wire.MESSAGE_TYPE_HEADER)
    if java is not None and java != java_class_name(cls).encode("utf-8"):
        raise FramingError(
            f"header {wire.MESSAGE_TYPE_HEADER} says {java.decode('utf-8', 'replace')!r} "
            f"but the value's type reference says {name!r}",
            schema_id=schema_id,
        )
