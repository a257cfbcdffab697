"""What the schemas declare about events: each file's topic, its event messages, its topic envelope.

An event file names its Kafka topic with `option (ss3.options.v1.topic)`, marks its
topic envelope with `option (ss3.options.v1.topic_envelope) = true` and each event
with `option (ss3.options.v1.event) = true` (proto/ss3/options/v1/options.proto).
This is the one reader of those options: schema/declarations.py checks them on one
tree, gate/events.py against the base; build, catalog and registry use them.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf import descriptor_pb2
from google.protobuf.unknown_fields import UnknownFieldSet

from ss3_schema.schema.image import Image

TOPIC_OPTION_NUMBER = 51000
EVENT_OPTION_NUMBER = 51001
TOPIC_ENVELOPE_OPTION_NUMBER = 51002
ENVELOPE_TYPE = ".ss3.common.v1.EventMetadata"


@dataclass(frozen=True)
class EventFile:
    """A schema file that declares events: its import path, topic and event messages."""

    name: str
    topic: str | None
    events: tuple[str, ...]


def _option_value(options: descriptor_pb2.FileOptions | descriptor_pb2.MessageOptions, number: int) -> object:
    fields = UnknownFieldSet(options)
    for index in range(len(fields)):
        field = fields[index]
        if field.field_number == number:
            return field.data
    # A process that imported the generated ss3.options module (the wheel, e.g. its
    # Kafka runtime) has the extension registered: protobuf then parses the option as
    # a known extension instead of leaving it unknown.
    for descriptor, value in options.ListFields():
        if descriptor.is_extension and descriptor.number == number:
            return value
    return None


def file_topic(fd: descriptor_pb2.FileDescriptorProto) -> str | None:
    value = _option_value(fd.options, TOPIC_OPTION_NUMBER)
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value if isinstance(value, str) else None


def is_event(message: descriptor_pb2.DescriptorProto) -> bool:
    return bool(_option_value(message.options, EVENT_OPTION_NUMBER))


def is_topic_envelope(message: descriptor_pb2.DescriptorProto) -> bool:
    return bool(_option_value(message.options, TOPIC_ENVELOPE_OPTION_NUMBER))


def topic_envelope(fd: descriptor_pb2.FileDescriptorProto) -> descriptor_pb2.DescriptorProto | None:
    """The file's topic envelope (the first message marked `topic_envelope`), if any."""
    return next((m for m in fd.message_type if is_topic_envelope(m)), None)


def event_files(image: Image) -> list[EventFile]:
    """Every own file that declares a topic or an event message, by import path."""
    found = []
    for fd in image.own_files():
        events = tuple(m.name for m in fd.message_type if is_event(m))
        topic = file_topic(fd)
        if topic is not None or events:
            found.append(EventFile(name=fd.name, topic=topic, events=events))
    return sorted(found, key=lambda e: e.name)


def envelope_name(file_name: str) -> str:
    """The naming convention: order_events.proto -> OrderEvents."""
    stem = file_name.rsplit("/", 1)[-1].removesuffix(".proto")
    return "".join(part[:1].upper() + part[1:] for part in stem.split("_"))
