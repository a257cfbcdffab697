"""ClickHouse (chdb, embedded) runs each topic's generated clickhouse.sql against the test broker.

Every event of every topic, written by the wheel's serializer and by Apicurio's
Java serde (configured as docs/kafka-clients.md says), lands in its
typed table with every field equal to what was sent; a schema change (a new
field, a new event with a map, a oneof and repeated timestamps) regenerates the
DDL, re-running it keeps the rows, and old rows read the new column as its
default.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chdb import session as chdb_session
from confluent_kafka import Producer
from google.protobuf.message import Message
from ss3 import topics
from ss3.kafka import Registry, Serializer
from ss3.kafka.wire import confluent_prefix

from devservices.kafka import RunningKafka
from tests.bi.bundles import Bundle, load_bundle, load_bundles
from tests.bi.chdb_kafka import bundle_sql, rows, run_sql, wait_for
from tests.bi.rebuild import rebuild
from tests.helpers import SchemaRepo, make_schema_repo, run_cli
from tests.interop.conftest import java_producer
from tests.interop.harness import JavaHarness
from tests.kafka.events import every_event, fill

pytestmark = pytest.mark.interop

ORDERS = topics.SS3_ORDERS_ORDER_EVENTS_V1


@pytest.fixture
def clickhouse(tmp_path: Path) -> Iterator[Any]:
    session = chdb_session.Session(str(tmp_path / "clickhouse"))
    try:
        yield session
    finally:
        session.close()


def as_envelope(bundle: Bundle, event: Message) -> Message:
    """What the record carries: the event's metadata once, in the envelope, and the event without it."""
    envelope = bundle.message_class(bundle.record.record_type)()
    member = next(m for m in bundle.record.members if m.event == event.DESCRIPTOR.full_name)
    body = type(event)()
    body.CopyFrom(event)
    body.ClearField("metadata")
    envelope.metadata.ParseFromString(event.metadata.SerializeToString())  # type: ignore[attr-defined]
    getattr(envelope, member.field).ParseFromString(body.SerializeToString())
    return envelope


def start_tables(session: Any, bundle: Bundle, bootstrap: str) -> None:
    """The bundle's clickhouse.sql, placeholders replaced as its first comment says (chdb: absolute path)."""
    run_sql(session, bundle_sql(bundle.folder, bootstrap, str((bundle.folder / "clickhouse").resolve())))


def stored(session: Any, bundle: Bundle, event: str) -> dict[str, dict[str, Any]]:
    """Rows of the event's typed table by event id."""
    return {row["metadata_event_id"]: row for row in rows(session, bundle.table_of(event).name)}


def wait_for_ids(session: Any, bundle: Bundle, expected: dict[str, tuple[str, Message]]) -> None:
    def arrived() -> bool:
        for event in {name for name, _ in expected.values()}:
            wanted = {i for i, (name, _) in expected.items() if name == event}
            if not wanted <= set(stored(session, bundle, event)):
                return False
        return True

    try:
        wait_for(arrived, f"store every record of {bundle.record.topic}")
    except AssertionError as failed:
        raise AssertionError(f"{failed}; {diagnosis(session, bundle)}") from None


def diagnosis(session: Any, bundle: Bundle) -> str:
    """Row counts of the topic's tables and its first decoding errors, for a failure message."""
    base = bundle.tables[0].name.split("__")[0]
    names = [table.name for table in bundle.tables] + [f"{base}__errors", f"{base}__unknown"]
    counts = {name: session.query(f"SELECT count() FROM `{name}`", "TSV").bytes().strip() for name in names}  # noqa: S608
    errors = session.query(f"SELECT error FROM `{base}__errors` LIMIT 3", "TSV").bytes()  # noqa: S608
    return f"rows: {counts}; errors: {errors!r}"


def check_rows(session: Any, bundle: Bundle, expected: dict[str, tuple[str, Message]]) -> None:
    for event_id, (event, envelope) in expected.items():
        row = stored(session, bundle, event)[event_id]
        table = bundle.table_of(event)
        rebuilt = rebuild(bundle.message_class(bundle.record.record_type)(), table, row)
        assert rebuilt == envelope, f"{table.name} row {event_id}:\n{rebuilt}\n!=\n{envelope}"


def filled_events() -> list[tuple[str, Message]]:
    """Every event of every topic, every field set, each with an event id of its own."""
    events = []
    for topic, cls in every_event():
        event = fill(cls())
        event.metadata.event_id = str(uuid.uuid4())  # type: ignore[attr-defined]
        events.append((topic, event))
    return events


def read_back(session: Any, bootstrap: str, bi_dir: Path, events: list[tuple[str, Message]]) -> None:
    """Run every topic's clickhouse.sql; each event must be in its typed table, field for field."""
    bundles = load_bundles(bi_dir)
    assert set(bundles) == set(topics.TOPIC_EVENTS)
    expected: dict[str, dict[str, tuple[str, Message]]] = {topic: {} for topic in bundles}
    for topic, event in events:
        envelope = as_envelope(bundles[topic], event)
        expected[topic][event.metadata.event_id] = (event.DESCRIPTOR.full_name, envelope)  # type: ignore[attr-defined]
    for bundle in bundles.values():
        start_tables(session, bundle, bootstrap)
    for topic, bundle in bundles.items():
        wait_for_ids(session, bundle, expected[topic])
        check_rows(session, bundle, expected[topic])


def test_every_event_written_by_the_python_serde_reads_back_field_for_field(
    kafka_broker: RunningKafka, registry: Any, group: str, bi_dir: Path, clickhouse: Any
) -> None:
    user, password = registry.auth
    serializer = Serializer(Registry(registry.url, username=user, password=password), group=group)
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap})
    events = filled_events()
    for topic, event in events:
        producer.produce(topic, serializer.serialize(topic, event))
    assert producer.flush(30) == 0
    read_back(clickhouse, kafka_broker.bootstrap, bi_dir, events)


def test_every_event_written_by_the_java_serde_reads_back_field_for_field(
    kafka_broker: RunningKafka, registered: Any, java_harness: JavaHarness, bi_dir: Path, clickhouse: Any
) -> None:
    events = filled_events()
    rows = [
        (topic, java_class(event), event.SerializeToString(), java_class(topics.TOPIC_ENVELOPE[topic]()))
        for topic, event in events
    ]
    java_harness.produce(java_producer(kafka_broker, registered), rows)
    read_back(clickhouse, kafka_broker.bootstrap, bi_dir, events)


def java_class(message: Message) -> str:
    """The generated Java class: com.shopstar3.<proto package>.<message> (java_package of every file)."""
    return f"com.shopstar3.{message.DESCRIPTOR.file.package}.{message.DESCRIPTOR.name}"


NEW_EVENT = """
// A note was added to an order.
message OrderNoted {
  option (ss3.options.v1.event) = true;

  // Event metadata.
  ss3.common.v1.EventMetadata metadata = 1;
  // Counters by name.
  map<string, int64> counters = 2;
  // What the note says.
  oneof detail {
    // A text note.
    string text = 3;
    // An amount.
    ss3.common.v1.Money amount = 4;
  }
  // When the order was looked at.
  repeated google.protobuf.Timestamp seen_at = 5;
  // Its kind.
  CancellationReason kind = 6;
}
"""


def change_schema(repo: SchemaRepo) -> None:
    """A new field on OrderCancelled and a new event OrderNoted (with its envelope member)."""
    path = "proto/ss3/orders/v1/order_events.proto"
    repo.replace(
        path,
        "  ss3.common.v1.Money refunded = 4;\n",
        "  ss3.common.v1.Money refunded = 4;\n  // A note.\n  string note = 5;\n",
    )
    repo.replace(
        path,
        "    OrderCancelled order_cancelled = 3;\n",
        "    OrderCancelled order_cancelled = 3;\n"
        "    // Set when the event is OrderNoted.\n"
        "    OrderNoted order_noted = 4;\n",
    )
    repo.replace(
        path,
        'import "ss3/common/v1/event_metadata.proto";\n',
        'import "google/protobuf/timestamp.proto";\nimport "ss3/common/v1/event_metadata.proto";\n',
    )
    repo.write(path, repo.read(path) + NEW_EVENT)


def catalog_bundle(repo: SchemaRepo, output: Path) -> Bundle:
    proc = run_cli("catalog", "--output", str(output), cwd=repo.root)
    assert proc.returncode == 0, proc.stderr
    return load_bundle(output / "bi" / ORDERS)


def produce_raw(bootstrap: str, bundle: Bundle, envelopes: list[Message]) -> None:
    """Records framed as the serializer frames them (any schema id: ClickHouse skips the header)."""
    producer = Producer({"bootstrap.servers": bootstrap})
    for envelope in envelopes:
        producer.produce(ORDERS, confluent_prefix(1) + envelope.SerializeToString())
    assert producer.flush(30) == 0


def cancelled(bundle: Bundle, note: str | None = None) -> Message:
    envelope = bundle.message_class(bundle.record.record_type)()
    envelope.metadata.event_id = str(uuid.uuid4())  # type: ignore[attr-defined]
    envelope.metadata.occurred_at.seconds = 1_767_225_600  # type: ignore[attr-defined]
    envelope.order_cancelled.order_id = "o-1"  # type: ignore[attr-defined]
    envelope.order_cancelled.refunded.amount_minor = -1999  # type: ignore[attr-defined]
    if note is not None:
        envelope.order_cancelled.note = note  # type: ignore[attr-defined]
    return envelope


def noted_event(bundle: Bundle) -> Message:
    noted = bundle.message_class(bundle.record.record_type)()
    noted.metadata.event_id = str(uuid.uuid4())  # type: ignore[attr-defined]
    member = noted.order_noted  # type: ignore[attr-defined]
    member.counters["views"] = 3
    member.amount.currency_code = "EUR"
    member.amount.amount_minor = 250
    member.seen_at.add(seconds=1_767_225_601, nanos=5)
    member.kind = 2
    return noted


def unknown_records(session: Any) -> int:
    return int(session.query("SELECT count() FROM ss3_orders_order_events_v1__unknown", "CSV").bytes())


def test_a_schema_change_regenerates_the_ddl_and_old_rows_read_the_default(
    kafka_broker: RunningKafka, tmp_path: Path, clickhouse: Any
) -> None:
    repo = make_schema_repo(tmp_path / "repo")
    before = catalog_bundle(repo, tmp_path / "v1")
    start_tables(clickhouse, before, kafka_broker.bootstrap)
    old = cancelled(before)
    produce_raw(kafka_broker.bootstrap, before, [old])
    wait_for_ids(clickhouse, before, {old.metadata.event_id: ("ss3.orders.v1.OrderCancelled", old)})  # type: ignore[attr-defined]

    change_schema(repo)
    after = catalog_bundle(repo, tmp_path / "v2")
    early = noted_event(after)  # a producer of the new release, before the new DDL runs
    produce_raw(kafka_broker.bootstrap, after, [early])
    wait_for(lambda: unknown_records(clickhouse) > 0, "note the record of an event it does not know")

    start_tables(clickhouse, after, kafka_broker.bootstrap)  # the same SQL file of the new release, re-run
    new = cancelled(after, note="call back")
    noted = noted_event(after)
    produce_raw(kafka_broker.bootstrap, after, [new, noted])
    expected = {
        new.metadata.event_id: ("ss3.orders.v1.OrderCancelled", new),  # type: ignore[attr-defined]
        noted.metadata.event_id: ("ss3.orders.v1.OrderNoted", noted),  # type: ignore[attr-defined]
    }
    wait_for_ids(clickhouse, after, expected)
    check_rows(clickhouse, after, expected)

    rows_now = stored(clickhouse, after, "ss3.orders.v1.OrderCancelled")
    assert rows_now[old.metadata.event_id]["note"] == ""  # type: ignore[attr-defined]
    assert rows_now[old.metadata.event_id]["order_id"] == "o-1"  # type: ignore[attr-defined]
    noted_row = stored(clickhouse, after, "ss3.orders.v1.OrderNoted")[noted.metadata.event_id]  # type: ignore[attr-defined]
    assert noted_row["detail"] == "amount" and noted_row["kind"] == "CANCELLATION_REASON_PAYMENT_FAILED"
