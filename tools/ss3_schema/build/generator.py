"""The pinned Python code generator: protoc and the gRPC plugin of an older grpcio-tools.

The generated modules decide which runtimes can import the wheel. grpcio-tools
1.63.2 bundles protoc 26.1: its `_pb2.py` files (gencode 5.26.1) carry no
runtime version check and import cleanly, without a warning, on every protobuf
from 5.26.1 through 7.x; its `_pb2_grpc.py` files accept every grpcio from
1.63.2 on. Newer generators stamp a check that refuses any runtime older than
themselves. docs/python-compatibility.md has the measurements.

That grpcio-tools requires protobuf 5, while the tool environment runs
protobuf 7 (mypy-protobuf, the gate), so it is installed apart, without its
dependencies, into `.cache/generator/` and run in a subprocess: only its
compiled protoc is used, which needs no Python protobuf at all.

Its protoc is a CPython extension with wheels for Python 3.8 to 3.12 only, so
it runs under an interpreter of its own, not necessarily the tool's: the
tool's when that one has a wheel, else $SS3_GENERATOR_PYTHON, else the newest
python3.12 ... python3.8 on PATH or in pyenv. A tool on Python 3.13 thus
generates exactly what one on 3.11 does.

`python -m ss3_schema.build.generator ARGS` is that protoc on the command line
(buf.gen.yaml names it as `protoc_path`), installing it first if needed.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ss3_schema.errors import ToolError

GRPCIO_TOOLS_VERSION = "1.63.2"
# Its compiled protoc comes as CPython wheels for these versions only.
SUPPORTED_PYTHONS = ((3, 8), (3, 12))
CACHE_ENV = "SS3_CACHE_DIR"
PYTHON_ENV = "SS3_GENERATOR_PYTHON"
_PROBE = "import sys; print(sys.implementation.name, *sys.version_info[:2], sys.implementation.cache_tag)"

# Runs the bundled protoc of the grpc_tools found in argv[1] with the remaining arguments.
_RUN_PROTOC = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from grpc_tools import _protoc_compiler; "
    "sys.exit(_protoc_compiler.run_main([b'protoc', *[a.encode() for a in sys.argv[2:]]]))"
)


@dataclass(frozen=True)
class Interpreter:
    """A CPython the generator's compiled protoc has a wheel for."""

    path: Path
    version: tuple[int, int]
    cache_tag: str


@dataclass(frozen=True)
class Generator:
    """An installed copy of the pinned grpcio-tools (its files only, no environment) and its interpreter."""

    home: Path
    python: Path

    @property
    def include(self) -> Path:
        """The well-known types (google/protobuf/*.proto) matching its protoc."""
        return self.home / "grpc_tools" / "_proto"

    def protoc(self, args: Sequence[str]) -> list[str]:
        """The command line that runs its protoc with `args`."""
        return [str(self.python), "-I", "-c", _RUN_PROTOC, str(self.home), *args]


def cache_dir() -> Path:
    """`.cache/` of the checkout that holds this tool (or $SS3_CACHE_DIR).

    One copy serves every schema tree the tool generates, the test suite's
    throw-away repositories included.
    """
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "tools" / "pyproject.toml").is_file():
        return checkout / ".cache"
    return Path.home() / ".cache" / "ss3-schema"


def ensure_generator() -> Generator:
    """The pinned generator, installed from the package index on first use."""
    python = generator_python()
    home = cache_dir() / "generator" / f"grpcio-tools-{GRPCIO_TOOLS_VERSION}-{python.cache_tag}"
    if not (home / "grpc_tools" / "__init__.py").is_file():
        _install(home, python)
    return Generator(home, python.path)


def _supported(version: tuple[int, int]) -> bool:
    low, high = SUPPORTED_PYTHONS
    return low <= version <= high


@functools.cache
def generator_python() -> Interpreter:
    """The interpreter the generator runs under (see the module's docstring), or a ToolError saying how to get one."""
    if _supported(sys.version_info[:2]) and sys.implementation.name == "cpython":
        return Interpreter(Path(sys.executable), sys.version_info[:2], sys.implementation.cache_tag or "py")
    configured = os.environ.get(PYTHON_ENV)
    if configured:
        found = _probe(Path(configured))
        if found is None or not _supported(found.version):
            raise ToolError(f"{PYTHON_ENV}={configured} is not a CPython {_range()} (the generator needs one)")
        return found
    low, high = SUPPORTED_PYTHONS
    for minor in range(high[1], low[1] - 1, -1):
        found = find_python((3, minor))
        if found is not None:
            return found
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    raise ToolError(
        f"the generator grpcio-tools=={GRPCIO_TOOLS_VERSION} has wheels for CPython {_range()} only, and none was "
        f"found next to this Python {here}: install one (python3.12 on PATH or in pyenv) or set {PYTHON_ENV}"
    )


def _range() -> str:
    low, high = SUPPORTED_PYTHONS
    return f"{low[0]}.{low[1]} to {high[0]}.{high[1]}"


def find_python(version: tuple[int, int]) -> Interpreter | None:
    """A working CPython `version`: `python3.N` on PATH, else pyenv's newest 3.N.x (its shims may not run)."""
    name = f"python{version[0]}.{version[1]}"
    on_path = shutil.which(name)
    versions = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    installed = sorted(versions.glob(f"{version[0]}.{version[1]}.*/bin/{name}"), key=_patch, reverse=True)
    for candidate in ([Path(on_path)] if on_path else []) + installed:
        found = _probe(candidate)
        if found is not None and found.version == version:
            return found
    return None


def _patch(python: Path) -> tuple[int, ...]:
    release = python.parent.parent.name
    return tuple(int(part) for part in release.split(".") if part.isdigit())


def _probe(python: Path) -> Interpreter | None:
    try:
        proc = subprocess.run(
            [str(python), "-I", "-c", _PROBE], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    fields = proc.stdout.split()
    if proc.returncode != 0 or len(fields) != 4 or fields[0] != "cpython" or not all(f.isdigit() for f in fields[1:3]):
        return None
    return Interpreter(python, (int(fields[1]), int(fields[2])), fields[3])


def _install(home: Path, python: Interpreter) -> None:
    """The wheel for `python`, installed by this interpreter's pip (the generator's Python may have none)."""
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".install-", dir=home.parent))
    try:
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        cmd += ["--no-deps", "--only-binary=:all:", "--target", str(staging)]
        cmd += ["--python-version", f"{python.version[0]}.{python.version[1]}", "--implementation", "cp"]
        cmd += [f"grpcio-tools=={GRPCIO_TOOLS_VERSION}"]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise ToolError(f"could not install the generator grpcio-tools=={GRPCIO_TOOLS_VERSION}: {detail}")
        try:
            staging.rename(home)
        except OSError:
            if not (home / "grpc_tools" / "__init__.py").is_file():
                raise  # not a concurrent install that finished first
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main() -> None:
    """protoc with the pinned generator: `python -m ss3_schema.build.generator ARGS`."""
    try:
        generator = ensure_generator()
    except ToolError as exc:
        print(f"ss3-schema: {exc}", file=sys.stderr)
        sys.exit(2)
    sys.exit(subprocess.run(generator.protoc(sys.argv[1:]), check=False).returncode)


if __name__ == "__main__":
    main()
