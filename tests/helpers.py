"""Shared test helpers: throw-away schema repositories and running the real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILES = ("buf.yaml", "buf.gen.yaml", "VERSION")
PACKAGE_PROJECT_FILES = ("pyproject.toml", "hatch_build.py", "README.md")
PACKAGE_PROJECT_DIRS = ("runtime",)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def server_unavailable(message: str) -> NoReturn:
    """A test server (Apicurio, pypiserver) could not start: a failure in CI, a skip on a laptop.

    CI must never pass green with its integration tests skipped; a developer
    without a JDK can still run the rest of the suite.
    """
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def git(repo: Path, *args: str) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="ss3 test",
        GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="ss3 test",
        GIT_COMMITTER_EMAIL="test@example.invalid",
        GIT_CONFIG_GLOBAL=os.devnull,
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
    """
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
    """Run `ss3-schema ARGS` as a user would, in a subprocess of this interpreter."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "ss3_schema", *args], cwd=cwd, env=full_env, capture_output=True, text=True, check=False
    )
