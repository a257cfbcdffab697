"""Bounded retries of one HTTP request, each attempt under one total deadline.

Shared by the registry client, its OIDC token requests and publish.
Connection errors, timeouts and 5xx answers are retried with exponential
backoff; 4xx answers and TLS failures never are, because the same request
would get the same answer. Callers turn RetriesExhausted into their own
one-line error.

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
from collections.abc import Callable
from dataclasses import dataclass

import requests

from ss3_schema import console


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
