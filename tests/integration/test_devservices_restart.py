"""`make registry-up` / `make kafka-up` after a `down`: the same address, and everything a client wrote still there.

Each test runs the service's command line as the make targets do, in its own
state directory, and resets it at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer

from tests.helpers import REPO_ROOT, server_unavailable

pytestmark = pytest.mark.integration

PROTO = 'syntax = "proto3";\npackage ss3.restart.v1;\nmessage {name} {{\n  string id = 1;\n}}\n'


class Cli:
    def __init__(self, service: str, state_dir: Path) -> None:
        self.service, self.state_dir = service, state_dir

    def __call__(self, command: str) -> subprocess.CompletedProcess[str]:
        args = [sys.executable, "-m", f"devservices.{self.service}", command, "--state-dir", str(self.state_dir)]
        return subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)

    def up(self) -> str:
        proc = self("up")
        if proc.returncode != 0:
            server_unavailable(f"{self.service} did not start: {proc.stderr.strip()}")
        return proc.stdout.strip()

    def down(self) -> None:
        proc = self("down")
        assert (proc.returncode, proc.stdout.strip()) == (0, "stopped"), proc.stderr


@pytest.fixture
def registry_cli(tmp_path: Path) -> Iterator[Cli]:
    cli = Cli("registry", tmp_path)
    yield cli
    cli("reset")


@pytest.fixture
def kafka_cli(tmp_path: Path) -> Iterator[Cli]:
    cli = Cli("kafka", tmp_path)
    yield cli
    cli("reset")


def _create_artifact(url: str, name: str) -> int:
    body = {
        "artifactId": f"restart-{name.lower()}-value",
        "artifactType": "PROTOBUF",
        "firstVersion": {"content": {"content": PROTO.format(name=name), "contentType": "application/x-protobuf"}},
    }
    request = urllib.request.Request(  # noqa: S310 - loopback http
        f"{url}/apis/registry/v3/groups/default/artifacts",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback http
        return int(json.load(response)["version"]["contentId"])


def _content(url: str, content_id: int) -> str:
    with urllib.request.urlopen(f"{url}/apis/registry/v3/ids/contentIds/{content_id}", timeout=30) as response:  # noqa: S310
        return str(response.read().decode())


def test_the_registry_serves_the_same_url_and_content_ids_after_a_restart(registry_cli: Cli) -> None:
    url = registry_cli.up()
    placed = _create_artifact(url, "Placed")
    registry_cli.down()

    assert registry_cli.up() == url
    assert "message Placed" in _content(url, placed)  # records written with this id still decode
    assert _create_artifact(url, "Cancelled") > placed  # and a new schema never takes an old id
    status = registry_cli("status")
    assert status.stdout.splitlines()[-1] == f"export SS3_REGISTRY_URL={url}"

    reset = registry_cli("reset")
    assert reset.stdout.startswith("stopped; removed data, config, registry.log, ports.json")


def test_the_broker_serves_the_same_address_and_records_after_a_restart(kafka_cli: Cli) -> None:
    bootstrap = kafka_cli.up()
    topic = f"restart-{uuid.uuid4().hex[:8]}"
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topic, key=b"o-1", value=b"placed")
    assert producer.flush(30) == 0
    kafka_cli.down()

    assert kafka_cli.up() == bootstrap
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": topic, "auto.offset.reset": "earliest"})
    try:
        consumer.subscribe([topic])
        message = None
        for _ in range(60):
            message = consumer.poll(1.0)
            if message is not None and not message.error():
                break
        assert message is not None and not message.error(), message and message.error()
        assert (message.key(), message.value(), message.offset()) == (b"o-1", b"placed", 0)
    finally:
        consumer.close()
    assert kafka_cli("status").stdout.splitlines()[-1] == f"export KAFKA_BOOTSTRAP_SERVERS={bootstrap}"


def test_one_command_starts_reports_and_stops_any_service(tmp_path: Path) -> None:
    env = {**os.environ, "SS3_CACHE_DIR": str(tmp_path)}

    def devservices(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "devservices", *args]
        return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)

    try:
        up = devservices("up", "pypi")
        if up.returncode != 0:
            server_unavailable(f"pypi did not start: {up.stderr.strip()}")
        url = up.stdout.strip()
        with urllib.request.urlopen(f"{url}/simple/", timeout=10) as answer:  # noqa: S310 - loopback http
            assert answer.status == 200
        status = devservices("status", "pypi")
        assert status.returncode == 0 and status.stdout.startswith(f"pypi: {url}"), status.stdout + status.stderr
        down = devservices("down")
        assert (down.returncode, down.stdout.splitlines()) == (
            0,
            ["registry: not running", "kafka: not running", "pypi: stopped", "maven-repo: not running"],
        ), down.stderr
        assert devservices("status", "pypi").returncode == 2
    finally:
        devservices("reset", "pypi")
