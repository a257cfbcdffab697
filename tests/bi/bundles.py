"""A BI bundle as the tests use it: its record type, typed tables and message classes, read from its own files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message
from ss3_schema.catalog.bi.bundle import DESCRIPTOR_SET
from ss3_schema.catalog.bi.clickhouse import Table, event_tables
from ss3_schema.catalog.bi.columns import Types
from ss3_schema.catalog.bi.record import TopicRecord, topic_records


@dataclass(frozen=True)
class Bundle:
    folder: Path
    record: TopicRecord
    tables: tuple[Table, ...]
    pool: descriptor_pool.DescriptorPool

    def message_class(self, full_name: str) -> type[Message]:
        return message_factory.GetMessageClass(self.pool.FindMessageTypeByName(full_name))

    def table_of(self, event: str) -> Table:
        return next(table for table in self.tables if table.member.event == event)


def load_bundle(folder: Path) -> Bundle:
    """The bundle in `folder`, from its descriptor set alone (a fresh pool: it must be self-contained)."""
    fds = descriptor_pb2.FileDescriptorSet.FromString((folder / DESCRIPTOR_SET).read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    files = list(fds.file)
    (record,) = topic_records(files, frozenset(fd.name for fd in files))
    return Bundle(folder, record, tuple(event_tables(Types.of(files), record)), pool)


def load_bundles(bi_dir: Path) -> dict[str, Bundle]:
    return {folder.name: load_bundle(folder) for folder in sorted(bi_dir.iterdir())}
