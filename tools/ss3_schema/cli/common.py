"""What the click adapters share: finding the workspace and rendering findings."""

from __future__ import annotations

from pathlib import Path

import click

from ss3_schema.errors import EXIT_OK, EXIT_VIOLATIONS
from ss3_schema.gate import bufconfig
from ss3_schema.report import Violation, render, summarize
from ss3_schema.workspace import Workspace, find_workspace


def workspace(root: Path | None) -> Workspace:
    """The checkout, with its buf.yaml checked before any stage hands it to buf."""
    ws = find_workspace(root)
    bufconfig.validate(ws)
    return ws


def emit(violations: list[Violation], fmt: str, what: str, notices: list[str] | None = None) -> int:
    for notice in notices or []:
        click.echo(f"::notice::{notice}" if fmt == "github" else f"note: {notice}", err=fmt != "github")
    click.echo(render(violations, fmt, summary=summarize(violations, what)))
    return EXIT_VIOLATIONS if violations else EXIT_OK
