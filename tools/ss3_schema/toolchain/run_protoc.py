"""Run the protoc compiled into a grpcio-tools wheel, from any CPython.

`python -I run_protoc.py LIBRARY SYMBOL GRPC_VERSION ARGS...` loads the wheel's
extension library as a plain shared library and calls its C++ entry point
`grpc_tools::protoc_main(argc, argv, grpc_version)`, the function its Python
binding `run_main` calls. The extension is never imported as a module, so the
Python it was built for does not matter: its references to the Python C API
are only the binding's, which is never called, and the few data symbols among
them (type objects, exceptions) are in every CPython 3. Kept free of the
tool's imports: it runs with `-I` next to nothing else, in a process of its own,
so protoc's copy of libprotobuf never meets the tool's protobuf.
"""

import ctypes
import os
import sys


def main(library: str, symbol: str, grpc_version: str, args: list[str]) -> int:
    protoc_main = ctypes.CDLL(library, mode=os.RTLD_LAZY | os.RTLD_LOCAL)[symbol]
    protoc_main.restype = ctypes.c_int
    protoc_main.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p), ctypes.c_char_p]
    argv = [b"protoc", *map(os.fsencode, args)]
    return int(protoc_main(len(argv), (ctypes.c_char_p * (len(argv) + 1))(*argv, None), grpc_version.encode()))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
