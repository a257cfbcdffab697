"""The pinned generator's protoc (generator.py), with its errors located."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ss3_schema.errors import ConfigError, ToolError
from ss3_schema.report import Violation
from ss3_schema.rules import RuleId
from ss3_schema.schema.image import CompileFailed
from ss3_schema.toolchain.generator import ensure_generator
from ss3_schema.validate import utf8_schemas
from ss3_schema.workspace import PROTO_DIR, Workspace

_DIAGNOSTIC = re.compile(r"^(?P<file>[^:]+?\.proto):(?P<line>\d+):(?P<col>\d+): (?P<message>.*)$")
_FILE_DIAGNOSTIC = re.compile(r"^(?P<file>[^:]+?\.proto): (?P<message>.*)$")
# protoc's own generators; mypy-protobuf runs in-process afterwards (stubs.py).
GENERATORS = ("python", "grpc_python")


def run(ws: Workspace, out: Path, descriptor_set: Path) -> None:
    """Generate the Python and gRPC modules of the tree into `out` and write its descriptor set.

    The descriptor set holds imports and source info: self-contained, comments kept.
    Raises CompileFailed with located diagnostics when the schemas do not compile.
    """
    files = ws.proto_files()
    if not files:
        raise ConfigError(f"{PROTO_DIR}/: no .proto files to generate from")
    utf8_schemas(ws.proto_dir, files)
    generator = ensure_generator()
    args = [f"-I{ws.proto_dir}", f"-I{generator.include}"]
    args += [f"--{name}_out={out}" for name in GENERATORS]
    args += [f"--descriptor_set_out={descriptor_set}", "--include_imports", "--include_source_info"]
    proc = subprocess.run(generator.protoc([*args, *files]), capture_output=True, check=False)
    if proc.returncode != 0:
        raise _failure(proc.stderr.decode("utf-8", errors="replace"), ws.proto_dir)


def _failure(diagnostics: str, proto_dir: Path) -> CompileFailed | ToolError:
    """A located diagnostic is the schema's fault; anything else (disk full, say) is protoc's."""
    found = parse_diagnostics(diagnostics, proto_dir)
    if found and all(v.file != PROTO_DIR for v in found):
        return CompileFailed(found)
    lines = [line.strip() for line in diagnostics.splitlines() if line.strip()]
    return ToolError(f"protoc failed: {lines[0] if lines else 'no diagnostics'}")


def parse_diagnostics(text: str, proto_dir: Path | None = None) -> list[Violation]:
    """protoc's `file:line:col: message` lines as COMPILE violations with repository paths.

    protoc names a file by its path on disk, which is absolute when the include
    directory is; `proto_dir` turns such paths back into import paths.
    """
    found = []
    for line in text.splitlines():
        match = _DIAGNOSTIC.match(line.strip()) or _FILE_DIAGNOSTIC.match(line.strip())
        if match is None or match["message"].startswith("warning:"):
            continue
        where = (int(match["line"]), int(match["col"])) if "line" in match.groupdict() else (1, 1)
        found.append(_violation(_import_path(match["file"], proto_dir), *where, match["message"]))
    if not found and text.strip():
        found.append(Violation(PROTO_DIR, 1, 1, RuleId.COMPILE, text.strip().splitlines()[0]))
    return found


def _import_path(file: str, proto_dir: Path | None) -> str:
    if proto_dir is None or not Path(file).is_absolute():
        return file
    for root in (proto_dir, proto_dir.resolve()):
        if Path(file).is_relative_to(root):
            return Path(file).relative_to(root).as_posix()
    return file


def _violation(file: str, line: int, col: int, message: str) -> Violation:
    return Violation(f"{PROTO_DIR}/{file}", line, col, RuleId.COMPILE, message)
