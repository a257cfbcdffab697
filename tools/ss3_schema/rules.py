"""Every rule the gate reports, as data: its id, what it protects, the advice, where it is documented.

The project's own rules (``SS3_*`` and ``COMPILE``) are emitted under these ids by
gate/, build/ and registry/; buf's rules keep buf's ids and only get advice here.
The report's advice and the rule table of docs/gate.md both come from this table
(tests/gate/test_rule_table.py holds the page equal to `markdown_table()`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RuleId(StrEnum):
    """The ids of the project's own rules; a Violation's `rule` is one of these or a buf rule name."""

    COMPILE = "COMPILE"
    EVENT_TOPIC_DECLARED = "SS3_EVENT_TOPIC_DECLARED"
    EVENT_TOPIC_VALID = "SS3_EVENT_TOPIC_VALID"
    EVENT_TOPIC_UNIQUE = "SS3_EVENT_TOPIC_UNIQUE"
    EVENT_TOPIC_UNCHANGED = "SS3_EVENT_TOPIC_UNCHANGED"
    EVENT_STAYS_EVENT = "SS3_EVENT_STAYS_EVENT"
    EVENT_ENVELOPE = "SS3_EVENT_ENVELOPE"
    ENVELOPE_FIRST = "SS3_ENVELOPE_FIRST"
    ENVELOPE_MEMBERS = "SS3_ENVELOPE_MEMBERS"
    ENVELOPE_MEMBERS_KEPT = "SS3_ENVELOPE_MEMBERS_KEPT"
    JAVA_OPTIONS = "SS3_JAVA_OPTIONS"
    FIELD_TYPE_FULL_NAME = "SS3_FIELD_TYPE_FULL_NAME"
    JSON_NAME_VALID = "SS3_JSON_NAME_VALID"
    COMMENT_TOO_LONG = "SS3_COMMENT_TOO_LONG"
    GATE_RULES_NARROWED = "SS3_GATE_RULES_NARROWED"
    REGISTRY_REJECTS = "SS3_REGISTRY_REJECTS"


@dataclass(frozen=True)
class Rule:
    id: str
    part: str  # where `check` runs it: compile, lint, events, breaking, gate, registry
    protects: str  # what a consumer or the gate would lose without it
    advice: str  # what the schema author should do, in their terms
    docs: str  # the page and section that explains it


GATE = "docs/gate.md"
CLIENTS = "docs/kafka-clients.md"
CHANGES = "docs/schema-changes.md"

OWN_RULES: tuple[Rule, ...] = (
    Rule(
        RuleId.COMPILE,
        "compile",
        "every later stage works on a schema set that compiles",
        "fix the schema so that it compiles; nothing was generated",
        f"{GATE}#one-schema-set-and-what-it-may-hold",
    ),
    Rule(
        RuleId.EVENT_TOPIC_DECLARED,
        "events",
        "every event reaches a known topic; the registry artifact is named after it",
        'set `option (ss3.options.v1.topic) = "...";` in the event file',
        f"{CLIENTS}#decisions-one-record-type-per-topic-one-wire-format",
    ),
    Rule(
        RuleId.EVENT_TOPIC_VALID,
        "events",
        "the topic name is one Kafka accepts",
        "use lower-case letters, digits, '.', '_' and '-' only (Kafka topic rules)",
        f"{CLIENTS}#decisions-one-record-type-per-topic-one-wire-format",
    ),
    Rule(
        RuleId.EVENT_TOPIC_UNIQUE,
        "events",
        "one topic, one envelope: a consumer decodes every record of a topic with one type",
        "each topic belongs to exactly one event file",
        f"{CLIENTS}#decisions-one-record-type-per-topic-one-wire-format",
    ),
    Rule(
        RuleId.EVENT_TOPIC_UNCHANGED,
        "breaking",
        "running consumers keep finding a published event on its topic",
        "a published event keeps its topic; declare a new event file for a new topic",
        CHANGES,
    ),
    Rule(
        RuleId.EVENT_STAYS_EVENT,
        "breaking",
        "a published event keeps being produced and registered",
        "a published event stays an event; deprecate it instead",
        CHANGES,
    ),
    Rule(
        RuleId.EVENT_ENVELOPE,
        "events",
        "every event carries the common metadata (event id, time, correlation, producer) as field 1",
        "make the first field `ss3.common.v1.EventMetadata metadata = 1`",
        f"{CLIENTS}#decisions-one-record-type-per-topic-one-wire-format",
    ),
    Rule(
        RuleId.ENVELOPE_FIRST,
        "events",
        "the serdes and the analytics engines take the file's first message as the topic's record type",
        "start the file with its topic envelope: `ss3.common.v1.EventMetadata metadata = 1` and "
        "a oneof `event` with every event (see docs/kafka-clients.md)",
        f"{CLIENTS}#decisions-one-record-type-per-topic-one-wire-format",
    ),
    Rule(
        RuleId.ENVELOPE_MEMBERS,
        "events",
        "every event of the file can be written to its topic, as exactly one member",
        "list every event of the file once in the envelope's oneof `event`, with the next free number",
        f"{CLIENTS}#decisions-one-record-type-per-topic-one-wire-format",
    ),
    Rule(
        RuleId.ENVELOPE_MEMBERS_KEPT,
        "breaking",
        "records already on the topic keep decoding: consumers find the event by its member number and type",
        "keep every member with its number and type; consumers decode old records by them",
        CHANGES,
    ),
    Rule(
        RuleId.JAVA_OPTIONS,
        "lint",
        "JVM services (and the Apicurio serde's class derivation) find one generated class per message",
        "set the file's java options as the message says (java_multiple_files, java_package, java_outer_classname)",
        f"{CLIENTS}#java-and-quarkus-services",
    ),
    Rule(
        RuleId.FIELD_TYPE_FULL_NAME,
        "lint",
        "the Apicurio Java serializer matches the registered text with the generated class",
        "write the full name of a type declared in another file, e.g. `ss3.common.v1.Money`",
        f"{GATE}#one-schema-set-and-what-it-may-hold",
    ),
    Rule(
        RuleId.JSON_NAME_VALID,
        "lint",
        "the AsyncAPI document and JSON consumers get keys without control characters",
        "remove the control character from the json_name",
        f"{GATE}#one-schema-set-and-what-it-may-hold",
    ),
    Rule(
        RuleId.COMMENT_TOO_LONG,
        "lint",
        "the catalog and every registered schema stay bounded",
        "shorten the comment to the limit the finding names; link to longer documentation instead",
        f"{GATE}#one-schema-set-and-what-it-may-hold",
    ),
    Rule(
        RuleId.GATE_RULES_NARROWED,
        "gate",
        "a change cannot weaken the gate that judges it",
        "revert it, or add it with a reason to gate-overrides.yaml for the schema owners to review (docs/gate.md)",
        f"{GATE}#a-change-cannot-weaken-the-gate-that-judges-it",
    ),
    Rule(
        RuleId.REGISTRY_REJECTS,
        "registry",
        "what merges also registers: the registry's own rules accept the changed event schemas",
        "see the registry's message; the change would fail registration after the merge",
        f"{GATE}#the-registry-in-the-pr-workflow",
    ),
)

# buf's rules (buf.yaml: lint STANDARD + COMMENTS, breaking FILE): buf's ids, our advice.
BUF_ADVICE: dict[str, str] = {
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
# Advice by rule prefix, for buf rules without their own entry.
BUF_PREFIX_ADVICE: dict[str, str] = {
    "COMMENT_": "add a leading `//` comment that says what it is for",
}

_OWN = {rule.id: rule for rule in OWN_RULES}


def advice(rule_id: str) -> str:
    """What to do about a finding of `rule_id` ("" for a rule without advice)."""
    if rule_id in _OWN:
        return _OWN[rule_id].advice
    if rule_id in BUF_ADVICE:
        return BUF_ADVICE[rule_id]
    return next((text for prefix, text in BUF_PREFIX_ADVICE.items() if rule_id.startswith(prefix)), "")


def markdown_table() -> str:
    """The rule table of docs/gate.md: one row per own rule."""
    rows = ["| rule | part | protects | what to do |", "|---|---|---|---|"]
    for rule in OWN_RULES:
        cells = [f"[`{rule.id}`]({_relative(rule.docs)})", rule.part, rule.protects, rule.advice]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def _relative(docs: str) -> str:
    # The table lives in docs/gate.md: links are relative to docs/.
    return docs.removeprefix("docs/gate.md").removeprefix("docs/") or "#"
