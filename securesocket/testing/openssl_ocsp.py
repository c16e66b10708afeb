"""`OpenSSLOCSPResponder`: OpenSSL's own OCSP responder (``openssl ocsp -index``), on 127.0.0.1.

``openssl ocsp -port`` can only listen on every interface, which the kit never does. So the
HTTP side is our loopback server (127.0.0.1 only), and each request is answered by a one-shot
``openssl ocsp -index ... -reqin ... -respout ...`` run with the same index, CA and signer:
OpenSSL's responder code decides the status, signs, copies the nonce, and refuses what it cannot
read, exactly as its server mode does. The HTTP decoding is the Python responder's.
"""

from __future__ import annotations

import itertools
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Self

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from ._http import LoopbackHTTPServer, OCSPHandler, QuietHandler
from ._keys import KeyType, fixed_key, private_key_pem
from .ca import CA, LeafCert


__all__ = ["OpenSSLOCSPResponder"]


def _index_line(cert: x509.Certificate, ca: CA) -> str:
    """One line of ``openssl ca``'s index.txt for ``cert``."""
    expiry = cert.not_valid_after_utc.strftime("%y%m%d%H%M%SZ")
    revocation = ca.ledger.revocation(cert.serial_number)
    subject = "/" + "/".join(
        f"{attr.rfc4514_attribute_name}={attr.value!s}" for attr in reversed(list(cert.subject))
    )
    serial = f"{cert.serial_number:X}"
    if len(serial) % 2:
        serial = "0" + serial
    if revocation is None:
        return f"V\t{expiry}\t\t{serial}\tunknown\t{subject}"
    when = revocation.at.strftime("%y%m%d%H%M%SZ")
    if revocation.reason is not None and revocation.reason is not x509.ReasonFlags.unspecified:
        when += f",{_OPENSSL_REASONS[revocation.reason]}"
    return f"R\t{expiry}\t{when}\t{serial}\tunknown\t{subject}"


_OPENSSL_REASONS = {
    x509.ReasonFlags.key_compromise: "keyCompromise",
    x509.ReasonFlags.ca_compromise: "CACompromise",
    x509.ReasonFlags.affiliation_changed: "affiliationChanged",
    x509.ReasonFlags.superseded: "superseded",
    x509.ReasonFlags.cessation_of_operation: "cessationOfOperation",
    x509.ReasonFlags.certificate_hold: "certificateHold",
    x509.ReasonFlags.remove_from_crl: "removeFromCRL",
    x509.ReasonFlags.privilege_withdrawn: "privilegeWithdrawn",
    x509.ReasonFlags.aa_compromise: "AACompromise",
}


class OpenSSLOCSPResponder(LoopbackHTTPServer):
    """OpenSSL's OCSP responder for ``ca`` and the ``certificates`` it issued (index.txt).

    Signs with ``responder`` (default: a delegated responder issued by ``ca``). Requests are
    counted in ``answered``; ``openssl_errors`` keeps what openssl printed when it refused one.
    """

    handler_class: ClassVar[type[QuietHandler]] = OCSPHandler

    def __init__(
        self,
        ca: CA,
        certificates: Sequence[x509.Certificate | LeafCert],
        *,
        responder: LeafCert | None = None,
        next_update_minutes: int = 60,
    ) -> None:
        super().__init__()
        self.ca = ca
        self.certificates = [c.certificate if isinstance(c, LeafCert) else c for c in certificates]
        self.responder = responder or ca.issue_ocsp_responder(
            key=fixed_key("openssl-ocsp", KeyType.ECDSA_P256)
        )
        self.next_update_minutes = next_update_minutes
        self.answered = 0
        self.openssl_errors: list[str] = []
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._names = itertools.count()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>/``."""
        return self.base_url + "/"

    def start(self) -> Self:
        """Write the index and keys, then serve."""
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="securesocket-ocsp-")
            root = Path(self._dir.name)
            (root / "index.txt").write_text(
                "".join(_index_line(c, self.ca) + "\n" for c in self.certificates)
            )
            (root / "ca.pem").write_bytes(self.ca.cert_pem.bytes())
            (root / "rsigner.pem").write_bytes(self.responder.cert_chain_pems[0].bytes())
            (root / "rkey.pem").write_bytes(private_key_pem(self.responder.private_key))
        return super().start()

    def respond(self, method: str, body: bytes) -> tuple[int, bytes]:
        """Answer one request with a one-shot ``openssl ocsp`` (called by the HTTP handler)."""
        assert self._dir is not None  # noqa: S101 - only a started server receives requests
        root = Path(self._dir.name)
        with self.lock:
            number = next(self._names)
        request, response = root / f"request-{number}.der", root / f"response-{number}.der"
        request.write_bytes(body)
        argv = [
            "openssl", "ocsp", "-index", "index.txt", "-CA", "ca.pem",
            "-rsigner", "rsigner.pem", "-rkey", "rkey.pem",
            "-nmin", str(self.next_update_minutes),
            "-reqin", request.name, "-respout", response.name,
        ]  # fmt: skip
        try:
            done = subprocess.run(
                argv, cwd=root, capture_output=True, text=True, timeout=30, check=False
            )
            answer = response.read_bytes() if done.returncode == 0 else None
        finally:
            request.unlink(missing_ok=True)
            response.unlink(missing_ok=True)
        with self.lock:
            self.answered += 1
            if answer is None:
                self.openssl_errors.append(done.stdout + done.stderr)
        if answer is None:
            # openssl could not read the request; its server mode answers malformedRequest.
            refusal = ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.MALFORMED_REQUEST
            )
            return 200, refusal.public_bytes(serialization.Encoding.DER)
        return 200, answer

    def stop(self) -> None:
        """Stop serving and remove the files; idempotent."""
        super().stop()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
