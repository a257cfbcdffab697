"""Run a generated clickhouse.sql in chdb (embedded ClickHouse, its Kafka engine) and read the typed tables."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ss3_schema.catalog.bi.clickhouse import statements

# The Kafka engine flushes a block every stream_flush_interval_ms (7.5 s by default).
WAIT_S = 180.0  # generous: on a loaded 2-core machine its consumers can lag far behind


def bundle_sql(bundle: Path, bootstrap: str, schema_dir: str) -> str:
    """The bundle's clickhouse.sql with its two placeholders replaced, as its first comment says."""
    sql = (bundle / "clickhouse.sql").read_text(encoding="utf-8")
    return sql.replace("{{KAFKA_BROKER_LIST}}", bootstrap).replace("{{FORMAT_SCHEMA_DIR}}", schema_dir)


def run_sql(session: Any, sql: str) -> None:
    for statement in statements(sql):
        session.query(statement)


def rows(session: Any, table: str) -> Iterator[dict[str, Any]]:
    """Every row of a typed table as JSON objects (tuples as objects, 64-bit integers as numbers)."""
    text = session.query(
        f"SELECT * FROM `{table}` ORDER BY kafka_partition, kafka_offset FORMAT JSONEachRow "  # noqa: S608
        "SETTINGS output_format_json_quote_64bit_integers = 0, output_format_json_named_tuples_as_objects = 1"
    ).bytes()
    for line in text.decode("utf-8").splitlines():
        if line:
            yield json.loads(line)


def wait_for(check: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"ClickHouse did not {what} within {timeout:.0f} s")
        time.sleep(0.5)
