"""Building OCSP responses for a fixture CA, by certificate or from a parsed request."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509 import ocsp


if TYPE_CHECKING:
    from ._keys import PrivateKey
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
    produced_at: _dt.datetime | None = None,
) -> ocsp.OCSPResponse:
    """A signed, successful response about ``serial`` from ``ca`` (or its delegated responder).

    ``produced_at`` pins producedAt (cryptography always writes the current time there), for
    reproducible fixtures; it needs an RSA or Ed25519 signer (fixed-length signatures).
    """
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
    statuses = {
        "good": ocsp.OCSPCertStatus.GOOD,
        "revoked": ocsp.OCSPCertStatus.REVOKED,
        "unknown": ocsp.OCSPCertStatus.UNKNOWN,
    }
    if status not in statuses:
        raise ValueError(f"OCSP status must be good, revoked or unknown, not {status!r}")
    cert_status = statuses[status]
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
    response = builder.sign(signer_key, algorithm)
    if produced_at is None:
        return response
    return _pin_produced_at(response, signer_key, produced_at)


def _tlv_end(data: bytes, start: int) -> tuple[int, int]:
    """(offset of the contents, offset just past the end) of the DER TLV at ``start``."""
    length = data[start + 1]
    contents = start + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[contents : contents + count])
        contents += count
    return contents, contents + length


def _pin_produced_at(
    response: ocsp.OCSPResponse, key: PrivateKey, produced_at: _dt.datetime
) -> ocsp.OCSPResponse:
    """Rewrite producedAt and re-sign (same lengths throughout, so no length field changes).

    ResponseData is SEQUENCE { [0] version (never written by cryptography), responderID,
    producedAt GeneralizedTime, ... }: skip the responderID TLV to find producedAt.
    """
    if isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("pinning producedAt needs an RSA or Ed25519 signer")
    tbs = response.tbs_response_bytes
    first, _end = _tlv_end(tbs, 0)
    _contents, after_responder_id = _tlv_end(tbs, first)
    stamp = produced_at.astimezone(UTC).strftime("%Y%m%d%H%M%SZ").encode()
    if tbs[after_responder_id : after_responder_id + 2] != b"\x18\x0f":
        raise ValueError("unexpected OCSP ResponseData layout")
    start = after_responder_id + 2
    new_tbs = tbs[:start] + stamp + tbs[start + len(stamp) :]
    if isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(new_tbs)
    else:
        algorithm = response.signature_hash_algorithm
        assert algorithm is not None  # noqa: S101 - RSA signatures always name their hash
        signature = key.sign(new_tbs, padding.PKCS1v15(), algorithm)
    der = response.public_bytes(serialization.Encoding.DER)
    der = der.replace(tbs, new_tbs, 1).replace(response.signature, signature, 1)
    return ocsp.load_der_ocsp_response(der)
