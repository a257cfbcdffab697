"""Stage: generate the Python package tree of the ss3-protos wheel.

One protoc call of the pinned generator (generator.py: an older
grpcio-tools, so that the wheel imports on protobuf 5.26 to 7.x) compiles the
tree, runs the Python and gRPC Python generators and writes the descriptor
set; mypy-protobuf then writes the typed stubs from that descriptor set,
in-process. buf.gen.yaml describes the same generation
for `buf generate`; a test keeps the two in agreement.

Everything is produced in a staging directory and swapped into
ss3-protos/src/ss3 only when complete, so a syntax error or a failing
plugin never leaves half-written output behind.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2

from ss3_schema import atomic, redact
from ss3_schema.artifacts import fingerprint, protoc, stubs, topics
from ss3_schema.workspace import Workspace, read_version

PACKAGE = "ss3"
REDACT_MODULE = "kafka/_redact.py"
DESCRIPTOR_SET = "_descriptors/ss3.binpb"

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


def generate(ws: Workspace, key: str | None = None) -> Generated:
    """Regenerate ss3-protos/src/ss3 from proto/ atomically; record `key` (fingerprint.inputs_key) when given.

    The record is forgotten, and written again, under the same lock as the package,
    so that it always describes the package next to it.
    """
    version = read_version(ws)
    with atomic.staging(ws.generated_root, ".gen-") as staging:
        fingerprint.forget(ws)
        atomic.remove_stale(ws.generated_root, f"{fingerprint.RECORD_NAME}.")
        package = _generate_into(ws, staging)
        _add_package_files(ws, package, version)
        target = ws.generated_root / PACKAGE
        atomic.replace_dir(package, target)
        if key is not None:
            fingerprint.record(ws, target, key, staging)
        return Generated(target, len(list(target.rglob("*_pb2.py"))), len(list(target.rglob("*.proto"))))


def _generate_into(ws: Workspace, staging: Path) -> Path:
    out = staging / "out"
    out.mkdir()
    descriptor_set = staging / "descriptors.binpb"
    protoc.run(ws, out, descriptor_set)
    fds = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes())
    _write_typed_stubs(fds, ws.proto_files(), out)
    package = out / PACKAGE
    (package / topics.MODULE).write_text(topics.topics_module(fds.file, ws.proto_files()), encoding="utf-8")
    _prune_grpc_modules_without_services(package, fds)
    (package / DESCRIPTOR_SET).parent.mkdir(parents=True)
    shutil.copyfile(descriptor_set, package / DESCRIPTOR_SET)
    return package


def _write_typed_stubs(fds: descriptor_pb2.FileDescriptorSet, own: list[str], out: Path) -> None:
    request = stubs.request_for(fds.file, own)
    for generated in stubs.message_stubs(request) + stubs.grpc_stubs(request):
        (out / generated.name).write_text(generated.content, encoding="utf-8")


def _prune_grpc_modules_without_services(package: Path, fds: descriptor_pb2.FileDescriptorSet) -> None:
    # protoc's gRPC generator writes a module for every file; one without a
    # service would only import grpcio for nothing, so keep services' only.
    for fd in fds.file:
        if fd.name.startswith(f"{PACKAGE}/") and not fd.service:
            stem = package.parent / fd.name.removesuffix(".proto")
            stem.with_name(stem.name + "_pb2_grpc.py").unlink(missing_ok=True)


def _add_package_files(ws: Workspace, package: Path, version: str) -> None:
    for name in ws.proto_files():
        if not name.startswith(f"{PACKAGE}/"):
            continue
        proto = ws.proto_dir / name
        dest = package / name.removeprefix(f"{PACKAGE}/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(proto, dest)
    for directory in sorted(p for p in package.rglob("*") if p.is_dir()):
        if not directory.name.startswith("_"):
            (directory / "__init__.py").touch()
    _copy_runtime(ws, package)
    init = _ROOT_INIT.format(version=version, descriptor_set=DESCRIPTOR_SET)
    (package / "__init__.py").write_text(init, encoding="utf-8")
    # The wheel owns the `ss3` package outright, so one marker covers every subpackage.
    (package / "py.typed").write_text("", encoding="utf-8")


def _copy_runtime(ws: Workspace, package: Path) -> None:
    runtime = ws.package_runtime / PACKAGE
    if runtime.is_dir():
        shutil.copytree(runtime, package, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # One redaction for the tool and the wheel: the runtime imports the tool's module under this name.
    (package / REDACT_MODULE).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(redact.__file__), package / REDACT_MODULE)
