"""Event declarations, checked on one tree: the rules every stage that trusts them relies on.

An event file names its Kafka topic with `option (ss3.options.v1.topic)`, marks
each event with `option (ss3.options.v1.event) = true`, and opens with its
topic envelope (proto/ss3/options/v1/options.proto). The gate reports these
rules on a PR; registration checks them again, because it is reachable without
the gate and an artifact id made from a bad topic can never be taken back.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2

from ss3_schema.report import Violation
from ss3_schema.rules import RuleId
from ss3_schema.schema.events import (
    ENVELOPE_TYPE,
    TOPIC_OPTION_NUMBER,
    envelope_name,
    file_topic,
    is_event,
    is_topic_envelope,
)
from ss3_schema.schema.image import FILE_MESSAGE_TYPE, FILE_OPTIONS, Image, violation_at
from ss3_schema.validate import topic_problem

ENVELOPE_FIELD = ("metadata", 1)
PACKAGE_STATEMENT = 2
MESSAGE_FIELD = 2  # DescriptorProto.field
ENVELOPE_ONEOF = "event"


def check_declarations(image: Image) -> list[Violation]:
    """Rules on the current tree alone: topics declared, valid, unique; envelopes present."""
    violations: list[Violation] = []
    topic_owner: dict[str, str] = {}
    for fd in sorted(image.own_files(), key=lambda f: f.name):
        violations += _check_file_topic(image, fd, topic_owner)
        violations += _check_envelopes(image, fd)
        violations += _check_topic_envelope(image, fd)
    return violations


def _check_file_topic(image: Image, fd: descriptor_pb2.FileDescriptorProto, owners: dict[str, str]) -> list[Violation]:
    topic = file_topic(fd)
    events = [i for i, m in enumerate(fd.message_type) if is_event(m)]
    if topic is None:
        return [
            violation_at(
                image,
                fd,
                [FILE_MESSAGE_TYPE, i],
                RuleId.EVENT_TOPIC_DECLARED,
                f'Event "{fd.message_type[i].name}" is in a file that declares no Kafka topic.',
            )
            for i in events
        ]
    where = [FILE_OPTIONS, TOPIC_OPTION_NUMBER]
    found = []
    problem = topic_problem(topic)
    if problem is not None:
        found.append(violation_at(image, fd, where, RuleId.EVENT_TOPIC_VALID, problem))
    if not events:
        found.append(
            violation_at(
                image,
                fd,
                where,
                RuleId.EVENT_TOPIC_DECLARED,
                f'File declares topic "{topic}" but marks no message as an event.',
            )
        )
    if topic in owners:
        found.append(
            violation_at(
                image,
                fd,
                where,
                RuleId.EVENT_TOPIC_UNIQUE,
                f'Topic "{topic}" is already declared by {image.repo_path(owners[topic])}.',
            )
        )
    owners.setdefault(topic, fd.name)
    return found


def _check_envelopes(image: Image, fd: descriptor_pb2.FileDescriptorProto) -> list[Violation]:
    found = []
    for index, message in enumerate(fd.message_type):
        kind = "Event" if is_event(message) else "Topic envelope" if is_topic_envelope(message) else None
        if kind is not None and not _has_envelope(message):
            found.append(
                violation_at(
                    image,
                    fd,
                    [FILE_MESSAGE_TYPE, index],
                    RuleId.EVENT_ENVELOPE,
                    f'{kind} "{message.name}" does not start with the envelope '
                    f'"ss3.common.v1.EventMetadata metadata = 1".',
                )
            )
    return found


def _has_envelope(message: descriptor_pb2.DescriptorProto) -> bool:
    name, number = ENVELOPE_FIELD
    return any(f.name == name and f.number == number and f.type_name == ENVELOPE_TYPE for f in message.field)


def _check_topic_envelope(image: Image, fd: descriptor_pb2.FileDescriptorProto) -> list[Violation]:
    """An events file starts with its topic envelope, whose oneof holds every event exactly once."""
    events = [m.name for m in fd.message_type if is_event(m)]
    if not events:
        return []
    envelopes = [i for i, m in enumerate(fd.message_type) if is_topic_envelope(m)]
    if envelopes != [0]:
        where = [FILE_MESSAGE_TYPE, envelopes[-1] if envelopes else 0]
        expected = envelope_name(fd.name)
        problem = (
            f'The file\'s first message must be its topic envelope (e.g. "{expected}", marked '
            "`option (ss3.options.v1.topic_envelope) = true`)"
        )
        if len(envelopes) > 1:
            problem = "A file has exactly one topic envelope, its first message"
        return [violation_at(image, fd, where, RuleId.ENVELOPE_FIRST, problem + ".")]
    return _check_members(image, fd, events)


def envelope_members(
    fd: descriptor_pb2.FileDescriptorProto, envelope: descriptor_pb2.DescriptorProto
) -> list[tuple[int, str]]:
    """(field index, member type's simple name) of the envelope's oneof `event`; '' for a non-member type."""
    oneof = next((i for i, o in enumerate(envelope.oneof_decl) if o.name == ENVELOPE_ONEOF), None)
    prefix = f".{fd.package}." if fd.package else "."
    found = []
    for index, field in enumerate(envelope.field):
        if oneof is not None and field.HasField("oneof_index") and field.oneof_index == oneof:
            own = field.type_name.startswith(prefix) and "." not in field.type_name[len(prefix) :]
            found.append((index, field.type_name[len(prefix) :] if own else ""))
    return found


def _check_members(image: Image, fd: descriptor_pb2.FileDescriptorProto, events: list[str]) -> list[Violation]:
    envelope = fd.message_type[0]
    found: list[Violation] = []
    seen: set[str] = set()
    for index, name in envelope_members(fd, envelope):
        where = [FILE_MESSAGE_TYPE, 0, MESSAGE_FIELD, index]
        field = envelope.field[index]
        if name not in events:
            problem = f'Member "{field.name}" of "{envelope.name}" is not an event of this file.'
        elif name in seen:
            problem = f'Event "{name}" is a member of "{envelope.name}" more than once.'
        else:
            seen.add(name)
            continue
        found.append(violation_at(image, fd, where, RuleId.ENVELOPE_MEMBERS, problem))
    for name in events:
        if name not in seen:
            found.append(
                violation_at(
                    image,
                    fd,
                    [FILE_MESSAGE_TYPE, 0],
                    RuleId.ENVELOPE_MEMBERS,
                    f'Event "{name}" is not a member of the oneof `{ENVELOPE_ONEOF}` of "{envelope.name}".',
                )
            )
    return found
