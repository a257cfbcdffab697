"""`dist/catalog/bi/<topic>/`: the descriptor set, the ClickHouse bundle and a README per topic.

Built from one descriptor set of the whole tree (buf's, imports included), so
what an engine reads is what producers compiled; the `.proto` texts come from
the tree (own files) and from the pinned generator's well-known types.
"""

from __future__ import annotations

from pathlib import Path

from google.protobuf import descriptor_pb2

from ss3_schema.catalog.bi.clickhouse import render_sql, top_file
from ss3_schema.catalog.bi.columns import Types
from ss3_schema.catalog.bi.readme import render_readme
from ss3_schema.catalog.bi.record import TopicRecord, topic_records
from ss3_schema.errors import ToolError
from ss3_schema.schema.image import Image
from ss3_schema.toolchain.generator import well_known_proto
from ss3_schema.workspace import Workspace

BI_DIR = "bi"
DESCRIPTOR_SET = "descriptor_set.binpb"
CLICKHOUSE_DIR = "clickhouse"
CLICKHOUSE_SQL = "clickhouse.sql"
README = "README.md"


def write_bi(ws: Workspace, image: Image, target: Path, version: str) -> list[TopicRecord]:
    """Write one folder per topic with a record type under `target`; the topics written.

    `image` is plain (build_image(plain=True)): its files go out as they are.
    """
    files = list(image.files)
    records = topic_records(files, image.own)
    types = Types.of(files)
    by_name = {fd.name: fd for fd in files}
    texts = SchemaTexts(ws.proto_dir)
    for record in records:
        folder = target / record.topic
        folder.mkdir()
        closure = dependency_closure(by_name, record.file)
        fds = descriptor_pb2.FileDescriptorSet(file=[by_name[name] for name in closure])
        (folder / DESCRIPTOR_SET).write_bytes(fds.SerializeToString(deterministic=True))
        _write_schema_files(texts, folder / CLICKHOUSE_DIR, record, closure)
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


class SchemaTexts:
    """The `.proto` text of each file a bundle holds, read once however many topics import it."""

    def __init__(self, proto_dir: Path) -> None:
        self._proto_dir = proto_dir
        self._texts: dict[str, bytes] = {}

    def text(self, name: str, imported_by: str) -> bytes:
        if name not in self._texts:
            self._texts[name] = self._read(name, imported_by)
        return self._texts[name]

    def _read(self, name: str, imported_by: str) -> bytes:
        source = self._proto_dir / name
        text = source.read_bytes() if source.is_file() else well_known_proto(name)
        if text is None:
            raise ToolError(f"{name}: imported by {imported_by} but not found for the ClickHouse bundle")
        return text


def _write_schema_files(texts: SchemaTexts, folder: Path, record: TopicRecord, closure: list[str]) -> None:
    imports = [name for name in closure if name != record.file]  # the record's file goes to the root (below)
    for directory in sorted({(folder / name).parent for name in imports} | {folder}):
        directory.mkdir(parents=True, exist_ok=True)
    for name in imports:
        (folder / name).write_bytes(texts.text(name, record.file))
    # The file format_schema names, at the root: ClickHouse resolves its imports from its own folder;
    # a second copy under its own path would define every type twice.
    (folder / top_file(record)).write_bytes(texts.text(record.file, record.file))
