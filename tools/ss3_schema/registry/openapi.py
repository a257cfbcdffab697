"""Stage: register an OpenAPI 3 document as an OPENAPI artifact.

The document is sent as written: JSON as application/json, YAML as
application/x-yaml. With canonical=true the server compares documents in
canonical form, so re-sending the same document (even re-indented, re-quoted,
or converted between YAML and JSON) finds the existing version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ss3_schema.errors import SchemaError
from ss3_schema.registry.artifact import PlannedArtifact
from ss3_schema.registry.client import RegistryClient
from ss3_schema.registry.register import RegisterResult, register

OPENAPI = "OPENAPI"
JSON_CONTENT_TYPE = "application/json"
YAML_CONTENT_TYPE = "application/x-yaml"
DEFAULT_OPENAPI_COMPATIBILITY = "BACKWARD"
# Far above any real service's API description, far below what costs minutes to parse.
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
# Nodes of the document with every YAML alias expanded: a billion-laughs document
# is tiny on disk and explodes only when expanded, here or on the server.
MAX_EXPANDED_NODES = 1_000_000


def load_openapi(path: Path, artifact_id: str) -> PlannedArtifact:
    """Read and validate an OpenAPI 3 document; SchemaError naming the file and key otherwise."""
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise SchemaError(f"{path}: {size} bytes, more than the {MAX_DOCUMENT_BYTES} an OpenAPI document may have")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    document, content_type = _parse(path, text)
    _require_openapi_3(path, document)
    return PlannedArtifact(
        artifact_id=artifact_id, file=str(path), content=text, artifact_type=OPENAPI, content_type=content_type
    )


def _parse(path: Path, text: str) -> tuple[Any, str]:
    """The document and its content type; SchemaError naming the file for anything unreadable.

    Deep nesting, a number too long to convert and an impossible date are what
    the parsers raise RecursionError or ValueError for; each is the document's fault.
    """
    try:
        return _parse_json_or_yaml(path, text)
    except RecursionError:
        raise SchemaError(f"{path}: nested too deeply to be read; not sent to the registry") from None
    except ValueError as exc:
        detail = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise SchemaError(f"{path}: a value cannot be read ({detail[:120]}); not sent to the registry") from None


def _parse_json_or_yaml(path: Path, text: str) -> tuple[Any, str]:
    try:
        return json.loads(text), JSON_CONTENT_TYPE
    except json.JSONDecodeError:
        pass
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        _require_bounded_expansion(path, node)
        return yaml.safe_load(text), YAML_CONTENT_TYPE
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f":{where.line + 1}" if where is not None else ""
        raise SchemaError(f"{path}{line}: neither valid JSON nor valid YAML ({getattr(exc, 'problem', exc)})") from None


def _require_bounded_expansion(path: Path, root: yaml.Node | None) -> None:
    """Count nodes as if every alias were expanded, stopping as soon as the count is too high."""
    count = 0
    pending = [root] if root is not None else []
    while pending:
        node = pending.pop()
        count += 1
        if count > MAX_EXPANDED_NODES:
            raise SchemaError(
                f"{path}: expands to more than {MAX_EXPANDED_NODES} nodes through YAML aliases; "
                "not sent to the registry (write the repeated parts out, or use $ref)"
            )
        if isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                pending += (key, value)


def _require_openapi_3(path: Path, document: Any) -> None:
    if not isinstance(document, dict):
        raise SchemaError(f"{path}: not an OpenAPI document (the top level is not a mapping)")
    if "openapi" not in document:
        hint = " (a Swagger 2.0 document; convert it to OpenAPI 3)" if "swagger" in document else ""
        raise SchemaError(f"{path}: no top-level `openapi` key{hint}")
    # An unquoted `openapi: 3.1` is a YAML float; compare its text.
    if not str(document["openapi"]).startswith("3."):
        raise SchemaError(f"{path}: `openapi: {document['openapi']}` is not an OpenAPI 3.x version")


def register_openapi(
    client: RegistryClient,
    artifact: PlannedArtifact,
    *,
    group: str,
    compatibility: str = DEFAULT_OPENAPI_COMPATIBILITY,
    dry_run: bool = False,
) -> RegisterResult:
    """Register the document idempotently with its COMPATIBILITY rule."""
    return register(client, [artifact], group=group, compatibility=compatibility, dry_run=dry_run)
