"""`ss3-schema publish` against a real pypiserver, then pip installing what it published."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import SchemaRepo, run_cli
from tests.integration.pypi_fixture import (
    PypiIndex,
    fresh_venv,
    make_package_repo,
    pip_install,
)

pytestmark = pytest.mark.integration

# Versions of their own keep these tests independent of the release tests on the same index.
VERSION = "3.0.0"
WRONG_PASSWORD = "not-the-password-3f9a"


def build(repo: SchemaRepo, version: str) -> Path:
    repo.write("VERSION", f"{version}\n")
    for step in ("gen", "build"):
        proc = run_cli(step, cwd=repo.root)
        assert proc.returncode == 0, proc.stderr
    return repo.path(f"dist/ss3_protos-{version}-py3-none-any.whl")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> SchemaRepo:
    return make_package_repo(tmp_path_factory.mktemp("publish") / "repo", VERSION)


@pytest.fixture(scope="module")
def published(repo: SchemaRepo, pypi_index: PypiIndex) -> Path:
    """The wheel of VERSION, published once through the CLI."""
    wheel = build(repo, VERSION)
    first = run_cli("publish", cwd=repo.root, env=pypi_index.env())
    assert first.returncode == 0, first.stderr
    assert f"publish: {wheel.name}: uploaded" in first.stdout
    return wheel


def test_republishing_the_same_wheel_is_skipped(repo: SchemaRepo, published: Path, pypi_index: PypiIndex) -> None:
    again = run_cli("publish", cwd=repo.root, env=pypi_index.env())
    assert again.returncode == 0, again.stderr
    assert f"publish: {published.name}: already published" in again.stdout
    assert sorted(p.name for p in pypi_index.packages.iterdir()).count(published.name) == 1


def test_tampered_wheel_with_the_same_name_is_refused(
    published: Path,
    pypi_index: PypiIndex,
    tmp_path: Path,
) -> None:
    tampered = tmp_path / published.name
    shutil.copyfile(published, tampered)
    with tampered.open("ab") as stream:
        stream.write(b"\0")
    proc = run_cli("publish", str(tampered), cwd=tmp_path, env=pypi_index.env())
    assert proc.returncode == 1
    assert f"error: version {VERSION} already published with different content" in proc.stderr
    assert (pypi_index.packages / published.name).read_bytes() == published.read_bytes()


def test_wrong_password_is_exit_2_without_the_secret(
    repo: SchemaRepo,
    published: Path,
    pypi_index: PypiIndex,
) -> None:
    wheel = build(repo, "3.0.1")
    proc = run_cli("publish", str(wheel), cwd=repo.root, env=pypi_index.env(password=WRONG_PASSWORD))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: uploading {wheel.name} to {pypi_index.url} failed: the index refused the credentials (HTTP 403); "
        "check TWINE_USERNAME and TWINE_PASSWORD"
    ]
    output = proc.stdout + proc.stderr
    assert WRONG_PASSWORD not in output
    assert pypi_index.password not in output


def test_publish_without_an_index_is_a_configuration_error(repo: SchemaRepo) -> None:
    proc = run_cli("publish", cwd=repo.root, env={"TWINE_REPOSITORY_URL": ""})
    assert proc.returncode == 2
    assert "TWINE_REPOSITORY_URL" in proc.stderr


def test_pip_installs_the_published_wheel(
    published: Path,
    pypi_index: PypiIndex,
    protobuf_wheelhouse: Path,
    tmp_path: Path,
) -> None:
    python = fresh_venv(tmp_path / "venv")
    args = ["--index-url", pypi_index.simple_url, "--find-links", str(protobuf_wheelhouse), f"ss3-protos=={VERSION}"]
    installed = pip_install(python, *args)
    assert installed.returncode == 0, installed.stderr
    code = "import ss3, ss3.orders.v1.order_events_pb2 as events; events.OrderPlaced(); print(ss3.__version__)"
    run = subprocess.run([str(python), "-W", "error", "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == VERSION
