"""Click adapter of `register-openapi`: a service's OpenAPI 3 document into the registry.

This is the command service pipelines run from the lean install of the tool
(no protobuf toolchain), so it imports nothing of the schema stages.

Exit codes: 0 registered (or unchanged), 1 the document is invalid or the
registry's rules rejected it, 2 the registry could not be used.
"""

from __future__ import annotations

from pathlib import Path

import click

from ss3_schema.cli import options
from ss3_schema.cli.connection import connect, emit_registration, registry_options
from ss3_schema.registry.openapi import DEFAULT_OPENAPI_COMPATIBILITY, load_openapi, register_openapi
from ss3_schema.registry.register import COMPATIBILITY_LEVELS


@click.command("register-openapi")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--group", required=True, callback=options.registry_id_option, help="Registry group of the document.")
@click.option("--artifact-id", required=True, callback=options.registry_id_option, help="Artifact id of the document.")
@click.option(
    "--compatibility",
    type=click.Choice(COMPATIBILITY_LEVELS),
    default=DEFAULT_OPENAPI_COMPATIBILITY,
    show_default=True,
    help="COMPATIBILITY rule put on the artifact.",
)
@registry_options
@options.output_format
def register_openapi_command(
    *,
    spec: Path,
    group: str,
    artifact_id: str,
    compatibility: str,
    registry_url: str | None,
    timeout: float,
    retries: int,
    ca_bundle: Path | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Register an OpenAPI 3 document (YAML or JSON) as an OPENAPI artifact.

    --format github adds a workflow annotation on SPEC when the registry
    rejects it.
    """
    artifact = load_openapi(spec, artifact_id)
    with connect(registry_url, timeout, retries, ca_bundle) as client:
        result = register_openapi(client, artifact, group=group, compatibility=compatibility, dry_run=dry_run)
    return emit_registration(result, fmt, "register-openapi")
