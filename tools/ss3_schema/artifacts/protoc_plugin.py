"""protoc plugin `protoc-gen-ss3-grpc`: gRPC Python code and typed gRPC stubs.

grpcio-tools ships its gRPC generator only inside its bundled protoc, not as a
plugin buf could run (grpc/grpc#26125). This plugin runs that generator (the
pinned one, generator.py) on the request's descriptors, and mypy-protobuf's
gRPC stub generator in-process next to it. Unlike the raw generators it emits files only for
schema files that declare a service, so event modules get no empty
`_pb2_grpc.py` that would import grpcio for nothing.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2

from ss3_schema.artifacts import stubs
from ss3_schema.toolchain.generator import ensure_generator


def generate_grpc_python(
    request: plugin_pb2.CodeGeneratorRequest, files: list[str]
) -> list[plugin_pb2.CodeGeneratorResponse.File]:
    with tempfile.TemporaryDirectory(prefix="ss3-grpc-") as tmp:
        fds = descriptor_pb2.FileDescriptorSet(file=list(request.proto_file))
        set_path = Path(tmp) / "request.binpb"
        set_path.write_bytes(fds.SerializeToString())
        out = Path(tmp) / "out"
        out.mkdir()
        args = [f"--descriptor_set_in={set_path}", f"--grpc_python_out={out}", *files]
        proc = subprocess.run(ensure_generator().protoc(args), capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"grpc_python generator failed with exit {proc.returncode}: {proc.stderr.strip()}")
        return [
            plugin_pb2.CodeGeneratorResponse.File(name=p.relative_to(out).as_posix(), content=p.read_text("utf-8"))
            for p in sorted(out.rglob("*.py"))
        ]


def run(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    response = plugin_pb2.CodeGeneratorResponse()
    response.supported_features = plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    files = stubs.service_files(request.proto_file, request.file_to_generate)
    if not files:
        return response
    try:
        response.file.extend(generate_grpc_python(request, files))
        response.file.extend(stubs.grpc_stubs(request))
    except Exception as exc:  # a plugin reports failures in the response, not by crashing
        response.error = str(exc)
    return response


def main() -> None:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(run(request).SerializeToString())
