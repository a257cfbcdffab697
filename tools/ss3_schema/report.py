"""Violations found by the gate and their three renderings (text, json, github)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

FORMATS = ("text", "json", "github")

# What a schema author should do about each rule, in their terms. Rules not
# listed fall back to the generic advice for their prefix.
_ADVICE = {
    "COMPILE": "fix the syntax error; nothing was generated",
    "FIELD_NO_DELETE": "published fields stay forever: mark it [deprecated = true] instead of deleting",
    "FIELD_SAME_TYPE": "add a new field with the new type and deprecate the old one",
    "FIELD_SAME_NAME": "keep the old name; add a new field if the meaning changed",
    "FIELD_SAME_JSON_NAME": "keep the json_name; JSON consumers key on it",
    "FIELD_SAME_CARDINALITY": "add a new field with the new cardinality and deprecate the old one",
    "FIELD_SAME_ONEOF": "leave existing fields where they are; add new fields to a oneof instead",
    "FILE_NO_DELETE": "keep the file; deprecate its messages instead",
    "FILE_SAME_PACKAGE": "keep the package; a new major version goes into a new vN package",
    "MESSAGE_NO_DELETE": "keep the message; mark it deprecated instead",
    "ENUM_VALUE_NO_DELETE": "keep the value; mark it deprecated instead",
    "ENUM_VALUE_SAME_NAME": "keep the value's name; add a new value instead",
    "RPC_NO_DELETE": "keep the RPC; mark it deprecated instead",
    "SS3_EVENT_TOPIC_UNCHANGED": "a published event keeps its topic; declare a new event file for a new topic",
    "SS3_EVENT_STAYS_EVENT": "a published event stays an event; deprecate it instead",
    "SS3_EVENT_ENVELOPE": "make the first field `ss3.common.v1.EventMetadata metadata = 1`",
    "SS3_EVENT_TOPIC_DECLARED": 'set `option (ss3.options.v1.topic) = "...";` in the event file',
    "SS3_EVENT_TOPIC_VALID": "use lower-case letters, digits, '.', '_' and '-' only (Kafka topic rules)",
    "SS3_EVENT_TOPIC_UNIQUE": "each topic belongs to exactly one event file",
}


@dataclass(frozen=True, order=True)
class Violation:
    """One finding, located in a file relative to the repository root."""

    file: str
    line: int
    column: int
    rule: str
    message: str

    @property
    def advice(self) -> str:
        return _ADVICE.get(self.rule, "")


def render(violations: Sequence[Violation], fmt: str, *, summary: str = "") -> str:
    """Render findings in one of FORMATS; an empty list renders the summary only."""
    if fmt == "json":
        return _render_json(violations, summary)
    if fmt == "github":
        return _render_github(violations, summary)
    return _render_text(violations, summary)


def _render_text(violations: Sequence[Violation], summary: str) -> str:
    lines = [_text_line(v) for v in sorted(violations)]
    if summary:
        lines.append(summary)
    return "\n".join(lines)


def _text_line(v: Violation) -> str:
    advice = f" (fix: {v.advice})" if v.advice else ""
    return f"{v.file}:{v.line}:{v.column}: {v.rule}: {v.message}{advice}"


def _render_json(violations: Sequence[Violation], summary: str) -> str:
    items = [dict(asdict(v), advice=v.advice) for v in sorted(violations)]
    return json.dumps({"ok": not violations, "summary": summary, "violations": items}, indent=2)


def _render_github(violations: Sequence[Violation], summary: str) -> str:
    lines = [_github_line(v) for v in sorted(violations)]
    if summary:
        lines.append(summary)
    return "\n".join(lines)


def _github_line(v: Violation) -> str:
    # Workflow commands need %, CR and LF escaped in data, plus ',' and ':' in properties.
    message = _escape_data(v.message + (f" Fix: {v.advice}." if v.advice else ""))
    props = f"file={_escape_prop(v.file)},line={v.line},col={v.column},title={_escape_prop(v.rule)}"
    return f"::error {props}::{message}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def summarize(violations: Iterable[Violation], what: str) -> str:
    count = len(list(violations))
    if count == 0:
        return f"{what}: ok"
    return f"{what}: {count} violation{'s' if count != 1 else ''}"


def annotation(message: str, *, file: str, title: str) -> str:
    """A workflow error annotation on a whole file (no line: e.g. a document the registry refused)."""
    return f"::error file={_escape_prop(file)},title={_escape_prop(title)}::{_escape_data(message)}"
