"""The pinned Python code generator: protoc and the gRPC plugin of an older grpcio-tools.

The generated modules decide which runtimes can import the wheel. grpcio-tools
1.63.2 bundles protoc 26.1: its `_pb2.py` files (gencode 5.26.1) carry no
runtime version check and import cleanly, without a warning, on every protobuf
from 5.26.1 through 7.x; its `_pb2_grpc.py` files accept every grpcio from
1.63.2 on. Newer generators stamp a check that refuses any runtime older than
themselves. docs/python-compatibility.md has the measurements.

Only its compiled protoc is used, and not through its Python binding: that
binding is a CPython extension with wheels for Python 3.8 to 3.12, while the
tool runs on 3.11 to 3.13. The CPython 3.12 wheel is installed apart, without
dependencies and only if its sha256 is one of generator.txt's, into
`.cache/generator/`, and run_protoc.py calls the protoc
entry point of its library from the tool's own interpreter, whichever that is,
in a subprocess. So every machine that runs the tool runs the same generator
and writes the same bytes, a machine with Python 3.13 alone included.

`python -m ss3_schema.toolchain.generator ARGS` is that protoc on the command line
(buf.gen.yaml names it as `protoc_path`), installing it first if needed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ss3_schema.errors import ToolError
from ss3_schema.toolchain import cache_dir

GRPCIO_TOOLS_VERSION = "1.63.2"
# The wheel whose library is loaded: every CPython wheel of a release holds the same protoc.
WHEEL_PYTHON = "3.12"
# grpc_tools::protoc_main(int argc, char** argv, char* grpc_version): what the binding's run_main calls.
PROTOC_MAIN_SYMBOL = "_ZN10grpc_tools11protoc_mainEiPPcS0_"
_RUNNER = Path(__file__).with_name("run_protoc.py")
# grpcio-tools==GRPCIO_TOOLS_VERSION with the sha256 of each of its files; `make lock` writes it.
HASHES = Path(__file__).with_name("generator.txt")
WELL_KNOWN_PREFIX = "google/protobuf/"


@dataclass(frozen=True)
class Generator:
    """An installed copy of the pinned grpcio-tools wheel (its files only, no environment)."""

    home: Path

    @property
    def include(self) -> Path:
        """The well-known types (google/protobuf/*.proto) matching its protoc."""
        return self.home / "grpc_tools" / "_proto"

    @property
    def library(self) -> Path:
        """The compiled extension that holds protoc and the gRPC Python plugin."""
        found = sorted((self.home / "grpc_tools").glob("_protoc_compiler.*.so"))
        if not found:
            raise ToolError(f"grpcio-tools=={GRPCIO_TOOLS_VERSION} has no shared library (.so) for this platform")
        return found[0]

    def protoc(self, args: Sequence[str]) -> list[str]:
        """The command line that runs its protoc with `args`, under the tool's interpreter."""
        library = str(self.library)
        return [sys.executable, "-I", str(_RUNNER), library, PROTOC_MAIN_SYMBOL, GRPCIO_TOOLS_VERSION, *args]


def ensure_generator() -> Generator:
    """The pinned generator, installed from the package index on first use."""
    home = cache_dir() / "generator" / f"grpcio-tools-{GRPCIO_TOOLS_VERSION}-cp{WHEEL_PYTHON.replace('.', '')}"
    if not (home / "grpc_tools" / "__init__.py").is_file():
        _install(home)
    return Generator(home)


def well_known_proto(name: str) -> bytes | None:
    """The text of a `google/protobuf/*.proto` file as the pinned protoc compiles it; None if it ships none.

    Registration and the catalog's BI bundle hand these texts on with the
    schemas that import them, so a reader compiles what the producers did.
    """
    if not name.startswith(WELL_KNOWN_PREFIX) or ".." in name.split("/"):
        return None  # names come from compiled images; still, nothing outside the include folder
    source = ensure_generator().include / name
    return source.read_bytes() if source.is_file() else None


def _install(home: Path) -> None:
    """The CPython 3.12 wheel for this platform, unpacked into `home` by this interpreter's pip."""
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".install-", dir=home.parent))
    try:
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        cmd += ["--no-deps", "--only-binary=:all:", "--target", str(staging)]
        cmd += ["--python-version", WHEEL_PYTHON, "--implementation", "cp"]
        cmd += ["--require-hashes", "-r", str(HASHES)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise ToolError(f"could not install the generator grpcio-tools=={GRPCIO_TOOLS_VERSION}: {_why(proc)}")
        try:
            staging.rename(home)
        except OSError:
            if not (home / "grpc_tools" / "__init__.py").is_file():
                raise  # not a concurrent install that finished first
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _why(proc: subprocess.CompletedProcess[str]) -> str:
    if "DO NOT MATCH THE HASHES" in proc.stderr:
        return f"the downloaded file matches no sha256 in {HASHES.name}; refused"
    return (proc.stderr.strip().splitlines() or ["no output"])[-1]


def main() -> None:
    """protoc with the pinned generator: `python -m ss3_schema.toolchain.generator ARGS`."""
    try:
        command = ensure_generator().protoc(sys.argv[1:])
    except ToolError as exc:
        print(f"ss3-schema: {exc}", file=sys.stderr)
        sys.exit(2)
    sys.exit(subprocess.run(command, check=False).returncode)


if __name__ == "__main__":
    main()
