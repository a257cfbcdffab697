"""A loopback HTTP proxy that injects faults into the first requests it forwards.

Faults, applied in order to the first requests (one per request):

  "ok"           forward untouched (to fail a later request)
  "503", "500"   answer 503 Service Unavailable (or 500) without forwarding
  "slow"         wait `slow_s` seconds, then forward (a client with a shorter
                 time limit gives up first)
  "drop-before"  close the connection without forwarding
  "drop-after"   forward, let the server act, then close without answering
                 (the client never learns that its request succeeded)

Later requests are forwarded untouched. Standard library only; one thread
per connection; binds 127.0.0.1.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import deque
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from tests.loopback import LoopbackServer

FAULTS = ("ok", "503", "500", "slow", "drop-before", "drop-after")
# Headers that describe one hop, not the message: never forwarded.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


class FaultProxy(LoopbackServer):
    """Forward to `upstream` (http://host:port), failing the first requests as told."""

    def __init__(self, upstream: str, faults: Iterable[str] = (), *, slow_s: float = 3.0) -> None:
        parts = urlsplit(upstream)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"upstream needs a host and port: {upstream}")
        self.upstream = (parts.hostname, parts.port)
        self.slow_s = slow_s
        self._faults = deque(faults)
        unknown = set(self._faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; use {FAULTS}")
        self._lock = threading.Lock()
        self.requests_seen = 0
        self.faults_injected: list[str] = []
        super().__init__(_handler_for(self), "fault-proxy")

    def next_fault(self) -> str | None:
        with self._lock:
            self.requests_seen += 1
            if not self._faults:
                return None
            fault = self._faults.popleft()
            if fault == "ok":
                return None
            self.faults_injected.append(fault)
            return fault


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the registry speaks it

        def do_GET(self) -> None:
            self._proxy()

        def do_POST(self) -> None:
            self._proxy()

        def do_PUT(self) -> None:
            self._proxy()

        def do_DELETE(self) -> None:
            self._proxy()

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

        def _proxy(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fault = proxy.next_fault()
            if fault in ("503", "500"):
                self._answer(int(fault), [("Content-Type", "text/plain")], b"injected fault\n")
                return
            if fault == "slow":
                time.sleep(proxy.slow_s)
            if fault == "drop-before":
                self._drop()
                return
            status, headers, payload = self._forward(body)
            if fault == "drop-after":
                self._drop()
                return
            self._answer(status, headers, payload)

        def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            connection = http.client.HTTPConnection(*proxy.upstream, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                connection.request(self.command, self.path, body=body or None, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP | {"content-length"}]
                return response.status, kept, payload
            finally:
                connection.close()

        def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _drop(self) -> None:
            self.close_connection = True
            self.wfile.flush()
            self.connection.close()

    return Handler
