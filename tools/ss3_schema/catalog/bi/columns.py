"""ClickHouse columns of a message: the Kafka table's (as the Protobuf format reads it) and the typed table's.

ClickHouse's Protobuf format matches a column to a field by name, nested fields
joined with `_` (`refunded_amount_minor` reads `refunded.amount_minor`), so
single nested messages (money, addresses, the metadata) become flat columns.
Repeated messages are `Array(Tuple(...))`, maps `Map(K, V)`. Two fields need a
conversion in the materialized view, because the format refuses to write them
into the type a BI user wants:
- `google.protobuf.Timestamp` is read as `Tuple(seconds Int64, nanos Int32)` and
  stored as `DateTime64(9, 'UTC')` (an unset one is 1970-01-01 00:00:00);
- enums are read as their numbers (`Int32`: a value added by a newer schema still
  reads) and stored by name (`String`; a number this DDL does not know shows as
  the number).
A field whose message type contains itself (recursion) has no column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from google.protobuf import descriptor_pb2

FieldProto = descriptor_pb2.FieldDescriptorProto
TIMESTAMP = "google.protobuf.Timestamp"
TIMESTAMP_SOURCE = "Tuple(seconds Int64, nanos Int32)"
TIMESTAMP_TARGET = "DateTime64(9, 'UTC')"
ENUM_SOURCE = "Int32"
ENUM8_MAX = 127
ENUM16_MAX = 32767

SCALARS = {
    FieldProto.TYPE_DOUBLE: "Float64",
    FieldProto.TYPE_FLOAT: "Float32",
    FieldProto.TYPE_INT64: "Int64",
    FieldProto.TYPE_UINT64: "UInt64",
    FieldProto.TYPE_INT32: "Int32",
    FieldProto.TYPE_FIXED64: "UInt64",
    FieldProto.TYPE_FIXED32: "UInt32",
    FieldProto.TYPE_BOOL: "Bool",
    FieldProto.TYPE_STRING: "String",
    FieldProto.TYPE_BYTES: "String",
    FieldProto.TYPE_UINT32: "UInt32",
    FieldProto.TYPE_SFIXED32: "Int32",
    FieldProto.TYPE_SFIXED64: "Int64",
    FieldProto.TYPE_SINT32: "Int32",
    FieldProto.TYPE_SINT64: "Int64",
}

Convert = Callable[[str], str]


@dataclass(frozen=True)
class Column:
    """A column: `source_name`/`source_type` in the Kafka table; `name`/`target_type`/`expression` in a typed one."""

    name: str
    source_name: str
    source_type: str
    target_type: str
    expression: str  # computes the typed value from the Kafka table's column


@dataclass(frozen=True)
class Shape:
    """A value's type on both sides, and how to convert one into the other (None: unchanged)."""

    source: str
    target: str
    convert: Convert | None
    is_enum: bool = False


@dataclass(frozen=True)
class Types:
    """Every message and enum of a descriptor set, by full name without the leading dot."""

    messages: dict[str, descriptor_pb2.DescriptorProto]
    enums: dict[str, descriptor_pb2.EnumDescriptorProto]

    @classmethod
    def of(cls, files: list[descriptor_pb2.FileDescriptorProto]) -> Types:
        types = cls({}, {})
        for fd in files:
            prefix = fd.package
            for message in fd.message_type:
                types._add_message(f"{prefix}.{message.name}" if prefix else message.name, message)
            for enum in fd.enum_type:
                types.enums[f"{prefix}.{enum.name}" if prefix else enum.name] = enum
        return types

    def _add_message(self, name: str, message: descriptor_pb2.DescriptorProto) -> None:
        self.messages[name] = message
        for nested in message.nested_type:
            self._add_message(f"{name}.{nested.name}", nested)
        for enum in message.enum_type:
            self.enums[f"{name}.{enum.name}"] = enum


def quote_name(name: str) -> str:
    """A ClickHouse identifier in backquotes."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def quote_string(text: str) -> str:
    """A ClickHouse string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def message_columns(
    types: Types,
    message: str,
    *,
    source_prefix: str = "",
    name_prefix: str = "",
    skip_oneof: str | None = None,
    skip_fields: frozenset[tuple[str, str]] = frozenset(),
) -> list[Column]:
    """The flat columns of `message`'s fields, less the oneof `skip_oneof` and the (name, type) in `skip_fields`."""
    descriptor = types.messages[message]
    kept = [f for f in descriptor.field if (f.name, f.type_name) not in skip_fields]
    if len(kept) != len(descriptor.field):
        descriptor = descriptor_pb2.DescriptorProto(name=descriptor.name, field=kept, oneof_decl=descriptor.oneof_decl)
        types = Types({**types.messages, message: descriptor}, types.enums)
    return _flatten(types, message, (source_prefix, name_prefix), (message,), skip_oneof)


def _flatten(
    types: Types, message: str, prefixes: tuple[str, str], stack: tuple[str, ...], skip_oneof: str | None
) -> list[Column]:
    source_prefix, name_prefix = prefixes
    descriptor = types.messages[message]
    columns: list[Column] = []
    for f in descriptor.field:
        if skip_oneof is not None and _real_oneof(descriptor, f) == skip_oneof:
            continue
        source, name = source_prefix + f.name, name_prefix + f.name
        nested = f.type_name.lstrip(".")
        if _is_single_message(types, f) and nested != TIMESTAMP:
            if nested not in stack:
                columns += _flatten(types, nested, (f"{source}_", f"{name}_"), (*stack, nested), None)
            continue
        shape = field_shape(types, f, stack, 0)
        if shape is not None:
            columns.append(_column(name, source, shape, top_level=True))
    columns += _oneof_presence(descriptor, source_prefix, name_prefix, skip_oneof)
    return columns


def _oneof_presence(
    descriptor: descriptor_pb2.DescriptorProto, source_prefix: str, name_prefix: str, skip_oneof: str | None
) -> list[Column]:
    """A column per real oneof naming the member that is set ('' when none): input_format_protobuf_oneof_presence."""
    columns = []
    for oneof in descriptor.oneof_decl:
        members = [f for f in descriptor.field if _real_oneof(descriptor, f) == oneof.name]
        if oneof.name == skip_oneof or not members:
            continue
        enum = presence_enum([(f.name, f.number) for f in members])
        if enum is None:
            continue
        source = source_prefix + oneof.name
        expression = f"if({quote_name(source)} = 'omitted', '', toString({quote_name(source)}))"
        columns.append(Column(name_prefix + oneof.name, source, enum, "LowCardinality(String)", expression))
    return columns


def presence_enum(members: list[tuple[str, int]]) -> str | None:
    """The Enum type ClickHouse fills with the set member of a oneof (`omitted` = 0 when none is set)."""
    highest = max(number for _, number in members)
    if highest > ENUM16_MAX:
        return None
    kind = "Enum8" if highest <= ENUM8_MAX else "Enum16"
    values = ", ".join(f"{quote_string(name)} = {number}" for name, number in [("omitted", 0), *members])
    return f"{kind}({values})"


def _real_oneof(descriptor: descriptor_pb2.DescriptorProto, f: FieldProto) -> str | None:
    if f.HasField("oneof_index") and not f.proto3_optional:
        return descriptor.oneof_decl[f.oneof_index].name
    return None


def _is_single_message(types: Types, f: FieldProto) -> bool:
    return f.type == FieldProto.TYPE_MESSAGE and f.label != FieldProto.LABEL_REPEATED


def _column(name: str, source: str, shape: Shape, *, top_level: bool) -> Column:
    target = shape.target
    if top_level and shape.is_enum:
        target = "LowCardinality(String)"  # an enum by name: few distinct values
    expression = shape.convert(quote_name(source)) if shape.convert else quote_name(source)
    return Column(name, source, shape.source, target, expression)


def field_shape(types: Types, f: FieldProto, stack: tuple[str, ...], depth: int) -> Shape | None:
    """The field's value with its label: Array for repeated, Map for maps; None when it has no column."""
    entry = _map_entry(types, f)
    if entry is not None:
        key, value = entry.field[0], entry.field[1]
        value_shape = _value_shape(types, value, stack, depth + 1)
        if value_shape is None:
            return None
        return _map_shape(SCALARS[key.type], value_shape, depth)
    element = _value_shape(types, f, stack, depth + 1)
    if element is None or f.label != FieldProto.LABEL_REPEATED:
        return element
    return _array_shape(element, depth)


def _map_entry(types: Types, f: FieldProto) -> descriptor_pb2.DescriptorProto | None:
    if f.type != FieldProto.TYPE_MESSAGE or f.label != FieldProto.LABEL_REPEATED:
        return None
    entry = types.messages.get(f.type_name.lstrip("."))
    return entry if entry is not None and entry.options.map_entry else None


def _array_shape(element: Shape, depth: int) -> Shape:
    convert = element.convert
    if convert is None:
        return Shape(f"Array({element.source})", f"Array({element.target})", None)
    var = f"x{depth}"
    return Shape(
        f"Array({element.source})",
        f"Array({element.target})",
        lambda value: f"arrayMap({var} -> {convert(var)}, {value})",
    )


def _map_shape(key: str, value: Shape, depth: int) -> Shape:
    convert = value.convert
    if convert is None:
        return Shape(f"Map({key}, {value.source})", f"Map({key}, {value.target})", None)
    k, v = f"k{depth}", f"v{depth}"
    return Shape(
        f"Map({key}, {value.source})",
        f"Map({key}, {value.target})",
        lambda m: f"mapApply(({k}, {v}) -> ({k}, {convert(v)}), {m})",
    )


def _value_shape(types: Types, f: FieldProto, stack: tuple[str, ...], depth: int) -> Shape | None:
    if f.type == FieldProto.TYPE_ENUM:
        return _enum_shape(types.enums[f.type_name.lstrip(".")])
    if f.type != FieldProto.TYPE_MESSAGE:
        kind = SCALARS.get(f.type)
        return Shape(kind, kind, None) if kind else None  # groups have no column
    name = f.type_name.lstrip(".")
    if name == TIMESTAMP:
        return Shape(TIMESTAMP_SOURCE, TIMESTAMP_TARGET, timestamp_expression)
    if name in stack:
        return None
    return _tuple_shape(types, name, (*stack, name), depth)


def _enum_shape(enum: descriptor_pb2.EnumDescriptorProto) -> Shape:
    numbers = ", ".join(str(v.number) for v in enum.value)
    names = ", ".join(quote_string(v.name) for v in enum.value)
    return Shape(ENUM_SOURCE, "String", lambda x: f"transform({x}, [{numbers}], [{names}], toString({x}))", True)


def _tuple_shape(types: Types, message: str, stack: tuple[str, ...], depth: int) -> Shape | None:
    elements = []
    for f in types.messages[message].field:
        shape = field_shape(types, f, stack, depth)
        if shape is not None:
            elements.append((f.name, shape))
    if not elements:
        return None  # ClickHouse has no empty Tuple
    source = "Tuple(" + ", ".join(f"{quote_name(n)} {s.source}" for n, s in elements) + ")"
    target = "Tuple(" + ", ".join(f"{quote_name(n)} {s.target}" for n, s in elements) + ")"
    if all(s.convert is None for _, s in elements):
        return Shape(source, target, None)

    def convert(value: str) -> str:
        parts = []
        for n, s in elements:
            element = f"tupleElement({value}, {quote_string(n)})"
            parts.append(s.convert(element) if s.convert else element)
        return f"CAST(tuple({', '.join(parts)}) AS {target})"

    return Shape(source, target, convert)


def timestamp_expression(value: str) -> str:
    """A Timestamp tuple as DateTime64(9, 'UTC')."""
    seconds, nanos = f"tupleElement({value}, 'seconds')", f"tupleElement({value}, 'nanos')"
    return f"fromUnixTimestamp64Nano({seconds} * 1000000000 + {nanos}, 'UTC')"
