"""Test tiers: every test is exactly one of `unit`, `integration` or `interop`.

unit         no network at all: opening an internet socket fails the test.
integration  the project's own servers on 127.0.0.1 (Apicurio Registry, Kafka,
             pypiserver, nginx) or a loopback fake; builds wheels and venvs.
interop      the other side's real code: Apicurio's Java serde, Quarkus,
             ClickHouse, chromium, the AsyncAPI parser, pip next to a service's protobuf.

A module states its tier with `pytestmark = pytest.mark.<tier>`; a module that
states none is `integration` when a test asks for a server fixture, else `unit`.
`make test-unit`, `make test-integration` and `make test-interop` run one tier each.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

TIERS = ("unit", "integration", "interop")
# Fixtures that start a real server: a test asking for one is at least an integration test.
SERVER_FIXTURES = frozenset({"registry", "legacy_registry", "kafka_broker", "pypi_index", "registry_env"})
INTERNET = (socket.AF_INET, socket.AF_INET6)


class NetworkInUnitTest(AssertionError):
    """A unit test opened an internet socket."""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        declared = {mark.name for mark in item.iter_markers() if mark.name in TIERS}
        if len(declared) > 1:
            raise pytest.UsageError(f"{item.nodeid} is in more than one tier: {sorted(declared)}")
        if declared:
            (tier,) = declared
        else:
            tier = _inferred_tier(item)
            item.add_marker(tier)
        item.add_marker(pytest.mark.xdist_group(_worker_group(item, tier)))


def _worker_group(item: pytest.Item, tier: str) -> str:
    """What runs on one worker under `pytest -n N --dist loadgroup` (make test).

    A module stays on one worker, so its module fixtures are made once. The interop
    tests share one worker: each starts JVMs or engines, and two at once on a small
    machine would slow both past their deadlines.
    """
    return "interop" if tier == "interop" else item.nodeid.split("::")[0]


def _inferred_tier(item: pytest.Item) -> str:
    fixtures = set(getattr(item, "fixturenames", ()))
    return "integration" if fixtures & SERVER_FIXTURES else "unit"


@pytest.fixture(autouse=True)
def _no_network_in_unit_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if request.node.get_closest_marker("unit") is not None:
        for method in ("connect", "connect_ex", "bind"):
            monkeypatch.setattr(socket.socket, method, _refuse(getattr(socket.socket, method), method))
    yield


def _refuse(original: Any, method: str) -> Any:
    def guarded(sock: socket.socket, address: Any, *args: Any) -> Any:
        if sock.family in INTERNET:
            raise NetworkInUnitTest(
                f"a unit test called socket.{method}({address!r}); mark its module "
                "`pytestmark = pytest.mark.integration` (see tests/tiers.py)"
            )
        return original(sock, address, *args)

    return guarded
