"""Servers that misbehave at the byte level: garbage, half a record, a slow drip, and crafted
Certificate messages (10 MiB, malformed DER).
"""

from __future__ import annotations

import socket
import struct

from ._records import (
    HANDSHAKE,
    certificate_message,
    read_client_hello,
    records,
    server_hello,
    u24,
)
from ._server import MAX_RECORD, HostileServer


class _CraftedCertificateServer(HostileServer):
    """Answers a ClientHello with a TLS 1.2 ServerHello and a hostile Certificate message."""

    def certificate_message(self) -> bytes:
        raise NotImplementedError

    def handle(self, conn: socket.socket) -> None:
        hello = read_client_hello(self, conn)
        flight = server_hello(hello) + self.certificate_message()
        self.sendall(conn, records(HANDSHAKE, flight))
        self.hold(conn)


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
        return certificate_message([fake[:cert_len]])


class MalformedCertificateServer(_CraftedCertificateServer):
    """Sends a Certificate message whose (only) certificate is the given malformed DER."""

    def __init__(self, der: bytes) -> None:
        super().__init__()
        self.der = der

    def certificate_message(self) -> bytes:
        return certificate_message([self.der])


class GarbageServer(HostileServer):
    """Reads the ClientHello, answers with bytes that are not TLS, then keeps the line open."""

    def __init__(self, payload: bytes = b"HTTP/1.1 400 Bad Request\r\n\r\n" * 4) -> None:
        super().__init__()
        self.payload = payload

    def handle(self, conn: socket.socket) -> None:
        self.recv(conn)
        self.sendall(conn, self.payload)
        self.hold(conn)


class MidRecordServer(HostileServer):
    """Starts a handshake record, sends a few of its bytes, then hangs up or stalls.

    Args:
        stall: keep the connection open, silent, instead of closing it.
    """

    def __init__(self, *, stall: bool = False) -> None:
        super().__init__()
        self.stall = stall

    def handle(self, conn: socket.socket) -> None:
        read_client_hello(self, conn)
        # A record header promising 512 bytes of handshake, then the start of a ServerHello.
        self.sendall(conn, struct.pack("!BHH", HANDSHAKE, 0x0303, 512) + b"\x02\x00\x01\xfc\x03")
        if self.stall:
            self.hold(conn)


class SlowlorisServer(HostileServer):
    """Never finishes the handshake: drips one byte of a huge record every `interval` seconds."""

    def __init__(self, interval: float = 0.2) -> None:
        super().__init__()
        self.interval = interval
        self.bytes_dripped = 0

    def handle(self, conn: socket.socket) -> None:
        read_client_hello(self, conn)
        drip = struct.pack("!BHH", HANDSHAKE, 0x0303, MAX_RECORD) + b"\x02" + u24(MAX_RECORD - 4)
        position = 0
        while True:
            byte = drip[position : position + 1] or b"\x00"
            self.sendall(conn, byte)
            self.bytes_dripped += 1
            position += 1
            self.sleep(self.interval)
