"""The catalog page's section of a topic on analytics engines: what its bundle holds and how each engine reads it."""

from __future__ import annotations

from html import escape

from ss3_schema.catalog.bi.bundle import BI_DIR, CLICKHOUSE_SQL, DESCRIPTOR_SET, README
from ss3_schema.catalog.bi.readme import clickhouse_recipe, framing_text, registry_recipe, spark_recipe
from ss3_schema.catalog.bi.record import TopicRecord


def analytics_section(record: TopicRecord | None) -> str:
    """HTML: the record type, the bundle's files and the recipes (Markdown source shown as text)."""
    if record is None:
        return (
            '<details class="analytics"><summary>Analytics engines</summary><p>This topic has no topic '
            "envelope yet, so no engine can bind one message type to it.</p></details>\n"
        )
    folder = f"{BI_DIR}/{record.topic}/"
    files = ", ".join(
        f'<a href="{escape(folder + name)}"><code>{escape(name)}</code></a>'
        for name in (DESCRIPTOR_SET, CLICKHOUSE_SQL, README)
    )
    recipes = (
        ("ClickHouse", clickhouse_recipe(record)),
        ("Spark", spark_recipe(record)),
        ("Confluent-registry engines", registry_recipe(record)),
    )
    body = "".join(f"<h4>{escape(title)}</h4>\n<pre>{escape(text)}</pre>\n" for title, text in recipes)
    return (
        f'<details class="analytics"><summary>Analytics engines (ClickHouse, Spark, registry)</summary>\n'
        f"<p>Record type <code>{escape(record.record_type)}</code>. {escape(framing_text(record))} "
        f"Files next to this page: {files}.</p>\n{body}</details>\n"
    )
