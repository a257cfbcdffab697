"""The wheel in every tested runtime: real installs of each Python + protobuf/grpcio row of tested-runtimes.

For each row (ss3-protos/pyproject.toml): install the built wheel offline
into the row's cached venv, made with the row's Python (so its Requires-Dist
must admit the pair on that Python),
`pip check`, then with warnings as errors import every module, round-trip
every message in binary and JSON, serve and call one RPC on 127.0.0.1, and
type-check a consumer with mypy (as that Python) against that era's type
stubs. The rows run in parallel; their venvs are cached under
.cache/runtime-matrix/. A Python missing on the machine fails the rows in CI
and skips them elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO_ROOT, run_cli, server_unavailable
from tests.integration.registry_fixture import env_for
from tests.package import runtime_check
from tests.package.runtimes import (
    CACHE,
    Runtime,
    find_python,
    install_wheel,
    pip_check,
    runtime_python,
    runtime_table,
)

pytestmark = pytest.mark.interop

RUNTIMES = runtime_table()
# Each row is mostly subprocesses (pip, python, mypy): a few at a time keep a 2-core machine responsive.
PARALLEL = 6
CHECK_SCRIPT = Path(runtime_check.__file__)

CONSUMER = """
import grpc
from google.protobuf.message import Message
from ss3 import topics
from ss3.common.v1 import event_metadata_pb2
from ss3.kafka import Deserializer, Registry, Serializer
from ss3.orders.v1 import order_events_pb2, order_service_pb2, order_service_pb2_grpc


def placed(order_id: str) -> bytes:
    event = order_events_pb2.OrderPlaced(metadata=event_metadata_pb2.EventMetadata(event_id="e1"))
    event.order.order_id = order_id
    event.metadata.occurred_at.GetCurrentTime()
    return event.SerializeToString()


def read(data: bytes) -> str:
    return order_events_pb2.OrderPlaced.FromString(data).order.order_id


def client(channel: grpc.Channel) -> order_service_pb2.GetOrderResponse:
    stub = order_service_pb2_grpc.OrderServiceStub(channel)
    response: order_service_pb2.GetOrderResponse = stub.GetOrder(order_service_pb2.GetOrderRequest(order_id="o"))
    return response


class Orders(order_service_pb2_grpc.OrderServiceServicer):
    def PlaceOrder(
        self, request: order_service_pb2.PlaceOrderRequest, context: grpc.ServicerContext
    ) -> order_service_pb2.PlaceOrderResponse:
        return order_service_pb2.PlaceOrderResponse()

    def GetOrder(
        self, request: order_service_pb2.GetOrderRequest, context: grpc.ServicerContext
    ) -> order_service_pb2.GetOrderResponse:
        return order_service_pb2.GetOrderResponse()

    def CancelOrder(
        self, request: order_service_pb2.CancelOrderRequest, context: grpc.ServicerContext
    ) -> order_service_pb2.CancelOrderResponse:
        return order_service_pb2.CancelOrderResponse()


def serve(server: grpc.Server) -> None:
    order_service_pb2_grpc.add_OrderServiceServicer_to_server(Orders(), server)


def produce_and_read(registry: Registry, event: order_events_pb2.OrderPlaced) -> Message | None:
    topic = topics.SS3_ORDERS_ORDER_EVENTS_V1
    value = Serializer(registry).serialize(topic, event)
    return Deserializer(registry).deserialize(topic, value)
"""
# Each line must be reported by mypy, on every runtime's stubs.
MISTAKES = {
    "placed(42)": 'Argument 1 to "placed" has incompatible type "int"; expected "str"',
    "order_events_pb2.OrderPlaced(order_id='x')": 'Unexpected keyword argument "order_id" for "OrderPlaced"',
    "order_events_pb2.OrderPlaced().metadata.event_id = 1": "Incompatible types in assignment",
}


@dataclass
class Cell:
    """What one runtime did with the wheel: each step's process, in order."""

    runtime: Runtime
    steps: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)

    def step(self, name: str) -> subprocess.CompletedProcess[str]:
        if find_python(self.runtime.python) is None:
            server_unavailable(f"Python {self.runtime.python} is not installed (python{self.runtime.python} or pyenv)")
        if name not in self.steps:
            pytest.fail(f"{self.runtime.name}: step {name} did not run; earlier steps: {self._summary()}")
        return self.steps[name]

    def _summary(self) -> str:
        return "; ".join(f"{n}: exit {p.returncode} {p.stderr.strip()[-300:]}" for n, p in self.steps.items())


def _run_cell(runtime: Runtime, wheel: Path, consumer_dir: Path) -> Cell:
    cell = Cell(runtime)
    if find_python(runtime.python) is None:
        return cell
    python = runtime_python(runtime)
    cell.steps["install"] = install_wheel(python, wheel)
    if cell.steps["install"].returncode != 0:
        return cell
    cell.steps["pip check"] = pip_check(python)
    for check in runtime_check.CHECKS:
        command = [str(python), "-W", "error", str(CHECK_SCRIPT), check]
        cell.steps[check] = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    cell.steps["mypy"] = _mypy(runtime, python, consumer_dir)
    return cell


def _mypy(runtime: Runtime, python: Path, consumer_dir: Path) -> subprocess.CompletedProcess[str]:
    cache = CACHE / f"mypy-{runtime.name}"
    command = [sys.executable, "-m", "mypy", "--strict", "--python-executable", str(python)]
    command += ["--python-version", runtime.python]
    command += ["--cache-dir", str(cache), "--show-error-codes", str(consumer_dir)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.fixture(scope="session")
def cells(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Cell]:
    consumer_dir = tmp_path_factory.mktemp("consumer")
    (consumer_dir / "good.py").write_text(CONSUMER)
    (consumer_dir / "bad.py").write_text(CONSUMER + "\n" + "\n".join(MISTAKES) + "\n")
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        done = list(pool.map(lambda rt: _run_cell(rt, wheel, consumer_dir), RUNTIMES))
    return {cell.runtime.name: cell for cell in done}


def _ok(cell: Cell, step: str) -> str:
    proc = cell.step(step)
    assert proc.returncode == 0, f"{cell.runtime.name} {step}: {proc.stdout}{proc.stderr}"
    return proc.stdout


@pytest.mark.parametrize("runtime", RUNTIMES, ids=lambda rt: rt.name)
def test_wheel_installs_offline_over_the_runtime_and_pip_check_passes(cells: dict[str, Cell], runtime: Runtime) -> None:
    cell = cells[runtime.name]
    _ok(cell, "install")
    assert "No broken requirements found" in _ok(cell, "pip check")


@pytest.mark.parametrize("runtime", RUNTIMES, ids=lambda rt: rt.name)
def test_every_module_imports_without_a_warning(cells: dict[str, Cell], runtime: Runtime) -> None:
    found = json.loads(_ok(cells[runtime.name], "imports"))
    assert found["modules"] >= 30
    assert found["schema_files"] == found["pb2_modules"]  # the descriptor set holds every schema
    assert "google/protobuf/timestamp.proto" in found["well_known_imports"]  # and is self-contained


@pytest.mark.parametrize("runtime", RUNTIMES, ids=lambda rt: rt.name)
def test_every_message_round_trips_in_binary_and_json(cells: dict[str, Cell], runtime: Runtime) -> None:
    assert json.loads(_ok(cells[runtime.name], "messages"))["messages"] >= 40


@pytest.mark.parametrize("runtime", RUNTIMES, ids=lambda rt: rt.name)
def test_generated_service_serves_and_answers_on_loopback(cells: dict[str, Cell], runtime: Runtime) -> None:
    reply = json.loads(_ok(cells[runtime.name], "grpc"))
    assert reply == {"order_id": "ord_1", "amount_minor": 1999, "status": "ORDER_STATUS_PAID"}


@pytest.mark.parametrize("runtime", RUNTIMES, ids=lambda rt: rt.name)
def test_mypy_accepts_a_consumer_and_reports_its_mistakes(cells: dict[str, Cell], runtime: Runtime) -> None:
    proc = cells[runtime.name].step("mypy")
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert not [e for e in errors if "good.py" in e], proc.stdout
    for mistake, message in MISTAKES.items():
        assert any(message in e for e in errors), f"{mistake!r} not reported: {proc.stdout}"
    assert len(errors) == len(MISTAKES), proc.stdout


def test_hand_written_packages_of_the_wheel_are_exercised(wheel: Path) -> None:
    """A runtime module that is not generated (an ss3.kafka serde, say) needs a check in runtime_check.py."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    generated = {n.split("/")[1] for n in names if n.endswith("_pb2.py")}
    packages = {n.split("/")[1] for n in names if n.count("/") >= 2 and n.endswith("/__init__.py")}
    hand_written = sorted(packages - generated)
    assert hand_written == sorted(runtime_check.HAND_WRITTEN_COVERED), (
        "add a check to tests/package/runtime_check.py for each and list it in HAND_WRITTEN_COVERED"
    )


@pytest.fixture(scope="session")
def kafka_steps(cells: dict[str, Cell], registry: Any) -> dict[str, subprocess.CompletedProcess[str]]:
    """The Kafka serde check in every runtime, against the session's real Apicurio filled by `ss3-schema register`."""
    group = f"matrix-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, **env_for(registry), SS3_MATRIX_GROUP=group)
    registered = run_cli("register", "--group", group, cwd=REPO_ROOT, env=env_for(registry))
    assert registered.returncode == 0, registered.stdout + registered.stderr

    def run(runtime: Runtime) -> subprocess.CompletedProcess[str]:
        command = [str(runtime_python(runtime)), "-W", "error", str(CHECK_SCRIPT), "kafka"]
        return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, check=False)

    available = [rt for rt in RUNTIMES if "install" in cells[rt.name].steps]
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return dict(zip((rt.name for rt in available), pool.map(run, available), strict=True))


@pytest.mark.parametrize("runtime", RUNTIMES, ids=lambda rt: rt.name)
def test_kafka_serde_round_trips_every_event_as_its_topic_envelope(
    kafka_steps: dict[str, subprocess.CompletedProcess[str]], runtime: Runtime
) -> None:
    if runtime.name not in kafka_steps:
        server_unavailable(f"Python {runtime.python} is not installed (python{runtime.python} or pyenv)")
    proc = kafka_steps[runtime.name]
    assert proc.returncode == 0, f"{runtime.name} kafka: {proc.stdout}{proc.stderr}"
    found = json.loads(proc.stdout)
    assert found["envelopes"] == 5 and found["round_trips"] >= 10
    assert found["undecodable"] == ["upb", "python"]  # a FramingError on both backends
