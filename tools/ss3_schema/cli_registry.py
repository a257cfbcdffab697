"""Click adapters of the registry commands (register, register-openapi)."""

from __future__ import annotations

import click

from ss3_schema.check import RegistryPrediction


def add_commands(group: click.Group) -> None:
    """Attach the registry commands to the top-level group."""


def registry_prediction(url: str, group: str) -> RegistryPrediction:
    """The check step that asks the registry (dryRun) about changed event schemas."""
    raise NotImplementedError
