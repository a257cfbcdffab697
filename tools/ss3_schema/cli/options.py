"""Click options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

from ss3_schema.report import FORMATS
from ss3_schema.validate import registry_id


def registry_id_option(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Checks a group or artifact id where it enters: an empty one makes the registry invent one."""
    return None if value is None else registry_id(value, f"--{(param.name or 'id').replace('_', '-')}")


output_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for workflow annotations.",
)

text_or_json = click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="text for people, json for tools.",
)


def _validated_ref(ctx: click.Context, param: click.Parameter, value: str) -> str:
    # Imported here: the option module stays free of git code for commands that do not compare.
    from ss3_schema.schema.refs import validated_ref  # noqa: PLC0415

    return validated_ref(value)


against = click.option(
    "--against",
    "ref",
    required=True,
    metavar="REF",
    callback=_validated_ref,
    help="Branch (also origin/<branch>), tag or commit sha; the change is compared with merge-base(REF, HEAD).",
)

root = click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Repository root (default: the nearest directory with buf.yaml).",
)

registry_url = click.option(
    "--registry-url",
    envvar="SS3_REGISTRY_URL",
    default=None,
    metavar="URL",
    help="Apicurio Registry base URL (env SS3_REGISTRY_URL).",
)

registry_group = click.option(
    "--group",
    "group",
    default="default",
    show_default=True,
    callback=registry_id_option,
    help="Registry group of the event artifacts (Apicurio serdes look in 'default').",
)
