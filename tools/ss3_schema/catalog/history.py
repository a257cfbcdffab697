""" "Added in vX.Y.Z": the first release tag whose compiled schema has an element.

Each `vX.Y.Z` tag that is an ancestor of HEAD is exported and compiled once
(in parallel; buf runs as a subprocess); an element's release is the lowest
tag that contains it. Elements are keyed by full name, so a field is
`<message full name>.<field name>` and an enum value `<enum full name>.<VALUE>`.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from google.protobuf import descriptor_pb2

from ss3_schema import console
from ss3_schema.catalog.model import Catalog, Enum, Message
from ss3_schema.errors import ToolError
from ss3_schema.schema import refs
from ss3_schema.schema.elements import file_elements
from ss3_schema.schema.image import CompileFailed, cached_image
from ss3_schema.schema.refs import ReleaseTag, last_release, release_tags
from ss3_schema.toolchain import run_git
from ss3_schema.workspace import PROTO_DIR, Workspace

JOBS = 2


def released_tags(ws: Workspace) -> list[ReleaseTag]:
    """Release tags reachable from HEAD, lowest version first; none outside a git checkout or in a shallow clone.

    The catalog only reads the clone it is given: it never fetches. A shallow
    clone may lack older releases, so "added in" would be wrong; it is left out.
    """
    if run_git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], ws.root, check=False).returncode != 0:
        return []
    if refs.is_shallow(ws.root):
        console.warn('shallow clone: the catalog leaves out "added in" (clone with full history to get it)')
        return []
    tags = release_tags(ws)
    reachable = [t for t in tags if last_release(ws, [t]) is not None]
    return sorted(reachable, key=lambda t: t.version)


def first_releases(ws: Workspace, tags: list[ReleaseTag]) -> dict[str, str]:
    """Element full name -> the first tag (e.g. v1.2.0) whose schema declares it."""
    with ThreadPoolExecutor(max_workers=JOBS, thread_name_prefix="ss3-catalog-tag") as pool:
        names_per_tag = list(pool.map(lambda tag: _names_at(ws, tag), tags))
    first: dict[str, str] = {}
    for tag, names in zip(tags, names_per_tag, strict=True):
        for name in names:
            first.setdefault(name, tag.name)
    return first


def _names_at(ws: Workspace, tag: ReleaseTag) -> set[str]:
    with tempfile.TemporaryDirectory(prefix="ss3-catalog-tag-") as tmp:
        tree = Path(tmp) / "tree"
        exported = refs.export_tree(ws.root, tag.commit, ["buf.yaml", PROTO_DIR], tree)
        if exported is None:
            return set()
        try:
            # A release never changes: its image is compiled once, whichever catalog build reads it.
            image = cached_image(tree, Path(tmp) / "image.binpb", inputs=exported)
        except CompileFailed as failed:
            raise ToolError(f"release {tag.name} does not compile: {failed}") from None
    return set(element_names(image.own_files()))


CATALOGUED = ("message", "field", "enum", "enum value")


def element_names(files: Iterable[descriptor_pb2.FileDescriptorProto]) -> Iterator[str]:
    """Full names of what the catalog stamps: messages, fields, enums and enum values (named under their enum)."""
    for fd in files:
        yield from (element.name for element in file_elements(fd) if element.kind in CATALOGUED)


def stamp(catalog: Catalog, first: dict[str, str]) -> Catalog:
    """The catalog with `added_in` set on every message, field, enum and enum value (None: unreleased)."""
    catalog.messages = {name: _stamp_message(m, first) for name, m in catalog.messages.items()}
    catalog.enums = {name: _stamp_enum(e, first) for name, e in catalog.enums.items()}
    return catalog


def _stamp_message(message: Message, first: dict[str, str]) -> Message:
    fields = tuple(dataclasses.replace(f, added_in=first.get(f"{message.full_name}.{f.name}")) for f in message.fields)
    return dataclasses.replace(message, fields=fields, added_in=first.get(message.full_name))


def _stamp_enum(enum: Enum, first: dict[str, str]) -> Enum:
    values = tuple(dataclasses.replace(v, added_in=first.get(f"{enum.full_name}.{v.name}")) for v in enum.values)
    return dataclasses.replace(enum, values=values, added_in=first.get(enum.full_name))
