"""The tested runtimes of the wheel and their cached venvs.

The runtimes (a Python and a protobuf/grpcio pair) come from `tested-runtimes`
in ss3-protos/pyproject.toml, the same table hatch_build.py turns into
Requires-Dist. Each gets a venv under .cache/runtime-matrix/, made with that
Python (this interpreter when it is that version, else `python3.N` on PATH,
else pyenv's newest 3.N), installed once from the package index and reused
while its interpreter and pins are unchanged; only the wheel is reinstalled
per run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import REPO_ROOT

CACHE = REPO_ROOT / ".cache" / "runtime-matrix"
PIP = ("-m", "pip", "--disable-pip-version-check")
READY = ".ready"


@dataclass(frozen=True)
class Runtime:
    python: str
    protobuf: str
    grpcio: str
    types_protobuf: str
    types_grpcio: str

    @property
    def name(self) -> str:
        return f"py{self.python}-protobuf-{self.protobuf}-grpcio-{self.grpcio}"

    def pins(self) -> list[str]:
        return [
            f"protobuf=={self.protobuf}",
            f"grpcio=={self.grpcio}",
            f"types-protobuf=={self.types_protobuf}",
            f"types-grpcio=={self.types_grpcio}",
        ]


def runtime_table(project: Path = REPO_ROOT / "ss3-protos") -> list[Runtime]:
    config = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    rows = config["tool"]["hatch"]["metadata"]["hooks"]["custom"]["tested-runtimes"]
    fields = ("python", "protobuf", "grpcio", "types-protobuf", "types-grpcio")
    return [Runtime(*(str(row[name]) for name in fields)) for row in rows]


def find_python(version: str) -> Path | None:
    """An interpreter of Python `version` (3.N): this one, else `python3.N` on PATH, else pyenv's newest 3.N.x."""
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        return Path(sys.executable)
    name = f"python{version}"
    on_path = shutil.which(name)
    versions = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    installed = sorted(versions.glob(f"{version}.*/bin/{name}"), key=_patch, reverse=True)
    for candidate in ([Path(on_path)] if on_path else []) + installed:
        if _version_of(candidate) == version:  # pyenv's shims may point at nothing
            return candidate
    return None


def _patch(python: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in python.parent.parent.name.split(".") if part.isdigit())


def _version_of(python: Path) -> str | None:
    probe = "import sys; print(*sys.version_info[:2], sep='.')"
    try:
        proc = subprocess.run([str(python), "-I", "-c", probe], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def runtime_python(runtime: Runtime) -> Path:
    """The python of the runtime's venv, created and filled from the index when missing."""
    interpreter = find_python(runtime.python)
    if interpreter is None:
        raise RuntimeError(f"{runtime.name}: no Python {runtime.python} found (python{runtime.python} or pyenv)")
    version = subprocess.run(
        [str(interpreter), "-c", "import sys; print(sys.version)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    key = hashlib.sha256("\n".join([version, *runtime.pins()]).encode()).hexdigest()[:10]
    venv = CACHE / f"{runtime.name}-{key}"
    python = venv / "bin" / "python"
    # Not devservices.cache.cached_directory: a venv cannot be built aside and renamed into place
    # (its scripts and pyvenv.cfg name its own path), so READY, written last, marks it complete.
    if (venv / READY).is_file():
        return python
    shutil.rmtree(venv, ignore_errors=True)  # a half-made venv from an interrupted run
    subprocess.run([str(interpreter), "-m", "venv", str(venv)], check=True, capture_output=True)
    install = [str(python), *PIP, "install", "--quiet", "--only-binary=:all:", *runtime.pins()]
    proc = subprocess.run(install, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{runtime.name}: installing {runtime.pins()} failed: {proc.stderr.strip()[-500:]}")
    (venv / READY).write_text("\n".join(runtime.pins()) + "\n", encoding="utf-8")
    return python


def install_wheel(python: Path, wheel: Path) -> subprocess.CompletedProcess[str]:
    """Replace ss3-protos in the venv by `wheel`, offline: the installed runtime must satisfy its requirements."""
    subprocess.run([str(python), *PIP, "uninstall", "--quiet", "--yes", "ss3-protos"], capture_output=True, check=False)
    return subprocess.run(
        [str(python), *PIP, "install", "--quiet", "--no-index", f"{wheel}[grpc]"],
        capture_output=True,
        text=True,
        check=False,
    )


def pip_check(python: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), *PIP, "check"], capture_output=True, text=True, check=False)
