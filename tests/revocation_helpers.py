"""Helpers for the revocation tests: a small PKI from the fixture kit, and DER shortcuts."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from securesocket.testing import CA, LeafCert


NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def der(item: x509.CertificateRevocationList | ocsp.OCSPResponse | x509.Certificate) -> bytes:
    return item.public_bytes(serialization.Encoding.DER)


@dataclass
class Pki:
    """root → intermediate → leaf; the intermediate publishes `ocsp_url` / `crl_url`."""

    root: CA
    inter: CA
    leaf: LeafCert

    @property
    def path(self) -> tuple[x509.Certificate, ...]:
        return (self.leaf.certificate, self.inter.certificate, self.root.certificate)

    def path_for(self, leaf: LeafCert) -> tuple[x509.Certificate, ...]:
        return (leaf.certificate, self.inter.certificate, self.root.certificate)

    def good_crls(self) -> tuple[bytes, bytes]:
        """Fresh CRLs from both CAs (what `require` needs for the whole path)."""
        return der(self.root.crl(at=NOW)), der(self.inter.crl(at=NOW))


def make_pki(
    *,
    ocsp_url: str | None = None,
    crl_url: str | None = None,
    root_crl_url: str | None = None,
    must_staple: bool = False,
) -> Pki:
    root = CA(crl_url=root_crl_url)
    inter = root.create_child_ca(ocsp_url=ocsp_url, crl_url=crl_url)
    leaf = inter.issue_cert("localhost", must_staple=must_staple)
    return Pki(root, inter, leaf)


class RawHTTPServer:
    """A loopback TCP server that answers every connection with scripted raw bytes: for
    malformed HTTP (bad status lines, lying lengths, chunked garbage, slow drips).

    `script(path)` returns the chunks to send for a request line's path, each chunk a `bytes`
    or a float (seconds to pause; the pause ends early when the server stops). The connection is
    closed after the script. Requests are recorded as their first line."""

    def __init__(self, script: Callable[[str], Sequence[bytes | float]]) -> None:
        self.script = script
        self.requests: list[str] = []
        self.stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)  # so the accept loop sees `stopping`
        self.cut_off = 0
        """Connections the client closed before the script ended."""
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> RawHTTPServer:
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._accepter.join(10)
        self._listener.close()
        for thread in self._threads:
            thread.join(10)

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                head = b""
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                self.requests.append(line)
                path = line.split(" ")[1] if line.count(" ") >= 2 else "/"
                for step in self.script(path):
                    if isinstance(step, float):
                        if self.stopping.wait(step):
                            return
                    else:
                        conn.sendall(step)
            except OSError:
                self.cut_off += 1
