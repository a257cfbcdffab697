"""What a record can cost a consumer in registry requests, whatever the registry does.

A loopback fake stands in for the registry where the real one cannot misbehave:
it accepts connections and never answers, or says that an id is unknown. The
assertions count requests, not seconds: a poll of records whose every lookup
costs no request finishes in far less than Kafka's max.poll.interval.ms.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ss3 import topics
from ss3.kafka import ConfigError, Deserializer, Registry, RegistryError, UnknownSchemaError, wire

from tests.fakes import SILENT, Answer, FakeServer, Request

pytestmark = pytest.mark.integration

ORDERS = topics.SS3_ORDERS_ORDER_EVENTS_V1
SCHEMA = (
    b'syntax = "proto3";\npackage ss3.orders.v1;\n'
    b"message OrderEvents {\n  oneof event {\n    OrderPlaced order_placed = 2;\n  }\n}\n"
    b"message OrderPlaced {}\nmessage OrderCancelled {}\n"
)
KNOWN_ID = 1
POLL = 1_000


def record(schema_id: int) -> bytes:
    """An empty OrderPlaced in the topic envelope, framed with `schema_id`."""
    return wire.confluent_prefix(schema_id) + wire.field_key(2) + b"\x00"


class Switchable:
    """Serves schema KNOWN_ID and 404 for other ids until `hang` is set; then never answers."""

    def __init__(self) -> None:
        self.hang = False

    def __call__(self, request: Request) -> Answer | str:
        if self.hang:
            return SILENT
        if request.path == f"/apis/registry/v3/ids/contentIds/{KNOWN_ID}":
            return Answer(200, SCHEMA)
        return Answer(404, b'{"status": 404}')


@pytest.fixture
def behaviour() -> Switchable:
    return Switchable()


@pytest.fixture
def server(behaviour: Switchable) -> Iterator[FakeServer]:
    with FakeServer(behaviour) as fake:
        yield fake


def poll(deserializer: Deserializer, ids: range | list[int]) -> list[BaseException | None]:
    """Deserialize one record per id, as a consumer loop does; what each one raised (None: decoded)."""
    outcomes: list[BaseException | None] = []
    for offset, schema_id in enumerate(ids):
        try:
            deserializer.deserialize(ORDERS, record(schema_id), partition=0, offset=offset)
        except Exception as error:
            outcomes.append(error)
        else:
            outcomes.append(None)
    return outcomes


def test_a_hung_registry_costs_one_lookup_budget_per_poll_not_one_per_record(
    server: FakeServer, behaviour: Switchable
) -> None:
    behaviour.hang = True
    registry = Registry(server.url, timeout=0.5, retries=3)

    outcomes = poll(Deserializer(registry), range(1000, 1000 + POLL))

    assert all(isinstance(error, RegistryError) for error in outcomes)
    errors = [error for error in outcomes if isinstance(error, RegistryError)]
    assert [(e.topic, e.offset, e.schema_id) for e in errors[:2]] == [(ORDERS, 0, 1000), (ORDERS, 1, 1001)]
    assert "no answer within 0.5 s (after 1 attempt)" in str(errors[0])
    assert "remembered, next try in" in str(errors[-1])
    # One attempt used the whole budget: no retry after it, no request for the other 999 records.
    assert registry.calls == 1 and len(server.requests) == 1


def test_retries_stay_inside_the_one_budget_of_a_lookup(server: FakeServer, behaviour: Switchable) -> None:
    behaviour.hang = True
    registry = Registry(server.url, timeout=0.3, retries=50, outage_ttl=0)
    for _ in range(3):
        with pytest.raises(RegistryError, match=r"after 1 attempt\)"):
            registry.schema(7)
    assert registry.calls == 3  # never remembered (outage_ttl=0): one attempt per lookup, not 51


def test_after_the_outage_time_one_probe_asks_again(server: FakeServer, behaviour: Switchable) -> None:
    behaviour.hang = True
    registry = Registry(server.url, timeout=0.3, retries=2, outage_ttl=0)
    with pytest.raises(RegistryError):
        registry.schema(KNOWN_ID)
    behaviour.hang = False
    assert registry.schema(KNOWN_ID).messages == ("OrderEvents", "OrderPlaced", "OrderCancelled")


def test_a_remembered_outage_fails_fast_until_its_time_is_up(server: FakeServer, behaviour: Switchable) -> None:
    behaviour.hang = True
    registry = Registry(server.url, timeout=0.3, retries=2, outage_ttl=3600)
    with pytest.raises(RegistryError):
        registry.schema(KNOWN_ID)
    behaviour.hang = False  # back, but the registry is remembered as down for an hour
    with pytest.raises(RegistryError, match="remembered"):
        registry.schema(KNOWN_ID)
    assert registry.calls == 1


def test_cached_ids_keep_decoding_while_the_registry_is_down(server: FakeServer, behaviour: Switchable) -> None:
    registry = Registry(server.url, timeout=0.5)
    deserializer = Deserializer(registry)
    assert poll(deserializer, [KNOWN_ID]) == [None]
    behaviour.hang = True

    outcomes = poll(deserializer, [KNOWN_ID, 2000, KNOWN_ID, 2001, KNOWN_ID] * 200)

    assert outcomes[0::5] == [None] * 200 and outcomes[2::5] == [None] * 200 and outcomes[4::5] == [None] * 200
    assert all(isinstance(error, RegistryError) for error in outcomes[1::5] + outcomes[3::5])
    assert registry.calls == 2  # the schema once, then one unanswered request for id 2000


def test_an_unknown_id_costs_one_request_per_interval_not_one_per_record(server: FakeServer) -> None:
    registry = Registry(server.url, unknown_ttl=3600)
    outcomes = poll(Deserializer(registry), [99] * POLL)
    assert all(isinstance(error, UnknownSchemaError) and error.schema_id == 99 for error in outcomes)
    assert [getattr(e, "offset", None) for e in outcomes[:3]] == [0, 1, 2]
    assert registry.calls == 1


def test_unknown_ids_are_asked_again_when_not_remembered(server: FakeServer) -> None:
    registry = Registry(server.url, unknown_ttl=0)
    poll(Deserializer(registry), [99] * 3)
    assert registry.calls == 3


def test_an_unknown_id_does_not_make_the_registry_look_down(server: FakeServer) -> None:
    registry = Registry(server.url)
    deserializer = Deserializer(registry)
    assert isinstance(poll(deserializer, [98])[0], UnknownSchemaError)
    assert poll(deserializer, [KNOWN_ID]) == [None]
    assert registry.calls == 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SS3_REGISTRY_UNKNOWN_TTL": "-1"}, "remembering times >= 0"),
        ({"SS3_REGISTRY_OUTAGE_TTL": "inf"}, "SS3_REGISTRY_OUTAGE_TTL='inf' is not a number"),
        ({"SS3_REGISTRY_TIMEOUT": "0"}, "timeout must be > 0"),
    ],
)
def test_the_budget_and_remembering_times_are_checked(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Registry.from_env({"SS3_REGISTRY_URL": "http://registry.test", **env})


def test_the_remembering_times_come_from_the_environment() -> None:
    registry = Registry.from_env(
        {"SS3_REGISTRY_URL": "http://r.test", "SS3_REGISTRY_UNKNOWN_TTL": "5", "SS3_REGISTRY_OUTAGE_TTL": "7.5"}
    )
    assert (registry.timeout, registry.unknown_ttl, registry.outage_ttl) == (10.0, 5.0, 7.5)
