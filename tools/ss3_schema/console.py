"""Diagnostics on stderr: notes, errors, progress and debug lines, by verbosity.

Results go to stdout (the commands print them); everything here goes to
stderr. `-q` keeps only errors; `-v` adds debug lines. Colour only on a
terminal (or with SS3_FORCE_COLOR), never with NO_COLOR set (https://no-color.org)
or TERM=dumb.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click

QUIET, NORMAL, VERBOSE = 0, 1, 2
PROGRESS_AFTER_S = 2.0

_level = NORMAL


def set_verbosity(level: int) -> None:
    global _level  # noqa: PLW0603 - one process, one console
    _level = level


def verbosity() -> int:
    return _level


FORCE_COLOR_ENV = "SS3_FORCE_COLOR"  # colour without a terminal (log viewers that render it)


def use_color(env: dict[str, str] | None = None) -> bool:
    env = dict(os.environ) if env is None else env
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    return bool(env.get(FORCE_COLOR_ENV)) or sys.stderr.isatty()


def _echo(prefix: str, color: str, text: str) -> None:
    # One line each, whatever the text holds (file names, reasons): a line break
    # would start a line of text we did not write, which a CI runner may obey.
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    styled = click.style(prefix, fg=color, bold=True) if use_color() else prefix
    click.echo(f"{styled} {text}", err=True, color=use_color())


def error(text: str) -> None:
    _echo("error:", "red", text)


def warn(text: str) -> None:
    if _level >= NORMAL:
        _echo("warning:", "yellow", text)


def note(text: str) -> None:
    if _level >= NORMAL:
        _echo("note:", "cyan", text)


def debug(text: str) -> None:
    if _level >= VERBOSE:
        _echo("debug:", "blue", text)


@contextmanager
def progress(text: str, after_s: float = PROGRESS_AFTER_S) -> Iterator[None]:
    """Say `text…` on stderr if the block is still running after `after_s` seconds.

    Fast runs stay quiet (an error stays one line); slow ones never look hung.
    """
    if _level < NORMAL:
        yield
        return
    timer = threading.Timer(after_s, lambda: _echo("...", "cyan", text))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
