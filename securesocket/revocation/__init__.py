"""Revocation: OCSP (stapled, fetched, supplied) and CRLs, under an explicit policy, with a report.

Gathering evidence may use the network (`check_revocation`, through `Fetchers`); deciding is pure
(`evaluate_offline`, `decide`). See docs/CONTRACTS.md for the status each outcome gives.
"""

from __future__ import annotations

from .check import check_revocation, evaluate_offline
from .destinations import ANY_DESTINATION, PUBLIC_ONLY, DestinationPolicy, public_only_plus
from .fetch import (
    CrlCache,
    CRLFetcher,
    Fetchers,
    HttpFetcher,
    OCSPFetcher,
    default_fetchers,
    set_default_fetchers,
)
from .policy import Method, RevocationPolicy, RevocationRules
from .report import (
    Attempt,
    CertificateDecision,
    CertificateRevocation,
    Outcome,
    RevocationReport,
)


__all__ = [
    "ANY_DESTINATION",
    "PUBLIC_ONLY",
    "Attempt",
    "CRLFetcher",
    "CertificateDecision",
    "CertificateRevocation",
    "CrlCache",
    "DestinationPolicy",
    "Fetchers",
    "HttpFetcher",
    "Method",
    "OCSPFetcher",
    "Outcome",
    "RevocationPolicy",
    "RevocationReport",
    "RevocationRules",
    "check_revocation",
    "default_fetchers",
    "evaluate_offline",
    "public_only_plus",
    "set_default_fetchers",
]
