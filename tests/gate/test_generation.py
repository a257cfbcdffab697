"""`ss3-schema gen` and buf.gen.yaml describe the same generation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import SchemaRepo, run_cli

BIN = Path(sys.executable).parent


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
    # differently (e.g. json_name), so only their presence is compared.
    for name in theirs:
        if not name.endswith("_pb2.py"):
            assert theirs[name] == ours[name], name
