"""`ss3-schema catalog` writes a BI bundle per topic that engines can use as it is (no broker needed here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from chdb import session as chdb_session
from ss3 import topics
from ss3_schema.catalog.bi.clickhouse import consumer_group

from tests.bi.bundles import load_bundle, load_bundles
from tests.bi.chdb_kafka import bundle_sql, run_sql
from tests.helpers import REPO_ROOT, run_cli

# Nothing listens there: creating Kafka tables does not connect, which is all these tests need.
NO_BROKER = "127.0.0.1:9"


def test_every_topic_has_a_bundle_bound_to_its_envelope(bi_dir: Path) -> None:
    bundles = load_bundles(bi_dir)  # each descriptor set loads into an empty pool: self-contained
    assert set(bundles) == set(topics.TOPIC_EVENTS)
    for topic, bundle in bundles.items():
        envelope = topics.TOPIC_ENVELOPE[topic].DESCRIPTOR.full_name
        assert bundle.record.record_type == envelope
        assert {m.event for m in bundle.record.members} == {c.DESCRIPTOR.full_name for c in topics.TOPIC_EVENTS[topic]}
        assert bundle.pool.FindFileByName("google/protobuf/timestamp.proto")
        assert f"`{envelope}`" in (bundle.folder / "README.md").read_text(encoding="utf-8")
        schema_files = bundle.folder / "clickhouse"
        for name in (
            "google/protobuf/timestamp.proto",
            "google/protobuf/descriptor.proto",
            "ss3/options/v1/options.proto",
        ):
            assert (schema_files / name).is_file(), name
        sql = (bundle.folder / "clickhouse.sql").read_text(encoding="utf-8")
        first_comment = sql.split("\n\n", 1)[0]
        assert "{{KAFKA_BROKER_LIST}}" in first_comment and "{{FORMAT_SCHEMA_DIR}}" in first_comment
        assert f"kafka_group_name = '{consumer_group(topic)}'" in sql
        assert "kafka_schema_registry_skip_bytes = 7" in sql


def test_the_catalog_page_shows_each_topics_engine_recipes(bi_dir: Path) -> None:
    page = (bi_dir.parent / "index.html").read_text(encoding="utf-8")
    for topic in topics.TOPIC_EVENTS:
        section = page.split(f'id="topic-{topic}"', 1)[1].split("</details>", 1)[0]
        assert f'href="bi/{topic}/clickhouse.sql"' in section
        assert "from_protobuf" in section and "substring(value, 8)" in section
        assert f"{topic}-value" in section and "/apis/ccompat/v7" in section


def test_clickhouse_runs_every_statement_with_the_absolute_schema_path(bi_dir: Path, tmp_path: Path) -> None:
    session = chdb_session.Session(str(tmp_path / "clickhouse"))
    try:
        for bundle in load_bundles(bi_dir).values():
            run_sql(session, bundle_sql(bundle.folder, NO_BROKER, str((bundle.folder / "clickhouse").resolve())))
            described = describe(session, bundle.folder / "clickhouse", bundle.record.simple_name, absolute=True)
            assert "metadata" in described
            for table in bundle.tables:
                query = f"SELECT name FROM system.columns WHERE table = '{table.name}'"  # noqa: S608
                columns = session.query(query, "CSV")
                assert len(columns.bytes().splitlines()) == len(table.columns)
    finally:
        session.close()


def test_the_server_layout_resolves_from_the_schema_root(
    bi_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented server steps: clickhouse/ as <topic>/ under the schema root, ss3/ and google/ at the root."""
    root = tmp_path / "format_schemas"
    for bundle in load_bundles(bi_dir).values():
        topic = bundle.record.topic
        shutil.copytree(bundle.folder / "clickhouse", root / topic)
        for shared in ("ss3", "google"):
            shutil.copytree(bundle.folder / "clickhouse" / shared, root / shared, dirs_exist_ok=True)
    monkeypatch.chdir(root)  # chdb resolves a relative format_schema as a server does under format_schema_path
    session = chdb_session.Session(str(tmp_path / "clickhouse"))
    try:
        for bundle in load_bundles(bi_dir).values():
            run_sql(session, bundle_sql(bundle.folder, NO_BROKER, bundle.record.topic))
            described = describe(session, Path(bundle.record.topic), bundle.record.simple_name, absolute=False)
            assert "metadata" in described
    finally:
        session.close()


def describe(session: object, folder: Path, message: str, *, absolute: bool) -> str:
    """What ClickHouse reads from the bundle's top file (fails if an import does not resolve)."""
    top = next(p.name for p in (folder if absolute else Path.cwd() / folder).glob("*.proto"))
    schema = f"{folder}/{top}:{message}"
    result = session.query(f"DESCRIBE format(ProtobufSingle, '') SETTINGS format_schema = '{schema}'", "TSV")  # type: ignore[attr-defined]
    return str(result.bytes().decode("utf-8"))


def test_a_topic_without_an_envelope_gets_no_bundle(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "proto", repo / "proto")
    for name in ("buf.yaml", "VERSION"):
        shutil.copyfile(REPO_ROOT / name, repo / name)
    path = repo / "proto/ss3/orders/v1/order_events.proto"
    text = path.read_text(encoding="utf-8")
    start = text.index("// A record of topic")
    end = text.index("// A customer placed an order")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    proc = run_cli("catalog", "--output", str(tmp_path / "out"), cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "out/bi/ss3.orders.order-events.v1").exists()
    assert load_bundle(tmp_path / "out/bi/ss3.payments.payment-events.v1").record.index == 0
