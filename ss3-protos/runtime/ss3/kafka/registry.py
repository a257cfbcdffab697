"""A small read-only Apicurio Registry 3.x client for the serdes, on the standard library only.

Two lookups, each cached for the life of the process once it succeeds:

- the content id of the latest version of an artifact (what the Java serde's
  ``find-latest=true`` resolves): ``GET /groups/{g}/artifacts/{a}/versions/branch=latest``;
- the schema text of a content id, through the v3 API
  (``GET /ids/contentIds/{id}``; never the Confluent-compatible ``format=serialized``).

What one lookup of a record can cost is bounded, whatever the registry does:

- one total time limit per lookup, retries and pauses included (``timeout``);
  connection errors, time-outs, 429 and 5xx answers are retried within it;
- an id or artifact the registry does not know is remembered as unknown for
  ``unknown_ttl`` seconds: a record with it costs no request meanwhile;
- a registry that did not answer (down, hung, failing) is remembered as down for
  ``outage_ttl`` seconds: every lookup that is not cached fails at once, then one
  request probes it. Cached lookups keep working throughout.

So a poll of records with many different unseen ids costs one time limit while the
registry is down, not one per record.
Credentials come from the environment (the same names ``ss3-schema`` uses):
``SS3_REGISTRY_USERNAME``/``SS3_REGISTRY_PASSWORD`` (basic) or
``SS3_REGISTRY_TOKEN`` (bearer); TLS is verified, against
``SS3_REGISTRY_CA_BUNDLE`` when set.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import os
import re
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

from ss3.kafka._redact import display_url, register_secret, split_credentials
from ss3.kafka.errors import ConfigError, RegistryAuthError, RegistryError, UnknownSchemaError

URL_ENV = "SS3_REGISTRY_URL"
USERNAME_ENV = "SS3_REGISTRY_USERNAME"
PASSWORD_ENV = "SS3_REGISTRY_PASSWORD"  # noqa: S105 - the variable's name, not a secret
TOKEN_ENV = "SS3_REGISTRY_TOKEN"  # noqa: S105
CA_BUNDLE_ENV = "SS3_REGISTRY_CA_BUNDLE"
TIMEOUT_ENV = "SS3_REGISTRY_TIMEOUT"
RETRIES_ENV = "SS3_REGISTRY_RETRIES"
UNKNOWN_TTL_ENV = "SS3_REGISTRY_UNKNOWN_TTL"
OUTAGE_TTL_ENV = "SS3_REGISTRY_OUTAGE_TTL"
API_PATH = "/apis/registry/v3"
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_RETRIES = 3
DEFAULT_UNKNOWN_TTL_S = 30.0
DEFAULT_OUTAGE_TTL_S = 30.0
# Unknown ids remembered at most; the oldest are forgotten first beyond it.
MAX_REMEMBERED_UNKNOWN = 4096
BACKOFF_BASE_S = 0.2
MAX_ANSWER_BYTES = 8 * 1024 * 1024

_T = TypeVar("_T")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOKEN = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|[A-Za-z_][\w.]*|\S', re.DOTALL)


@dataclass(frozen=True)
class Schema:
    """What the serdes need from a registered schema: its package and top-level messages, in order."""

    content_id: int
    package: str
    messages: tuple[str, ...]
    # (number, type name) of the first message's oneof members: the topic envelope's events,
    # so that a reader older than the schema can name an event type it has no class for.
    members: tuple[tuple[int, str], ...] = ()

    def member_name(self, number: int) -> str | None:
        return dict(self.members).get(number)

    def full_name(self, simple_name: str) -> str:
        return f"{self.package}.{simple_name}" if self.package else simple_name


def parse_schema(content_id: int, text: str) -> Schema:
    """Package and top-level message names of a .proto text (comments and strings ignored)."""
    tokens = [t for t in _TOKEN.findall(text) if not t.startswith(("//", "/*", '"', "'"))]
    depth = 0
    package = ""
    messages: list[str] = []
    members: list[tuple[int, str]] = []
    in_oneof = False
    for index, word in enumerate(tokens):
        if word == "{":
            depth += 1
            in_oneof = in_oneof or (len(messages) == 1 and depth == 2 and tokens[index - 2] == "oneof")
        elif word == "}":
            depth -= 1
            in_oneof = in_oneof and depth >= 2
        elif depth == 0 and index + 1 < len(tokens):
            if word == "package":
                package = tokens[index + 1]
            elif word == "message":
                messages.append(tokens[index + 1])
        elif in_oneof and depth == 2 and _is_field(tokens, index):
            members.append((int(tokens[index + 3]), word.rsplit(".", 1)[-1]))
    return Schema(content_id, package, tuple(messages), tuple(members))


def _is_field(tokens: list[str], index: int) -> bool:
    """`TYPE name = NUMBER` starts at `index` (a oneof member)."""
    return index + 3 < len(tokens) and tokens[index + 2] == "=" and tokens[index + 3].isdigit()


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes


class _Transient(Exception):
    """One attempt failed in a way worth retrying."""


@functools.cache
def _system_tls_context() -> ssl.SSLContext:
    """One context with the system's CAs per process: reading them takes ~40 ms, and a service
    builds a Registry per serde. A context is safe to share between connections and threads."""
    return ssl.create_default_context()


@dataclass
class Registry:
    """Read-only access to an Apicurio Registry, with per-process caches. Thread-safe.

    Build it with :meth:`from_env` (``SS3_REGISTRY_URL`` and credentials from the
    environment) or directly. ``timeout`` is the total time of one lookup, retries
    included; ``unknown_ttl`` and ``outage_ttl`` how long an unknown id and a registry
    that did not answer are remembered (0: not at all). ``calls`` counts the HTTP
    requests sent.
    """

    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    ca_bundle: str | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    retries: int = DEFAULT_RETRIES
    unknown_ttl: float = DEFAULT_UNKNOWN_TTL_S
    outage_ttl: float = DEFAULT_OUTAGE_TTL_S
    calls: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._check_types()
        clean, user, password = split_credentials(self.url)
        for secret in (self.password, self.token):
            register_secret(secret)
        try:
            parts = urlsplit(clean)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
        except ValueError:  # a port that is not a number, a broken [IPv6] host
            valid = False
        if not valid:
            raise ConfigError(f"registry URL {display_url(self.url)!r} is not an http(s) URL")
        if user is not None and self.username is None and self.token is None:
            self.username, self.password = user, password
        if self.token and self.username:
            raise ConfigError(f"registry credentials are ambiguous: set {USERNAME_ENV}/{PASSWORD_ENV} or {TOKEN_ENV}")
        if any(_CONTROL.search(value) for value in (self.username, self.password, self.token) if value):
            raise ConfigError("registry credentials must not contain control characters (a line break?)")
        times = (self.timeout, self.unknown_ttl, self.outage_ttl)
        if not self.timeout > 0 or self.retries < 0 or min(times) < 0 or not all(map(_finite, times)):
            raise ConfigError("registry timeout must be > 0, retries and the remembering times >= 0 (and finite)")
        path = parts.path.rstrip("/")
        path = path[: -len(API_PATH)] if path.endswith(API_PATH) else path
        self.url = display_url(urlunsplit((parts.scheme, parts.netloc, path, "", "")))
        self._opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=self._tls_context()))
        self._lock = threading.Lock()
        self._latest: dict[tuple[str, str], int] = {}
        self._schemas: dict[int, Schema] = {}
        # Lookups the registry answered "unknown": key -> (forget at, the error).
        self._unknown: dict[object, tuple[float, UnknownSchemaError]] = {}
        # The registry did not answer: (try again at, why), or None while it answers.
        self._down: tuple[float, str] | None = None

    def _check_types(self) -> None:
        """Arguments of the wrong type are a ConfigError too, never a TypeError from deeper down."""
        texts = {"url": self.url}
        optional = {"username": self.username, "password": self.password, "token": self.token}
        numbers = {"timeout": self.timeout, "unknown_ttl": self.unknown_ttl, "outage_ttl": self.outage_ttl}
        wrong = [name for name, value in texts.items() if not isinstance(value, str)]
        wrong += [name for name, value in optional.items() if value is not None and not isinstance(value, str)]
        if self.ca_bundle is not None and not isinstance(self.ca_bundle, (str, os.PathLike)):
            wrong.append("ca_bundle")
        wrong += [n for n, v in numbers.items() if isinstance(v, bool) or not isinstance(v, (int, float))]
        if isinstance(self.retries, bool) or not isinstance(self.retries, int):
            wrong.append("retries")
        if wrong:
            raise ConfigError(f"registry settings of the wrong type: {', '.join(wrong)}")

    def _tls_context(self) -> ssl.SSLContext:
        if self.ca_bundle is None:
            return _system_tls_context()
        if not os.path.isfile(self.ca_bundle):
            raise ConfigError(f"CA bundle {self.ca_bundle} does not exist ({CA_BUNDLE_ENV})")
        try:
            return ssl.create_default_context(cafile=self.ca_bundle)
        except (OSError, ValueError):  # ssl.SSLError is an OSError
            raise ConfigError(f"CA bundle {self.ca_bundle} holds no usable certificate ({CA_BUNDLE_ENV})") from None

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
            unknown_ttl=_env_number(env, UNKNOWN_TTL_ENV, DEFAULT_UNKNOWN_TTL_S),
            outage_ttl=_env_number(env, OUTAGE_TTL_ENV, DEFAULT_OUTAGE_TTL_S),
        )

    def latest_content_id(self, group: str, artifact_id: str) -> int:
        """Content id of the artifact's latest version (cached once found)."""
        key = (group, artifact_id)
        found = self._latest.get(key)
        if found is not None:
            return found
        with self._lock:
            if key not in self._latest:
                self._latest[key] = self._remembering_unknown(key, lambda: self._fetch_latest(group, artifact_id))
            return self._latest[key]

    def schema(self, content_id: int) -> Schema:
        """The schema registered under `content_id` (cached once found)."""
        found = self._schemas.get(content_id)
        if found is not None:
            return found
        with self._lock:
            if content_id not in self._schemas:
                self._schemas[content_id] = self._remembering_unknown(
                    content_id, lambda: self._fetch_schema(content_id)
                )
            return self._schemas[content_id]

    def _remembering_unknown(self, key: object, fetch: Callable[[], _T]) -> _T:
        """`fetch()`, unless the registry said `key` is unknown less than `unknown_ttl` ago (caller holds the lock)."""
        now = time.monotonic()
        remembered = self._unknown.get(key)
        if remembered is not None and now < remembered[0]:
            raise remembered[1].located(topic=None, partition=None, offset=None)
        try:
            return fetch()
        except UnknownSchemaError as error:
            if self.unknown_ttl > 0:
                self._remember_unknown(key, now + self.unknown_ttl, error)
            raise

    def _remember_unknown(self, key: object, until: float, error: UnknownSchemaError) -> None:
        self._unknown.pop(key, None)
        if len(self._unknown) >= MAX_REMEMBERED_UNKNOWN:
            now = time.monotonic()
            self._unknown = {k: v for k, v in self._unknown.items() if v[0] > now}
            while len(self._unknown) >= MAX_REMEMBERED_UNKNOWN:
                del self._unknown[next(iter(self._unknown))]  # the oldest
        self._unknown[key] = (until, error)

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
        """An answer within `timeout` seconds in total, or RegistryError. A registry that gave
        none is remembered as down for `outage_ttl` seconds, then probed with one request."""
        started = time.monotonic()
        max_attempts = self.retries + 1
        if self._down is not None:
            retry_at, reason = self._down
            if started < retry_at:
                raise RegistryError(f"{reason}; remembered, next try in {retry_at - started:.0f} s")
            max_attempts = 1  # the probe
        try:
            answer = self._within_budget(API_PATH + path, started + self.timeout, max_attempts)
        except _Transient as error:
            failure = RegistryError(f"the registry at {self.url} is unavailable: {error}")
        except RegistryError as error:
            failure = error
        else:
            self._down = None
            return answer
        if self.outage_ttl > 0:
            self._down = (time.monotonic() + self.outage_ttl, failure.reason)
        raise failure

    def _within_budget(self, path: str, deadline: float, max_attempts: int) -> _Answer:
        """Attempts of `path` until one answers; _Transient once `max_attempts` failed or `deadline` passed."""
        problem = ""
        attempts = 0
        while attempts < max_attempts:
            if attempts:
                pause = BACKOFF_BASE_S * 2 ** (attempts - 1)
                if time.monotonic() + pause >= deadline:
                    break  # no time left for another attempt
                time.sleep(pause)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            attempts += 1
            try:
                return self._attempt(path, remaining)
            except _Transient as error:
                problem = str(error)
        tries = f"{attempts} attempt" + ("s" if attempts != 1 else "")
        raise _Transient(f"{problem} (after {tries})")

    def _attempt(self, path: str, limit: float) -> _Answer:
        """One request within `limit` seconds in total (connect, headers and body)."""
        outcome: list[_Answer | BaseException] = []

        def run() -> None:
            try:
                outcome.append(self._request(path, limit))
            except BaseException as error:  # handed to the waiting thread
                outcome.append(error)

        self.calls += 1
        worker = threading.Thread(target=run, name="ss3-registry-request", daemon=True)
        worker.start()
        worker.join(limit)
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

    def _request(self, path: str, limit: float) -> _Answer:
        request = urllib.request.Request(self.url + path, headers={"Accept": "*/*"})  # noqa: S310 - http(s) only
        if self.token:
            request.add_unredirected_header("Authorization", f"Bearer {self.token}")
        elif self.username is not None:
            raw = f"{self.username}:{self.password or ''}".encode()
            request.add_unredirected_header("Authorization", "Basic " + base64.b64encode(raw).decode("ascii"))
        try:
            with self._opener.open(request, timeout=limit) as response:
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


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _env_number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    return value


def _seg(value: str) -> str:
    return quote(value, safe="")
