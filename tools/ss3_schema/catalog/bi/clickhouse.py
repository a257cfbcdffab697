"""A topic's ClickHouse bundle: the schema files as ClickHouse resolves them, and clickhouse.sql.

ClickHouse looks the message up in the `format_schema` file only, and its
imports up from that file's folder (absolute path, chdb) or from the schema root
(relative path: the working directory in chdb, `format_schema_path` on a server).
So the bundle holds a copy of the events file at its root with the `ss3/...`
tree and `google/protobuf/*.proto` beside it, and serves both ways.

clickhouse.sql is re-runnable: typed tables are created if missing and gain the
columns a newer schema added (old rows read them as the column's default), the
Kafka table and the materialized views are replaced, and the consumer group
(one per topic) carries on from its committed offsets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ss3_schema.catalog.bi.columns import Column, Types, message_columns, quote_name, quote_string
from ss3_schema.catalog.bi.record import Member, TopicRecord

BROKERS = "{{KAFKA_BROKER_LIST}}"
SCHEMA_DIR = "{{FORMAT_SCHEMA_DIR}}"
# The format of one Protobuf message per Kafka record, without a length prefix.
KAFKA_FORMAT = "ProtobufSingle"
# Kafka's own columns, kept in every typed table: where each row came from, unique per record.
KAFKA_COLUMNS = (
    Column("kafka_partition", "_partition", "UInt64", "UInt64", "_partition"),
    Column("kafka_offset", "_offset", "UInt64", "UInt64", "_offset"),
)


@dataclass(frozen=True)
class Table:
    """The typed table of one event and the materialized view that fills it from the Kafka table."""

    member: Member
    name: str
    columns: tuple[Column, ...]


def base_name(topic: str) -> str:
    """The topic as an identifier: `ss3.orders.order-events.v1` -> `ss3_orders_order_events_v1`."""
    return re.sub(r"[^A-Za-z0-9_]", "_", topic)


def consumer_group(topic: str) -> str:
    return f"clickhouse-bi.{topic}"


def top_file(record: TopicRecord) -> str:
    """The bundle's copy of the events file, at its root: the file `format_schema` names."""
    return record.file.rsplit("/", 1)[-1]


def kafka_columns(types: Types, record: TopicRecord) -> list[Column]:
    """The Kafka table's columns: every field of the record type, flat, plus the oneof presence column."""
    return message_columns(types, record.record_type)


def event_tables(types: Types, record: TopicRecord) -> list[Table]:
    """One typed table per event: the envelope's own fields, then the event's fields without its member prefix."""
    base = base_name(record.topic)
    if record.oneof is None:
        member = record.members[0]
        columns = message_columns(types, record.record_type)
        return [Table(member, f"{base}__{_snake(member.simple_name)}", (*KAFKA_COLUMNS, *columns))]
    envelope = message_columns(types, record.record_type, skip_oneof=record.oneof)
    taken = {c.name for c in envelope}
    shared = _envelope_fields(types, record)
    tables = []
    for member in record.members:
        event = message_columns(types, member.event, source_prefix=f"{member.field}_", skip_fields=shared)
        # An event field named like an envelope field keeps the member's name in front.
        event = [c if c.name not in taken else _renamed(c, f"{member.field}_{c.name}") for c in event]
        tables.append(Table(member, f"{base}__{member.field}", (*KAFKA_COLUMNS, *envelope, *event)))
    return tables


def _envelope_fields(types: Types, record: TopicRecord) -> frozenset[tuple[str, str]]:
    """(name, type) of the envelope's own fields: an event field like one of them travels in the envelope only."""
    envelope = types.messages[record.record_type]
    return frozenset((f.name, f.type_name) for f in envelope.field if not f.HasField("oneof_index"))


def _renamed(column: Column, name: str) -> Column:
    return Column(name, column.source_name, column.source_type, column.target_type, column.expression)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def render_sql(types: Types, record: TopicRecord, version: str) -> str:
    """clickhouse.sql of the topic; runnable once the two placeholders of its first comment are replaced."""
    base = base_name(record.topic)
    kafka_table = f"{base}__kafka"
    tables = event_tables(types, record)
    parts = [_header(record, version, tables)]
    views = [f"{table.name}__mv" for table in tables] + [f"{base}__errors__mv", f"{base}__unknown__mv"]
    parts += [f"DROP VIEW IF EXISTS {quote_name(view)};\n" for view in views]
    parts.append(f"DROP TABLE IF EXISTS {quote_name(kafka_table)};\n\n")
    for table in tables:
        parts.append(_typed_table(table))
    parts.append(_errors_table(base))
    if record.oneof is not None:
        parts.append(_unknown_table(base))
    parts.append(_kafka_table(types, record, kafka_table))
    for table in tables:
        parts.append(_view(record, table, kafka_table))
    parts.append(_errors_view(base, kafka_table))
    if record.oneof is not None:
        parts.append(_unknown_view(record, base, kafka_table))
    return "".join(parts)


def _header(record: TopicRecord, version: str, tables: list[Table]) -> str:
    names = ", ".join(table.name for table in tables)
    return (
        f"-- Before running, replace {BROKERS} with the Kafka bootstrap servers (host:port,...) and\n"
        f"-- {SCHEMA_DIR} with the folder of the schema files: chdb takes the absolute path of this\n"
        "-- bundle's clickhouse/ folder; a ClickHouse server refuses absolute paths and reads\n"
        "-- under its format_schema_path: copy clickhouse/ there as <topic>/, its ss3/ and google/ folders\n"
        "-- to format_schema_path itself (imports resolve from there), and use <topic>.\n"
        "-- Re-run it after every schema release: it keeps the typed tables and adds the new columns,\n"
        "-- replaces the Kafka table and the views, and the consumer group carries on from its offsets.\n"
        f"--\n-- Topic {record.topic}, schemas {version}: every record is one {record.record_type},\n"
        f"-- Confluent-framed ({record.header_bytes} header bytes skipped). Typed tables: {names}.\n"
        f"-- Consumer group: {consumer_group(record.topic)}.\n\n"
    )


def _typed_table(table: Table) -> str:
    columns = ",\n".join(f"    {quote_name(c.name)} {c.target_type}" for c in table.columns)
    added = ",\n".join(f"    ADD COLUMN IF NOT EXISTS {quote_name(c.name)} {c.target_type}" for c in table.columns)
    return (
        f"-- {table.member.event}\n"
        f"CREATE TABLE IF NOT EXISTS {quote_name(table.name)}\n(\n{columns}\n)\n"
        "ENGINE = MergeTree\nORDER BY (kafka_partition, kafka_offset);\n\n"
        "-- After a schema release: the new columns; rows already stored read them as the default.\n"
        f"ALTER TABLE {quote_name(table.name)}\n{added};\n\n"
    )


def _errors_table(base: str) -> str:
    return (
        "-- Records that do not decode (another framing, a foreign producer): kept here, never a stalled table.\n"
        f"CREATE TABLE IF NOT EXISTS {quote_name(base + '__errors')}\n(\n"
        "    `kafka_partition` UInt64,\n    `kafka_offset` UInt64,\n    `error` String,\n    `raw_message` String\n)\n"
        "ENGINE = MergeTree\nORDER BY (kafka_partition, kafka_offset);\n\n"
    )


def _errors_view(base: str, kafka_table: str) -> str:
    return (
        f"CREATE MATERIALIZED VIEW {quote_name(base + '__errors__mv')} TO {quote_name(base + '__errors')} AS\n"
        "SELECT\n    _partition AS `kafka_partition`,\n    _offset AS `kafka_offset`,\n"
        "    _error AS `error`,\n    _raw_message AS `raw_message`\n"
        f"FROM {quote_name(kafka_table)}\nWHERE length(_error) > 0;\n\n"
    )


def _unknown_table(base: str) -> str:
    return (
        "-- Records of an event this DDL does not know yet (a newer schema's): where they are, to re-read them\n"
        "-- after running the newer release's clickhouse.sql (its views only see records read from then on).\n"
        f"CREATE TABLE IF NOT EXISTS {quote_name(base + '__unknown')}\n(\n"
        "    `kafka_partition` UInt64,\n    `kafka_offset` UInt64\n)\n"
        "ENGINE = MergeTree\nORDER BY (kafka_partition, kafka_offset);\n\n"
    )


def _unknown_view(record: TopicRecord, base: str, kafka_table: str) -> str:
    return (
        f"CREATE MATERIALIZED VIEW {quote_name(base + '__unknown__mv')} TO {quote_name(base + '__unknown')} AS\n"
        "SELECT\n    _partition AS `kafka_partition`,\n    _offset AS `kafka_offset`\n"
        f"FROM {quote_name(kafka_table)}\nWHERE length(_error) = 0 AND {quote_name(str(record.oneof))} = 'omitted';\n\n"
    )


def _kafka_table(types: Types, record: TopicRecord, name: str) -> str:
    columns = ",\n".join(f"    {quote_name(c.source_name)} {c.source_type}" for c in kafka_columns(types, record))
    settings = [
        ("kafka_broker_list", quote_string(BROKERS)),
        ("kafka_topic_list", quote_string(record.topic)),
        ("kafka_group_name", quote_string(consumer_group(record.topic))),
        ("kafka_format", quote_string(KAFKA_FORMAT)),
        ("kafka_schema", quote_string(f"{SCHEMA_DIR}/{top_file(record)}:{record.simple_name}")),
        ("kafka_schema_registry_skip_bytes", str(record.header_bytes)),
        ("kafka_handle_error_mode", quote_string("stream")),
        ("input_format_protobuf_oneof_presence", "1"),
    ]
    rendered = ",\n".join(f"    {key} = {value}" for key, value in settings)
    return f"CREATE TABLE {quote_name(name)}\n(\n{columns}\n)\nENGINE = Kafka\nSETTINGS\n{rendered};\n\n"


def _view(record: TopicRecord, table: Table, kafka_table: str) -> str:
    select = ",\n".join(f"    {c.expression} AS {quote_name(c.name)}" for c in table.columns)
    where = "\nWHERE length(_error) = 0"
    if record.oneof is not None:
        where += f" AND {quote_name(record.oneof)} = {quote_string(table.member.field)}"
    return (
        f"CREATE MATERIALIZED VIEW {quote_name(table.name + '__mv')} TO {quote_name(table.name)} AS\n"
        f"SELECT\n{select}\nFROM {quote_name(kafka_table)}{where};\n\n"
    )


def statements(sql: str) -> Iterable[str]:
    """The statements of a clickhouse.sql, for clients that take one at a time."""
    for chunk in sql.split(";\n"):
        lines = [line for line in chunk.splitlines() if not line.startswith("--")]
        text = "\n".join(lines).strip()
        if text:
            yield text
