"""Stage: buf lint (STANDARD + COMMENTS, configured in buf.yaml)."""

from __future__ import annotations

from pathlib import Path

from ss3_schema.gate.bufconfig import image_config
from ss3_schema.report import Violation
from ss3_schema.toolchain import parse_buf_json, run_buf
from ss3_schema.workspace import PROTO_DIR, Workspace


def lint(ws: Workspace) -> list[Violation]:
    """Lint the working tree as buf sees it (compiles it)."""
    proc = run_buf(["lint", "--error-format", "json"], cwd=ws.root)
    return parse_buf_json(proc.stdout + "\n" + proc.stderr)


def lint_image(ws: Workspace, image_file: Path, rules_root: Path) -> list[Violation]:
    """Lint an already compiled image of the working tree, with the lint rules of rules_root/buf.yaml."""
    args = ["lint", str(image_file), "--config", image_config(rules_root), "--error-format", "json"]
    proc = run_buf(args, cwd=ws.root)
    return parse_buf_json(proc.stdout + "\n" + proc.stderr, path_prefix=f"{PROTO_DIR}/")
