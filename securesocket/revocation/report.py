"""The revocation report: what each certificate declared, every attempt made, and the decision.

All classes are frozen dataclasses; `RevocationReport.to_dict` is the JSON view used by the audit
command. "Could not check" is never spelled "good": each attempt has one `Outcome`, and a
certificate is only `CertificateDecision.GOOD` when an authenticated, fresh answer said so.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .._status import CertificateStatus
from .policy import Method, RevocationPolicy, RevocationRules


__all__ = [
    "Attempt",
    "CertificateDecision",
    "CertificateRevocation",
    "Outcome",
    "RevocationReport",
]


class Outcome(enum.StrEnum):
    """What one attempt produced."""

    GOOD = "good"
    """An authenticated, fresh answer: not revoked."""
    REVOKED = "revoked"
    """An authenticated answer: revoked (reason and time in the attempt)."""
    UNKNOWN = "unknown"
    """The responder answered "unknown", or the CRLs found do not cover every reason."""
    STALE = "stale"
    """An authenticated answer that is past nextUpdate (plus skew) or older than max_age."""
    ERROR = "error"
    """No usable answer: down, timed out, malformed, unauthorised signer, tryLater, ..."""
    SKIPPED = "skipped"
    """Not attempted: an unsupported URL scheme, or an optional feature we do not implement."""

    @property
    def decisive(self) -> bool:
        return self in (Outcome.GOOD, Outcome.REVOKED)

    def __str__(self) -> str:
        return self.value


class CertificateDecision(enum.StrEnum):
    """The verdict on one certificate."""

    GOOD = "good"
    REVOKED = "revoked"
    UNCHECKED = "unchecked"
    """Nothing was looked at (policy off) or nothing was available."""
    INDETERMINATE = "indeterminate"
    """Sources existed but none gave a fresh, authenticated answer."""

    def __str__(self) -> str:
        return self.value


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass(frozen=True)
class Attempt:
    """One try at one source.

    Attributes:
        method: staple, fetched/supplied OCSP, or CRL.
        origin: "staple", "fetched", "supplied", "cache" (a fetched CRL reused before its
            nextUpdate), "offline" (a declared URL that evaluate_offline does not fetch) or
            "combined" (the verdict over several CRLs, e.g. reasons no CRL covers).
        url: where it came from, when it came from the network.
        outcome: see `Outcome`.
        detail: why, in words (the responder status, the fetch error, the CRL scope, ...).
        latency_ms: wall time of the fetch, when there was one.
        revocation_reason / revocation_time: for a revoked answer.
    """

    method: Method
    origin: str
    outcome: Outcome
    detail: str
    url: str | None = None
    latency_ms: float | None = None
    revocation_reason: str | None = None
    revocation_time: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method.value,
            "origin": self.origin,
            "url": self.url,
            "outcome": self.outcome.value,
            "detail": self.detail,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 3),
            "revocation_reason": self.revocation_reason,
            "revocation_time": _iso(self.revocation_time),
        }


@dataclass(frozen=True)
class CertificateRevocation:
    """The revocation story of one certificate on the path.

    Attributes:
        depth: 0 for the leaf, counting up towards the anchor.
        subject: the RFC 4514 subject.
        serial: the serial number in hex.
        policy: the policy that applied to this certificate.
        declared: the sources the certificate names ("ocsp http://…", "crl http://…",
            "crl ldap://… (unsupported scheme)", "must-staple").
        attempts: every attempt, in the order made.
        decision: the verdict.
        accepted: whether the policy accepts the certificate given that verdict.
        reason: the policy's reasoning, in words.
    """

    depth: int
    subject: str
    serial: str
    policy: RevocationPolicy
    declared: tuple[str, ...]
    attempts: tuple[Attempt, ...]
    decision: CertificateDecision
    accepted: bool
    reason: str

    @property
    def revoked(self) -> bool:
        return self.decision is CertificateDecision.REVOKED

    def to_dict(self) -> dict[str, Any]:
        return {
            "depth": self.depth,
            "subject": self.subject,
            "serial": self.serial,
            "policy": self.policy.value,
            "declared": list(self.declared),
            "attempts": [a.to_dict() for a in self.attempts],
            "decision": self.decision.value,
            "accepted": self.accepted,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RevocationReport:
    """The outcome of revocation checking for a whole path (leaf → anchor; anchor not checked).

    Attributes:
        policy: the leaf's policy (the headline one; `rules` has the rest).
        accepted: whether revocation lets the connection proceed.
        status: `CertificateStatus.TRUSTED` when accepted, `REVOKED` for a real revoked answer,
            `INVALID` when a strict policy needed an answer it could not get.
        summary: one line for humans.
        certificates: one entry per checked certificate, leaf first.
        rules: the full rules in force.
        checked_at: the validation time used.
    """

    policy: RevocationPolicy
    accepted: bool
    status: CertificateStatus
    summary: str
    certificates: tuple[CertificateRevocation, ...]
    rules: RevocationRules = field(default_factory=RevocationRules)
    checked_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        rules: Mapping[str, Any] = {
            "leaf": self.rules.leaf.value,
            "ca": self.rules.ca.value,
            "order": [m.value for m in self.rules.order],
            "skew_seconds": self.rules.skew.total_seconds(),
            "max_age_seconds": self.rules.max_age.total_seconds(),
            "use_deltas": self.rules.use_deltas,
            "ocsp_nonce": self.rules.ocsp_nonce,
            "enforce_must_staple": self.rules.enforce_must_staple,
        }
        return {
            "policy": self.policy.value,
            "accepted": self.accepted,
            "status": self.status.value,
            "summary": self.summary,
            "checked_at": _iso(self.checked_at),
            "rules": dict(rules),
            "certificates": [c.to_dict() for c in self.certificates],
        }
