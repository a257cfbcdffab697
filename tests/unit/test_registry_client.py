"""The registry client: retries, timeouts, auth errors and answers, over a scripted session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from ss3_schema.errors import ConfigError, RegistryError
from ss3_schema.registry.auth import BasicAuth, BearerToken, ClientCredentials, NoAuth, RegistryAuthError
from ss3_schema.registry.client import (
    Cause,
    Connection,
    NewContent,
    RegistryClient,
    Rejection,
    VersionInfo,
    connect,
    connection_from_env,
    display_url,
)

URL = "http://registry.test:8080"
SECRET = "pa55-word"
NEW = NewContent("orders-value", "PROTOBUF", 'syntax = "proto3";', "application/x-protobuf")
VERSION = {"artifactId": "orders-value", "version": "3", "globalId": 42}


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = b"" if body is None else json.dumps(body).encode()
    response.headers.update(headers or {})
    return response


class ScriptedSession(requests.Session):
    """Answers requests from a script: a Response, or an exception to raise."""

    def __init__(self, script: list[requests.Response | Exception]) -> None:
        super().__init__()
        self.script: Iterator[requests.Response | Exception] = iter(script)
        self.calls: list[dict[str, Any]] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.calls.append({"method": method, "url": url, **kwargs})
        step = next(self.script)
        if isinstance(step, Exception):
            raise step
        return step


def client(
    script: list[requests.Response | Exception], credentials: Any = None, retries: int = 4
) -> tuple[RegistryClient, ScriptedSession, list[float]]:
    session = ScriptedSession(script)
    sleeps: list[float] = []
    registry = RegistryClient(
        Connection(URL, timeout=7.0, retries=retries),
        credentials or NoAuth(),
        session=session,
        sleep=sleeps.append,
    )
    return registry, session, sleeps


def test_connection_errors_timeouts_and_5xx_are_retried_with_growing_backoff() -> None:
    registry, session, sleeps = client(
        [
            requests.exceptions.ConnectionError("refused"),
            requests.exceptions.ReadTimeout("slow"),
            answer(503),
            answer(502),
            answer(200, {"version": VERSION}),
        ]
    )

    assert registry.create_or_find("g", NEW) == VersionInfo("orders-value", "3", 42)
    assert registry.requests_sent == 5
    assert all(call["timeout"] == 7.0 for call in session.calls)
    # 0.5 s, 1 s, 2 s, 4 s, each with jitter of at most half.
    for slept, base in zip(sleeps, (0.5, 1.0, 2.0, 4.0), strict=True):
        assert base / 2 <= slept <= base


def test_retries_are_bounded_and_the_error_is_one_line_without_the_path() -> None:
    registry, _, sleeps = client([requests.exceptions.ConnectionError("Connection refused")] * 3, retries=2)

    with pytest.raises(RegistryError) as raised:
        registry.group_versions("g")

    assert len(sleeps) == 2
    message = str(raised.value)
    assert message.startswith(f"registry at {URL} failed: connection refused (gave up after 3 attempts in ")
    assert "\n" not in message


def test_retry_after_is_honoured_but_capped() -> None:
    registry, _, sleeps = client(
        [answer(503, headers={"Retry-After": "3"}), answer(503, headers={"Retry-After": "600"})], retries=1
    )
    with pytest.raises(RegistryError, match="HTTP 503"):
        registry.get_rule("g", "a", "COMPATIBILITY")
    assert sleeps == [3.0]
    registry, _, sleeps = client([answer(503, headers={"Retry-After": "600"}), answer(404)], retries=1)
    assert registry.get_rule("g", "a", "COMPATIBILITY") is None
    assert sleeps == [8.0]


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_4xx_is_never_retried(status: int) -> None:
    registry, _, sleeps = client([answer(status, {"title": "nope", "name": "SomethingElse"})])

    with pytest.raises(RegistryError, match=f"HTTP {status}"):
        registry.create_or_find("g", NEW)

    assert registry.requests_sent == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [400, 409])
def test_rule_violations_are_rejections_with_the_servers_causes(status: int) -> None:
    body = {
        "name": "RuleViolationException",
        "title": "Incompatible artifact",
        "status": status,
        "causes": [{"description": "Field type changed", "context": "/Order"}],
    }
    registry, _, _ = client([answer(status, body)])

    assert registry.create_or_find("g", NEW, dry_run=True) == Rejection(
        "Incompatible artifact", (Cause("Field type changed", "/Order"),)
    )


def test_validity_violation_without_causes_carries_the_detail() -> None:
    body = {
        "name": "RuleViolationException",
        "title": "Syntax violation",
        "detail": "line 3: unexpected }",
        "causes": [],
    }
    registry, _, _ = client([answer(400, body)])

    rejection = registry.create_or_find("g", NEW)

    assert rejection == Rejection("Syntax violation", (Cause("line 3: unexpected }", ""),))


def test_other_409s_are_errors_not_rejections() -> None:
    registry, _, _ = client([answer(409, {"name": "ArtifactAlreadyExistsException", "title": "exists"})])

    with pytest.raises(RegistryError, match="HTTP 409 registering orders-value: exists"):
        registry.create_or_find("g", NEW)


def test_create_or_find_sends_find_or_create_canonical_and_escapes_the_group() -> None:
    registry, session, _ = client([answer(200, {"version": VERSION})])

    registry.create_or_find("my group", NEW, dry_run=True)

    call = session.calls[0]
    assert call["url"] == f"{URL}/apis/registry/v3/groups/my%20group/artifacts"
    assert call["params"] == {"ifExists": "FIND_OR_CREATE_VERSION", "canonical": "true", "dryRun": "true"}
    assert call["json"]["firstVersion"]["content"]["contentType"] == "application/x-protobuf"


def test_artifact_ids_with_slashes_stay_one_path_segment() -> None:
    registry, session, _ = client([answer(200, {"config": "BACKWARD"})])

    assert registry.get_rule("g", "ss3/common/v1/money.proto", "COMPATIBILITY") == "BACKWARD"
    assert session.calls[0]["url"].endswith("/groups/g/artifacts/ss3%2Fcommon%2Fv1%2Fmoney.proto/rules/COMPATIBILITY")


def test_create_rule_reports_an_existing_rule() -> None:
    registry, _, _ = client([answer(204), answer(409, {"name": "RuleAlreadyExistsException"})])
    assert registry.create_rule("g", "a", "COMPATIBILITY", "BACKWARD") is True
    assert registry.create_rule("g", "a", "COMPATIBILITY", "BACKWARD") is False


def test_group_versions_pages_through_the_search() -> None:
    page = [{"groupId": "g", "artifactId": f"a{n}", "version": "1", "globalId": n} for n in range(500)]
    registry, session, _ = client([answer(200, {"versions": page}), answer(200, {"versions": page[:3]})])

    assert len(registry.group_versions("g")) == 503
    assert [call["params"]["offset"] for call in session.calls] == [0, 500]


def test_refused_credentials_name_the_user_never_the_password() -> None:
    registry, session, _ = client([answer(401)], credentials=BasicAuth("ci", SECRET))

    with pytest.raises(RegistryAuthError) as raised:
        registry.group_versions("g")

    assert str(raised.value) == f"registry at {URL} refused the credentials (HTTP 401) for user 'ci'"
    assert session.calls[0]["auth"] == ("ci", SECRET)


def test_forbidden_says_the_account_lacks_the_role() -> None:
    registry, _, _ = client([answer(403)], credentials=BasicAuth("ci", SECRET))

    with pytest.raises(RegistryAuthError) as raised:
        registry.group_versions("g")

    assert (
        str(raised.value) == f"registry at {URL} denied user 'ci' (HTTP 403): the account lacks a role that may do this"
    )


def test_missing_credentials_say_which_variables_to_set() -> None:
    registry, _, _ = client([answer(401)])
    with pytest.raises(RegistryAuthError, match=r"requires credentials .* SS3_REGISTRY_USERNAME"):
        registry.group_versions("g")


def test_bearer_token_is_sent_as_authorization_header() -> None:
    registry, session, _ = client([answer(200, {"versions": []})], credentials=BearerToken(SECRET))
    registry.group_versions("g")
    assert session.calls[0]["headers"]["Authorization"] == f"Bearer {SECRET}"


def test_client_credentials_fetch_a_token_first_and_reuse_it() -> None:
    token = answer(200, {"access_token": "tok", "expires_in": 300})
    registry, session, _ = client(
        [token, answer(200, {"versions": []}), answer(404)],
        credentials=ClientCredentials("https://idp.test/token", "ci", SECRET),
    )

    registry.group_versions("g")
    registry.get_rule("g", "a", "COMPATIBILITY")

    assert session.calls[0]["url"] == "https://idp.test/token"
    assert session.calls[0]["data"]["client_secret"] == SECRET
    assert "auth" not in session.calls[0]
    assert [call["headers"].get("Authorization") for call in session.calls[1:]] == ["Bearer tok"] * 2
    assert registry.requests_sent == 3


def test_tls_failure_is_not_retried_and_points_at_the_ca_bundle() -> None:
    registry, _, sleeps = client([requests.exceptions.SSLError("certificate verify failed")])
    with pytest.raises(
        RegistryError, match=r"registry at .* failed: TLS verification failed; .* SS3_REGISTRY_CA_BUNDLE"
    ):
        registry.group_versions("g")
    assert sleeps == []


def test_ca_bundle_is_passed_to_every_request(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    session = ScriptedSession([answer(200, {"versions": []})])
    registry = RegistryClient(Connection(URL, ca_bundle=bundle), NoAuth(), session=session)

    registry.group_versions("g")

    assert session.calls[0]["verify"] == str(bundle)


def test_connection_settings_come_from_options_then_environment(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("", encoding="utf-8")
    env = {"SS3_REGISTRY_TIMEOUT": "12.5", "SS3_REGISTRY_RETRIES": "1", "SS3_REGISTRY_CA_BUNDLE": str(bundle)}

    from_env = connection_from_env(f"{URL}/apis/registry/v3/", env)
    from_options = connection_from_env(URL, env, timeout=3.0, retries=0)

    assert (from_env.url, from_env.timeout, from_env.retries, from_env.ca_bundle) == (URL, 12.5, 1, bundle)
    assert (from_options.timeout, from_options.retries) == (3.0, 0)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SS3_REGISTRY_TIMEOUT": "soon"}, "SS3_REGISTRY_TIMEOUT='soon' is not a number"),
        ({"SS3_REGISTRY_CA_BUNDLE": "/nonexistent/ca.pem"}, "CA bundle /nonexistent/ca.pem does not exist"),
    ],
)
def test_bad_connection_settings_are_config_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        connection_from_env(URL, env)


def test_credentials_in_the_url_are_used_but_never_shown() -> None:
    connection = connection_from_env(f"http://ci:{SECRET}@registry.test:8080", {})

    assert connection.url == URL
    assert SECRET not in repr(connection)
    assert display_url(f"https://ci:{SECRET}@registry.test/x?token={SECRET}") == "https://registry.test/x"
    with connect(connection, {}) as registry:
        assert registry._credentials == BasicAuth("ci", SECRET)
    with connect(connection, {"SS3_REGISTRY_TOKEN": "t"}) as registry:
        assert registry._credentials == BearerToken("t")


def test_non_http_urls_are_refused() -> None:
    with pytest.raises(ConfigError, match="not a valid http"):
        connection_from_env("registry.test:8080", {})
