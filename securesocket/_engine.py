"""The sans-I/O TLS client engine: a pyOpenSSL ``Connection`` on memory BIOs.

# Theory of operation

Bytes from the network go in with `TLSEngine.receive_data`; bytes for the network come out
of `TLSEngine.data_to_send`, which drains the outgoing memory BIO until it is empty. What
happened is reported by return values: `receive_data` returns a list of `TLSEvent` objects
(`HandshakeCompleted`, `DataReceived`, `PeerClosed`); a failure raises `TLSError` (or the
`CertificateVerificationError` raised by the verify callback, which pyOpenSSL re-raises from
``do_handshake``). Decrypted application data is written straight into the caller's
``plaintext`` `ByteQueue`, so the I/O adapter reads it without another copy.

States (one chokepoint: `_enter`)::

    HANDSHAKING ──► OPEN ──► CLOSED      (peer's close_notify, our close, or EOF)
         │            │
         └────────────┴────► BROKEN      (fatal error: latched, every later call raises)

Rules and invariants:

- After a fatal error OpenSSL answers every call with an empty ``Error([])``; the state is
  therefore latched to BROKEN and the first error is re-raised on every later call.
- A failure still leaves the pending alert in the outgoing BIO: callers flush
  `data_to_send()` before closing the transport (python/cpython#98078 is the bug this avoids).
- ``SSL_write`` that stalls on WantRead (renegotiation, TLS 1.3 post-handshake messages) is
  retried later with the same bytes, after the next `receive_data`.
- `close` sends close_notify exactly once and never waits for the peer's answer: TLS 1.3
  peers often never send one (aio-libs/aiohttp#11091).
- An EOF from the transport (``receive_data(b"")``) without a close_notify is a truncation:
  `PeerClosed(truncated=True)`; ``ZeroReturnError`` (close_notify) is a clean close.

This module never imports ``socket`` or ``asyncio`` (tests/test_engine.py checks it).
"""

from __future__ import annotations

import contextlib
import enum
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from OpenSSL import SSL

from ._bytequeue import ByteQueue
from .exceptions import TLSError


__all__ = [
    "DataReceived",
    "EngineState",
    "HandshakeCompleted",
    "PeerClosed",
    "TLSEngine",
    "TLSEvent",
]

# One SSL_read returns at most one record (16 KiB of plaintext).
_RECORD_SIZE: Final = 16384
# Outgoing BIO reads: large enough that a flight or a burst of records leaves in one piece.
_BIO_CHUNK: Final = 262144
# SSL_write in slices: a bounded amount of ciphertext is produced per call.
_WRITE_SLICE: Final = 65536


DirectRead = tuple[
    Callable[[Any, Any, int], int], Callable[[Any], Any], Callable[[SSL.Connection, Any, int], None]
]


def _direct_read_functions() -> DirectRead | None:
    """``SSL_read`` straight into the plaintext queue, or None to use the public API.

    pyOpenSSL's public ``recv_into`` allocates a temporary cffi buffer, checks its
    arguments and copies once more on every 16 KiB record (~3 µs each, about a fifth of our
    client CPU per MiB in bulk). This calls the same OpenSSL function on the same handle
    and raises the same exceptions through pyOpenSSL's own error mapping, but reaches
    them through pyOpenSSL internals, so it is used only when every piece is present and
    the public path (``recv_into``, tested with this switched off) stays the fallback.
    """
    try:
        from OpenSSL._util import ffi, lib  # noqa: PLC0415

        raise_error = SSL.Connection._raise_ssl_error
        ssl_read, from_buffer = lib.SSL_read, ffi.from_buffer
    except (ImportError, AttributeError):
        return None
    return ssl_read, from_buffer, raise_error


_DIRECT_READ: DirectRead | None = _direct_read_functions()


class EngineState(enum.Enum):
    """Where the engine is in the life of one TLS connection."""

    HANDSHAKING = "handshaking"
    OPEN = "open"
    CLOSED = "closed"
    BROKEN = "broken"


_ALLOWED: Final[dict[EngineState, frozenset[EngineState]]] = {
    EngineState.HANDSHAKING: frozenset({EngineState.OPEN, EngineState.CLOSED, EngineState.BROKEN}),
    EngineState.OPEN: frozenset({EngineState.CLOSED, EngineState.BROKEN}),
    EngineState.CLOSED: frozenset({EngineState.BROKEN}),
    EngineState.BROKEN: frozenset(),
}


@dataclass(frozen=True, slots=True)
class HandshakeCompleted:
    """The handshake finished (the verify callback accepted the peer, if one is set)."""

    version: str
    cipher: str | None


@dataclass(frozen=True, slots=True)
class DataReceived:
    """``nbytes`` of decrypted application data were appended to the plaintext buffer."""

    nbytes: int


@dataclass(frozen=True, slots=True)
class PeerClosed:
    """The peer ended the stream: with close_notify (clean) or with a bare EOF (truncated)."""

    truncated: bool


TLSEvent = HandshakeCompleted | DataReceived | PeerClosed


def sni_name(host: str) -> bytes | None:
    """The SNI value for ``host``: its IDNA (A-label) form for a DNS name, None for an IP."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host.rstrip(".").encode("idna")
    return None


def _reason(error: SSL.Error) -> str:
    """The OpenSSL reason strings of ``error``, joined (``Error([])`` gives a generic text)."""
    reasons = [str(entry[2]) for entry in (error.args[0] if error.args else []) if len(entry) == 3]
    return "; ".join(r for r in reasons if r) or "TLS protocol error"


def _is_unexpected_eof(error: SSL.Error) -> bool:
    """OpenSSL 3+ reports a missing close_notify as ``SSL_R_UNEXPECTED_EOF_WHILE_READING``."""
    if isinstance(error, SSL.SysCallError):
        return True
    return "unexpected eof" in _reason(error).lower()


class TLSEngine:
    """A TLS client connection that moves bytes, not sockets.

    Args:
        context: the shared, pre-built client `SSL.Context` (see `_context.py`).
        server_hostname: the host connected to; a DNS name is sent as SNI, an IP is not.
        plaintext: the queue decrypted application data is written into (in place).
        app_data: per-connection object the Context-level callbacks find with
            ``conn.get_app_data()`` (verification and OCSP staple state).
    """

    __slots__ = (
        "_conn",
        "_direct_read",
        "_failure",
        "_handle",
        "_pending_write",
        "_plaintext",
        "_retry_len",
        "_sent_close_notify",
        "_state",
    )

    def __init__(
        self,
        context: SSL.Context,
        server_hostname: str,
        plaintext: ByteQueue,
        *,
        app_data: object = None,
    ) -> None:
        self._conn = SSL.Connection(context, None)
        self._conn.set_connect_state()
        name = sni_name(server_hostname)
        if name is not None:
            self._conn.set_tlsext_host_name(name)
        self._conn.request_ocsp()
        self._conn.set_app_data(app_data)
        # The OpenSSL handle for the direct read path (see _direct_read_functions).
        self._handle: Any = getattr(self._conn, "_ssl", None)
        self._direct_read = _DIRECT_READ if self._handle is not None else None
        self._plaintext = plaintext
        self._pending_write = memoryview(b"")
        self._retry_len = 0
        self._state = EngineState.HANDSHAKING
        self._failure: BaseException | None = None
        self._sent_close_notify = False

    # -- state -------------------------------------------------------------------------------

    @property
    def state(self) -> EngineState:
        """The current `EngineState`."""
        return self._state

    @property
    def connection(self) -> SSL.Connection:
        """The underlying pyOpenSSL connection (for peer certificates and negotiated values)."""
        return self._conn

    @property
    def pending_write_bytes(self) -> int:
        """Application bytes accepted by `send` but not yet encrypted (stalled on WantRead)."""
        return len(self._pending_write)

    def _enter(self, new: EngineState) -> None:
        if new is self._state:
            return
        if new not in _ALLOWED[self._state]:
            raise TLSError(f"TLS engine: illegal transition {self._state.value} → {new.value}")
        self._state = new

    def _fail(self, error: BaseException) -> BaseException:
        """Latch BROKEN with ``error`` (the first failure wins) and return what to raise."""
        if self._failure is None:
            self._failure = error
        self._state = EngineState.BROKEN
        return self._failure

    def _check_not_broken(self) -> None:
        if self._failure is not None:
            raise self._failure

    # -- driving -----------------------------------------------------------------------------

    def start(self) -> None:
        """Begin the handshake: the ClientHello is then waiting in `data_to_send`."""
        self._check_not_broken()
        self._handshake()

    def receive_data(self, data: bytes | bytearray | memoryview) -> list[TLSEvent]:
        """Feed bytes from the network (``b""`` means the transport saw EOF).

        Returns what happened, in order. Raises `TLSError` (or the verify callback's
        `CertificateVerificationError`) on a fatal error; the alert to send is then
        waiting in `data_to_send`.
        """
        self._check_not_broken()
        if self._state is EngineState.CLOSED:
            return []
        if data:
            self._conn.bio_write(data)
        else:
            self._conn.bio_shutdown()
        events: list[TLSEvent] = []
        if self._state is EngineState.HANDSHAKING:
            done = self._handshake(eof=not data)
            if done is None:
                return events
            events.append(done)
        self._flush_pending_write()
        self._read_plaintext(events, len(data))
        return events

    def _handshake(self, *, eof: bool = False) -> HandshakeCompleted | None:
        try:
            self._conn.do_handshake()
        except SSL.WantReadError:
            if eof:
                raise self._fail(
                    TLSError("TLS handshake failed: connection closed by the peer")
                ) from None
            return None
        except SSL.Error as error:
            if _is_unexpected_eof(error):
                message = "TLS handshake failed: connection closed by the peer"
            else:
                message = f"TLS handshake failed: {_reason(error)}"
            raise self._fail(TLSError(message)) from error
        except Exception as error:  # the verify callback's own exception, re-raised
            raise self._fail(error) from None
        self._enter(EngineState.OPEN)
        cipher = self._conn.get_cipher_name()
        return HandshakeCompleted(self._conn.get_protocol_version_name(), cipher)

    def _read_plaintext(self, events: list[TLSEvent], fed: int) -> None:
        # One SSL_read per record, decrypted straight into the caller's queue; the events
        # report the total, so a socket read of many records gives a single DataReceived.
        # The room reserved covers everything the bytes just fed can decrypt to (plus one
        # record held back from an earlier feed), so it is reserved once per feed.
        conn, sink = self._conn, self._plaintext
        total = 0
        room_size = fed + _RECORD_SIZE
        room = sink.reserve(room_size)
        used = 0
        direct, handle = self._direct_read, self._handle
        try:
            if direct is not None:
                ssl_read, from_buffer, raise_error = direct
                target = from_buffer(room)
                while True:
                    if room_size - used < _RECORD_SIZE:
                        sink.commit(used)
                        room, used = sink.reserve(room_size), 0
                        target = from_buffer(room)
                    n = ssl_read(handle, target + used, _RECORD_SIZE)
                    if n <= 0:
                        raise_error(conn, handle, n)  # WantRead, ZeroReturn or Error
                        raise SSL.Error([])  # (never reached: SSL_read <= 0 is an error)
                    used += n
                    total += n
            while True:
                if room_size - used < _RECORD_SIZE:
                    sink.commit(used)
                    room, used = sink.reserve(room_size), 0
                n = conn.recv_into(room[used:], _RECORD_SIZE)
                used += n
                total += n
        except SSL.WantReadError:
            pass
        except SSL.ZeroReturnError:
            self._flush_counted(events, total)
            total = 0
            self._answer_close_notify()
            self._enter(EngineState.CLOSED)
            events.append(PeerClosed(truncated=False))
        except SSL.Error as error:
            self._flush_counted(events, total)
            total = 0
            if _is_unexpected_eof(error):
                self._enter(EngineState.CLOSED)
                events.append(PeerClosed(truncated=True))
            else:
                raise self._fail(TLSError(f"TLS error: {_reason(error)}")) from error
        finally:
            sink.commit(used)
        self._flush_counted(events, total)

    @staticmethod
    def _flush_counted(events: list[TLSEvent], total: int) -> None:
        if total:
            events.append(DataReceived(total))

    def _answer_close_notify(self) -> None:
        if not self._sent_close_notify:
            self._sent_close_notify = True
            # Best effort: the transport closes right after.
            with contextlib.suppress(SSL.Error):
                self._conn.shutdown()

    def send(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypt application data; the records are then waiting in `data_to_send`.

        Raises `TLSError` unless the handshake is complete and the stream still open.
        """
        self._check_not_broken()
        if self._state is not EngineState.OPEN or self._sent_close_notify:
            raise TLSError(f"TLS engine: cannot send while {self._state.value}")
        if not data:
            return  # SSL_write of 0 bytes is undefined; nothing to do.
        if self._pending_write:
            self._pending_write = memoryview(bytes(self._pending_write) + bytes(data))
        else:
            self._pending_write = memoryview(bytes(data))
        self._flush_pending_write()

    def _flush_pending_write(self) -> None:
        pending = self._pending_write
        conn = self._conn
        try:
            while pending:
                # OpenSSL wants a stalled SSL_write retried with the same bytes and length:
                # the view is not advanced on a stall and the slice length is remembered.
                size = self._retry_len or _WRITE_SLICE
                self._retry_len = 0
                try:
                    written = conn.send(pending[:size])
                except SSL.WantReadError:
                    self._retry_len = min(size, len(pending))
                    break
                pending = pending[written:]
        except SSL.Error as error:
            raise self._fail(TLSError(f"TLS error while sending: {_reason(error)}")) from error
        finally:
            self._pending_write = pending

    def data_to_send(self) -> bytes:
        """Everything waiting in the outgoing BIO (``b""`` if nothing): records, alerts."""
        conn = self._conn
        chunks: list[bytes] = []
        try:
            while True:
                chunks.append(conn.bio_read(_BIO_CHUNK))
        except SSL.WantReadError:
            pass
        except SSL.Error:
            pass  # nothing more can be read out of a torn-down BIO
        if len(chunks) == 1:
            return chunks[0]
        return b"".join(chunks)

    def close(self) -> None:
        """End the connection from our side.

        An open connection sends close_notify (once; the answer is not awaited). Closing
        during the handshake is an abort: nothing is sent. A broken engine stays broken.
        """
        if self._state is EngineState.OPEN:
            self._answer_close_notify()
            self._enter(EngineState.CLOSED)
        elif self._state is EngineState.HANDSHAKING:
            self._enter(EngineState.CLOSED)
