"""Stage: generate the Python package tree of the ss3-protos wheel.

Everything is produced in a staging directory and swapped into
ss3-protos/src/ss3 only when complete, so a syntax error or a failing
plugin never leaves half-written output behind.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ss3_schema.errors import ToolError
from ss3_schema.images import CompileFailed
from ss3_schema.toolchain import BUF_VIOLATIONS_EXIT, parse_buf_json, run_buf
from ss3_schema.workspace import Workspace, read_version

PACKAGE = "ss3"
DESCRIPTOR_SET = "_descriptors/ss3.binpb"
TEMPLATE = "buf.gen.yaml"

_ROOT_INIT = '''"""ShopSTAR3 Protobuf schemas: generated messages, gRPC stubs and descriptors."""

from __future__ import annotations

from importlib import resources

from google.protobuf import descriptor_pb2

__version__ = "{version}"

DESCRIPTOR_SET_RESOURCE = "{descriptor_set}"


def load_descriptor_set() -> descriptor_pb2.FileDescriptorSet:
    """The self-contained descriptor set of every schema in this package (imports included)."""
    data = resources.files(__name__).joinpath(DESCRIPTOR_SET_RESOURCE).read_bytes()
    return descriptor_pb2.FileDescriptorSet.FromString(data)
'''


@dataclass(frozen=True)
class Generated:
    package_dir: Path
    modules: int
    protos: int


def generate(ws: Workspace) -> Generated:
    """Regenerate ss3-protos/src/ss3 from proto/ atomically."""
    version = read_version(ws)
    ws.generated_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".gen-", dir=ws.generated_root))
    try:
        package = _generate_into(ws, staging)
        _add_package_files(ws, package, version)
        target = ws.generated_root / PACKAGE
        _swap_into_place(package, target)
        return Generated(target, len(list(target.rglob("*_pb2.py"))), len(list(target.rglob("*.proto"))))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _generate_into(ws: Workspace, staging: Path) -> Path:
    descriptor_set = staging / "descriptors.binpb"
    _build_descriptor_set(ws, descriptor_set)
    out = staging / "out"
    args = ["generate", str(descriptor_set), "--template", TEMPLATE, "--output", str(out), "--path", PACKAGE]
    proc = run_buf(args, cwd=ws.root)
    if proc.returncode != 0:
        raise ToolError(f"buf generate failed: {proc.stderr.strip().splitlines()[-1:]}")
    package = out / ws.relative(ws.generated_root) / PACKAGE
    (package / DESCRIPTOR_SET).parent.mkdir(parents=True)
    shutil.copyfile(descriptor_set, package / DESCRIPTOR_SET)
    return package


def _build_descriptor_set(ws: Workspace, target: Path) -> None:
    # One compile serves both generation and the shipped descriptor set: a plain
    # FileDescriptorSet with imports and source info (comments for tools).
    args = ["build", "--as-file-descriptor-set", "--error-format", "json", "-o", str(target)]
    proc = run_buf(args, cwd=ws.root)
    if proc.returncode == BUF_VIOLATIONS_EXIT:
        raise CompileFailed(parse_buf_json(proc.stdout + "\n" + proc.stderr))


def _add_package_files(ws: Workspace, package: Path, version: str) -> None:
    for proto in sorted(ws.proto_dir.joinpath(PACKAGE).rglob("*.proto")):
        dest = package / proto.relative_to(ws.proto_dir / PACKAGE)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(proto, dest)
    for directory in sorted(p for p in package.rglob("*") if p.is_dir()):
        if not directory.name.startswith("_"):
            (directory / "__init__.py").touch()
    init = _ROOT_INIT.format(version=version, descriptor_set=DESCRIPTOR_SET)
    (package / "__init__.py").write_text(init, encoding="utf-8")
    # The wheel owns the `ss3` package outright, so one marker covers every subpackage.
    (package / "py.typed").write_text("", encoding="utf-8")


def _swap_into_place(new: Path, target: Path) -> None:
    old = target.with_name(f".old-{target.name}")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
