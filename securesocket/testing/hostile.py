"""Hostile TLS servers on 127.0.0.1: peers that misbehave on purpose, for testing clients.

Each server is a context manager. Entering it binds a fresh port on 127.0.0.1 and starts an
accept thread; leaving it stops every thread (and the one subprocess, for `KeyUpdateServer`),
closes every socket and removes every temporary file. Nothing is left behind.

Theory of operation
-------------------
- One `HostileServer` base runs a polling accept loop and one handler thread per connection.
  Every blocking call polls a stop flag at `POLL_INTERVAL`, so `__exit__` returns promptly even
  while a handler is stalling a client on purpose (that is what half of them do).
- The TLS-speaking servers use a pyOpenSSL `Connection` on memory BIOs over a blocking socket
  (`_TLSPeer`), so the server side controls exactly which bytes leave and when; that is how
  `TruncatingServer` cuts a record in half and `RenegotiatingServer` swaps its certificate.
- Servers that must say something no correct TLS stack would say (a 10 MB Certificate message,
  undecodable DER) craft TLS 1.2 records by hand: a ServerHello that echoes a suite the client
  offered, then the hostile Certificate message. No key exchange is needed to get that far.
- `KeyUpdateServer` drives `openssl s_server`: pyOpenSSL has no API for a TLS 1.3 KeyUpdate,
  and s_server's interactive ``K`` command sends one (and asks the client for one back).
- A peer hanging up is not a server error. Anything else a handler raises is recorded in
  `errors`, so a test can assert the hostile server really did what it claims
  (``assert server.errors == []``).

Expected outcome for a correct client (what this project's own tests assert):

============================  ===================================================
server                        client outcome
============================  ===================================================
GarbageServer                 ``ioError``, status ``invalid``
MidRecordServer(stall=False)  ``ioError``, status ``invalid``
MidRecordServer(stall=True)   ``securityError`` when the connect timeout expires
SlowlorisServer               ``securityError`` when the connect timeout expires
LongChainServer               ``ioError``, never ``trusted``
DecoyIssuersServer            one outcome; ``trusted`` only through the real issuer
HugeCertificateServer         ``ioError``, status ``invalid``
MalformedCertificateServer    ``ioError``, status ``invalid``
TLSServer with another name   ``ioError``, status ``principalMismatch``
TruncatingServer              ``connect``, the data, then ``close`` flagged truncated
RenegotiatingServer           refused (``ioError``) or transparent; never a new,
                              unverified certificate accepted silently
KeyUpdateServer               transparent: data before and after the KeyUpdate
============================  ===================================================
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from OpenSSL import SSL


__all__ = [
    "DecoyIssuersServer",
    "GarbageServer",
    "HostileServer",
    "HugeCertificateServer",
    "KeyUpdateServer",
    "LongChainServer",
    "MalformedCertificateServer",
    "MidRecordServer",
    "RenegotiatingServer",
    "ServerIdentity",
    "SlowlorisServer",
    "TLSServer",
    "ThrowawayCA",
    "TruncatingServer",
    "malformed_der_variants",
]

HOST = "127.0.0.1"
POLL_INTERVAL = 0.05
"""Seconds between checks of the stop flag in every blocking loop."""
JOIN_TIMEOUT = 5.0
"""Seconds `__exit__` waits for each thread before recording it as stuck."""
MAX_RECORD = 16384
"""Largest TLS plaintext record (RFC 8446 §5.1)."""

# Errors that mean "the client went away": expected from hostile peers, never a server fault.
_PEER_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class _HangUpError(Exception):
    """Raised inside a handler when the server is shutting down or the peer hung up."""


# --------------------------------------------------------------------------- identities


ServerKey = (
    ec.EllipticCurvePrivateKey
    | rsa.RSAPrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
    | dsa.DSAPrivateKey
)
"""The private key types a pyOpenSSL server can use."""


@dataclass(frozen=True)
class ServerIdentity:
    """What a TLS server presents: the chain as sent (leaf first) and the leaf's private key.

    A fixture-kit `LeafCert` converts as
    ``ServerIdentity((leaf.certificate, *leaf.intermediates), leaf.private_key)``.
    """

    chain: tuple[x509.Certificate, ...]
    key: ServerKey

    @property
    def leaf(self) -> x509.Certificate:
        """The end-entity certificate."""
        return self.chain[0]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _general_name(identity: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(identity))
    except ValueError:
        return x509.DNSName(identity)


_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


class ThrowawayCA:
    """A minimal web-PKI-conformant CA for hostile servers (ECDSA P-256, valid ±30 days).

    It needs nothing from the rest of the fixture kit, so the hostile servers can be used on
    their own. `root` is the anchor a client must trust; it is never sent by a server.
    """

    def __init__(self, common_name: str = "securesocket hostile root") -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._now = datetime.datetime.now(datetime.UTC)
        self.root = self._ca_cert(_name(common_name), self._key, _name(common_name), self._key)

    def _builder(
        self, subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self._now - datetime.timedelta(days=1))
            .not_valid_after(self._now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )

    def _ca_cert(
        self,
        subject: x509.Name,
        subject_key: ec.EllipticCurvePrivateKey,
        issuer: x509.Name,
        issuer_key: ec.EllipticCurvePrivateKey,
    ) -> x509.Certificate:
        builder = (
            self._builder(subject, issuer, subject_key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_CA_KEY_USAGE, critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                critical=False,
            )
        )
        return builder.sign(issuer_key, hashes.SHA256())

    def lookalikes(self, target: x509.Certificate, count: int) -> list[x509.Certificate]:
        """`count` CA certificates with `target`'s subject and key identifier but other keys,
        each validly signed by the root: decoys that a path builder must try and reject."""
        ski = target.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        decoys = []
        for _ in range(count):
            key = ec.generate_private_key(ec.SECP256R1())
            builder = (
                x509.CertificateBuilder()
                .subject_name(target.subject)
                .issuer_name(self.root.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(self._now - datetime.timedelta(days=1))
                .not_valid_after(self._now + datetime.timedelta(days=30))
                .add_extension(ski, critical=False)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(_CA_KEY_USAGE, critical=True)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                    critical=False,
                )
            )
            decoys.append(builder.sign(self._key, hashes.SHA256()))
        return decoys

    def issue(self, *identities: str, intermediates: int = 0) -> ServerIdentity:
        """A leaf for the DNS names / IP addresses given, under `intermediates` CAs.

        The returned chain is what the server sends: leaf, then the intermediates from the
        one that signed the leaf up to the one the root signed.
        """
        if not identities:
            identities = ("localhost",)
        issuer_name, issuer_key = self.root.subject, self._key
        cas: list[x509.Certificate] = []
        for depth in range(intermediates):
            key = ec.generate_private_key(ec.SECP256R1())
            name = _name(f"securesocket hostile intermediate {depth + 1}")
            cas.append(self._ca_cert(name, key, issuer_name, issuer_key))
            issuer_name, issuer_key = name, key
        leaf_key = ec.generate_private_key(ec.SECP256R1())
        leaf = (
            self._builder(_name(identities[0]), issuer_name, leaf_key.public_key())
            .add_extension(
                x509.SubjectAlternativeName([_general_name(i) for i in identities]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                critical=False,
            )
            .sign(issuer_key, hashes.SHA256())
        )
        return ServerIdentity(chain=(leaf, *reversed(cas)), key=leaf_key)


# --------------------------------------------------------------------------- base server


class HostileServer:
    """Base: a threaded TCP server on 127.0.0.1 whose handler misbehaves.

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

    def __enter__(self) -> Self:
        self._listener = socket.create_server((HOST, 0), backlog=128)
        self._listener.settimeout(POLL_INTERVAL)
        self.port = self._listener.getsockname()[1]
        self._spawn(self._accept_loop, "accept")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop accepting, end every handler, close every socket (idempotent)."""
        self._stop.set()
        for thread in list(self._threads):
            thread.join(JOIN_TIMEOUT)
            if thread.is_alive():
                self.errors.append(RuntimeError(f"thread {thread.name} did not stop"))
        self._threads.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

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
            self.connections += 1
            self._spawn(self._serve, str(self.connections), conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(POLL_INTERVAL)
            try:
                self.handle(conn)
            except (_HangUpError, *_PEER_GONE):
                pass
            except Exception as exc:  # recorded for the test to assert on
                self.errors.append(exc)

    def handle(self, conn: socket.socket) -> None:
        """Serve one client. Subclasses misbehave here."""
        raise NotImplementedError

    # -- stop-aware blocking helpers for handlers

    def _recv(self, conn: socket.socket, limit: int = 65536) -> bytes:
        """Some bytes from the client; raises `_HangUpError` on EOF or shutdown."""
        while not self._stop.is_set():
            try:
                data = conn.recv(limit)
            except TimeoutError:
                continue
            if not data:
                raise _HangUpError
            return data
        raise _HangUpError

    def _recv_exactly(self, conn: socket.socket, count: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < count:
            chunks += self._recv(conn, count - len(chunks))
        return bytes(chunks)

    def _sendall(self, conn: socket.socket, data: bytes) -> None:
        """Send everything, polling the stop flag while the client is not reading."""
        view = memoryview(data)
        while view:
            if self._stop.is_set():
                raise _HangUpError
            try:
                sent = conn.send(view[:65536])
            except TimeoutError:
                continue
            view = view[sent:]

    def _sleep(self, seconds: float) -> None:
        """Wait, but raise `_HangUpError` as soon as the server is stopping."""
        if self._stop.wait(seconds):
            raise _HangUpError

    def _hold(self, conn: socket.socket) -> None:
        """Keep the connection open, discarding input, until the client leaves or we stop."""
        while True:
            self._recv(conn)

    def _read_client_hello(self, conn: socket.socket) -> _ClientHello:
        header = self._recv_exactly(conn, 5)
        if header[0] != _HANDSHAKE:
            raise _HangUpError  # not TLS: nothing hostile to do
        body = self._recv_exactly(conn, struct.unpack("!H", header[3:5])[0])
        return _ClientHello.parse(body)


# --------------------------------------------------------------------------- crafted TLS 1.2

_HANDSHAKE = 0x16
_SERVER_HELLO = 2
_CERTIFICATE = 11
_RENEGOTIATION_INFO = 0xFF01
_EXTENDED_MASTER_SECRET = 0x0017
_EMPTY_RENEGOTIATION_SCSV = 0x00FF
# ECDHE suites a TLS 1.2 client offers; the crafted ServerHello picks the first one offered.
_TLS12_SUITES = (0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8)


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise _HangUpError  # a ClientHello we cannot parse: just hang up
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def number(self, width: int) -> int:
        return int.from_bytes(self.take(width), "big")

    def vector(self, width: int) -> bytes:
        return self.take(self.number(width))


@dataclass(frozen=True)
class _ClientHello:
    cipher_suites: tuple[int, ...]
    extensions: frozenset[int]

    @classmethod
    def parse(cls, record_body: bytes) -> _ClientHello:
        cursor = _Cursor(record_body)
        if cursor.number(1) != 1:  # ClientHello
            raise _HangUpError
        cursor.take(3 + 2 + 32)  # length, legacy_version, random
        cursor.vector(1)  # legacy_session_id
        suites = cursor.vector(2)
        cursor.vector(1)  # compression methods
        extensions: set[int] = set()
        if cursor.pos < len(record_body):
            block = _Cursor(cursor.vector(2))
            while block.pos < len(block.data):
                extensions.add(block.number(2))
                block.vector(2)
        return cls(
            cipher_suites=tuple(
                int.from_bytes(suites[i : i + 2]) for i in range(0, len(suites), 2)
            ),
            extensions=frozenset(extensions),
        )


def _u24(value: int) -> bytes:
    return value.to_bytes(3, "big")


def _records(content_type: int, payload: bytes) -> bytes:
    """`payload` split into TLS 1.2 records of at most `MAX_RECORD` bytes."""
    out = bytearray()
    for start in range(0, max(len(payload), 1), MAX_RECORD):
        chunk = payload[start : start + MAX_RECORD]
        out += struct.pack("!BHH", content_type, 0x0303, len(chunk)) + chunk
    return bytes(out)


def _handshake_message(msg_type: int, body: bytes) -> bytes:
    return bytes([msg_type]) + _u24(len(body)) + body


def _server_hello(hello: _ClientHello) -> bytes:
    """A TLS 1.2 ServerHello the client will accept, so it goes on to read our Certificate."""
    suite = next((s for s in _TLS12_SUITES if s in hello.cipher_suites), None)
    if suite is None:
        raise _HangUpError  # client offers no TLS 1.2 ECDHE suite: nothing to craft
    extensions = b""
    if _RENEGOTIATION_INFO in hello.extensions or _EMPTY_RENEGOTIATION_SCSV in hello.cipher_suites:
        extensions += struct.pack("!HHB", _RENEGOTIATION_INFO, 1, 0)
    if _EXTENDED_MASTER_SECRET in hello.extensions:
        extensions += struct.pack("!HH", _EXTENDED_MASTER_SECRET, 0)
    # The random must not end in the TLS 1.3 downgrade sentinel; zeros never do.
    body = (
        struct.pack("!H", 0x0303)
        + os.urandom(24)
        + bytes(8)
        + b"\x00"  # empty session id: no resumption
        + struct.pack("!HB", suite, 0)
        + struct.pack("!H", len(extensions))
        + extensions
    )
    return _handshake_message(_SERVER_HELLO, body)


def _certificate_message(ders: Iterable[bytes]) -> bytes:
    entries = b"".join(_u24(len(der)) + der for der in ders)
    return _handshake_message(_CERTIFICATE, _u24(len(entries)) + entries)


def malformed_der_variants(der: bytes) -> dict[str, bytes]:
    """Named ways to break a certificate's DER, each of which a parser must reject.

    Args:
        der: a well-formed certificate to start from.
    """
    body = der[4:] if der[1] == 0x82 else der[2:]
    return {
        "truncated": der[: len(der) // 2],
        "length-overrun": b"\x30\x82\xff\xff" + body,
        "wrong-outer-tag": b"\x31" + der[1:],
        "trailing-garbage": der + b"\x00\x01\x02",
        "empty": b"",
        "not-der": b"-----BEGIN CERTIFICATE-----\nnot base64\n",
    }


class _CraftedCertificateServer(HostileServer):
    """Answers a ClientHello with a TLS 1.2 ServerHello and a hostile Certificate message."""

    def certificate_message(self) -> bytes:
        raise NotImplementedError

    def handle(self, conn: socket.socket) -> None:
        hello = self._read_client_hello(conn)
        flight = _server_hello(hello) + self.certificate_message()
        self._sendall(conn, _records(_HANDSHAKE, flight))
        self._hold(conn)


class HugeCertificateServer(_CraftedCertificateServer):
    """Sends a Certificate handshake message of `size` bytes (default 10 MiB)."""

    def __init__(self, size: int = 10 * 1024 * 1024) -> None:
        super().__init__()
        if not 16 < size < 1 << 24:
            raise ValueError("a handshake message holds 17 bytes to 16 MiB")
        self.size = size

    def certificate_message(self) -> bytes:
        # One "certificate": a DER SEQUENCE header followed by zeros, filling the message.
        cert_len = self.size - 4 - 3 - 3
        content = cert_len - 5
        fake = b"\x30\x84" + content.to_bytes(4, "big") + bytes(content - 1)
        return _certificate_message([fake[:cert_len]])


class MalformedCertificateServer(_CraftedCertificateServer):
    """Sends a Certificate message whose (only) certificate is the given malformed DER."""

    def __init__(self, der: bytes) -> None:
        super().__init__()
        self.der = der

    def certificate_message(self) -> bytes:
        return _certificate_message([self.der])


# --------------------------------------------------------------------------- raw misbehaviour


class GarbageServer(HostileServer):
    """Reads the ClientHello, answers with bytes that are not TLS, then keeps the line open."""

    def __init__(self, payload: bytes = b"HTTP/1.1 400 Bad Request\r\n\r\n" * 4) -> None:
        super().__init__()
        self.payload = payload

    def handle(self, conn: socket.socket) -> None:
        self._recv(conn)
        self._sendall(conn, self.payload)
        self._hold(conn)


class MidRecordServer(HostileServer):
    """Starts a handshake record, sends a few of its bytes, then hangs up or stalls.

    Args:
        stall: keep the connection open, silent, instead of closing it.
    """

    def __init__(self, *, stall: bool = False) -> None:
        super().__init__()
        self.stall = stall

    def handle(self, conn: socket.socket) -> None:
        self._read_client_hello(conn)
        # A record header promising 512 bytes of handshake, then the start of a ServerHello.
        self._sendall(conn, struct.pack("!BHH", _HANDSHAKE, 0x0303, 512) + b"\x02\x00\x01\xfc\x03")
        if self.stall:
            self._hold(conn)


class SlowlorisServer(HostileServer):
    """Never finishes the handshake: drips one byte of a huge record every `interval` seconds."""

    def __init__(self, interval: float = 0.2) -> None:
        super().__init__()
        self.interval = interval
        self.bytes_dripped = 0

    def handle(self, conn: socket.socket) -> None:
        self._read_client_hello(conn)
        drip = struct.pack("!BHH", _HANDSHAKE, 0x0303, MAX_RECORD) + b"\x02" + _u24(MAX_RECORD - 4)
        position = 0
        while True:
            byte = drip[position : position + 1] or b"\x00"
            self._sendall(conn, byte)
            self.bytes_dripped += 1
            position += 1
            self._sleep(self.interval)


# --------------------------------------------------------------------------- real TLS peers


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
            self.server._sendall(self.sock, data)

    def _pump_in(self) -> None:
        self.tls.bio_write(self.server._recv(self.sock))

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
                raise _HangUpError from exc
            self.flush()
            return

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            sent = self.tls.send(bytes(view[:MAX_RECORD]))
            view = view[sent:]
            self.flush()

    def recv(self, *, until: Callable[[], bool] | None = None) -> bytes:
        """Application data; raises `_HangUpError` on close_notify, EOF or a TLS error.

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
                raise _HangUpError from exc
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
            self._sendall(peer.sock, record[: len(record) // 2])
        if self.close_notify:
            with contextlib.suppress(SSL.Error):
                peer.tls.shutdown()
            peer.flush()
        # FIN, then wait for the client to hang up: closing with unread input would send a
        # RST, and the client could lose the payload to the reset.
        peer.sock.shutdown(socket.SHUT_WR)
        self._hold(peer.sock)


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
        except _HangUpError:
            # OpenSSL's server side treats the client's no_renegotiation alert as fatal.
            self.outcomes.append("refused" if refused.is_set() else "client hung up")
            raise
        self.outcomes.append("completed")
        peer.send(self.AFTER)


# --------------------------------------------------------------------------- openssl s_server


class KeyUpdateServer:
    """TLS 1.3 `openssl s_server` that sends a KeyUpdate (requesting one back) mid-stream.

    After each handshake it sends ``before\\n``, then a KeyUpdate with update_requested, then
    ``after\\n``.

    Attributes:
        key_updates: KeyUpdates s_server reported as sent successfully.
        output: s_server's output lines after each handshake; the lines the client sends
            appear here too, among s_server's diagnostics.
    """

    BEFORE = b"before\n"
    AFTER = b"after\n"
    _GAP = 0.3  # s_server treats a stdin read as a command only if ``K`` starts the read

    def __init__(self, identity: ServerIdentity) -> None:
        self.identity = identity
        self.host = HOST
        self.port = 0
        self.key_updates = 0
        self.output: list[str] = []
        self.errors: list[BaseException] = []
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)``."""
        return self.host, self.port

    def __enter__(self) -> Self:
        self._dir = Path(tempfile.mkdtemp(prefix="securesocket-keyupdate-"))
        cert, chain, key = self._dir / "cert.pem", self._dir / "chain.pem", self._dir / "key.pem"
        cert.write_bytes(self.identity.leaf.public_bytes(serialization.Encoding.PEM))
        chain.write_bytes(
            b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.identity.chain[1:])
        )
        key.write_bytes(
            self.identity.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        argv = ["openssl", "s_server", "-accept", f"{HOST}:0", "-tls1_3", "-cert", str(cert)]
        argv += ["-key", str(key), "-no_ign_eof"]
        if len(self.identity.chain) > 1:
            argv += ["-cert_chain", str(chain)]
        self._process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self._reader = threading.Thread(target=self._read_output, name="KeyUpdateServer-reader")
        self._reader.start()
        if not self._ready.wait(JOIN_TIMEOUT) or not self.port:
            self.__exit__(None, None, None)
            raise RuntimeError("openssl s_server did not start")
        return self

    def _read_output(self) -> None:
        process = self._process
        assert process is not None  # noqa: S101 - set in __enter__
        assert process.stdout is not None  # noqa: S101
        try:
            for raw in process.stdout:
                line = raw.decode(errors="replace").rstrip("\r\n")
                if match := re.fullmatch(r"ACCEPT .*:(\d+)", line):
                    self.port = int(match.group(1))
                    self._ready.set()
                elif line.startswith("CIPHER is"):
                    self._update_keys(process.stdin)
                elif line == "SSL_do_handshake -> 1":
                    self.key_updates += 1
                elif self.key_updates or line.startswith("Secure Renegotiation"):
                    self.output.append(line)
        except Exception as exc:  # recorded for the test to assert on
            self.errors.append(exc)
        finally:
            self._ready.set()

    def _update_keys(self, stdin: IO[bytes] | None) -> None:
        assert stdin is not None  # noqa: S101
        for command in (self.BEFORE, b"K\n", self.AFTER):
            with contextlib.suppress(BrokenPipeError):
                stdin.write(command)
                stdin.flush()
            time.sleep(self._GAP)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(JOIN_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdin is not None:
                with contextlib.suppress(BrokenPipeError):
                    process.stdin.close()
        if self._reader is not None:
            self._reader.join(JOIN_TIMEOUT)
        if process is not None and process.stdout is not None:
            process.stdout.close()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
