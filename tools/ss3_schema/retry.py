"""Bounded retries of one HTTP request, shared by the registry and package-index clients.

Connection errors, timeouts and 5xx answers are retried with exponential
backoff; 4xx answers and TLS failures never are, because the same request
would get the same answer. Callers turn RetriesExhausted into their own
one-line error.
"""

from __future__ import annotations

import random
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


def send_with_retries(
    send: Callable[[], requests.Response],
    *,
    attempts: int,
    backoff: Backoff,
    sleep: Callable[[float], None] = time.sleep,
) -> requests.Response:
    """The first answer below 500 from `send`; raises RetriesExhausted, or SSLError unretried."""
    started = time.monotonic()
    error: requests.RequestException | None = None
    response: requests.Response | None = None
    for attempt in range(1, attempts + 1):
        retry_after = None
        try:
            response, error = send(), None
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
