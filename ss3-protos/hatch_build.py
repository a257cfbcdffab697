"""Derive the wheel's version and runtime requirements from the generated code.

Generated modules refuse to import on a protobuf runtime older than the
protoc that produced them (and on a grpcio older than the gRPC generator),
so the floors are read from the code itself rather than written by hand.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hatchling.metadata.plugin.interface import MetadataHookInterface

PROTOBUF_GENCODE = re.compile(r"^# Protobuf Python Version: (\d+\.\d+\.\d+)", re.MULTILINE)
GRPC_GENCODE = re.compile(r"^GRPC_GENERATED_VERSION = '(\d+\.\d+\.\d+)'", re.MULTILINE)
VERSION = re.compile(r'^__version__ = "([^"]+)"', re.MULTILINE)


def single_version(pattern: re.Pattern[str], files: list[Path], what: str) -> str:
    matches = (pattern.search(f.read_text("utf-8")) for f in files)
    found = {m.group(1) for m in matches if m}
    if len(found) != 1:
        raise RuntimeError(f"expected one {what} across the generated code, found {sorted(found) or 'none'}")
    return found.pop()


def requirements(package: Path) -> tuple[list[str], dict[str, list[str]]]:
    protobuf = single_version(PROTOBUF_GENCODE, sorted(package.rglob("*_pb2.py")), "protobuf gencode version")
    grpc = single_version(GRPC_GENCODE, sorted(package.rglob("*_pb2_grpc.py")), "grpc generated version")
    next_major = int(protobuf.split(".")[0]) + 1
    next_grpc_major = int(grpc.split(".")[0]) + 1
    return [f"protobuf>={protobuf},<{next_major}"], {"grpc": [f"grpcio>={grpc},<{next_grpc_major}"]}


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
        metadata["dependencies"], metadata["optional-dependencies"] = requirements(package)
