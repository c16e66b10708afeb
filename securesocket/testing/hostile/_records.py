"""Hand-made TLS 1.2 records: parse a ClientHello, answer with a ServerHello the client accepts,
then say what no correct TLS stack would (a huge or undecodable Certificate message).
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from ._server import MAX_RECORD, HangUpError, HostileServer


HANDSHAKE = 0x16
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
            raise HangUpError  # a ClientHello we cannot parse: just hang up
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def number(self, width: int) -> int:
        return int.from_bytes(self.take(width), "big")

    def vector(self, width: int) -> bytes:
        return self.take(self.number(width))


@dataclass(frozen=True)
class ClientHello:
    cipher_suites: tuple[int, ...]
    extensions: frozenset[int]

    @classmethod
    def parse(cls, record_body: bytes) -> ClientHello:
        cursor = _Cursor(record_body)
        if cursor.number(1) != 1:  # ClientHello
            raise HangUpError
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


def u24(value: int) -> bytes:
    return value.to_bytes(3, "big")


def records(content_type: int, payload: bytes) -> bytes:
    """`payload` split into TLS 1.2 records of at most `MAX_RECORD` bytes."""
    out = bytearray()
    for start in range(0, max(len(payload), 1), MAX_RECORD):
        chunk = payload[start : start + MAX_RECORD]
        out += struct.pack("!BHH", content_type, 0x0303, len(chunk)) + chunk
    return bytes(out)


def _handshake_message(msg_type: int, body: bytes) -> bytes:
    return bytes([msg_type]) + u24(len(body)) + body


def server_hello(hello: ClientHello) -> bytes:
    """A TLS 1.2 ServerHello the client will accept, so it goes on to read our Certificate."""
    suite = next((s for s in _TLS12_SUITES if s in hello.cipher_suites), None)
    if suite is None:
        raise HangUpError  # client offers no TLS 1.2 ECDHE suite: nothing to craft
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


def certificate_message(ders: Iterable[bytes]) -> bytes:
    entries = b"".join(u24(len(der)) + der for der in ders)
    return _handshake_message(_CERTIFICATE, u24(len(entries)) + entries)


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


def read_client_hello(server: HostileServer, conn: socket.socket) -> ClientHello:
    """The client's first record, parsed; hang up on anything that is not a ClientHello."""
    header = server.recv_exactly(conn, 5)
    if header[0] != HANDSHAKE:
        raise HangUpError  # not TLS: nothing hostile to do
    body = server.recv_exactly(conn, struct.unpack("!H", header[3:5])[0])
    return ClientHello.parse(body)
