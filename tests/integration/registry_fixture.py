"""Session fixtures for a real Apicurio Registry on 127.0.0.1 (devservices/registry/).

``registry``         basic auth on (embedded users), 3.3 error codes (rule violation = 400)
``legacy_registry``  the same with legacy error codes (rule violation = 409), started on first use

Both yield the started server: ``.url`` (``http://127.0.0.1:PORT``) and
``.auth`` (user, password, role sr-admin) and ``.reader`` (user, password,
role sr-readonly, like the PR gate's account). A server that cannot start (no JDK 21+, no
Maven download) skips the tests locally and fails them in CI (CI=true), so
a broken set-up never turns the suite green. Servers are stopped at the end
of the session.

Function fixtures: ``registry_group`` (a fresh group per test, so tests are
independent of each other), ``registry_env`` (the environment a user would
set for ss3-schema: URL and credentials) and ``registry_reader`` (reads back
what the registry holds).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import pytest
import requests

from devservices import registry as devservices_registry
from tests.helpers import server_unavailable

USER = "ss3-ci"
# A second account with Apicurio's read-only role, like the PR gate's (docs/gate.md): `.reader` of a server.
READER = "ss3-gate-reader"


def _registry_script() -> ModuleType:
    return devservices_registry


def _start(state_dir: Path, **options: Any) -> Any:
    script = _registry_script()
    reader = (READER, secrets.token_urlsafe(18))
    users = [(USER, secrets.token_urlsafe(18)), reader]
    try:
        running = script.start_registry(state_dir=state_dir, basic_auth=users, roles={READER: "sr-readonly"}, **options)
    except script.RegistryError as error:
        server_unavailable(f"Apicurio Registry did not start: {error}")
    running.reader = reader
    return running


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    running = _start(tmp_path_factory.mktemp("registry"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def legacy_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    running = _start(tmp_path_factory.mktemp("legacy-registry"), legacy_error_codes=True)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def registry_group() -> str:
    return f"ss3-test-{uuid.uuid4().hex[:12]}"


def env_for(server: Any) -> dict[str, str]:
    """What a CI job sets to let ss3-schema talk to `server`."""
    user, password = server.auth
    return {
        "SS3_REGISTRY_URL": server.url,
        "SS3_REGISTRY_USERNAME": user,
        "SS3_REGISTRY_PASSWORD": password,
    }


@pytest.fixture
def registry_env(registry: Any) -> dict[str, str]:
    return env_for(registry)


class RegistryReader:
    """Reads what a registry holds, with plain HTTP: the tests' independent view."""

    def __init__(self, server: Any) -> None:
        self._api = f"{server.url}/apis/registry/v3"
        self._session = requests.Session()
        self._session.auth = server.auth

    def _get(self, path: str, **params: Any) -> requests.Response:
        return self._session.get(self._api + path, params=params, timeout=30)

    def versions(self, group: str, artifact_id: str) -> list[str]:
        """Version ids of one artifact, oldest first; [] when it does not exist."""
        response = self._get(f"/groups/{_seg(group)}/artifacts/{_seg(artifact_id)}/versions", limit=1000)
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return [str(v["version"]) for v in sorted(response.json()["versions"], key=lambda v: v["globalId"])]

    def all_versions(self, group: str) -> dict[str, list[str]]:
        """artifact id -> version ids, for every artifact in the group."""
        response = self._get("/search/versions", groupId=group, limit=10000)
        response.raise_for_status()
        found: dict[str, list[str]] = {}
        for item in sorted(response.json()["versions"], key=lambda v: v["globalId"]):
            found.setdefault(item["artifactId"], []).append(str(item["version"]))
        return found

    def content(self, group: str, artifact_id: str, version: str) -> str:
        response = self._get(f"/groups/{_seg(group)}/artifacts/{_seg(artifact_id)}/versions/{version}/content")
        response.raise_for_status()
        return response.text

    def references(self, group: str, artifact_id: str, version: str) -> list[dict[str, str]]:
        response = self._get(f"/groups/{_seg(group)}/artifacts/{_seg(artifact_id)}/versions/{version}/references")
        response.raise_for_status()
        return sorted(response.json(), key=lambda ref: ref["name"])

    def branch(self, group: str, artifact_id: str, branch: str) -> str | None:
        """The version `branch=<branch>` resolves to (what a serde pinned to it gets); None without the branch."""
        response = self._get(f"/groups/{_seg(group)}/artifacts/{_seg(artifact_id)}/versions/branch={_seg(branch)}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return str(response.json()["version"])

    def rule(self, group: str, artifact_id: str, rule_type: str = "COMPATIBILITY") -> str | None:
        response = self._get(f"/groups/{_seg(group)}/artifacts/{_seg(artifact_id)}/rules/{rule_type}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return str(response.json()["config"])

    def close(self) -> None:
        self._session.close()


def _seg(value: str) -> str:
    return quote(value, safe="")


@pytest.fixture
def registry_reader(registry: Any) -> Iterator[RegistryReader]:
    reader = RegistryReader(registry)
    try:
        yield reader
    finally:
        reader.close()
