"""The second round of CRL fetches, end to end against the kit's CRL server: delta CRLs named
by the Freshest CRL extension (of the certificate or of its base CRL), and the CRLs of an off-path
CRL signer (a separate CRL-signing key), whose own status RFC 5280 §6.3.3 (f) requires."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509

from securesocket import CertificateStatus
from securesocket.revocation import (
    Fetchers,
    Outcome,
    RevocationReport,
    RevocationRules,
    check_revocation,
)
from securesocket.testing import CA
from securesocket.testing.crl_server import CRLFault, CRLServer
from securesocket.trust import ChainVerifier
from tests.revocation_helpers import NOW, Pki, crl_from, freshest, signer_pki


@pytest.fixture
def server() -> Iterator[CRLServer]:
    with CRLServer() as crls:
        yield crls


def check(
    path: tuple[x509.Certificate, ...], policy: Any = "require", **kw: Any
) -> RevocationReport:
    return asyncio.run(
        check_revocation(
            path, policy=policy, at=NOW, fetchers=Fetchers(timeout=10, deadline=20), **kw
        )
    )


def delta_pki(server: CRLServer, *, in_certificate: bool) -> Pki:
    """root → inter → leaf; inter's base CRL #10 (before the leaf was revoked) at inter.crl and
    a delta #11 listing the revocation at delta.crl, named by the leaf or by the base CRL."""
    root = CA(crl_url=server.url("root.crl"))
    inter = root.create_child_ca(crl_url=server.url("inter.crl"))
    named = [(freshest(server.url("delta.crl")), False)] if in_certificate else []
    leaf = inter.issue_cert("localhost", extra_extensions=named)
    base_at = NOW - dt.timedelta(hours=2)
    server.publish(
        "inter.crl",
        crl_from(
            inter,
            at=base_at,
            number=10,
            extensions=() if in_certificate else [freshest(server.url("delta.crl"))],
        ),
    )
    inter.revoke(leaf, at=NOW - dt.timedelta(hours=1))
    server.publish(
        "delta.crl", crl_from(inter, at=NOW, number=11, delta_base=10, changed_since=base_at)
    )
    server.publish("root.crl", root.crl(at=NOW))
    return Pki(root, inter, leaf)


@pytest.mark.parametrize("in_certificate", [True, False], ids=["certificate", "base-crl"])
def test_a_delta_named_by_freshest_crl_is_fetched_and_revokes(
    server: CRLServer, in_certificate: bool
) -> None:
    pki = delta_pki(server, in_certificate=in_certificate)
    report = check(pki.path)
    leaf = report.certificates[0]
    assert report.status is CertificateStatus.REVOKED, report.summary
    revoked = [a for a in leaf.attempts if a.outcome is Outcome.REVOKED]
    assert revoked[0].url == server.url("inter.crl")
    assert "with delta CRL #11" in revoked[0].detail
    assert "/delta.crl" in server.requests
    if in_certificate:
        assert f"delta crl {server.url('delta.crl')}" in leaf.declared


@pytest.mark.parametrize("in_certificate", [True, False], ids=["certificate", "base-crl"])
def test_without_deltas_the_delta_is_not_fetched_and_the_base_alone_decides(
    server: CRLServer, in_certificate: bool
) -> None:
    """The twin: the same servers with use_deltas off; the base (which predates the
    revocation) says good, and delta.crl is never asked for."""
    pki = delta_pki(server, in_certificate=in_certificate)
    rules = dataclasses.replace(RevocationRules.of("require"), use_deltas=False)
    report = check(pki.path, rules)
    assert report.accepted, report.summary
    assert "/delta.crl" not in server.requests


@pytest.mark.parametrize(
    ("fault", "words"), [(CRLFault.NOT_FOUND, "HTTP 404"), (CRLFault.GARBAGE, "not a CRL")]
)
def test_a_delta_that_cannot_be_had_is_reported_with_its_url(
    server: CRLServer, fault: CRLFault, words: str
) -> None:
    """The base CRL is fresh and authoritative until its nextUpdate, so it still decides; the
    failed delta is in the report with its URL and reason, never silently dropped."""
    pki = delta_pki(server, in_certificate=True)
    server.set_fault("delta.crl", fault)
    report = check(pki.path)
    leaf = report.certificates[0]
    failed = [a for a in leaf.attempts if a.url == server.url("delta.crl")]
    assert [a.outcome for a in failed] == [Outcome.ERROR]
    assert words in failed[0].detail
    assert report.accepted  # the base CRL's "not listed": it predates the revocation


def signer_check(pki: Pki, signers: tuple[x509.Certificate, ...]) -> RevocationReport:
    verifier = ChainVerifier(trust="none", anchors=[pki.root.certificate])
    return check(
        pki.path,
        issuer_validator=verifier.issuer_validator(NOW, signers),
        signer_certs=signers,
    )


def test_an_off_path_crl_signer_is_used_and_its_own_crl_fetched(server: CRLServer) -> None:
    pki, signer = signer_pki(server)
    report = signer_check(pki, (signer,))
    assert report.accepted, report.summary
    assert report.certificates[0].attempts[-1].outcome is Outcome.GOOD
    assert "/signer-status.crl" in server.requests  # the signer's status was looked up


def test_without_the_signer_certificate_the_crl_is_unusable(server: CRLServer) -> None:
    pki, _signer = signer_pki(server)
    report = signer_check(pki, ())
    assert report.status is CertificateStatus.INVALID
    assert "signature does not verify" in report.certificates[0].attempts[-1].detail
    assert "/signer-status.crl" not in server.requests


def test_a_revoked_crl_signer_is_refused(server: CRLServer) -> None:
    pki, signer = signer_pki(server)
    pki.root.revoke(signer, at=NOW - dt.timedelta(hours=1))
    server.publish("signer-status.crl", pki.root.crl(at=NOW))
    report = signer_check(pki, (signer,))
    assert report.status is CertificateStatus.INVALID
    assert "is itself revoked" in report.certificates[0].attempts[-1].detail


def test_a_crl_signer_from_another_pki_is_refused(server: CRLServer) -> None:
    pki, signer = signer_pki(server, signer_issuer=CA())
    report = signer_check(pki, (signer,))
    assert report.status is CertificateStatus.INVALID
    assert "does not chain to the same trust anchor" in report.certificates[0].attempts[-1].detail


def test_a_signer_crl_that_cannot_be_fetched_leaves_the_signer_unproven(
    server: CRLServer,
) -> None:
    pki, signer = signer_pki(server)
    server.set_fault("signer-status.crl", CRLFault.NOT_FOUND)
    report = signer_check(pki, (signer,))
    leaf = report.certificates[0]
    assert report.status is CertificateStatus.INVALID
    assert "has no CRL saying it is not revoked" in leaf.attempts[-1].detail
    failed = [a for a in leaf.attempts if a.url == server.url("signer-status.crl")]
    assert failed
    assert "HTTP 404" in failed[0].detail
