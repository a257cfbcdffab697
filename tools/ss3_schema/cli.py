"""The `ss3-schema` command line: parse, call the stage, map the outcome to an exit code.

Exit codes are the same for every command: 0 clean, 1 violations found,
2 usage, configuration or tool error (see ss3_schema.errors).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ss3_schema import cli_registry, cli_release, options
from ss3_schema.breaking import breaking as run_breaking
from ss3_schema.check import check as run_check
from ss3_schema.errors import EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS, Ss3SchemaError
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Gate, generate, package, publish and register the ShopSTAR3 schemas.

    Exit codes: 0 clean, 1 violations found, 2 usage/config/tool error.
    """


@cli.command()
@options.root
@options.output_format
def lint(root: Path | None, fmt: str) -> int:
    """Lint the schemas (buf STANDARD + COMMENTS rules)."""
    return _emit(run_lint(_workspace(root)), fmt, "lint")


@cli.command()
@options.root
@options.against
@options.output_format
def breaking(root: Path | None, ref: str, fmt: str) -> int:
    """Report changes that break FULL compatibility (buf FILE rules)."""
    return _emit(run_breaking(_workspace(root), ref), fmt, "breaking")


@cli.command()
@options.root
@options.against
@options.output_format
@options.registry_url
@options.registry_group
def check(root: Path | None, ref: str, fmt: str, registry_url: str | None, group: str) -> int:
    """The PR gate: lint + breaking + event checks buf cannot do (+ the registry's dry run)."""
    predict = cli_registry.registry_prediction(registry_url, group) if registry_url else None
    result = run_check(_workspace(root), ref, predict)
    return _emit(result.violations, fmt, "check", result.notices)


@cli.command()
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


@cli.command()
@options.root
def build(root: Path | None) -> int:
    """Build the ss3-protos wheel into dist/ (run gen first)."""
    wheel = build_wheel(_workspace(root))
    click.echo(f"build: {wheel}")
    return EXIT_OK


cli_registry.add_commands(cli)
cli_release.add_commands(cli)


def main() -> None:
    """Entry point: renders every error once, as one line, and exits with its code."""
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except Ss3SchemaError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
