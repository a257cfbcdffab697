"""A real package index for the publish and release tests, and what they need around it.

Session fixture ``pypi_index``: pypiserver on 127.0.0.1 (a free port, started by
devservices/pypi.py), uploads protected by an htpasswd file, no fallback to PyPI. Outside CI a server that
cannot start skips the tests; with CI=true it fails them, so a broken set-up
never turns the suite green.

Installing from an index needs the wheel's dependency (protobuf) too; the
``protobuf_wheelhouse`` fixture repackages the protobuf this interpreter runs
into a wheel, so installs stay hermetic (no network) and fast.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import os
import secrets
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from devservices.common import DevServiceError
from devservices.pypi import RunningPypi, start_pypi
from tests.helpers import SchemaRepo, make_schema_repo, server_unavailable

SKIPPED_DIST_INFO = {"INSTALLER", "REQUESTED", "RECORD", "direct_url.json"}


@dataclass(frozen=True)
class PypiIndex:
    """A running pypiserver: upload at ``url``, install from ``simple_url``."""

    url: str
    username: str
    password: str = field(repr=False)
    packages: Path

    @property
    def simple_url(self) -> str:
        return f"{self.url}simple/"

    def env(self, *, password: str | None = None) -> dict[str, str]:
        """The environment a publishing CLI run needs."""
        return {
            "TWINE_REPOSITORY_URL": self.url,
            "TWINE_USERNAME": self.username,
            "TWINE_PASSWORD": self.password if password is None else password,
        }


@pytest.fixture(scope="session")
def pypi_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PypiIndex]:
    base = tmp_path_factory.mktemp("pypi")
    username, password = "ss3-ci", secrets.token_urlsafe(18)
    htpasswd = _write_htpasswd(base / "htpasswd", username, password)
    packages = base / "packages"
    packages.mkdir()
    server = _start_or_give_up(htpasswd, packages, base / "server")
    try:
        yield PypiIndex(server.url, username, password, packages)
    finally:
        server.stop()


def _write_htpasswd(path: Path, username: str, password: str) -> Path:
    with warnings.catch_warnings():
        # passlib imports the deprecated `crypt` module; not our concern here.
        warnings.simplefilter("ignore", DeprecationWarning)
        from passlib.apache import HtpasswdFile  # type: ignore[import-untyped]  # noqa: PLC0415

    htpasswd = HtpasswdFile(str(path), new=True)
    htpasswd.set_password(username, password)
    htpasswd.save()
    return path


def _start_or_give_up(htpasswd: Path, packages: Path, state_dir: Path) -> RunningPypi:
    try:
        return start_pypi(packages=packages, htpasswd=htpasswd, state_dir=state_dir)
    except DevServiceError as error:
        server_unavailable(f"pypi-server did not start: {error}")


# --- schema repositories that can build the wheel ---------------------------


def make_package_repo(dest: Path, version: str = "1.0.0") -> SchemaRepo:
    """A schema repo (see make_schema_repo) that also holds the wheel project ss3-protos/."""
    repo = make_schema_repo(dest, with_package=True)
    repo.write("VERSION", f"{version}\n")
    repo.commit("wheel project")
    return repo


# --- hermetic installs -------------------------------------------------------


@pytest.fixture(scope="session")
def protobuf_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a wheel of the protobuf this interpreter runs (for --find-links)."""
    wheelhouse = tmp_path_factory.mktemp("wheelhouse")
    repack_installed("protobuf", wheelhouse)
    return wheelhouse


def repack_installed(name: str, dest: Path) -> Path:
    """Zip an installed distribution back into a wheel (files and metadata as installed)."""
    dist = importlib.metadata.distribution(name)
    # The dist-info directory as installed (its name may be normalized: charset_normalizer-3.5.2.dist-info).
    metadata_file = next(p for p in dist.files or [] if p.name == "METADATA" and p.parent.name.endswith(".dist-info"))
    info = Path(str(dist.locate_file(metadata_file.parent)))
    wheel_tag = next(
        line.split(": ", 1)[1] for line in (info / "WHEEL").read_text().splitlines() if line.startswith("Tag:")
    )
    members = [p for p in dist.files or [] if "__pycache__" not in p.parts and p.parts[0] != ".."]
    members = [p for p in members if not (p.parent.name == info.name and p.name in SKIPPED_DIST_INFO)]
    target = dest / f"{info.name.removesuffix('.dist-info').rsplit('-', 1)[0]}-{dist.version}-{wheel_tag}.whl"
    records = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as wheel:
        for member in members:
            data = Path(str(dist.locate_file(member))).read_bytes()
            wheel.writestr(member.as_posix(), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            records.append(f"{member.as_posix()},sha256={digest},{len(data)}")
        records.append(f"{info.name}/RECORD,,")
        wheel.writestr(f"{info.name}/RECORD", "\n".join(records) + "\n")
    return target


def fresh_venv(path: Path) -> Path:
    """A venv without system site-packages and without pip (this pip installs into it); its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path / "bin" / "python"


def pip_install(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """This interpreter's pip installing into another environment; no config files, no cache."""
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, PIP_NO_CACHE_DIR="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    command = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=180)


def pip_on_path(python: Path, bin_dir: Path) -> dict[str, str]:
    """An environment whose `pip` installs into `python`'s venv (a reader's shell); no config files, no cache."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "pip"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pip --python "{python}" "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    return dict(
        os.environ, PATH=path, PIP_CONFIG_FILE=os.devnull, PIP_NO_CACHE_DIR="1", PIP_DISABLE_PIP_VERSION_CHECK="1"
    )


# --- running the release command ----------------------------------------------

# Settings of the developer's or CI's environment that would change what a release does.
RELEASE_SETTINGS = ("CI", "SS3_INDEX_URL")
RELEASE_SETTING_PREFIXES = ("TWINE_", "SS3_REGISTRY_", "SS3_MAVEN_")


def run_release(repo: SchemaRepo, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`ss3-schema release ARGS` in a clean environment plus `env`."""
    full_env = {
        k: v for k, v in os.environ.items() if k not in RELEASE_SETTINGS and not k.startswith(RELEASE_SETTING_PREFIXES)
    }
    full_env.update(env or {})
    command = [sys.executable, "-m", "ss3_schema", "release", *args]
    return subprocess.run(command, cwd=repo.root, env=full_env, capture_output=True, text=True, check=False)


def summary(stdout: str) -> dict[str, tuple[str, str]]:
    """The summary table as {step: (outcome, detail)}."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("step "))
    header = lines[start]
    outcome_at, detail_at = header.index("outcome"), header.index("detail")
    rows = {}
    for line in lines[start + 1 :]:
        if line.startswith("release "):
            break
        rows[line[:outcome_at].strip()] = (line[outcome_at:detail_at].strip(), line[detail_at:].strip())
    return rows
