"""Click adapters of the gate commands: lint, breaking, check."""

from __future__ import annotations

from pathlib import Path

import click

from ss3_schema import console
from ss3_schema.cli import options
from ss3_schema.cli.common import emit, workspace
from ss3_schema.gate.breaking import breaking as run_breaking
from ss3_schema.gate.check import RegistryPrediction
from ss3_schema.gate.check import check as run_check
from ss3_schema.gate.lint import lint as run_lint


@click.command()
@options.root
@options.output_format
def lint(root: Path | None, fmt: str) -> int:
    """Lint the schemas (buf STANDARD + COMMENTS rules)."""
    return emit(run_lint(workspace(root)), fmt, "lint")


@click.command()
@options.root
@options.against
@options.output_format
def breaking(root: Path | None, ref: str, fmt: str) -> int:
    """Report what breaks compatibility: buf's FILE rules + the event rules (as in `check`)."""
    with console.progress(f"breaking: compiling the tree and the merge-base with {ref}"):
        result = run_breaking(workspace(root), ref)
    return emit(result.violations, fmt, "breaking", result.notices, base=result.base_commit)


@click.command()
@options.root
@options.against
@options.output_format
@options.registry_url
@options.registry_group
def check(root: Path | None, ref: str, fmt: str, registry_url: str | None, group: str) -> int:
    """The PR gate: lint + breaking + event rules + the gate's own rules (+ the registry's dry run).

    Exit 1 when anything was found, even if the registry could not be asked;
    exit 2 when nothing was found but the registry could not be asked.
    """
    predict = None
    if registry_url:
        url = registry_url

        def predict() -> RegistryPrediction:
            # Imported here: only a gate that talks to a registry pays for the HTTP stack.
            from ss3_schema.registry.predict import prediction  # noqa: PLC0415

            return prediction(url, group)

    with console.progress(f"check: compiling the tree and the merge-base with {ref}, linting, comparing"):
        result = run_check(workspace(root), ref, predict)
    return emit(result.violations, fmt, "check", result.notices, base=result.base_commit, failure=result.registry_error)
