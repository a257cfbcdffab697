#!/usr/bin/env python3
"""Run a throw-away Maven repository on 127.0.0.1: Debian's nginx with WebDAV PUT and basic auth.

Maven deploys with plain HTTP PUT and reads with GET; nginx's built-in DAV
module does exactly that, so the repository is nothing but a directory
served by nginx. Every request needs basic auth (a company repository is
not anonymous either); passwords sit in an htpasswd file (mode 0600) and never
on a command line.

nginx comes from Debian (`apt-get install nginx`): installed on first use
when running as root, waiting for the dpkg lock another installer may hold.
Elsewhere (no root, no apt) the caller is told to install it.

CLI::

    python -m devservices.maven_repo serve --user USER:PASSWORD [--port N] [--root DIR]

``serve`` prints the repository URL and runs until Ctrl-C or SIGTERM; either stops nginx.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
NGINX_PACKAGE = "nginx"
# Debian installs nginx in /usr/sbin, which is not on a normal user's PATH.
NGINX_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin")
APT_LOCK_TIMEOUT_S = 600  # another installer (a colleague's, unattended-upgrades) may hold the dpkg lock
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
START_ATTEMPTS = 3  # a free port can be taken between probing and binding
REALM = "ss3 test Maven repository"


class MavenRepoError(RuntimeError):
    """A failure the CLI reports as one line and exit code 2."""


# --------------------------------------------------------------------------
# nginx from Debian


def find_nginx() -> Path | None:
    search = os.pathsep.join([os.environ.get("PATH", ""), *NGINX_DIRS])
    found = shutil.which("nginx", path=search)
    return Path(found) if found else None


def ensure_nginx() -> Path:
    """The nginx binary, installing Debian's package first if it is missing and we may."""
    nginx = find_nginx()
    if nginx is not None:
        return nginx
    apt_get = shutil.which("apt-get")
    if apt_get is None or os.geteuid() != 0:
        raise MavenRepoError(f"nginx is not installed; install Debian's package: sudo apt-get install {NGINX_PACKAGE}")
    result = _apt_install(apt_get)
    if result.returncode != 0 and "Unable to locate package" in result.stderr:
        # A fresh machine may have no package lists yet.
        subprocess.run([apt_get, "update", "-q"], capture_output=True, text=True, check=False, env=_apt_env())
        result = _apt_install(apt_get)
    nginx = find_nginx()
    if result.returncode != 0 or nginx is None:
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        raise MavenRepoError(f"apt-get install {NGINX_PACKAGE} failed: {lines[-1] if lines else result.returncode}")
    return nginx


def _apt_install(apt_get: str) -> subprocess.CompletedProcess[str]:
    # DPkg::Lock::Timeout makes apt wait for a lock held by another installer
    # instead of failing at once.
    command = [
        apt_get,
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        "-o",
        f"DPkg::Lock::Timeout={APT_LOCK_TIMEOUT_S}",
        NGINX_PACKAGE,
    ]
    return subprocess.run(command, capture_output=True, text=True, check=False, env=_apt_env())


def _apt_env() -> dict[str, str]:
    return dict(os.environ, DEBIAN_FRONTEND="noninteractive")


# --------------------------------------------------------------------------
# Configuration


def htpasswd_line(user: str, password: str) -> str:
    """One htpasswd line in nginx's salted-SHA1 form ({SSHA}): no crypt(3) needed."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()  # noqa: S324 - the format nginx reads
    return f"{user}:{{SSHA}}{base64.b64encode(digest + salt).decode()}\n"


def nginx_config(state_dir: Path, port: int, repository: Path) -> str:
    """A self-contained nginx.conf: loopback only, everything under state_dir, DAV PUT behind basic auth."""
    temp = state_dir / "temp"
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
daemon off;
pid {state_dir / "nginx.pid"};
error_log {state_dir / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    access_log {state_dir / "access.log"};
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    types {{ application/java-archive jar; text/xml xml pom; text/plain md5 sha1 sha256 sha512; }}
    default_type application/octet-stream;
    server {{
        listen {HOST}:{port};
        root {repository};
        client_max_body_size 100m;
        location / {{
            auth_basic "{REALM}";
            auth_basic_user_file {state_dir / "htpasswd"};
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw group:r all:r;
            autoindex on;
        }}
    }}
}}
"""


# --------------------------------------------------------------------------
# Process


@dataclass
class RunningMavenRepo:
    """A running nginx serving `repository` at `url` (with a trailing slash)."""

    url: str
    port: int
    repository: Path
    state_dir: Path
    username: str
    password: str = field(repr=False)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        # SIGQUIT is nginx's graceful stop; the master takes its worker with it.
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> RunningMavenRepo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_maven_repo(
    *,
    username: str = "deployer",
    password: str | None = None,
    state_dir: Path | None = None,
    port: int = 0,
) -> RunningMavenRepo:
    """Start nginx on 127.0.0.1 (a free port unless given) and wait until it answers."""
    nginx = ensure_nginx()
    password = password or secrets.token_urlsafe(18)
    directory = (state_dir or Path(tempfile.mkdtemp(prefix="ss3-maven-repo-"))).resolve()
    repository = directory / "repository"
    for path in (repository, directory / "temp"):
        path.mkdir(parents=True, exist_ok=True)
    htpasswd = directory / "htpasswd"
    fd = os.open(htpasswd, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(htpasswd_line(username, password))
    failure = ""
    for _ in range(1 if port else START_ATTEMPTS):
        chosen = port or free_port()
        repo = _launch(nginx, directory, chosen, repository, username=username, password=password)
        failure = _wait_until_up(repo)
        if not failure:
            return repo
        repo.stop()
    raise MavenRepoError(f"nginx did not start: {failure}; log: {_log_tail(directory / 'error.log')}")


def _launch(
    nginx: Path, directory: Path, port: int, repository: Path, *, username: str, password: str
) -> RunningMavenRepo:
    config = directory / "nginx.conf"
    config.write_text(nginx_config(directory, port, repository), encoding="utf-8")
    # -e: the error log before the config is read; -p: no path outside directory.
    command = [str(nginx), "-p", str(directory), "-e", str(directory / "error.log"), "-c", str(config)]
    with (directory / "nginx.out").open("ab") as out:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://{HOST}:{port}/"
    return RunningMavenRepo(url, port, repository, directory, username, password, process)


def _wait_until_up(repo: RunningMavenRepo) -> str:
    """Empty when nginx answers (401 without credentials is an answer); else why not."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if repo.process is not None and repo.process.poll() is not None:
            return f"exited with {repo.process.returncode}"
        try:
            with urllib.request.urlopen(repo.url, timeout=2):  # noqa: S310 - loopback http
                return ""
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                return ""
            return f"HTTP {exc.code} from {repo.url}"
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    return f"no answer from {repo.url} within {START_TIMEOUT_S:.0f}s"


def _log_tail(log: Path) -> str:
    lines = log.read_text(errors="replace").strip().splitlines() if log.is_file() else []
    return " | ".join(lines[-3:]) or "empty"


# --------------------------------------------------------------------------
# CLI


def _parse_user(value: str) -> tuple[str, str]:
    user, separator, password = value.partition(":")
    if not separator or not user or not password:
        raise argparse.ArgumentTypeError("expected USER:PASSWORD")
    return user, password


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local Maven repository (nginx WebDAV) on 127.0.0.1.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run until Ctrl-C; prints the repository URL")
    serve.add_argument("--port", type=int, default=0, help="port (0 = a free one)")
    serve.add_argument("--user", type=_parse_user, required=True, metavar="USER:PASSWORD")
    serve.add_argument("--root", type=Path, default=None, help="state directory (default: a temporary one)")
    args = parser.parse_args(argv)
    user, password = args.user
    try:
        repo = start_maven_repo(username=user, password=password, state_dir=args.root, port=args.port)
    except MavenRepoError as error:
        print(f"maven-repo: {error}", file=sys.stderr)
        return 2
    # SIGTERM (a supervisor, `kill`) ends the loop like Ctrl-C, so nginx is stopped with us.
    signal.signal(signal.SIGTERM, _interrupt)
    with repo:
        try:
            print(repo.url, flush=True)
            while repo.process is not None and repo.process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
