"""Click adapters of the build commands: gen, build.

Kept apart from the gate commands so that `check` does not import the
code generators; `gen` imports them only when there is something to do.
"""

from __future__ import annotations

from pathlib import Path

import click

from ss3_schema import console
from ss3_schema.artifacts import fingerprint
from ss3_schema.artifacts.build import build_artifacts
from ss3_schema.cli import options
from ss3_schema.cli.common import emit, workspace
from ss3_schema.errors import EXIT_OK

PACKAGE = "ss3"


@click.command()
@options.root
@options.output_format
@click.option("--force", is_flag=True, help="Regenerate even when nothing changed.")
def gen(root: Path | None, fmt: str, force: bool) -> int:
    """Generate the Python package into ss3-protos/src (all or nothing; a no-op when nothing changed)."""
    ws = workspace(root)
    package_dir = ws.generated_root / PACKAGE
    key = fingerprint.inputs_key(ws)
    if not force and fingerprint.up_to_date(ws, package_dir, key):
        click.echo(f"gen: up to date ({ws.relative(package_dir)}, inputs {key[:12]})")
        return EXIT_OK
    # Imported here: the no-op above must not pay for loading protoc and the stub generators.
    from ss3_schema.artifacts.generate import generate  # noqa: PLC0415
    from ss3_schema.schema.image import CompileFailed  # noqa: PLC0415

    try:
        with console.progress(f"gen: compiling {len(ws.proto_files())} schema files and writing the package"):
            result = generate(ws, key)
    except CompileFailed as failed:
        return emit(failed.violations, fmt, "gen")
    click.echo(f"gen: {result.modules} modules from {result.protos} schema files in {ws.relative(result.package_dir)}")
    return EXIT_OK


@click.command()
@options.root
def build(root: Path | None) -> int:
    """Build the ss3-protos wheel (run gen first), the ss3-schema tool wheel and the Maven jar + POM into dist/."""
    built = build_artifacts(workspace(root))
    click.echo(f"build: {built.wheel}")
    click.echo(f"build: {built.tool_wheel}")
    click.echo(f"build: {built.jar.jar} ({built.jar.coordinates})")
    return EXIT_OK
