#!/usr/bin/env python3
"""Run a throw-away Apicurio Registry 3.x on 127.0.0.1 for local work and tests.

The server is the official Quarkus fast-jar distribution published on Maven
Central (``io.apicurio:apicurio-registry-app:<version>:tar.gz:all``), started
with a JDK >= 21. Started from the command line it keeps its data in H2 files
under the state directory and its ports in ``ports.json``, so a restart serves
the same URL, artifacts and content ids; ``reset`` forgets both. Started from
Python (the tests' fixtures) it holds everything in memory.

CLI::

    python -m devservices.registry up [--port N] [--basic-auth USER:PASSWORD ...]
                                  [--legacy-error-codes] [--global-rule TYPE=LEVEL ...]
                                  [--state-dir DIR]
    python -m devservices.registry status [--state-dir DIR]
    python -m devservices.registry down [--state-dir DIR]
    python -m devservices.registry reset [--state-dir DIR]

``up`` prints the base URL (``http://127.0.0.1:PORT``) on stdout and the
``export SS3_REGISTRY_URL=...`` line on stderr. Every command exits 0 on
success and 2 on failure, with a one-line reason on stderr (a failed start
adds the last lines of the server log after it). ``status`` also exits 2 when
no healthy server is recorded. Default state directory: ``.cache/registry``
(``state.json``, ``ports.json``, ``registry.log``, ``data/``,
``config/application.properties``).

Environment: ``APICURIO_VERSION`` (default 3.3.3) selects the server version,
``SS3_CACHE_DIR`` (default ``<repo>/.cache``) the download cache root.

The functions ``start_registry``, ``find_java21`` and ``ensure_distribution``
are importable (the integration-test fixture uses them).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, cast

from devservices.cache import cached_directory
from devservices.common import (
    HOST,
    DevServiceError,
    ServerHandle,
    Service,
    cache_root,
    dispatch,
    ensure_cache_root,
    free_port,
    kept_port,
    launch,
    port_is_free,
    read_state,
    refuse_if_running,
    remember_ports,
    remembered_ports,
    rss_kib,
    service_parser,
    stop_recorded,
    wait_until,
    write_state,
)
from devservices.jvm import find_java, maven_copy

DEFAULT_VERSION = "3.3.3"
MIN_JAVA_MAJOR = 21  # Apicurio Registry 3.2+ is compiled for Java 21.
ADMIN_ROLE = "sr-admin"
LOG_FILE = "registry.log"
PROCESS_MARKER = "quarkus-run.jar"
DATA_DIR = "data"
# What `reset` removes from the state directory (state.json and ports.json too).
STATE_ENTRIES = (DATA_DIR, "config", LOG_FILE)
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 20.0
# The default heap is a quarter of RAM; a schema test registry needs far less,
# and a cap keeps CI runners with several instances predictable.
JVM_OPTIONS = ("-Xmx512m",)
RULE_TYPES = ("COMPATIBILITY", "VALIDITY", "INTEGRITY")


class RegistryError(DevServiceError):
    """A failure that the CLI reports as one line and exit code 2."""


def find_java21() -> Path:
    """A ``java`` of version >= 21 (see devservices.jvm.find_java)."""
    return find_java(MIN_JAVA_MAJOR)


# --------------------------------------------------------------------------
# Locations


def registry_version() -> str:
    return os.environ.get("APICURIO_VERSION") or DEFAULT_VERSION


def default_state_dir() -> Path:
    return cache_root() / "registry"


# --------------------------------------------------------------------------
# Distribution download and cache


def _runner_in(directory: Path) -> Path | None:
    # 3.3.0+ archives have the fast-jar at the root, older ones under quarkus-app/.
    for candidate in (
        directory / "quarkus-run.jar",
        directory / "quarkus-app" / "quarkus-run.jar",
    ):
        if candidate.is_file():
            return candidate
    return None


def _extract(archive: Path, destination: Path) -> None:
    with tarfile.open(archive, "r:gz") as tar:
        if hasattr(tarfile, "data_filter"):
            # Refuses absolute paths, `..` and device files (3.11.4+).
            tar.extractall(destination, filter="data")
        else:  # pragma: no cover - only on Python < 3.11.4
            root = destination.resolve()
            for member in tar.getmembers():
                target = (destination / member.name).resolve()
                if root not in target.parents and target != root:
                    raise RegistryError(f"unsafe path in {archive.name}: {member.name}")
            tar.extractall(destination)  # noqa: S202 - every member was checked above


def ensure_distribution(version: str | None = None) -> Path:
    """Return the cached ``quarkus-run.jar``, downloading it first if needed."""
    version = version or registry_version()
    ensure_cache_root()

    def download(staged: Path) -> None:
        # About 150 MB, once per version: say so rather than look hung.
        print(f"registry: downloading Apicurio Registry {version} with Maven (once, into .cache/)", file=sys.stderr)
        archive = maven_copy(f"io.apicurio:apicurio-registry-app:{version}:tar.gz:all", staged.parent / "download")
        _extract(archive, staged)
        if not _runner_in(staged):
            raise RegistryError(f"{archive.name} contains no quarkus-run.jar")

    target = cached_directory(cache_root() / "apicurio" / version, download, complete=lambda d: bool(_runner_in(d)))
    runner = _runner_in(target)
    if runner is None:
        raise RegistryError(f"cache {target} has no quarkus-run.jar after extraction")
    return runner


# --------------------------------------------------------------------------
# Server configuration


def _escape_property(value: str) -> str:
    # java.util.Properties treats backslash, ':' '=' and leading spaces specially.
    escaped = value.replace("\\", "\\\\").replace("\n", "\\n")
    for char in ":= #!":
        escaped = escaped.replace(char, "\\" + char)
    # SmallRye Config would expand `${...}`; `\$` (written as `\\$`) is a literal `$`.
    return escaped.replace("$", "\\\\$")


def _auth_properties(users: Sequence[tuple[str, str]], roles: Mapping[str, str]) -> dict[str, str]:
    props = {
        "quarkus.http.auth.basic": "true",
        "quarkus.security.users.embedded.enabled": "true",
        "quarkus.security.users.embedded.plain-text": "true",
        # Without role checks any authenticated user may write; with them the
        # embedded users need the admin role, which they get below.
        "apicurio.auth.role-based-authorization": "true",
    }
    for user, password in users:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", user):
            raise RegistryError(f"basic-auth user name {user!r} must match [A-Za-z0-9_.-]+")
        props[f"quarkus.security.users.embedded.users.{user}"] = password
        props[f"quarkus.security.users.embedded.roles.{user}"] = roles.get(user, ADMIN_ROLE)
    return props


def server_properties(
    port: int,
    management_port: int,
    users: Sequence[tuple[str, str]],
    legacy_error_codes: bool,
    global_rules: Mapping[str, str],
    *,
    roles: Mapping[str, str] | None = None,
    data_dir: Path | None = None,
) -> dict[str, str]:
    """Quarkus/Apicurio configuration for one isolated instance: in memory, or in H2 files under ``data_dir``."""
    props = {
        # Loopback only: this is an unauthenticated-by-default test server.
        "quarkus.http.host": HOST,
        "quarkus.http.port": str(port),
        "quarkus.management.host": HOST,
        "quarkus.management.port": str(management_port),
        "apicurio.storage.kind": "sql",
        "apicurio.storage.sql.kind": "h2",
        "apicurio.datasource.url": _datasource_url(data_dir),
        "apicurio.rest.legacy-error-codes.enabled": str(legacy_error_codes).lower(),
    }
    for rule_type, level in global_rules.items():
        props[f"apicurio.rules.global.{rule_type.lower()}"] = level
    if users:
        props.update(_auth_properties(users, roles or {}))
    return props


def _datasource_url(data_dir: Path | None) -> str:
    if data_dir is None:
        return "jdbc:h2:mem:registry"
    # Apicurio creates its tables when they are missing and keeps its id
    # sequences in them, so content ids survive a restart with the files.
    return f"jdbc:h2:file:{data_dir.resolve() / 'registry'}"


def _write_config(state_dir: Path, props: Mapping[str, str]) -> None:
    # Quarkus reads ./config/application.properties from the working directory.
    # A file (mode 0600) keeps passwords out of the process list.
    config_dir = state_dir / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "application.properties"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        for key, value in props.items():
            handle.write(f"{key}={_escape_property(value)}\n")


def _child_environment() -> dict[str, str]:
    # QUARKUS_*/APICURIO_* variables outrank config/application.properties;
    # drop them so a developer's shell cannot point the test server elsewhere.
    return {key: value for key, value in os.environ.items() if not key.startswith(("QUARKUS_", "APICURIO_"))}


# --------------------------------------------------------------------------
# Health


def _http_get(url: str, auth: tuple[str, str] | None, timeout: float = 2.0) -> tuple[int | None, bytes]:
    """GET a loopback URL: (status, body), status None when nothing answered."""
    if not url.startswith(f"http://{HOST}:"):
        raise RegistryError(f"refusing to query non-loopback URL {url}")
    request = urllib.request.Request(url)  # noqa: S310 - scheme checked above
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), b""
    except (urllib.error.URLError, OSError):
        return None, b""


def _is_ready(port: int, management_port: int, auth: tuple[str, str] | None) -> bool:
    # Readiness covers storage; listing groups proves the REST layer and, when
    # auth is on, the credentials work (system/info is open to anonymous users).
    ready, _ = _http_get(f"http://{HOST}:{management_port}/health/ready", None)
    groups, _ = _http_get(f"http://{HOST}:{port}/apis/registry/v3/groups?limit=1", auth)
    return ready == 200 and groups == 200


def _server_version(url: str, auth: tuple[str, str] | None) -> str | None:
    status, body = _http_get(f"{url}/apis/registry/v3/system/info", auth, timeout=5)
    if status != 200:
        return None
    try:
        version = json.loads(body).get("version")
    except ValueError:
        return None
    return str(version) if version else None


# --------------------------------------------------------------------------
# Public API


@dataclass
class RunningRegistry(ServerHandle):
    """A started registry. ``stop()`` is idempotent."""

    marker: ClassVar[str] = PROCESS_MARKER
    stop_timeout: ClassVar[float] = STOP_TIMEOUT_S
    url: str
    pid: int
    port: int
    management_port: int
    state_dir: Path
    version: str
    auth: tuple[str, str] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def api_url(self) -> str:
        return f"{self.url}/apis/registry/v3"

    @property
    def log_path(self) -> Path:
        return self.state_dir / LOG_FILE

    def rss_kib(self) -> int | None:
        return rss_kib(self.pid)


def _normalise_users(
    basic_auth: tuple[str, str] | Sequence[tuple[str, str]] | None,
) -> list[tuple[str, str]]:
    if not basic_auth:
        return []
    if isinstance(basic_auth[0], str):
        # A single (user, password) pair rather than a list of pairs.
        return [cast("tuple[str, str]", tuple(basic_auth))]
    pairs = cast("Sequence[tuple[str, str]]", basic_auth)
    return [(user, password) for user, password in pairs]


def start_registry(
    port: int = 0,
    *,
    basic_auth: tuple[str, str] | Sequence[tuple[str, str]] | None = None,
    legacy_error_codes: bool = False,
    state_dir: Path | str | None = None,
    global_rules: Mapping[str, str] | None = None,
    version: str | None = None,
    timeout: float = START_TIMEOUT_S,
    roles: Mapping[str, str] | None = None,
    management_port: int = 0,
    data_dir: Path | None = None,
) -> RunningRegistry:
    """Start a registry and block until it answers, or raise RegistryError.

    ``port=0`` (and ``management_port=0``) picks a free port. ``data_dir``
    keeps the data in H2 files there across restarts; without it, in memory.
    ``basic_auth`` is one ``(user, password)`` pair or a list of them; each gets
    the admin role unless ``roles`` maps its name to another (``sr-developer``,
    ``sr-readonly``). ``state_dir`` defaults to
    a fresh temporary directory, so concurrent instances never collide.
    """
    version = version or registry_version()
    users = _normalise_users(basic_auth)
    rules = {key.upper(): value.upper() for key, value in (global_rules or {}).items()}
    unknown = set(rules) - set(RULE_TYPES)
    if unknown:
        raise RegistryError(f"unknown rule type(s) {sorted(unknown)}; use {RULE_TYPES}")
    ensure_cache_root()
    directory = Path(state_dir).resolve() if state_dir else Path(tempfile.mkdtemp(prefix="ss3-registry-"))
    directory.mkdir(parents=True, exist_ok=True)
    refuse_if_running(directory, PROCESS_MARKER, "registry")
    java = find_java21()
    runner = ensure_distribution(version)
    for wanted in (port, management_port):
        if wanted and not port_is_free(wanted):
            raise RegistryError(f"port {wanted} on {HOST} is already in use")
    http_port = port or free_port()
    management_port = management_port or free_port()
    props = server_properties(
        http_port, management_port, users, legacy_error_codes, rules, roles=roles, data_dir=data_dir
    )
    _write_config(directory, props)
    registry = _launch(
        java=java,
        runner=runner,
        state_dir=directory,
        port=http_port,
        management_port=management_port,
        version=version,
        users=users,
    )
    try:
        _wait_until_ready(registry, timeout)
        _write_state(registry, java, legacy_error_codes)
    except BaseException:
        # Also on Ctrl-C: the server runs in its own session and would
        # otherwise outlive us unrecorded.
        registry.stop()
        raise
    return registry


def _launch(
    *,
    java: Path,
    runner: Path,
    state_dir: Path,
    port: int,
    management_port: int,
    version: str,
    users: Sequence[tuple[str, str]],
) -> RunningRegistry:
    process = launch(
        [str(java), *JVM_OPTIONS, "-jar", str(runner)],
        cwd=state_dir,
        log_path=state_dir / LOG_FILE,
        env=_child_environment(),
    )
    return RunningRegistry(
        url=f"http://{HOST}:{port}",
        pid=process.pid,
        port=port,
        management_port=management_port,
        state_dir=state_dir,
        version=version,
        auth=users[0] if users else None,
        process=process,
    )


def _wait_until_ready(registry: RunningRegistry, timeout: float) -> None:
    if registry.process is None:
        raise RegistryError("registry process handle missing")
    try:
        wait_until(
            lambda: _is_ready(registry.port, registry.management_port, registry.auth),
            registry.process,
            timeout=timeout,
            what="registry",
            log_path=registry.log_path,
        )
    except DevServiceError as error:
        raise RegistryError(str(error)) from None


# --------------------------------------------------------------------------
# State file


def _write_state(registry: RunningRegistry, java: Path, legacy_error_codes: bool) -> None:
    write_state(
        registry.state_dir,
        {
            "pid": registry.pid,
            "url": registry.url,
            "port": registry.port,
            "management_port": registry.management_port,
            "version": _server_version(registry.url, registry.auth) or registry.version,
            "java": str(java),
            "log": str(registry.log_path),
            # The password stays only in config/application.properties (mode 0600).
            "auth_user": registry.auth[0] if registry.auth else None,
            "legacy_error_codes": legacy_error_codes,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    )


def stop_registry(state_dir: Path) -> bool:
    """Stop the registry recorded in ``state_dir``; False if none was running."""
    return stop_recorded(state_dir, PROCESS_MARKER, "registry", STOP_TIMEOUT_S)


# --------------------------------------------------------------------------
# CLI


def _parse_user(value: str) -> tuple[str, str]:
    user, separator, password = value.partition(":")
    if not separator or not user or not password:
        raise argparse.ArgumentTypeError("expected USER:PASSWORD")
    return user, password


def _parse_rule(value: str) -> tuple[str, str]:
    rule_type, separator, level = value.partition("=")
    if not separator or rule_type.upper() not in RULE_TYPES or not level:
        raise argparse.ArgumentTypeError(f"expected TYPE=LEVEL with TYPE in {RULE_TYPES}")
    return rule_type.upper(), level.upper()


def _build_parser() -> argparse.ArgumentParser:
    parser, up = service_parser(
        "Local Apicurio Registry for ss3-protos.", ".cache/registry", "start a registry and print its base URL"
    )
    up.add_argument("--port", type=int, default=0, help="HTTP port (0 = pick a free port)")
    up.add_argument(
        "--basic-auth",
        metavar="USER:PASSWORD",
        type=_parse_user,
        action="append",
        default=[],
        help="require HTTP basic auth; repeat for more users (all get sr-admin)",
    )
    up.add_argument(
        "--legacy-error-codes",
        action="store_true",
        help="answer rule violations with 409 (pre-3.3 behaviour) instead of 400",
    )
    up.add_argument(
        "--global-rule",
        metavar="TYPE=LEVEL",
        type=_parse_rule,
        action="append",
        default=[],
        help="server-wide default rule, e.g. VALIDITY=FULL (none by default)",
    )
    up.add_argument("--timeout", type=float, default=START_TIMEOUT_S, help="start-up timeout (s)")
    return parser


def _cmd_up(args: argparse.Namespace, state_dir: Path) -> dict[str, object]:
    kept = remembered_ports(state_dir)
    registry = start_registry(
        port=kept_port(args.port, kept.get("port"), name="port", service="registry"),
        management_port=kept_port(0, kept.get("management_port"), name="management port", service="registry"),
        basic_auth=args.basic_auth or None,
        legacy_error_codes=args.legacy_error_codes,
        state_dir=state_dir,
        global_rules=dict(args.global_rule),
        timeout=args.timeout,
        data_dir=state_dir / DATA_DIR,
    )
    remember_ports(state_dir, {"port": registry.port, "management_port": registry.management_port})
    return read_state(state_dir) or {"url": registry.url}


def _exports(state: Mapping[str, object]) -> dict[str, str]:
    exports = {"SS3_REGISTRY_URL": str(state.get("url"))}
    user = state.get("auth_user")
    if isinstance(user, str):
        exports["SS3_REGISTRY_USERNAME"] = user  # the password stays in config/application.properties
    return exports


def _describe(state: Mapping[str, object]) -> tuple[str, bool]:
    pid = state.get("pid")
    management_port = state.get("management_port")
    healthy = isinstance(management_port, int) and (
        _http_get(f"http://{HOST}:{management_port}/health/ready", None)[0] == 200
    )
    rss = rss_kib(pid) if isinstance(pid, int) else None
    memory = f"{rss // 1024} MiB" if rss else "unknown"
    health = "ready" if healthy else "NOT ready"
    return f"{state.get('url')} pid={pid} version={state.get('version')} {health} rss={memory}", healthy


SERVICE = Service(
    name="registry",
    what="registry",
    marker=PROCESS_MARKER,
    entries=STATE_ENTRIES,
    exports=_exports,
    describe=_describe,
    stop_timeout=STOP_TIMEOUT_S,
)


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    state_dir: Path = (args.state_dir or default_state_dir()).resolve()
    return dispatch(SERVICE, args.command, state_dir, up=lambda: _cmd_up(args, state_dir))


if __name__ == "__main__":
    sys.exit(main())
