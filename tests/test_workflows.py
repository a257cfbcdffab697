"""The GitHub workflows, linted offline: schema-valid and free of known security smells."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.helpers import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yaml"))
BIN = Path(sys.executable).parent


def test_there_are_pr_and_main_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"pr.yaml", "main.yaml"}


def test_workflows_match_the_github_schema() -> None:
    cmd = [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing() -> None:
    # Pinned actions, no template injection, no excessive permissions.
    proc = subprocess.run(
        [str(BIN / "zizmor"), "--offline", str(REPO_ROOT / ".github" / "workflows")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflow_steps_run_make_targets_only() -> None:
    """What CI runs can be run locally: every `run:` is a make invocation."""
    for workflow in WORKFLOWS:
        jobs = yaml.safe_load(workflow.read_text())["jobs"].values()
        runs = [step["run"].strip() for job in jobs for step in job["steps"] if "run" in step]
        assert runs and all(cmd.startswith("make ") for cmd in runs), (workflow.name, runs)
