"""The decision: from the attempts on each certificate to a verdict, under the policy.

Pure. The table in docs/CONTRACTS.md ("Which status each revocation outcome gives") is
implemented here and nowhere else:

- a real "revoked" answer rejects with `CertificateStatus.REVOKED` under every checking policy;
- a Must-Staple leaf without a valid staple rejects with `INVALID` (soft-fail included);
- a strict policy that could not get the answer it needs rejects with `INVALID`, never
  `REVOKED`: "nothing more specific can be determined" is the truth, "revoked" would be a lie;
- soft-fail accepts everything else and says what it could not check.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cryptography import x509

from .._status import CertificateStatus
from .crl import serial_of
from .crl_check import MethodResult
from .policy import Method, RevocationPolicy, RevocationRules
from .report import (
    Attempt,
    CertificateDecision,
    CertificateRevocation,
    Outcome,
    RevocationReport,
)


__all__ = ["build_report", "decide_certificate"]

_AIR = "accepted, as AIR does"


def _why_not(attempts: Sequence[Attempt]) -> str:
    """The reasons no attempt gave an answer, stale first (stale is not the same as missing)."""
    useful = [a for a in attempts if a.outcome is not Outcome.SKIPPED] or list(attempts)
    stale = [a for a in useful if a.outcome is Outcome.STALE]
    if stale and len(stale) == len(useful):
        return "only stale data: " + "; ".join(a.detail for a in stale)
    return "; ".join(f"{a.method.value} {a.outcome.value}: {a.detail}" for a in useful[:4])


def _subject(cert: x509.Certificate) -> str:
    try:
        return cert.subject.rfc4514_string()
    except ValueError:
        return "(unreadable subject)"


def decide_certificate(
    depth: int,
    cert: x509.Certificate,
    policy: RevocationPolicy,
    declared: tuple[str, ...],
    results: Sequence[MethodResult],
    *,
    has_source: bool,
    staple_required: bool,
) -> CertificateRevocation:
    """The verdict on one certificate from its method results (in the order tried)."""
    attempts = tuple(a for r in results for a in r.attempts)

    def verdict(
        decision: CertificateDecision, accepted: bool, reason: str
    ) -> CertificateRevocation:
        return CertificateRevocation(
            depth=depth,
            subject=_subject(cert),
            serial=format(serial_of(cert), "x"),
            policy=policy,
            declared=declared,
            attempts=attempts,
            decision=decision,
            accepted=accepted,
            reason=reason,
        )

    if policy is RevocationPolicy.OFF:
        return verdict(
            CertificateDecision.UNCHECKED,
            True,
            "off: revocation not checked (a revoked certificate would pass, as in AIR "
            "with OCSP off)",
        )
    revoked = next((a for a in attempts if a.outcome is Outcome.REVOKED), None)
    if revoked is not None:
        return verdict(
            CertificateDecision.REVOKED,
            False,
            f"{policy}: revoked ({revoked.revocation_reason}) according to the {revoked.method}",
        )
    good = next((r for r in results if r.outcome is Outcome.GOOD), None)
    if staple_required and not any(
        a.method is Method.STAPLE and a.outcome is Outcome.GOOD for a in attempts
    ):
        return verdict(
            CertificateDecision.INDETERMINATE,
            False,
            f"{policy}: the certificate demands a stapled OCSP response (Must-Staple, RFC 7633) "
            "and no valid one was sent",
        )
    if good is not None:
        source = next(a for a in good.attempts if a.outcome is Outcome.GOOD)
        return verdict(
            CertificateDecision.GOOD, True, f"{policy}: good according to the {source.method}"
        )
    if not has_source:
        if policy is RevocationPolicy.REQUIRE:
            seen = f" ({_why_not(attempts)})" if attempts else ""
            return verdict(
                CertificateDecision.INDETERMINATE,
                False,
                f"require: no revocation information for this certificate{seen}; rejected",
            )
        if policy is RevocationPolicy.HARD_FAIL:
            named = f" (it names only {', '.join(declared)})" if declared else ""
            return verdict(
                CertificateDecision.UNCHECKED,
                True,
                f"hard-fail: no revocation source that can be consulted{named}; accepted",
            )
        return verdict(
            CertificateDecision.UNCHECKED, True, f"soft-fail: no revocation information; {_AIR}"
        )
    why = _why_not(attempts) if attempts else "no answer"
    if policy.strict:
        return verdict(
            CertificateDecision.INDETERMINATE,
            False,
            f"{policy}: no usable answer ({why}); rejected",
        )
    return verdict(
        CertificateDecision.INDETERMINATE, True, f"soft-fail: could not check ({why}); {_AIR}"
    )


def build_report(
    rules: RevocationRules, certificates: Sequence[CertificateRevocation], at: datetime | None
) -> RevocationReport:
    """The whole-path report: rejected when any certificate is rejected."""
    rejected = [c for c in certificates if not c.accepted]
    if any(c.revoked for c in rejected):
        status = CertificateStatus.REVOKED
    elif rejected:
        status = CertificateStatus.INVALID
    else:
        status = CertificateStatus.TRUSTED
    if rejected:
        first = rejected[0]
        summary = f"rejected: depth {first.depth} ({first.subject}): {first.reason}"
    elif not certificates:
        summary = "accepted: nothing below the anchor to check"
    elif not rules.leaf.checks and not rules.ca.checks:
        summary = "accepted: revocation checking is off"
    elif all(c.decision is CertificateDecision.GOOD for c in certificates):
        summary = f"accepted: every certificate is good ({rules.headline})"
    else:
        loose = next(c for c in certificates if c.decision is not CertificateDecision.GOOD)
        summary = f"accepted: {loose.reason}"
    return RevocationReport(
        policy=rules.headline,
        accepted=not rejected,
        status=status,
        summary=summary,
        certificates=tuple(certificates),
        rules=rules,
        checked_at=at,
    )
