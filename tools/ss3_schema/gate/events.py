"""The event checks against the base buf cannot do: published events keep their topic and stay events.

buf never compares option values, so this module compares the `topic` and
`event` options (schema/events.py) of the base and the PR, and the members of
each topic envelope. The rules on one tree alone are schema/declarations.py.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2

from ss3_schema.report import Violation
from ss3_schema.rules import RuleId
from ss3_schema.schema.declarations import MESSAGE_FIELD, PACKAGE_STATEMENT, envelope_members
from ss3_schema.schema.events import (
    TOPIC_OPTION_NUMBER,
    file_topic,
    is_event,
    topic_envelope,
)
from ss3_schema.schema.image import FILE_MESSAGE_TYPE, FILE_OPTIONS, Image, violation_at


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
    for index, name in envelope_members(old, old_envelope):
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
