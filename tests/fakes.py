"""Small loopback HTTP fakes that misbehave on purpose (only beside the real servers, to inject faults).

`FakeServer(answer)` binds 127.0.0.1 on a free port and answers every request
with `answer(request)`: a status, headers and a body, or one of the behaviours

  DRIP     a 200 whose body trickles one byte every DRIP_INTERVAL_S, forever
  SILENT   accept the request and never answer

Every request (method, path, headers, body) is recorded in `requests`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.loopback import LoopbackServer

DRIP = "drip"
SILENT = "silent"
DRIP_INTERVAL_S = 0.5


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Behaviour = Answer | str
Responder = Callable[[Request], Behaviour]


class FakeServer(LoopbackServer):
    def __init__(self, answer: Responder) -> None:
        self.requests: list[Request] = []
        self._answer = answer
        self._stop = threading.Event()
        super().__init__(_handler_for(self), "fake-http")

    def close(self) -> None:
        self._stop.set()  # releases DRIP and SILENT handlers before the server shuts down
        super().close()


def _handler_for(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
            fake.requests.append(request)
            behaviour = fake._answer(request)
            if behaviour == SILENT:
                fake._stop.wait()
            elif behaviour == DRIP:
                self._drip()
            elif isinstance(behaviour, Answer):
                self._send(behaviour)

        def _drip(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            while not fake._stop.is_set():
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(DRIP_INTERVAL_S)

        def _send(self, answer: Answer) -> None:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler
