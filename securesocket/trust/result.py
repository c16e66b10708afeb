"""What verification returns: `Problem`, `RejectedPath`, `Verification` (frozen, JSON-friendly)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from .._status import CertificateStatus
from ..x509 import X509Certificate
from ._der import serial_number
from .distinguished_names import issuer_text, subject_text


if TYPE_CHECKING:
    from ..revocation import RevocationReport


__all__ = ["Problem", "RejectedPath", "Verification", "describe_certificate"]


@dataclass(frozen=True)
class Problem:
    """One rule a certificate path breaks.

    Attributes:
        code: a stable machine-readable name (``"expired"``, ``"bad_signature"``, ...).
        message: what is wrong, in words, naming the certificate.
        status: the `CertificateStatus` this problem alone would give.
        depth: position in the path (0 = the server's certificate), or None for the path as a
            whole (for example "no trust anchor reached").
    """

    code: str
    message: str
    status: CertificateStatus
    depth: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        return {
            "code": self.code,
            "message": self.message,
            "status": self.status.value,
            "depth": self.depth,
        }


def describe_certificate(cert: x509.Certificate) -> dict[str, Any]:
    """The few facts about a certificate a report needs (subject, issuer, serial, SHA-256)."""
    return {
        "subject": subject_text(cert),
        "issuer": issuer_text(cert),
        "serial": format(serial_number(cert), "x"),
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
    }


@dataclass(frozen=True)
class RejectedPath:
    """A candidate path that was built but not chosen, and why.

    Attributes:
        path: the certificates, server certificate first; the last one is the trust anchor when
            `complete` is true.
        complete: whether the path reached a trust anchor.
        status: what this path alone would have given.
        problems: every problem found on it.
    """

    path: tuple[x509.Certificate, ...]
    complete: bool
    status: CertificateStatus
    problems: tuple[Problem, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        return {
            "path": [describe_certificate(c) for c in self.path],
            "complete": self.complete,
            "status": self.status.value,
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class Verification:
    """The outcome of verifying one server certificate.

    Attributes:
        status: exactly one `CertificateStatus` (see `securesocket.trust.classify` for the
            precedence when several problems exist).
        trusted: ``status is CertificateStatus.TRUSTED``.
        path: the best path found, server certificate first, trust anchor last (as
            cryptography certificates); for an untrusted result, as far as it could be built.
        problems: every problem found on the best path (empty when trusted).
        rejected_paths: each other candidate path and why it lost.
        revocation: the revocation report, or None when revocation was not checked.
        user_constrained_policy_set: RFC 5280 §6.1.6's output policy OIDs (dotted strings) for a
            trusted path; empty otherwise.
    """

    status: CertificateStatus
    path: tuple[x509.Certificate, ...]
    problems: tuple[Problem, ...] = ()
    rejected_paths: tuple[RejectedPath, ...] = ()
    revocation: RevocationReport | None = None
    user_constrained_policy_set: frozenset[str] = field(default_factory=frozenset)

    @property
    def trusted(self) -> bool:
        """Whether the certificate is trusted (the only status that lets a socket connect)."""
        return self.status is CertificateStatus.TRUSTED

    @property
    def chain(self) -> tuple[X509Certificate, ...]:
        """The path as AS3-shaped `X509Certificate` objects (server certificate first)."""
        return tuple(X509Certificate(c) for c in self.path)

    @property
    def first_problem(self) -> Problem | None:
        """The problem that decided the status (the first one of that status), if any."""
        for problem in self.problems:
            if problem.status is self.status:
                return problem
        return self.problems[0] if self.problems else None

    def summary(self) -> str:
        """One line for an ``ioError`` text: the status and the deciding problem."""
        problem = self.first_problem
        return self.status.value if problem is None else f"{self.status.value}: {problem.message}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view (what ``securesocket audit --json`` writes)."""
        revocation: Mapping[str, Any] | None = None
        if self.revocation is not None:
            revocation = self.revocation.to_dict()
        return {
            "status": self.status.value,
            "trusted": self.trusted,
            "path": [describe_certificate(c) for c in self.path],
            "problems": [p.to_dict() for p in self.problems],
            "rejected_paths": [r.to_dict() for r in self.rejected_paths],
            "revocation": revocation,
            "user_constrained_policy_set": sorted(self.user_constrained_policy_set),
        }
