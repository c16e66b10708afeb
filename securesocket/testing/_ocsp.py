"""Building OCSP responses for a fixture CA, by certificate or from a parsed request."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509 import ocsp


if TYPE_CHECKING:
    from .ca import CA, LeafCert, _Inherit

__all__ = ["build_response", "error_response", "find_issuer", "issuer_hashes"]

UTC = _dt.UTC
DEFAULT_VALIDITY = _dt.timedelta(days=7)


def _public_key_bits(
    key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey,
) -> bytes:
    """The contents of the subjectPublicKey BIT STRING (what RFC 6960's issuerKeyHash hashes)."""
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def issuer_hashes(ca: CA, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    """(issuerNameHash, issuerKeyHash) of ``ca`` under ``algorithm``."""
    name = hashes.Hash(algorithm)
    name.update(ca.subject.public_bytes())
    key = hashes.Hash(algorithm)
    key.update(_public_key_bits(ca.private_key.public_key()))
    return name.finalize(), key.finalize()


def find_issuer(cas: Iterable[CA], request: ocsp.OCSPRequest) -> CA | None:
    """The CA a request's CertID names, or None."""
    wanted = (request.issuer_name_hash, request.issuer_key_hash)
    for ca in cas:
        if issuer_hashes(ca, request.hash_algorithm) == wanted:
            return ca
    return None


def error_response(status: ocsp.OCSPResponseStatus) -> ocsp.OCSPResponse:
    """An unsigned error response (tryLater, internalError, unauthorized, ...)."""
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status)


def build_response(
    ca: CA,
    *,
    serial: int,
    at: _dt.datetime | None,
    next_update: _dt.datetime | _Inherit | None,
    status: str | None,
    responder: LeafCert | None,
    nonce: bytes | None,
    hash_algorithm: hashes.HashAlgorithm,
) -> ocsp.OCSPResponse:
    """A signed, successful response about ``serial`` from ``ca`` (or its delegated responder)."""
    from .ca import INHERIT  # noqa: PLC0415 - ca imports this module lazily; avoid the cycle

    this_update = (at or _dt.datetime.now(UTC)).replace(microsecond=0)
    until = this_update + DEFAULT_VALIDITY if next_update is INHERIT else next_update
    revocation = ca.ledger.revocation(serial, by=this_update)
    if status is None:
        if revocation is not None:
            status = "revoked"
        elif ca.ledger.issued(serial):
            status = "good"
        else:
            status = "unknown"
    cert_status = {
        "good": ocsp.OCSPCertStatus.GOOD,
        "revoked": ocsp.OCSPCertStatus.REVOKED,
        "unknown": ocsp.OCSPCertStatus.UNKNOWN,
    }[status]
    revocation_time = revocation_reason = None
    if cert_status is ocsp.OCSPCertStatus.REVOKED:
        revocation_time = revocation.at if revocation else this_update
        revocation_reason = revocation.reason if revocation else None
    name_hash, key_hash = issuer_hashes(ca, hash_algorithm)
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        name_hash,
        key_hash,
        serial,
        hash_algorithm,
        cert_status,
        this_update,
        until,
        revocation_time,
        revocation_reason,
    )
    if responder is None:
        signer_key = ca.private_key
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, ca.certificate)
    else:
        signer_key = responder.private_key
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder.certificate)
        builder = builder.certificates([responder.certificate])
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    algorithm = (
        None
        if isinstance(signer_key, ed25519.Ed25519PrivateKey)
        else ca.hash_algorithm or hashes.SHA256()
    )
    return builder.sign(signer_key, algorithm)
