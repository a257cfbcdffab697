"""The code blocks of docs/analytics.md, run as a BI engineer would run them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer
from ss3 import topics
from ss3.kafka.wire import confluent_prefix
from ss3.orders.v1 import order_events_pb2

from devservices.kafka import RunningKafka
from tests.docs.snippets import code
from tests.helpers import make_schema_repo

ORDERS = topics.SS3_ORDERS_ORDER_EVENTS_V1
# Stands in for clickhouse-client only: the real ClickHouse (chdb) runs the piped SQL with the
# working directory as its schema root, as a server reads under format_schema_path.
CLIENT = """#!{python}
import os, sys
from chdb import session
db = session.Session(os.environ["CLIENT_STATE"])
os.chdir(os.environ["SCHEMAS"])
db.query(sys.stdin.read())
tables = db.query("SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name", "CSV")
print(tables.bytes().decode())
db.close()
"""


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first block, in a copy of this checkout's schemas: what `make catalog` writes."""
    repo = make_schema_repo(tmp_path_factory.mktemp("analytics") / "repo")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = run_block(code("analytics-catalog"), repo.root, env)
    assert "clickhouse.sql" in proc.stdout and "descriptor_set.binpb" in proc.stdout, proc.stdout
    return repo.root / "dist" / "catalog" / "bi" / ORDERS


def run_block(code: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def produce_cancelled(bootstrap: str) -> str:
    envelope = order_events_pb2.OrderEvents()
    envelope.metadata.event_id = str(uuid.uuid4())
    envelope.metadata.occurred_at.seconds = 1_767_225_600
    envelope.order_cancelled.order_id = f"o-{uuid.uuid4().hex[:8]}"
    envelope.order_cancelled.reason = order_events_pb2.CANCELLATION_REASON_OUT_OF_STOCK
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(ORDERS, confluent_prefix(1) + envelope.SerializeToString())
    assert producer.flush(30) == 0
    return envelope.order_cancelled.order_id


@pytest.mark.interop
def test_the_server_steps_create_the_tables(kafka_broker: RunningKafka, bundle_dir: Path, tmp_path: Path) -> None:
    client = tmp_path / "bin" / "clickhouse-client"
    client.parent.mkdir()
    client.write_text(CLIENT.format(python=sys.executable), encoding="utf-8")
    client.chmod(0o755)
    schemas = tmp_path / "format_schemas"
    env = dict(
        os.environ,
        PATH=f"{client.parent}{os.pathsep}{os.environ['PATH']}",
        SCHEMAS=str(schemas),
        CLIENT_STATE=str(tmp_path / "state"),
        KAFKA_BOOTSTRAP_SERVERS=kafka_broker.bootstrap,
    )
    proc = run_block(code("analytics-clickhouse-server"), bundle_dir, env)
    assert (schemas / ORDERS / "order_events.proto").is_file() and (
        schemas / "google/protobuf/timestamp.proto"
    ).is_file()
    for table in ("ss3_orders_order_events_v1__order_cancelled", "ss3_orders_order_events_v1__kafka"):
        assert table in proc.stdout


@pytest.mark.interop
def test_the_chdb_loop_reads_the_topic(kafka_broker: RunningKafka, bundle_dir: Path, tmp_path: Path) -> None:
    order_id = produce_cancelled(kafka_broker.bootstrap)
    script = tmp_path / "chdb_recipe.py"
    script.write_text(textwrap.dedent(code("analytics-chdb")), encoding="utf-8")
    env = dict(os.environ, BUNDLE=str(bundle_dir), KAFKA_BOOTSTRAP_SERVERS=kafka_broker.bootstrap)
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert order_id in proc.stdout and "CANCELLATION_REASON_OUT_OF_STOCK" in proc.stdout, proc.stdout
