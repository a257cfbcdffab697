"""The local services' shared parts that need no JVM server (the package index is a Python one)."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from devservices import common, kafka, maven, registry
from devservices.kafka import broker_properties
from tests.helpers import REPO_ROOT, require_nginx


@pytest.mark.parametrize(
    ("module", "service"),
    [("kafka", "kafka"), ("registry", "registry"), ("pypi", "pypi"), ("maven_repo", "maven-repo")],
)
def test_status_without_a_server_exits_2_with_one_line(module: str, service: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", f"devservices.{module}", "status", "--state-dir", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [f"{service}: not running (no data yet; `make {service}-up` starts it)"]


def test_down_without_a_server_says_so_and_succeeds(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "devservices.kafka", "down", "--state-dir", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (proc.returncode, proc.stdout.strip()) == (0, "not running")


def test_broker_listens_on_loopback_only(tmp_path: Path) -> None:
    props = broker_properties(9092, 9093, tmp_path / "data")

    addresses = [props["listeners"], props["advertised.listeners"], props["controller.quorum.voters"]]
    assert all(part.split("//")[-1].split("@")[-1].startswith("127.0.0.1:") for a in addresses for part in a.split(","))


@pytest.mark.integration  # the first run downloads Maven from Central
def test_maven_settings_send_every_remote_repository_to_central(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mvn = str(maven.ensure_maven())
    monkeypatch.setenv("SS3_CACHE_DIR", str(tmp_path))

    settings = maven.maven_settings(mvn).read_text(encoding="utf-8")

    assert "<mirrorOf>external:*</mirrorOf>" in settings  # file:// and localhost repositories are read as they are
    assert f"<url>{maven.central_url(mvn)}</url>" in settings
    assert maven.central_url(mvn).startswith("https://")
    assert (tmp_path / ".gitignore").read_text() == "*\n"


def test_cluster_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    # StorageTool reads "-t -Abc…" as an option and refuses to format: one start in 64 failed that way.
    dash_first = uuid.UUID(bytes=b"\xf8" + bytes(15))  # base64url of 0xf8... starts with "-"
    assert base64.urlsafe_b64encode(dash_first.bytes).startswith(b"-")
    fresh = iter([dash_first, uuid.UUID(int=1)])
    monkeypatch.setattr(kafka.uuid, "uuid4", lambda: next(fresh))

    cluster_id = kafka._cluster_id()

    assert not cluster_id.startswith("-")
    assert len(cluster_id) == 22


# --------------------------------------------------------------------------
# Servers that keep their port and data across restarts


@pytest.mark.integration  # sockets on 127.0.0.1
def test_a_restart_takes_the_port_of_the_last_start(tmp_path: Path) -> None:
    # A port the kernel just handed out, not a constant: any fixed number can be
    # some other process's ephemeral port at that moment.
    last = common.free_port()
    common.remember_ports(tmp_path, {"port": last, "management_port": common.free_port()})

    kept = common.remembered_ports(tmp_path)

    assert common.kept_port(0, kept.get("port"), name="port", service="registry") == last
    assert common.kept_port(5000, kept.get("port"), name="port", service="registry") == 5000  # --port wins
    assert common.kept_port(0, None, name="port", service="registry") == 0  # first start: any free port


@pytest.mark.integration  # sockets on 127.0.0.1
def test_a_kept_port_taken_by_another_process_is_refused_with_the_way_out(tmp_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        taken = other.getsockname()[1]

        with pytest.raises(common.DevServiceError) as error:
            common.kept_port(0, taken, name="port", service="kafka")

    assert f"port {taken} on 127.0.0.1, kept from the last start, is in use" in str(error.value)
    assert "`make kafka-reset`" in str(error.value)


@pytest.mark.parametrize(
    "content", ['{"port": "80"}', '{"port": true}', '{"port": 70000}', '{"port": -1}', "[1]", "not json", ""]
)
def test_a_damaged_ports_file_is_ignored(tmp_path: Path, content: str) -> None:
    (tmp_path / common.PORTS_FILE).write_text(content)

    assert common.remembered_ports(tmp_path) == {}


def test_reset_removes_the_services_files_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "registry.mv.db").write_bytes(b"x")
    (tmp_path / "registry.log").write_text("log")
    common.remember_ports(tmp_path, {"port": 41234})
    (tmp_path / "notes.txt").write_text("mine")

    removed = common.reset_state(tmp_path, registry.STATE_ENTRIES)

    assert removed == ["data", "registry.log", common.PORTS_FILE]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_the_registry_keeps_its_data_in_files_only_when_asked(tmp_path: Path) -> None:
    in_files = registry.server_properties(1, 2, [], False, {}, data_dir=tmp_path / "data")
    in_memory = registry.server_properties(1, 2, [], False, {})

    assert in_files["apicurio.datasource.url"] == f"jdbc:h2:file:{tmp_path / 'data' / 'registry'}"
    assert in_memory["apicurio.datasource.url"] == "jdbc:h2:mem:registry"


def test_the_export_line_quotes_for_the_shell() -> None:
    line = common.export_line({"SS3_REGISTRY_URL": "http://127.0.0.1:1", "X": "a b;c"})

    assert line == "export SS3_REGISTRY_URL=http://127.0.0.1:1 X='a b;c'"


def test_the_registry_export_names_the_user_but_never_the_password() -> None:
    exports = registry.SERVICE.exports({"url": "http://127.0.0.1:1", "auth_user": "ci"})

    assert exports == {"SS3_REGISTRY_URL": "http://127.0.0.1:1", "SS3_REGISTRY_USERNAME": "ci"}


def test_status_of_every_service_says_what_is_not_running_and_where_data_is_kept(tmp_path: Path) -> None:
    (tmp_path / "registry" / "data").mkdir(parents=True)
    env = dict(os.environ, SS3_CACHE_DIR=str(tmp_path))

    command = [sys.executable, "-m", "devservices", "status"]
    proc = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)

    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines() == [
        f"registry: not running (data kept in {tmp_path / 'registry'}; `make registry-up` starts it)",
        "kafka: not running (no data yet; `make kafka-up` starts it)",
        "pypi: not running (no data yet; `make pypi-up` starts it)",
        "maven-repo: not running (no data yet; `make maven-repo-up` starts it)",
    ]


def _service(
    *args: str, state_dir: Path, module: str = "pypi", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", f"devservices.{module}", *args, "--state-dir", str(state_dir)]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.integration  # sockets on 127.0.0.1
def test_the_package_index_comes_back_on_its_port_with_its_packages_until_reset(tmp_path: Path) -> None:
    first = _service("up", state_dir=tmp_path)
    try:
        assert first.returncode == 0, first.stderr
        url = first.stdout.strip()
        assert first.stderr.splitlines()[-1] == f"export TWINE_REPOSITORY_URL={url}"
        (tmp_path / "packages" / "demo-1.0.tar.gz").write_bytes(b"")
        assert _service("down", state_dir=tmp_path).stdout.strip() == "stopped"

        again = _service("up", state_dir=tmp_path)

        assert (again.returncode, again.stdout.strip()) == (0, url), again.stderr
        with urllib.request.urlopen(f"{url}simple/demo/", timeout=10) as page:  # noqa: S310 - loopback
            assert "demo-1.0.tar.gz" in page.read().decode()
        status = _service("status", state_dir=tmp_path)
        assert status.returncode == 0
        assert status.stdout.splitlines()[-1] == f"export TWINE_REPOSITORY_URL={url}"
    finally:
        reset = _service("reset", state_dir=tmp_path)
    assert reset.stdout.startswith("stopped; removed packages, pypi-server.log, ports.json in ")
    assert not (tmp_path / "packages").exists()


def _get(url: str, account: tuple[str, str]) -> bytes:
    request = urllib.request.Request(url)  # noqa: S310 - loopback
    token = base64.b64encode(f"{account[0]}:{account[1]}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return bytes(response.read())


@pytest.mark.integration  # sockets on 127.0.0.1
def test_the_maven_repository_comes_back_on_its_port_with_its_files_and_password_until_reset(tmp_path: Path) -> None:
    require_nginx()
    env = {k: v for k, v in os.environ.items() if k not in ("SS3_MAVEN_USERNAME", "SS3_MAVEN_PASSWORD")}
    first = _service("up", state_dir=tmp_path, module="maven_repo", env=env)
    try:
        assert first.returncode == 0, first.stderr
        url = first.stdout.strip()
        assert first.stderr.splitlines()[-1] == f"export SS3_MAVEN_REPOSITORY_URL={url} SS3_MAVEN_USERNAME=deployer"
        password = (tmp_path / "password").read_text().strip()
        assert password not in first.stdout + first.stderr
        (tmp_path / "repository" / "demo.pom").write_text("<project/>")
        nginx = int((tmp_path / "nginx.pid").read_text())
        assert _service("down", state_dir=tmp_path, module="maven_repo").stdout.strip() == "stopped"
        assert not common.pid_alive(nginx)

        again = _service("up", state_dir=tmp_path, module="maven_repo", env=env)

        assert (again.returncode, again.stdout.strip()) == (0, url), again.stderr
        assert _get(f"{url}demo.pom", ("deployer", password)) == b"<project/>"
        status = _service("status", state_dir=tmp_path, module="maven_repo")
        assert status.returncode == 0
        assert status.stdout.splitlines()[-1] == f"export SS3_MAVEN_REPOSITORY_URL={url} SS3_MAVEN_USERNAME=deployer"
    finally:
        reset = _service("reset", state_dir=tmp_path, module="maven_repo")
    assert reset.stdout.startswith("stopped; removed repository, ")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "first_line"),
    [
        ((), "usage: python -m devservices {up|status|down|reset} [registry kafka pypi maven-repo ...]"),
        (("up",), "usage: python -m devservices {up|status|down|reset} [registry kafka pypi maven-repo ...]"),
        (("down", "zookeeper"), "unknown service 'zookeeper'; usage: python -m devservices"),
    ],
)
def test_the_generic_command_refuses_what_it_cannot_do(args: tuple[str, ...], first_line: str) -> None:
    command = [sys.executable, "-m", "devservices", *args]
    proc = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)

    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(first_line), proc.stderr
