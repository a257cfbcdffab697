"""Derive the wheel's version and runtime requirements.

`Requires-Dist` states exactly the range the runtime matrix tests
(`tested-runtimes` in pyproject.toml, installed one by one by
tests/package/test_runtime_matrix.py): from the oldest tested protobuf
(grpcio) up to, not including, the major after the newest tested one.
The generated code is checked against that floor: a module generated for a
newer runtime than the oldest tested one would not import there, so the
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


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def single_version(pattern: re.Pattern[str], files: list[Path], what: str) -> str:
    matches = (pattern.search(f.read_text("utf-8")) for f in files)
    found = {m.group(1) for m in matches if m}
    if len(found) != 1:
        raise RuntimeError(f"expected one {what} across the generated code, found {sorted(found) or 'none'}")
    return found.pop()


def tested_range(runtimes: list[dict[str, str]], name: str, generated: str) -> str:
    """`name>=<oldest tested>,<<major after the newest tested>`, refused if the code needs more."""
    versions = sorted((row[name] for row in runtimes), key=_release)
    oldest, newest = versions[0], versions[-1]
    if _release(oldest) < _release(generated):
        raise RuntimeError(f"the oldest tested {name} {oldest} is older than the generated code ({generated})")
    return f"{name}>={oldest},<{_release(newest)[0] + 1}"


def requirements(package: Path, runtimes: list[dict[str, str]]) -> tuple[list[str], dict[str, list[str]]]:
    if not runtimes:
        raise RuntimeError("pyproject.toml names no tested-runtimes")
    protobuf = single_version(PROTOBUF_GENCODE, sorted(package.rglob("*_pb2.py")), "protobuf gencode version")
    grpc = single_version(GRPC_GENCODE, sorted(package.rglob("*_pb2_grpc.py")), "grpc generated version")
    return [tested_range(runtimes, "protobuf", protobuf)], {"grpc": [tested_range(runtimes, "grpcio", grpc)]}


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
