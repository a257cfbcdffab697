"""The one HTTP transport: every request the tool sends (registry, token endpoint, package index, Maven).

A request is retried on connection errors, timeouts and 5xx answers with
exponential backoff, a bounded number of times; 4xx answers and TLS failures
never are, because the same request would get the same answer. Redirects are
reported, not followed, unless a caller asks (credentials and bodies stay with
the host they were meant for). Every failure becomes one line of the caller's
error type: what was being done, then why, never a URL's credentials or a
server's words unredacted.

requests' timeout bounds each socket read, not the request: a server that
sends one byte a second never trips it. So every attempt runs in a worker
thread and is abandoned when its deadline passes (`within_deadline`); the
read timeout still given to requests makes the abandoned thread end on its
own soon after.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from ss3_schema import console, redact
from ss3_schema.errors import ConfigError, Ss3SchemaError


@dataclass(frozen=True)
class Backoff:
    """base, 2x base, 4x base ... capped; optional jitter; a server's Retry-After (seconds) wins, capped too."""

    base_s: float
    cap_s: float
    jitter: bool = False

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), self.cap_s)
        delay = min(self.base_s * 2.0 ** (attempt - 1), self.cap_s)
        # Jitter spreads the retries of parallel CI jobs hitting the same outage.
        return delay * random.uniform(0.5, 1.0) if self.jitter else delay  # noqa: S311 - not cryptographic


class RetriesExhausted(Exception):
    """Every attempt failed; the last failure is an exception or a 5xx response."""

    def __init__(
        self,
        error: requests.RequestException | None,
        response: requests.Response | None,
        attempts: int,
        elapsed: float,
    ) -> None:
        super().__init__(f"{attempts} attempts")
        self.error = error
        self.response = response
        self.attempts = attempts
        self.elapsed = elapsed


class DeadlineExceeded(requests.exceptions.Timeout):
    """The whole attempt (connect, send, headers, body) took longer than its deadline."""


def within_deadline(send: Callable[[], requests.Response], deadline_s: float) -> requests.Response:
    """`send()`'s answer if it is complete within `deadline_s` seconds; DeadlineExceeded otherwise."""
    outcome: list[requests.Response | BaseException] = []

    def run() -> None:
        try:
            outcome.append(send())
        except BaseException as exc:  # handed to the waiting thread
            outcome.append(exc)

    worker = threading.Thread(target=run, name="http-attempt", daemon=True)
    worker.start()
    worker.join(deadline_s)
    if not outcome:
        raise DeadlineExceeded(f"no complete answer within {deadline_s:g}s")
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


def send_with_retries(
    send: Callable[[], requests.Response],
    *,
    attempts: int,
    backoff: Backoff,
    deadline_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> requests.Response:
    """The first answer below 500 from `send`, each attempt within `deadline_s`.

    Raises RetriesExhausted, or SSLError unretried.
    """
    started = time.monotonic()
    error: requests.RequestException | None = None
    response: requests.Response | None = None
    for attempt in range(1, attempts + 1):
        retry_after = None
        try:
            response, error = (send() if deadline_s is None else within_deadline(send, deadline_s)), None
        except requests.exceptions.SSLError:
            raise  # a subclass of ConnectionError, but retrying cannot fix a certificate
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            response, error = None, exc
        else:
            if response.status_code < 500:
                return response
            retry_after = response.headers.get("Retry-After")
        if attempt < attempts:
            delay = backoff.delay(attempt, retry_after)
            # Never the URL or the body: they can carry credentials.
            why = f"HTTP {response.status_code}" if response is not None else type(error).__name__
            console.warn(f"attempt {attempt}/{attempts} failed ({why}); retrying in {delay:.1f} s")
            sleep(delay)
    raise RetriesExhausted(error, response, attempts, time.monotonic() - started)


@dataclass(frozen=True)
class Patience:
    """How long one attempt may take in all (connect, send, answer) and how often to try."""

    timeout_s: float
    attempts: int
    backoff: Backoff

    def with_timeout_from_env(self, env: Mapping[str, str], name: str) -> Patience:
        """This patience with the attempt timeout `name` sets, if set; ConfigError when it is not a positive number."""
        raw = env.get(name)
        if not raw:
            return self
        try:
            timeout = float(raw)
        except ValueError:
            timeout = 0.0
        if not timeout > 0:
            raise ConfigError(f"{name}={raw[:20]!r} is not a positive number of seconds")
        return Patience(timeout, self.attempts, self.backoff)


class HttpTransport:
    """One keep-alive session that sends with `patience` and fails with one line of `error`.

    Usable from several threads; `requests_sent` counts every attempt (the
    benchmarks report it).
    """

    def __init__(
        self,
        patience: Patience,
        *,
        error: type[Ss3SchemaError],
        tls_hint: str,
        ca_bundle: str | None = None,
        user_agent: str | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.patience = patience
        self.requests_sent = 0
        self._error = error
        self._tls_hint = tls_hint
        # Given per request: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's verify.
        self._verify: str | bool = ca_bundle or True
        self._session = session or requests.Session()
        if user_agent:
            self._session.headers["User-Agent"] = user_agent
        self._sleep = sleep
        self._count_lock = threading.Lock()

    def close(self) -> None:
        self._session.close()

    def send(
        self, method: str, url: str, what: str, *, follow_redirects: bool = False, **kwargs: Any
    ) -> requests.Response:
        """The first answer below 500, or `error("<what> failed: <why>")`; a redirect not followed is a failure too."""
        timeout = self.patience.timeout_s

        def attempt() -> requests.Response:
            with self._count_lock:
                self.requests_sent += 1
            return self._session.request(
                method, url, timeout=timeout, verify=self._verify, allow_redirects=follow_redirects, **kwargs
            )

        try:
            response = send_with_retries(
                attempt,
                attempts=self.patience.attempts,
                backoff=self.patience.backoff,
                deadline_s=timeout,
                sleep=self._sleep,
            )
        except requests.exceptions.SSLError:
            raise self._error(f"{what} failed: TLS verification failed; {self._tls_hint}") from None
        except RetriesExhausted as exhausted:
            raise self._error(f"{what} failed: {exhausted_reason(exhausted, timeout)}") from None
        except requests.RequestException as exc:
            raise self._error(f"{what} failed: {type(exc).__name__}") from None
        if 300 <= response.status_code < 400 and not follow_redirects:
            location = redact.display_url(response.headers.get("Location", "?"))
            raise self._error(
                f"{what} failed: redirected (HTTP {response.status_code}) to {location}; configure that URL instead"
            )
        return response

    def require_success(self, response: requests.Response, what: str, *, who: str, hint: str) -> None:
        """A 2xx answer, or one line: for 401/403 that `who` refused the credentials, and `hint`; else the status."""
        status = response.status_code
        if status in (401, 403):
            raise self._error(f"{what} failed: {who} refused the credentials (HTTP {status}); {hint}")
        if not 200 <= status < 300:
            raise self._error(f"{what} failed: {status_line(response)}")


def status_line(response: requests.Response) -> str:
    """`HTTP 503 Service Unavailable`, the server's reason redacted."""
    return f"HTTP {response.status_code} {redact.server_text(response.reason or '')}".rstrip()


def exhausted_reason(exhausted: RetriesExhausted, timeout_s: float) -> str:
    """Why every attempt failed, and how many there were: `connection refused (gave up after 3 attempts in 1.2s)`."""
    if exhausted.response is not None:
        failure = status_line(exhausted.response)
    elif exhausted.error is not None:
        failure = _failure_reason(exhausted.error, timeout_s)
    else:
        failure = "no attempt made"
    plural = "s" if exhausted.attempts != 1 else ""
    return f"{failure} (gave up after {exhausted.attempts} attempt{plural} in {exhausted.elapsed:.1f}s)"


def _failure_reason(exc: requests.exceptions.RequestException, timeout_s: float) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"connection timed out after {timeout_s:g}s"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"no complete answer within {timeout_s:g}s"
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "resolve" in text or "name or service" in text:
        return "host name does not resolve"
    return "connection dropped"


def segment(value: str) -> str:
    """One URL path segment with every reserved character encoded; `.` and `..` are refused, never sent.

    Names such as import paths ("ss3/common/v1/money.proto") must stay one
    segment. A dot segment would be normalised by the HTTP client or the
    server into another resource, encoded or not.
    """
    if value in ("", ".", ".."):
        raise ConfigError(f"{value!r} cannot be a URL path segment")
    return quote(value, safe="")


def path(*segments: str) -> str:
    """Segments joined by `/`, each encoded by `segment`."""
    return "/".join(segment(s) for s in segments)
