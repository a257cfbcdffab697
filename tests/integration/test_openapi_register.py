"""`ss3-schema register-openapi` against a real Apicurio Registry."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import run_cli
from tests.integration.registry_fixture import RegistryReader

pytestmark = pytest.mark.integration

ARTIFACT = "orders-api"
SPEC = """\
openapi: 3.0.3
info:
  title: Orders API
  version: 1.0.0
paths:
  /orders/{id}:
    get:
      operationId: getOrder
      parameters:
        - name: id
          in: path
          required: true
          schema:
            type: string
      responses:
        "200":
          description: The order
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Order"
components:
  schemas:
    Order:
      type: object
      required: [id]
      properties:
        id:
          type: string
"""
NEW_ENDPOINT = """\
  /orders:
    get:
      operationId: listOrders
      responses:
        "200":
          description: All orders
"""


def register_openapi(spec: Path, env: dict[str, str], group: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "register-openapi", str(spec), "--group", group, "--artifact-id", ARTIFACT, *args, cwd=spec.parent, env=env
    )


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "orders-api.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def test_first_run_registers_the_document_with_the_backward_rule(
    spec: Path, registry_env: dict[str, str], registry_group: str, registry_reader: RegistryReader
) -> None:
    proc = register_openapi(spec, registry_env, registry_group)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"create       {ARTIFACT} ({spec}): version 1; COMPATIBILITY rule set to BACKWARD")
    assert registry_reader.versions(registry_group, ARTIFACT) == ["1"]
    assert registry_reader.rule(registry_group, ARTIFACT) == "BACKWARD"
    assert registry_reader.content(registry_group, ARTIFACT, "1") == SPEC


def test_rerun_reformatted_or_as_json_creates_no_version(
    spec: Path, registry_env: dict[str, str], registry_group: str, registry_reader: RegistryReader
) -> None:
    register_openapi(spec, registry_env, registry_group)
    reformatted = spec.with_name("reformatted.yaml")
    reformatted.write_text(SPEC.replace("title: Orders API", 'title: "Orders API"'), encoding="utf-8")
    as_json = spec.with_name("orders-api.json")
    as_json.write_text(json.dumps(yaml.safe_load(SPEC), indent=2), encoding="utf-8")

    for document in (spec, reformatted, as_json):
        proc = register_openapi(document, registry_env, registry_group)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(f"unchanged    {ARTIFACT}"), proc.stdout

    assert registry_reader.versions(registry_group, ARTIFACT) == ["1"]


def test_additive_change_is_a_new_version_and_a_breaking_one_is_rejected(
    spec: Path, registry_env: dict[str, str], registry_group: str, registry_reader: RegistryReader
) -> None:
    register_openapi(spec, registry_env, registry_group)
    spec.write_text(SPEC.replace("paths:\n", "paths:\n" + NEW_ENDPOINT), encoding="utf-8")
    assert register_openapi(spec, registry_env, registry_group).returncode == 0

    spec.write_text(SPEC.replace("  /orders/{id}:", "  /order/{id}:"), encoding="utf-8")
    dry = register_openapi(spec, registry_env, registry_group, "--dry-run")
    proc = register_openapi(spec, registry_env, registry_group)

    for run in (dry, proc):
        assert run.returncode == 1, run.stderr
        assert f"rejected     {ARTIFACT} ({spec})" in run.stdout
        assert "- Missing endpoint at /orders/{id}" in run.stdout
    assert registry_reader.versions(registry_group, ARTIFACT) == ["1", "2"]


def test_dry_run_persists_nothing(
    spec: Path, registry_env: dict[str, str], registry_group: str, registry_reader: RegistryReader
) -> None:
    proc = register_openapi(spec, registry_env, registry_group, "--dry-run")

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"create       {ARTIFACT}")
    assert registry_reader.versions(registry_group, ARTIFACT) == []
    assert registry_reader.rule(registry_group, ARTIFACT) is None
