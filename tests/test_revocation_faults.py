"""The fault matrix: real loopback peers (the kit's OCSP responder and CRL server, a closed
port) misbehaving in every way the issue lists, under every policy, against the outcome table in
docs/CONTRACTS.md. Timeouts are short (0.3 s) so the slow cases stay cheap."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterator

import pytest
from cryptography.x509.oid import ExtendedKeyUsageOID

from securesocket import CertificateStatus
from securesocket.revocation import (
    Fetchers,
    Outcome,
    RevocationPolicy,
    RevocationReport,
    RevocationRules,
    check_revocation,
)
from securesocket.testing import CA, LeafCert
from securesocket.testing._http import ClosedPort
from securesocket.testing.crl_server import CRLFault, CRLServer
from securesocket.testing.ocsp_servers import OCSPFault, OCSPResponder
from tests.revocation_helpers import NOW


T, R, X = CertificateStatus.TRUSTED, CertificateStatus.REVOKED, CertificateStatus.INVALID
ALL_TRUSTED = {"off": T, "soft-fail": T, "hard-fail": T, "require": T}
REVOKED = {"off": T, "soft-fail": R, "hard-fail": R, "require": R}
UNREACHABLE = {"off": T, "soft-fail": T, "hard-fail": X, "require": X}


@dataclasses.dataclass
class Lab:
    responder: OCSPResponder
    crls: CRLServer
    closed: ClosedPort
    root: CA
    inter: CA
    leaves: dict[str, LeafCert]

    def path(self, name: str) -> tuple[object, ...]:
        return (self.leaves[name].certificate, self.inter.certificate, self.root.certificate)

    def publish_fresh(self) -> None:
        self.crls.publish("root.crl", self.root.crl(at=NOW))
        self.crls.publish("inter.crl", self.inter.crl(at=NOW))


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with (
        OCSPResponder(delay=5.0) as responder,
        CRLServer(delay=5.0) as crls,
        ClosedPort() as closed,
    ):
        root = CA(crl_url=crls.url("root.crl"))
        inter = root.create_child_ca()
        responder.add_ca(inter)
        ocsp, crl, down = responder.url, crls.url("inter.crl"), closed.base_url + "/"
        leaves = {
            "ocsp": inter.issue_cert("localhost", ocsp_url=ocsp, crl_url=None),
            "ocsp-revoked": inter.issue_cert("localhost", ocsp_url=ocsp, crl_url=None),
            "crl": inter.issue_cert("localhost", ocsp_url=None, crl_url=crl),
            "crl-revoked": inter.issue_cert("localhost", ocsp_url=None, crl_url=crl),
            "down": inter.issue_cert("localhost", ocsp_url=down, crl_url=None),
            "down-but-crl": inter.issue_cert("localhost", ocsp_url=down, crl_url=crl),
            "ocsp-and-crl": inter.issue_cert("localhost", ocsp_url=ocsp, crl_url=crl),
            "bare": inter.issue_cert("localhost", ocsp_url=None, crl_url=None),
            "must-staple": inter.issue_cert(
                "localhost", ocsp_url=ocsp, crl_url=crl, must_staple=True
            ),
        }
        inter.revoke(leaves["ocsp-revoked"], at=NOW - dt.timedelta(hours=1))
        inter.revoke(leaves["crl-revoked"], at=NOW - dt.timedelta(hours=1))
        built = Lab(responder, crls, closed, root, inter, leaves)
        built.publish_fresh()
        yield built


@pytest.fixture(autouse=True)
def healthy(lab: Lab) -> Iterator[None]:
    yield
    lab.responder.fault = OCSPFault.NONE
    for path in ("root.crl", "inter.crl"):
        lab.crls.set_fault(path, CRLFault.NONE)
    lab.publish_fresh()


def ocsp_fault(fault: OCSPFault) -> Callable[[Lab], None]:
    def apply(lab: Lab) -> None:
        lab.responder.fault = fault

    return apply


def crl_fault(fault: CRLFault) -> Callable[[Lab], None]:
    def apply(lab: Lab) -> None:
        lab.crls.set_fault("inter.crl", fault)

    return apply


def stale_crl(lab: Lab) -> None:
    old = NOW - dt.timedelta(days=30)
    lab.crls.publish("inter.crl", lab.inter.crl(at=old, next_update=old + dt.timedelta(days=7)))


def nothing(lab: Lab) -> None:
    pass


# name: (leaf, fault, expected status per policy, the leaf attempt outcome, words in it)
CASES: dict[str, tuple[str, Callable[[Lab], None], dict[str, CertificateStatus], Outcome, str]] = {
    "good-ocsp": ("ocsp", nothing, ALL_TRUSTED, Outcome.GOOD, "good"),
    "good-crl": ("crl", nothing, ALL_TRUSTED, Outcome.GOOD, "not listed"),
    "ocsp-no-next-update": (
        "ocsp",
        ocsp_fault(OCSPFault.NO_NEXT_UPDATE),
        ALL_TRUSTED,
        Outcome.GOOD,
        "good",
    ),
    "revoked-ocsp": ("ocsp-revoked", nothing, REVOKED, Outcome.REVOKED, "revoked"),
    "revoked-crl": ("crl-revoked", nothing, REVOKED, Outcome.REVOKED, "listed"),
    "responder-down": ("down", nothing, UNREACHABLE, Outcome.ERROR, "refused"),
    "responder-slow": ("ocsp", ocsp_fault(OCSPFault.SLOW), UNREACHABLE, Outcome.ERROR, "timed out"),
    "try-later": ("ocsp", ocsp_fault(OCSPFault.TRY_LATER), UNREACHABLE, Outcome.ERROR, "TRY_LATER"),
    "internal-error": (
        "ocsp",
        ocsp_fault(OCSPFault.INTERNAL_ERROR),
        UNREACHABLE,
        Outcome.ERROR,
        "INTERNAL_ERROR",
    ),
    "unauthorised-signer": (
        "ocsp",
        ocsp_fault(OCSPFault.UNAUTHORISED_SIGNER),
        UNREACHABLE,
        Outcome.ERROR,
        "lacks id-kp-OCSPSigning",
    ),
    "foreign-signer": (
        "ocsp",
        ocsp_fault(OCSPFault.FOREIGN_SIGNER),
        UNREACHABLE,
        Outcome.ERROR,
        "unauthorised signer",
    ),
    "stale-ocsp": (
        "ocsp",
        ocsp_fault(OCSPFault.STALE),
        UNREACHABLE,
        Outcome.STALE,
        "past nextUpdate",
    ),
    "truncated-ocsp": (
        "ocsp",
        ocsp_fault(OCSPFault.TRUNCATED),
        UNREACHABLE,
        Outcome.ERROR,
        "not a DER OCSP response",
    ),
    "garbage-ocsp": (
        "ocsp",
        ocsp_fault(OCSPFault.GARBAGE),
        UNREACHABLE,
        Outcome.ERROR,
        "not a DER OCSP response",
    ),
    "http-500-ocsp": (
        "ocsp",
        ocsp_fault(OCSPFault.HTTP_ERROR),
        UNREACHABLE,
        Outcome.ERROR,
        "HTTP 500",
    ),
    "nonce-mismatch": (
        "ocsp",
        ocsp_fault(OCSPFault.NONCE_MISMATCH),
        UNREACHABLE,
        Outcome.ERROR,
        "nonce mismatch",
    ),
    # A nonce mismatch makes the OCSP answer indeterminate, not fatal: the CRL then decides.
    "nonce-mismatch-crl-good": (
        "ocsp-and-crl",
        ocsp_fault(OCSPFault.NONCE_MISMATCH),
        ALL_TRUSTED,
        Outcome.ERROR,
        "nonce mismatch",
    ),
    "crl-404": ("crl", crl_fault(CRLFault.NOT_FOUND), UNREACHABLE, Outcome.ERROR, "HTTP 404"),
    "crl-garbage": ("crl", crl_fault(CRLFault.GARBAGE), UNREACHABLE, Outcome.ERROR, "not a CRL"),
    "crl-slow": ("crl", crl_fault(CRLFault.SLOW), UNREACHABLE, Outcome.ERROR, "timed out"),
    "crl-stale": ("crl", stale_crl, UNREACHABLE, Outcome.STALE, "past nextUpdate"),
    "ocsp-down-crl-good": ("down-but-crl", nothing, ALL_TRUSTED, Outcome.GOOD, "not listed"),
    "no-information": ("bare", nothing, {**ALL_TRUSTED, "require": X}, Outcome.GOOD, ""),
    "must-staple-without-staple": (
        "must-staple",
        nothing,
        {"off": T, "soft-fail": X, "hard-fail": X, "require": X},
        Outcome.GOOD,
        "good",
    ),
}


@pytest.mark.parametrize("policy", [p.value for p in RevocationPolicy])
@pytest.mark.parametrize("case", list(CASES))
def test_fault_matrix(lab: Lab, case: str, policy: str) -> None:
    leaf, fault, expected, outcome, words = CASES[case]
    fault(lab)
    rules = dataclasses.replace(RevocationRules.of(policy), ocsp_nonce=case.startswith("nonce"))
    seen = (len(lab.responder.requests), len(lab.crls.requests))
    report = asyncio.run(
        check_revocation(
            lab.path(leaf),  # type: ignore[arg-type]
            policy=rules,
            # Short timeouts only where a timeout is the point: a loaded box must not flake.
            fetchers=Fetchers(timeout=0.3 if "slow" in case else 10.0, deadline=20.0),
        )
    )
    json.dumps(report.to_dict())
    assert report.status is expected[policy], report.summary
    assert report.accepted is (expected[policy] is T)
    if policy == "off":
        assert (len(lab.responder.requests), len(lab.crls.requests)) == seen  # nothing fetched
        return
    attempts = report.certificates[0].attempts
    if case == "no-information":
        assert attempts == ()
        return
    matching = [a for a in attempts if a.outcome is outcome and words in a.detail]
    assert matching, [(a.outcome.value, a.detail) for a in attempts]
    if case == "nonce-mismatch-crl-good":
        assert [a.outcome for a in attempts] == [Outcome.ERROR, Outcome.GOOD]
    if outcome is not Outcome.GOOD or case == "ocsp-down-crl-good":
        assert all(a.url for a in attempts)  # every network attempt names its URL
    if case == "nonce-mismatch-crl-good":
        assert "good according to the crl" in report.certificates[0].reason
    elif expected[policy] is T and outcome is not Outcome.GOOD:
        assert "accepted, as AIR does" in report.certificates[0].reason
    if case == "must-staple-without-staple":
        assert "Must-Staple" in report.certificates[0].reason


def test_delegated_responder_without_nocheck_is_checked_through_its_crl(lab: Lab) -> None:
    delegate = lab.inter.issue_cert(
        common_name="Delegated responder without nocheck",
        extended_key_usage=(ExtendedKeyUsageOID.OCSP_SIGNING,),
        ocsp_url=None,
        crl_url=lab.crls.url("inter.crl"),
    )
    lab.responder.delegated[lab.inter] = delegate

    def check() -> RevocationReport:
        return asyncio.run(
            check_revocation(
                lab.path("ocsp"),  # type: ignore[arg-type]
                policy="require",
                fetchers=Fetchers(timeout=10.0, deadline=20.0),
            )
        )

    try:
        before = len(lab.crls.requests)
        good = check()
        assert good.accepted, good.summary
        assert good.certificates[0].attempts[0].outcome is Outcome.GOOD
        assert "/inter.crl" in lab.crls.requests[before:]  # the delegate's own CRL was fetched
        lab.inter.revoke(delegate, at=NOW - dt.timedelta(minutes=5))
        lab.publish_fresh()
        revoked_delegate = check()
        assert revoked_delegate.status is X
        first = revoked_delegate.certificates[0].attempts[0]
        assert first.outcome is Outcome.ERROR
        assert "is itself revoked" in first.detail
    finally:
        del lab.responder.delegated[lab.inter]
