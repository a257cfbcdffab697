"""`ss3-schema gen` and buf.gen.yaml describe the same generation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ss3_schema.build import generator
from ss3_schema.errors import ToolError

from tests.helpers import SchemaRepo, diagnostics, run_cli
from tests.package.runtimes import runtime_table

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


def test_a_tool_python_without_generator_wheels_and_no_other_python_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # As on a machine with Python 3.13 alone: no interpreter the pinned generator has wheels for.
    monkeypatch.setattr(generator, "SUPPORTED_PYTHONS", ((3, 8), (3, 9)))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.delenv(generator.PYTHON_ENV, raising=False)
    generator.generator_python.cache_clear()
    try:
        with pytest.raises(ToolError) as error:
            generator.ensure_generator()
    finally:
        generator.generator_python.cache_clear()
    assert "has wheels for CPython 3.8 to 3.9 only, and none was found" in str(error.value)
    assert f"or set {generator.PYTHON_ENV}" in str(error.value)


def test_the_generator_python_named_in_the_environment_must_be_one_it_has_wheels_for(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(generator, "SUPPORTED_PYTHONS", ((3, 8), (3, 9)))
    monkeypatch.setenv(generator.PYTHON_ENV, sys.executable)
    generator.generator_python.cache_clear()
    try:
        with pytest.raises(ToolError) as error:
            generator.generator_python()
    finally:
        generator.generator_python.cache_clear()
    expected = f"{generator.PYTHON_ENV}={sys.executable} is not a CPython 3.8 to 3.9 (the generator needs one)"
    assert str(error.value) == expected
