"""Click adapter of `register`: every event schema and its imports into the registry.

Exit codes: 0 registered (or nothing to do), 1 the registry's rules rejected
at least one artifact or a version registered since is latest, 2 the registry could not be used (unreachable,
credentials refused, bad configuration).
"""

from __future__ import annotations

from pathlib import Path

import click

from ss3_schema import console
from ss3_schema.cli import options
from ss3_schema.cli.common import workspace
from ss3_schema.cli.connection import connect, emit_registration, registry_options
from ss3_schema.registry.plan import STRATEGIES, plan_registration
from ss3_schema.registry.predict import STRATEGY_ENV
from ss3_schema.registry.register import COMPATIBILITY_LEVELS, DEFAULT_COMPATIBILITY, DEFAULT_JOBS, register
from ss3_schema.schema.image import build_image
from ss3_schema.workspace import read_version


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
@click.option(
    "--restore-latest",
    is_flag=True,
    help="Where a version registered since (not this repository's) is latest, add the repository's "
    "content as a new version so serdes resolving latest get it again.",
)
@registry_options
@options.text_or_json
def register_command(
    *,
    root: Path | None,
    group: str,
    strategy: str,
    compatibility: str,
    jobs: int,
    restore_latest: bool,
    registry_url: str | None,
    timeout: float,
    retries: int,
    ca_bundle: Path | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Register every event schema (and what it imports) in the registry."""
    ws = workspace(root)
    release = read_version(ws)
    with (
        console.progress("register: compiling the schemas and registering them"),
        connect(registry_url, timeout, retries, ca_bundle) as client,
    ):
        artifacts = plan_registration(ws, build_image(ws.root), strategy)
        result = register(
            client,
            artifacts,
            group=group,
            compatibility=compatibility,
            dry_run=dry_run,
            jobs=jobs,
            restore_latest=restore_latest,
            release_branch=release,
        )
    return emit_registration(result, fmt, "register")
