"""Kafka serde benchmark: the wheel's serializer and deserializer against bare protobuf.

After `ss3-schema register` fills a fresh group of a real
registry, every event of every topic, filled in, is written and read 10,000
times in a loop; each figure is the best of several runs, bare and ours
interleaved, so load on the machine hits both alike.

  serialize    Serializer(event, ctx), confluent-kafka's call shape / event.SerializeToString()   target <= 1.3
  deserialize  Deserializer(value, ctx) / cls.FromString(the message bytes)                         target <= 1.3
  registry     HTTP requests for 10,000 messages in a fresh process state        target: one per schema lookup

    python tests/bench/bench_kafka.py     # uses SS3_REGISTRY_URL (+ credentials) or starts a registry
"""

from __future__ import annotations

import gc
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "ss3-protos" / "src")]

from ss3 import topics  # noqa: E402
from ss3.kafka import Deserializer, Registry, Serializer  # noqa: E402
from ss3_schema.registry.auth import BasicAuth, BearerToken, Credentials  # noqa: E402

from tests.bench.bench_registry import running_registry  # noqa: E402
from tests.helpers import run_cli  # noqa: E402
from tests.kafka.events import every_event, fill  # noqa: E402

MESSAGES = 10_000
RUNS = 21  # cheap (about 10 ms a run), and the minimum of many shrugs off a loaded machine


class Context:
    """confluent-kafka's SerializationContext, without importing the client."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.field = "value"
        self.headers: Any = None


def best_pair(bare: Callable[[], None], ours: Callable[[], None]) -> tuple[float, float]:
    """Best times of `bare` and `ours`, run alternately; the garbage collector off, as timeit does."""
    gc.collect()
    gc.disable()
    try:
        return _alternate(bare, ours)
    finally:
        gc.enable()


def _alternate(bare: Callable[[], None], ours: Callable[[], None]) -> tuple[float, float]:
    best = [float("inf"), float("inf")]
    bare()  # one untimed pass each: warm caches, allocator and CPU
    ours()
    for _ in range(RUNS):
        for slot, action in enumerate((bare, ours)):
            started = time.perf_counter()
            action()
            best[slot] = min(best[slot], time.perf_counter() - started)
    return best[0], best[1]


def register(url: str, credentials: Credentials) -> str:
    """A fresh group filled by the real CLI (a process of its own, as in CI's release job)."""
    group = f"ss3-bench-kafka-{uuid.uuid4().hex[:8]}"
    env = {"SS3_REGISTRY_URL": url}
    if isinstance(credentials, BasicAuth):
        env |= {"SS3_REGISTRY_USERNAME": credentials.username, "SS3_REGISTRY_PASSWORD": credentials.password}
    elif isinstance(credentials, BearerToken):
        env["SS3_REGISTRY_TOKEN"] = credentials.token
    proc = run_cli("register", "--group", group, cwd=REPO_ROOT, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"bench: ss3-schema register exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return group


def connect(url: str, credentials: Credentials) -> Registry:
    if isinstance(credentials, BasicAuth):
        return Registry(url, username=credentials.username, password=credentials.password)
    if isinstance(credentials, BearerToken):
        return Registry(url, token=credentials.token)
    return Registry(url)


def cost_rows(registry: Registry, group: str) -> list[str]:
    """Per-message cost ratios after warm-up (every cache filled)."""
    serializer = Serializer(registry, group=group)
    deserializer = Deserializer(registry)
    events = [(Context(topic), fill(cls())) for topic, cls in every_event()]
    repeats = MESSAGES // len(events)
    for ctx, event in events:  # warm-up
        deserializer(serializer(event, ctx), ctx)
    records = []
    for ctx, event in events:
        value = serializer(event, ctx)
        records.append((ctx, value, type(event), event.SerializeToString()))

    def bare_write() -> None:
        for _ in range(repeats):
            for _ctx, event in events:
                event.SerializeToString()

    def ours_write() -> None:
        for _ in range(repeats):
            for ctx, event in events:
                serializer(event, ctx)

    def bare_read() -> None:
        for _ in range(repeats):
            for _ctx, _value, cls, body in records:
                cls.FromString(body)

    def ours_read() -> None:
        for _ in range(repeats):
            for ctx, value, _cls, _body in records:
                deserializer(value, ctx)

    rows = []
    count = repeats * len(events)
    for what, (bare, ours) in (
        ("serialize", best_pair(bare_write, ours_write)),
        ("deserialize", best_pair(bare_read, ours_read)),
    ):
        per_bare, per_ours = bare / count * 1e9, ours / count * 1e9
        rows.append(
            f"  {what:<12} {ours / bare:>6.2f}  "
            f"({per_ours:.0f} ns / {per_bare:.0f} ns per message, +{per_ours - per_bare:.0f} ns)  target <= 1.3"
        )
    return rows


def call_rows(url: str, credentials: Credentials, group: str) -> list[str]:
    """Registry requests for 10,000 messages, each side with a fresh registry client (a new process)."""
    events = [(Context(topic), fill(cls())) for topic, cls in every_event()]
    producing = connect(url, credentials)
    serializer = Serializer(producing, group=group)
    written = [(events[n % len(events)][0], serializer(*reversed(events[n % len(events)]))) for n in range(MESSAGES)]
    consuming = connect(url, credentials)
    deserializer = Deserializer(consuming)
    for ctx, value in written:
        deserializer(value, ctx)
    schemas = len(topics.TOPIC_EVENTS)
    return [
        f"  registry calls per {MESSAGES:,} messages: producer {producing.calls} "
        f"({schemas} topics: latest id + its content), consumer {consuming.calls} ({schemas} schema ids)"
        "  target: one per schema lookup"
    ]


def measure(url: str, credentials: Credentials) -> list[str]:
    group = register(url, credentials)
    registry = connect(url, credentials)
    lines = [f"kafka serdes: {len(list(every_event()))} events, best of {RUNS} x {MESSAGES:,} messages, ours / bare"]
    lines += cost_rows(registry, group)
    return lines + call_rows(url, credentials, group)


def main_lines() -> list[str]:
    with running_registry() as (url, credentials):
        return measure(url, credentials)


if __name__ == "__main__":
    print("\n".join(main_lines()))
