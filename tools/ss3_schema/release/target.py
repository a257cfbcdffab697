"""What every publish target shares: the package index and the Maven repository.

A published file never changes. So before anything is sent, a target says
what it holds under the file's name, as digests, and one rule decides: nothing
held is uploaded; the same bytes are already published (a re-run converges);
other bytes are a conflict that no upload may paper over. A target that holds
the same bytes but not everything that goes with them (a deploy that stopped
half-way) is finished.

Credentials come from the environment only and never appear in messages; TLS
is verified, a private CA bundle is named by an environment variable.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import requests

from ss3_schema import redact
from ss3_schema.errors import ConfigError, PublishConflict, PublishError
from ss3_schema.http import Backoff, HttpTransport, Patience
from ss3_schema.redact import display_url

TIMEOUT_ENV = "SS3_PUBLISH_TIMEOUT"
# One attempt (connect, upload, answer) ends within this many seconds, however slowly the server trickles.
PATIENCE = Patience(timeout_s=60.0, attempts=4, backoff=Backoff(base_s=1.0, cap_s=8.0))


class Outcome(StrEnum):
    UPLOADED = "uploaded"
    ALREADY_PUBLISHED = "already published"


class Decision(Enum):
    UPLOAD = "upload"
    SKIP = "skip"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Held:
    """What a target holds under one name: digests by hashlib algorithm name."""

    digests: Mapping[str, str]
    complete: bool = True  # False: the file is there, but not all that goes with it


def decide(held: Held | None, local_digest: Callable[[str], str]) -> Decision:
    """The one rule: nothing held → upload; other bytes → conflict; same bytes → skip (or finish if incomplete)."""
    if held is None:
        return Decision.UPLOAD
    if any(local_digest(algorithm) != digest for algorithm, digest in held.digests.items()):
        return Decision.CONFLICT
    return Decision.SKIP if held.complete else Decision.UPLOAD


def conflict(subject: str, destination: str, details: str) -> PublishConflict:
    return PublishConflict(
        f"{subject} already published with different content on {destination} ({details}); "
        "a published version never changes: bump VERSION"
    )


def digest_of(data: bytes) -> Callable[[str], str]:
    return lambda algorithm: hashlib.new(algorithm, data).hexdigest()


def patience_from_env(env: Mapping[str, str] | None = None) -> Patience:
    """PATIENCE, with the attempt timeout SS3_PUBLISH_TIMEOUT sets: for the index and the Maven repository alike."""
    return PATIENCE.with_timeout_from_env(os.environ if env is None else env, TIMEOUT_ENV)


@dataclass(frozen=True)
class Credentials:
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str], username: str, password: str) -> Credentials:
        return cls(env.get(username) or None, env.get(password) or None)

    @property
    def auth(self) -> tuple[str, str] | None:
        if self.username is None and self.password is None:
            return None
        return (self.username or "", self.password or "")


def file_url_path(url: str) -> Path:
    """The local directory a `file://` URL names."""
    parts = urlsplit(url.strip())
    if parts.netloc not in ("", "localhost"):
        raise ConfigError(f"file URL must name a local directory: {display_url(url)!r}")
    return Path(url2pathname(unquote(parts.path)))


@dataclass(frozen=True)
class Variables:
    """The environment variables a target's user sets: named in the hints of its errors."""

    username: str
    password: str
    ca_bundle: str


class Endpoint:
    """An HTTP target's transport and credentials: the secret redacted, every failure a PublishError with a hint."""

    def __init__(
        self,
        credentials: Credentials,
        variables: Variables,
        *,
        who: str,
        user_agent: str,
        ca_bundle: str | None = None,
        patience: Patience | None = None,
    ) -> None:
        self.credentials = credentials
        self.http = HttpTransport(
            patience or patience_from_env(),
            error=PublishError,
            tls_hint=f"set {variables.ca_bundle} to the CA bundle",
            ca_bundle=ca_bundle,
            user_agent=user_agent,
        )
        self._variables = variables
        self._who = who
        redact.register_secret(credentials.password)

    def require_success(self, response: requests.Response, what: str) -> None:
        verb = "set" if self.credentials.auth is None else "check"
        hint = f"{verb} {self._variables.username} and {self._variables.password}"
        self.http.require_success(response, what, who=self._who, hint=hint)
