"""Content addressing of `gen`: nothing changed, nothing to do.

The key hashes every input of generation: each file under proto/ and under
ss3-protos/runtime/ (path and bytes), VERSION, the versions of the generators
(the pinned grpcio-tools of generator.py, and the protobuf and mypy-protobuf of
the tool environment) and the generator's own code. The record, written next to
the package after a successful run, holds that key and the size and mtime
of every generated file, so a tree edited or deleted by hand is regenerated
too. Only the standard library is imported here: the no-op path must not pay
for loading protoc.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

from ss3_schema.toolchain.generator import GRPCIO_TOOLS_VERSION
from ss3_schema.workspace import Workspace

RECORD_NAME = ".ss3-gen.json"
GENERATORS = ("protobuf", "mypy_protobuf")  # distribution names as in *.dist-info
_DIST_INFO = re.compile(r"^(?P<name>[A-Za-z0-9_.]+)-(?P<version>[^-]+)\.dist-info$")
_SKIPPED_DIRS = ("__pycache__",)
# The generator's code: this package's build stage and the workspace layout it follows, and
# the redaction gen copies into the wheel's runtime.
_CODE_DIR = Path(__file__).resolve().parent
_CODE_FILES = (_CODE_DIR.parent / "workspace.py", _CODE_DIR.parent / "redact.py")


def inputs_key(ws: Workspace) -> str:
    ws.proto_files()  # refuses a linked file before anything behind it is read
    digest = hashlib.sha256()
    for rel, path in _files(ws.proto_dir):
        _add(digest, f"proto/{rel}", path.read_bytes())
    for rel, path in _files(ws.package_runtime):
        _add(digest, f"runtime/{rel}", path.read_bytes())
    _add(digest, "VERSION", ws.version_file.read_bytes() if ws.version_file.is_file() else b"")
    versions = _installed_versions()
    _add(digest, "tool:grpcio_tools", GRPCIO_TOOLS_VERSION.encode())
    for name in GENERATORS:
        _add(digest, f"tool:{name}", versions.get(name, "missing").encode())
    _add(digest, "python", f"{sys.version_info.major}.{sys.version_info.minor}".encode())
    for path in sorted(_CODE_DIR.glob("*.py")) + list(_CODE_FILES):
        _add(digest, f"code:{path.name}", path.read_bytes())
    return digest.hexdigest()


def up_to_date(ws: Workspace, package_dir: Path, key: str) -> bool:
    """True when the recorded key matches and the generated files are as generation left them."""
    try:
        record = json.loads(_record_path(ws).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get("key") == key and record.get("files") == _manifest(package_dir)


def record(ws: Workspace, package_dir: Path, key: str, scratch: Path) -> None:
    """Write the record through a file in `scratch` (gen's locked staging directory, on the same
    file system), so that a killed run leaves no temporary file beside the package."""
    path = _record_path(ws)
    handle, tmp = tempfile.mkstemp(prefix=f"{RECORD_NAME}.", dir=scratch)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(json.dumps({"key": key, "files": _manifest(package_dir)}))
    os.replace(tmp, path)


def forget(ws: Workspace) -> None:
    _record_path(ws).unlink(missing_ok=True)


def _record_path(ws: Workspace) -> Path:
    return ws.generated_root / RECORD_NAME


def _manifest(package_dir: Path) -> dict[str, list[int]]:
    manifest = {}
    for rel, entry in _entries(str(package_dir), ""):
        stat = entry.stat()
        manifest[rel] = [stat.st_size, stat.st_mtime_ns]
    return manifest


def _files(top: Path) -> list[tuple[str, Path]]:
    return [(rel, Path(entry.path)) for rel, entry in _entries(str(top), "")]


def _entries(directory: str, prefix: str) -> list[tuple[str, os.DirEntry[str]]]:
    """Every file below `directory`, sorted by relative path (one scandir per directory: the no-op is a stat walk)."""
    found: list[tuple[str, os.DirEntry[str]]] = []
    try:
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except FileNotFoundError:
        return found
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name not in _SKIPPED_DIRS:
                found += _entries(entry.path, f"{prefix}{entry.name}/")
        elif entry.is_file(follow_symlinks=False):
            found.append((f"{prefix}{entry.name}", entry))
    return found


def _add(digest: hashlib._Hash, name: str, data: bytes) -> None:
    digest.update(f"{name}\0{len(data)}\0".encode())
    digest.update(data)


def _installed_versions() -> dict[str, str]:
    """{distribution: version} from the *.dist-info directories on sys.path (first wins, as for imports).

    Cheaper than importlib.metadata, whose import alone costs a good part of the no-op budget.
    """
    versions: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            match = _DIST_INFO.match(name)
            if match:
                versions.setdefault(match["name"].lower().replace(".", "_"), match["version"])
    return versions
