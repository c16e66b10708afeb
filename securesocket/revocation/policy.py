"""Revocation policies: how hard to insist on an answer, for the leaf and for the CAs.

`RevocationPolicy` is the one knob most callers touch (``revocation="soft-fail"``).
`RevocationRules` is the full form: a policy for the leaf, another for the CAs, the order in which
methods are tried, and the freshness tolerances. Every entry point accepts either and normalises
with `RevocationRules.of`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import timedelta

from ..exceptions import ArgumentError


__all__ = ["Method", "RevocationPolicy", "RevocationRules"]


class RevocationPolicy(enum.StrEnum):
    """How a certificate's revocation status must be established before it is accepted."""

    OFF = "off"
    """Check nothing. A revoked certificate passes: this is AIR with OCSP turned off."""
    SOFT_FAIL = "soft-fail"
    """The default, as AIR: check what is available; accept when nothing is declared or nothing
    answers. Only a real "revoked" answer (or Must-Staple without a staple) rejects."""
    HARD_FAIL = "hard-fail"
    """When a certificate declares a source (or the caller supplied data for it), a usable answer
    is required: a source that is down, stale or unauthorised rejects the certificate."""
    REQUIRE = "require"
    """Every certificate below the anchor needs a fresh, authenticated "good" answer."""

    @property
    def checks(self) -> bool:
        """Whether anything is looked at under this policy."""
        return self is not RevocationPolicy.OFF

    @property
    def strict(self) -> bool:
        """Whether a check that cannot complete rejects the certificate."""
        return self in (RevocationPolicy.HARD_FAIL, RevocationPolicy.REQUIRE)

    def __str__(self) -> str:
        return self.value


class Method(enum.StrEnum):
    """A way to learn a certificate's status; `RevocationRules.order` sorts them."""

    STAPLE = "ocsp-staple"
    """The OCSP response the server stapled in the handshake (leaf only)."""
    OCSP = "ocsp"
    """An OCSP response fetched from the certificate's AIA URL, or supplied by the caller."""
    CRL = "crl"
    """A CRL from the certificate's distribution points, or supplied by the caller."""

    def __str__(self) -> str:
        return self.value


DEFAULT_ORDER = (Method.STAPLE, Method.OCSP, Method.CRL)


@dataclass(frozen=True)
class RevocationRules:
    """The full revocation configuration.

    Attributes:
        leaf: the policy for the end-entity certificate.
        ca: the policy for each intermediate CA (the anchor is never checked).
        order: methods tried in this order; the first decisive answer (good or revoked) wins.
            Leaving a method out disables it.
        skew: clock tolerance applied to thisUpdate / nextUpdate.
        max_age: how old an answer without nextUpdate may be before it counts as stale.
        use_deltas: combine delta CRLs with their base CRL (RFC 5280 §5.2.4).
        ocsp_nonce: send a nonce with fetched OCSP requests (a mismatch makes the answer
            indeterminate, never fatal on its own).
        enforce_must_staple: a leaf with the RFC 7633 status_request feature needs a valid staple.
    """

    leaf: RevocationPolicy = RevocationPolicy.SOFT_FAIL
    ca: RevocationPolicy = RevocationPolicy.SOFT_FAIL
    order: tuple[Method, ...] = DEFAULT_ORDER
    skew: timedelta = timedelta(minutes=5)
    max_age: timedelta = timedelta(days=7)
    use_deltas: bool = True
    ocsp_nonce: bool = False
    enforce_must_staple: bool = True

    @classmethod
    def of(cls, policy: RevocationPolicy | RevocationRules | str | None) -> RevocationRules:
        """Normalise a policy name, enum member or rules object into rules (None → soft-fail)."""
        if isinstance(policy, RevocationRules):
            return policy
        if policy is None:
            return cls()
        try:
            member = RevocationPolicy(policy)
        except ValueError:
            choices = ", ".join(p.value for p in RevocationPolicy)
            raise ArgumentError(
                f"unknown revocation policy {policy!r} (expected one of {choices})", 2008
            ) from None
        return cls(leaf=member, ca=member)

    def for_depth(self, depth: int) -> RevocationPolicy:
        """The policy for the certificate at `depth` (0 is the leaf)."""
        return self.leaf if depth == 0 else self.ca

    @property
    def headline(self) -> RevocationPolicy:
        """The policy named in summaries: the leaf's."""
        return self.leaf

    def with_order(self, *order: Method | str) -> RevocationRules:
        """A copy that tries the given methods, in this order."""
        return replace(self, order=tuple(Method(m) for m in order))
