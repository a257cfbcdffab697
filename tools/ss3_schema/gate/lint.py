"""Stage: buf lint (STANDARD + COMMENTS, configured in buf.yaml)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ss3_schema.gate.bufconfig import image_config
from ss3_schema.gate.limits import check_limits
from ss3_schema.report import Violation
from ss3_schema.schema.image import CompileFailed, build_image
from ss3_schema.toolchain import parse_buf_json, run_buf
from ss3_schema.workspace import PROTO_DIR, Workspace


def lint(ws: Workspace) -> list[Violation]:
    """Lint the working tree as `check` does: buf's rules, then the limits of what later stages carry."""
    with tempfile.TemporaryDirectory(prefix="ss3-lint-") as tmp:
        image_file = Path(tmp) / "current.binpb"
        try:
            image = build_image(ws.root, image_file)
        except CompileFailed as failed:
            return failed.violations
        return lint_image(ws, image_file, ws.root) + check_limits(image)


def lint_image(ws: Workspace, image_file: Path, rules_root: Path) -> list[Violation]:
    """Lint an already compiled image of the working tree, with the lint rules of rules_root/buf.yaml."""
    args = ["lint", str(image_file), "--config", image_config(rules_root), "--error-format", "json"]
    proc = run_buf(args, cwd=ws.root)
    return parse_buf_json(proc.stdout + "\n" + proc.stderr, path_prefix=f"{PROTO_DIR}/")
