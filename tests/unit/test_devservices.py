"""The local services' shared parts that need no running server."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from devservices import jvm, kafka
from devservices.kafka import broker_properties
from tests.helpers import REPO_ROOT, server_unavailable


@pytest.mark.parametrize("service", ["kafka", "registry", "pypi"])
def test_status_without_a_server_exits_2_with_one_line(service: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", f"devservices.{service}", "status", "--state-dir", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [f"{service}: no {_what(service)} recorded in {tmp_path}"]


def _what(service: str) -> str:
    return {"kafka": "Kafka broker", "registry": "registry", "pypi": "package index"}[service]


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


def test_maven_settings_send_every_repository_to_central(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        server_unavailable("Maven (mvn) is not on PATH")
    monkeypatch.setenv("SS3_CACHE_DIR", str(tmp_path))

    settings = jvm.maven_settings(mvn).read_text(encoding="utf-8")

    assert "<mirrorOf>*</mirrorOf>" in settings
    assert f"<url>{jvm.central_url(mvn)}</url>" in settings
    assert jvm.central_url(mvn).startswith("https://")
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
