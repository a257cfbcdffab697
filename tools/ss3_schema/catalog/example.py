"""An example payload of each event in the protobuf JSON mapping, the form BI tools and JSON consumers see.

The mapping's rules that surprise people are the ones shown: 64-bit integers
are strings, enums are their value names, bytes are base64, Timestamps are
RFC 3339 strings, keys are the fields' JSON names. One member of each oneof is
set. A message already being filled higher up (a recursive type) is left out,
so every example is finite.
"""

from __future__ import annotations

from typing import Any

from ss3_schema.catalog.model import Catalog, Field, TypeRef

STRING_INTEGERS = frozenset({"int64", "uint64", "sint64", "fixed64", "sfixed64"})
NUMBER_EXAMPLES: dict[str, Any] = {"double": 12.5, "float": 0.5, "bool": True, "bytes": "AAEC"}
WELL_KNOWN_EXAMPLES: dict[str, Any] = {
    "google.protobuf.Timestamp": "2026-01-31T09:30:00Z",
    "google.protobuf.Duration": "1.5s",
    "google.protobuf.FieldMask": "items,status",
    "google.protobuf.Struct": {"key": "value"},
    "google.protobuf.Value": "value",
    "google.protobuf.ListValue": ["value"],
    "google.protobuf.Empty": {},
    "google.protobuf.StringValue": "text",
    "google.protobuf.BytesValue": "AAEC",
    "google.protobuf.BoolValue": True,
    "google.protobuf.DoubleValue": 12.5,
    "google.protobuf.FloatValue": 0.5,
    "google.protobuf.Int32Value": 1,
    "google.protobuf.UInt32Value": 1,
    "google.protobuf.Int64Value": "1",
    "google.protobuf.UInt64Value": "1",
}
MAP_KEYS = {"string": "key", "bool": "true"}


def example_payload(catalog: Catalog, message: str) -> dict[str, Any]:
    """A JSON object for `message` (full name) with every field but the unreachable ones set."""
    return _message(catalog, message, (message,))


def _message(catalog: Catalog, name: str, stack: tuple[str, ...]) -> dict[str, Any]:
    message = catalog.messages.get(name)
    if message is None:
        return {}
    payload: dict[str, Any] = {}
    filled_oneofs: set[str] = set()
    for f in message.fields:
        if f.oneof is not None and f.oneof in filled_oneofs:
            continue
        if f.value.kind == "message" and f.value.name in stack:
            continue  # recursion: stop here
        payload[f.json_name] = _field(catalog, f, stack)
        if f.oneof is not None:
            filled_oneofs.add(f.oneof)
    return payload


def _field(catalog: Catalog, f: Field, stack: tuple[str, ...]) -> Any:
    value = _value(catalog, f.value, f.name, stack)
    if f.map_key is not None:
        return {MAP_KEYS.get(f.map_key, "1"): value}
    return [value] if f.repeated else value


def _value(catalog: Catalog, ref: TypeRef, field_name: str, stack: tuple[str, ...]) -> Any:
    if ref.kind == "enum":
        return _enum_value(catalog, ref.name)
    if ref.kind == "message":
        if ref.name in WELL_KNOWN_EXAMPLES:
            return WELL_KNOWN_EXAMPLES[ref.name]
        return _message(catalog, ref.name, (*stack, ref.name))
    if ref.name == "string":
        return _string_example(field_name)
    if ref.name in STRING_INTEGERS:
        return "1"
    return NUMBER_EXAMPLES.get(ref.name, 1)


def _enum_value(catalog: Catalog, name: str) -> str | int:
    enum = catalog.enums.get(name)
    if enum is None or not enum.values:
        return 0
    # The first value after the UNSPECIFIED zero is the one a real event carries.
    meaningful = [v for v in enum.values if v.number != 0]
    return (meaningful or list(enum.values))[0].name


def _string_example(field_name: str) -> str:
    if field_name.endswith("_id") or field_name == "id":
        return f"{field_name.removesuffix('_id') or 'id'}-0001"
    if "currency" in field_name:
        return "EUR"
    return field_name.replace("_", " ")
