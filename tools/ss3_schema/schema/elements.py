"""The one walk over a schema file's named elements, with their full names and source paths.

Every stage that visits messages, fields, enums, enum values, extensions,
services or RPCs takes them from here, so they all agree on what an element
is, how it is named and where its source is (SourceCodeInfo paths, which the
gate turns into file:line:col).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from google.protobuf import descriptor_pb2

Kind = Literal["message", "field", "enum", "enum value", "extension", "service", "rpc"]
Descriptor = (
    descriptor_pb2.DescriptorProto
    | descriptor_pb2.FieldDescriptorProto
    | descriptor_pb2.EnumDescriptorProto
    | descriptor_pb2.EnumValueDescriptorProto
    | descriptor_pb2.ServiceDescriptorProto
    | descriptor_pb2.MethodDescriptorProto
)

# Field numbers in descriptor.proto: the steps of a SourceCodeInfo path.
FILE_MESSAGE_TYPE, FILE_ENUM_TYPE, FILE_SERVICE, FILE_EXTENSION = 4, 5, 6, 7
MESSAGE_FIELD, MESSAGE_NESTED_TYPE, MESSAGE_ENUM_TYPE, MESSAGE_EXTENSION = 2, 3, 4, 6
ENUM_VALUE, SERVICE_METHOD = 2, 2


@dataclass(frozen=True)
class Element:
    kind: Kind
    name: str  # full name without a leading dot; an enum value is named under its enum
    scope: str  # the scope its name is unique in ("pkg.Msg."); an enum value's is its enum's (C++ scoping)
    path: tuple[int, ...]
    descriptor: Descriptor

    @property
    def scoped_name(self) -> str:
        """The name protobuf checks for collisions: an enum value is a sibling of its enum."""
        return self.scope + self.descriptor.name


def file_elements(fd: descriptor_pb2.FileDescriptorProto) -> Iterator[Element]:
    """Messages (each with its fields, extensions, nested messages and enums), enums, extensions, services."""
    prefix = f"{fd.package}." if fd.package else ""
    yield from _messages(fd.message_type, prefix, (FILE_MESSAGE_TYPE,))
    yield from _enums(fd.enum_type, prefix, (FILE_ENUM_TYPE,))
    for index, extension in enumerate(fd.extension):
        yield Element("extension", prefix + extension.name, prefix, (FILE_EXTENSION, index), extension)
    for index, service in enumerate(fd.service):
        name, path = prefix + service.name, (FILE_SERVICE, index)
        yield Element("service", name, prefix, path, service)
        for number, method in enumerate(service.method):
            yield Element("rpc", f"{name}.{method.name}", f"{name}.", (*path, SERVICE_METHOD, number), method)


def _messages(
    messages: Iterable[descriptor_pb2.DescriptorProto], scope: str, path: tuple[int, ...]
) -> Iterator[Element]:
    for index, message in enumerate(messages):
        name, here = scope + message.name, (*path, index)
        yield Element("message", name, scope, here, message)
        for number, field in enumerate(message.field):
            yield Element("field", f"{name}.{field.name}", f"{name}.", (*here, MESSAGE_FIELD, number), field)
        for number, extension in enumerate(message.extension):
            yield Element(
                "extension", f"{name}.{extension.name}", f"{name}.", (*here, MESSAGE_EXTENSION, number), extension
            )
        yield from _messages(message.nested_type, f"{name}.", (*here, MESSAGE_NESTED_TYPE))
        yield from _enums(message.enum_type, f"{name}.", (*here, MESSAGE_ENUM_TYPE))


def _enums(enums: Iterable[descriptor_pb2.EnumDescriptorProto], scope: str, path: tuple[int, ...]) -> Iterator[Element]:
    for index, enum in enumerate(enums):
        name, here = scope + enum.name, (*path, index)
        yield Element("enum", name, scope, here, enum)
        for number, value in enumerate(enum.value):
            yield Element("enum value", f"{name}.{value.name}", scope, (*here, ENUM_VALUE, number), value)
