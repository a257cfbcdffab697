"""The `ss3-schema` command line: a thin click layer over one module per stage.

Exit codes are the same for every command: 0 clean, 1 violations found,
2 usage, configuration or tool error (see ss3_schema.errors). Errors are
rendered here, once, as one line.

Commands are imported lazily, per invocation: `make gen` should not pay for
the HTTP stack of the registry commands, and the lean install of the tool
(`pip install ss3-schema`, what service pipelines use for register-openapi)
runs without the protobuf toolchain the other commands import.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import signal
import sys
from types import FrameType

import click

from ss3_schema import console
from ss3_schema.errors import EXIT_ERROR, EXIT_OK, ConfigError, Ss3SchemaError
from ss3_schema.redact import register_env_secrets, scrub

DISTRIBUTION = "ss3-schema"
# Top-level modules that only the `toolchain` extra installs.
TOOLCHAIN_MODULES = frozenset({"google", "mypy_protobuf", "packaging", "twine", "build", "hatchling"})

# command name -> "module:attribute" of its click command
COMMANDS = {
    "lint": "ss3_schema.cli.gate:lint",
    "breaking": "ss3_schema.cli.gate:breaking",
    "check": "ss3_schema.cli.gate:check",
    "gen": "ss3_schema.cli.build:gen",
    "build": "ss3_schema.cli.build:build",
    "catalog": "ss3_schema.cli.catalog:catalog",
    "register": "ss3_schema.cli.registry:register_command",
    "register-openapi": "ss3_schema.cli.openapi:register_openapi_command",
    "publish": "ss3_schema.cli.release:publish_command",
    "publish-maven": "ss3_schema.cli.release:publish_maven_command",
    "version": "ss3_schema.cli.release:version_command",
    "release": "ss3_schema.cli.release:release_command",
}


VERBOSITY_KEY = "ss3_schema.verbosity"


def _choose_verbosity(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    """-q / -v, wherever they stand: before the command name or after it."""
    if value:
        chosen = ctx.find_root().meta.setdefault(VERBOSITY_KEY, set())
        chosen.add(param.name)
        if len(chosen) > 1:
            raise click.UsageError("-q and -v exclude each other")
        console.set_verbosity(console.QUIET if param.name == "quiet" else console.VERBOSE)
    return value


def _verbosity_options() -> list[click.Option]:
    """The -q/-v options every command and the group itself accept (fresh objects for each)."""
    return [
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            callback=_choose_verbosity,
            help="Only results and errors: no notes, progress or warnings.",
        ),
        click.Option(
            ["-v", "--verbose"],
            is_flag=True,
            expose_value=False,
            callback=_choose_verbosity,
            help="Also debug lines (git and tool steps) on stderr.",
        ),
    ]


def _with_verbosity_options(command: click.Command) -> click.Command:
    names = {opt for param in command.params for opt in getattr(param, "opts", ())}
    if not names & {"-q", "--quiet", "-v", "--verbose"}:
        command.params.extend(_verbosity_options())
    return command


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(_import_command_module(cmd_name, module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return _with_verbosity_options(command)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # --help must work in the lean install too: list what cannot load instead of failing.
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            try:
                command = self.get_command(ctx, name)
            except ConfigError:
                rows.append((name, f"(needs {DISTRIBUTION}[toolchain])"))
                continue
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _import_command_module(cmd_name: str, module_name: str) -> object:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in TOOLCHAIN_MODULES:
            raise
        raise ConfigError(
            f"`{cmd_name}` needs the schema toolchain, which this install lacks: "
            f"pip install '{DISTRIBUTION}[toolchain]=={_installed_version()}'"
        ) from None


def _installed_version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "<version>"


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
# package_name: the version is looked up only when asked for (importlib.metadata is slow to import).
@click.version_option(
    None, "--version", "-V", package_name=DISTRIBUTION, prog_name=DISTRIBUTION, message="%(prog)s %(version)s"
)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Gate, generate, package, publish and register the ShopSTAR3 schemas.

    Results go to stdout, notes and errors to stderr (no colour with NO_COLOR).
    Exit codes: 0 clean, 1 violations found, 2 usage/config/tool error.
    -q and -v go before or after the command name.
    """
    if not ctx.meta.get(VERBOSITY_KEY):
        console.set_verbosity(console.NORMAL)


cli.params.extend(_verbosity_options())


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
    console.error("; ".join(part.strip() for part in scrub(message).splitlines() if part.strip()))
    sys.exit(code)
