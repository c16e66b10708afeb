"""The audit authenticates CRLs signed by certificates off the path (docs/CONTRACTS.md,
`signer_certs`): sent by the server or added with --add-cert, with the twin where nobody
supplies the signer. (The PKI comes from the revocation layer's own tests.)"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from securesocket import CertificateStatus
from securesocket.audit import AuditResult, audit_host
from securesocket.testing.crl_server import CRLServer
from securesocket.testing.tls_servers import OpenSSLServer
from tests.test_revocation_related import signer_pki


def _audit(*, send_signer: bool, add_signer: bool) -> tuple[AuditResult, list[str]]:
    with CRLServer() as crls:
        pki, signer = signer_pki(crls)
        chain: Sequence[x509.Certificate] = [pki.inter.certificate]
        if send_signer:
            chain = [*chain, signer]
        extra = [signer.public_bytes(Encoding.DER)] if add_signer else []
        with OpenSSLServer(pki.leaf, chain=chain) as server:
            result = audit_host(
                "127.0.0.1",
                server.port,
                server_name="localhost",
                revocation="require",
                trust="none",
                anchors=[pki.root.cert_der],
                extra=extra,
                timeout=10,
            )
        return result, list(crls.requests)


def test_a_crl_signer_the_server_sends_is_used() -> None:
    """The server sends the separate key that signs its intermediate's CRLs: under require the
    CRL is authenticated with it, the signer's own CRL is looked up, and the host is trusted."""
    result, requests = _audit(send_signer=True, add_signer=False)
    assert result.status is CertificateStatus.TRUSTED, result.revocation
    assert "/signer-status.crl" in requests


def test_a_crl_signer_added_as_a_chain_building_certificate_is_used() -> None:
    """The same signer supplied with --add-cert (extra) instead of by the server."""
    result, requests = _audit(send_signer=False, add_signer=True)
    assert result.status is CertificateStatus.TRUSTED, result.revocation
    assert "/signer-status.crl" in requests


def test_without_the_signer_require_refuses_the_crl() -> None:
    """The twin: nobody supplies the signer, so the CRL cannot be authenticated; require says
    invalid (not revoked) and says why."""
    result, requests = _audit(send_signer=False, add_signer=False)
    assert result.status is CertificateStatus.INVALID
    assert result.revocation is not None
    leaf = result.revocation.certificates[0]
    assert "signature does not verify" in leaf.attempts[-1].detail
    assert "/signer-status.crl" not in requests
