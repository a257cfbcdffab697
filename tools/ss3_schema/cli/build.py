"""Click adapters of the build commands: gen, build.

Kept apart from the gate commands so that `check` does not import the
code generators.
"""

from __future__ import annotations

from pathlib import Path

import click

from ss3_schema import options
from ss3_schema.cli_common import emit, workspace
from ss3_schema.errors import EXIT_OK
from ss3_schema.generate import generate
from ss3_schema.images import CompileFailed
from ss3_schema.wheel import build_wheel


@click.command()
@options.root
@options.output_format
def gen(root: Path | None, fmt: str) -> int:
    """Generate the Python package into ss3-protos/src (all or nothing)."""
    try:
        result = generate(workspace(root))
    except CompileFailed as failed:
        return emit(failed.violations, fmt, "gen")
    click.echo(f"gen: {result.modules} modules from {result.protos} schema files in {result.package_dir}")
    return EXIT_OK


@click.command()
@options.root
def build(root: Path | None) -> int:
    """Build the ss3-protos wheel into dist/ (run gen first)."""
    wheel = build_wheel(workspace(root))
    click.echo(f"build: {wheel}")
    return EXIT_OK
