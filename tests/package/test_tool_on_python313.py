"""The tool on a machine with Python 3.13 alone: `make gen` in a fresh checkout writes what 3.11 writes.

The pinned generator has no 3.13 wheels; the tool runs the protoc of its 3.12
wheel from the tool's own interpreter (generator.py), so no other Python is
needed and the generated package is byte-identical.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, make_schema_repo, server_unavailable
from tests.package.runtimes import find_python

pytestmark = pytest.mark.interop

GENERATED = ("_pb2.py", "_pb2_grpc.py", ".pyi", ".binpb")


def _generated(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.name.endswith(GENERATED)}


def _only_python_313(bin_dir: Path, python313: Path) -> dict[str, str]:
    """An environment in which python3.13 is the only Python: every other name fails as if absent."""
    bin_dir.mkdir()
    for name in ("python3.13", "python3", "python"):
        (bin_dir / name).symlink_to(python313)
    for minor in range(6, 13):
        absent = bin_dir / f"python3.{minor}"
        absent.write_text(f"#!/bin/sh\necho 'python3.{minor}: not on this machine' >&2\nexit 127\n")
        absent.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", PYENV_ROOT=str(bin_dir / "no-pyenv"))
    for name in ("VIRTUAL_ENV", "PYENV_VERSION"):
        env.pop(name, None)
    return env


def test_make_gen_on_a_machine_with_python_313_alone_writes_what_the_311_tool_writes(tmp_path: Path) -> None:
    python313 = find_python("3.13")
    if python313 is None:
        server_unavailable("no Python 3.13 on this machine (python3.13 on PATH or in pyenv)")
    repo = make_schema_repo(tmp_path / "repo", with_package=True)
    shutil.copy2(REPO_ROOT / "Makefile", repo.root / "Makefile")
    shutil.copytree(REPO_ROOT / "requirements", repo.root / "requirements")
    env = _only_python_313(tmp_path / "bin", python313)
    env["SS3_CACHE_DIR"] = str(tmp_path / "cache")  # a fresh generator install too

    proc = subprocess.run(
        ["make", "--no-print-directory", "gen", "PYTHON=python3.13"],
        cwd=repo.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )

    assert proc.returncode == 0, proc.stdout + proc.stderr
    version = subprocess.run(
        [str(repo.root / ".venv/bin/python"), "-c", "import sys; print(*sys.version_info[:2], sep='.')"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "3.13"
    assert [p.name for p in (tmp_path / "cache" / "generator").iterdir()] == ["grpcio-tools-1.63.2-cp312"]
    ours = _generated(repo.root / "ss3-protos/src/ss3")
    reference = _generated(REPO_ROOT / "ss3-protos/src/ss3")
    assert len(ours) >= 30
    assert ours == reference
