"""Run a throw-away package index (pypiserver) on 127.0.0.1 for local work and tests.

pypiserver comes from the pinned tools (requirements/tools.txt) and runs with
this interpreter; it never falls back to PyPI. Its packages stay in the
package directory, and from the command line its port in ``ports.json``, so a
restart serves the same URL and files; ``reset`` forgets both. Uploads need the users of an
htpasswd file when one is given, and are open otherwise (loopback only).

CLI::

    python -m devservices.pypi up [--port N] [--packages DIR] [--htpasswd FILE] [--state-dir DIR]
    python -m devservices.pypi status [--state-dir DIR]
    python -m devservices.pypi down [--state-dir DIR]
    python -m devservices.pypi reset [--state-dir DIR]

``up`` prints the index URL (``http://127.0.0.1:PORT/``; install from its
``simple/``) on stdout and the ``export TWINE_REPOSITORY_URL=...`` line that
`ss3-schema publish` uploads with on stderr. Exit codes and messages as for the other services. Default
state directory: ``.cache/pypi`` (``state.json``, ``pypi-server.log``,
``ports.json``, ``packages/``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from devservices.common import (
    HOST,
    DevServiceError,
    ServerHandle,
    Service,
    cache_root,
    free_port,
    kept_port,
    launch,
    log_tail,
    port_answers,
    read_state,
    refuse_if_running,
    remember_ports,
    remembered_ports,
    serve_command_line,
    service_parser,
    stop_recorded,
    wait_until,
    write_state,
)

PROCESS_MARKER = "pypi"
LOG_FILE = "pypi-server.log"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
START_ATTEMPTS = 3  # a free port can be taken between probing and binding
# What `reset` removes from the state directory (state.json and ports.json too).
STATE_ENTRIES = ("packages", LOG_FILE)


def default_state_dir() -> Path:
    return cache_root() / "pypi"


@dataclass
class RunningPypi(ServerHandle):
    """A started index: upload to ``url``, install from ``simple_url``. ``stop()`` is idempotent."""

    marker: ClassVar[str] = PROCESS_MARKER
    stop_timeout: ClassVar[float] = STOP_TIMEOUT_S
    url: str
    pid: int
    port: int
    packages: Path
    state_dir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def simple_url(self) -> str:
        return f"{self.url}simple/"

    @property
    def log_path(self) -> Path:
        return self.state_dir / LOG_FILE


def start_pypi(
    *,
    packages: Path | None = None,
    htpasswd: Path | None = None,
    port: int = 0,
    state_dir: Path | str | None = None,
    timeout: float = START_TIMEOUT_S,
) -> RunningPypi:
    """Start pypiserver and block until it answers ``/simple/``, or raise DevServiceError."""
    directory = Path(state_dir).resolve() if state_dir else Path(tempfile.mkdtemp(prefix="ss3-pypi-"))
    directory.mkdir(parents=True, exist_ok=True)
    refuse_if_running(directory, PROCESS_MARKER, "package index")
    packages = packages or directory / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    failure = ""
    for _ in range(1 if port else START_ATTEMPTS):
        index = _launch(port or free_port(), packages, htpasswd, directory)
        try:
            _wait_until_up(index, timeout)
        except DevServiceError as error:
            failure = str(error)
            index.stop()
            continue
        except BaseException:
            index.stop()
            raise
        _write_state(index)
        return index
    raise DevServiceError(failure or f"pypi-server did not start; log: {log_tail(directory / LOG_FILE, 3)}")


def _launch(port: int, packages: Path, htpasswd: Path | None, state_dir: Path) -> RunningPypi:
    script = Path(sys.executable).parent / "pypi-server"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "pypiserver"]
    auth = ["-a", "update", "-P", str(htpasswd)] if htpasswd else ["-a", ".", "-P", "."]
    args = ["run", "-i", HOST, "-p", str(port), *auth, "--disable-fallback", str(packages)]
    process = launch([*command, *args], cwd=state_dir, log_path=state_dir / LOG_FILE)
    return RunningPypi(f"http://{HOST}:{port}/", process.pid, port, packages, state_dir, process)


def _wait_until_up(index: RunningPypi, timeout: float) -> None:
    if index.process is None:
        raise DevServiceError("pypi-server process handle missing")
    wait_until(lambda: _answers(index), index.process, timeout=timeout, what="pypi-server", log_path=index.log_path)


def _answers(index: RunningPypi) -> bool:
    try:
        with urllib.request.urlopen(index.simple_url, timeout=2) as response:  # noqa: S310 - loopback http
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def _write_state(index: RunningPypi) -> None:
    write_state(
        index.state_dir,
        {
            "pid": index.pid,
            "url": index.url,
            "port": index.port,
            "packages": str(index.packages),
            "log": str(index.log_path),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    )


def stop_pypi(state_dir: Path) -> bool:
    """Stop the index recorded in ``state_dir``; False if none was running."""
    return stop_recorded(state_dir, PROCESS_MARKER, "package index", STOP_TIMEOUT_S)


# --------------------------------------------------------------------------
# CLI


def _build_parser() -> argparse.ArgumentParser:
    parser, up = service_parser(
        "Local package index (pypiserver) for ss3-protos.", ".cache/pypi", "start an index and print its URL"
    )
    up.add_argument("--port", type=int, default=0, help="port (0 = pick a free port)")
    up.add_argument("--packages", type=Path, default=None, help="package directory (default <state-dir>/packages)")
    up.add_argument("--htpasswd", type=Path, default=None, help="require these users for uploads")
    return parser


def _cmd_up(args: argparse.Namespace, state_dir: Path) -> dict[str, object]:
    port = kept_port(args.port, remembered_ports(state_dir).get("port"), name="port", service="pypi")
    index = start_pypi(packages=args.packages, htpasswd=args.htpasswd, port=port, state_dir=state_dir)
    remember_ports(state_dir, {"port": index.port})
    return read_state(state_dir) or {"url": index.url}


def _describe(state: Mapping[str, object]) -> tuple[str, bool]:
    port = state.get("port")
    serving = isinstance(port, int) and port_answers(port)
    health = "serving" if serving else "NOT serving"
    return f"{state.get('url')} pid={state.get('pid')} {health} packages={state.get('packages')}", serving


SERVICE = Service(
    name="pypi",
    what="package index",
    marker=PROCESS_MARKER,
    entries=STATE_ENTRIES,
    exports=lambda state: {"TWINE_REPOSITORY_URL": str(state.get("url"))},
    describe=_describe,
    stop_timeout=STOP_TIMEOUT_S,
)


def main(argv: Sequence[str] | None = None) -> int:
    return serve_command_line(SERVICE, _build_parser(), default_state_dir, _cmd_up, argv)


if __name__ == "__main__":
    sys.exit(main())
