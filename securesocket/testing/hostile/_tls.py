"""Real TLS servers (pyOpenSSL on memory BIOs over a blocking socket) that misbehave after, or
with, a genuine handshake: long and decoy chains, truncation, renegotiation, hostile staples.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

from OpenSSL import SSL

from ._identity import ServerIdentity, ThrowawayCA
from ._server import MAX_RECORD, HangUpError, HostileServer


def _server_context(identity: ServerIdentity, *, max_version: int | None = None) -> SSL.Context:
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    if max_version is not None:
        context.set_max_proto_version(max_version)
    context.use_certificate(identity.leaf)
    context.use_privatekey(identity.key)
    for certificate in identity.chain[1:]:
        context.add_extra_chain_cert(certificate)
    return context


class _TLSPeer:
    """The server end of one TLS connection: pyOpenSSL on memory BIOs over a blocking socket."""

    def __init__(self, server: HostileServer, context: SSL.Context, conn: socket.socket) -> None:
        self.server, self.sock = server, conn
        self.tls = SSL.Connection(context, None)
        self.tls.set_accept_state()

    def flush(self) -> None:
        while True:
            try:
                data = self.tls.bio_read(65536)
            except SSL.WantReadError:
                return
            self.server.sendall(self.sock, data)

    def _pump_in(self) -> None:
        self.tls.bio_write(self.server.recv(self.sock))

    def handshake(self) -> None:
        while True:
            try:
                self.tls.do_handshake()
            except SSL.WantReadError:
                self.flush()
                self._pump_in()
                continue
            except SSL.Error as exc:
                self.flush()  # the alert explains the failure to the client
                raise HangUpError from exc
            self.flush()
            return

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            sent = self.tls.send(bytes(view[:MAX_RECORD]))
            view = view[sent:]
            self.flush()

    def recv(self, *, until: Callable[[], bool] | None = None) -> bytes:
        """Application data; raises `HangUpError` on close_notify, EOF or a TLS error.

        Returns ``b""`` instead of waiting for more input once `until()` is true.
        """
        while True:
            try:
                data = self.tls.recv(65536)
            except SSL.WantReadError:
                self.flush()
                if until is not None and until():
                    return b""
                self._pump_in()
                continue
            except SSL.Error as exc:
                self.flush()
                raise HangUpError from exc
            self.flush()
            return data


class TLSServer(HostileServer):
    """A well-behaved TLS echo server: the control peer, a wrong-name server when given a
    certificate for another name, and a hostile stapler when given `staple` bytes.

    Args:
        identity: chain and key to present.
        max_version: e.g. ``OpenSSL.SSL.TLS1_2_VERSION`` to refuse TLS 1.3.
        staple: bytes to send as the OCSP staple when the client asks for one (anything:
            a genuine response, one about another certificate, or garbage).
    """

    def __init__(
        self,
        identity: ServerIdentity,
        *,
        max_version: int | None = None,
        staple: bytes | None = None,
    ) -> None:
        super().__init__()
        self.identity = identity
        self.context = _server_context(identity, max_version=max_version)
        self.staple = staple
        self.staples_sent = 0
        if staple is not None:
            self.context.set_ocsp_server_callback(self._send_staple)
        self.handshakes = 0
        self.received = bytearray()

    def _send_staple(self, _conn: SSL.Connection, _data: object) -> bytes:
        self.staples_sent += 1
        return self.staple or b""

    def handle(self, conn: socket.socket) -> None:
        peer = _TLSPeer(self, self.context, conn)
        peer.handshake()
        self.handshakes += 1
        self.after_handshake(peer)
        while True:
            data = peer.recv()
            self.received += data
            peer.send(data)

    def after_handshake(self, peer: _TLSPeer) -> None:
        """Hook for subclasses: misbehave once the handshake is done."""


class LongChainServer(TLSServer):
    """Presents a chain of `length` certificates (leaf + `length - 1` intermediates).

    `ca.root` is the anchor; trust it to make the depth (not the anchor) the only problem.
    """

    def __init__(self, length: int = 100, *, host_name: str = "localhost") -> None:
        self.ca = ThrowawayCA("securesocket long-chain root")
        super().__init__(self.ca.issue(host_name, intermediates=length - 1))


class DecoyIssuersServer(TLSServer):
    """Presents the leaf, then `decoys` look-alike issuers (same subject and key identifier,
    other keys, all signed by the root), then the real intermediate: path-building work the
    server chooses. `ca.root` is the anchor; `real_issuer` is the one that signed the leaf.
    """

    def __init__(self, decoys: int = 100, *, host_name: str = "localhost") -> None:
        self.ca = ThrowawayCA("securesocket decoy root")
        genuine = self.ca.issue(host_name, intermediates=1)
        self.real_issuer = genuine.chain[1]
        chain = (genuine.leaf, *self.ca.lookalikes(self.real_issuer, decoys), self.real_issuer)
        super().__init__(ServerIdentity(chain, genuine.key))


class TruncatingServer(TLSServer):
    """Completes the handshake, sends `payload`, then closes TCP without close_notify.

    Args:
        cut_mid_record: also send the first half of one more record before hanging up.
        close_notify: send close_notify before hanging up after all: the well-behaved twin.
    """

    def __init__(
        self,
        identity: ServerIdentity,
        payload: bytes = b"partial",
        *,
        cut_mid_record: bool = False,
        close_notify: bool = False,
    ) -> None:
        super().__init__(identity)
        self.payload = payload
        self.cut_mid_record = cut_mid_record
        self.close_notify = close_notify

    def after_handshake(self, peer: _TLSPeer) -> None:
        peer.send(self.payload)
        if self.cut_mid_record:
            peer.tls.send(b"this record never arrives whole")
            record = peer.tls.bio_read(65536)
            self.sendall(peer.sock, record[: len(record) // 2])
        if self.close_notify:
            with contextlib.suppress(SSL.Error):
                peer.tls.shutdown()
            peer.flush()
        # FIN, then wait for the client to hang up: closing with unread input would send a
        # RST, and the client could lose the payload to the reset.
        peer.sock.shutdown(socket.SHUT_WR)
        self.hold(peer.sock)


class RenegotiatingServer(TLSServer):
    """TLS 1.2 only. Sends ``before\\n``, asks for renegotiation, waits for the client to do
    it, then sends ``after\\n`` and echoes.

    Args:
        new_identity: present this chain in the renegotiated handshake (a hostile server
            switching to a certificate the client never verified at connect time).

    Attributes:
        outcomes: per connection: ``"completed"``, ``"refused"`` (the client answered with a
            no_renegotiation alert; OpenSSL then ends the connection with a handshake_failure
            alert) or ``"client hung up"``.
    """

    BEFORE = b"before\n"
    AFTER = b"after\n"
    _NO_RENEGOTIATION_ALERT = 100  # RFC 5246 §7.2.2

    def __init__(
        self, identity: ServerIdentity, *, new_identity: ServerIdentity | None = None
    ) -> None:
        super().__init__(identity, max_version=SSL.TLS1_2_VERSION)
        # No resumption: the renegotiation must be a full handshake that presents a chain.
        self.context.set_options(SSL.OP_NO_TICKET)
        self.context.set_session_cache_mode(SSL.SESS_CACHE_OFF)
        self.new_identity = new_identity
        self.outcomes: list[str] = []

    def after_handshake(self, peer: _TLSPeer) -> None:
        refused = threading.Event()

        def watch_alerts(_conn: SSL.Connection, where: int, ret: int) -> None:
            if where & SSL.SSL_CB_READ_ALERT and ret & 0xFF == self._NO_RENEGOTIATION_ALERT:
                refused.set()

        peer.tls.set_info_callback(watch_alerts)
        peer.send(self.BEFORE)
        if self.new_identity is not None:
            peer.tls.use_certificate(self.new_identity.leaf)
            peer.tls.use_privatekey(self.new_identity.key)
        peer.tls.renegotiate()
        try:
            with contextlib.suppress(SSL.WantReadError):
                peer.tls.do_handshake()  # queues the HelloRequest
            peer.flush()
            while peer.tls.renegotiate_pending():
                self.received += peer.recv(until=lambda: not peer.tls.renegotiate_pending())
        except HangUpError:
            # OpenSSL's server side treats the client's no_renegotiation alert as fatal.
            self.outcomes.append("refused" if refused.is_set() else "client hung up")
            raise
        self.outcomes.append("completed")
        peer.send(self.AFTER)


class FloodingServer(TLSServer):
    """After the handshake, pushes `total` bytes at the client as fast as it takes them, then
    sends close_notify: for clients that must not buffer without bound when the application
    does not read.

    The data is `pattern(total)` (a repeating byte counter), so a client can check that what
    it finally reads is every byte, in order.

    Attributes:
        sent: plaintext bytes handed to TLS and written to the socket so far (the kernel may
            still hold some): how much a client that stops reading has let in.
    """

    CHUNK = MAX_RECORD

    def __init__(self, identity: ServerIdentity, total: int = 256 * 1024 * 1024) -> None:
        super().__init__(identity)
        self.total = total
        self.sent = 0

    @staticmethod
    def pattern(size: int) -> bytes:
        """The bytes a `FloodingServer` of this `total` sends."""
        return (bytes(range(256)) * (size // 256 + 1))[:size]

    def after_handshake(self, peer: _TLSPeer) -> None:
        chunk = self.pattern(self.CHUNK)  # CHUNK is a multiple of 256: chunks join seamlessly
        while self.sent < self.total:
            piece = chunk[: self.total - self.sent]
            peer.send(piece)
            self.sent += len(piece)
        with contextlib.suppress(SSL.Error):
            peer.tls.shutdown()
        peer.flush()
        self.hold(peer.sock)
