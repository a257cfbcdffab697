"""`ss3-schema gen` and buf.gen.yaml describe the same generation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ss3_schema.errors import ToolError
from ss3_schema.toolchain import generator

from tests.helpers import REPO_ROOT, SchemaRepo, diagnostics, run_cli, server_unavailable
from tests.package.runtimes import find_python, runtime_table
from tests.wheels import make_wheel

BIN = Path(sys.executable).parent
# The pinned generator writes code for the oldest tested protobuf.
GENCODE = runtime_table()[0].protobuf


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _beyond_protoc(name: str) -> bool:
    """What `ss3-schema gen` adds to the plugins' output: the topics module and the Kafka runtime."""
    return name == "ss3/topics.py" or name.startswith("ss3/kafka/")


def test_buf_generate_with_buf_gen_yaml_matches_ss3_schema_gen(schema_repo: SchemaRepo, tmp_path: Path) -> None:
    assert run_cli("gen", cwd=schema_repo.root).returncode == 0
    ours = {
        name: data
        for name, data in _files(schema_repo.root / "ss3-protos" / "src").items()
        if name.endswith((".py", ".pyi")) and not name.endswith("__init__.py") and not _beyond_protoc(name)
    }
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "buf-out"
    subprocess.run([str(BIN / "buf"), "generate", "--output", str(out)], cwd=schema_repo.root, env=env, check=True)
    theirs = _files(out / "ss3-protos" / "src")
    assert sorted(theirs) == sorted(ours)
    # Stubs and gRPC modules are byte-identical. The _pb2.py files embed the
    # serialized descriptor, which buf's compiler and protoc fill slightly
    # differently (e.g. json_name), so for them only the generator is compared:
    # both come from the pinned one (its gencode version decides the runtimes).
    for name in theirs:
        if name.endswith("_pb2.py"):
            assert _gencode(theirs[name]) == _gencode(ours[name]) == f"# Protobuf Python Version: {GENCODE}", name
        else:
            assert theirs[name] == ours[name], name


def _gencode(module: bytes) -> str:
    return next(line for line in module.decode().splitlines() if line.startswith("# Protobuf Python Version:"))


def test_gen_without_a_reachable_generator_is_one_line_and_writes_nothing(
    schema_repo: SchemaRepo, tmp_path: Path
) -> None:
    # An empty generator cache and no package index: the pinned generator cannot be installed.
    env = {"SS3_CACHE_DIR": str(tmp_path / "empty-cache"), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": ""}
    proc = run_cli("gen", cwd=schema_repo.root, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    [line] = diagnostics(proc.stderr)
    assert line.startswith("error: could not install the generator grpcio-tools==")
    assert not (schema_repo.root / "ss3-protos" / "src" / "ss3").exists()
    assert not list((tmp_path / "empty-cache" / "generator").glob("*"))  # no half-installed generator


def test_a_generator_file_that_matches_no_pinned_hash_is_refused(schema_repo: SchemaRepo, tmp_path: Path) -> None:
    # What a tampered index or mirror would serve: the pinned name and version, other bytes.
    links = tmp_path / "links"
    make_wheel(links, name="grpcio_tools", version=generator.GRPCIO_TOOLS_VERSION)
    env = {"SS3_CACHE_DIR": str(tmp_path / "cache"), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(links)}

    proc = run_cli("gen", cwd=schema_repo.root, env=env)

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert diagnostics(proc.stderr) == [
        f"error: could not install the generator grpcio-tools=={generator.GRPCIO_TOOLS_VERSION}: "
        "the downloaded file matches no sha256 in generator.txt; refused"
    ]
    assert not (schema_repo.root / "ss3-protos" / "src" / "ss3").exists()
    assert not list((tmp_path / "cache" / "generator").glob("*"))


def test_the_generator_hashes_pin_the_version_the_tool_names() -> None:
    lines = generator.HASHES.read_text(encoding="utf-8").splitlines()
    pins = [line.split()[0] for line in lines if line and not line[0].isspace() and not line.startswith("#")]
    hashes = [line for line in lines if line.strip().startswith("--hash=sha256:")]
    assert pins == [f"grpcio-tools=={generator.GRPCIO_TOOLS_VERSION}"]
    assert len(hashes) >= 2  # a wheel per platform
    source = (REPO_ROOT / "requirements" / "generator.in").read_text(encoding="utf-8")
    assert f"grpcio-tools=={generator.GRPCIO_TOOLS_VERSION}" in source.splitlines()


def test_the_generator_writes_what_grpc_tools_own_binding_writes(tmp_path: Path) -> None:
    # The tool calls protoc's entry point in the wheel's library (generator.py);
    # grpcio-tools' Python binding, run under the Python it was built for, must
    # write the very same bytes, gRPC modules (with their grpcio version) included.
    python = find_python(generator.WHEEL_PYTHON)
    if python is None:
        server_unavailable(f"no Python {generator.WHEEL_PYTHON} on this machine (python3.N on PATH or in pyenv)")
    installed = generator.ensure_generator()
    proto = REPO_ROOT / "proto"
    files = sorted(p.relative_to(proto).as_posix() for p in proto.rglob("*.proto"))
    outputs = {}
    for way, command in {
        "library": installed.protoc,
        "binding": lambda args: [str(python), "-I", "-c", _BINDING, str(installed.home), *args],
    }.items():
        out = tmp_path / way
        out.mkdir()
        args = [f"-I{proto}", f"-I{installed.include}", f"--python_out={out}", f"--grpc_python_out={out}"]
        subprocess.run(command([*args, *files]), check=True, capture_output=True)
        outputs[way] = _files(out)
    assert len(outputs["library"]) == 2 * len(files)
    assert outputs["library"] == outputs["binding"]


# grpcio-tools' documented way: its extension imported, run_main called.
_BINDING = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from grpc_tools import _protoc_compiler; "
    "sys.exit(_protoc_compiler.run_main([b'protoc', *[a.encode() for a in sys.argv[2:]]]))"
)


def test_a_generator_library_that_is_missing_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "grpc_tools").mkdir()
    with pytest.raises(ToolError) as error:
        generator.Generator(tmp_path).protoc(["--version"])
    assert str(error.value) == (
        f"grpcio-tools=={generator.GRPCIO_TOOLS_VERSION} has no shared library (.so) for this platform"
    )
