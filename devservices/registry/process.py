"""Starting and stopping one registry process, and the state file that records it."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, cast

from devservices.common import (
    HOST,
    DevServiceError,
    ServerHandle,
    cache_root,
    ensure_cache_root,
    free_port,
    launch,
    port_is_free,
    refuse_if_running,
    rss_kib,
    stop_recorded,
    wait_until,
    write_state,
)
from devservices.jvm import find_java
from devservices.registry.config import RULE_TYPES, child_environment, server_properties, write_config
from devservices.registry.distribution import ensure_distribution, registry_version
from devservices.registry.errors import RegistryError
from devservices.registry.health import is_ready, server_version

MIN_JAVA_MAJOR = 21  # Apicurio Registry 3.2+ is compiled for Java 21.
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


def find_java21() -> Path:
    """A ``java`` of version >= 21 (see devservices.jvm.find_java)."""
    return find_java(MIN_JAVA_MAJOR)


def default_state_dir() -> Path:
    return cache_root() / "registry"


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
    write_config(directory, props)
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
        env=child_environment(),
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
            lambda: is_ready(registry.port, registry.management_port, registry.auth),
            registry.process,
            timeout=timeout,
            what="registry",
            log_path=registry.log_path,
        )
    except DevServiceError as error:
        raise RegistryError(str(error)) from None


def _write_state(registry: RunningRegistry, java: Path, legacy_error_codes: bool) -> None:
    write_state(
        registry.state_dir,
        {
            "pid": registry.pid,
            "url": registry.url,
            "port": registry.port,
            "management_port": registry.management_port,
            "version": server_version(registry.url, registry.auth) or registry.version,
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
