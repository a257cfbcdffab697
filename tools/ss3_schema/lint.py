"""Stage: buf lint (STANDARD + COMMENTS, configured in buf.yaml)."""

from __future__ import annotations

from ss3_schema.report import Violation
from ss3_schema.toolchain import parse_buf_json, run_buf
from ss3_schema.workspace import Workspace


def lint(ws: Workspace) -> list[Violation]:
    proc = run_buf(["lint", "--error-format", "json"], cwd=ws.root)
    return parse_buf_json(proc.stdout + "\n" + proc.stderr)
