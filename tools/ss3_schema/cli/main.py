"""The `ss3-schema` command line: a thin click layer over one module per stage.

Exit codes are the same for every command: 0 clean, 1 violations found,
2 usage, configuration or tool error (see ss3_schema.errors). Errors are
rendered here, once, as one line.

Commands are imported lazily, per invocation: `make gen` should not pay for
the HTTP stack of the registry commands.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from types import FrameType

import click

from ss3_schema.errors import EXIT_ERROR, EXIT_OK, Ss3SchemaError
from ss3_schema.redact import register_env_secrets, scrub

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


class Terminated(Ss3SchemaError):
    """SIGTERM (a cancelled CI job): raised in the main thread so that staging is cleaned up."""


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(f"terminated by signal {signal.Signals(signum).name}; output left as it was")


def main() -> None:
    """Entry point: renders every error once, as one scrubbed line, and exits with its code.

    Nothing escapes as a traceback: an OSError names its file, anything
    unforeseen is one line too (a bug to report, exit 2).
    """
    register_env_secrets(os.environ)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        _fail("aborted")
    except click.UsageError as exc:
        # click's usage errors come with the usage text; the message line is what matters.
        _fail(f"{exc.format_message()} (see --help)")
    except click.ClickException as exc:
        _fail(exc.format_message())
    except Ss3SchemaError as exc:
        _fail(str(exc), exc.exit_code)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(f"{where}{exc.strerror or type(exc).__name__}")
    except Exception as exc:  # the last line of defence of the exit-code contract
        _fail(f"internal error ({type(exc).__name__}: {exc}); please report it")
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _fail(message: str, code: int = EXIT_ERROR) -> None:
    line = "; ".join(part.strip() for part in scrub(message).splitlines() if part.strip())
    click.echo(f"error: {line}", err=True)
    sys.exit(code)
