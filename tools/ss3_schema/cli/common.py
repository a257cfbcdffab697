"""What the click adapters share: finding the workspace and rendering findings.

Results (findings, summary, the json document) go to stdout; notices and
errors go to stderr. In the github format notices are workflow commands,
which the runner reads from stdout.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from ss3_schema import console, report
from ss3_schema.errors import EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS, Ss3SchemaError
from ss3_schema.gate import bufconfig
from ss3_schema.report import Violation, render, summarize
from ss3_schema.workspace import Workspace, find_workspace


def workspace(root: Path | None) -> Workspace:
    """The checkout of every schema command: buf.yaml and the schema set checked before any stage reads them."""
    ws = find_workspace(root)
    bufconfig.validate(ws.root)
    ws.proto_files()  # refuses a symbolic link under proto/ before buf or any stage sees it
    return ws


def emit(
    violations: list[Violation],
    fmt: str,
    what: str,
    notices: Sequence[str] = (),
    *,
    base: str | None = None,
    failure: Ss3SchemaError | None = None,
) -> int:
    """Print a verdict; with `failure` (a part that could not run), report it too.

    Exit code: 1 when anything was found (even with a failed part: the change
    is refused either way), else 2 when a part failed, else 0.
    """
    all_notices = list(notices)
    if failure is not None:
        all_notices.append(f"incomplete verdict: {failure}")
    if fmt != "json":
        for notice in all_notices:
            if fmt == "github":
                click.echo(report.notice(notice))
            else:
                console.note(notice)
    summary = summarize(violations, what) + (" (incomplete)" if failure is not None else "")
    click.echo(render(violations, fmt, summary=summary, notices=all_notices, base=base))
    if failure is not None:
        console.error(str(failure))
    if violations:
        return EXIT_VIOLATIONS
    return EXIT_ERROR if failure is not None else EXIT_OK
