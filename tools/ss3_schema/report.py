"""Violations found by the gate and their three renderings (text, json, github)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

FORMATS = ("text", "json", "github")

# What a schema author should do about each rule, in their terms. Rules not
# listed fall back to the generic advice for their prefix.
_ADVICE = {
    "COMPILE": "fix the schema so that it compiles; nothing was generated",
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
    "SS3_ENVELOPE_FIRST": "start the file with its topic envelope: `ss3.common.v1.EventMetadata metadata = 1` and "
    "a oneof `event` with every event (see docs/kafka-clients.md)",
    "SS3_ENVELOPE_MEMBERS": "list every event of the file once in the envelope's oneof `event`, with the next free "
    "number",
    "SS3_ENVELOPE_MEMBERS_KEPT": "keep every member with its number and type; consumers decode old records by them",
    "SS3_EVENT_TOPIC_DECLARED": 'set `option (ss3.options.v1.topic) = "...";` in the event file',
    "SS3_EVENT_TOPIC_VALID": "use lower-case letters, digits, '.', '_' and '-' only (Kafka topic rules)",
    "SS3_EVENT_TOPIC_UNIQUE": "each topic belongs to exactly one event file",
    "SS3_GATE_RULES_NARROWED": "revert it, or add it with a reason to gate-overrides.yaml for the schema owners "
    "to review (docs/gate.md)",
    # buf lint (STANDARD + COMMENTS)
    "PACKAGE_VERSION_SUFFIX": "end the package with a version, e.g. `ss3.orders.v1`",
    "PACKAGE_DIRECTORY_MATCH": "put the file in the directory of its package (ss3/orders/v1 for ss3.orders.v1)",
    "PACKAGE_LOWER_SNAKE_CASE": "write the package in lower_snake_case",
    "PACKAGE_SAME_DIRECTORY": "give every file in a directory the same package",
    "MESSAGE_PASCAL_CASE": "name messages in PascalCase",
    "FIELD_LOWER_SNAKE_CASE": "name fields in lower_snake_case",
    "ENUM_PASCAL_CASE": "name enums in PascalCase",
    "ENUM_VALUE_UPPER_SNAKE_CASE": "name enum values in UPPER_SNAKE_CASE",
    "ENUM_VALUE_PREFIX": "prefix each value with the enum's name in UPPER_SNAKE_CASE",
    "ENUM_ZERO_VALUE_SUFFIX": "name the zero value <ENUM>_UNSPECIFIED",
    "SERVICE_PASCAL_CASE": "name services in PascalCase",
    "SERVICE_SUFFIX": "end the service's name with `Service`",
    "RPC_PASCAL_CASE": "name RPCs in PascalCase",
    "RPC_REQUEST_STANDARD_NAME": "name the request <Rpc>Request",
    "RPC_RESPONSE_STANDARD_NAME": "name the response <Rpc>Response",
    "RPC_REQUEST_RESPONSE_UNIQUE": "give each RPC its own request and response messages",
    "IMPORT_USED": "remove the unused import",
    "FILE_LOWER_SNAKE_CASE": "name the file in lower_snake_case.proto",
}
# Advice by rule prefix, for rules without their own entry.
_PREFIX_ADVICE = {
    "COMMENT_": "add a leading `//` comment that says what it is for",
    "SS3_REGISTRY_": "see the registry's message; the change would fail registration after the merge",
}


@dataclass(frozen=True, order=True)
class Violation:
    """One finding, located in a file relative to the repository root."""

    file: str
    line: int
    column: int
    rule: str
    message: str
    end_line: int = 0  # 0: unknown, the start position is used
    end_column: int = 0

    @property
    def advice(self) -> str:
        if self.rule in _ADVICE:
            return _ADVICE[self.rule]
        return next((text for prefix, text in _PREFIX_ADVICE.items() if self.rule.startswith(prefix)), "")

    @property
    def end(self) -> tuple[int, int]:
        """Where the finding ends (line, column); the start when unknown."""
        if self.end_line <= 0:
            return self.line, self.column
        return self.end_line, max(self.end_column, 1)


def render(
    violations: Sequence[Violation],
    fmt: str,
    *,
    summary: str = "",
    notices: Sequence[str] = (),
    base: str | None = None,
) -> str:
    """Render findings in one of FORMATS; an empty list renders the summary only.

    Notices and the base commit are part of the json document; the text and
    github renderings leave them to the caller (they go to stderr there).
    """
    if fmt == "json":
        return _render_json(violations, summary, notices, base)
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


def _render_json(violations: Sequence[Violation], summary: str, notices: Sequence[str], base: str | None) -> str:
    items = [_json_item(v) for v in sorted(violations)]
    document = {"ok": not violations, "summary": summary, "base": base, "notices": list(notices), "violations": items}
    return json.dumps(document, indent=2)


def _json_item(v: Violation) -> dict[str, object]:
    end_line, end_column = v.end
    return dict(asdict(v), end_line=end_line, end_column=end_column, advice=v.advice)


def _render_github(violations: Sequence[Violation], summary: str) -> str:
    lines = [_github_line(v) for v in sorted(violations)]
    if summary:
        lines.append(summary)
    return "\n".join(lines)


def _github_line(v: Violation) -> str:
    # Workflow commands need %, CR and LF escaped in data, plus ',' and ':' in properties.
    message = _escape_data(v.message + (f" Fix: {v.advice}." if v.advice else ""))
    end_line, end_column = v.end
    position = f"line={v.line},endLine={end_line},col={v.column},endColumn={end_column}"
    props = f"file={_escape_prop(v.file)},{position},title={_escape_prop(v.rule)}"
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
