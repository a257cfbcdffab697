"""How to read one topic from each kind of engine: the bundle's README.md and the catalog page's section."""

from __future__ import annotations

from ss3_schema.catalog.bi.clickhouse import BROKERS, SCHEMA_DIR, consumer_group
from ss3_schema.catalog.bi.record import TopicRecord

ANALYTICS_DOC = "docs/analytics.md"
SPARK_PROTOBUF = "org.apache.spark:spark-protobuf_2.13"
REGISTRY_PATH = "/apis/ccompat/v7"


def framing_text(record: TopicRecord) -> str:
    return (
        f"Every record value is one `{record.record_type}` in Confluent's wire format: a `0x00` byte, the "
        f"4-byte schema id, the message index, then the message: {record.header_bytes} bytes before the message."
    )


def clickhouse_recipe(record: TopicRecord) -> str:
    return (
        "Replace the two placeholders of `clickhouse.sql` and run it: one typed table per event, filled by the "
        f"Kafka engine under consumer group `{consumer_group(record.topic)}`. A ClickHouse server reads schema "
        "files only under its `format_schema_path` (`/var/lib/clickhouse/format_schemas/` by default) and refuses "
        "absolute paths; imports resolve from that folder:\n\n"
        "```sh\n"
        "SCHEMAS=/var/lib/clickhouse/format_schemas\n"
        f"mkdir -p $SCHEMAS/{record.topic} && cp -r clickhouse/. $SCHEMAS/{record.topic}/\n"
        "cp -r clickhouse/ss3 clickhouse/google $SCHEMAS/\n"
        f"sed -e 's/{BROKERS}/broker1:9092/' -e 's#{SCHEMA_DIR}#{record.topic}#' clickhouse.sql \\\n"
        "  | clickhouse-client --multiquery\n"
        "```\n\n"
        f"chdb (embedded ClickHouse) takes the absolute path of `clickhouse/` for `{SCHEMA_DIR}`; its Kafka engine "
        "works with chdb-core 26.1.0 (later cores refuse to create Kafka tables). "
        f"`{ANALYTICS_DOC}` has the Python to run it.\n"
    )


def spark_recipe(record: TopicRecord) -> str:
    return (
        f"`from_protobuf` with `descriptor_set.binpb` and message `{record.record_type}`, after cutting the "
        f"{record.header_bytes}-byte header (`{SPARK_PROTOBUF}` of your Spark version, from Maven Central):\n\n"
        "```python\n"
        "from pyspark.sql.functions import expr\n"
        "from pyspark.sql.protobuf.functions import from_protobuf\n\n"
        'records = spark.read.format("kafka").option("kafka.bootstrap.servers", "broker1:9092") \\\n'
        f'    .option("subscribe", "{record.topic}").option("startingOffsets", "earliest").load()\n'
        "events = records.select(from_protobuf(\n"
        f'    expr("substring(value, {record.header_bytes + 1})"), "{record.record_type}",\n'
        '    descFilePath="descriptor_set.binpb", options={"enums.as.ints": "false"}).alias("event"))\n'
        "```\n"
    )


def registry_recipe(record: TopicRecord) -> str:
    return (
        "Engines that speak Confluent's Schema Registry API (Databricks, Kafka Connect converters, "
        "RisingWave, Materialize, Druid, Pinot) read the schema id from each record and ask the registry's "
        f"Confluent-compatible API, `<registry>{REGISTRY_PATH}`, subject `{record.topic}-value`; the record type "
        f"is message `{record.record_type}` (message index {record.index}).\n"
    )


def render_readme(record: TopicRecord, version: str) -> str:
    events = "\n".join(
        f"- `{m.event}`" + (f" (oneof `{record.oneof}` member `{m.field}`)" if record.oneof else "")
        for m in record.members
    )
    return (
        f"# {record.topic}: reading it from analytics engines\n\n"
        f"Schemas {version}. Record type (the topic envelope): `{record.record_type}`, declared in "
        f"`{record.file}`. {framing_text(record)}\n\n"
        f"Events:\n\n{events}\n\n"
        "| file | what |\n|---|---|\n"
        "| `descriptor_set.binpb` | self-contained FileDescriptorSet (imports and google/protobuf included) |\n"
        "| `clickhouse/` | the schema files laid out as ClickHouse resolves imports |\n"
        "| `clickhouse.sql` | Kafka engine table, one typed table and materialized view per event |\n\n"
        f"## ClickHouse\n\n{clickhouse_recipe(record)}\n"
        f"## Spark\n\n{spark_recipe(record)}\n"
        f"## Engines that use a Confluent-compatible registry\n\n{registry_recipe(record)}\n"
        f"Type mapping and what a new schema version means for your tables: `{ANALYTICS_DOC}` in the schema "
        "repository.\n"
    )
