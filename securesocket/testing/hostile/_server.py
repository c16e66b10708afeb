"""The `HostileServer` base: a threaded TCP server on 127.0.0.1 whose handler misbehaves.

Every blocking call polls the stop flag, so leaving the context manager is prompt even while a
handler stalls a client on purpose; a peer hanging up ends a handler quietly.
"""

from __future__ import annotations

import socket
import threading
from typing import Self

from .._service import Service


HOST = "127.0.0.1"
POLL_INTERVAL = 0.05
"""Seconds between checks of the stop flag in every blocking loop."""
JOIN_TIMEOUT = 5.0
"""Seconds `__exit__` waits for each thread before recording it as stuck."""
MAX_RECORD = 16384
"""Largest TLS plaintext record (RFC 8446 §5.1)."""

# Errors that mean "the client went away": expected from hostile peers, never a server fault.
_PEER_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class HangUpError(Exception):
    """Raised inside a handler when the server is shutting down or the peer hung up."""


class HostileServer(Service):
    """Base: a threaded TCP server on 127.0.0.1 whose handler misbehaves. A kit `Service`:
    ``with server:`` (or `start` / `stop`).

    Attributes:
        host: always ``"127.0.0.1"``.
        port: the port bound on entry.
        connections: how many connections were accepted.
        errors: unexpected exceptions raised by handlers (a client hanging up is not one).
    """

    def __init__(self) -> None:
        self.host = HOST
        self.port = 0
        self.connections = 0
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)``."""
        return self.host, self.port

    # -- lifecycle

    def start(self) -> Self:
        """Bind a fresh port on 127.0.0.1 and start accepting."""
        self._listener = socket.create_server((HOST, 0), backlog=128)
        self._listener.settimeout(POLL_INTERVAL)
        self.port = self._listener.getsockname()[1]
        self._spawn(self._accept_loop, "accept")
        return self

    def stop(self) -> None:
        """Stop accepting, end every handler, close every socket (idempotent)."""
        self._stop.set()
        # The acceptor (always the first thread) is joined before the handlers are listed:
        # once it has ended, no new handler can appear behind our back.
        if self._threads:
            self._join(self._threads[0])
        with self._lock:
            handlers = self._threads[1:]
            self._threads.clear()
        for thread in handlers:
            self._join(thread)
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _join(self, thread: threading.Thread) -> None:
        thread.join(JOIN_TIMEOUT)
        if thread.is_alive():
            self.errors.append(RuntimeError(f"thread {thread.name} did not stop"))

    def _spawn(self, target: object, name: str, *args: object) -> None:
        thread = threading.Thread(
            target=target,  # type: ignore[arg-type]
            args=args,
            name=f"{type(self).__name__}-{name}",
            daemon=True,
        )
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._listener is not None  # noqa: S101 - set in __enter__ before this thread
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._stop.is_set():  # accepted while stopping: nobody would join its handler
                conn.close()
                return
            self.connections += 1
            self._spawn(self._serve, str(self.connections), conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(POLL_INTERVAL)
            try:
                self.handle(conn)
            except (HangUpError, *_PEER_GONE):
                pass
            except Exception as exc:  # recorded for the test to assert on
                self.errors.append(exc)

    def handle(self, conn: socket.socket) -> None:
        """Serve one client. Subclasses misbehave here."""
        raise NotImplementedError

    # -- stop-aware blocking helpers for handlers

    def recv(self, conn: socket.socket, limit: int = 65536) -> bytes:
        """Some bytes from the client; raises `HangUpError` on EOF or shutdown."""
        while not self._stop.is_set():
            try:
                data = conn.recv(limit)
            except TimeoutError:
                continue
            if not data:
                raise HangUpError
            return data
        raise HangUpError

    def recv_exactly(self, conn: socket.socket, count: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < count:
            chunks += self.recv(conn, count - len(chunks))
        return bytes(chunks)

    def sendall(self, conn: socket.socket, data: bytes) -> None:
        """Send everything, polling the stop flag while the client is not reading."""
        view = memoryview(data)
        while view:
            if self._stop.is_set():
                raise HangUpError
            try:
                sent = conn.send(view[:65536])
            except TimeoutError:
                continue
            view = view[sent:]

    def sleep(self, seconds: float) -> None:
        """Wait, but raise `HangUpError` as soon as the server is stopping."""
        if self._stop.wait(seconds):
            raise HangUpError

    def hold(self, conn: socket.socket) -> None:
        """Keep the connection open, discarding input, until the client leaves or we stop."""
        while True:
            self.recv(conn)
