"""Registry credentials, read from the environment only.

Exactly one kind may be configured:

  SS3_REGISTRY_USERNAME + SS3_REGISTRY_PASSWORD        HTTP basic
  SS3_REGISTRY_TOKEN                                    a bearer token
  SS3_REGISTRY_TOKEN_URL + SS3_REGISTRY_CLIENT_ID
    + SS3_REGISTRY_CLIENT_SECRET [+ SS3_REGISTRY_SCOPE] OIDC client credentials

Secrets live in fields excluded from repr() and never reach a message:
`describe()` names the user or client, never the password, token or secret.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import requests

from ss3_schema.errors import ConfigError, RegistryError
from ss3_schema.redact import register_env_secrets, register_secret
from ss3_schema.validate import service_url

USERNAME = "SS3_REGISTRY_USERNAME"
PASSWORD = "SS3_REGISTRY_PASSWORD"  # noqa: S105 - the variable's name, not a secret
TOKEN = "SS3_REGISTRY_TOKEN"  # noqa: S105
TOKEN_URL = "SS3_REGISTRY_TOKEN_URL"  # noqa: S105
CLIENT_ID = "SS3_REGISTRY_CLIENT_ID"
CLIENT_SECRET = "SS3_REGISTRY_CLIENT_SECRET"  # noqa: S105
SCOPE = "SS3_REGISTRY_SCOPE"

# Renew a cached token this long before the IdP says it expires, so that a
# request never leaves with a token that dies in flight.
TOKEN_EXPIRY_MARGIN_S = 30.0
DEFAULT_TOKEN_LIFETIME_S = 60.0


class RegistryAuthError(RegistryError):
    """The registry or the token endpoint refused the credentials (HTTP 401/403)."""


@dataclass(frozen=True)
class NoAuth:
    def describe(self) -> str:
        return f"no credentials (set {USERNAME}/{PASSWORD}, {TOKEN} or {TOKEN_URL})"


@dataclass(frozen=True)
class BasicAuth:
    username: str
    password: str = field(repr=False)

    def describe(self) -> str:
        return f"user '{self.username}'"


@dataclass(frozen=True)
class BearerToken:
    token: str = field(repr=False)

    def describe(self) -> str:
        return f"the token in {TOKEN}"


@dataclass(frozen=True)
class ClientCredentials:
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str | None = None

    def describe(self) -> str:
        return f"client '{self.client_id}'"


Credentials = NoAuth | BasicAuth | BearerToken | ClientCredentials


def credentials_from_env(env: Mapping[str, str]) -> Credentials:
    """The one kind of credentials the environment configures; ConfigError if ambiguous."""
    register_env_secrets(env)
    given = {name for name in (USERNAME, PASSWORD, TOKEN, TOKEN_URL, CLIENT_ID, CLIENT_SECRET) if env.get(name)}
    kinds = [
        kind
        for kind, names in (
            ("basic", {USERNAME, PASSWORD}),
            ("token", {TOKEN}),
            ("oidc", {TOKEN_URL, CLIENT_ID, CLIENT_SECRET}),
        )
        if given & names
    ]
    if len(kinds) > 1:
        raise ConfigError(f"registry credentials: set only one of basic, token or OIDC variables (found {kinds})")
    if not kinds:
        return NoAuth()
    if kinds[0] == "basic":
        _require(env, USERNAME, PASSWORD)
        return BasicAuth(env[USERNAME], env[PASSWORD])
    if kinds[0] == "token":
        return BearerToken(env[TOKEN])
    _require(env, TOKEN_URL, CLIENT_ID, CLIENT_SECRET)
    token_url = service_url(env[TOKEN_URL], TOKEN_URL).url
    return ClientCredentials(token_url, env[CLIENT_ID], env[CLIENT_SECRET], env.get(SCOPE) or None)


def _require(env: Mapping[str, str], *names: str) -> None:
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise ConfigError(f"registry credentials: {', '.join(missing)} not set (needed with {names[0]})")


# Posts a form to an absolute URL without registry credentials; the client
# provides it, so token requests get the same timeout, TLS and retries.
PostForm = Callable[[str, dict[str, str]], requests.Response]


class TokenSource:
    """Client-credentials access tokens from the IdP, cached until shortly before expiry."""

    def __init__(
        self, credentials: ClientCredentials, post_form: PostForm, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._credentials = credentials
        self._post_form = post_form
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()  # parallel requests share one token

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                self._token, lifetime = self._fetch()
                self._expires_at = self._clock() + max(lifetime - TOKEN_EXPIRY_MARGIN_S, 0.0)
            return self._token

    def _fetch(self) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret,
        }
        if self._credentials.scope:
            form["scope"] = self._credentials.scope
        response = self._post_form(self._credentials.token_url, form)
        if response.status_code in (400, 401, 403):
            # OAuth answers invalid_client with 400 or 401 (RFC 6749 5.2).
            raise RegistryAuthError(
                f"token endpoint refused the credentials (HTTP {response.status_code}) "
                f"for {self._credentials.describe()}"
            )
        if response.status_code != 200:
            raise RegistryError(f"token endpoint answered HTTP {response.status_code}; expected 200 with a token")
        return _parse_token(response)


def _parse_token(response: requests.Response) -> tuple[str, float]:
    try:
        body = response.json()
        token = body["access_token"]
    except (ValueError, KeyError, TypeError):
        raise RegistryError("token endpoint answered without an access_token") from None
    register_secret(str(token))  # the access token is as secret as what it was made from
    lifetime = body.get("expires_in")
    return str(token), float(lifetime) if isinstance(lifetime, int | float) else DEFAULT_TOKEN_LIFETIME_S
