"""`Socket`: AS3's ``flash.net.Socket`` on an asyncio transport/protocol pair.

# Theory of operation

`connect` starts one *attempt* and returns at once; the attempt ends with exactly one
outcome: ``connect`` (the awaitable resolves), or ``ioError`` (it raises `IOError`), or
``securityError`` when the `timeout` expires first (it raises `SecurityError`). A local
`close` during an attempt ends it silently (AS3 dispatches nothing for a local close; the
awaitable raises `IOError`). Every callback carries its attempt and is ignored once that
attempt is over, so a late callback from an old connection can never touch a new one.

States::

    IDLE ──connect()──► CONNECTING ──► OPEN ──remote close──► CLOSED (``close`` event)
      ▲                    │             │
      └──────close()───────┴─────────────┴──► CLOSED (no event)      failure ──► ``ioError``

Reading: the protocol is a ``BufferedProtocol`` that reads into one large reused buffer (one
per thread, shared by that thread's sockets: each chunk is consumed before the loop reads
again). Each transport read appends to the input `ByteQueue` and dispatches one ``socketData``
whose ``bytesLoaded`` is that chunk's size. Reads consume from the front of the input (nothing
is consumed by a failed read). Data already received stays readable after the peer closes; a
local `close` discards it.

The timeout covers the whole attempt (for `SecureSocket`: TCP, handshake, verification and
revocation) and is cancelled by its outcome, so a refused connect gives one ``ioError`` and no
later ``securityError`` (the decompiled Flash Player timer would fire one; a single outcome per
attempt is the contract here).

Back-pressure: above `read_buffer_limit` unread bytes the transport stops reading (the
server's writes then block in TCP) and resumes once the application has read the input down
to a quarter of the limit, so a server cannot grow the client's memory without bound.

Writing: ``write*`` calls append to the output buffer; nothing is sent until `flush`. The
transport's write-buffer limits are 0/0, so asyncio reports the moment the kernel has taken
everything (``resume_writing``), which is when ``outputProgress`` reports 0 pending.

Subclass hooks (used by `SecureSocket`): `_transport_ready`, `_incoming`, `_send_flushed`,
`_peer_eof`, `_local_close`, `_on_failure`, `_reset_for_attempt`.
"""

from __future__ import annotations

import asyncio
import socket as _socket_module
import struct
import threading
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Final

from ._as3names import as3_aliases
from ._bytearray import ByteArray
from ._bytequeue import ByteQueue
from ._datacodec import DataInput, DataOutput
from ._events import (
    Event,
    EventDispatcher,
    IOErrorEvent,
    OutputProgressEvent,
    ProgressEvent,
    SecurityErrorEvent,
)
from .exceptions import EOFError, IllegalOperationError, IOError, SecurityError


__all__ = ["ConnectAttempt", "Socket"]

#: One transport read lands here; 256 KiB is asyncio's own SSL buffer size and lets one read
#: carry ~16 TLS records.
READ_BUFFER_SIZE: Final = 262144
#: Unread input above which the socket stops reading from the network (back-pressure on the
#: server) until the application has read it down to a quarter of that.
DEFAULT_READ_BUFFER_LIMIT: Final = 8 << 20
DEFAULT_TIMEOUT_MS: Final = 20000
MIN_TIMEOUT_MS: Final = 250

_INVALID_SOCKET: Final = "Error #2002: Operation attempted on invalid socket."


def socket_error_text(host: str, detail: str = "") -> str:
    """AS3's ``ioError`` text for a socket failure, with our reason appended."""
    text = f"Error #2031: Socket Error. URL: {host}"
    return f"{text} ({detail})" if detail else text


class ConnectAttempt:
    """The awaitable `Socket.connect` returns: resolves on ``connect``, raises on failure.

    Nobody has to await it: its outcome is always marked retrieved, so an unawaited failure
    never logs "Future exception was never retrieved" (the event already reported it).
    """

    __slots__ = ("_future", "host", "port")

    def __init__(self, loop: asyncio.AbstractEventLoop, host: str, port: int) -> None:
        self._future: asyncio.Future[None] = loop.create_future()
        self.host = host
        self.port = port

    def __await__(self) -> Generator[Any, None, None]:
        return self._future.__await__()

    def done(self) -> bool:
        """Whether the attempt has its outcome."""
        return self._future.done()

    def _succeed(self) -> None:
        if not self._future.done():
            self._future.set_result(None)

    def _fail(self, error: BaseException) -> None:
        if not self._future.done():
            self._future.set_exception(error)
            self._future.exception()  # marks it retrieved: the event already reported it


_thread_state = threading.local()


def _read_buffer() -> memoryview:
    """This thread's transport read buffer, shared by its sockets.

    Sharing is safe: a chunk is consumed (copied into the socket's input, or into the TLS
    engine) inside ``buffer_updated``, before the event loop reads from any other socket.
    It saves allocating and faulting in 256 KiB per connection.
    """
    view: memoryview | None = getattr(_thread_state, "view", None)
    if view is None:
        view = _thread_state.view = memoryview(bytearray(READ_BUFFER_SIZE))
    return view


class _SocketProtocol(asyncio.BufferedProtocol):
    """Forwards transport callbacks to its `Socket`, tagged with the attempt they belong to."""

    def __init__(self, owner: Socket, attempt: ConnectAttempt) -> None:
        self._owner = owner
        self._attempt = attempt

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._owner._on_connection_made(self._attempt, transport)

    def get_buffer(self, sizehint: int) -> memoryview:
        return _read_buffer()

    def buffer_updated(self, nbytes: int) -> None:
        self._owner._on_data(self._attempt, nbytes)

    def eof_received(self) -> bool:
        self._owner._on_eof(self._attempt)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._owner._on_connection_lost(self._attempt, exc)

    def pause_writing(self) -> None:
        pass

    def resume_writing(self) -> None:
        self._owner._on_drained(self._attempt)


@as3_aliases
class Socket(EventDispatcher, DataInput, DataOutput):
    """A TCP client socket with AS3 semantics, running on the current asyncio event loop.

    Args:
        host: when given, `connect` is called at once (AS3's ``new Socket(host, port)``).
        port: the port for that immediate connect.
    """

    def __init__(self, host: str | None = None, port: int = 0) -> None:
        EventDispatcher.__init__(self)
        self._timeout_ms = DEFAULT_TIMEOUT_MS
        self._tcp_no_delay = True
        self._read_buffer_limit = DEFAULT_READ_BUFFER_LIMIT
        self._reading_paused = False
        self._input = ByteQueue()
        self._output = bytearray()
        self._bytes_flushed = 0  # this connection's flushed bytes (outputProgress bytesTotal)
        self._attempt: ConnectAttempt | None = None
        self._transport: asyncio.Transport | None = None
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._connected = False
        self._readable = False
        self._ever_connected = False
        self._host = ""
        self._local: tuple[str, int] | None = None
        self._remote: tuple[str, int] | None = None
        if host is not None:
            self.connect(host, port)

    # -- properties --------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True from the ``connect`` event until the connection ends."""
        return self._connected

    @property
    def bytes_available(self) -> int:
        """Bytes received and not yet read."""
        return len(self._input)

    @property
    def bytes_pending(self) -> int:
        """Bytes written but not yet handed to the network: unflushed bytes plus what the
        transport still holds (for `SecureSocket` the latter counts TLS records, not
        plaintext). 0 means everything has been passed on."""
        pending = len(self._output)
        if self._transport is not None and not self._transport.is_closing():
            pending += self._transport.get_write_buffer_size()
        return pending

    @property
    def timeout(self) -> int:
        """Milliseconds a connect may take (default 20000; values under 250 become 250)."""
        return self._timeout_ms

    @timeout.setter
    def timeout(self, value: int) -> None:
        self._timeout_ms = max(MIN_TIMEOUT_MS, int(value))

    @property
    def read_buffer_limit(self) -> int:
        """Unread bytes at which the socket stops reading from the network (default 8 MiB;
        0: no limit, AS3's behaviour). Reading resumes once the application has read the
        input down to a quarter of it, so nothing is lost; but an application that waits
        for more than this many bytes before reading anything would wait forever, so raise
        the limit above the largest message it waits for."""
        return self._read_buffer_limit

    @read_buffer_limit.setter
    def read_buffer_limit(self, value: int) -> None:
        self._read_buffer_limit = max(0, int(value))
        self._relieve_read_pressure()

    @property
    def tcp_no_delay(self) -> bool:
        """Whether Nagle's algorithm is off (asyncio's default: True)."""
        return self._tcp_no_delay

    @tcp_no_delay.setter
    def tcp_no_delay(self, value: bool) -> None:
        self._tcp_no_delay = bool(value)
        self._apply_no_delay()

    @property
    def local_address(self) -> str | None:
        """The local IP of the last connection (None before the first one)."""
        return self._local[0] if self._local else None

    @property
    def local_port(self) -> int:
        """The local port of the last connection (0 before the first one)."""
        return self._local[1] if self._local else 0

    @property
    def remote_address(self) -> str | None:
        """The peer's IP of the last connection (None before the first one)."""
        return self._remote[0] if self._remote else None

    @property
    def remote_port(self) -> int:
        """The peer's port of the last connection (0 before the first one)."""
        return self._remote[1] if self._remote else 0

    # -- connect / close ---------------------------------------------------------------------

    def connect(self, host: str, port: int) -> ConnectAttempt:
        """Start connecting to ``host:port`` and return at once.

        The outcome arrives as an event (``connect``, ``ioError``, or ``securityError`` on
        timeout); the returned `ConnectAttempt` may also be awaited. An existing connection is
        closed first (without a ``close`` event).

        Raises:
            SecurityError: #2003, ``port`` outside 0..65535.
            IOError: #2031, no host given.
            IllegalOperationError: no running asyncio event loop.
        """
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise SecurityError("Error #2003: Invalid socket port number specified.", 2003)
        if not host:
            raise IOError(socket_error_text(str(host), "no host given"), 2031)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise IllegalOperationError(
                "Socket.connect needs a running asyncio event loop"
            ) from None
        if self._attempt is not None:
            self._shutdown(local=True)
        self._reset_for_attempt()
        attempt = ConnectAttempt(loop, host, port)
        self._attempt = attempt
        self._host = host
        self._ever_connected = True
        self._timer = loop.call_later(self._timeout_ms / 1000, self._on_timeout, attempt)
        self._task = loop.create_task(self._open(attempt, host, port))
        return attempt

    async def _open(self, attempt: ConnectAttempt, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(lambda: _SocketProtocol(self, attempt), host, port)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # OSError, gaierror, UnicodeError (bad host): one outcome
            self._fail(attempt, IOError(socket_error_text(host, _os_reason(error)), 2031))

    def close(self) -> None:
        """Close the socket; no ``close`` event is dispatched for a local close.

        Unflushed output and unread input are discarded. The socket can connect again.

        Raises:
            IOError: #2002, the socket was never connected.
        """
        if not self._ever_connected:
            raise IOError(_INVALID_SOCKET, 2002)
        self._shutdown(local=True)

    def _shutdown(self, *, local: bool) -> None:
        """End the current attempt or connection; stop the timer; close the transport."""
        attempt = self._attempt
        self._attempt = None
        self._connected = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        if local:
            self._local_close()
        transport = self._transport
        self._transport = None
        self._reading_paused = False
        if transport is not None:
            transport.close()
        if local:
            self._readable = False
            self._input.clear()
            self._output.clear()
        if attempt is not None and not attempt.done():
            attempt._fail(IOError("Socket closed before the connection was established", 2002))

    # -- the attempt's outcome ---------------------------------------------------------------

    def _established(self, attempt: ConnectAttempt) -> None:
        """The connection is usable: dispatch ``connect`` (and any data already buffered)."""
        if attempt is not self._attempt:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._connected = True
        self._readable = True
        attempt._succeed()
        self.dispatch_event(Event(Event.CONNECT))
        if attempt is self._attempt and self.bytes_available:
            self.dispatch_event(
                ProgressEvent(ProgressEvent.SOCKET_DATA, bytes_loaded=self.bytes_available)
            )

    def _fail(self, attempt: ConnectAttempt, error: IOError) -> None:
        """End ``attempt`` (connecting or connected) with ``ioError``."""
        if attempt is not self._attempt:
            return
        self._on_failure(error)
        attempt._fail(error)
        self._shutdown(local=False)
        self._readable = self._readable and self.bytes_available > 0
        self.dispatch_event(IOErrorEvent(IOErrorEvent.IO_ERROR, text=str(error), error_id=2031))

    def _on_timeout(self, attempt: ConnectAttempt) -> None:
        if attempt is not self._attempt or attempt.done():
            return
        text = (
            f"Error #2048: Security sandbox violation: connection to {attempt.host}:"
            f"{attempt.port} timed out after {self._timeout_ms} ms."
        )
        error = SecurityError(text, 2048)
        self._on_failure(error)
        attempt._fail(error)
        self._shutdown(local=False)
        self.dispatch_event(
            SecurityErrorEvent(SecurityErrorEvent.SECURITY_ERROR, text=text, error_id=2048)
        )

    def _remote_closed(self, attempt: ConnectAttempt) -> None:
        """The peer ended an open connection: ``close`` (buffered input stays readable)."""
        if attempt is not self._attempt:
            return
        self._shutdown(local=False)
        self.dispatch_event(Event(Event.CLOSE))

    # -- transport callbacks -----------------------------------------------------------------

    def _on_connection_made(
        self, attempt: ConnectAttempt, transport: asyncio.BaseTransport
    ) -> None:
        if attempt is not self._attempt or not isinstance(transport, asyncio.Transport):
            transport.close()  # a late connection for an attempt that is already over
            return
        self._transport = transport
        self._local = _address(transport.get_extra_info("sockname"))
        self._remote = _address(transport.get_extra_info("peername"))
        transport.set_write_buffer_limits(high=0, low=0)
        if not self._tcp_no_delay:  # asyncio turns Nagle off by itself
            self._apply_no_delay()
        self._transport_ready(attempt, transport)

    def _on_data(self, attempt: ConnectAttempt, nbytes: int) -> None:
        if attempt is not self._attempt:
            return
        self._incoming(attempt, _read_buffer()[:nbytes])
        limit = self._read_buffer_limit
        if (
            limit
            and attempt is self._attempt
            and len(self._input) >= limit
            and self._transport is not None
            and not self._reading_paused
        ):
            # Back-pressure: the server's writes block once the kernel buffers are full.
            self._reading_paused = True
            self._transport.pause_reading()

    def _relieve_read_pressure(self) -> None:
        """Resume reading once the application has read the input down far enough."""
        if not self._reading_paused:
            return
        limit = self._read_buffer_limit
        if limit and len(self._input) > limit // 4:
            return
        self._reading_paused = False
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()

    def _on_eof(self, attempt: ConnectAttempt) -> None:
        if attempt is self._attempt:
            self._peer_eof(attempt)

    def _on_connection_lost(self, attempt: ConnectAttempt, exc: Exception | None) -> None:
        if attempt is not self._attempt:
            return
        if exc is None:
            self._peer_eof(attempt)
        else:
            self._fail(attempt, IOError(socket_error_text(self._host, _os_reason(exc)), 2031))

    def _on_drained(self, attempt: ConnectAttempt) -> None:
        if attempt is self._attempt and self._connected:
            # AS3: bytesTotal is what was written so far plus what is pending (none here).
            self.dispatch_event(
                OutputProgressEvent(
                    OutputProgressEvent.OUTPUT_PROGRESS,
                    bytes_pending=0,
                    bytes_total=self._bytes_flushed,
                )
            )

    def _apply_no_delay(self) -> None:
        sock = self._transport.get_extra_info("socket") if self._transport else None
        if sock is not None and sock.family in (_socket_module.AF_INET, _socket_module.AF_INET6):
            sock.setsockopt(
                _socket_module.IPPROTO_TCP, _socket_module.TCP_NODELAY, int(self._tcp_no_delay)
            )

    # -- hooks for SecureSocket --------------------------------------------------------------

    def _reset_for_attempt(self) -> None:
        """Clear per-connection state before a new attempt."""
        self._input.clear()
        self._output.clear()
        self._bytes_flushed = 0
        self._readable = False

    def _transport_ready(self, attempt: ConnectAttempt, transport: asyncio.Transport) -> None:
        """TCP is up. Plain TCP: the connection is established."""
        self._established(attempt)

    def _incoming(self, attempt: ConnectAttempt, data: memoryview) -> None:
        """Bytes from the network. Plain TCP: buffer them and dispatch one ``socketData``."""
        self._input.append(data)
        self.dispatch_event(ProgressEvent(ProgressEvent.SOCKET_DATA, bytes_loaded=len(data)))

    def _send_flushed(self, data: bytes) -> None:
        """Flushed application bytes go to the network. Plain TCP: as they are."""
        if self._transport is not None:
            self._transport.write(data)

    def _peer_eof(self, attempt: ConnectAttempt) -> None:
        """The peer closed its side. Plain TCP: a remote close."""
        self._remote_closed(attempt)

    def _local_close(self) -> None:
        """A local close is starting (the transport is still there). Plain TCP: nothing."""

    def _on_failure(self, error: Exception) -> None:
        """The attempt or connection failed with ``error`` (before the event is dispatched)."""

    # -- output ------------------------------------------------------------------------------

    def flush(self) -> None:
        """Send everything written since the last flush.

        ``outputProgress`` follows once the kernel has taken all of it.

        Raises:
            IOError: #2002, the socket is not connected.
        """
        if not self._connected or self._transport is None:
            raise IOError(_INVALID_SOCKET, 2002)
        if not self._output:
            return
        data = bytes(self._output)
        self._output.clear()
        self._bytes_flushed += len(data)
        self._send_flushed(data)
        if self._transport is not None and self._transport.get_write_buffer_size() == 0:
            # Everything went straight to the kernel; asyncio will not call resume_writing.
            attempt = self._attempt
            if attempt is not None:
                asyncio.get_running_loop().call_soon(self._on_drained, attempt)

    # -- the IDataInput / IDataOutput hooks (docs/CONTRACTS.md) ------------------------------

    def _available(self) -> int:
        return len(self._input)

    def _check_readable(self, n: int) -> None:
        if not self._readable:
            raise IOError(_INVALID_SOCKET, 2002)
        if n > len(self._input):
            raise EOFError(
                f"Error #2030: End of file was encountered. (needed {n} bytes, "
                f"{len(self._input)} available)",
                2030,
            )

    def _take(self, n: int) -> bytes:
        self._check_readable(n)
        data = self._input.take(n)
        if self._reading_paused:
            self._relieve_read_pressure()
        return data

    def _unpack(self, fmt: struct.Struct) -> Any:
        self._check_readable(fmt.size)
        value = self._input.unpack(fmt)  # in place: numeric reads copy nothing
        if self._reading_paused:
            self._relieve_read_pressure()
        return value

    def _peek_all(self) -> memoryview:
        # A view, no copy: the queue never resizes in place, so a view cannot block it.
        return self._peek(len(self._input))

    def _peek(self, n: int) -> memoryview:
        if not self._readable:
            raise IOError(_INVALID_SOCKET, 2002)
        return self._input.view(n)

    def read_bytes(self, target: ByteArray | bytearray, offset: int = 0, length: int = 0) -> None:
        """Copy ``length`` bytes (0: all available) into ``target`` at ``offset``; it grows.

        Same contract as `DataInput.read_bytes`; copies straight from the input buffer.

        Raises:
            IOError: #2002, the socket is not open.
            EOFError: fewer than ``length`` bytes are available (nothing is consumed).
            RangeError: a negative offset or length.
        """
        if not (self._readable and isinstance(target, ByteArray) and offset >= 0 <= length):
            super().read_bytes(target, offset, length)  # the general path checks everything
            return
        n = length or len(self._input)
        if n > len(self._input):
            super().read_bytes(target, offset, length)  # raises EOFError, consumes nothing
            return
        if n:
            target._write_at(offset, self._input.view(n))
            self._input.consume(n)
            if self._reading_paused:
                self._relieve_read_pressure()

    def _put(self, data: bytes | bytearray | memoryview) -> None:
        if not self._connected:
            raise IOError(_INVALID_SOCKET, 2002)
        self._output += data

    if TYPE_CHECKING:  # the AS3 spellings, for type checkers; as3_aliases installs them
        bytesAvailable = bytes_available
        bytesPending = bytes_pending
        localAddress = local_address
        localPort = local_port
        remoteAddress = remote_address
        remotePort = remote_port
        objectEncoding = DataInput.object_encoding
        tcpNoDelay = tcp_no_delay


def _address(info: Any) -> tuple[str, int] | None:
    if isinstance(info, tuple) and len(info) >= 2:
        return str(info[0]), int(info[1])
    return None


def _os_reason(error: BaseException) -> str:
    return error.strerror or str(error) if isinstance(error, OSError) else str(error)
