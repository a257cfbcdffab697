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

    python -m devservices.maven_repo up [--port N] [--state-dir DIR]
    python -m devservices.maven_repo status [--state-dir DIR]
    python -m devservices.maven_repo down [--state-dir DIR]
    python -m devservices.maven_repo reset [--state-dir DIR]

``up`` prints the repository URL (``http://127.0.0.1:PORT/``) on stdout and
the ``export SS3_MAVEN_REPOSITORY_URL=... SS3_MAVEN_USERNAME=...`` line that
`ss3-schema publish-maven` deploys with on stderr. It takes the account from
``SS3_MAVEN_USERNAME`` and ``SS3_MAVEN_PASSWORD`` when both are set; otherwise
the user is ``deployer`` and a generated password is kept in
``<state-dir>/password`` (mode 0600) for the next start. Exit codes and
messages as for the other services. Default state directory:
``.cache/maven-repo`` (``state.json``, ``ports.json``, ``repository/``, the
nginx configuration and logs).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import pwd
import secrets
import shutil
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

NGINX_PACKAGE = "nginx"
# Debian installs nginx in /usr/sbin, which is not on a normal user's PATH.
NGINX_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin")
APT_LOCK_TIMEOUT_S = 600  # another installer (a colleague's, unattended-upgrades) may hold the dpkg lock
# nginx names its master process "nginx: master process <binary> -p <state-dir> ...".
PROCESS_MARKER = "nginx"
LOG_FILE = "nginx.out"
ERROR_LOG = "error.log"
PASSWORD_FILE = "password"  # noqa: S105 - the name of the file, not a password
DEFAULT_USER = "deployer"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
START_ATTEMPTS = 3  # a free port can be taken between probing and binding
REALM = "ss3 test Maven repository"
# What `reset` removes from the state directory (state.json and ports.json too).
STATE_ENTRIES = (
    "repository",
    "temp",
    "htpasswd",
    PASSWORD_FILE,
    "nginx.conf",
    "nginx.pid",
    LOG_FILE,
    ERROR_LOG,
    "access.log",
)


class MavenRepoError(DevServiceError):
    """A failure the CLI reports as one line and exit code 2."""


def default_state_dir() -> Path:
    return cache_root() / "maven-repo"


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
class RunningMavenRepo(ServerHandle):
    """A running nginx serving `repository` at `url` (with a trailing slash). ``stop()`` is idempotent."""

    marker: ClassVar[str] = PROCESS_MARKER
    stop_timeout: ClassVar[float] = STOP_TIMEOUT_S
    url: str
    pid: int
    port: int
    repository: Path
    state_dir: Path
    username: str
    password: str = field(repr=False)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.state_dir / ERROR_LOG


def start_maven_repo(
    *,
    username: str = DEFAULT_USER,
    password: str | None = None,
    state_dir: Path | None = None,
    port: int = 0,
) -> RunningMavenRepo:
    """Start nginx on 127.0.0.1 (a free port unless given) and wait until it answers, or raise MavenRepoError."""
    nginx = ensure_nginx()
    password = password or secrets.token_urlsafe(18)
    directory = (state_dir or Path(tempfile.mkdtemp(prefix="ss3-maven-repo-"))).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    refuse_if_running(directory, PROCESS_MARKER, "Maven repository")
    repository = directory / "repository"
    for path in (repository, directory / "temp"):
        path.mkdir(parents=True, exist_ok=True)
    _write_private(directory / "htpasswd", htpasswd_line(username, password))
    failure = ""
    for _ in range(1 if port else START_ATTEMPTS):
        repo = _launch(nginx, directory, port or free_port(), username=username, password=password)
        try:
            _wait_until_up(repo)
        except DevServiceError as error:
            failure = str(error)
            repo.stop()
            continue
        except BaseException:
            # Also on Ctrl-C: nginx runs in its own session and would outlive us unrecorded.
            repo.stop()
            raise
        _write_state(repo)
        return repo
    raise MavenRepoError(failure or "nginx did not start")


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _launch(nginx: Path, directory: Path, port: int, *, username: str, password: str) -> RunningMavenRepo:
    repository = directory / "repository"
    config = directory / "nginx.conf"
    config.write_text(nginx_config(directory, port, repository), encoding="utf-8")
    # -e: the error log before the config is read; -p: no path outside directory.
    command = [str(nginx), "-p", str(directory), "-e", str(directory / ERROR_LOG), "-c", str(config)]
    process = launch(command, cwd=directory, log_path=directory / LOG_FILE)
    url = f"http://{HOST}:{port}/"
    return RunningMavenRepo(url, process.pid, port, repository, directory, username, password, process)


def _wait_until_up(repo: RunningMavenRepo) -> None:
    if repo.process is None:
        raise MavenRepoError("nginx process handle missing")
    wait_until(lambda: _answers(repo.url), repo.process, timeout=START_TIMEOUT_S, what="nginx", log_path=repo.log_path)


def _answers(url: str) -> bool:
    """nginx answers (401 without credentials is an answer)."""
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback http
            return True
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            return True
        raise MavenRepoError(f"HTTP {exc.code} from {url}") from None
    except (urllib.error.URLError, OSError):
        return False


def _write_state(repo: RunningMavenRepo) -> None:
    write_state(
        repo.state_dir,
        {
            "pid": repo.pid,
            "url": repo.url,
            "port": repo.port,
            "repository": str(repo.repository),
            # The password stays in the htpasswd file (hashed) and, when generated, in PASSWORD_FILE.
            "username": repo.username,
            "log": str(repo.log_path),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    )


def stop_maven_repo(state_dir: Path) -> bool:
    """Stop the repository recorded in ``state_dir``; False if none was running."""
    return stop_recorded(state_dir, PROCESS_MARKER, "Maven repository", STOP_TIMEOUT_S)


# --------------------------------------------------------------------------
# CLI


def _build_parser() -> argparse.ArgumentParser:
    parser, up = service_parser(
        "Local Maven repository (nginx WebDAV) for ss3-protos.",
        ".cache/maven-repo",
        "start a repository and print its URL",
    )
    up.add_argument("--port", type=int, default=0, help="port (0 = pick a free port)")
    return parser


def _account(state_dir: Path, env: Mapping[str, str]) -> tuple[str, str, Path | None]:
    """The deploy account and where its password is kept: the one publish-maven would send (kept nowhere),
    else `deployer` with a generated password kept for the next start."""
    username, password = env.get("SS3_MAVEN_USERNAME", ""), env.get("SS3_MAVEN_PASSWORD", "")
    if username and password:
        return username, password, None
    kept = state_dir / PASSWORD_FILE
    try:
        password = kept.read_text(encoding="utf-8").strip()
    except OSError:
        password = ""
    if not password:
        password = secrets.token_urlsafe(18)
        _write_private(kept, password + "\n")
    return DEFAULT_USER, password, kept


def _cmd_up(args: argparse.Namespace, state_dir: Path) -> dict[str, object]:
    state_dir.mkdir(parents=True, exist_ok=True)
    port = kept_port(args.port, remembered_ports(state_dir).get("port"), name="port", service="maven-repo")
    username, password, kept_in = _account(state_dir, os.environ)
    repo = start_maven_repo(username=username, password=password, state_dir=state_dir, port=port)
    remember_ports(state_dir, {"port": repo.port})
    if kept_in is not None:
        print(f"maven-repo: the password of {username} is in {kept_in}", file=sys.stderr)
    return read_state(state_dir) or {"url": repo.url}


def _exports(state: Mapping[str, object]) -> dict[str, str]:
    exports = {"SS3_MAVEN_REPOSITORY_URL": str(state.get("url"))}
    user = state.get("username")
    if isinstance(user, str):
        exports["SS3_MAVEN_USERNAME"] = user  # never the password
    return exports


def _describe(state: Mapping[str, object]) -> tuple[str, bool]:
    port = state.get("port")
    serving = isinstance(port, int) and port_answers(port)
    health = "serving" if serving else "NOT serving"
    return f"{state.get('url')} pid={state.get('pid')} {health} repository={state.get('repository')}", serving


SERVICE = Service(
    name="maven-repo",
    what="Maven repository",
    marker=PROCESS_MARKER,
    entries=STATE_ENTRIES,
    exports=_exports,
    describe=_describe,
    stop_timeout=STOP_TIMEOUT_S,
)


def main(argv: Sequence[str] | None = None) -> int:
    return serve_command_line(SERVICE, _build_parser(), default_state_dir, _cmd_up, argv)


if __name__ == "__main__":
    sys.exit(main())
