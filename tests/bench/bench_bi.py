"""Analytics benchmark: what the topic envelope in Confluent framing costs engines and services.

  clickhouse  seconds for ClickHouse (chdb, the catalog's clickhouse.sql, its Kafka engine) to store
              100,000 records of the orders topic / the same messages without the header   target <= 1.10
  framing     bytes per record the framing adds (the header) and the envelope adds (its oneof member)
  serdes      the wheel's Serializer / Deserializer per message / bare SerializeToString / FromString   target <= 1.3,
              next to confluent-kafka's ProtobufSerializer / ProtobufDeserializer on the same events, same run

Every ratio is between figures of the same run. The ClickHouse runs read a topic filled
beforehand, each with a fresh consumer group, a block of all 100,000 records (so no run waits
for the engine's flush interval), best of RUNS.

    python tests/bench/bench_bi.py     # uses SS3_REGISTRY_URL (+ credentials) or starts a registry
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "ss3-protos" / "src")]

from chdb import session as chdb_session  # noqa: E402
from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: E402
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer  # noqa: E402
from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: E402
from google.protobuf.message import Message  # noqa: E402
from ss3 import topics  # noqa: E402
from ss3.kafka import Deserializer, Serializer  # noqa: E402
from ss3_schema.registry.auth import Credentials  # noqa: E402

from devservices.kafka import start_kafka  # noqa: E402
from tests.bench.bench_kafka import MESSAGES, best_pair, connect, register  # noqa: E402
from tests.bench.bench_registry import running_registry  # noqa: E402
from tests.bi.chdb_kafka import bundle_sql  # noqa: E402
from tests.helpers import run_cli  # noqa: E402
from tests.kafka.events import every_event, fill  # noqa: E402

RECORDS = 100_000
CLICKHOUSE_RUNS = 3
ORDERS = topics.SS3_ORDERS_ORDER_EVENTS_V1
WAIT_S = 300.0


class Context:
    """confluent-kafka's SerializationContext shape for the wheel's serde."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.field = "value"
        self.headers: Any = None


def orders_events() -> list[Message]:
    return [fill(cls()) for topic, cls in every_event() if topic == ORDERS]


def framing_rows(serializer: Serializer) -> list[str]:
    """Bytes per record: the header, and what the envelope adds around the bare event."""
    header, envelope = [], []
    for topic, cls in every_event():
        event = fill(cls())
        value = serializer.serialize(topic, event)
        bare = len(event.SerializeToString())
        header.append(7)
        envelope.append(len(value) - 7 - bare)
    count = len(header)
    return [
        f"  framing      {sum(header) / count:.0f} header bytes per record; the envelope adds "
        f"{sum(envelope) / count:.1f} more on average ({min(envelope)} to {max(envelope)}: "
        "the oneof member's tag and length)"
    ]


def serde_rows(serializer: Serializer, deserializer: Deserializer) -> list[str]:
    """The wheel's serde and confluent-kafka's, each per message against bare protobuf of what it writes."""
    # confluent-kafka's in-process registry: after the first call per topic both sides only hit caches.
    registry = SchemaRegistryClient.new_client({"url": f"mock://ss3-bench-{uuid.uuid4().hex[:6]}"})
    events = [(topic, fill(cls())) for topic, cls in every_event()]
    envelopes = [(topic, topics.TOPIC_ENVELOPE[topic](), event) for topic, event in events]
    for _topic, envelope, event in envelopes:
        wrap(envelope, event)
    confluent_out = {
        topic: ProtobufSerializer(type(envelope), registry, {"use.deprecated.format": False})
        for topic, envelope, _ in envelopes
    }
    confluent_in = {
        topic: ProtobufDeserializer(type(envelope), {"use.deprecated.format": False})
        for topic, envelope, _ in envelopes
    }
    ours = [(Context(topic), event, serializer(event, Context(topic))) for topic, event in events]
    theirs = [(SerializationContext(topic, MessageField.VALUE), topic, envelope) for topic, envelope, _ in envelopes]
    theirs_values = [(ctx, topic, confluent_out[topic](envelope, ctx)) for ctx, topic, envelope in theirs]
    repeats = MESSAGES // len(events)
    count = repeats * len(events)

    def loop(action: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(repeats):
                action()

        return run

    def bare_events_out() -> None:
        for _ctx, event, _value in ours:
            event.SerializeToString()

    def ours_out() -> None:
        for ctx, event, _value in ours:
            serializer(event, ctx)

    bodies = [(type(event), event.SerializeToString()) for _ctx, event, _value in ours]

    def bare_in() -> None:
        for cls, body in bodies:
            cls.FromString(body)

    def ours_in() -> None:
        for ctx, _event, value in ours:
            deserializer(value, ctx)

    envelope_bodies = [(type(envelope), envelope.SerializeToString(), envelope) for _, _, envelope in theirs]

    def bare_envelopes_out() -> None:
        for _cls, _body, envelope in envelope_bodies:
            envelope.SerializeToString()

    def theirs_out() -> None:
        for ctx, topic, envelope in theirs:
            confluent_out[topic](envelope, ctx)

    def bare_envelopes_in() -> None:
        for cls, body, _envelope in envelope_bodies:
            cls.FromString(body)

    def theirs_in() -> None:
        for ctx, topic, value in theirs_values:
            confluent_in[topic](value, ctx)

    rows = []
    for label, bare, timed in (
        ("ours out", bare_events_out, ours_out),
        ("ours in", bare_in, ours_in),
        ("confluent out", bare_envelopes_out, theirs_out),
        ("confluent in", bare_envelopes_in, theirs_in),
    ):
        best_bare, best_timed = best_pair(loop(bare), loop(timed))
        per_bare, per_timed = best_bare / count * 1e9, best_timed / count * 1e9
        target = "  target <= 1.3" if label.startswith("ours") else ""
        rows.append(
            f"  {label:<14} {best_timed / best_bare:>6.2f}  ({per_timed:.0f} ns / {per_bare:.0f} ns bare){target}"
        )
    return rows


def wrap(envelope: Message, event: Message) -> None:
    """The envelope confluent-kafka's serializer is handed: what the wheel's serializer writes."""
    envelope.metadata.CopyFrom(event.metadata)  # type: ignore[attr-defined]
    member = next(f for f in envelope.DESCRIPTOR.oneofs_by_name["event"].fields if f.message_type is event.DESCRIPTOR)
    body = type(event)()
    body.CopyFrom(event)
    body.ClearField("metadata")
    getattr(envelope, member.name).CopyFrom(body)


def clickhouse_rows(serializer: Serializer) -> list[str]:
    """Seconds for the Kafka engine to store RECORDS framed records, and the same messages bare."""
    with tempfile.TemporaryDirectory(prefix="ss3-bench-bi-") as tmp:
        root = Path(tmp)
        proc = run_cli("catalog", "--output", str(root / "catalog"), cwd=REPO_ROOT)
        if proc.returncode != 0:
            raise SystemExit(f"bench: ss3-schema catalog exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
        bundle = root / "catalog" / "bi" / ORDERS
        broker = start_kafka(state_dir=root / "kafka")
        try:
            raw_topic = f"{ORDERS}.no-header"
            fill_topics(broker.bootstrap, serializer, raw_topic)
            framed, bare = [], []
            for run in range(CLICKHOUSE_RUNS):
                framed.append(store_seconds(root / f"framed-{run}", bundle, broker.bootstrap, ORDERS, 7))
                bare.append(store_seconds(root / f"bare-{run}", bundle, broker.bootstrap, raw_topic, 0))
        finally:
            broker.stop()
    best_framed, best_bare = min(framed), min(bare)
    return [
        f"  clickhouse   {best_framed / best_bare:>6.2f}  ({RECORDS / best_framed:,.0f} rows/s framed, "
        f"{RECORDS / best_bare:,.0f} rows/s without the header; {RECORDS:,} records, best of {CLICKHOUSE_RUNS})"
        "  target <= 1.10"
    ]


def fill_topics(bootstrap: str, serializer: Serializer, raw_topic: str) -> None:
    """RECORDS records of the orders topic as services write them, and the same messages without the header."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "queue.buffering.max.messages": 200_000})
    events = orders_events()
    for n in range(RECORDS):
        event = events[n % len(events)]
        event.metadata.event_id = f"bench-{n}"  # type: ignore[attr-defined]
        value = serializer.serialize(ORDERS, event)
        producer.produce(ORDERS, value)
        producer.produce(raw_topic, value[7:])
        if n % 10_000 == 0:
            producer.poll(0)
    if producer.flush(120) != 0:
        raise SystemExit("bench: the broker did not take every record")


def store_seconds(state: Path, bundle: Path, bootstrap: str, topic: str, skip: int) -> float:
    """clickhouse.sql for `topic` with a fresh consumer group; seconds until every record is stored."""
    sql = bundle_sql(bundle, bootstrap, str((bundle / "clickhouse").resolve()))
    sql = sql.replace(f"kafka_topic_list = '{ORDERS}'", f"kafka_topic_list = '{topic}'")
    sql = sql.replace("kafka_group_name = 'clickhouse-bi.", f"kafka_group_name = 'bench-{uuid.uuid4().hex[:8]}.")
    sql = sql.replace("kafka_schema_registry_skip_bytes = 7", f"kafka_schema_registry_skip_bytes = {skip}")
    # One block of every record: the run measures reading and decoding, not the flush interval.
    sql = sql.replace(
        "    kafka_handle_error_mode", f"    kafka_max_block_size = {RECORDS},\n    kafka_handle_error_mode"
    )
    session = chdb_session.Session(str(state))
    try:
        started = time.perf_counter()
        session.query(sql)
        count = (
            "SELECT (SELECT count() FROM ss3_orders_order_events_v1__order_placed)"
            " + (SELECT count() FROM ss3_orders_order_events_v1__order_cancelled)"
        )
        while int(session.query(count, "CSV").bytes()) < RECORDS:
            if time.perf_counter() - started > WAIT_S:
                raise SystemExit(f"bench: ClickHouse did not store {RECORDS:,} records of {topic} in {WAIT_S:.0f} s")
            time.sleep(0.05)
        return time.perf_counter() - started
    finally:
        session.close()


def measure(url: str, credentials: Credentials) -> list[str]:
    group = register(url, credentials)
    registry = connect(url, credentials)
    serializer, deserializer = Serializer(registry, group=group), Deserializer(registry)
    lines = ["analytics: the topic envelope in Confluent framing, ours / bare unless said"]
    lines += framing_rows(serializer)
    lines += serde_rows(serializer, deserializer)
    return lines + clickhouse_rows(serializer)


def main_lines() -> list[str]:
    with running_registry() as (url, credentials):
        return measure(url, credentials)


if __name__ == "__main__":
    print("\n".join(main_lines()))
