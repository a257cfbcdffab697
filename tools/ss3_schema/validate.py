"""The one validation of outside input: versions, topics, registry ids, service URLs, text files.

Everything here is read from somewhere the tool does not control (a file in
the PR, an option, an environment variable) and is checked once, where it
enters, so that the stages behind can rely on its shape. A value that fails
raises an Ss3SchemaError naming what and where, never echoing a secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ss3_schema.errors import ConfigError, SchemaError, UsageError
from ss3_schema.redact import display_url, split_credentials

# SemVer's MAJOR.MINOR.PATCH without pre-release or build: what a release tag is made of.
VERSION_PATTERN = re.compile(r"^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$")
# Kafka accepts [a-zA-Z0-9._-]{1,249}; lower case is also required so that
# topic names never differ only by case.
TOPIC_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,248}$")
# Apicurio's group and artifact ids: up to 512 printable characters.
REGISTRY_ID_MAX = 512
DOT_SEGMENTS = (".", "..")
_REGISTRY_ID = re.compile(r"^[\x21-\x7e][\x20-\x7e]*$")


def version(text: str, where: str) -> tuple[int, int, int]:
    """MAJOR.MINOR.PATCH of a release version; ConfigError otherwise."""
    match = VERSION_PATTERN.match(text.strip())
    if match is None:
        shown = text.strip()[:40]
        raise ConfigError(f"{where}: {shown!r} is not a release version MAJOR.MINOR.PATCH (e.g. 1.4.0)")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def topic_problem(topic: str) -> str | None:
    """Why `topic` is not a valid Kafka topic name, or None."""
    if TOPIC_PATTERN.match(topic):
        return None
    return f'Topic "{topic[:60]}" is not a valid Kafka topic name ([a-z0-9._-], 1 to 249 characters).'


def registry_id(value: str, what: str) -> str:
    """A registry group or artifact id: non-empty, printable ASCII, at most 512 characters, not `.` or `..`.

    A dot segment is normalised away by HTTP clients and servers even when
    percent-encoded (`/groups/g/artifacts/../rules` is `/groups/g/rules`), so
    such an id would address another resource than the artifact.
    """
    if value in DOT_SEGMENTS:
        raise UsageError(f"{what} {value!r} is not a registry id: '.' and '..' name a path, not an artifact")
    if not value or len(value) > REGISTRY_ID_MAX or not _REGISTRY_ID.match(value) or value != value.strip():
        raise UsageError(
            f"{what} {value[:60]!r} is not a registry id: 1 to {REGISTRY_ID_MAX} printable characters, "
            "no leading or trailing space"
        )
    return value


@dataclass(frozen=True)
class ServiceUrl:
    """An http(s) URL split from its credentials: `url` has none and is safe to send anywhere."""

    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def display(self) -> str:
        return display_url(self.url)


def service_url(raw: str, what: str, schemes: tuple[str, ...] = ("http", "https")) -> ServiceUrl:
    """Split `user:password@` off an URL and check the rest; ConfigError naming `what` otherwise.

    A password may hold characters that should have been escaped (`/`, `#`):
    everything up to the last `@` is the credential, as display_url assumes.
    """
    text = raw.strip()
    clean, username, password = split_credentials(text)
    scheme, sep, _ = clean.partition("://")
    try:
        parts = urlsplit(clean)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        port_ok = False
    if scheme.lower() not in schemes or not sep or not port_ok or not urlsplit(clean).hostname:
        allowed = " or ".join(f"{s}://" for s in schemes)
        raise ConfigError(f"{what} {display_url(text)!r} is not a valid {allowed} URL")
    parts = urlsplit(clean)
    return ServiceUrl(urlunsplit((parts.scheme.lower(), parts.netloc, parts.path, parts.query, "")), username, password)


def not_a_link(path: Path, where: str) -> Path:
    """A configuration file of the repository is a file there: a symbolic link is refused, never followed."""
    if path.is_symlink():
        raise ConfigError(f"{where}: a symbolic link; it must be a real file in the repository")
    return path


def read_text(path: Path, where: str | None = None) -> str:
    """A UTF-8 text file; ConfigError naming the file, line and column of the first bad byte."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{where or path}:{line}:{column}: not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None


def utf8_schemas(proto_dir: Path, files: list[str]) -> None:
    """Every schema file decodes as UTF-8 (protoc keeps comments' bytes; the generators need text)."""
    for name in files:
        try:
            read_text(proto_dir / name, f"{proto_dir.name}/{name}")
        except ConfigError as exc:
            raise SchemaError(str(exc)) from None
