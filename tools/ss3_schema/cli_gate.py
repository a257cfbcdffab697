"""Click adapters of the gate and build commands: lint, breaking, check, gen, build."""

from __future__ import annotations

from pathlib import Path

import click

from ss3_schema import options
from ss3_schema.breaking import breaking as run_breaking
from ss3_schema.check import check as run_check
from ss3_schema.errors import EXIT_OK, EXIT_VIOLATIONS
from ss3_schema.generate import generate
from ss3_schema.images import CompileFailed
from ss3_schema.lint import lint as run_lint
from ss3_schema.report import Violation, render, summarize
from ss3_schema.wheel import build_wheel
from ss3_schema.workspace import Workspace, find_workspace


def _workspace(root: Path | None) -> Workspace:
    return find_workspace(root)


def _emit(violations: list[Violation], fmt: str, what: str, notices: list[str] | None = None) -> int:
    for notice in notices or []:
        click.echo(f"::notice::{notice}" if fmt == "github" else f"note: {notice}", err=fmt != "github")
    click.echo(render(violations, fmt, summary=summarize(violations, what)))
    return EXIT_VIOLATIONS if violations else EXIT_OK


@click.command()
@options.root
@options.output_format
def lint(root: Path | None, fmt: str) -> int:
    """Lint the schemas (buf STANDARD + COMMENTS rules)."""
    return _emit(run_lint(_workspace(root)), fmt, "lint")


@click.command()
@options.root
@options.against
@options.output_format
def breaking(root: Path | None, ref: str, fmt: str) -> int:
    """Report changes that break FULL compatibility (buf FILE rules)."""
    return _emit(run_breaking(_workspace(root), ref), fmt, "breaking")


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
        from ss3_schema.cli_registry import registry_prediction  # noqa: PLC0415

        predict = registry_prediction(registry_url, group)
    result = run_check(_workspace(root), ref, predict)
    return _emit(result.violations, fmt, "check", result.notices)


@click.command()
@options.root
@options.output_format
def gen(root: Path | None, fmt: str) -> int:
    """Generate the Python package into ss3-protos/src (all or nothing)."""
    try:
        result = generate(_workspace(root))
    except CompileFailed as failed:
        return _emit(failed.violations, fmt, "gen")
    click.echo(f"gen: {result.modules} modules from {result.protos} schema files in {result.package_dir}")
    return EXIT_OK


@click.command()
@options.root
def build(root: Path | None) -> int:
    """Build the ss3-protos wheel into dist/ (run gen first)."""
    wheel = build_wheel(_workspace(root))
    click.echo(f"build: {wheel}")
    return EXIT_OK
