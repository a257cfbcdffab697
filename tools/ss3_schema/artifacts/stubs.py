"""Typed stubs (mypy-protobuf), generated in-process from a descriptor set.

Running mypy-protobuf as a library instead of as two protoc plugin
processes saves two Python start-ups per generation; the output is the
same code path and the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from mypy_protobuf.main import Descriptors, GRPCType, generate_mypy_grpc_stubs, generate_mypy_stubs

# mypy-protobuf's switches, by position: quiet, readable_stubs,
# relax_strict_optional_primitives, use_default_deprecation_warnings,
# generate_concrete_servicer_stubs. Only `quiet` is on (no chatter on stderr).
_SWITCHES = (True, False, False, False, False)


def service_files(files: Sequence[descriptor_pb2.FileDescriptorProto], wanted: Sequence[str]) -> list[str]:
    """The names in `wanted` whose files declare at least one service."""
    with_services = {f.name for f in files if f.service}
    return [name for name in wanted if name in with_services]


def request_for(
    files: Sequence[descriptor_pb2.FileDescriptorProto], to_generate: Sequence[str]
) -> plugin_pb2.CodeGeneratorRequest:
    """A plugin request over `files` (dependencies first) generating `to_generate`."""
    return plugin_pb2.CodeGeneratorRequest(file_to_generate=list(to_generate), proto_file=list(files))


def message_stubs(request: plugin_pb2.CodeGeneratorRequest) -> list[plugin_pb2.CodeGeneratorResponse.File]:
    response = plugin_pb2.CodeGeneratorResponse()
    generate_mypy_stubs(Descriptors(request), response, *_SWITCHES)
    return list(response.file)


def grpc_stubs(request: plugin_pb2.CodeGeneratorRequest) -> list[plugin_pb2.CodeGeneratorResponse.File]:
    """`_pb2_grpc.pyi` for the request's files that declare a service (none for the others)."""
    services = service_files(request.proto_file, request.file_to_generate)
    if not services:
        return []
    response = plugin_pb2.CodeGeneratorResponse()
    generate_mypy_grpc_stubs(
        Descriptors(request_for(request.proto_file, services)), response, *_SWITCHES, GRPCType.BOTH
    )
    return list(response.file)
