"""Click adapters of the registry commands (register, register-openapi).

Exit codes: 0 registered (or nothing to do), 1 the registry's rules rejected
at least one artifact, 2 the registry could not be used (unreachable,
credentials refused, bad configuration).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ss3_schema.cli import options
from ss3_schema.errors import EXIT_OK, EXIT_VIOLATIONS, UsageError
from ss3_schema.gate.images import build_image
from ss3_schema.registry import client as registry_client
from ss3_schema.registry.openapi import DEFAULT_OPENAPI_COMPATIBILITY, load_openapi, register_openapi
from ss3_schema.registry.plan import STRATEGIES, plan_registration
from ss3_schema.registry.predict import STRATEGY_ENV
from ss3_schema.registry.register import (
    COMPATIBILITY_LEVELS,
    DEFAULT_COMPATIBILITY,
    DEFAULT_JOBS,
    RegisterResult,
    register,
)
from ss3_schema.registry.render import render_result
from ss3_schema.workspace import find_workspace

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _registry_options(command: Callable[..., Any]) -> Callable[..., Any]:
    decorators: list[Decorator] = [
        options.registry_url,
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1),
            envvar=registry_client.TIMEOUT_ENV,
            default=registry_client.DEFAULT_TIMEOUT_S,
            show_default=True,
            help=f"Seconds to wait for each registry request (env {registry_client.TIMEOUT_ENV}).",
        ),
        click.option(
            "--retries",
            type=click.IntRange(min=0, max=10),
            envvar=registry_client.RETRIES_ENV,
            default=registry_client.DEFAULT_RETRIES,
            show_default=True,
            help="Retries on connection errors, timeouts and 5xx, with exponential backoff "
            f"(env {registry_client.RETRIES_ENV}).",
        ),
        click.option(
            "--ca-bundle",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            envvar=registry_client.CA_BUNDLE_ENV,
            default=None,
            help=f"PEM file of CAs to trust instead of the system's (env {registry_client.CA_BUNDLE_ENV}).",
        ),
        click.option("--dry-run", is_flag=True, help="Let the server evaluate its rules but persist nothing."),
        options.text_or_json,
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def _connect(url: str | None, timeout: float, retries: int, ca_bundle: Path | None) -> registry_client.RegistryClient:
    if not url:
        raise UsageError("no registry URL: pass --registry-url or set SS3_REGISTRY_URL")
    connection = registry_client.connection_from_env(
        url, os.environ, timeout=timeout, retries=retries, ca_bundle=ca_bundle
    )
    return registry_client.connect(connection)


def _emit(result: RegisterResult, fmt: str, what: str) -> int:
    click.echo(render_result(result, fmt, what))
    return EXIT_OK if result.ok else EXIT_VIOLATIONS


@click.command("register")
@options.root
@options.registry_group
@click.option(
    "--strategy",
    type=click.Choice(STRATEGIES),
    envvar=STRATEGY_ENV,
    default=STRATEGIES[0],
    show_default=True,
    help="Artifact id of an event file: topic = <topic>-value (TopicIdStrategy), simple-topic = <topic> "
    f"(env {STRATEGY_ENV}).",
)
@click.option(
    "--compatibility",
    type=click.Choice(COMPATIBILITY_LEVELS),
    default=DEFAULT_COMPATIBILITY,
    show_default=True,
    help="COMPATIBILITY rule put on every registered artifact.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1, max=16),
    default=DEFAULT_JOBS,
    show_default=True,
    help="Requests in flight at once (artifacts whose imports are registered go in parallel).",
)
@_registry_options
def register_command(
    *,
    root: Path | None,
    group: str,
    strategy: str,
    compatibility: str,
    jobs: int,
    registry_url: str | None,
    timeout: float,
    retries: int,
    ca_bundle: Path | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Register every event schema (and what it imports) in the registry."""
    ws = find_workspace(root)
    with _connect(registry_url, timeout, retries, ca_bundle) as client:
        artifacts = plan_registration(ws, build_image(ws.root), strategy)
        result = register(client, artifacts, group=group, compatibility=compatibility, dry_run=dry_run, jobs=jobs)
    return _emit(result, fmt, "register")


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
@_registry_options
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
    """Register an OpenAPI 3 document (YAML or JSON) as an OPENAPI artifact."""
    artifact = load_openapi(spec, artifact_id)
    with _connect(registry_url, timeout, retries, ca_bundle) as client:
        result = register_openapi(client, artifact, group=group, compatibility=compatibility, dry_run=dry_run)
    return _emit(result, fmt, "register-openapi")
