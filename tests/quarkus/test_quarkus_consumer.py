"""A real Quarkus service built against the published Maven artifact calls the wheel's Python service.

The whole path a service team takes: `ss3-schema release` on a laptop deploys
com.shopstar3:ss3-protos into dist/maven; a Quarkus app (tests/quarkus, with
quarkus-grpc and scan-for-proto on that artifact) resolves it from
`file://…/dist/maven`, generates its stubs, and its @QuarkusTest calls the
OrderService that the ss3-protos wheel serves from Python on 127.0.0.1, then
reads an event's topic option from the generated class.

The project's one Maven (>= 3.9, as Quarkus extensions need) and its local repository
.cache/m2 (devservices.maven): a cold run downloads Quarkus once. The same project's Kafka
service runs in tests/interop/test_quarkus_service.py; its @QuarkusTest leaves Kafka out.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from devservices.maven import MavenError, ensure_maven, local_repository, maven_command
from tests.helpers import REPO_ROOT, SchemaRepo, server_unavailable
from tests.integration.pypi_fixture import fresh_venv, make_package_repo, pip_install, repack_installed, run_release

pytestmark = pytest.mark.interop

VERSION = "0.7.0"
PROJECT = REPO_ROOT / "tests" / "quarkus"
PROJECT_FILES = ("pom.xml", "src")
BUILD_TIMEOUT_S = 900


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> SchemaRepo:
    """A laptop release: the wheel in dist/index, the jar in dist/maven."""
    repo = make_package_repo(tmp_path_factory.mktemp("quarkus") / "repo", VERSION)
    proc = run_release(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return repo


@pytest.fixture(scope="module")
def orders_port(released: SchemaRepo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The wheel's OrderService on 127.0.0.1, installed from the local index into a fresh venv."""
    wheelhouse = tmp_path_factory.mktemp("wheelhouse")
    for name in ("protobuf", "grpcio", "typing_extensions"):
        repack_installed(name, wheelhouse)
    python = fresh_venv(tmp_path_factory.mktemp("orders") / "venv")
    index = released.path("dist/index/simple").as_uri()
    requirement = f"ss3-protos[grpc]=={VERSION}"
    installed = pip_install(python, "--index-url", index, "--find-links", str(wheelhouse), requirement)
    assert installed.returncode == 0, installed.stderr
    server = subprocess.Popen(
        [str(python), str(PROJECT / "orders_server.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline().strip()
        assert line.isdigit(), f"the order service did not start: {line!r}"
        yield int(line)
    finally:
        if server.stdin is not None:
            server.stdin.close()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def maven_or_give_up() -> None:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        server_unavailable("cannot build the Quarkus consumer: no JDK (Quarkus 3 needs Java 17+)")
    try:
        ensure_maven()
    except MavenError as exc:
        server_unavailable(f"cannot build the Quarkus consumer: {exc}")


def test_quarkus_service_built_from_the_published_jar_calls_the_python_service(
    released: SchemaRepo, orders_port: int, tmp_path: Path
) -> None:
    maven_or_give_up()
    project = tmp_path / "consumer"
    project.mkdir()
    for name in PROJECT_FILES:
        source = PROJECT / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, project / name)
    # A cached copy of this version from an earlier run (other bytes: another
    # commit time) would shadow the jar just published.
    shutil.rmtree(local_repository() / "com" / "shopstar3", ignore_errors=True)
    repository = released.path("dist/maven").as_uri()
    command = maven_command(
        "--no-transfer-progress", f"-Dss3.repository={repository}", f"-Dss3.version={VERSION}", "test"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUARKUS_", "MAVEN_"))}
    env["SS3_ORDERS_PORT"] = str(orders_port)
    proc = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    assert re.search(r"Tests run: 2, Failures: 0, Errors: 0, Skipped: 0", output), output[-3000:]
    assert "Maven extensions for the Quarkus Maven plugin are not enabled" not in output  # Maven < 3.9 says this
    generated = project / "target" / "generated-sources" / "grpc" / "com" / "shopstar3" / "ss3" / "orders" / "v1"
    assert (generated / "OrderPlaced.java").is_file()
    assert (generated / "OrderServiceGrpc.java").is_file()
