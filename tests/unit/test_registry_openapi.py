"""OpenAPI documents: what register-openapi accepts, and how it sends it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ss3_schema.errors import SchemaError
from ss3_schema.registry.openapi import load_openapi

from tests.helpers import run_cli

YAML_DOC = "openapi: 3.0.3\ninfo:\n  title: Orders\n  version: 1.0.0\npaths: {}\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_is_sent_as_yaml_and_json_as_json(tmp_path: Path) -> None:
    yaml_doc = load_openapi(write(tmp_path, "api.yaml", YAML_DOC), "orders-api")
    json_doc = load_openapi(write(tmp_path, "api.json", '{"openapi": "3.1.0", "info": {}, "paths": {}}'), "orders-api")

    assert (yaml_doc.artifact_type, yaml_doc.content_type, yaml_doc.content) == (
        "OPENAPI",
        "application/x-yaml",
        YAML_DOC,
    )
    assert json_doc.content_type == "application/json"


def test_unquoted_version_number_is_accepted(tmp_path: Path) -> None:
    assert load_openapi(write(tmp_path, "api.yaml", "openapi: 3.1\npaths: {}\n"), "a").artifact_id == "a"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("info: {}\n", "no top-level `openapi` key"),
        ('swagger: "2.0"\n', "no top-level `openapi` key (a Swagger 2.0 document; convert it to OpenAPI 3)"),
        ("openapi: 2.0.0\n", "`openapi: 2.0.0` is not an OpenAPI 3.x version"),
        ("- just\n- a list\n", "not an OpenAPI document (the top level is not a mapping)"),
        ("openapi: 3.0.0\ninfo: [unclosed\n", "neither valid JSON nor valid YAML"),
    ],
)
def test_documents_that_are_not_openapi_3_are_refused_naming_file_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, "api.yaml", text)
    with pytest.raises(SchemaError, match=re.escape(message)) as raised:
        load_openapi(path, "a")
    assert str(raised.value).startswith(str(path))


def test_cli_refuses_a_broken_document_before_contacting_any_registry(tmp_path: Path) -> None:
    path = write(tmp_path, "api.yaml", "info: {}\n")

    proc = run_cli(
        "register-openapi", str(path), "--group", "g", "--artifact-id", "a", cwd=tmp_path, env={"SS3_REGISTRY_URL": ""}
    )

    assert proc.returncode == 1
    assert proc.stderr.strip() == f"error: {path}: no top-level `openapi` key"


def test_cli_without_registry_url_is_a_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path, "api.yaml", YAML_DOC)

    proc = run_cli(
        "register-openapi", str(path), "--group", "g", "--artifact-id", "a", cwd=tmp_path, env={"SS3_REGISTRY_URL": ""}
    )

    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: no registry URL: pass --registry-url or set SS3_REGISTRY_URL"
