"""protoc plugin `protoc-gen-ss3-grpc`: gRPC Python code and typed gRPC stubs.

grpcio-tools ships its gRPC generator only inside its bundled protoc, not as a
plugin buf could run (grpc/grpc#26125). This plugin runs that generator
in-process on the request's descriptors, and mypy-protobuf's gRPC stub
generator next to it. Unlike the raw generators it emits files only for
schema files that declare a service, so event modules get no empty
`_pb2_grpc.py` that would import grpcio for nothing.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc
from mypy_protobuf.main import Descriptors, GRPCType, generate_mypy_grpc_stubs


def service_files(request: plugin_pb2.CodeGeneratorRequest) -> list[str]:
    by_name = {f.name: f for f in request.proto_file}
    return [name for name in request.file_to_generate if by_name[name].service]


def generate_grpc_python(
    request: plugin_pb2.CodeGeneratorRequest, files: list[str]
) -> list[plugin_pb2.CodeGeneratorResponse.File]:
    with tempfile.TemporaryDirectory(prefix="ss3-grpc-") as tmp:
        fds = descriptor_pb2.FileDescriptorSet(file=list(request.proto_file))
        set_path = Path(tmp) / "request.binpb"
        set_path.write_bytes(fds.SerializeToString())
        out = Path(tmp) / "out"
        out.mkdir()
        # protoc.main treats argv[0] as the program name.
        code = protoc.main(["protoc", f"--descriptor_set_in={set_path}", f"--grpc_python_out={out}", *files])
        if code != 0:
            raise RuntimeError(f"grpc_python generator failed with exit {code}")
        return [
            plugin_pb2.CodeGeneratorResponse.File(name=p.relative_to(out).as_posix(), content=p.read_text("utf-8"))
            for p in sorted(out.rglob("*.py"))
        ]


def generate_grpc_stubs(request: plugin_pb2.CodeGeneratorRequest, files: list[str]) -> plugin_pb2.CodeGeneratorResponse:
    narrowed = plugin_pb2.CodeGeneratorRequest()
    narrowed.CopyFrom(request)
    del narrowed.file_to_generate[:]
    narrowed.file_to_generate.extend(files)
    response = plugin_pb2.CodeGeneratorResponse()
    generate_mypy_grpc_stubs(Descriptors(narrowed), response, True, False, False, False, False, GRPCType.BOTH)
    return response


def run(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    response = plugin_pb2.CodeGeneratorResponse()
    response.supported_features = plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    files = service_files(request)
    if not files:
        return response
    try:
        response.file.extend(generate_grpc_python(request, files))
        response.file.extend(generate_grpc_stubs(request, files).file)
    except Exception as exc:  # a plugin reports failures in the response, not by crashing
        response.error = str(exc)
    return response


def main() -> None:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(run(request).SerializeToString())
