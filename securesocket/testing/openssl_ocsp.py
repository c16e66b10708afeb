"""`OpenSSLOCSPResponder`: the real ``openssl ocsp -index`` responder, for interoperability.

``openssl ocsp -port`` binds every interface, not only 127.0.0.1: use it only where that is
acceptable, and the Python `OCSPResponder` everywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

from cryptography import x509

from ._keys import KeyType, fixed_key, private_key_pem
from ._process import ProcessServer
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


class OpenSSLOCSPResponder(ProcessServer):
    """The real ``openssl ocsp`` responder for ``ca`` and the ``certificates`` it issued.

    It binds every interface (an ``openssl ocsp`` limitation); `url` uses 127.0.0.1. Signs with
    ``responder`` (default: a fresh delegated responder issued by ``ca``).
    """

    _prefix = "securesocket-ocsp-"

    def __init__(
        self,
        ca: CA,
        certificates: Sequence[x509.Certificate | LeafCert],
        *,
        responder: LeafCert | None = None,
        next_update_minutes: int = 60,
    ) -> None:
        self.ca = ca
        self.certificates = [c.certificate if isinstance(c, LeafCert) else c for c in certificates]
        self.responder = responder or ca.issue_ocsp_responder(
            key=fixed_key("openssl-ocsp", KeyType.ECDSA_P256)
        )
        self.next_update_minutes = next_update_minutes
        super().__init__()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>/``."""
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> Self:
        """Write the index and keys, start ``openssl ocsp`` and wait until it listens."""
        root = self._workdir()
        (root / "index.txt").write_text(
            "".join(_index_line(c, self.ca) + "\n" for c in self.certificates)
        )
        (root / "ca.pem").write_bytes(self.ca.cert_pem.bytes())
        (root / "rsigner.pem").write_bytes(self.responder.cert_chain_pems[0].bytes())
        (root / "rkey.pem").write_bytes(private_key_pem(self.responder.private_key))
        argv = [
            "openssl", "ocsp", "-index", "index.txt", "-port", "0", "-CA", "ca.pem",
            "-rsigner", "rsigner.pem", "-rkey", "rkey.pem",
            "-nmin", str(self.next_update_minutes), "-ignore_err",
        ]  # fmt: skip
        self.port = int(self._launch(argv, ready=r"ACCEPT .*:(\d+)").group(1))
        return self
