"""`LoopbackHTTPServer`: a stdlib HTTP server on 127.0.0.1, run in a thread, stopped cleanly.

# Model
The socket is bound (to 127.0.0.1, port 0) in the constructor, so the port is known before
anything is served: a live scenario needs the URL to put into certificates it has not issued
yet. `start()` begins serving; `stop()` wakes any handler that is deliberately slow (they wait
on ``stopping``, never on a bare sleep), stops the loop, and joins every thread. A client that
hung up before its answer (the usual end of a "slow" fault) is counted in ``clients_gone``,
not printed as a traceback.

`ClosedPort` holds a bound but non-listening socket: connecting to it is refused, and no other
process can take the port while it is held ("responder down").
"""

from __future__ import annotations

import base64
import binascii
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar, Protocol, Self

from ._service import Service


__all__ = ["ClosedPort", "LoopbackHTTPServer", "OCSPHandler", "QuietHandler"]

HOST = "127.0.0.1"


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads
    block_on_close = True
    owner: LoopbackHTTPServer

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that left before its answer (it timed out on a slow fault, or the server
        is stopping) is normal for a fixture: count it quietly. Anything else is a bug in a
        handler and keeps socketserver's traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            with self.owner.lock:
                self.owner.clients_gone += 1
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that does not log to stderr and gives up on idle clients."""

    timeout: ClassVar[float] = 10.0
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Fixture servers are silent; tests inspect the recorded requests instead."""

    def send_body(self, status: int, body: bytes, content_type: str) -> None:
        """Send a complete response and close the connection."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


class _AnswersOCSP(Protocol):
    def respond(self, method: str, body: bytes) -> tuple[int, bytes]: ...


class OCSPHandler(QuietHandler):
    """RFC 6960 over HTTP: POST (DER body) or GET (``/<url-encoded base64 DER>``); the server's
    owner turns the request bytes into (HTTP status, body) with ``respond(method, body)``."""

    max_request = 65536

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0  # answered as a malformed request
        # Never read an unbounded or negative amount: -1 would wait for the client to close.
        self._answer("POST", self.rfile.read(max(0, min(length, self.max_request))))

    def do_GET(self) -> None:
        encoded = urllib.parse.unquote(self.path.lstrip("/"))
        try:
            body = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            body = b""  # answered as a malformed request
        self._answer("GET", body)

    def _answer(self, method: str, body: bytes) -> None:
        owner: _AnswersOCSP = self.server.owner  # type: ignore[assignment]
        status, payload = owner.respond(method, body)
        self.send_body(status, payload, "application/ocsp-response")


class LoopbackHTTPServer(Service):
    """Base class: subclasses set ``handler_class`` and implement their handler's do_GET/do_POST."""

    handler_class: ClassVar[type[QuietHandler]] = QuietHandler

    def __init__(self) -> None:
        self._server = _Server((HOST, 0), self.handler_class, bind_and_activate=True)
        self._server.owner = self
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        #: Requests whose client went away before the answer was written (see `_Server`).
        self.clients_gone = 0
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        """Always 127.0.0.1."""
        return HOST

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    def start(self) -> Self:
        """Start serving (the socket is already listening, so clients can connect at once)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},  # how long stop() may wait
                name=f"{type(self).__name__} {self.port}",
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Wake slow handlers, stop serving, join all threads, close the socket; idempotent."""
        self.stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()


class ClosedPort(Service):
    """A port on 127.0.0.1 where nothing listens (connections are refused), reserved while held."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((HOST, 0))
        self.port: int = self._sock.getsockname()[1]

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    def start(self) -> Self:
        """Nothing to start: the port is reserved from construction on."""
        return self

    def stop(self) -> None:
        """Release the port."""
        self._sock.close()

    close = stop
