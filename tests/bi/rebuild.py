"""Rebuild the Protobuf record a typed-table row came from, to compare it with what was sent.

The inverse of the generated DDL, written apart from it: a column's Kafka-side
name is the field path joined with `_`, resolved here against the descriptor;
a DateTime64 becomes a Timestamp again, an enum name its number, an
Array(Tuple) repeated messages, a Map a map field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from ss3_schema.catalog.bi.clickhouse import KAFKA_COLUMNS, Table

TIMESTAMP = "google.protobuf.Timestamp"
KAFKA_NAMES = {column.name for column in KAFKA_COLUMNS}


def rebuild(envelope: Message, table: Table, row: dict[str, Any]) -> Message:
    """Fill `envelope` (empty) from `row` of `table`; returns it."""
    for column in table.columns:
        if column.name in KAFKA_NAMES:
            continue
        target, field = _resolve(envelope, column.source_name)
        if field is None:
            continue  # a oneof presence column: checked by the caller
        _assign(target, field, row[column.name])
    member = table.member.field
    getattr(envelope, member).SetInParent()  # an event with no field set is still this event
    return envelope


def _resolve(message: Message, path: str) -> tuple[Message, FieldDescriptor | None]:
    """The (sub)message and field a flattened column path names (reading a submessage sets nothing)."""
    fields = message.DESCRIPTOR.fields_by_name
    if path in fields:
        return message, fields[path]
    for field in message.DESCRIPTOR.fields:
        single_message = field.type == FieldDescriptor.TYPE_MESSAGE and not field.is_repeated
        if single_message and path.startswith(field.name + "_"):
            inner, found = _resolve(getattr(message, field.name), path[len(field.name) + 1 :])
            if found is not None:
                return inner, found
    return message, None


def _assign(message: Message, field: FieldDescriptor, value: Any) -> None:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        _assign_map(getattr(message, field.name), field.message_type, value)
    elif field.is_repeated:
        container = getattr(message, field.name)
        for item in value:
            if field.type != FieldDescriptor.TYPE_MESSAGE:
                container.append(_scalar(field, item))
            elif field.message_type.full_name == TIMESTAMP:
                _timestamp(container.add(), item)
            else:
                _fill(container.add(), item)
    elif field.type == FieldDescriptor.TYPE_MESSAGE:
        if field.message_type.full_name == TIMESTAMP:
            if not _is_epoch(value):
                _timestamp(getattr(message, field.name), value)
        elif value:
            _fill(getattr(message, field.name), value)
    else:
        scalar = _scalar(field, value)
        if scalar != field.default_value:
            setattr(message, field.name, scalar)


def _assign_map(container: Any, entry: Descriptor, value: dict[str, Any]) -> None:
    key_field, value_field = entry.fields_by_name["key"], entry.fields_by_name["value"]
    for raw_key, item in value.items():
        key = _scalar(key_field, raw_key)
        if value_field.type == FieldDescriptor.TYPE_MESSAGE:
            _fill(container[key], item)
        else:
            container[key] = _scalar(value_field, item)


def _fill(message: Message, data: dict[str, Any]) -> None:
    """A message from a ClickHouse named tuple (a JSON object keyed by field name)."""
    message.SetInParent()
    for name, value in data.items():
        _assign(message, message.DESCRIPTOR.fields_by_name[name], value)


def _scalar(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_ENUM:
        by_name = field.enum_type.values_by_name
        return by_name[value].number if value in by_name else int(value)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return value.encode("latin-1")
    convert = {
        FieldDescriptor.CPPTYPE_BOOL: bool,
        FieldDescriptor.CPPTYPE_DOUBLE: float,
        FieldDescriptor.CPPTYPE_FLOAT: float,
        FieldDescriptor.CPPTYPE_STRING: str,
    }.get(field.cpp_type, int)
    return convert(value)


def _is_epoch(text: str) -> bool:
    return text.startswith("1970-01-01 00:00:00") and set(text[20:]) <= {"0"}


def _timestamp(message: Message, text: str) -> None:
    """'YYYY-MM-DD hh:mm:ss.nnnnnnnnn' (UTC) into seconds and nanos."""
    whole, _, fraction = text.partition(".")
    moment = dt.datetime.strptime(whole, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    message.seconds = int(moment.timestamp())  # type: ignore[attr-defined]
    message.nanos = int(fraction.ljust(9, "0")) if fraction else 0  # type: ignore[attr-defined]
