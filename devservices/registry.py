#!/usr/bin/env python3
"""Run a throw-away Apicurio Registry 3.x on 127.0.0.1 for local work and tests.

The server is the official Quarkus fast-jar distribution published on Maven
Central (``io.apicurio:apicurio-registry-app:<version>:tar.gz:all``), started
with a JDK >= 21 and in-memory H2 storage, so nothing survives a restart.

CLI::

    python -m devservices.registry up [--port N] [--basic-auth USER:PASSWORD ...]
                                  [--legacy-error-codes] [--global-rule TYPE=LEVEL ...]
                                  [--state-dir DIR]
    python -m devservices.registry status [--state-dir DIR]
    python -m devservices.registry down [--state-dir DIR]

``up`` prints the base URL (``http://127.0.0.1:PORT``) on stdout. Every command
exits 0 on success and 2 on failure, with a one-line reason on stderr (a failed
start adds the last lines of the server log after it). ``status`` also exits 2
when no healthy server is recorded. Default state directory: ``.cache/registry``
(``state.json``, ``registry.log``, ``config/application.properties``).

Environment: ``APICURIO_VERSION`` (default 3.3.3) selects the server version,
``SS3_CACHE_DIR`` (default ``<repo>/.cache``) the download cache root.

The functions ``start_registry``, ``find_java21`` and ``ensure_distribution``
are importable (the integration-test fixture uses them).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self, cast

DEFAULT_VERSION = "3.3.3"
MIN_JAVA_MAJOR = 21  # Apicurio Registry 3.2+ is compiled for Java 21.
HOST = "127.0.0.1"
ADMIN_ROLE = "sr-admin"
STATE_FILE = "state.json"
LOG_FILE = "registry.log"
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 20.0
# The default heap is a quarter of RAM; a schema test registry needs far less,
# and a cap keeps CI runners with several instances predictable.
JVM_OPTIONS = ("-Xmx512m",)
RULE_TYPES = ("COMPATIBILITY", "VALIDITY", "INTEGRITY")
# Directories where JDKs are commonly installed (Linux packages, macOS,
# SDKMAN!, IntelliJ, Homebrew, manual installs).
JVM_GLOBS = (
    "/usr/lib/jvm/*",
    "/usr/lib64/jvm/*",
    "/usr/java/*",
    "/opt/java/*",
    "/opt/jdk*",
    "/Library/Java/JavaVirtualMachines/*/Contents/Home",
    "/opt/homebrew/opt/openjdk*/libexec/openjdk.jdk/Contents/Home",
    "~/Library/Java/JavaVirtualMachines/*/Contents/Home",
    "~/.sdkman/candidates/java/*",
    "~/.jdks/*",
)


class RegistryError(RuntimeError):
    """A failure that the CLI reports as one line and exit code 2."""


# --------------------------------------------------------------------------
# Locations


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def cache_root() -> Path:
    override = os.environ.get("SS3_CACHE_DIR")
    return Path(override).expanduser() if override else repo_root() / ".cache"


def registry_version() -> str:
    return os.environ.get("APICURIO_VERSION") or DEFAULT_VERSION


def default_state_dir() -> Path:
    return cache_root() / "registry"


# --------------------------------------------------------------------------
# Java discovery


def java_major_version(java: Path) -> int | None:
    """Return the feature version reported by ``java -version``, or None."""
    try:
        result = subprocess.run(
            [str(java), "-version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    # `java -version` writes to stderr: `openjdk version "25.0.3" ...` or,
    # for Java 8 and older, `java version "1.8.0_402"`.
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):
        major = int(match.group(2))
    return major


def _java_in(home: Path) -> Path | None:
    java = home / "bin" / "java"
    return java if java.is_file() and os.access(java, os.X_OK) else None


def _candidate_javas() -> Iterator[Path]:
    for pattern in JVM_GLOBS:
        expanded = os.path.expanduser(pattern)
        for home in sorted(Path("/").glob(expanded.lstrip("/"))):
            java = _java_in(home)
            if java:
                yield java
    on_path = shutil.which("java")
    if on_path:
        yield Path(on_path)


def find_java21() -> Path:
    """Find a ``java`` executable of version >= 21.

    JAVA_HOME wins when it is new enough (the user chose it); otherwise the
    newest JDK found in the usual install directories or on PATH.
    """
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        java = _java_in(Path(java_home))
        if java and (java_major_version(java) or 0) >= MIN_JAVA_MAJOR:
            return java
    best: tuple[int, Path] | None = None
    seen: set[Path] = set()
    for java in _candidate_javas():
        real = java.resolve()
        if real in seen:
            continue
        seen.add(real)
        major = java_major_version(java)
        if major is not None and major >= MIN_JAVA_MAJOR and (best is None or major > best[0]):
            best = (major, java)
    if best is None:
        raise RegistryError(f"no Java >= {MIN_JAVA_MAJOR} found; set JAVA_HOME to a JDK {MIN_JAVA_MAJOR} or newer")
    return best[1]


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


def _maven_download(version: str, destination: Path) -> Path:
    mvn = shutil.which("mvn")
    if not mvn:
        raise RegistryError("Maven (mvn) is needed to download Apicurio Registry but is not on PATH")
    artifact = f"io.apicurio:apicurio-registry-app:{version}:tar.gz:all"
    command = [
        mvn,
        "-q",
        "-B",
        "dependency:copy",
        f"-Dartifact={artifact}",
        f"-DoutputDirectory={destination}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    archives = sorted(destination.glob("*.tar.gz"))
    if result.returncode != 0 or not archives:
        raise RegistryError(f"mvn could not download {artifact}: {_maven_error(result.stdout + result.stderr)}")
    return archives[0]


def _maven_error(output: str) -> str:
    # Maven prints a multi-line [ERROR] block; its first line names the cause.
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)
    errors = [line.removeprefix("[ERROR]").strip() for line in plain.splitlines() if "[ERROR]" in line]
    message = next((line for line in errors if line), "") or _last_line(plain)
    return message[:300]


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


def _ensure_cache_root() -> None:
    # A `*` .gitignore inside the cache keeps downloads out of git even if the
    # repository's own .gitignore does not list the cache directory.
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    marker = root / ".gitignore"
    if not marker.exists():
        marker.write_text("*\n", encoding="utf-8")


def ensure_distribution(version: str | None = None) -> Path:
    """Return the cached ``quarkus-run.jar``, downloading it first if needed."""
    version = version or registry_version()
    _ensure_cache_root()
    target = cache_root() / "apicurio" / version
    runner = _runner_in(target)
    if runner:
        return runner
    if target.exists():
        # Only an external edit can leave this (extraction is atomic): start over.
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Download and extract next to the target, then rename: an interrupted run
    # leaves only a temporary directory, never a half-filled cache.
    with tempfile.TemporaryDirectory(prefix=f".{version}.", dir=target.parent) as tmp:
        # About 150 MB, once per version: say so rather than look hung.
        print(f"registry: downloading Apicurio Registry {version} with Maven (once, into .cache/)", file=sys.stderr)
        archive = _maven_download(version, Path(tmp) / "download")
        staged = Path(tmp) / "dist"
        _extract(archive, staged)
        if not _runner_in(staged):
            raise RegistryError(f"{archive.name} contains no quarkus-run.jar")
        try:
            staged.rename(target)
        except OSError:
            # A concurrent run won the race; its complete copy is as good as ours.
            if not _runner_in(target):
                raise
    runner = _runner_in(target)
    if runner is None:
        raise RegistryError(f"cache {target} has no quarkus-run.jar after extraction")
    return runner


# --------------------------------------------------------------------------
# Server configuration


def free_port() -> int:
    # Small race (the port is released before Java binds it), acceptable for
    # a test server; Quarkus would then fail fast and we report its log.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def _escape_property(value: str) -> str:
    # java.util.Properties treats backslash, ':' '=' and leading spaces specially.
    escaped = value.replace("\\", "\\\\").replace("\n", "\\n")
    for char in ":= #!":
        escaped = escaped.replace(char, "\\" + char)
    # SmallRye Config would expand `${...}`; `\$` (written as `\\$`) is a literal `$`.
    return escaped.replace("$", "\\\\$")


def _auth_properties(users: Sequence[tuple[str, str]]) -> dict[str, str]:
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
        props[f"quarkus.security.users.embedded.roles.{user}"] = ADMIN_ROLE
    return props


def server_properties(
    port: int,
    management_port: int,
    users: Sequence[tuple[str, str]],
    legacy_error_codes: bool,
    global_rules: Mapping[str, str],
) -> dict[str, str]:
    """Quarkus/Apicurio configuration for one isolated in-memory instance."""
    props = {
        # Loopback only: this is an unauthenticated-by-default test server.
        "quarkus.http.host": HOST,
        "quarkus.http.port": str(port),
        "quarkus.management.host": HOST,
        "quarkus.management.port": str(management_port),
        "apicurio.storage.kind": "sql",
        "apicurio.storage.sql.kind": "h2",
        "apicurio.datasource.url": "jdbc:h2:mem:registry",
        "apicurio.rest.legacy-error-codes.enabled": str(legacy_error_codes).lower(),
    }
    for rule_type, level in global_rules.items():
        props[f"apicurio.rules.global.{rule_type.lower()}"] = level
    if users:
        props.update(_auth_properties(users))
    return props


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
# Process handling


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pid_command(pid: int) -> str:
    proc_cmdline = Path(f"/proc/{pid}/cmdline")
    if proc_cmdline.exists():
        try:
            return proc_cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return ""
    result = subprocess.run(
        ["ps", "-o", "command=", "-p", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout


def _is_registry_process(pid: int) -> bool:
    # Guards against signalling an unrelated process that reused the pid.
    return _pid_alive(pid) and "quarkus-run.jar" in _pid_command(pid)


def rss_kib(pid: int) -> int | None:
    """Resident set size of ``pid`` in KiB, or None if unavailable."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        match = re.search(r"^VmRSS:\s+(\d+) kB", status.read_text(), re.MULTILINE)
        return int(match.group(1)) if match else None
    result = subprocess.run(
        ["ps", "-o", "rss=", "-p", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    )
    value = result.stdout.strip()
    return int(value) if value.isdigit() else None


def _terminate(pid: int, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """SIGTERM, wait, then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if _wait_gone(pid, process, timeout):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _wait_gone(pid, process, 10.0)


def _wait_gone(pid: int, process: subprocess.Popen[bytes] | None, timeout: float) -> bool:
    if process is not None:
        # Our own child: wait() also reaps it, so no zombie keeps the pid alive.
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return True
        time.sleep(0.2)
    return not _pid_alive(pid)


def _log_tail(log_path: Path, lines: int = 15) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


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
class RunningRegistry:
    """A started registry. ``stop()`` is idempotent."""

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

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        if self.process is not None and self.process.poll() is not None:
            pass  # already exited and reaped
        elif self.process is not None or _is_registry_process(self.pid):
            _terminate(self.pid, self.process, timeout)
        _remove_state(self.state_dir, self.pid)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


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
) -> RunningRegistry:
    """Start a registry and block until it answers, or raise RegistryError.

    ``port=0`` picks a free port. ``basic_auth`` is one ``(user, password)``
    pair or a list of them (all get the admin role). ``state_dir`` defaults to
    a fresh temporary directory, so concurrent instances never collide.
    """
    version = version or registry_version()
    users = _normalise_users(basic_auth)
    rules = {key.upper(): value.upper() for key, value in (global_rules or {}).items()}
    unknown = set(rules) - set(RULE_TYPES)
    if unknown:
        raise RegistryError(f"unknown rule type(s) {sorted(unknown)}; use {RULE_TYPES}")
    _ensure_cache_root()
    directory = Path(state_dir).resolve() if state_dir else Path(tempfile.mkdtemp(prefix="ss3-registry-"))
    directory.mkdir(parents=True, exist_ok=True)
    _refuse_if_running(directory)
    java = find_java21()
    runner = ensure_distribution(version)
    if port and not port_is_free(port):
        raise RegistryError(f"port {port} on {HOST} is already in use")
    http_port = port or free_port()
    management_port = free_port()
    props = server_properties(http_port, management_port, users, legacy_error_codes, rules)
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
    log = (state_dir / LOG_FILE).open("wb")
    try:
        # New session: the server outlives `registry.py up` and ignores the
        # caller's Ctrl-C; `down`/stop() end it explicitly.
        process = subprocess.Popen(
            [str(java), *JVM_OPTIONS, "-jar", str(runner)],
            cwd=state_dir,
            env=_child_environment(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()
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
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = registry.process.poll()
        if code is not None:
            raise RegistryError(
                f"registry exited with code {code} during start-up"
                f" (log: {registry.log_path}); last lines:\n" + _log_tail(registry.log_path)
            )
        if _is_ready(registry.port, registry.management_port, registry.auth):
            return
        time.sleep(0.25)
    raise RegistryError(
        f"registry not ready after {timeout:.0f}s (log: {registry.log_path});"
        " last lines:\n" + _log_tail(registry.log_path)
    )


# --------------------------------------------------------------------------
# State file


def _write_state(registry: RunningRegistry, java: Path, legacy_error_codes: bool) -> None:
    state = {
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
    }
    path = registry.state_dir / STATE_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def read_state(state_dir: Path) -> dict[str, object] | None:
    try:
        data = json.loads((state_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _state_pid(state: Mapping[str, object]) -> int:
    pid = state.get("pid")
    if not isinstance(pid, int):
        raise RegistryError("state file has no valid pid")
    return pid


def _remove_state(state_dir: Path, pid: int) -> None:
    state = read_state(state_dir)
    if state is not None and state.get("pid") == pid:
        (state_dir / STATE_FILE).unlink(missing_ok=True)


def _refuse_if_running(state_dir: Path) -> None:
    state = read_state(state_dir)
    if state is None:
        return
    pid = _state_pid(state)
    if _is_registry_process(pid):
        raise RegistryError(f"a registry is already running at {state.get('url')} (pid {pid})")
    (state_dir / STATE_FILE).unlink(missing_ok=True)  # stale: the process is gone


def stop_registry(state_dir: Path) -> bool:
    """Stop the registry recorded in ``state_dir``; False if none was running."""
    state = read_state(state_dir)
    if state is None:
        return False
    pid = _state_pid(state)
    running = _is_registry_process(pid)
    if running:
        _terminate(pid, None, STOP_TIMEOUT_S)
        if _pid_alive(pid):
            raise RegistryError(f"registry pid {pid} did not stop")
    (state_dir / STATE_FILE).unlink(missing_ok=True)
    return running


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
    parser = argparse.ArgumentParser(description="Local Apicurio Registry for ss3-protos.")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start a registry and print its base URL")
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
    for command in (up, commands.add_parser("down"), commands.add_parser("status")):
        command.add_argument("--state-dir", type=Path, default=None, help="default .cache/registry")
    return parser


def _cmd_up(args: argparse.Namespace, state_dir: Path) -> int:
    registry = start_registry(
        port=args.port,
        basic_auth=args.basic_auth or None,
        legacy_error_codes=args.legacy_error_codes,
        state_dir=state_dir,
        global_rules=dict(args.global_rule),
        timeout=args.timeout,
    )
    print(registry.url)
    return 0


def _cmd_status(state_dir: Path) -> int:
    state = read_state(state_dir)
    if state is None:
        raise RegistryError(f"no registry recorded in {state_dir}")
    pid = _state_pid(state)
    if not _is_registry_process(pid):
        raise RegistryError(f"registry pid {pid} is not running (stale {STATE_FILE})")
    management_port = state.get("management_port")
    healthy = isinstance(management_port, int) and (
        _http_get(f"http://{HOST}:{management_port}/health/ready", None)[0] == 200
    )
    rss = rss_kib(pid)
    memory = f"{rss // 1024} MiB" if rss else "unknown"
    health = "ready" if healthy else "NOT ready"
    version = state.get("version")
    print(f"{state.get('url')} pid={pid} version={version} {health} rss={memory}")
    return 0 if healthy else 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    state_dir: Path = args.state_dir or default_state_dir()
    try:
        if args.command == "up":
            return _cmd_up(args, state_dir)
        if args.command == "status":
            return _cmd_status(state_dir)
        stopped = stop_registry(state_dir)
        print("stopped" if stopped else "not running")
        return 0
    except KeyboardInterrupt:
        print("registry: interrupted", file=sys.stderr)
        return 2
    except RegistryError as error:
        # One line for the caller; multi-line details (log tails) follow it.
        message = str(error)
        first, _, details = message.partition("\n")
        print(f"registry: {first}", file=sys.stderr)
        if details:
            print(details, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
