"""OCSP (RFC 6960): build requests, and judge a response (stapled, fetched or supplied).

`judge_response` is pure and never raises: every way a response can be unusable becomes an
`Attempt` with outcome ERROR (or STALE) and the reason. The checks, in order: it parses; the
responder said `successful`; a SingleResponse carries the CertID of this certificate and this
issuer; the signer is the issuer itself or a responder certificate issued directly by it with
id-kp-OCSPSigning (id-pkix-ocsp-nocheck honoured, otherwise its own status is checked); the
signature verifies; the nonce, when one was sent, matches; the answer is fresh.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Callable
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    SignatureAlgorithmOID,
)

from ._freshness import staleness
from ._signature import directly_issued, signature_problem
from .crl import serial_of
from .policy import Method, RevocationRules
from .report import Attempt, Outcome


__all__ = [
    "MAX_GET_URL_BYTES",
    "build_request",
    "get_url",
    "judge_response",
    "must_staple",
    "ocsp_urls",
]

MAX_GET_URL_BYTES = 255
"""RFC 5019 §5: use GET when the encoded request keeps the URL under 255 bytes."""

ResponderCheck = Callable[[x509.Certificate], str | None]


def build_request(
    cert: x509.Certificate, issuer: x509.Certificate, *, nonce: bytes | None = None
) -> bytes:
    """The DER OCSP request for `cert` (SHA-1 CertID, as every responder understands)."""
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1())  # noqa: S303
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def get_url(base_url: str, request_der: bytes) -> str | None:
    """The RFC 6960 Appendix A GET URL for the request, or None when it would be too long."""
    encoded = urllib.parse.quote(base64.b64encode(request_der).decode("ascii"), safe="")
    url = f"{base_url.rstrip('/')}/{encoded}"
    return url if len(url) <= MAX_GET_URL_BYTES else None


def ocsp_urls(cert: x509.Certificate) -> list[str]:
    """The OCSP responder URLs in the certificate's AIA extension."""
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return []
    return [
        d.access_location.value
        for d in aia
        if d.access_method == AuthorityInformationAccessOID.OCSP
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
    ]


def must_staple(cert: x509.Certificate) -> bool:
    """Whether the certificate carries the RFC 7633 TLS feature status_request (Must-Staple)."""
    try:
        features = cert.extensions.get_extension_for_class(x509.TLSFeature).value
    except x509.ExtensionNotFound:
        return False
    return x509.TLSFeatureType.status_request in features


def _key_hash(cert: x509.Certificate) -> bytes:
    return x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest


def find_single(
    response: ocsp.OCSPResponse, cert: x509.Certificate, issuer: x509.Certificate
) -> ocsp.OCSPSingleResponse | None:
    """The SingleResponse whose CertID names this certificate and this issuer."""
    for single in response.responses:
        try:
            expected = (
                ocsp.OCSPRequestBuilder()
                .add_certificate(cert, issuer, single.hash_algorithm)
                .build()
            )
        except (ValueError, TypeError):
            continue  # a hash algorithm CertID may not use
        if (
            single.serial_number == serial_of(cert)
            and single.issuer_name_hash == expected.issuer_name_hash
            and single.issuer_key_hash == expected.issuer_key_hash
        ):
            return single
    return None


def _names_signer(response: ocsp.OCSPResponse, candidate: x509.Certificate) -> bool:
    if response.responder_name is not None:
        return candidate.subject == response.responder_name
    return response.responder_key_hash == _key_hash(candidate)


def _signature_ok(response: ocsp.OCSPResponse, signer: x509.Certificate) -> str | None:
    oid = response.signature_algorithm_oid
    # cryptography cannot name the hash of an RSA-PSS signature here; _signature tries them.
    pss = oid == SignatureAlgorithmOID.RSASSA_PSS
    return signature_problem(
        signer.public_key(),
        response.signature,
        response.tbs_response_bytes,
        None if pss else response.signature_hash_algorithm,
        oid,
    )


def _delegate_problem(
    delegate: x509.Certificate,
    issuer: x509.Certificate,
    at: datetime,
    responder_check: ResponderCheck | None,
) -> str | None:
    who = delegate.subject.rfc4514_string()
    if not directly_issued(delegate, issuer):
        return f"the responder {who} is not issued by the certificate's issuer"
    try:
        eku = delegate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return f"the responder {who} lacks id-kp-OCSPSigning"
    if ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
        return f"the responder {who} lacks id-kp-OCSPSigning"
    if not delegate.not_valid_before_utc <= at <= delegate.not_valid_after_utc:
        return f"the responder certificate {who} is not valid at {at.isoformat()}"
    try:
        delegate.extensions.get_extension_for_class(x509.OCSPNoCheck)
    except x509.ExtensionNotFound:
        if responder_check is None:
            return f"the responder {who} has no id-pkix-ocsp-nocheck and its status is unknown"
        return responder_check(delegate)
    return None


def _signer_problem(
    response: ocsp.OCSPResponse,
    issuer: x509.Certificate,
    at: datetime,
    responder_check: ResponderCheck | None,
) -> str | None:
    """Why the response's signer is not authorised for this issuer, or None."""
    if _names_signer(response, issuer):
        problem = _signature_ok(response, issuer)
        return None if problem is None else f"signed by the issuer, but {problem}"
    delegates = [c for c in response.certificates if _names_signer(response, c)]
    if not delegates:
        return "unauthorised signer: neither the issuer nor a responder certificate it included"
    why = []
    for delegate in delegates:
        problem = _delegate_problem(delegate, issuer, at, responder_check) or _signature_ok(
            response, delegate
        )
        if problem is None:
            return None
        why.append(problem)
    return "unauthorised signer: " + "; ".join(why)


def judge_response(
    data: bytes | ocsp.OCSPResponse,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    *,
    at: datetime,
    rules: RevocationRules,
    method: Method = Method.OCSP,
    origin: str = "supplied",
    url: str | None = None,
    latency_ms: float | None = None,
    nonce: bytes | None = None,
    responder_check: ResponderCheck | None = None,
) -> Attempt:
    """Judge one OCSP response about `cert` (issued by `issuer`) at time `at`."""

    def attempt(outcome: Outcome, detail: str, **extra: object) -> Attempt:
        return Attempt(method, origin, outcome, detail, url, latency_ms, **extra)  # type: ignore[arg-type]

    if isinstance(data, ocsp.OCSPResponse):
        response = data
    else:
        try:
            response = ocsp.load_der_ocsp_response(data)
        except (ValueError, UnsupportedAlgorithm) as exc:
            return attempt(Outcome.ERROR, f"not a DER OCSP response ({exc})")
    try:
        if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
            return attempt(Outcome.ERROR, f"the responder answered {response.response_status.name}")
        single = find_single(response, cert, issuer)
        if single is None:
            return attempt(Outcome.ERROR, "the response is about another certificate (CertID)")
        problem = _signer_problem(response, issuer, at, responder_check)
        if problem is not None:
            return attempt(Outcome.ERROR, problem)
        if nonce is not None:
            try:
                echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
            except x509.ExtensionNotFound:
                echoed = None  # RFC 8954: responders may omit it
            if echoed is not None and echoed != nonce:
                return attempt(Outcome.ERROR, "nonce mismatch: the answer may be a replay")
        stale = staleness(single.this_update_utc, single.next_update_utc, at, rules)
        status = single.certificate_status
        if status is ocsp.OCSPCertStatus.REVOKED:
            reason = single.revocation_reason
            note = f" (stale: {stale})" if stale else ""
            return attempt(
                Outcome.REVOKED,
                f"the responder says revoked{note}",
                revocation_reason=reason.value if reason is not None else "unspecified",
                revocation_time=single.revocation_time_utc,
            )
    except (ValueError, UnsupportedAlgorithm) as exc:  # malformed fields surface lazily
        return attempt(Outcome.ERROR, f"malformed OCSP response ({exc})")
    if stale:
        return attempt(Outcome.STALE, stale)
    if status is ocsp.OCSPCertStatus.UNKNOWN:
        return attempt(Outcome.UNKNOWN, "the responder does not know this certificate")
    return attempt(Outcome.GOOD, f"good, thisUpdate {single.this_update_utc.isoformat()}")
