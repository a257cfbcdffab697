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
from xdist.scheduler import LoadScopeScheduling

TIERS = ("unit", "integration", "interop")
# Fixtures that start a real server: a test asking for one is at least an integration test.
SERVER_FIXTURES = frozenset({"registry", "legacy_registry", "kafka_broker", "pypi_index", "registry_env"})
INTERNET = (socket.AF_INET, socket.AF_INET6)
# The modules that hold interop tests (directories end with "/"); make test runs them on one worker.
INTEROP_SCOPE = (
    "tests/bi/",
    "tests/interop/",
    "tests/quarkus/",
    "tests/catalog/test_asyncapi.py",
    "tests/catalog/test_asyncapi_proto.py",
    "tests/catalog/test_browser.py",
    "tests/catalog/test_hard_inputs_rendered.py",
    "tests/package/test_runtime_matrix.py",
    "tests/package/test_tool_on_python313.py",
)


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
        if tier == "interop" and not _in_interop_scope(item.nodeid):
            raise pytest.UsageError(
                f"{item.nodeid} is an interop test: add its module to INTEROP_SCOPE in tests/tiers.py"
            )


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`make test` (`-n N --dist loadscope`): a module on one worker, and every interop module on the same one.

    The interop modules each start JVMs or engines; two of them at once on a small machine
    would slow both past their deadlines.
    """
    if config.getvalue("dist") != "loadscope":
        return None
    return InteropOnOneWorker(config, log)


class InteropOnOneWorker(LoadScopeScheduling):
    def _split_scope(self, nodeid: str) -> str:
        return "interop" if _in_interop_scope(nodeid) else nodeid.split("::", 1)[0]


def _in_interop_scope(nodeid: str) -> bool:
    return nodeid.split("::", 1)[0].startswith(INTEROP_SCOPE)


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
