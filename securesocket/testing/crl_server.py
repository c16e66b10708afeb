"""`CRLServer`: CRLs over HTTP on 127.0.0.1, with faults (404, garbage, slow, HTTP 500).

A stale CRL is not a server fault: publish a CRL whose nextUpdate has passed
(``ca.crl(at=..., next_update=...)``). Requests are recorded in ``requests`` (paths).
"""

from __future__ import annotations

import enum
from typing import ClassVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ._http import LoopbackHTTPServer, QuietHandler


__all__ = ["CRLFault", "CRLServer"]

CRL_TYPE = "application/pkix-crl"


class CRLFault(enum.Enum):
    """How the server answers for one path (NONE: serve what was published)."""

    NONE = "none"
    NOT_FOUND = "notFound"
    GARBAGE = "garbage"
    SLOW = "slow"
    HTTP_ERROR = "httpError"


class _CRLHandler(QuietHandler):
    def do_GET(self) -> None:
        owner = self.server.owner
        assert isinstance(owner, CRLServer)  # noqa: S101 - this handler serves only that class
        status, body = owner.respond(self.path)
        self.send_body(status, body, CRL_TYPE if status == 200 else "text/plain")


class CRLServer(LoopbackHTTPServer):
    """Serves published CRLs by path (``/inter.crl``), DER encoded."""

    handler_class: ClassVar[type[QuietHandler]] = _CRLHandler

    def __init__(self, *, delay: float = 30.0) -> None:
        super().__init__()
        self.delay = delay
        self.requests: list[str] = []
        self._files: dict[str, bytes] = {}
        self._faults: dict[str, CRLFault] = {}

    def url(self, path: str) -> str:
        """The full URL for ``path`` (to put in a CRL distribution point)."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def publish(self, path: str, crl: x509.CertificateRevocationList | bytes) -> str:
        """Serve ``crl`` (an object, or raw bytes) at ``path``; returns its URL."""
        data = crl if isinstance(crl, bytes) else crl.public_bytes(serialization.Encoding.DER)
        self._files["/" + path.lstrip("/")] = data
        return self.url(path)

    def set_fault(self, path: str, fault: CRLFault) -> None:
        """Misbehave for ``path`` from now on."""
        self._faults["/" + path.lstrip("/")] = fault

    def respond(self, path: str) -> tuple[int, bytes]:
        """HTTP status and body for a GET of ``path``."""
        self.requests.append(path)
        fault = self._faults.get(path, CRLFault.NONE)
        if fault is CRLFault.NOT_FOUND or (fault is CRLFault.NONE and path not in self._files):
            return 404, b"not found\n"
        if fault is CRLFault.GARBAGE:
            return 200, b"\x30\x03garbage, not a CRL"
        if fault is CRLFault.HTTP_ERROR:
            return 500, b"internal server error\n"
        if fault is CRLFault.SLOW and self.stopping.wait(self.delay):
            return 503, b"server stopping\n"
        return 200, self._files.get(path, b"")
