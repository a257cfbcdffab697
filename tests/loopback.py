"""A threaded HTTP server on 127.0.0.1 (free port) for the test fakes, stopped by `close()` or `with`."""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # The fakes drop and reset connections on purpose; a client that hangs up is no test failure,
        # and the default handler would print its traceback into the test run's output.
        pass


class LoopbackServer:
    """Serves `handler` on a free 127.0.0.1 port in a daemon thread until closed (over TLS with `tls`)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], name: str, *, tls: ssl.SSLContext | None = None) -> None:
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._scheme = "https" if tls else "http"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()
