"""Shared test helpers: throw-away schema repositories and running the real CLI."""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NoReturn

import pytest
from ss3_schema import console, redact
from ss3_schema.cli.main import main as cli_main

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILES = ("buf.yaml", "buf.gen.yaml", "VERSION")
PACKAGE_PROJECT_FILES = ("pyproject.toml", "hatch_build.py", "README.md")
PACKAGE_PROJECT_DIRS = ("runtime",)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


# `make test-unit` sets it: the fast loop runs each property on a quarter of its examples.
# CI (CI=true) and `make test` always run them in full.
QUICK_PROPERTIES_ENV = "SS3_QUICK_PROPERTIES"
QUICK_SHARE = 4
QUICK_FLOOR = 25


def quick_properties() -> bool:
    return os.environ.get(QUICK_PROPERTIES_ENV) == "1" and not in_ci()


def examples(full: int) -> int:
    """How many examples a property runs: `full`, or a quarter of it (at least 25) in the fast loop."""
    return max(full // QUICK_SHARE, QUICK_FLOOR) if quick_properties() else full


def server_unavailable(message: str) -> NoReturn:
    """A test server (Apicurio, pypiserver) could not start: a failure in CI, a skip on a laptop.

    CI must never pass green with its integration tests skipped; a developer
    without a JDK can still run the rest of the suite.
    """
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def require_nginx() -> None:
    """nginx for the test Maven repository, installed first where this machine allows, as a start would."""
    from devservices.maven_repo import MavenRepoError, ensure_nginx  # noqa: PLC0415 - only these tests need it

    try:
        ensure_nginx()
    except MavenRepoError as exc:
        server_unavailable(str(exc))


def git(repo: Path, *args: str) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="ss3 test",
        GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="ss3 test",
        GIT_COMMITTER_EMAIL="test@example.invalid",
        GIT_CONFIG_GLOBAL=os.devnull,
        # No `git maintenance run --auto` after each of the tests' commits: one
        # process more per commit, and nothing these short-lived repositories need.
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0="maintenance.auto",
        GIT_CONFIG_VALUE_0="false",
    )
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


@dataclass
class SchemaRepo:
    """A git repository holding a copy of the real schema tree, on branch main."""

    root: Path

    def path(self, rel: str) -> Path:
        return self.root / rel

    def read(self, rel: str) -> str:
        return self.path(rel).read_text(encoding="utf-8")

    def write(self, rel: str, text: str) -> None:
        target = self.path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def replace(self, rel: str, old: str, new: str) -> None:
        text = self.read(rel)
        assert old in text, f"{old!r} not in {rel}"
        self.write(rel, text.replace(old, new, 1))

    def line_of(self, rel: str, needle: str) -> int:
        for number, line in enumerate(self.read(rel).splitlines(), start=1):
            if needle in line:
                return number
        raise AssertionError(f"{needle!r} not in {rel}")

    def commit(self, message: str) -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message, "--allow-empty")
        return git(self.root, "rev-parse", "HEAD")

    def git(self, *args: str) -> str:
        return git(self.root, *args)


def make_schema_repo(dest: Path, *, with_package: bool = False) -> SchemaRepo:
    """Copy proto/ and the buf/VERSION files of this checkout into a new git repo.

    with_package also copies the ss3-protos wheel project and the tool's project
    (tools/), so gen, build and the release's tool step work there.

    The repository is a copy of one made once per process: `git add` and `git commit` of
    the whole tree cost more than copying it, and the suite makes some 250 of them.
    """
    if dest.is_dir() and any(dest.iterdir()):
        return _new_schema_repo(dest, with_package=with_package)  # files of the caller's join the commit
    shutil.copytree(_template_repo(with_package), dest, symlinks=True, dirs_exist_ok=True, copy_function=_link_objects)
    return SchemaRepo(dest)


def _link_objects(source: str, target: str) -> object:
    # git writes an object once and never changes it (as `git clone --local` relies on): the
    # objects are shared by hard link, everything a test may edit is copied.
    if f"{os.sep}.git{os.sep}objects{os.sep}" in source:
        try:
            os.link(source, target)
            return target
        except OSError:
            pass
    return shutil.copy2(source, target)


@functools.cache
def _template_repo(with_package: bool) -> Path:
    home = Path(tempfile.mkdtemp(prefix="ss3-template-repo-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    return _new_schema_repo(home / "repo", with_package=with_package).root


def _new_schema_repo(dest: Path, *, with_package: bool) -> SchemaRepo:
    dest.mkdir(parents=True, exist_ok=True)
    for name in SCHEMA_FILES:
        shutil.copyfile(REPO_ROOT / name, dest / name)
    shutil.copytree(REPO_ROOT / "proto", dest / "proto")
    if with_package:
        (dest / "ss3-protos").mkdir()
        for name in PACKAGE_PROJECT_FILES:
            shutil.copyfile(REPO_ROOT / "ss3-protos" / name, dest / "ss3-protos" / name)
        for name in PACKAGE_PROJECT_DIRS:
            shutil.copytree(
                REPO_ROOT / "ss3-protos" / name,
                dest / "ss3-protos" / name,
                ignore=shutil.ignore_patterns("__pycache__"),
            )
        shutil.copyfile(REPO_ROOT / ".gitignore", dest / ".gitignore")
        shutil.copytree(REPO_ROOT / "tools", dest / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    git(dest, "init", "-q", "-b", "main")
    repo = SchemaRepo(dest)
    repo.commit("schemas")
    return repo


def diagnostics(stderr: str) -> list[str]:
    """The lines of `stderr` that are not progress lines ("... gen: compiling"), which a
    command prints only when a step takes longer than 2 s: on a loaded machine, any step."""
    return [line for line in stderr.strip().splitlines() if not line.startswith("... ")]


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `ss3-schema ARGS` as a user would: the same entry point, exit code, stdout and stderr.

    It runs in this process (the interpreter start and the imports were half of the unit tier's
    time), with its own working directory, environment, output and console state, all restored
    afterwards. Off the main thread (chdir and signal handlers are per process) it runs in a
    subprocess. The entry point itself runs in subprocesses in tests/hostile/test_faults.py.
    """
    if threading.current_thread() is not threading.main_thread():
        return run_cli_process(*args, cwd=cwd, env=env)
    command = [sys.executable, "-m", "ss3_schema", *args]
    with _captured_output() as (stdout, stderr):
        with _cli_state(cwd, env or {}):
            code = _exit_code(_call_main(args))
        return subprocess.CompletedProcess(command, code, stdout.getvalue(), stderr.getvalue())


def run_cli_process(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `ss3-schema ARGS` in a subprocess of this interpreter."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "ss3_schema", *args], cwd=cwd, env=full_env, capture_output=True, text=True, check=False
    )


def _call_main(args: tuple[str, ...]) -> object:
    sys.argv = ["ss3-schema", *args]
    try:
        cli_main()
    except SystemExit as exit_:
        return exit_.code
    return 0


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # what the interpreter does with sys.exit("text")
    return 1


@contextlib.contextmanager
def _cli_state(cwd: Path, env: dict[str, str]) -> Iterator[None]:
    """A process's worth of state for one command: cwd, environment, argv, stdin, console, secrets, SIGTERM."""
    saved = (os.getcwd(), dict(os.environ), sys.argv, sys.stdin)
    saved_secrets, saved_sigterm = set(redact._secrets), signal.getsignal(signal.SIGTERM)
    try:
        redact._secrets.clear()  # a fresh process knows no secret but its environment's
        os.environ.update(env)
        os.chdir(cwd)
        sys.stdin = io.StringIO()
        yield
    finally:
        os.chdir(saved[0])
        os.environ.clear()
        os.environ.update(saved[1])
        sys.argv, sys.stdin = saved[2], saved[3]
        redact._secrets.clear()
        redact._secrets.update(saved_secrets)
        signal.signal(signal.SIGTERM, saved_sigterm)
        console.set_verbosity(console.NORMAL)


class _Output:
    """What one stream received, through the Python object or the file descriptor."""

    def __init__(self, file: IO[bytes], errors: str) -> None:
        self._file = file
        self.stream = io.TextIOWrapper(
            io.FileIO(file.fileno(), "w", closefd=False), encoding="utf-8", errors=errors, line_buffering=True
        )

    def getvalue(self) -> str:
        self.stream.flush()
        self._file.seek(0)
        return self._file.read().decode("utf-8")


@contextlib.contextmanager
def _captured_output() -> Iterator[tuple[_Output, _Output]]:
    """Stdout and stderr into files, at the descriptors too (what a child process inherits)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        saved_streams, saved_fds = (sys.stdout, sys.stderr), (os.dup(1), os.dup(2))
        sys.stdout.flush()
        sys.stderr.flush()
        outputs = (_Output(out, "strict"), _Output(err, "backslashreplace"))
        try:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            sys.stdout, sys.stderr = (output.stream for output in outputs)
            yield outputs
        finally:
            for output in outputs:
                output.stream.flush()
            sys.stdout, sys.stderr = saved_streams
            for fd, copy in zip((1, 2), saved_fds, strict=True):
                os.dup2(copy, fd)
                os.close(copy)
