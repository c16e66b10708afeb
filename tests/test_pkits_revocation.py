"""NIST PKITS, the revocation sections (4.4, 4.5, 4.7.4, 4.7.5, 4.14, 4.15), CRLs required.

Every `revocation_relevant` run of ``pkits/tests.json`` is validated at 2015-01-01 with
revocation "require": the path by the trust layer's `ChainVerifier` (profile rfc5280), the CRLs
by `evaluate_offline` with the run's certificates as candidate CRL signers (validated to the same
anchor by the verifier's issuer validator). A second pass goes through `verify_chain` itself.
PKITS has no OCSP and no URLs; every optional CRL feature it tests (distribution points,
onlySomeReasons, indirect CRLs, delta CRLs) is implemented, so nothing is skipped as unsupported.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from securesocket import CertificateStatus
from securesocket.revocation import CertificateDecision, Outcome, evaluate_offline
from securesocket.trust import ChainVerifier, verify_chain
from securesocket.trust.api import load_certificate


AT = datetime(2015, 1, 1, tzinfo=UTC)


def _pkits_dir() -> Path | None:
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "shared" / "pkits", Path("/work/shared/pkits")):
        if (candidate / "tests.json").is_file():
            return candidate
    return None


PKITS = _pkits_dir()
RUNS: list[dict[str, Any]] = (
    [r for r in json.loads((PKITS / "tests.json").read_text())["tests"] if r["revocation_relevant"]]
    if PKITS
    else []
)
pytestmark = pytest.mark.skipif(PKITS is None, reason="shared/pkits not found")

# Why each invalid run must be rejected: the report must say this (status, words in the reason).
# "path" means the trust layer rejects the path before revocation is consulted.
EXPECTED_REJECTION = {
    "4.4.1": (CertificateStatus.INVALID, "no revocation information"),
    "4.4.2": (CertificateStatus.REVOKED, "revoked (keyCompromise)"),
    "4.4.3": (CertificateStatus.REVOKED, "revoked (keyCompromise)"),
    "4.4.4": (CertificateStatus.INVALID, "signature does not verify"),
    "4.4.5": (CertificateStatus.INVALID, "no revocation information"),
    "4.4.6": (CertificateStatus.INVALID, "no revocation information"),
    "4.4.8": (CertificateStatus.INVALID, "unknown critical CRL entry extension"),
    "4.4.9": (CertificateStatus.INVALID, "unknown critical CRL extension"),
    "4.4.10": (CertificateStatus.INVALID, "unknown critical CRL extension"),
    "4.4.11": (CertificateStatus.INVALID, "only stale data"),
    "4.4.12": (CertificateStatus.INVALID, "only stale data"),
    "4.4.15": (CertificateStatus.REVOKED, "revoked"),
    "4.4.18": (CertificateStatus.REVOKED, "revoked"),
    "4.4.20": (CertificateStatus.REVOKED, "revoked"),
    "4.4.21": (CertificateStatus.INVALID, "is itself revoked"),
    "4.5.2": (CertificateStatus.REVOKED, "revoked"),
    "4.5.5": (CertificateStatus.REVOKED, "revoked"),
    "4.5.7": (CertificateStatus.REVOKED, "revoked"),
    "4.5.8": ("path", ""),
    "4.7.4": (CertificateStatus.INVALID, "lacks the cRLSign"),
    "4.7.5": (CertificateStatus.INVALID, "lacks the cRLSign"),
    "4.14.2": (CertificateStatus.REVOKED, "revoked"),
    "4.14.3": (CertificateStatus.INVALID, "no revocation information"),
    "4.14.6": (CertificateStatus.REVOKED, "revoked"),
    "4.14.8": (CertificateStatus.INVALID, "no revocation information"),
    "4.14.9": (CertificateStatus.INVALID, "no revocation information"),
    "4.14.11": (CertificateStatus.INVALID, "no revocation information"),
    "4.14.12": (CertificateStatus.INVALID, "no revocation information"),
    "4.14.14": (CertificateStatus.INVALID, "no revocation information"),
    "4.14.15": (CertificateStatus.REVOKED, "revoked (keyCompromise)"),
    "4.14.16": (CertificateStatus.REVOKED, "revoked (certificateHold)"),
    "4.14.17": (CertificateStatus.INVALID, "no CRL covers reasons"),
    "4.14.20": (CertificateStatus.REVOKED, "revoked (keyCompromise)"),
    "4.14.21": (CertificateStatus.REVOKED, "revoked (affiliationChanged)"),
    "4.14.23": (CertificateStatus.REVOKED, "revoked"),
    "4.14.26": (CertificateStatus.INVALID, "no revocation information"),
    "4.14.27": (CertificateStatus.INVALID, "not an indirect CRL"),
    "4.14.31": (CertificateStatus.REVOKED, "revoked"),
    "4.14.32": (CertificateStatus.REVOKED, "revoked"),
    "4.14.34": (CertificateStatus.REVOKED, "revoked"),
    "4.14.35": (CertificateStatus.INVALID, "no revocation information"),
    "4.15.1": (CertificateStatus.INVALID, "no revocation information"),
    "4.15.3": (CertificateStatus.REVOKED, "revoked"),
    "4.15.4": (CertificateStatus.REVOKED, "revoked"),
    "4.15.6": (CertificateStatus.REVOKED, "revoked"),
    "4.15.9": (CertificateStatus.REVOKED, "revoked"),
    "4.15.10": (CertificateStatus.INVALID, "only stale data"),
}

# Valid runs whose CRL is signed by a certificate that is not on the path: verify_chain must
# hand those certificates to evaluate_offline (signer_certs=), and its issuer_validator must be
# able to chain them (they are issued by CAs that were presented, not configured as extra).
OFF_PATH_SIGNER = {"4.4.19", "4.5.4", "4.5.6", "4.14.24", "4.14.25", "4.14.28", "4.14.29",
                   "4.14.30", "4.14.33"}  # fmt: skip


def test_off_path_signer_runs_need_the_signer_certificates() -> None:
    """Those runs fail without `signer_certs` (so passing them through verify_chain proves the
    certificates were handed over), and each is a valid PKITS run."""
    runs = {r["uid"]: r for r in RUNS}
    for uid in sorted(OFF_PATH_SIGNER):
        run = runs[uid]
        assert run["expected"] == "valid"
        leaf, anchor, pool, crls = _inputs(run)
        verifier = ChainVerifier(
            trust="none", anchors=[anchor], extra=pool, profile="rfc5280", policy=run["settings"]
        )
        path = verifier.verify(leaf, pool, host=None, at=AT).path
        alone = evaluate_offline(
            path, policy="require", at=AT, crls=crls, issuer_validator=verifier.issuer_validator(AT)
        )
        assert not alone.accepted, uid


def _read(name: str) -> bytes:
    assert PKITS is not None
    return (PKITS / name).read_bytes()


def _inputs(
    run: dict[str, Any],
) -> tuple[x509.Certificate, x509.Certificate, list[x509.Certificate], list[bytes]]:
    leaf = load_certificate(_read(run["end_entity_cert"]))
    anchor = load_certificate(_read(run["trust_anchor"]))
    names = run["intermediate_certs"] + run.get("off_path_certs", [])
    pool = [load_certificate(_read(n)) for n in dict.fromkeys(names)]
    return leaf, anchor, pool, [_read(c) for c in run["crls"]]


def _reasons(report: Any) -> str:
    return " | ".join(c.reason for c in report.certificates if not c.accepted)


@pytest.mark.parametrize("run", RUNS, ids=[r["uid"] for r in RUNS])
def test_pkits_revocation(run: dict[str, Any]) -> None:
    leaf, anchor, pool, crls = _inputs(run)
    verifier = ChainVerifier(
        trust="none", anchors=[anchor], extra=pool, profile="rfc5280", policy=run["settings"]
    )
    verification = verifier.verify(leaf, pool, host=None, at=AT)
    expected = EXPECTED_REJECTION.get(run["uid"])
    if expected is not None and expected[0] == "path":
        assert not verification.trusted
        return
    assert verification.trusted, [p.message for p in verification.problems]
    report = evaluate_offline(
        verification.path,
        policy="require",
        at=AT,
        crls=crls,
        issuer_validator=verifier.issuer_validator(AT),
        signer_certs=pool,
    )
    assert len(report.certificates) == len(verification.path) - 1  # the anchor is not checked
    if run["expected"] == "valid":
        assert report.accepted, _reasons(report)
        assert report.status is CertificateStatus.TRUSTED
        assert all(c.decision is CertificateDecision.GOOD for c in report.certificates)
        json.dumps(report.to_dict())
    else:
        assert expected is not None, "every invalid run has an expected reason"
        status, words = expected
        assert not report.accepted
        assert report.status is status
        assert words in _reasons(report) or any(
            words in a.detail for c in report.certificates for a in c.attempts
        ), _reasons(report)


@pytest.mark.parametrize("run", RUNS, ids=[r["uid"] for r in RUNS])
def test_pkits_revocation_through_verify_chain(run: dict[str, Any]) -> None:
    leaf, anchor, pool, crls = _inputs(run)
    verification = verify_chain(
        leaf,
        pool,
        anchors=[anchor],
        trust="none",
        profile="rfc5280",
        revocation="require",
        crls=crls,
        at=AT,
        policy=run["settings"],
    )
    if run["expected"] == "invalid":
        assert not verification.trusted  # never silently accepted
        return
    assert verification.trusted, [p.message for p in verification.problems]
    assert verification.revocation is not None
    assert verification.revocation.accepted


def test_pkits_runs_are_all_present() -> None:
    sections = {r["section"] for r in RUNS}
    assert sections == {"4.4", "4.5", "4.7", "4.14", "4.15"}
    assert len(RUNS) == 76
    assert set(EXPECTED_REJECTION) == {r["uid"] for r in RUNS if r["expected"] == "invalid"}


def test_a_crl_that_is_out_of_scope_is_reported_as_skipped_and_rejects() -> None:
    """4.14.12: the only CRL covers CA certificates only; the report says so, not hides it."""
    run = next(r for r in RUNS if r["uid"] == "4.14.12")
    leaf, anchor, pool, crls = _inputs(run)
    verifier = ChainVerifier(trust="none", anchors=[anchor], extra=pool, profile="rfc5280")
    path = verifier.verify(leaf, pool, host=None, at=AT).path
    report = evaluate_offline(path, policy="require", at=AT, crls=crls)
    leaf_report = report.certificates[0]
    assert not leaf_report.accepted
    skipped = [a for a in leaf_report.attempts if a.outcome is Outcome.SKIPPED]
    assert skipped
    assert "covers only CA certificates" in skipped[0].detail
