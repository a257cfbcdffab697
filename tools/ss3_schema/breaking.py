"""Stage: buf breaking (FILE rules) against the merge-base of REF and HEAD."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ss3_schema import gitrefs
from ss3_schema.images import Image, build_image
from ss3_schema.report import Violation
from ss3_schema.toolchain import parse_buf_json, run_buf
from ss3_schema.workspace import PROTO_DIR, Workspace

_DELETED_FILE = re.compile(r'Previously present file "([^"]+)" was deleted')


@dataclass(frozen=True)
class Base:
    """The compiled schema at the merge-base; `image` is None when it had no schema yet."""

    commit: str
    image: Image | None
    image_file: Path | None


@contextmanager
def prepared_base(ws: Workspace, ref: str) -> Iterator[Base]:
    """Export and compile the tree at merge-base(REF, HEAD) into a temporary directory."""
    commit = gitrefs.merge_base(ws.root, ref)
    with tempfile.TemporaryDirectory(prefix="ss3-base-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        if not gitrefs.export_tree(ws.root, commit, ["buf.yaml", PROTO_DIR], tree):
            yield Base(commit, None, None)
            return
        image_file = Path(tmp) / "base.binpb"
        image = build_image(tree, image_file, path_prefix=f"{PROTO_DIR}/")
        yield Base(commit, image, image_file)


def breaking_against_image(ws: Workspace, base: Base) -> list[Violation]:
    """buf breaking of the working tree against the base image; none when there is no base."""
    if base.image_file is None:
        return []
    args = ["breaking", "--against", str(base.image_file), "--exclude-imports", "--error-format", "json"]
    proc = run_buf(args, cwd=ws.root)
    return [_locate_file_level(v) for v in parse_buf_json(proc.stdout + "\n" + proc.stderr)]


def _locate_file_level(v: Violation) -> Violation:
    # buf omits the path of file-level findings (a deleted file): name the file itself.
    match = _DELETED_FILE.search(v.message)
    if v.file == "<input>" and match:
        return Violation(f"{PROTO_DIR}/{match.group(1)}", 1, 1, v.rule, v.message)
    return v


def breaking(ws: Workspace, ref: str) -> list[Violation]:
    with prepared_base(ws, ref) as base:
        return breaking_against_image(ws, base)
