"""The ss3-protos wheel as a service developer gets it: install, import, serve, type-check."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.helpers import SchemaRepo, make_schema_repo, run_cli

# The oldest runtimes the wheel admits; installing exactly these proves the floors.
FLOOR_PINS = ("protobuf==7.35.1", "grpcio==1.85.1")
STUB_PINS = ("types-protobuf==7.35.1.20260906", "types-grpcio==1.85.0.20261028")


def _build(repo: SchemaRepo) -> Path:
    for command in ("gen", "build"):
        proc = run_cli(command, cwd=repo.root)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    [wheel] = sorted((repo.root / "dist").glob("*.whl"))
    return wheel


@pytest.fixture(scope="session")
def built_repo(tmp_path_factory: pytest.TempPathFactory) -> SchemaRepo:
    repo = make_schema_repo(tmp_path_factory.mktemp("wheel") / "repo", with_package=True)
    _build(repo)
    return repo


@pytest.fixture(scope="session")
def wheel(built_repo: SchemaRepo) -> Path:
    [path] = sorted((built_repo.root / "dist").glob("*.whl"))
    return path


@pytest.fixture(scope="session")
def consumer_python(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel, its grpc extra at the floor versions, and type stubs."""
    venv = tmp_path_factory.mktemp("consumer") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--only-binary=:all:"]
    subprocess.run([*pip, f"{wheel}[grpc]", *FLOOR_PINS, *STUB_PINS], check=True)
    return python


def _metadata(wheel: Path) -> dict[str, list[str]]:
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        message = Parser().parsestr(archive.read(name).decode())
    return {key: message.get_all(key) or [] for key in ("Version", "Requires-Dist", "Provides-Extra")}


def test_requirements_are_derived_from_the_generated_code(wheel: Path, built_repo: SchemaRepo) -> None:
    pb2 = (built_repo.root / "ss3-protos/src/ss3/orders/v1/order_events_pb2.py").read_text()
    grpc = (built_repo.root / "ss3-protos/src/ss3/orders/v1/order_service_pb2_grpc.py").read_text()
    assert "# Protobuf Python Version: 7.35.1" in pb2
    assert "GRPC_GENERATED_VERSION = '1.85.1'" in grpc
    meta = _metadata(wheel)
    assert meta["Version"] == [(built_repo.root / "VERSION").read_text().strip()]
    assert sorted(meta["Requires-Dist"]) == ["grpcio<2,>=1.85.1; extra == 'grpc'", "protobuf<8,>=7.35.1"]
    assert meta["Provides-Extra"] == ["grpc"]


def test_wheel_content(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {"ss3/py.typed", "ss3/_descriptors/ss3.binpb", "ss3/orders/v1/order_events.proto"} <= names
    assert {"ss3/orders/v1/order_events_pb2.py", "ss3/orders/v1/order_events_pb2.pyi"} <= names
    assert {"ss3/orders/v1/order_service_pb2_grpc.py", "ss3/orders/v1/order_service_pb2_grpc.pyi"} <= names
    assert "ss3/orders/v1/order_events_pb2_grpc.py" not in names  # no services, no grpc module
    assert {"ss3/topics.py", "ss3/kafka/__init__.py", "ss3/kafka/serde.py", "ss3/kafka/wire.py"} <= names
    assert not [n for n in names if n.startswith("google/")]


def test_two_builds_of_one_commit_are_byte_identical(built_repo: SchemaRepo, wheel: Path) -> None:
    first = hashlib.sha256(wheel.read_bytes()).hexdigest()
    for path in (built_repo.root / "ss3-protos/src").rglob("*"):
        path.touch()  # new mtimes must not matter
    second = hashlib.sha256(_build(built_repo).read_bytes()).hexdigest()
    assert first == second


def test_every_module_imports_in_a_clean_venv(consumer_python: Path) -> None:
    script = textwrap.dedent(
        """
        import importlib, pkgutil, ss3
        names = [m.name for m in pkgutil.walk_packages(ss3.__path__, "ss3.")]
        for name in names:
            importlib.import_module(name)
        fds = ss3.load_descriptor_set()
        files = {f.name for f in fds.file}
        assert "ss3/orders/v1/order_events.proto" in files and "google/protobuf/timestamp.proto" in files
        print(len(names), ss3.__version__)
        """
    )
    proc = subprocess.run(
        [str(consumer_python), "-W", "error", "-c", script], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    count, _version = proc.stdout.split()
    assert int(count) >= 30


def test_generated_grpc_service_serves_and_answers_on_loopback(consumer_python: Path) -> None:
    script = textwrap.dedent(
        """
        from concurrent import futures
        import grpc
        from ss3.orders.v1 import order_pb2, order_service_pb2, order_service_pb2_grpc

        class Orders(order_service_pb2_grpc.OrderServiceServicer):
            def GetOrder(self, request, context):
                order = order_pb2.Order(order_id=request.order_id, status=order_pb2.ORDER_STATUS_PAID)
                order.total.currency_code, order.total.amount_minor = "EUR", 1999
                return order_service_pb2.GetOrderResponse(order=order)

        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        order_service_pb2_grpc.add_OrderServiceServicer_to_server(Orders(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = order_service_pb2_grpc.OrderServiceStub(channel)
                reply = stub.GetOrder(order_service_pb2.GetOrderRequest(order_id="ord_1"), timeout=10)
        finally:
            server.stop(None)
        print(reply.order.order_id, reply.order.total.amount_minor, order_pb2.OrderStatus.Name(reply.order.status))
        """
    )
    proc = subprocess.run([str(consumer_python), "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ord_1", "1999", "ORDER_STATUS_PAID"]


CONSUMER = """
from google.protobuf.message import Message
from ss3 import topics
from ss3.kafka import Deserializer, Framing, Registry, Serializer
from ss3.common.v1 import event_metadata_pb2
from ss3.orders.v1 import order_events_pb2, order_service_pb2_grpc
import grpc

def placed(order_id: str) -> bytes:
    event = order_events_pb2.OrderPlaced(metadata=event_metadata_pb2.EventMetadata(event_id="e1"))
    event.order.order_id = order_id
    return event.SerializeToString()

def client(channel: grpc.Channel) -> order_service_pb2_grpc.OrderServiceStub:
    return order_service_pb2_grpc.OrderServiceStub(channel)

def produce_and_read(registry: Registry, event: order_events_pb2.OrderPlaced) -> Message | None:
    record = Serializer(registry, framing={topics.SS3_ORDERS_ORDER_EVENTS_V1: Framing.HEADERS}).serialize(
        topics.SS3_ORDERS_ORDER_EVENTS_V1, event
    )
    return Deserializer(registry).deserialize(topics.SS3_ORDERS_ORDER_EVENTS_V1, record.value, record.headers)
"""


def test_mypy_accepts_a_consumer_and_catches_a_type_error(consumer_python: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text(CONSUMER)
    bad = tmp_path / "bad.py"
    bad.write_text(CONSUMER + "\nplaced(42)\norder_events_pb2.OrderPlaced(order_id='x')\n")
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", str(consumer_python)]
    ok = subprocess.run([*mypy, str(good)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout
    failing = subprocess.run([*mypy, str(bad)], capture_output=True, text=True, check=False)
    assert failing.returncode == 1
    assert 'Argument 1 to "placed" has incompatible type "int"' in failing.stdout
    assert '"OrderPlaced" has no attribute "order_id"' in failing.stdout or "order_id" in failing.stdout
