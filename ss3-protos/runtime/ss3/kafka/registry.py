"""A small read-only Apicurio Registry 3.x client for the serdes, on the standard library only.

Two lookups, each cached for the life of the process once it succeeds (a
failed lookup is never cached, so a registry outage cannot poison it):

- the content id of the latest version of an artifact (what the Java serde's
  ``find-latest=true`` resolves): ``GET /groups/{g}/artifacts/{a}/versions/branch=latest``;
- the schema text of a content id, through the v3 API
  (``GET /ids/contentIds/{id}``; never the Confluent-compatible ``format=serialized``).

Every request has a total time limit, and connection errors, time-outs, 429
and 5xx answers are retried a bounded number of times with a growing pause.
Credentials come from the environment (the same names ``ss3-schema`` uses):
``SS3_REGISTRY_USERNAME``/``SS3_REGISTRY_PASSWORD`` (basic) or
``SS3_REGISTRY_TOKEN`` (bearer); TLS is verified, against
``SS3_REGISTRY_CA_BUNDLE`` when set.
"""

from __future__ import annotations

import base64
import json
import os
import re
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from ss3.kafka.errors import ConfigError, RegistryAuthError, RegistryError, UnknownSchemaError

URL_ENV = "SS3_REGISTRY_URL"
USERNAME_ENV = "SS3_REGISTRY_USERNAME"
PASSWORD_ENV = "SS3_REGISTRY_PASSWORD"  # noqa: S105 - the variable's name, not a secret
TOKEN_ENV = "SS3_REGISTRY_TOKEN"  # noqa: S105
CA_BUNDLE_ENV = "SS3_REGISTRY_CA_BUNDLE"
TIMEOUT_ENV = "SS3_REGISTRY_TIMEOUT"
RETRIES_ENV = "SS3_REGISTRY_RETRIES"
API_PATH = "/apis/registry/v3"
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_RETRIES = 3
BACKOFF_BASE_S = 0.2
MAX_ANSWER_BYTES = 8 * 1024 * 1024

_TOKEN = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|[A-Za-z_][\w.]*|\S', re.DOTALL)


@dataclass(frozen=True)
class Schema:
    """What the serdes need from a registered schema: its package and top-level messages, in order."""

    content_id: int
    package: str
    messages: tuple[str, ...]

    def full_name(self, simple_name: str) -> str:
        return f"{self.package}.{simple_name}" if self.package else simple_name


def parse_schema(content_id: int, text: str) -> Schema:
    """Package and top-level message names of a .proto text (comments and strings ignored)."""
    tokens = [t for t in _TOKEN.findall(text) if not t.startswith(("//", "/*", '"', "'"))]
    depth = 0
    package = ""
    messages: list[str] = []
    for index, word in enumerate(tokens):
        if word == "{":
            depth += 1
        elif word == "}":
            depth -= 1
        elif depth == 0 and index + 1 < len(tokens):
            if word == "package":
                package = tokens[index + 1]
            elif word == "message":
                messages.append(tokens[index + 1])
    return Schema(content_id, package, tuple(messages))


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes


class _Transient(Exception):
    """One attempt failed in a way worth retrying."""


@dataclass
class Registry:
    """Read-only access to an Apicurio Registry, with per-process caches. Thread-safe.

    Build it with :meth:`from_env` (``SS3_REGISTRY_URL`` and credentials from the
    environment) or directly. ``calls`` counts the HTTP requests sent.
    """

    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    ca_bundle: str | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    retries: int = DEFAULT_RETRIES
    calls: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"registry URL {_display(self.url)!r} is not an http(s) URL")
        if parts.username is not None and self.username is None and self.token is None:
            self.username, self.password = unquote(parts.username), unquote(parts.password or "")
        if self.token and self.username:
            raise ConfigError(f"registry credentials are ambiguous: set {USERNAME_ENV}/{PASSWORD_ENV} or {TOKEN_ENV}")
        if self.timeout <= 0 or self.retries < 0:
            raise ConfigError("registry timeout must be > 0 and retries >= 0")
        path = parts.path.rstrip("/")
        path = path[: -len(API_PATH)] if path.endswith(API_PATH) else path
        self.url = _display(urlunsplit((parts.scheme, parts.netloc, path, "", "")))
        if self.ca_bundle is not None and not os.path.isfile(self.ca_bundle):
            raise ConfigError(f"CA bundle {self.ca_bundle} does not exist ({CA_BUNDLE_ENV})")
        context = ssl.create_default_context(cafile=self.ca_bundle)
        self._opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
        self._lock = threading.Lock()
        self._latest: dict[tuple[str, str], int] = {}
        self._schemas: dict[int, Schema] = {}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Registry:
        """A registry configured by SS3_REGISTRY_* variables; ConfigError when the URL is missing."""
        env = os.environ if env is None else env
        url = env.get(URL_ENV, "").strip()
        if not url:
            raise ConfigError(f"{URL_ENV} is not set: the Kafka serdes need the schema registry's URL")
        username = env.get(USERNAME_ENV) or None
        password = env.get(PASSWORD_ENV) or None
        if (username is None) != (password is None):
            raise ConfigError(f"set both {USERNAME_ENV} and {PASSWORD_ENV}, or neither")
        return cls(
            url,
            username=username,
            password=password,
            token=env.get(TOKEN_ENV) or None,
            ca_bundle=env.get(CA_BUNDLE_ENV) or None,
            timeout=_env_number(env, TIMEOUT_ENV, DEFAULT_TIMEOUT_S),
            retries=int(_env_number(env, RETRIES_ENV, DEFAULT_RETRIES)),
        )

    def latest_content_id(self, group: str, artifact_id: str) -> int:
        """Content id of the artifact's latest version (cached once found)."""
        key = (group, artifact_id)
        found = self._latest.get(key)
        if found is not None:
            return found
        with self._lock:
            if key not in self._latest:
                self._latest[key] = self._fetch_latest(group, artifact_id)
            return self._latest[key]

    def schema(self, content_id: int) -> Schema:
        """The schema registered under `content_id` (cached once found)."""
        found = self._schemas.get(content_id)
        if found is not None:
            return found
        with self._lock:
            if content_id not in self._schemas:
                self._schemas[content_id] = self._fetch_schema(content_id)
            return self._schemas[content_id]

    def _fetch_latest(self, group: str, artifact_id: str) -> int:
        path = f"/groups/{_seg(group)}/artifacts/{_seg(artifact_id)}/versions/branch=latest"
        answer = self._get(path)
        if answer.status == 404:
            raise UnknownSchemaError(
                f"the registry has no artifact {artifact_id!r} in group {group!r}: "
                "register the schemas first (ss3-schema register)"
            )
        self._expect_ok(answer, f"latest version of {artifact_id!r}")
        content_id = _json_int(answer.body, "contentId")
        if content_id is None:
            raise RegistryError(f"the registry's answer for {artifact_id!r} carries no contentId")
        return content_id

    def _fetch_schema(self, content_id: int) -> Schema:
        answer = self._get(f"/ids/contentIds/{content_id}")
        if answer.status == 404:
            raise UnknownSchemaError("the registry knows no schema with this id", schema_id=content_id)
        self._expect_ok(answer, f"schema {content_id}")
        try:
            text = answer.body.decode("utf-8")
        except UnicodeDecodeError:
            raise RegistryError("the registered schema is not UTF-8 text", schema_id=content_id) from None
        return parse_schema(content_id, text)

    def _expect_ok(self, answer: _Answer, what: str) -> None:
        if answer.status in (401, 403):
            raise RegistryAuthError(f"the registry at {self.url} refused the credentials ({answer.status}) for {what}")
        if answer.status != 200:
            raise RegistryError(f"the registry at {self.url} answered {answer.status} for {what}")

    def _get(self, path: str) -> _Answer:
        attempts = self.retries + 1
        problem = ""
        for attempt in range(attempts):
            if attempt:
                time.sleep(BACKOFF_BASE_S * 2 ** (attempt - 1))
            try:
                return self._attempt(API_PATH + path)
            except _Transient as error:
                problem = str(error)
        tries = f"{attempts} attempt" + ("s" if attempts != 1 else "")
        raise RegistryError(f"the registry at {self.url} is unavailable: {problem} (after {tries})")

    def _attempt(self, path: str) -> _Answer:
        """One request within `timeout` seconds in total (connect, headers and body)."""
        outcome: list[_Answer | BaseException] = []

        def run() -> None:
            try:
                outcome.append(self._request(path))
            except BaseException as error:  # handed to the waiting thread
                outcome.append(error)

        self.calls += 1
        worker = threading.Thread(target=run, name="ss3-registry-request", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if not outcome:
            raise _Transient(f"no answer within {self.timeout:g} s")
        answer = outcome[0]
        if isinstance(answer, _Transient):
            raise answer
        if isinstance(answer, BaseException):
            raise RegistryError(f"the request to the registry at {self.url} failed: {type(answer).__name__}")
        if answer.status == 429 or answer.status >= 500:
            raise _Transient(f"HTTP {answer.status}")
        return answer

    def _request(self, path: str) -> _Answer:
        request = urllib.request.Request(self.url + path, headers={"Accept": "*/*"})  # noqa: S310 - http(s) only
        if self.token:
            request.add_unredirected_header("Authorization", f"Bearer {self.token}")
        elif self.username is not None:
            raw = f"{self.username}:{self.password or ''}".encode()
            request.add_unredirected_header("Authorization", "Basic " + base64.b64encode(raw).decode("ascii"))
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return _Answer(response.status, _read_capped(response))
        except urllib.error.HTTPError as error:
            with error:
                return _Answer(error.code, b"")
        except (OSError, ValueError) as error:
            # Connection refused, reset, DNS, TLS verification, socket time-out: the
            # reason's class name only, since its text can carry the URL.
            reason = getattr(error, "reason", error)
            if isinstance(reason, ssl.SSLError):
                raise reason from None  # a certificate does not get better by asking again
            if isinstance(reason, TimeoutError):  # the socket's limit, reached with the total one
                raise _Transient(f"no answer within {self.timeout:g} s") from None
            raise _Transient(type(reason).__name__) from None


def _read_capped(response: object) -> bytes:
    read = getattr(response, "read")  # noqa: B009 - http.client.HTTPResponse, typed loosely by urllib
    body: bytes = read(MAX_ANSWER_BYTES + 1)
    if len(body) > MAX_ANSWER_BYTES:
        raise _Transient(f"answer larger than {MAX_ANSWER_BYTES} bytes")
    return body


def _json_int(body: bytes, key: str) -> int | None:
    try:
        value = json.loads(body).get(key)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _env_number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None


def _seg(value: str) -> str:
    return quote(value, safe="")


def _display(url: str) -> str:
    """The URL without user:password@, query or fragment: safe to print."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
