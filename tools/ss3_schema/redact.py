"""The one redaction of everything that can carry a URL, a header or a body.

Three things are never printed: the credentials of a URL (`user:password@`),
the query and fragment of a URL (tokens travel there), and the value of any
secret the process has read (registry password, token, client secret, index
password). Server answers are untrusted text: a server may reflect the
request's Authorization header or its body, so whatever it says passes
through `server_text` before it reaches a message.

`scrub` is applied at the CLI edge to every error line and report, so a
message that escapes the other precautions is still cleaned.

This module is the one source of redaction for the tool and the wheel: `gen`
copies it into the wheel's Kafka runtime (`ss3.kafka._redact`), so it imports
nothing outside the standard library.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
# Environment variables whose values are secrets wherever they are set.
SECRET_ENV = (
    "SS3_REGISTRY_PASSWORD",
    "SS3_REGISTRY_TOKEN",
    "SS3_REGISTRY_CLIENT_SECRET",
    "TWINE_PASSWORD",
    "SS3_MAVEN_PASSWORD",
)
# Shorter values are too likely to occur in ordinary text to be replaced by a mask.
MIN_SECRET_LENGTH = 4
SERVER_TEXT_LIMIT = 200

_secrets: set[str] = set()
_lock = threading.Lock()

_URL = re.compile(r"\b(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?P<rest>[^\s\"'<>]*)")
_AUTH_HEADER = re.compile(
    r"(?i)\b(?P<name>(?:proxy-)?authorization|cookie|set-cookie|x-api-key|api-key)(?P<sep>\"?\s*[:=]\s*\"?)[^\"\r\n,;]*"
)
_AUTH_SCHEME = re.compile(r"(?i)\b(?P<scheme>bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{4,}")
_FORM_SECRET = re.compile(r"(?i)\b(?P<name>client_secret|password|access_token|refresh_token)=[^&\s\"']*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def register_secret(value: str | None) -> None:
    """Remember a secret this process holds, so that no message can print it."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)


def register_env_secrets(env: Mapping[str, str]) -> None:
    for name in SECRET_ENV:
        register_secret(env.get(name))


def display_url(url: str) -> str:
    """`scheme://host[:port]/path`: no credentials, query or fragment. Never raises.

    Everything up to the last `@` after `://` is taken as credentials, even
    when a password holds an unescaped `/`, `?` or `#`; dropping a path
    with an `@` in it from a message is the safe mistake.
    """
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        return _without_query(text)
    if "@" in rest:
        rest = rest.rsplit("@", 1)[1]
    try:
        parts = urlsplit(f"{scheme}://{rest}")
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:  # a port that is not a number, a broken [IPv6] host: show what is there
        return f"{scheme}://{_without_query(rest)}"


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """`url` without its `user:password@`, the user name and the password (percent-decoded). Never raises.

    Everything up to the last `@` after `://` is the credential, as display_url
    assumes; both parts are registered as secrets.
    """
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if not sep or "@" not in rest:
        return text, None, None
    userinfo, rest = rest.rsplit("@", 1)
    name, _, secret = userinfo.partition(":")
    register_secret(userinfo)
    register_secret(secret)
    username, password = unquote(name), unquote(secret)
    register_secret(password)
    return f"{scheme}{sep}{rest}", username, password


def _without_query(text: str) -> str:
    return re.split(r"[?#]", text, maxsplit=1)[0]


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """The text without known secrets, URL credentials and queries, or auth header values."""
    with _lock:
        known = sorted({*_secrets, *(s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH)}, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, MASK)
    text = _URL.sub(lambda m: display_url(m.group(0)), text)
    text = _AUTH_HEADER.sub(lambda m: f"{m['name']}{m['sep']}{MASK}", text)
    text = _AUTH_SCHEME.sub(lambda m: f"{m['scheme']} {MASK}", text)
    return _FORM_SECRET.sub(lambda m: f"{m['name']}={MASK}", text)


def server_text(text: str, secrets: Iterable[str] = ()) -> str:
    """What a server said, fit for one line of a message: scrubbed, no control characters, short."""
    line = _CONTROL.sub(" ", scrub(text, secrets)).strip()
    return line if len(line) <= SERVER_TEXT_LIMIT else line[: SERVER_TEXT_LIMIT - 3] + "..."
