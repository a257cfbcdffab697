"""The proto text in each AsyncAPI message describes the same wire format as the real schema.

protoc compiles the self-contained text; every message in it keeps the names,
numbers, types, labels and JSON names of the message it stands for.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2
from ss3_schema.catalog.asyncapi import event_proto
from ss3_schema.catalog.model import read_catalog
from ss3_schema.schema.image import build_image
from ss3_schema.toolchain.generator import ensure_generator

from tests.catalog.hard_inputs import hard_events_proto
from tests.helpers import SchemaRepo

pytestmark = pytest.mark.interop


def _compile(text: str, tmp: Path) -> descriptor_pb2.FileDescriptorProto:
    (tmp / "event.proto").write_text(text, encoding="utf-8")
    out = tmp / "event.binpb"
    generator = ensure_generator()  # the repository's pinned protoc
    args = [f"-I{tmp}", f"-I{generator.include}", f"--descriptor_set_out={out}", "event.proto"]
    proc = subprocess.run(generator.protoc(args), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr + text
    return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file[0]


def _shape(message: descriptor_pb2.DescriptorProto) -> list[tuple[str, int, int, int, str, bool]]:
    return [(f.name, f.number, f.type, f.label, f.json_name, f.proto3_optional) for f in message.field]


@pytest.mark.parametrize("with_hard_inputs", [False, True])
def test_every_event_text_compiles_to_the_same_fields(
    schema_repo: SchemaRepo, tmp_path: Path, with_hard_inputs: bool
) -> None:
    if with_hard_inputs:
        schema_repo.write("proto/ss3/hard/v1/hard_events.proto", hard_events_proto())
    image = build_image(schema_repo.root)
    catalog = read_catalog(image, "1.0.0")
    originals = {
        f"{fd.package}.{m.name}": m for fd in image.files for m in fd.message_type if fd.package.startswith("ss3.")
    }
    for number, event in enumerate(catalog.events()):
        work = tmp_path / str(number)
        work.mkdir()
        compiled = _compile(event_proto(catalog, event), work)
        root = next(m for m in compiled.message_type if m.name == event.name)
        assert _shape(root) == _shape(originals[event.full_name]), event.full_name
