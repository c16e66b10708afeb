"""`verify_chain`: the offline, one-call form of verification (what the audit command uses).

Accepts certificates as DER or PEM bytes or cryptography objects, builds a `ChainVerifier` for
the call, and (when a revocation policy other than "off" is asked for) hands the validated path
to the revocation layer's pure `evaluate_offline` (only the CRLs and OCSP responses given are
consulted; nothing is fetched), and merges its report into the `Verification`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509 import ocsp

from ..exceptions import ArgumentError
from ..revocation import evaluate_offline
from ..x509 import X509Certificate
from .policy_tree import PolicyInputs
from .result import Problem, Verification
from .verifier import ChainVerifier


__all__ = ["CertificateInput", "load_certificate", "verify_chain"]

CertificateInput = bytes | bytearray | memoryview | x509.Certificate | X509Certificate
_REVOCATION_POLICIES = ("off", "soft-fail", "hard-fail", "require")


def load_certificate(data: object, what: str = "certificate") -> x509.Certificate:
    """A cryptography certificate from DER/PEM bytes or a certificate; `ArgumentError` if not."""
    if isinstance(data, x509.Certificate):
        return data
    if isinstance(data, X509Certificate):
        return data.certificate
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ArgumentError(f"{what} must be DER/PEM bytes or a certificate, not {data!r}")
    raw = bytes(data)
    try:
        with warnings.catch_warnings():
            # A non-positive serial only warns; the webpki profile reports it as a problem.
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            if raw.lstrip().startswith(b"-----BEGIN"):
                return x509.load_pem_x509_certificate(raw)
            return x509.load_der_x509_certificate(raw)
    except (ValueError, x509.InvalidVersion) as exc:
        raise ArgumentError(f"{what} is not a valid X.509 certificate ({exc})") from exc


def _load_all(items: Iterable[object], what: str, *, skip_junk: bool) -> list[x509.Certificate]:
    if isinstance(items, bytes | bytearray | memoryview | x509.Certificate | X509Certificate):
        raise ArgumentError(f"{what} must be a sequence of certificates, not one certificate")
    if isinstance(items, str) or not isinstance(items, Iterable):
        raise ArgumentError(f"{what} must be a sequence of certificates, not {items!r:.40}")
    certs = []
    for item in items:
        try:
            certs.append(load_certificate(item, what))
        except ArgumentError:
            # A server or a caller may send junk beside the chain; it cannot be on a path.
            if not skip_junk:
                raise
    return certs


def verify_chain(
    leaf: CertificateInput,
    intermediates: Iterable[CertificateInput] = (),
    *,
    anchors: Iterable[CertificateInput] = (),
    extra: Iterable[CertificateInput] = (),
    host: str | None = None,
    at: datetime | None = None,
    trust: str = "platform",
    profile: str = "webpki",
    revocation: str = "soft-fail",
    crls: Iterable[x509.CertificateRevocationList | bytes] = (),
    ocsp_responses: Iterable[ocsp.OCSPResponse | bytes] = (),
    policy: PolicyInputs | Mapping[str, Any] | None = None,
    staple: bytes | None = None,
) -> Verification:
    """Verify a server certificate offline: build a path, check it, classify the outcome.

    Args:
        leaf: the server's certificate.
        intermediates: what the server sent besides the leaf (an unordered pool; junk ignored).
        anchors: extra trust anchors. extra: extra untrusted chain-building certificates.
        host: the DNS name or IP address to check the certificate against (None: no check).
        at: the validation time, timezone-aware (default: now).
        trust: platform roots: "platform", "certifi" or "none".
        profile: "webpki" (default) or "rfc5280".
        revocation: "off", "soft-fail", "hard-fail" or "require" (offline: only the given
            `crls` and `ocsp_responses` are consulted).
        policy: RFC 5280 §6.1.1 initial policy inputs (mapping with the PKITS key names, or
            `PolicyInputs`).
        staple: the OCSP response the server stapled (DER), if any.

    Raises:
        ArgumentError: a bad argument (unparseable leaf or anchor, naive `at`, unknown value).
    """
    if revocation not in _REVOCATION_POLICIES:
        raise ArgumentError(f"revocation must be one of {_REVOCATION_POLICIES}, not {revocation!r}")
    extra_certs = _load_all(extra, "extra", skip_junk=True)
    presented = _load_all(intermediates, "intermediates", skip_junk=True)
    verifier = ChainVerifier(
        trust=trust,
        anchors=_load_all(anchors, "anchors", skip_junk=False),
        extra=extra_certs,
        profile=profile,
        policy=policy,
    )
    when = at if at is not None else datetime.now(UTC)  # one instant for path and revocation
    verification = verifier.verify(load_certificate(leaf, "leaf"), presented, host=host, at=when)
    if revocation == "off" or not verification.trusted:
        # Revocation runs only on an otherwise valid path (docs/CONTRACTS.md): chain problems
        # give the same status under every policy.
        return verification
    on_path = set(verification.path)
    report = evaluate_offline(
        verification.path,
        policy=revocation,
        at=when,
        crls=tuple(crls or ()),
        ocsp_responses=tuple(ocsp_responses or ()),
        staple=staple,
        issuer_validator=verifier.issuer_validator(when, presented),
        # Certificates off the path may have signed a CRL (a separate CRL-signing key).
        signer_certs=tuple(c for c in (*presented, *extra_certs) if c not in on_path),
    )
    if report.accepted:
        return replace(verification, revocation=report)
    # The report's own status (revoked, or invalid when a strict policy got no answer), with
    # its summary as the problem, so `summary()` and the ioError text say why.
    refused = Problem("revocation", report.summary, report.status, 0)
    return replace(verification, status=report.status, problems=(refused,), revocation=report)
