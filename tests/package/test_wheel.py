"""The ss3-protos wheel as built: metadata, content, reproducibility.

Installing it into each supported runtime is test_runtime_matrix.py.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.helpers import REPO_ROOT, SchemaRepo, make_schema_repo, run_cli
from tests.package.conftest import build
from tests.package.runtimes import runtime_table

pytestmark = pytest.mark.integration  # builds wheels (tests/tiers.py)


def _metadata(wheel: Path) -> dict[str, list[str]]:
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        message = Parser().parsestr(archive.read(name).decode())
    keys = ("Version", "Requires-Dist", "Provides-Extra", "Summary", "Project-URL", "Description-Content-Type")
    found = {key: message.get_all(key) or [] for key in keys}
    found["Description"] = [message.get_payload()]
    return found


def _newest_major(versions: list[str]) -> int:
    return max(int(v.split(".")[0]) for v in versions)


def _floor_on(python: str, package: str, requires: list[str]) -> str:
    """The lowest version of `package` the wheel admits on `python` (the grpc extra included)."""
    environment = {"python_version": python, "python_full_version": f"{python}.0", "extra": "grpc"}
    applies = [r for r in map(Requirement, requires) if r.marker is None or r.marker.evaluate(environment)]
    [spec] = [r.specifier for r in applies if r.name == package]
    [floor] = [s.version for s in spec if s.operator == ">="]
    return floor


def test_requires_dist_is_exactly_the_tested_range_on_every_python(wheel: Path, built_repo: SchemaRepo) -> None:
    runtimes = runtime_table()
    meta = _metadata(wheel)
    assert meta["Version"] == [(built_repo.root / "VERSION").read_text().strip()]
    requires = meta["Requires-Dist"]
    pythons = sorted({rt.python for rt in runtimes}, key=lambda v: tuple(map(int, v.split("."))))
    for python in [*pythons, "3.14"]:  # a Python newer than every row gets the newest one's floor
        rows = [rt for rt in runtimes if rt.python == (python if python in pythons else pythons[-1])]
        assert _floor_on(python, "protobuf", requires) == min((rt.protobuf for rt in rows), key=_release)
        assert _floor_on(python, "grpcio", requires) == min((rt.grpcio for rt in rows), key=_release)
    for requirement in map(Requirement, requires):
        ceiling = _newest_major([rt.protobuf if requirement.name == "protobuf" else rt.grpcio for rt in runtimes])
        assert f"<{ceiling + 1}" in str(requirement.specifier)
        assert requirement.name == "protobuf" or 'extra == "grpc"' in str(requirement.marker)
    assert meta["Provides-Extra"] == ["grpc"]


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def test_generated_code_asks_no_more_than_the_oldest_tested_runtime(built_repo: SchemaRepo) -> None:
    package = built_repo.root / "ss3-protos/src/ss3"
    pb2 = (package / "orders/v1/order_events_pb2.py").read_text()
    grpc = (package / "orders/v1/order_service_pb2_grpc.py").read_text()
    oldest = runtime_table()[0]  # the first row: the oldest of both, on the tool's Python
    assert f"# Protobuf Python Version: {oldest.protobuf}" in pb2
    assert "runtime_version" not in pb2  # newer gencode refuses every runtime older than itself
    assert f"GRPC_GENERATED_VERSION = '{oldest.grpcio}'" in grpc


def test_metadata_tells_a_service_developer_what_to_install(wheel: Path) -> None:
    meta = _metadata(wheel)
    assert meta["Summary"] and meta["Description-Content-Type"] == ["text/markdown"]
    assert {url.split(",")[0] for url in meta["Project-URL"]} >= {"Documentation", "Source", "Changelog"}
    [readme] = meta["Description"]
    runtimes = runtime_table()
    stated = re.search(r"protobuf (\d[\d.]*) through (\d+\.x)", readme)
    assert stated is not None, "the wheel's README states the supported protobuf range"
    assert stated.groups() == (runtimes[0].protobuf, f"{runtimes[-1].protobuf.split('.')[0]}.x")
    assert f"grpcio {runtimes[0].grpcio}" in readme
    for rt in runtimes:  # the table of tested rows is the one the matrix runs
        assert f"| {rt.python} | {rt.protobuf} | {rt.grpcio} | {rt.types_protobuf} | {rt.types_grpcio} |" in readme


def test_wheel_content(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {"ss3/py.typed", "ss3/_descriptors/ss3.binpb", "ss3/orders/v1/order_events.proto"} <= names
    assert {"ss3/orders/v1/order_events_pb2.py", "ss3/orders/v1/order_events_pb2.pyi"} <= names
    assert {"ss3/orders/v1/order_service_pb2_grpc.py", "ss3/orders/v1/order_service_pb2_grpc.pyi"} <= names
    assert {"ss3/topics.py", "ss3/kafka/__init__.py", "ss3/kafka/serde.py", "ss3/kafka/wire.py"} <= names
    assert "ss3/orders/v1/order_events_pb2_grpc.py" not in names  # no services, no grpc module
    assert archive_member(wheel, "ss3/kafka/_redact.py") == (REPO_ROOT / "tools/ss3_schema/redact.py").read_bytes()
    assert not [n for n in names if n.startswith("google/")]


def archive_member(wheel: Path, name: str) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(name)


def test_two_builds_of_one_commit_are_byte_identical(built_repo: SchemaRepo, wheel: Path) -> None:
    first = hashlib.sha256(wheel.read_bytes()).hexdigest()
    for path in (built_repo.root / "ss3-protos/src").rglob("*"):
        path.touch()  # new mtimes must not matter
    second = hashlib.sha256(build(built_repo).read_bytes()).hexdigest()
    assert first == second


def test_build_refuses_a_tested_range_below_what_the_code_needs(tmp_path: Path) -> None:
    repo = make_schema_repo(tmp_path / "repo", with_package=True)
    oldest = runtime_table()[0].protobuf
    repo.replace("ss3-protos/pyproject.toml", f'protobuf = "{oldest}"', 'protobuf = "4.25.8"')
    assert run_cli("gen", cwd=repo.root).returncode == 0
    proc = run_cli("build", cwd=repo.root)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"the oldest tested protobuf 4.25.8 is older than the generated code ({oldest})" in proc.stderr
    assert not list(repo.path("dist").glob("*.whl"))
