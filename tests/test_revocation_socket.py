"""End to end through `SecureSocket`: a real TLS server (``openssl s_server``), whose leaf names
the kit's OCSP responder and CRL server; the socket fetches, decides, and only then connects."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from securesocket import CertificateStatus, CertificateVerificationError, SecureSocket
from securesocket.revocation import Method, Outcome
from securesocket.testing import CA, LeafCert
from securesocket.testing._http import ClosedPort
from securesocket.testing.crl_server import CRLServer
from securesocket.testing.ocsp_servers import OCSPResponder
from securesocket.testing.tls_servers import OpenSSLServer
from tests.revocation_helpers import signer_pki


@pytest.fixture
def servers() -> Iterator[tuple[OCSPResponder, CRLServer]]:
    with OCSPResponder() as responder, CRLServer() as crls:
        yield responder, crls


def pki(responder: OCSPResponder, crls: CRLServer, *, ocsp: bool) -> tuple[CA, CA]:
    root = CA(crl_url=crls.url("root.crl"))
    inter = root.create_child_ca(
        ocsp_url=responder.url if ocsp else None, crl_url=None if ocsp else crls.url("inter.crl")
    )
    responder.add_ca(inter)
    return root, inter


def publish(crls: CRLServer, root: CA, inter: CA) -> None:
    crls.publish("root.crl", root.crl())
    crls.publish("inter.crl", inter.crl())


async def connect(root: CA, leaf: LeafCert, policy: str) -> SecureSocket:
    with OpenSSLServer(leaf) as server:
        sock = SecureSocket(trust="none", revocation=policy)
        sock.add_binary_chain_building_certificate(root.cert_der, True)
        try:
            await sock.connect("localhost", server.port)
        finally:
            sock.close()
    return sock


@pytest.mark.parametrize("method", ["ocsp", "crl"])
@pytest.mark.parametrize("revoked", [False, True], ids=["good", "revoked"])
def test_require_fetches_then_decides(
    servers: tuple[OCSPResponder, CRLServer], method: str, revoked: bool
) -> None:
    responder, crls = servers
    root, inter = pki(responder, crls, ocsp=method == "ocsp")
    leaf = inter.issue_cert("localhost")
    if revoked:
        inter.revoke(leaf, at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    publish(crls, root, inter)

    async def body() -> SecureSocket:
        sock = SecureSocket(trust="none", revocation="require")
        sock.add_binary_chain_building_certificate(root.cert_der, True)
        with OpenSSLServer(leaf) as server:
            if revoked:
                with pytest.raises(CertificateVerificationError, match="revoked"):
                    await sock.connect("localhost", server.port)
            else:
                await sock.connect("localhost", server.port)
                sock.close()
        return sock

    sock = asyncio.run(body())
    report = sock.revocation_report
    assert report is not None
    assert sock.server_certificate_status == (
        CertificateStatus.REVOKED if revoked else CertificateStatus.TRUSTED
    )
    leaf_attempt = report.certificates[0].attempts[-1]
    assert leaf_attempt.method is (Method.OCSP if method == "ocsp" else Method.CRL)
    assert leaf_attempt.origin in ("fetched", "cache")
    assert leaf_attempt.outcome is (Outcome.REVOKED if revoked else Outcome.GOOD)
    assert report.certificates[1].attempts[-1].url == crls.url("root.crl")
    assert (len(responder.requests) > 0) is (method == "ocsp")


def test_policy_off_is_airs_hole_and_says_so(servers: tuple[OCSPResponder, CRLServer]) -> None:
    """A revoked certificate connects under "off", and the report says nothing was checked."""
    responder, crls = servers
    root, inter = pki(responder, crls, ocsp=True)
    leaf = inter.issue_cert("localhost")
    inter.revoke(leaf, at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    publish(crls, root, inter)
    sock = asyncio.run(connect(root, leaf, "off"))
    assert sock.server_certificate_status == CertificateStatus.TRUSTED
    report = sock.revocation_report
    if report is not None:  # the socket may skip the call entirely under "off"
        assert all(not c.attempts for c in report.certificates)
        assert "not checked" in report.certificates[0].reason
    assert responder.requests == []
    with pytest.raises(CertificateVerificationError, match="revoked"):
        asyncio.run(connect(root, leaf, "soft-fail"))  # the twin: AIR's default, checked
    assert len(responder.requests) == 1


def test_a_crl_signer_the_server_sends_is_used() -> None:
    """The server sends its intermediate and the separate key that signs the intermediate's
    CRLs; under require the socket must use that certificate to check the CRL and connect."""
    with CRLServer() as crls:
        pki, signer = signer_pki(crls)
        with OpenSSLServer(pki.leaf, chain=[pki.inter.certificate, signer]) as server:

            async def body() -> SecureSocket:
                sock = SecureSocket(trust="none", revocation="require")
                sock.add_binary_chain_building_certificate(pki.root.cert_der, True)
                try:
                    await sock.connect("localhost", server.port)
                finally:
                    sock.close()
                return sock

            sock = asyncio.run(body())
    assert sock.server_certificate_status == CertificateStatus.TRUSTED
    assert "/signer-status.crl" in crls.requests


def test_without_the_signer_the_socket_refuses_the_crl() -> None:
    """The twin, which holds today: when the server does not send the CRL signer, the CRL
    cannot be authenticated and require refuses the connection (invalid, not revoked)."""
    with CRLServer() as crls:
        pki, _signer = signer_pki(crls)
        with OpenSSLServer(pki.leaf, chain=[pki.inter.certificate]) as server:

            async def body() -> SecureSocket:
                sock = SecureSocket(trust="none", revocation="require")
                sock.add_binary_chain_building_certificate(pki.root.cert_der, True)
                with pytest.raises(CertificateVerificationError, match="invalid"):
                    await sock.connect("localhost", server.port)
                return sock

            sock = asyncio.run(body())
    assert sock.server_certificate_status == CertificateStatus.INVALID
    report = sock.revocation_report
    assert report is not None
    assert "signature does not verify" in report.certificates[0].attempts[-1].detail


@pytest.mark.parametrize("version", ["1.2", "1.3"])
@pytest.mark.parametrize("stapled", [True, False], ids=["staple", "no-staple"])
def test_must_staple_through_the_socket(version: str, stapled: bool) -> None:
    """A Must-Staple leaf under the default policy (soft-fail, as AIR): the socket asks for a
    staple on every handshake, judges it, and connects only when a valid one came; without it
    the connection is refused as invalid (not revoked), over TLS 1.2 and 1.3."""
    root = CA()
    inter = root.create_child_ca()
    leaf = inter.issue_cert("localhost", must_staple=True, ocsp_url=None, crl_url=None)
    staple = inter.ocsp_response(leaf).public_bytes(Encoding.DER) if stapled else None

    async def body() -> SecureSocket:
        sock = SecureSocket(trust="none")  # the default revocation policy
        sock.add_binary_chain_building_certificate(root.cert_der, True)
        with OpenSSLServer(leaf, staple=staple, tls_version=version) as server:  # type: ignore[arg-type]
            if stapled:
                await sock.connect("localhost", server.port)
                sock.close()
            else:
                with pytest.raises(CertificateVerificationError, match="invalid"):
                    await sock.connect("localhost", server.port)
        return sock

    sock = asyncio.run(body())
    report = sock.revocation_report
    assert report is not None
    assert report.policy.value == "soft-fail"
    leaf_report = report.certificates[0]
    assert "must-staple" in leaf_report.declared
    if stapled:
        assert sock.server_certificate_status == CertificateStatus.TRUSTED
        assert (leaf_report.attempts[0].method, leaf_report.attempts[0].outcome) == (
            Method.STAPLE,
            Outcome.GOOD,
        )
    else:
        assert sock.server_certificate_status == CertificateStatus.INVALID
        assert "Must-Staple" in leaf_report.reason


@pytest.mark.parametrize(("policy", "connects"), [("soft-fail", True), ("hard-fail", False)])
def test_a_responder_that_is_down_under_soft_and_hard_fail(policy: str, connects: bool) -> None:
    """The leaf names an OCSP responder on a closed port: soft-fail connects and says what it
    could not check (AIR's behaviour, now visible); hard-fail refuses with invalid."""
    with ClosedPort() as closed:
        root = CA()
        inter = root.create_child_ca()
        leaf = inter.issue_cert("localhost", ocsp_url=closed.base_url + "/ocsp", crl_url=None)

        async def body() -> SecureSocket:
            sock = SecureSocket(trust="none", revocation=policy)
            sock.add_binary_chain_building_certificate(root.cert_der, True)
            with OpenSSLServer(leaf) as server:
                if connects:
                    await sock.connect("localhost", server.port)
                    sock.close()
                else:
                    with pytest.raises(CertificateVerificationError, match="invalid"):
                        await sock.connect("localhost", server.port)
            return sock

        sock = asyncio.run(body())
    report = sock.revocation_report
    assert report is not None
    json.dumps(report.to_dict())
    leaf_report = report.certificates[0]
    attempt = leaf_report.attempts[0]
    assert (attempt.method, attempt.outcome, attempt.url) == (
        Method.OCSP,
        Outcome.ERROR,
        closed.base_url + "/ocsp",
    )
    assert "refused" in attempt.detail.lower()
    if connects:
        assert sock.server_certificate_status == CertificateStatus.TRUSTED
        assert "accepted, as AIR does" in leaf_report.reason
    else:
        assert sock.server_certificate_status == CertificateStatus.INVALID
        assert "rejected" in leaf_report.reason
