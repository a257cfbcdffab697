"""Stage: what breaks compatibility against the merge-base of REF and HEAD.

"Breaking" means one thing everywhere (`breaking`, `check`, `version`): buf's
FILE rules plus the event rules buf cannot check (a published event keeps its
topic and stays an event). The rules come from the base's buf.yaml, never
from the change being judged (see guard.py).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ss3_schema.errors import ToolError
from ss3_schema.gate import events
from ss3_schema.gate.bufconfig import image_config
from ss3_schema.report import Violation
from ss3_schema.schema import refs
from ss3_schema.schema.image import CompileFailed, Image, build_image, cached_image
from ss3_schema.toolchain import parse_buf_json, run_buf
from ss3_schema.workspace import PROTO_DIR, Workspace

_DELETED_FILE = re.compile(r'Previously present file "([^"]+)" was deleted')


@dataclass(frozen=True)
class Base:
    """The compiled schema at the merge-base; `image` is None when it had no schema yet.

    `tree` holds the base's buf.yaml and proto/ (None when it had neither).
    """

    commit: str
    image: Image | None
    image_file: Path | None
    tree: Path | None = None

    def rules_root(self, ws: Workspace) -> Path:
        """Where the buf.yaml that judges the change lives: the base's, or the tree's for a first schema."""
        if self.tree is not None and (self.tree / "buf.yaml").is_file():
            return self.tree
        return ws.root


@dataclass
class GateResult:
    """A verdict: findings, notices for the author, and the base commit it was judged against."""

    violations: list[Violation]
    notices: list[str] = field(default_factory=list)
    base_commit: str | None = None


@contextmanager
def prepared_base(ws: Workspace, ref: str) -> Iterator[Base]:
    """Export and compile the tree at merge-base(REF, HEAD) into a temporary directory."""
    commit = refs.merge_base(ws.root, ref)
    with tempfile.TemporaryDirectory(prefix="ss3-base-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        exported = refs.export_tree(ws.root, commit, ["buf.yaml", PROTO_DIR], tree)
        if exported is None:
            yield Base(commit, None, None)
            return
        if not (tree / PROTO_DIR).is_dir():
            yield Base(commit, None, None, tree)
            return
        image_file = Path(tmp) / "base.binpb"
        try:
            # Most checks judge against the same few bases (main, a release): compile each once.
            image = cached_image(tree, image_file, inputs=exported, path_prefix=f"{PROTO_DIR}/")
        except CompileFailed as failed:
            raise ToolError(f"the base {commit[:12]} does not compile: {failed}") from None
        yield Base(commit, image, image_file, tree)


def breaking_images(ws: Workspace, current_file: Path, base: Base) -> list[Violation]:
    """buf breaking of the compiled working tree against the compiled base; none without a base."""
    if base.image_file is None:
        return []
    config = image_config(base.rules_root(ws))
    args = ["breaking", str(current_file), "--against", str(base.image_file), "--config", config]
    proc = run_buf([*args, "--exclude-imports", "--error-format", "json"], cwd=ws.root)
    found = parse_buf_json(proc.stdout + "\n" + proc.stderr, path_prefix=f"{PROTO_DIR}/")
    return [_locate_file_level(v) for v in found]


def _locate_file_level(v: Violation) -> Violation:
    # buf omits the path of file-level findings (a deleted file): name the file itself.
    match = _DELETED_FILE.search(v.message)
    if v.file == "<input>" and match:
        return Violation(f"{PROTO_DIR}/{match.group(1)}", 1, 1, v.rule, v.message)
    return v


@dataclass(frozen=True)
class Comparison:
    """The compiled working tree (also kept as an image file for buf) and the compiled base."""

    current: Image
    current_file: Path
    base: Base


@contextmanager
def compared(ws: Workspace, ref: str) -> Iterator[Comparison]:
    """Compile the working tree and merge-base(REF, HEAD) in parallel.

    Raises CompileFailed when the working tree does not compile.
    """
    with tempfile.TemporaryDirectory(prefix="ss3-current-") as tmp, ThreadPoolExecutor(max_workers=1) as pool:
        current_file = Path(tmp) / "current.binpb"
        current_job = pool.submit(build_image, ws.root, current_file)
        with prepared_base(ws, ref) as base:
            yield Comparison(current_job.result(), current_file, base)


def incompatibilities(ws: Workspace, comparison: Comparison) -> list[Violation]:
    """What breaks FULL compatibility: buf's FILE rules, plus the event rules buf cannot check."""
    found = breaking_images(ws, comparison.current_file, comparison.base)
    if comparison.base.image is not None:
        found += events.check_changes(comparison.base.image, comparison.current)
    return found


def breaking(ws: Workspace, ref: str) -> GateResult:
    """What breaks compatibility, the working tree against merge-base(REF, HEAD); the same as in `check`."""
    try:
        with compared(ws, ref) as comparison:
            found = sorted(set(incompatibilities(ws, comparison)))
            return GateResult(found, [base_notice(comparison.base, ref)], comparison.base.commit)
    except CompileFailed as failed:
        return GateResult(failed.violations)


def base_notice(base: Base, ref: str) -> str:
    return f"compared against {base.commit[:12]} (merge-base of {ref} and HEAD)"
