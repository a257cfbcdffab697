"""Event declarations and the event checks buf cannot do.

An event file names its Kafka topic with `option (ss3.options.v1.topic)`, and
marks each event message with `option (ss3.options.v1.event) = true`
(proto/ss3/options/v1/options.proto). buf never compares option values, so
this module checks that published events keep their topic and stay events,
and that every event carries the envelope.
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
    topic_envelope,
)
from ss3_schema.schema.image import FILE_MESSAGE_TYPE, FILE_OPTIONS, Image, location_span
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


def _members(fd: descriptor_pb2.FileDescriptorProto, envelope: descriptor_pb2.DescriptorProto) -> list[tuple[int, str]]:
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
    for index, name in _members(fd, envelope):
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


def check_changes(base: Image, current: Image) -> list[Violation]:
    """Rules against the base: published events keep their topic and stay events."""
    current_files = {fd.name: fd for fd in current.own_files()}
    violations: list[Violation] = []
    for old in base.own_files():
        new = current_files.get(old.name)
        if new is None:
            continue  # a deleted file is buf's FILE_NO_DELETE
        violations += _compare_topic(current, old, new)
        violations += _compare_event_marks(current, old, new)
        violations += _compare_envelope_members(current, old, new)
    return violations


def _compare_topic(
    current: Image, old: descriptor_pb2.FileDescriptorProto, new: descriptor_pb2.FileDescriptorProto
) -> list[Violation]:
    old_topic, new_topic = file_topic(old), file_topic(new)
    if old_topic is None or old_topic == new_topic:
        return []
    if new_topic is None:
        return [
            violation_at(
                current,
                new,
                [PACKAGE_STATEMENT],
                RuleId.EVENT_TOPIC_UNCHANGED,
                f'Previously declared topic "{old_topic}" was removed.',
            )
        ]
    return [
        violation_at(
            current,
            new,
            [FILE_OPTIONS, TOPIC_OPTION_NUMBER],
            RuleId.EVENT_TOPIC_UNCHANGED,
            f'Topic changed from "{old_topic}" to "{new_topic}".',
        )
    ]


def _compare_event_marks(
    current: Image, old: descriptor_pb2.FileDescriptorProto, new: descriptor_pb2.FileDescriptorProto
) -> list[Violation]:
    new_index = {m.name: i for i, m in enumerate(new.message_type)}
    found = []
    for message in old.message_type:
        index = new_index.get(message.name)
        if is_event(message) and index is not None and not is_event(new.message_type[index]):
            found.append(
                violation_at(
                    current,
                    new,
                    [FILE_MESSAGE_TYPE, index],
                    RuleId.EVENT_STAYS_EVENT,
                    f'Previously declared event "{message.name}" is no longer marked as an event.',
                )
            )
    return found


def _compare_envelope_members(
    current: Image, old: descriptor_pb2.FileDescriptorProto, new: descriptor_pb2.FileDescriptorProto
) -> list[Violation]:
    """Members of a published envelope keep their number and type: old records must still decode."""
    old_envelope, new_envelope = topic_envelope(old), topic_envelope(new)
    if old_envelope is None or new_envelope is None:
        return []  # a missing envelope is SS3_ENVELOPE_FIRST
    new_index = next(i for i, m in enumerate(new.message_type) if m is new_envelope)
    by_number = {f.number: (i, f) for i, f in enumerate(new_envelope.field)}
    found = []
    for index, name in _members(old, old_envelope):
        field = old_envelope.field[index]
        kept = by_number.get(field.number)
        if kept is not None and kept[1].type_name == field.type_name and kept[1].HasField("oneof_index"):
            continue
        where = [FILE_MESSAGE_TYPE, new_index] + ([MESSAGE_FIELD, kept[0]] if kept else [])
        found.append(
            violation_at(
                current,
                new,
                where,
                RuleId.ENVELOPE_MEMBERS_KEPT,
                f'Member "{field.name} = {field.number}" ({name or field.type_name}) of "{old_envelope.name}" '
                "was removed or renumbered.",
            )
        )
    return found


def violation_at(
    image: Image, fd: descriptor_pb2.FileDescriptorProto, path: list[int], rule: str, message: str
) -> Violation:
    line, column, end_line, end_column = location_span(fd, path)
    return Violation(image.repo_path(fd.name), line, column, rule, message, end_line, end_column)
