"""Test helpers for the engine and socket tests, on top of the fixture PKI kit
(`securesocket.testing`): a three-level PKI, and the peers the kit does not have — a stdlib
``ssl`` server that closes cleanly or truncates on purpose, and a listener that never answers.
Every peer is a context manager that leaves nothing running.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import select
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from securesocket.testing.ca import CA, LeafCert


NOW = dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class PKI:
    """Root → intermediate → leaf (the kit's objects)."""

    root: CA
    intermediate: CA
    leaf: LeafCert

    @property
    def root_der(self) -> bytes:
        return self.root.cert_der


def make_pki(names: tuple[str, ...] = ("localhost", "127.0.0.1"), **issue: Any) -> PKI:
    """A fresh PKI whose leaf serves ``names`` (``issue`` goes to `CA.issue_cert`)."""
    root = CA(common_name="securesocket test root")
    intermediate = root.create_child_ca(common_name="securesocket test intermediate")
    issue.setdefault("ocsp_url", None)
    issue.setdefault("crl_url", None)
    return PKI(root, intermediate, intermediate.issue_cert(*names, **issue))


def ocsp_staple(pki: PKI, *, revoked: bool) -> bytes:
    """A DER OCSP response about the leaf, signed by its issuer: good, or revoked."""
    response = pki.intermediate.ocsp_response(
        pki.leaf, at=NOW - dt.timedelta(minutes=5), status="revoked" if revoked else "good"
    )
    return response.public_bytes(serialization.Encoding.DER)


def refused_port() -> int:
    """A loopback port nothing listens on (bound, then closed again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ScriptedTLSServer:
    """A stdlib ``ssl`` server in a thread, one connection at a time, that sends ``greeting``
    and then, by ``ending``:

    - "close_notify": ends the stream cleanly;
    - "truncate": drops TCP without close_notify;
    - "await_close": reads until the client ends, recording in `endings` whether it sent
      close_notify ("clean") or just dropped TCP ("ragged").
    """

    def __init__(self, pki: PKI, *, greeting: bytes = b"", ending: str) -> None:
        self.greeting = greeting
        self.ending = ending
        self.endings: list[str] = []
        self.errors: list[str] = []
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.num_tickets = 0
        with tempfile.TemporaryDirectory() as tmp:
            chain, key = Path(tmp) / "chain.pem", Path(tmp) / "key.pem"
            chain.write_bytes(b"".join(blob.bytes() for blob in pki.leaf.cert_chain_pems))
            key.write_bytes(pki.leaf.private_key_pem.bytes())
            self.ctx.load_cert_chain(chain, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> ScriptedTLSServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self.listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.listener], [], [], 0.05)
            if not ready:
                continue
            raw, _ = self.listener.accept()
            raw.settimeout(10)
            try:
                with self.ctx.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False) as tls:
                    self._script(tls)
            except (OSError, ssl.SSLError) as error:
                self.errors.append(repr(error))
            finally:
                raw.close()

    def _script(self, tls: ssl.SSLSocket) -> None:
        tls.sendall(self.greeting)
        if self.ending == "truncate":
            tls.shutdown(socket.SHUT_RDWR)  # TCP FIN, no close_notify
        elif self.ending == "close_notify":
            tls.unwrap()
        else:
            try:
                while tls.recv(65536):
                    pass
            except ssl.SSLEOFError:
                self.endings.append("ragged")
            else:
                self.endings.append("clean")


@contextlib.contextmanager
def silent_listener() -> Iterator[int]:
    """A socket that listens on 127.0.0.1 but never accepts or answers: the TCP connect
    completes in the kernel and then nothing ever arrives. Yields its port."""
    with socket.create_server(("127.0.0.1", 0), backlog=8) as listener:
        yield int(listener.getsockname()[1])
