"""Click adapter of `ss3-schema catalog`."""

from __future__ import annotations

from pathlib import Path

import click

from ss3_schema.catalog.site import build_catalog
from ss3_schema.cli import options
from ss3_schema.cli.common import emit, workspace
from ss3_schema.errors import EXIT_OK
from ss3_schema.schema.image import CompileFailed


@click.command()
@options.root
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory to write (default: dist/catalog); replaced whole.",
)
def catalog(root: Path | None, output: Path | None) -> int:
    """Write the event catalog (index.html) and the AsyncAPI 3 document (asyncapi.yaml)."""
    try:
        built = build_catalog(workspace(root), output)
    except CompileFailed as failed:
        return emit(failed.violations, "text", "catalog")
    releases = f"history from {built.releases} release tags" if built.releases else "no release history"
    click.echo(f"catalog: {built.topics} topics, {built.events} events ({releases}) in {built.directory}")
    return EXIT_OK
