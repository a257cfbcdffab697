"""`dist/catalog/bi/<topic>/`: the descriptor set, the ClickHouse bundle and a README per topic.

Built from one descriptor set of the whole tree (buf's, imports included), so
what an engine reads is what producers compiled; the `.proto` texts come from
the tree (own files) and from the pinned generator's well-known types.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2

from ss3_schema.catalog.bi.clickhouse import render_sql, top_file
from ss3_schema.catalog.bi.columns import Types
from ss3_schema.catalog.bi.readme import render_readme
from ss3_schema.catalog.bi.record import TopicRecord, topic_records
from ss3_schema.errors import ToolError
from ss3_schema.schema.image import CompileFailed
from ss3_schema.toolchain import BUF_VIOLATIONS_EXIT, parse_buf_json, run_buf
from ss3_schema.toolchain.generator import ensure_generator
from ss3_schema.workspace import Workspace

BI_DIR = "bi"
DESCRIPTOR_SET = "descriptor_set.binpb"
CLICKHOUSE_DIR = "clickhouse"
CLICKHOUSE_SQL = "clickhouse.sql"
README = "README.md"


@dataclass(frozen=True)
class Compiled:
    """The tree's FileDescriptorSet (imports first, as buf orders them) and which files are its own."""

    files: list[descriptor_pb2.FileDescriptorProto]
    own: frozenset[str]


def compile_tree(ws: Workspace) -> Compiled:
    """buf's plain FileDescriptorSet of the tree, imports included (no buf image extensions)."""
    with tempfile.TemporaryDirectory(prefix="ss3-bi-") as tmp:
        target = Path(tmp) / "tree.binpb"
        args = ["build", "--as-file-descriptor-set", "--error-format", "json", "-o", str(target)]
        proc = run_buf(args, cwd=ws.root)
        if proc.returncode == BUF_VIOLATIONS_EXIT:
            raise CompileFailed(parse_buf_json(proc.stdout + "\n" + proc.stderr))
        if proc.returncode != 0:
            raise ToolError(f"buf build failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
        fds = descriptor_pb2.FileDescriptorSet.FromString(target.read_bytes())
    own = frozenset(p.relative_to(ws.proto_dir).as_posix() for p in ws.proto_dir.rglob("*.proto"))
    return Compiled(list(fds.file), own)


def write_bi(ws: Workspace, compiled: Compiled, target: Path, version: str) -> list[TopicRecord]:
    """Write one folder per topic with a record type under `target`; the topics written."""
    records = topic_records(compiled.files, compiled.own)
    types = Types.of(compiled.files)
    by_name = {fd.name: fd for fd in compiled.files}
    for record in records:
        folder = target / record.topic
        folder.mkdir()
        closure = dependency_closure(by_name, record.file)
        fds = descriptor_pb2.FileDescriptorSet(file=[by_name[name] for name in closure])
        (folder / DESCRIPTOR_SET).write_bytes(fds.SerializeToString(deterministic=True))
        _write_schema_files(ws, folder / CLICKHOUSE_DIR, record, closure)
        (folder / CLICKHOUSE_SQL).write_text(render_sql(types, record, version), encoding="utf-8")
        (folder / README).write_text(render_readme(record, version), encoding="utf-8")
    return records


def dependency_closure(files: dict[str, descriptor_pb2.FileDescriptorProto], name: str) -> list[str]:
    """`name` and every file it imports, transitively; each file after its imports."""
    ordered: list[str] = []
    seen: set[str] = set()

    def visit(current: str) -> None:
        if current in seen:
            return
        seen.add(current)
        for dependency in files[current].dependency:
            visit(dependency)
        ordered.append(current)

    visit(name)
    return ordered


def _write_schema_files(ws: Workspace, folder: Path, record: TopicRecord, closure: list[str]) -> None:
    include = ensure_generator().include
    for name in closure:
        if name == record.file:
            continue  # it goes to the root (below); a second copy would define every type twice
        source = ws.proto_dir / name if not name.startswith("google/") else include / name
        if not source.is_file():
            raise ToolError(f"{name}: imported by {record.file} but not found for the ClickHouse bundle")
        destination = folder / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
    # The file format_schema names, at the root: ClickHouse resolves its imports from its own folder.
    shutil.copyfile(ws.proto_dir / record.file, folder / top_file(record))
