"""Secrets never leave: not through a redirect, not in a message, not past a CA override.

Loopback fakes stand in for a hostile or broken server; the CLI runs as a user runs it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from ss3_schema.errors import RegistryError
from ss3_schema.http import Backoff, Patience
from ss3_schema.registry.auth import ClientCredentials
from ss3_schema.registry.client import Connection, RegistryClient
from ss3_schema.release.index import HttpIndex
from ss3_schema.release.target import Credentials

from tests.fakes import Answer, FakeServer, Request
from tests.helpers import SchemaRepo, run_cli
from tests.wheels import make_wheel

pytestmark = pytest.mark.integration

SECRET = "S3cr3t-never-printed"


def _reflecting(request: Request) -> Answer:
    """A server that quotes the request's headers and body back in its error, as some proxies do."""
    title = f"denied: Authorization: {request.headers.get('Authorization', '')} body={request.body[:200]!r}"
    return Answer(400, json.dumps({"title": title, "status": 400}).encode(), {"Content-Type": "application/json"})


def test_item02_oidc_secret_is_not_resent_to_the_host_a_token_endpoint_redirects_to() -> None:
    with FakeServer(lambda _: Answer(200, b'{"access_token": "t", "expires_in": 300}')) as elsewhere:

        def redirect(_: Request) -> Answer:
            return Answer(307, headers={"Location": f"{elsewhere.url}/token"})

        with FakeServer(redirect) as token_endpoint:
            credentials = ClientCredentials(f"{token_endpoint.url}/token", "ci", SECRET)
            client = RegistryClient(Connection("http://127.0.0.1:9", timeout=5, retries=0), credentials)
            with pytest.raises(RegistryError, match="redirected") as raised:
                client.get_rule("g", "a", "COMPATIBILITY")
    assert elsewhere.requests == []  # the form with client_secret went nowhere else
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://u:pa/ss{secret}@127.0.0.1:{port}/",  # a `/` in the password: not a URL urllib can parse
        "http://u:pa#ss{secret}@127.0.0.1:{port}/",
        "http://u:{secret}@127.0.0.1:{port}/?token={secret}",
    ],
)
def test_item03_publish_never_prints_credentials_from_the_repository_url(tmp_path: Path, url: str) -> None:
    wheel = make_wheel(tmp_path)
    with FakeServer(lambda _: Answer(403, b"forbidden")) as index:
        proc = run_cli(
            "publish", "--repository-url", url.format(secret=SECRET, port=index.port), str(wheel), cwd=tmp_path
        )
    assert proc.returncode == 2, proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "refused the credentials" in proc.stderr  # the URL was understood and the credentials sent


def test_item03_publish_to_a_file_url_with_credentials_does_not_print_them(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    proc = run_cli("publish", "--repository-url", f"file://u:{SECRET}@host/x", str(wheel), cwd=tmp_path)
    assert proc.returncode == 2
    assert SECRET not in proc.stdout + proc.stderr
    assert "must name a local directory" in proc.stderr


@pytest.mark.parametrize(
    "env",
    [
        {"SS3_REGISTRY_TOKEN": SECRET},
        {"SS3_REGISTRY_USERNAME": "ci", "SS3_REGISTRY_PASSWORD": SECRET},
    ],
)
def test_item03_registry_error_that_reflects_the_request_does_not_leak_it(
    schema_repo: SchemaRepo, env: dict[str, str]
) -> None:
    with FakeServer(_reflecting) as registry:
        proc = run_cli("register", "--registry-url", registry.url, "--retries", "0", cwd=schema_repo.root, env=env)
    assert proc.returncode == 2, proc.stderr
    assert "registry answered HTTP 400" in proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    assert "Basic " + "Y2k6" not in proc.stderr  # base64 of "ci:" — the basic header is masked as a whole


def test_item03_registry_url_whose_password_holds_slash_or_hash_is_understood(schema_repo: SchemaRepo) -> None:
    seen: list[str] = []

    def record(request: Request) -> Answer:
        seen.append(request.headers.get("Authorization", ""))
        return Answer(401)

    with FakeServer(record) as registry:
        url = f"http://ci:pa/ss#{SECRET}@127.0.0.1:{registry.port}"
        proc = run_cli("register", "--registry-url", url, "--retries", "0", cwd=schema_repo.root)
    assert proc.returncode == 2, proc.stderr
    assert "refused the credentials" in proc.stderr and "Traceback" not in proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    assert seen and seen[0].startswith("Basic ")  # user and password went where they belong: the header


class _Recording(requests.adapters.HTTPAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.verify: list[Any] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.verify.append(kwargs.get("verify"))
        response = requests.Response()
        response.status_code, response.url, response._content = 404, request.url or "", b""
        return response


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_item10_cert_wins_over_requests_ca_bundle_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str
) -> None:
    monkeypatch.setenv(variable, str(tmp_path / "other-ca.pem"))
    index = HttpIndex(
        "https://index.test/legacy/",
        "https://index.test/simple/",
        Credentials(),
        ca_bundle="/ours/ca.pem",
        patience=Patience(60.0, 1, Backoff(0.0, 0.0)),
    )
    adapter = _Recording()
    index._endpoint.http._session.mount("https://", adapter)
    index.held("ss3-protos")
    assert adapter.verify == ["/ours/ca.pem"]
