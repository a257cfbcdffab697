"""Stage: build the wheel of the ss3-schema tool itself into dist/.

Service pipelines install this wheel to register their OpenAPI documents.
Like the ss3-protos wheel it is built in a staging directory, checked and
only then moved into dist/, and builds of one commit are byte-identical
(SOURCE_DATE_EPOCH). Its version is VERSION (tools/pyproject.toml reads it):
a release tag vX.Y.Z names both wheels, built from the same commit.
"""

from __future__ import annotations

import email.parser
import re
import zipfile
from pathlib import Path

from ss3_schema import atomic
from ss3_schema.artifacts.wheel import run_build
from ss3_schema.errors import ToolError
from ss3_schema.workspace import Workspace, read_version

TOOL_PROJECT = "tools"
TOOL_DISTRIBUTION = "ss3_schema"
REQUIRED_MEMBERS = ("ss3_schema/cli/main.py", "ss3_schema/cli/openapi.py", "ss3_schema/registry/openapi.py")
# Needed by the schema repository's own commands only (the `toolchain` extra):
# a service pipeline installing the tool for register-openapi must not get them.
TOOLCHAIN_ONLY = frozenset({"protobuf", "grpcio-tools", "mypy-protobuf", "buf-bin", "twine", "build", "hatchling"})
_REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def build_tool_wheel(ws: Workspace) -> Path:
    """Build dist/ss3_schema-<VERSION>-py3-none-any.whl and return its path."""
    project = ws.root / TOOL_PROJECT
    if not (project / "pyproject.toml").is_file():
        raise ToolError(f"{TOOL_PROJECT}/pyproject.toml not found: the tool is built from the repository root")
    version = read_version(ws)
    with atomic.staging(ws.dist_dir, ".build-tool-") as staging:
        wheel = run_build(ws, project, staging)
        verify_tool_wheel(wheel, version)
        target = ws.dist_dir / wheel.name
        atomic.replace_file(wheel, target)
    return target


def verify_tool_wheel(wheel: Path, version: str) -> None:
    """Refuse a tool wheel with another version, missing modules, or a heavy lean install."""
    expected = f"{TOOL_DISTRIBUTION}-{version}-py3-none-any.whl"
    if wheel.name != expected:
        raise ToolError(f"{wheel.name}: expected {expected} (the version comes from VERSION)")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"{TOOL_DISTRIBUTION}-{version}.dist-info/METADATA").decode()
    missing = [m for m in REQUIRED_MEMBERS if m not in names]
    if missing:
        raise ToolError(f"{wheel.name}: missing {', '.join(missing)}")
    if any("__pycache__" in n or n.endswith(".pyc") for n in names):
        raise ToolError(f"{wheel.name}: contains compiled bytecode")
    heavy = sorted(set(unconditional_requirements(metadata)) & TOOLCHAIN_ONLY)
    if heavy:
        raise ToolError(f"{wheel.name}: {', '.join(heavy)} must be in the toolchain extra, not required by default")


def unconditional_requirements(metadata: str) -> list[str]:
    """Names of the Requires-Dist entries that apply without any extra, normalized."""
    names = []
    for requirement in email.parser.Parser().parsestr(metadata).get_all("Requires-Dist") or []:
        spec, _, marker = requirement.partition(";")
        match = _REQUIREMENT_NAME.match(spec.strip())
        if match and "extra" not in marker:
            names.append(re.sub(r"[-_.]+", "-", match.group(0)).lower())
    return names
