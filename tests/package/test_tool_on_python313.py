"""The tool on Python 3.13: `make gen` in a fresh checkout whose .venv is 3.13 writes what 3.11 writes.

The pinned generator has no 3.13 wheels; it runs under another Python the
machine has (generator.py), so the generated package is byte-identical.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from ss3_schema.build import generator

from tests.helpers import REPO_ROOT, make_schema_repo, server_unavailable

pytestmark = pytest.mark.interop

GENERATED = ("_pb2.py", "_pb2_grpc.py", ".pyi", ".binpb")


def _generated(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.name.endswith(GENERATED)}


def test_make_gen_with_a_python_313_tool_writes_what_the_311_tool_writes(tmp_path: Path) -> None:
    python313 = generator.find_python((3, 13))
    if python313 is None:
        server_unavailable("no Python 3.13 on this machine (python3.13 on PATH or in pyenv)")
    repo = make_schema_repo(tmp_path / "repo", with_package=True)
    shutil.copy2(REPO_ROOT / "Makefile", repo.root / "Makefile")
    shutil.copytree(REPO_ROOT / "requirements", repo.root / "requirements")
    env = dict(os.environ, SS3_CACHE_DIR=str(tmp_path / "cache"))  # a fresh generator install too
    env.pop("VIRTUAL_ENV", None)

    proc = subprocess.run(
        ["make", "--no-print-directory", "gen", f"PYTHON={python313.path}"],
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
    [installed] = (tmp_path / "cache" / "generator").iterdir()
    assert not installed.name.endswith("cpython-313")  # it runs under a Python it has wheels for
    ours = _generated(repo.root / "ss3-protos/src/ss3")
    reference = _generated(REPO_ROOT / "ss3-protos/src/ss3")
    assert len(ours) >= 30
    assert ours == reference
