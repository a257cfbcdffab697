"""Derive the wheel's version and runtime requirements.

`Requires-Dist` states exactly the range the runtime matrix tests
(`tested-runtimes` in pyproject.toml, installed one by one by
tests/package/test_runtime_matrix.py): from the oldest tested protobuf
(grpcio) up to, not including, the major after the newest tested one. Where
a Python's oldest tested row is newer than another's (a runtime that warns or
has no wheels there), that Python gets its own floor through an environment
marker; Pythons newer than every row get the floor of the newest one.
The generated code is checked against the overall floor: a module generated
for a newer runtime than the oldest tested one would not import there, so the
build refuses instead of publishing a range that is not true.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hatchling.metadata.plugin.interface import MetadataHookInterface

PROTOBUF_GENCODE = re.compile(r"^# Protobuf Python Version: (\d+\.\d+\.\d+)", re.MULTILINE)
GRPC_GENCODE = re.compile(r"^GRPC_GENERATED_VERSION = '(\d+\.\d+\.\d+)'", re.MULTILINE)
VERSION = re.compile(r'^__version__ = "([^"]+)"', re.MULTILINE)
PYTHON = re.compile(r"^3\.\d+$")


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def single_version(pattern: re.Pattern[str], files: list[Path], what: str) -> str:
    matches = (pattern.search(f.read_text("utf-8")) for f in files)
    found = {m.group(1) for m in matches if m}
    if len(found) != 1:
        raise RuntimeError(f"expected one {what} across the generated code, found {sorted(found) or 'none'}")
    return found.pop()


def _python(row: dict[str, str]) -> tuple[int, ...]:
    python = str(row.get("python", ""))
    if not PYTHON.match(python):
        raise RuntimeError(f'tested-runtimes row {row} needs python = "3.N"')
    return _release(python)


def floors_by_python(runtimes: list[dict[str, str]], name: str) -> list[tuple[tuple[int, ...], str]]:
    """(first Python, floor) from the oldest Python on, one entry each time the floor changes."""
    oldest: dict[tuple[int, ...], str] = {}
    for row in runtimes:
        python = _python(row)
        if python not in oldest or _release(row[name]) < _release(oldest[python]):
            oldest[python] = row[name]
    steps: list[tuple[tuple[int, ...], str]] = []
    for python in sorted(oldest):
        if not steps or steps[-1][1] != oldest[python]:
            steps.append((python, oldest[python]))
    return steps


def tested_range(runtimes: list[dict[str, str]], name: str, generated: str) -> list[str]:
    """`name>=<oldest tested>,<<major after the newest tested>` per Python range, refused if the code needs more."""
    versions = sorted((row[name] for row in runtimes), key=_release)
    if _release(versions[0]) < _release(generated):
        raise RuntimeError(f"the oldest tested {name} {versions[0]} is older than the generated code ({generated})")
    ceiling = _release(versions[-1])[0] + 1
    steps = floors_by_python(runtimes, name)
    specs = []
    for index, (python, floor) in enumerate(steps):
        bounds = []
        if index > 0:
            bounds.append(f'python_version >= "{python[0]}.{python[1]}"')
        if index + 1 < len(steps):
            upper = steps[index + 1][0]
            bounds.append(f'python_version < "{upper[0]}.{upper[1]}"')
        marker = f"; {' and '.join(bounds)}" if bounds else ""
        specs.append(f"{name}>={floor},<{ceiling}{marker}")
    return specs


def requirements(package: Path, runtimes: list[dict[str, str]]) -> tuple[list[str], dict[str, list[str]]]:
    if not runtimes:
        raise RuntimeError("pyproject.toml names no tested-runtimes")
    protobuf = single_version(PROTOBUF_GENCODE, sorted(package.rglob("*_pb2.py")), "protobuf gencode version")
    grpc = single_version(GRPC_GENCODE, sorted(package.rglob("*_pb2_grpc.py")), "grpc generated version")
    return tested_range(runtimes, "protobuf", protobuf), {"grpc": tested_range(runtimes, "grpcio", grpc)}


class CustomMetadataHook(MetadataHookInterface):
    def update(self, metadata: dict[str, Any]) -> None:
        package = Path(self.root) / "src" / "ss3"
        init = package / "__init__.py"
        if not init.is_file():
            raise RuntimeError("src/ss3 is not generated yet: run `make gen` first")
        match = VERSION.search(init.read_text("utf-8"))
        if match is None:
            raise RuntimeError("src/ss3/__init__.py has no __version__")
        metadata["version"] = match.group(1)
        runtimes = list(self.config.get("tested-runtimes", []))
        metadata["dependencies"], metadata["optional-dependencies"] = requirements(package, runtimes)
