"""Registry credentials from the environment, and OIDC client-credentials tokens."""

from __future__ import annotations

import pytest
import requests
from ss3_schema.errors import ConfigError, RegistryError
from ss3_schema.registry.auth import (
    BasicAuth,
    BearerToken,
    ClientCredentials,
    NoAuth,
    RegistryAuthError,
    TokenSource,
    credentials_from_env,
)

SECRET = "s3cr3t-value"


def response(status: int, body: bytes = b"") -> requests.Response:
    result = requests.Response()
    result.status_code = status
    result._content = body
    return result


def test_no_variables_means_no_credentials() -> None:
    assert credentials_from_env({}) == NoAuth()


def test_basic_token_and_client_credentials_are_read() -> None:
    assert credentials_from_env({"SS3_REGISTRY_USERNAME": "ci", "SS3_REGISTRY_PASSWORD": SECRET}) == BasicAuth(
        "ci", SECRET
    )
    assert credentials_from_env({"SS3_REGISTRY_TOKEN": SECRET}) == BearerToken(SECRET)
    env = {
        "SS3_REGISTRY_TOKEN_URL": "https://idp.example/token",
        "SS3_REGISTRY_CLIENT_ID": "ss3-ci",
        "SS3_REGISTRY_CLIENT_SECRET": SECRET,
        "SS3_REGISTRY_SCOPE": "registry",
    }
    assert credentials_from_env(env) == ClientCredentials("https://idp.example/token", "ss3-ci", SECRET, "registry")


def test_two_kinds_at_once_are_refused() -> None:
    with pytest.raises(ConfigError, match="set only one"):
        credentials_from_env({"SS3_REGISTRY_USERNAME": "ci", "SS3_REGISTRY_PASSWORD": "x", "SS3_REGISTRY_TOKEN": "t"})


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"SS3_REGISTRY_USERNAME": "ci"}, "SS3_REGISTRY_PASSWORD"),
        ({"SS3_REGISTRY_PASSWORD": SECRET}, "SS3_REGISTRY_USERNAME"),
        ({"SS3_REGISTRY_TOKEN_URL": "https://idp/token", "SS3_REGISTRY_CLIENT_ID": "c"}, "SS3_REGISTRY_CLIENT_SECRET"),
        ({"SS3_REGISTRY_CLIENT_SECRET": SECRET}, "SS3_REGISTRY_TOKEN_URL"),
    ],
)
def test_incomplete_credentials_name_the_missing_variable(env: dict[str, str], missing: str) -> None:
    with pytest.raises(ConfigError, match=missing) as raised:
        credentials_from_env(env)
    assert SECRET not in str(raised.value)


def test_secrets_stay_out_of_descriptions_and_reprs() -> None:
    for credentials in (
        BasicAuth("ci", SECRET),
        BearerToken(SECRET),
        ClientCredentials("https://idp/token", "ci", SECRET),
    ):
        assert SECRET not in credentials.describe()
        assert SECRET not in repr(credentials)
    assert BasicAuth("ci", SECRET).describe() == "user 'ci'"


def test_token_is_fetched_once_and_renewed_before_it_expires() -> None:
    now = [0.0]
    posts: list[dict[str, str]] = []

    def post_form(url: str, form: dict[str, str]) -> requests.Response:
        posts.append(form)
        return response(200, f'{{"access_token": "tok{len(posts)}", "expires_in": 300}}'.encode())

    source = TokenSource(ClientCredentials("https://idp/token", "ci", SECRET, "reg"), post_form, lambda: now[0])

    assert source.token() == "tok1"
    now[0] = 200.0
    assert source.token() == "tok1"
    now[0] = 271.0  # within the 30 s margin before expiry
    assert source.token() == "tok2"
    assert posts[0] == {"grant_type": "client_credentials", "client_id": "ci", "client_secret": SECRET, "scope": "reg"}


@pytest.mark.parametrize("status", [400, 401, 403])
def test_refused_client_credentials_name_the_client_not_the_secret(status: int) -> None:
    source = TokenSource(ClientCredentials("https://idp/token", "ci", SECRET), lambda url, form: response(status))

    with pytest.raises(RegistryAuthError) as raised:
        source.token()

    assert str(raised.value) == f"token endpoint refused the credentials (HTTP {status}) for client 'ci'"


def test_token_answer_without_access_token_is_an_error() -> None:
    source = TokenSource(ClientCredentials("https://idp/token", "ci", SECRET), lambda url, form: response(200, b"{}"))

    with pytest.raises(RegistryError, match="without an access_token"):
        source.token()
