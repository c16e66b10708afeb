"""TLS servers for tests: the real ``openssl s_server`` and a stdlib ``ssl`` echo server.

Both bind 127.0.0.1 on a free port, are ready when `start()` (or ``with``) returns, and leave
no process, thread or file behind after `stop()`.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Self

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ._keys import private_key_pem
from ._process import ProcessServer
from ._service import Service
from .ca import LeafCert


__all__ = ["OpenSSLServer", "PythonTLSServer", "TLSVersion"]

HOST = "127.0.0.1"
TLSVersion = Literal["1.2", "1.3"]


def _pem(certs: Sequence[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


class _CredentialFiles:
    """The leaf, key, chain (and staple) written into ``root``, a private directory."""

    def __init__(
        self,
        root: Path,
        leaf: LeafCert,
        chain: Sequence[x509.Certificate],
        staple: bytes | None,
    ) -> None:
        self.cert = root / "cert.pem"
        self.key = root / "key.pem"
        self.chain = root / "chain.pem" if chain else None
        self.staple = root / "staple.der" if staple is not None else None
        self.cert.write_bytes(_pem([leaf.certificate]))
        self.key.write_bytes(private_key_pem(leaf.private_key))
        if self.chain is not None:
            self.chain.write_bytes(_pem(chain))
        if self.staple is not None and staple is not None:
            self.staple.write_bytes(staple)


class OpenSSLServer(ProcessServer):
    """``openssl s_server`` on 127.0.0.1.

    Args:
        leaf: the server certificate and key (``-cert``/``-key``: the leaf only).
        chain: certificates sent after the leaf (``-cert_chain``); default: the leaf's
            intermediates. Pass ``()`` to send the leaf alone.
        tls_version: "1.2" or "1.3" to allow only that version; None for both.
        staple: a DER OCSP response stapled on every handshake (``-status_file``).
        mode: "rev" echoes each line reversed (``-rev``); "www" answers HTTP GETs (``-www``).
        security_level: OpenSSL security level; 0 lets it serve SHA-1 or RSA-1024
            certificates, which it refuses to load at the default level.
        extra_args: more ``s_server`` options.
    """

    _prefix = "securesocket-tls-"

    def __init__(
        self,
        leaf: LeafCert,
        *,
        chain: Sequence[x509.Certificate] | None = None,
        tls_version: TLSVersion | None = None,
        staple: bytes | None = None,
        mode: Literal["rev", "www"] = "rev",
        security_level: int | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.leaf = leaf
        self.security_level = security_level
        self.chain = tuple(leaf.intermediates if chain is None else chain)
        self.tls_version = tls_version
        self.staple = staple
        self.mode = mode
        self.extra_args = tuple(extra_args)
        self.host = HOST
        super().__init__()

    def argv(self, files: _CredentialFiles) -> list[str]:
        """The s_server command line for these credential files."""
        argv = [
            "openssl",
            "s_server",
            "-accept",
            f"{HOST}:0",
            "-cert",
            str(files.cert),
            "-key",
            str(files.key),
        ]
        if files.chain is not None:
            argv += ["-cert_chain", str(files.chain)]
        if files.staple is not None:
            argv += ["-status_file", str(files.staple)]
        if self.tls_version is not None:
            argv.append("-tls1_2" if self.tls_version == "1.2" else "-tls1_3")
        if self.security_level is not None:
            argv += ["-cipher", f"DEFAULT@SECLEVEL={self.security_level}"]
        argv.append("-rev" if self.mode == "rev" else "-www")
        # Not -quiet: the "ACCEPT host:port" line is how readiness and the port are learned.
        return argv + list(self.extra_args)

    def start(self) -> Self:
        """Start s_server and wait until it accepts connections."""
        files = _CredentialFiles(self._workdir(), self.leaf, self.chain, self.staple)
        self.port = int(self._launch(self.argv(files), ready=r"^ACCEPT .*:(\d+)$").group(1))
        return self


class PythonTLSServer(Service):
    """A stdlib ``ssl`` echo server on 127.0.0.1: every byte received is sent back.

    Each connection gets its own thread; `stop()` shuts every connection down and joins them.
    """

    def __init__(
        self,
        leaf: LeafCert,
        *,
        chain: Sequence[x509.Certificate] | None = None,
        tls_version: TLSVersion | None = None,
        security_level: int | None = None,
    ) -> None:
        self.leaf = leaf
        self.chain = tuple(leaf.intermediates if chain is None else chain)
        self.tls_version = tls_version
        self.security_level = security_level
        self.host = HOST
        self.port = 0
        self.handshake_errors: list[str] = []
        self._listener: socket.socket | None = None
        self._accepter: threading.Thread | None = None
        self._lock = threading.Lock()
        self._connections: dict[ssl.SSLSocket, threading.Thread] = {}

    def _context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if self.tls_version is not None:
            version = (
                ssl.TLSVersion.TLSv1_2 if self.tls_version == "1.2" else ssl.TLSVersion.TLSv1_3
            )
            context.minimum_version = context.maximum_version = version
        if self.security_level is not None:
            context.set_ciphers(f"DEFAULT@SECLEVEL={self.security_level}")
        LeafCert(self.leaf.private_key, self.leaf.certificate, self.chain).configure_cert(context)
        return context

    def start(self) -> Self:
        """Bind, listen and start accepting (ready as soon as this returns)."""
        context = self._context()
        listener = self._listener = socket.create_server((HOST, 0))
        self.port = listener.getsockname()[1]
        self._accepter = threading.Thread(
            target=self._accept_loop, args=(listener, context), name=f"tls accept {self.port}"
        )
        self._accepter.start()
        return self

    def _accept_loop(self, listener: socket.socket, context: ssl.SSLContext) -> None:
        # The listener comes as an argument: stop() clears self._listener while this runs.
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:  # the listener was shut down: stop accepting
                return
            # Wrap now (no handshake yet): the wrapped socket owns the descriptor from here on,
            # and it is the one stop() must shut down.
            conn = context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
            thread = threading.Thread(
                target=self._serve, args=(conn,), name=f"tls conn {self.port}"
            )
            with self._lock:
                self._connections[conn] = thread
            thread.start()

    def _serve(self, conn: ssl.SSLSocket) -> None:
        try:
            conn.do_handshake()
            while data := conn.recv(65536):
                conn.sendall(data)
        except (OSError, ssl.SSLError) as exc:  # a client that fails or breaks off is normal
            self.handshake_errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()
            with self._lock:
                self._connections.pop(conn, None)

    def stop(self) -> None:
        """Stop accepting, shut every connection down, join every thread; idempotent."""
        if self._listener is not None:
            # shutdown() wakes the blocked accept() on Linux; close() alone would not.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        if self._accepter is not None:
            self._accepter.join()
            self._accepter = None
        with self._lock:
            live = list(self._connections.items())
        for conn, _thread in live:
            # The plain-socket shutdown: wakes the reader without touching the SSL object that
            # the connection thread is using.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
        for _conn, thread in live:
            thread.join()
