"""The AsyncAPI 3.0 document: one channel per topic, one message per event, Protobuf payloads.

The official Protobuf schema parser (@asyncapi/protobuf-schema-parser) reads a
payload as one `.proto` text with a single package and no imports but
`google/protobuf/*`. So each event's schema is rendered from the descriptors
as one self-contained text: the event's own package, every message and enum it
uses transitively, the ones from other packages renamed with their package
(`ss3.common.v1.EventMetadata` becomes `ss3_common_v1_EventMetadata`, its full
name kept in its comment), the event marked `@RootNode` for the parser.
"""

from __future__ import annotations

from typing import Any

import yaml

from ss3_schema.catalog.model import (
    ARTIFACT_GROUP,
    Catalog,
    Enum,
    Field,
    Message,
    Topic,
    default_json_name,
    is_well_known,
)

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
SCHEMA_FORMAT = "application/vnd.google.protobuf;version=3"
CONTENT_TYPE = "application/x-protobuf"
ROOT_NODE = "@RootNode"
WELL_KNOWN_FILES = {
    "Timestamp": "timestamp",
    "Duration": "duration",
    "Any": "any",
    "Empty": "empty",
    "FieldMask": "field_mask",
    "Struct": "struct",
    "Value": "struct",
    "ListValue": "struct",
    "NullValue": "struct",
}
WRAPPERS_FILE = "wrappers"


def render_asyncapi(catalog: Catalog) -> str:
    document = asyncapi_document(catalog)
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(document, Dumper=_block_dumper(dumper), sort_keys=False, allow_unicode=True, width=120)


def _block_dumper(base: Any) -> Any:
    class BlockDumper(base):  # type: ignore[misc]
        """Multi-line strings (schemas, descriptions) as YAML literal blocks: readable in the registry."""

    def represent_str(dumper: Any, value: str) -> Any:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    BlockDumper.add_representer(str, represent_str)
    return BlockDumper


def asyncapi_document(catalog: Catalog) -> dict[str, Any]:
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "ShopSTAR3 domain events",
            "version": catalog.version,
            "description": (
                "The Kafka topics of the ShopSTAR3 commerce platform and the Protobuf events on them. Values are "
                "written by the Apicurio Registry Protobuf serde in payload mode; each topic's schema is the "
                f"registry artifact `<topic>-value` in group `{ARTIFACT_GROUP}`. Every event starts with the "
                f"envelope `{catalog.envelope}` (field 1, `metadata`)."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "channels": {topic.name: _channel(catalog, topic) for topic in catalog.topics},
        "operations": {f"receive-{topic.name}": _operation(catalog, topic) for topic in catalog.topics},
        "components": {
            "messages": {
                catalog.messages[name].full_name: _message(catalog, topic, catalog.messages[name])
                for topic in catalog.topics
                for name in topic.events
            }
        },
    }


def _channel(catalog: Catalog, topic: Topic) -> dict[str, Any]:
    events = [catalog.messages[name] for name in topic.events]
    return {
        "address": topic.name,
        "title": topic.name,
        "description": f"Events declared in proto/{topic.file}: {', '.join(m.name for m in events)}.",
        "messages": {m.name: {"$ref": f"#/components/messages/{m.full_name}"} for m in events},
        "bindings": {"kafka": {"topic": topic.name, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _operation(catalog: Catalog, topic: Topic) -> dict[str, Any]:
    names = [catalog.messages[name].name for name in topic.events]
    return {
        "action": "receive",
        "title": f"Consume {topic.name}",
        "channel": {"$ref": f"#/channels/{topic.name}"},
        "messages": [{"$ref": f"#/channels/{topic.name}/messages/{name}"} for name in names],
    }


def _message(catalog: Catalog, topic: Topic, message: Message) -> dict[str, Any]:
    found: dict[str, Any] = {"name": message.name, "title": message.full_name}
    if message.doc:
        found["summary"] = message.doc.split("\n", 1)[0]
        found["description"] = message.doc
    found["contentType"] = CONTENT_TYPE
    found["payload"] = {"schemaFormat": SCHEMA_FORMAT, "schema": event_proto(catalog, message)}
    found["bindings"] = {
        "kafka": {
            "schemaIdLocation": "payload",
            "bindingVersion": KAFKA_BINDING_VERSION,
        }
    }
    found["x-registry-artifact"] = {"groupId": ARTIFACT_GROUP, "artifactId": topic.artifact_id}
    found["x-java-class"] = message.java_class
    if message.deprecated:
        found["deprecated"] = True
    return found


def event_proto(catalog: Catalog, event: Message) -> str:
    """One self-contained proto3 text: the event and everything it uses, in the event's package."""
    messages, enums, well_known = _closure(catalog, event)
    names = {name: _local_name(event.package, name) for name in [*messages, *enums]}
    lines = ['syntax = "proto3";', "", f"package {event.package};", ""]
    lines += [f'import "google/protobuf/{file}.proto";' for file in sorted(well_known)]
    for name in messages:
        lines += ["", *_message_text(catalog.messages[name], names, root=name == event.full_name)]
    for name in enums:
        lines += ["", *_enum_text(catalog.enums[name], names)]
    return "\n".join(lines) + "\n"


def _closure(catalog: Catalog, event: Message) -> tuple[list[str], list[str], set[str]]:
    messages, enums, well_known = [event.full_name], [], set()
    index = 0
    while index < len(messages):
        for f in catalog.messages[messages[index]].fields:
            name = f.value.name
            if is_well_known(name):
                short = name.rsplit(".", 1)[-1]
                well_known.add(WELL_KNOWN_FILES.get(short, WRAPPERS_FILE))
            elif f.value.kind == "message" and name in catalog.messages and name not in messages:
                messages.append(name)
            elif f.value.kind == "enum" and name in catalog.enums and name not in enums:
                enums.append(name)
        index += 1
    return messages, enums, well_known


def _local_name(package: str, full_name: str) -> str:
    if package and full_name.startswith(f"{package}."):
        return full_name.removeprefix(f"{package}.").replace(".", "_")
    return full_name.replace(".", "_")


def _comment(doc: str, indent: str) -> list[str]:
    return [f"{indent}// {line}".rstrip() for line in doc.split("\n")] if doc else []


def _message_text(message: Message, names: dict[str, str], *, root: bool) -> list[str]:
    local = names[message.full_name]
    doc = message.doc
    if local != message.short_name:
        doc = f"{doc}\n({message.full_name})" if doc else f"({message.full_name})"
    if root:
        doc = f"{doc}\n{ROOT_NODE}" if doc else ROOT_NODE
    lines = [*_comment(doc, ""), f"message {local} {{"]
    if message.deprecated:
        lines.append("  option deprecated = true;")
    oneofs: dict[str, list[Field]] = {}
    for f in message.fields:
        if f.oneof is None:
            lines += _field_text(f, names, "  ")
        elif f.oneof not in oneofs:
            oneofs[f.oneof] = [g for g in message.fields if g.oneof == f.oneof]
            lines.append(f"  oneof {f.oneof} {{")
            for member in oneofs[f.oneof]:
                lines += _field_text(member, names, "    ")
            lines.append("  }")
    return [*lines, "}"]


def _field_text(f: Field, names: dict[str, str], indent: str) -> list[str]:
    value = names.get(f.value.name, f.value.name)
    if f.map_key is not None:
        kind = f"map<{f.map_key}, {value}>"
    else:
        label = "repeated " if f.repeated else "optional " if f.optional else ""
        kind = label + value
    options = []
    if f.json_name != default_json_name(f.name):
        escaped = f.json_name.replace("\\", "\\\\").replace('"', '\\"')
        options.append(f'json_name = "{escaped}"')
    if f.deprecated:
        options.append("deprecated = true")
    suffix = f" [{', '.join(options)}]" if options else ""
    return [*_comment(f.doc, indent), f"{indent}{kind} {f.name} = {f.number}{suffix};"]


def _enum_text(enum: Enum, names: dict[str, str]) -> list[str]:
    lines = [*_comment(enum.doc, ""), f"enum {names[enum.full_name]} {{"]
    if len({v.number for v in enum.values}) < len(enum.values):
        lines.append("  option allow_alias = true;")
    for value in enum.values:
        suffix = " [deprecated = true]" if value.deprecated else ""
        lines += [*_comment(value.doc, "  "), f"  {value.name} = {value.number}{suffix};"]
    return [*lines, "}"]
