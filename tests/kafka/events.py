"""Filled-in instances of every ss3 event, for round trips."""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from ss3 import topics

_SCALARS: dict[int, object] = {
    FieldDescriptor.TYPE_STRING: "é-ü-1",
    FieldDescriptor.TYPE_BYTES: b"\x00\xff",
    FieldDescriptor.TYPE_BOOL: True,
    FieldDescriptor.TYPE_DOUBLE: 1.5,
    FieldDescriptor.TYPE_FLOAT: 2.5,
}


def fill(message: Message, depth: int = 0) -> Message:
    """Set every field (one member per oneof, one element per repeated field) to a non-default value."""
    seen_oneofs: set[str] = set()
    for field in message.DESCRIPTOR.fields:
        oneof = field.containing_oneof
        if oneof is not None:
            if oneof.name in seen_oneofs:
                continue
            seen_oneofs.add(oneof.name)
        repeated = field.is_repeated
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if depth > 3 or field.message_type.GetOptions().map_entry:
                continue
            target = getattr(message, field.name)
            fill(target.add() if repeated else target, depth + 1)
            continue
        value = _value(field)
        if repeated:
            getattr(message, field.name).append(value)
        else:
            setattr(message, field.name, value)
    return message


def _value(field: FieldDescriptor) -> object:
    if field.type == FieldDescriptor.TYPE_ENUM:
        return field.enum_type.values[-1].number
    return _SCALARS.get(field.type, 7)


def every_event() -> Iterator[tuple[str, type[Message]]]:
    for topic, classes in topics.TOPIC_EVENTS.items():
        for cls in classes:
            yield topic, cls
