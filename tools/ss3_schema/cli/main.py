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

from ss3_schema import console
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
# package_name: the version is looked up only when asked for (importlib.metadata is slow to import).
@click.version_option(
    None, "--version", "-V", package_name="ss3-schema", prog_name="ss3-schema", message="%(prog)s %(version)s"
)
@click.option("-q", "--quiet", is_flag=True, help="Only results and errors: no notes, progress or warnings.")
@click.option("-v", "--verbose", is_flag=True, help="Also debug lines (git and tool steps) on stderr.")
def cli(quiet: bool, verbose: bool) -> None:
    """Gate, generate, package, publish and register the ShopSTAR3 schemas.

    Results go to stdout, notes and errors to stderr (no colour with NO_COLOR).
    Exit codes: 0 clean, 1 violations found, 2 usage/config/tool error.
    """
    if quiet and verbose:
        raise click.UsageError("-q and -v exclude each other")
    console.set_verbosity(console.QUIET if quiet else console.VERBOSE if verbose else console.NORMAL)


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
        console.error(str(exc))
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
