"""Classification: from the problems found on a path to exactly one `CertificateStatus`.

Every problem carries the status it would give alone (see `PROBLEM_STATUS`). When a path has
several, the status of the path is the one that comes first in this precedence:

1. ``revoked``            a certificate on an otherwise valid path is revoked (from revocation).
2. ``untrustedSigners``   no path from the certificate reaches a trust anchor.
3. ``invalidChain``       a path reaches an anchor, but a CA on it (or the path as a whole:
                          path length, name constraints, policies) breaks the rules.
4. ``invalid``            the server certificate itself is malformed, tampered with (bad
                          signature), or breaks the profile (key size, algorithm, usage).
5. ``expired``            the server certificate is past its notAfter.
6. ``notYetValid``        the server certificate is before its notBefore.
7. ``principalMismatch``  the server certificate is not valid for the host or IP connected to.

Why this order: a problem higher up makes the ones below meaningless (a certificate that does
not chain to anything you trust being "expired" is beside the point), and the order follows how
far the certificate got: trust first, then the chain, then the certificate, then its dates, then
its names. An expired or not-yet-valid *CA* is a chain problem (``invalidChain``): AS3 reserves
``expired`` for the server certificate.

A path that fails revocation (checked only on an otherwise valid path) carries one problem with
the code ``"revocation"`` and the status the revocation report gives (``revoked``, or
``invalid`` when a strict policy could not get an answer).

Among several candidate paths the best one is the path with the lowest-precedence status (the
one that got furthest), and among equals the one with the fewest problems.
"""

from __future__ import annotations

from collections.abc import Iterable

from .._status import CertificateStatus
from .result import Problem


__all__ = ["PRECEDENCE", "PROBLEM_STATUS", "classify", "problem", "rank", "status_for"]

S = CertificateStatus

#: Most decisive first. TRUSTED sorts last: it is what is left when nothing is wrong.
PRECEDENCE: tuple[CertificateStatus, ...] = (
    S.REVOKED,
    S.UNTRUSTED_SIGNERS,
    S.INVALID_CHAIN,
    S.INVALID,
    S.EXPIRED,
    S.NOT_YET_VALID,
    S.PRINCIPAL_MISMATCH,
    S.UNKNOWN,
    S.TRUSTED,
)
_RANK = {status: index for index, status in enumerate(PRECEDENCE)}

#: Problem code → the status it gives for the server certificate (depth 0) and for a CA.
PROBLEM_STATUS: dict[str, tuple[CertificateStatus, CertificateStatus]] = {
    "no_anchor": (S.UNTRUSTED_SIGNERS, S.UNTRUSTED_SIGNERS),
    "path_too_long": (S.UNTRUSTED_SIGNERS, S.UNTRUSTED_SIGNERS),
    "malformed": (S.INVALID, S.INVALID_CHAIN),
    "bad_signature": (S.INVALID, S.INVALID_CHAIN),
    "name_chaining": (S.INVALID, S.INVALID_CHAIN),
    "expired": (S.EXPIRED, S.INVALID_CHAIN),
    "not_yet_valid": (S.NOT_YET_VALID, S.INVALID_CHAIN),
    "not_a_ca": (S.INVALID_CHAIN, S.INVALID_CHAIN),
    "path_length": (S.INVALID_CHAIN, S.INVALID_CHAIN),
    "key_usage": (S.INVALID, S.INVALID_CHAIN),
    "extended_key_usage": (S.INVALID, S.INVALID_CHAIN),
    "leaf_is_ca": (S.INVALID, S.INVALID),
    "name_constraints": (S.INVALID_CHAIN, S.INVALID_CHAIN),
    "policy": (S.INVALID_CHAIN, S.INVALID_CHAIN),
    "unknown_critical_extension": (S.INVALID, S.INVALID_CHAIN),
    "weak_signature_algorithm": (S.INVALID, S.INVALID_CHAIN),
    "weak_key": (S.INVALID, S.INVALID_CHAIN),
    "bad_version": (S.INVALID, S.INVALID_CHAIN),
    "bad_serial": (S.INVALID, S.INVALID_CHAIN),
    "host_mismatch": (S.PRINCIPAL_MISMATCH, S.PRINCIPAL_MISMATCH),
}


def status_for(code: str, depth: int | None) -> CertificateStatus:
    """The status one problem gives, by its code and where it sits (0 = server certificate)."""
    leaf_status, ca_status = PROBLEM_STATUS[code]
    return leaf_status if depth in (0, None) else ca_status


def rank(status: CertificateStatus) -> int:
    """Position in `PRECEDENCE` (smaller is more decisive)."""
    return _RANK[status]


def classify(statuses: Iterable[CertificateStatus]) -> CertificateStatus:
    """The one status for a path with these problem statuses (TRUSTED when there are none)."""
    return min(statuses, key=rank, default=S.TRUSTED)


def problem(code: str, message: str, depth: int | None) -> Problem:
    """A `Problem` with the status its code gives at that depth."""
    return Problem(code, message, status_for(code, depth), depth)
