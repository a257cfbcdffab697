"""Click adapters of the build commands: gen, build.

Kept apart from the gate commands so that `check` does not import the
code generators.
"""

from __future__ import annotations

from pathlib import Path

import click

from ss3_schema.build.generate import generate
from ss3_schema.build.jar import build_jar
from ss3_schema.build.wheel import build_wheel
from ss3_schema.cli import options
from ss3_schema.cli.common import emit, workspace
from ss3_schema.errors import EXIT_OK
from ss3_schema.gate.images import CompileFailed


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
    """Build the ss3-protos wheel (run gen first) and the Maven jar + POM into dist/."""
    ws = workspace(root)
    wheel = build_wheel(ws)
    click.echo(f"build: {wheel}")
    artifact = build_jar(ws)
    click.echo(f"build: {artifact.jar} ({artifact.coordinates})")
    return EXIT_OK
