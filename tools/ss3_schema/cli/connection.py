"""What the registry commands share: connection options, the client, the outcome.

Apart from options.py on purpose: these options pull in the HTTP stack,
which the gate and build commands should not pay for at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ss3_schema.cli import options
from ss3_schema.errors import EXIT_OK, EXIT_VIOLATIONS, UsageError
from ss3_schema.registry import client as registry_client
from ss3_schema.registry.register import RegisterResult
from ss3_schema.registry.render import render_result

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def registry_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--registry-url, --timeout, --retries, --ca-bundle and --dry-run."""
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
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def connect(url: str | None, timeout: float, retries: int, ca_bundle: Path | None) -> registry_client.RegistryClient:
    if not url:
        raise UsageError("no registry URL: pass --registry-url or set SS3_REGISTRY_URL")
    connection = registry_client.connection_from_env(
        url, os.environ, timeout=timeout, retries=retries, ca_bundle=ca_bundle
    )
    return registry_client.connect(connection)


def emit_registration(result: RegisterResult, fmt: str, what: str) -> int:
    click.echo(render_result(result, fmt, what))
    return EXIT_OK if result.ok else EXIT_VIOLATIONS
