"""What the catalog shows, read from a compiled image: topics, events, the types they use.

Only the compiled descriptors are read (names, numbers, JSON names, options and
the doc comments buf keeps in SourceCodeInfo), never the `.proto` text, so the
catalog shows exactly what producers and consumers compile.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from google.protobuf import descriptor_pb2

from ss3_schema.schema.events import ENVELOPE_TYPE, file_topic, is_event
from ss3_schema.schema.image import Image

FieldProto = descriptor_pb2.FieldDescriptorProto
# Field numbers inside descriptor.proto, to address SourceCodeInfo paths.
FILE_MESSAGE, FILE_ENUM = 4, 5
MESSAGE_FIELD, MESSAGE_NESTED, MESSAGE_ENUM = 2, 3, 4
ENUM_VALUE = 2
ARTIFACT_GROUP = "default"
WELL_KNOWN_PREFIX = "google.protobuf."

SCALAR_NAMES = {
    FieldProto.TYPE_DOUBLE: "double",
    FieldProto.TYPE_FLOAT: "float",
    FieldProto.TYPE_INT64: "int64",
    FieldProto.TYPE_UINT64: "uint64",
    FieldProto.TYPE_INT32: "int32",
    FieldProto.TYPE_FIXED64: "fixed64",
    FieldProto.TYPE_FIXED32: "fixed32",
    FieldProto.TYPE_BOOL: "bool",
    FieldProto.TYPE_STRING: "string",
    FieldProto.TYPE_BYTES: "bytes",
    FieldProto.TYPE_UINT32: "uint32",
    FieldProto.TYPE_SFIXED32: "sfixed32",
    FieldProto.TYPE_SFIXED64: "sfixed64",
    FieldProto.TYPE_SINT32: "sint32",
    FieldProto.TYPE_SINT64: "sint64",
}
REFERENCE_TYPES = (FieldProto.TYPE_MESSAGE, FieldProto.TYPE_ENUM, FieldProto.TYPE_GROUP)


@dataclass(frozen=True)
class TypeRef:
    """A field's value type: a scalar name, or the full name (no leading dot) of a message or enum."""

    name: str
    kind: str  # "scalar", "message" or "enum"

    @property
    def is_scalar(self) -> bool:
        return self.kind == "scalar"


@dataclass(frozen=True)
class Field:
    name: str
    number: int
    json_name: str
    value: TypeRef
    doc: str
    deprecated: bool
    repeated: bool = False
    optional: bool = False  # proto3 `optional`: explicit presence
    map_key: str | None = None  # set for map fields; `value` is then the map's value type
    oneof: str | None = None  # the real (not synthetic) oneof it belongs to
    added_in: str | None = None

    @property
    def type_label(self) -> str:
        if self.map_key is not None:
            return f"map<{self.map_key}, {self.value.name}>"
        prefix = "repeated " if self.repeated else "optional " if self.optional else ""
        return prefix + self.value.name


@dataclass(frozen=True)
class EnumValue:
    name: str
    number: int
    doc: str
    deprecated: bool
    added_in: str | None = None


@dataclass(frozen=True)
class Enum:
    full_name: str
    package: str
    file: str
    doc: str
    deprecated: bool
    values: tuple[EnumValue, ...]
    added_in: str | None = None


@dataclass(frozen=True)
class Message:
    full_name: str
    package: str
    file: str
    doc: str
    deprecated: bool
    fields: tuple[Field, ...]
    java_class: str
    is_event: bool = False
    topic: str | None = None
    added_in: str | None = None

    @property
    def name(self) -> str:
        return self.full_name.rsplit(".", 1)[-1]

    @property
    def short_name(self) -> str:
        """The name inside its package (Outer.Inner for a nested message)."""
        return self.full_name.removeprefix(f"{self.package}.") if self.package else self.full_name


@dataclass(frozen=True)
class Topic:
    name: str
    file: str
    package: str
    events: tuple[str, ...]  # full names of its event messages, in file order

    @property
    def artifact_id(self) -> str:
        """The artifact the Apicurio serdes look up for the topic's values (TopicIdStrategy)."""
        return f"{self.name}-value"


@dataclass
class Catalog:
    version: str
    topics: list[Topic]
    messages: dict[str, Message] = field(default_factory=dict)  # full name -> message, reachable from events
    enums: dict[str, Enum] = field(default_factory=dict)
    envelope: str = ENVELOPE_TYPE.lstrip(".")

    def events(self) -> Iterator[Message]:
        for topic in self.topics:
            yield from (self.messages[name] for name in topic.events)

    def types(self) -> list[Message]:
        """The messages that are not events, by full name (the envelope among them)."""
        return sorted((m for m in self.messages.values() if not m.is_event), key=lambda m: m.full_name)


@dataclass
class _Declared:
    """Every message and enum of the image, by full name, with where its comments live."""

    messages: dict[str, tuple[descriptor_pb2.DescriptorProto, descriptor_pb2.FileDescriptorProto, list[int]]]
    enums: dict[str, tuple[descriptor_pb2.EnumDescriptorProto, descriptor_pb2.FileDescriptorProto, list[int]]]
    comments: dict[str, dict[tuple[int, ...], str]]  # file -> path -> doc comment


def read_catalog(image: Image, version: str) -> Catalog:
    """The topics and events of the image's own files and every type they use, transitively."""
    declared = _declare(image)
    catalog = Catalog(version, _topics(image))
    topic_of = {event: topic.name for topic in catalog.topics for event in topic.events}
    pending = [name for topic in catalog.topics for name in topic.events]
    while pending:
        name = pending.pop()
        if name in catalog.messages or name not in declared.messages or is_well_known(name):
            continue
        message = _message(declared, name, topic_of.get(name))
        catalog.messages[name] = message
        for f in message.fields:
            if f.value.kind == "message":
                pending.append(f.value.name)
            elif f.value.kind == "enum" and f.value.name not in catalog.enums and f.value.name in declared.enums:
                catalog.enums[f.value.name] = _enum(declared, f.value.name)
    return catalog


def is_well_known(full_name: str) -> bool:
    """google.protobuf types: their JSON form is special (Timestamp is an RFC 3339 string), shown, not listed."""
    return full_name.startswith(WELL_KNOWN_PREFIX)


def _topics(image: Image) -> list[Topic]:
    topics = []
    for fd in image.own_files():
        topic = file_topic(fd)
        events = tuple(_full(fd.package, m.name) for m in fd.message_type if is_event(m))
        if topic is not None and events:
            topics.append(Topic(topic, fd.name, fd.package, events))
    return sorted(topics, key=lambda t: t.name)


def _full(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _declare(image: Image) -> _Declared:
    declared = _Declared({}, {}, {})
    for fd in image.files:
        declared.comments[fd.name] = _comments(fd)
        for index, message in enumerate(fd.message_type):
            _declare_message(declared, fd, message, fd.package, [FILE_MESSAGE, index])
        for index, enum in enumerate(fd.enum_type):
            declared.enums[_full(fd.package, enum.name)] = (enum, fd, [FILE_ENUM, index])
    return declared


def _declare_message(
    declared: _Declared,
    fd: descriptor_pb2.FileDescriptorProto,
    message: descriptor_pb2.DescriptorProto,
    prefix: str,
    path: list[int],
) -> None:
    name = _full(prefix, message.name)
    declared.messages[name] = (message, fd, path)
    for index, nested in enumerate(message.nested_type):
        _declare_message(declared, fd, nested, name, [*path, MESSAGE_NESTED, index])
    for index, enum in enumerate(message.enum_type):
        declared.enums[_full(name, enum.name)] = (enum, fd, [*path, MESSAGE_ENUM, index])


def _comments(fd: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    found = {}
    for location in fd.source_code_info.location:
        text = location.leading_comments or location.trailing_comments
        if text.strip():
            found[tuple(location.path)] = _clean_comment(text)
    return found


def _clean_comment(text: str) -> str:
    # protoc keeps the single space after `//` on every line; drop it and surrounding blank lines.
    lines = [line[1:] if line.startswith(" ") else line for line in text.split("\n")]
    return "\n".join(lines).strip()


def _message(declared: _Declared, name: str, topic: str | None) -> Message:
    message, fd, path = declared.messages[name]
    comments = declared.comments[fd.name]
    fields = tuple(
        _field(declared, message, f, comments.get((*path, MESSAGE_FIELD, index), ""))
        for index, f in enumerate(message.field)
    )
    return Message(
        full_name=name,
        package=fd.package,
        file=fd.name,
        doc=comments.get(tuple(path), ""),
        deprecated=message.options.deprecated,
        fields=fields,
        java_class=java_class(fd, name),
        is_event=topic is not None,
        topic=topic,
    )


def java_class(fd: descriptor_pb2.FileDescriptorProto, full_name: str) -> str:
    """The class protoc's Java generator writes for a message (java_multiple_files is set on every file)."""
    package = fd.options.java_package or fd.package
    return _full(package, full_name.removeprefix(f"{fd.package}.") if fd.package else full_name)


def _field(declared: _Declared, message: descriptor_pb2.DescriptorProto, f: FieldProto, doc: str) -> Field:
    oneof = None
    if f.HasField("oneof_index") and not f.proto3_optional:
        oneof = message.oneof_decl[f.oneof_index].name
    map_entry = _map_entry(declared, f)
    value, map_key = type_ref(f), None
    if map_entry is not None:
        value, map_key = type_ref(map_entry.field[1]), type_ref(map_entry.field[0]).name
    return Field(
        name=f.name,
        number=f.number,
        json_name=f.json_name or default_json_name(f.name),
        value=value,
        doc=doc,
        deprecated=f.options.deprecated,
        repeated=map_entry is None and f.label == FieldProto.LABEL_REPEATED,
        optional=f.proto3_optional,
        map_key=map_key,
        oneof=oneof,
    )


def default_json_name(name: str) -> str:
    """protoc's lowerCamelCase JSON name: underscores dropped, the letter after each one upper-cased."""
    parts = name.split("_")
    return parts[0] + "".join(part[:1].upper() + part[1:] for part in parts[1:])


def _map_entry(declared: _Declared, f: FieldProto) -> descriptor_pb2.DescriptorProto | None:
    if f.type != FieldProto.TYPE_MESSAGE or f.label != FieldProto.LABEL_REPEATED:
        return None
    entry = declared.messages.get(f.type_name.lstrip("."))
    return entry[0] if entry is not None and entry[0].options.map_entry else None


def type_ref(f: FieldProto) -> TypeRef:
    if f.type in REFERENCE_TYPES:
        kind = "enum" if f.type == FieldProto.TYPE_ENUM else "message"
        return TypeRef(f.type_name.lstrip("."), kind)
    return TypeRef(SCALAR_NAMES[f.type], "scalar")


def _enum(declared: _Declared, name: str) -> Enum:
    enum, fd, path = declared.enums[name]
    comments = declared.comments[fd.name]
    values = tuple(
        EnumValue(v.name, v.number, comments.get((*path, ENUM_VALUE, i), ""), v.options.deprecated)
        for i, v in enumerate(enum.value)
    )
    return Enum(name, fd.package, fd.name, comments.get(tuple(path), ""), enum.options.deprecated, values)
