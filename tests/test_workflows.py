"""The GitHub workflows and actions, linted offline: schema-valid and free of known security smells.

Covers this repository's workflows, the register-openapi action service
repositories call, its script, and the example service workflows of
docs/service-ci.md (which must be what that page shows).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.docs.snippets import code
from tests.helpers import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yaml"))
ACTIONS = sorted((REPO_ROOT / ".github" / "actions").glob("*/action.yml"))
SERVICE_EXAMPLES = sorted((REPO_ROOT / "docs" / "service-ci").glob("*.yaml"))
# Service workflows reference the action by its release tag, which the release job
# creates and never moves; zizmor's default would ask for a commit hash.
SERVICE_ZIZMOR_CONFIG = REPO_ROOT / "docs" / "service-ci" / "zizmor.yml"
BIN = Path(sys.executable).parent
INPUT_REFERENCE = re.compile(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}")


def _run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, check=False)


def test_there_are_pr_and_main_workflows_and_the_service_action() -> None:
    assert {p.name for p in WORKFLOWS} >= {"pr.yaml", "main.yaml"}
    assert [p.parent.name for p in ACTIONS] == ["register-openapi"]
    assert {p.name for p in SERVICE_EXAMPLES} == {"quarkus-service.yaml", "python-service.yaml"}


def test_workflows_match_the_github_schema() -> None:
    proc = _run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *WORKFLOWS, *SERVICE_EXAMPLES)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actions_match_the_github_schema() -> None:
    proc = _run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-actions", *ACTIONS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing() -> None:
    # Pinned actions, no template injection, no excessive permissions; workflows and actions alike.
    proc = _run(BIN / "zizmor", "--offline", REPO_ROOT / ".github")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    audited = {line.rsplit(" ", 1)[-1] for line in proc.stderr.splitlines() if "completed" in line}
    assert {str(p) for p in [*WORKFLOWS, *ACTIONS]} <= audited, proc.stderr


def test_zizmor_finds_nothing_in_the_service_examples() -> None:
    proc = _run(BIN / "zizmor", "--offline", "--config", SERVICE_ZIZMOR_CONFIG, *SERVICE_EXAMPLES)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflow_steps_run_make_targets_only() -> None:
    """What CI runs can be run locally: every `run:` is a make invocation."""
    for workflow in WORKFLOWS:
        jobs = yaml.safe_load(workflow.read_text())["jobs"].values()
        runs = [step["run"].strip() for job in jobs for step in job["steps"] if "run" in step]
        assert runs and all(cmd.startswith("make ") for cmd in runs), (workflow.name, runs)


def test_action_steps_run_their_checked_script_only() -> None:
    """The action's logic is a script beside it (tested by running it), not inline shell."""
    for action in ACTIONS:
        steps = yaml.safe_load(action.read_text())["runs"]["steps"]
        for step in steps:
            script = re.fullmatch(r'"\$GITHUB_ACTION_PATH/([\w.-]+\.sh)"', step["run"].strip())
            assert script, step["run"]
            path = action.parent / script.group(1)
            assert os.access(path, os.X_OK), f"{path} is not executable"
            proc = _run(BIN / "shellcheck", path)
            assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_action_input_is_passed_to_its_step_and_none_is_made_up() -> None:
    for action in ACTIONS:
        document = yaml.safe_load(action.read_text())
        declared = set(document["inputs"])
        referenced = {
            name
            for step in document["runs"]["steps"]
            for value in step.get("env", {}).values()
            for name in INPUT_REFERENCE.findall(str(value))
        }
        assert referenced == declared, (action, sorted(declared ^ referenced))


def test_service_examples_are_what_the_page_shows() -> None:
    shown = {
        "quarkus-service.yaml": code("service-ci-quarkus-workflow"),
        "python-service.yaml": code("service-ci-python-workflow"),
    }
    assert {example.name: example.read_text(encoding="utf-8") for example in SERVICE_EXAMPLES} == shown
