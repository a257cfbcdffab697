"""Click adapters of the gate commands: lint, breaking, check."""

from __future__ import annotations

from pathlib import Path

import click

from ss3_schema.cli import options
from ss3_schema.cli.common import emit, workspace
from ss3_schema.gate.breaking import breaking as run_breaking
from ss3_schema.gate.check import check as run_check
from ss3_schema.gate.lint import lint as run_lint


@click.command()
@options.root
@options.output_format
def lint(root: Path | None, fmt: str) -> int:
    """Lint the schemas (buf STANDARD + COMMENTS rules)."""
    return emit(run_lint(workspace(root)), fmt, "lint")


@click.command()
@options.root
@options.against
@options.output_format
def breaking(root: Path | None, ref: str, fmt: str) -> int:
    """Report changes that break FULL compatibility (buf FILE rules)."""
    return emit(run_breaking(workspace(root), ref), fmt, "breaking")


@click.command()
@options.root
@options.against
@options.output_format
@options.registry_url
@options.registry_group
def check(root: Path | None, ref: str, fmt: str, registry_url: str | None, group: str) -> int:
    """The PR gate: lint + breaking + event checks buf cannot do (+ the registry's dry run)."""
    predict = None
    if registry_url:
        # Imported here: only a gate that talks to a registry pays for the HTTP stack.
        from ss3_schema.registry.predict import prediction  # noqa: PLC0415

        predict = prediction(registry_url, group)
    result = run_check(workspace(root), ref, predict)
    return emit(result.violations, fmt, "check", result.notices)
