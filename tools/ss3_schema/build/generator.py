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

`python -m ss3_schema.build.generator ARGS` is that protoc on the command line
(buf.gen.yaml names it as `protoc_path`), installing it first if needed.
"""

from __future__ import annotations

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

# Runs the bundled protoc of the grpc_tools found in argv[1] with the remaining arguments.
_RUN_PROTOC = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from grpc_tools import _protoc_compiler; "
    "sys.exit(_protoc_compiler.run_main([b'protoc', *[a.encode() for a in sys.argv[2:]]]))"
)


@dataclass(frozen=True)
class Generator:
    """An installed copy of the pinned grpcio-tools (its files only, no environment)."""

    home: Path

    @property
    def include(self) -> Path:
        """The well-known types (google/protobuf/*.proto) matching its protoc."""
        return self.home / "grpc_tools" / "_proto"

    def protoc(self, args: Sequence[str]) -> list[str]:
        """The command line that runs its protoc with `args`."""
        return [sys.executable, "-I", "-c", _RUN_PROTOC, str(self.home), *args]


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
    tag = sys.implementation.cache_tag or "py"
    home = cache_dir() / "generator" / f"grpcio-tools-{GRPCIO_TOOLS_VERSION}-{tag}"
    if not (home / "grpc_tools" / "__init__.py").is_file():
        _install(home)
    return Generator(home)


def _install(home: Path) -> None:
    low, high = SUPPORTED_PYTHONS
    if not low <= sys.version_info[:2] <= high:
        raise ToolError(
            f"the generator grpcio-tools=={GRPCIO_TOOLS_VERSION} has wheels for Python {low[0]}.{low[1]} to "
            f"{high[0]}.{high[1]} only: recreate .venv with one of those (make venv PYTHON=python3.12)"
        )
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".install-", dir=home.parent))
    try:
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        cmd += ["--no-deps", "--only-binary=:all:", "--target", str(staging), f"grpcio-tools=={GRPCIO_TOOLS_VERSION}"]
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
