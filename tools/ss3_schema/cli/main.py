"""The `ss3-schema` command line: a thin click layer over one module per stage.

Exit codes are the same for every command: 0 clean, 1 violations found,
2 usage, configuration or tool error (see ss3_schema.errors). Errors are
rendered here, once, as one line.

Commands are imported lazily, per invocation: `make gen` should not pay for
the HTTP stack of the registry commands.
"""

from __future__ import annotations

import importlib
import sys

import click

from ss3_schema.errors import EXIT_ERROR, EXIT_OK, Ss3SchemaError

# command name -> "module:attribute" of its click command
COMMANDS = {
    "lint": "ss3_schema.cli.gate:lint",
    "breaking": "ss3_schema.cli.gate:breaking",
    "check": "ss3_schema.cli.gate:check",
    "gen": "ss3_schema.cli.build:gen",
    "build": "ss3_schema.cli.build:build",
    "catalog": "ss3_schema.cli.catalog:catalog",
    "register": "ss3_schema.cli.registry:register_command",
    "register-openapi": "ss3_schema.cli.registry:register_openapi_command",
    "publish": "ss3_schema.cli.release:publish_command",
    "version": "ss3_schema.cli.release:version_command",
    "release": "ss3_schema.cli.release:release_command",
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Gate, generate, package, publish and register the ShopSTAR3 schemas.

    Exit codes: 0 clean, 1 violations found, 2 usage/config/tool error.
    """


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
