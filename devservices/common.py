"""What every local service shares: locations, ports, processes, state files, the CLI edge.

Each service (``registry``, ``kafka``, ``pypi``) runs one server process in its
own session on 127.0.0.1, records it in ``<state-dir>/state.json`` and stops it
with SIGTERM, then SIGKILL. Nothing here knows about a particular server.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Self

HOST = "127.0.0.1"
STATE_FILE = "state.json"
# The ports of the last start, kept after `down` (state.json is not): `up`
# takes them again, so an exported URL stays valid until `reset`.
PORTS_FILE = "ports.json"


class DevServiceError(RuntimeError):
    """A failure that the CLI reports as one line and exit code 2."""


# --------------------------------------------------------------------------
# Locations


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def cache_root() -> Path:
    override = os.environ.get("SS3_CACHE_DIR")
    return Path(override).expanduser() if override else repo_root() / ".cache"


def ensure_cache_root() -> Path:
    """The cache directory, created with a `*` .gitignore so downloads stay out of git."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    marker = root / ".gitignore"
    if not marker.exists():
        marker.write_text("*\n", encoding="utf-8")
    return root


# --------------------------------------------------------------------------
# Ports


def free_port() -> int:
    # Small race (the port is released before the server binds it), acceptable
    # for a test server: it then fails fast and the caller reports its log.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now.

    With SO_REUSEADDR, as the JVM and Python servers bind: connections of a
    stopped server left in TIME_WAIT do not make its port look taken.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def port_answers(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((HOST, port)) == 0


def remembered_ports(state_dir: Path) -> dict[str, int]:
    """The ports recorded by the last start in ``state_dir`` (empty when none, or unreadable)."""
    try:
        data = json.loads((state_dir / PORTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        name: port
        for name, port in data.items()
        if isinstance(name, str) and isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536
    }


def remember_ports(state_dir: Path, ports: Mapping[str, int]) -> None:
    path = state_dir / PORTS_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(dict(ports), indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def kept_port(requested: int, remembered: int | None, *, name: str, service: str) -> int:
    """The port to start on: the one asked for, else the one of the last start, else 0 (pick a free one).

    A kept port that another process holds now is an error rather than a new
    port: the URL exported after the last start would silently point elsewhere.
    """
    if requested:
        return requested
    if remembered is None:
        return 0
    if not port_is_free(remembered):
        raise DevServiceError(
            f"{name} {remembered} on {HOST}, kept from the last start, is in use by another process; "
            f"stop that process, pass --port, or forget the ports and data with `make {service}-reset`"
        )
    return remembered


# --------------------------------------------------------------------------
# Processes


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pid_command(pid: int) -> str:
    proc_cmdline = Path(f"/proc/{pid}/cmdline")
    if proc_cmdline.exists():
        try:
            return proc_cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return ""
    result = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False)
    return result.stdout


def is_process_of(pid: int, marker: str) -> bool:
    """The pid is alive and its command line names `marker` (guards against reused pids)."""
    return pid_alive(pid) and marker in pid_command(pid)


def rss_kib(pid: int) -> int | None:
    """Resident set size of ``pid`` in KiB, or None if unavailable."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        match = re.search(r"^VmRSS:\s+(\d+) kB", status.read_text(), re.MULTILINE)
        return int(match.group(1)) if match else None
    result = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True, check=False)
    value = result.stdout.strip()
    return int(value) if value.isdigit() else None


def terminate(pid: int, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """SIGTERM, wait, then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_gone(pid, process, timeout):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    wait_gone(pid, process, 10.0)


def wait_gone(pid: int, process: subprocess.Popen[bytes] | None, timeout: float) -> bool:
    if process is not None:
        # Our own child: wait() also reaps it, so no zombie keeps the pid alive.
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.2)
    return not pid_alive(pid)


def launch(
    command: list[str], *, cwd: Path, log_path: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a server in its own session (it outlives `up` and ignores the caller's Ctrl-C)."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], *, timeout: float, what: str, log_path: Path
) -> None:
    """Poll `ready` until it holds; raise with the log's tail if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            raise DevServiceError(
                f"{what} exited with code {code} during start-up (log: {log_path}); last lines:\n" + log_tail(log_path)
            )
        if ready():
            return
        time.sleep(0.25)
    raise DevServiceError(
        f"{what} not ready after {timeout:.0f}s (log: {log_path}); last lines:\n" + log_tail(log_path)
    )


def log_tail(log_path: Path, lines: int = 15) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


class ServerHandle:
    """What every started server offers: ``stop()`` (idempotent) and use as a context manager.

    Subclasses (dataclasses) have ``pid``, ``state_dir`` and ``process`` (our
    own child, or None when only the recorded pid is known) and name the
    marker that identifies their command line.
    """

    marker: ClassVar[str]
    stop_timeout: ClassVar[float]
    pid: int
    state_dir: Path
    process: subprocess.Popen[bytes] | None

    def stop(self, timeout: float | None = None) -> None:
        if self.process is not None and self.process.poll() is not None:
            pass  # already exited and reaped
        elif self.process is not None or is_process_of(self.pid, self.marker):
            terminate(self.pid, self.process, self.stop_timeout if timeout is None else timeout)
        remove_state(self.state_dir, self.pid)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


# --------------------------------------------------------------------------
# State file


def write_state(state_dir: Path, state: Mapping[str, object]) -> None:
    path = state_dir / STATE_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(dict(state), indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def read_state(state_dir: Path) -> dict[str, object] | None:
    try:
        data = json.loads((state_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def state_pid(state: Mapping[str, object]) -> int:
    pid = state.get("pid")
    if not isinstance(pid, int):
        raise DevServiceError("state file has no valid pid")
    return pid


def remove_state(state_dir: Path, pid: int) -> None:
    """Forget the recorded server if it is the one with `pid`."""
    state = read_state(state_dir)
    if state is not None and state.get("pid") == pid:
        (state_dir / STATE_FILE).unlink(missing_ok=True)


def refuse_if_running(state_dir: Path, marker: str, what: str) -> None:
    state = read_state(state_dir)
    if state is None:
        return
    pid = state_pid(state)
    if is_process_of(pid, marker):
        raise DevServiceError(f"a {what} is already running at {state.get('url')} (pid {pid})")
    (state_dir / STATE_FILE).unlink(missing_ok=True)  # stale: the process is gone


def stop_recorded(state_dir: Path, marker: str, what: str, timeout: float) -> bool:
    """Stop the server recorded in ``state_dir``; False if none was running."""
    state = read_state(state_dir)
    if state is None:
        return False
    pid = state_pid(state)
    running = is_process_of(pid, marker)
    if running:
        terminate(pid, None, timeout)
        if pid_alive(pid):
            raise DevServiceError(f"{what} pid {pid} did not stop")
    (state_dir / STATE_FILE).unlink(missing_ok=True)
    return running


def live_state(state_dir: Path, marker: str) -> dict[str, object] | None:
    """The recorded state when its server is alive, else None."""
    state = read_state(state_dir)
    if state is None:
        return None
    pid = state.get("pid")
    return state if isinstance(pid, int) and is_process_of(pid, marker) else None


def reset_state(state_dir: Path, entries: Sequence[str]) -> list[str]:
    """Delete the named entries of a stopped service's ``state_dir``; the names of those that existed.

    Only the service's own entries go, never the directory itself: a mistyped
    --state-dir must not wipe an unrelated directory.
    """
    removed = []
    for name in (*entries, STATE_FILE, PORTS_FILE):
        path = state_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            continue
        removed.append(name)
    return removed


# --------------------------------------------------------------------------
# CLI edge


def service_parser(
    description: str, default_state: str, up_help: str
) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The `up|status|down|reset` parser every service shares, and its `up` subparser for the service's own options."""
    parser = argparse.ArgumentParser(description=description)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help=up_help + "; again on the port and with the data of the last start")
    down = commands.add_parser("down", help="stop it; its port and data are kept for the next `up`")
    status = commands.add_parser("status", help="where it runs, and the export line to use it")
    reset = commands.add_parser("reset", help="stop it and forget its port and data")
    for command in (up, down, status, reset):
        command.add_argument("--state-dir", type=Path, default=None, help=f"default {default_state}")
    return parser, up


def export_line(exports: Mapping[str, str]) -> str:
    """The shell line that points clients at a server (never a credential: those stay in the config file)."""
    return "export " + " ".join(f"{name}={shlex.quote(value)}" for name, value in exports.items())


@dataclass(frozen=True)
class Service:
    """How the shared CLI edge talks about one service."""

    name: str  # registry, kafka, pypi: also the make target prefix
    what: str  # "registry", "Kafka broker", ...: in messages
    marker: str  # names its process (see is_process_of)
    entries: tuple[str, ...]  # its files and directories in the state directory, removed by reset
    exports: Callable[[Mapping[str, object]], dict[str, str]]  # recorded state -> client environment
    describe: Callable[[Mapping[str, object]], tuple[str, bool]]  # recorded state -> (status line, healthy)
    stop_timeout: float

    def state_summary(self, state_dir: Path) -> tuple[list[str], int]:
        """Status lines of the server recorded in ``state_dir`` and the exit code of `status`."""
        state = live_state(state_dir, self.marker)
        if state is None:
            kept = [name for name in self.entries if (state_dir / name).exists()]
            detail = f"data kept in {state_dir}" if kept else "no data yet"
            return [f"{self.name}: not running ({detail}; `make {self.name}-up` starts it)"], 2
        line, healthy = self.describe(state)
        return [f"{self.name}: {line}", export_line(self.exports(state))], 0 if healthy else 2


def serve_command_line(
    service: Service,
    parser: argparse.ArgumentParser,
    default_state_dir: Callable[[], Path],
    up: Callable[[argparse.Namespace, Path], Mapping[str, object]],
    argv: Sequence[str] | None,
) -> int:
    """A service's `python -m devservices.<name> up|status|down|reset [--state-dir DIR] [its up options]`."""
    args = parser.parse_args(argv)
    state_dir: Path = (args.state_dir or default_state_dir()).resolve()
    return dispatch(service, args.command, state_dir, up=lambda: up(args, state_dir))


def memory_text(pid: object) -> str:
    """A process's resident memory for a status line: `812 MiB`, or `unknown`."""
    rss = rss_kib(pid) if isinstance(pid, int) else None
    return f"{rss // 1024} MiB" if rss else "unknown"


def dispatch(
    service: Service,
    command: str,
    state_dir: Path,
    *,
    up: Callable[[], Mapping[str, object]],
) -> int:
    """Run `up` (URL on stdout, the export line on stderr), `status`, `down` or `reset` behind the error edge.

    `up` with a server already running in ``state_dir`` reports that one;
    ``up`` starts a server and returns the state it recorded.
    """

    def run() -> int:
        if command == "up":
            return _up(service, state_dir, up)
        if command == "status":
            lines, code = service.state_summary(state_dir)
            print("\n".join(lines), file=sys.stdout if code == 0 else sys.stderr)
            return code
        if command == "reset":
            return _reset(service, state_dir)
        stopped = stop_recorded(state_dir, service.marker, service.what, service.stop_timeout)
        print("stopped" if stopped else "not running")
        return 0

    return run_cli(service.name, run)


def _up(service: Service, state_dir: Path, start: Callable[[], Mapping[str, object]]) -> int:
    running = live_state(state_dir, service.marker)
    state = running if running is not None else start()
    how = "already running" if running is not None else "running"
    print(state.get("url"), flush=True)
    print(
        f"{service.name}: {how} at {state.get('url')}; port and data are kept across restarts "
        f"(`make {service.name}-reset` forgets them)",
        file=sys.stderr,
    )
    print(export_line(service.exports(state)), file=sys.stderr)
    return 0


def _reset(service: Service, state_dir: Path) -> int:
    stopped = stop_recorded(state_dir, service.marker, service.what, service.stop_timeout)
    removed = reset_state(state_dir, service.entries)
    done = ("stopped; " if stopped else "") + (f"removed {', '.join(removed)}" if removed else "nothing to remove")
    print(f"{done} in {state_dir}")
    return 0


def run_cli(name: str, command: Callable[[], int]) -> int:
    """Run a service command: errors become one line on stderr (details after it) and exit 2."""
    try:
        return command()
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 2
    except DevServiceError as error:
        first, _, details = str(error).partition("\n")
        print(f"{name}: {first}", file=sys.stderr)
        if details:
            print(details, file=sys.stderr)
        return 2
