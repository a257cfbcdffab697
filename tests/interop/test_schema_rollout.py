"""A compatible release rolls out while every service keeps running (docs/schema-changes.md).

This checkout's release (VERSION) is registered and services start; then the
next minor release is registered: a new field in the imported
`ss3.orders.v1.Order`, a new field in `OrderCancelled` and a new event
`OrderArchived` (envelope member 4). Then every producer writes to the topic:
Java with the old classes (one running across the release, one started after
it), Java with the new classes, Python with both; and consumers of both
releases in both languages read every record. Real Apicurio Registry (one of
its own: the release moves `latest` of the order events), real Kafka,
Apicurio's serde 3.1.7 configured as docs/kafka-clients.md says.

The Python serde of the next release is the wheel's runtime with that
release's classes (built here from its descriptors): the runtime does not
change between schema releases, the generated classes do.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message
from ss3 import topics
from ss3.kafka import Deserializer, Serializer, UnexpectedEventError
from ss3.orders.v1 import order_events_pb2
from ss3_schema.toolchain.generator import ensure_generator

from devservices.kafka import RunningKafka
from tests.catalog.hard_inputs import with_order_archived
from tests.helpers import REPO_ROOT, SchemaRepo, make_schema_repo, run_cli
from tests.integration.registry_fixture import _start, env_for
from tests.interop.conftest import java_consumer, java_producer
from tests.interop.harness import HarnessFailed, JavaHarness, Produced, build_harness
from tests.interop.test_java_serde import _collect, consume_with_python, python_registry
from tests.kafka.events import fill

pytestmark = pytest.mark.interop

TOPIC = topics.SS3_ORDERS_ORDER_EVENTS_V1
JAVA_PACKAGE = "com.shopstar3.ss3.orders.v1"
ENVELOPE = f"{JAVA_PACKAGE}.OrderEvents"
ORDER_FIELD = ("  OrderStatus status = 6;\n", "  OrderStatus status = 6;\n  // Sales channel.\n  string channel = 7;\n")
CANCELLED_FIELD = (
    "  ss3.common.v1.Money refunded = 4;\n}",
    "  ss3.common.v1.Money refunded = 4;\n  // Who cancelled it.\n  string cancelled_by = 5;\n}",
)
EVENTS_FILE = "proto/ss3/orders/v1/order_events.proto"
# The serde re-reads what it resolved every 30 s by default; a second here, so that the
# running producer's cache expires after the release within the test.
REFRESH = {"apicurio.registry.check-period-ms": "1000"}


@dataclass(frozen=True)
class Written:
    """One record: who wrote it, the event (bytes of the writer's class) and its type name."""

    writer: str
    release: str  # "old" or "new": whose classes the writer had
    name: str  # OrderPlaced, OrderCancelled, OrderArchived
    event: bytes
    record: Produced


def release_versions() -> tuple[str, str]:
    current = (REPO_ROOT / "VERSION").read_text(encoding="utf-8").strip()
    major, minor, _ = current.split(".")
    return current, f"{major}.{int(minor) + 1}.0"


def next_release(root: Path, version: str) -> SchemaRepo:
    """This checkout plus the three compatible changes, as release `version`."""
    repo = make_schema_repo(root)
    repo.replace("proto/ss3/orders/v1/order.proto", *ORDER_FIELD)
    repo.replace(EVENTS_FILE, *CANCELLED_FIELD)
    repo.write(EVENTS_FILE, with_order_archived(repo.read(EVENTS_FILE)))
    repo.write("VERSION", f"{version}\n")
    repo.commit(f"release {version}")
    return repo


def classes_of(proto_dir: Path, out: Path) -> dict[str, type[Message]]:
    """The order event classes of another release, by message name, built from its descriptors."""
    generator = ensure_generator()
    files = sorted(p.relative_to(proto_dir).as_posix() for p in proto_dir.rglob("*.proto"))
    args = [f"-I{proto_dir}", f"-I{generator.include}", f"--descriptor_set_out={out}", "--include_imports", *files]
    subprocess.run(generator.protoc(args), check=True, capture_output=True)
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file:
        pool.Add(file)
    orders = pool.FindFileByName("ss3/orders/v1/order_events.proto")
    return {name: message_factory.GetMessageClass(d) for name, d in orders.message_types_by_name.items()}


OLD_CLASSES: dict[str, type[Message]] = {
    "OrderEvents": order_events_pb2.OrderEvents,
    "OrderPlaced": order_events_pb2.OrderPlaced,
    "OrderCancelled": order_events_pb2.OrderCancelled,
}


def events_of(classes: dict[str, type[Message]]) -> list[tuple[str, bytes]]:
    """One filled event of each type the release knows (every field set, its new ones too)."""
    return [(name, fill(classes[name]()).SerializeToString()) for name in classes if name != "OrderEvents"]


@dataclass
class Rollout:
    written: list[Written]
    latest_refused: str  # what a restarted old producer resolving `latest` got
    unknown_release: str  # what a producer naming a release never registered got
    old: dict[str, type[Message]]
    new: dict[str, type[Message]]
    registry: Any
    broker: RunningKafka
    harness_old: JavaHarness
    harness_new: JavaHarness


@pytest.fixture(scope="module")
def rollout_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    running = _start(tmp_path_factory.mktemp("rollout-registry"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def rollout(
    java_harness: JavaHarness,
    kafka_broker: RunningKafka,
    rollout_registry: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Rollout:
    """The whole story; every record written, in order."""
    old_version, new_version = release_versions()
    work = tmp_path_factory.mktemp("rollout")
    repo = next_release(work / "next", new_version)
    new = classes_of(repo.root / "proto", work / "next.binpb")
    harness_new = build_harness(repo.root / "proto", "interop-java-next")
    env = env_for(rollout_registry)
    first = run_cli("register", cwd=REPO_ROOT, env=env)
    assert first.returncode == 0, first.stdout + first.stderr

    pinned_old = java_producer(kafka_broker, rollout_registry, old_version)
    running = java_harness.running_producer(pinned_old | REFRESH, work)
    written: list[Written] = []

    def java_send(writer: str, release: str, name: str, event: bytes) -> None:
        sent = running.send(TOPIC, f"{JAVA_PACKAGE}.{name}", event, ENVELOPE)
        assert isinstance(sent, Produced), f"{writer} refused {name}: {sent}"
        written.append(Written(writer, release, name, event, sent))

    try:
        for name, event in events_of(OLD_CLASSES):
            java_send("java running", "old", name, event)

        second = run_cli("register", cwd=repo.root, env=env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "new version  ss3.orders.order-events.v1-value" in second.stdout
        time.sleep(2)  # past the running producer's cache period

        for name, event in events_of(OLD_CLASSES):
            java_send("java running", "old", name, event)
    finally:
        running.close()
    written += java_write(java_harness, pinned_old, "java restarted", "old", events_of(OLD_CLASSES))
    pinned_new = java_producer(kafka_broker, rollout_registry, new_version)
    written += java_write(harness_new, pinned_new, "java new", "new", events_of(new))
    # A service that upgraded the classes but still names the old release.
    written += java_write(harness_new, pinned_old, "java new, old branch", "new", events_of(new))
    registry = python_registry(rollout_registry)
    written += python_write(kafka_broker, Serializer(registry), "python old", "old", OLD_CLASSES)
    new_topics = {TOPIC: new["OrderEvents"]}
    written += python_write(kafka_broker, Serializer(registry, topics=new_topics), "python new", "new", new)

    latest = {k: v for k, v in pinned_old.items() if k != "apicurio.registry.artifact.version"}
    with pytest.raises(HarnessFailed) as refused:
        java_harness.produce(latest | {"apicurio.registry.find-latest": "true"}, java_rows(events_of(OLD_CLASSES)))
    never_released = java_producer(kafka_broker, rollout_registry, "0.0.1")
    with pytest.raises(HarnessFailed) as unknown_release:
        java_harness.produce(never_released, java_rows(events_of(OLD_CLASSES)))
    return Rollout(
        written,
        str(refused.value),
        str(unknown_release.value),
        OLD_CLASSES,
        new,
        rollout_registry,
        kafka_broker,
        java_harness,
        harness_new,
    )


def java_rows(events: list[tuple[str, bytes]]) -> list[tuple[str, str, bytes, str]]:
    return [(TOPIC, f"{JAVA_PACKAGE}.{name}", event, ENVELOPE) for name, event in events]


def java_write(
    harness: JavaHarness, config: dict[str, str], writer: str, release: str, events: list[tuple[str, bytes]]
) -> list[Written]:
    produced = harness.produce(config, java_rows(events))
    return [
        Written(writer, release, name, event, record) for (name, event), record in zip(events, produced, strict=True)
    ]


def python_write(
    broker: RunningKafka, serializer: Serializer, writer: str, release: str, classes: dict[str, type[Message]]
) -> list[Written]:
    producer = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True})
    written: list[Written] = []
    for name, event in events_of(classes):
        delivered: list[Produced] = []
        value = serializer.serialize(TOPIC, classes[name].FromString(event))
        producer.produce(TOPIC, value=value, on_delivery=_collect(delivered))
        producer.flush(30)
        written += [Written(writer, release, name, event, delivered[0])]
    return written


def test_old_producers_keep_producing_after_a_compatible_release(rollout: Rollout) -> None:
    writers = {(w.writer, w.name) for w in rollout.written}
    assert {("java running", n) for n in ("OrderPlaced", "OrderCancelled")} <= writers
    assert {("java restarted", n) for n in ("OrderPlaced", "OrderCancelled")} <= writers
    assert ("java new", "OrderArchived") in writers and ("python new", "OrderArchived") in writers
    assert ("java new, old branch", "OrderArchived") in writers


def test_a_producer_resolving_latest_refuses_the_old_classes(rollout: Rollout) -> None:
    # Why producers pin their release (docs/schema-changes.md): Apicurio 3.1.7's serializer
    # validates the class against the schema it resolved and reports every field the class lacks.
    assert "The data to send is not compatible with the schema" in rollout.latest_refused
    assert "before: cancelled_by , after null" in rollout.latest_refused
    assert "before: order_archived , after null" in rollout.latest_refused


def test_a_producer_naming_a_release_never_registered_fails_at_its_first_record(rollout: Rollout) -> None:
    # The registry answers 404 for the branch; the 3.1.7 serde says only this (docs/schema-changes.md).
    assert "RuntimeException: io.apicurio.registry.rest.client.models.ProblemDetails" in rollout.unknown_release


def expected(reader: dict[str, type[Message]], written: Written) -> Message:
    """What a reader with these classes must return: the writer's event, unknown fields kept."""
    return reader[written.name].FromString(written.event)


def as_newest(rollout: Rollout, written: Written, message: Message) -> Message:
    """The message read with the newest classes: unknown fields an old reader kept become visible."""
    return rollout.new[written.name].FromString(message.SerializeToString())


@pytest.mark.parametrize("release", ["old", "new"])
def test_python_consumers_read_every_event_they_know_and_name_the_ones_they_do_not(
    rollout: Rollout, release: str
) -> None:
    classes = rollout.old if release == "old" else rollout.new
    registry = python_registry(rollout.registry)
    deserializer = Deserializer(registry, topics={TOPIC: classes["OrderEvents"]})
    messages = consume_with_python(rollout.broker, [w.record for w in rollout.written])

    skipped = []
    for written in rollout.written:  # a service's loop: every record, in order
        try:
            event = deserializer.deserialize_message(messages[written.record])
        except UnexpectedEventError as error:
            skipped.append((written, str(error)))
            continue
        assert as_newest(rollout, written, event) == as_newest(rollout, written, expected(classes, written))

    unknown = [w for w in rollout.written if w.name not in classes]
    assert [w for w, _ in skipped] == unknown
    for written, message in skipped:
        assert "member 4 of ss3.orders.v1.OrderEvents" in message
        # Named from the record's schema, unless its writer named the old release (whose schema lacks it).
        named = "(OrderArchived in the record's schema)" in message
        assert named == (written.writer != "java new, old branch"), (written.writer, message)
        assert f"offset {written.record.offset}" in message


@pytest.mark.parametrize("release", ["old", "new"])
def test_java_consumers_read_every_event_they_know_and_see_no_event_in_the_others(
    rollout: Rollout, release: str
) -> None:
    harness = rollout.harness_old if release == "old" else rollout.harness_new
    classes = rollout.old if release == "old" else rollout.new
    config = java_consumer(rollout.broker, rollout.registry, ENVELOPE)

    consumed = harness.consume(config, [w.record for w in rollout.written])

    for written in rollout.written:
        got = consumed[written.record]
        if written.name not in classes:
            assert got.java_class == "-"  # EVENT_NOT_SET: the service skips it and goes on
            continue
        assert got.java_class == f"{JAVA_PACKAGE}.{written.name}"
        read = classes[written.name].FromString(got.payload)
        assert as_newest(rollout, written, read) == as_newest(rollout, written, expected(classes, written))
