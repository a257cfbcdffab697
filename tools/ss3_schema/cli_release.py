"""Click adapters of the release commands (publish, version, release)."""

from __future__ import annotations

import click


def add_commands(group: click.Group) -> None:
    """Attach the release commands to the top-level group."""
