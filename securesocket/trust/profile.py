"""The "webpki" profile's extra rules (CA/Browser Forum Baseline Requirements, as a TLS client
applies them): allowed signature algorithms, minimum key sizes, v3 certificates, sane serials.

The "rfc5280" profile skips all of these (private PKIs and conformance suites such as PKITS,
which still use SHA-1 and 1024-bit keys).
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import SignatureAlgorithmOID

from ._der import serial_number


__all__ = [
    "MIN_RSA_BITS",
    "key_error",
    "serial_error",
    "serial_octets",
    "signature_algorithm_error",
]

MIN_RSA_BITS = 2048

_ALLOWED_SIGNATURES = frozenset(
    {
        SignatureAlgorithmOID.RSA_WITH_SHA256,
        SignatureAlgorithmOID.RSA_WITH_SHA384,
        SignatureAlgorithmOID.RSA_WITH_SHA512,
        SignatureAlgorithmOID.RSASSA_PSS,
        SignatureAlgorithmOID.ECDSA_WITH_SHA256,
        SignatureAlgorithmOID.ECDSA_WITH_SHA384,
        SignatureAlgorithmOID.ECDSA_WITH_SHA512,
        SignatureAlgorithmOID.ED25519,
    }
)
_ALLOWED_PSS_HASHES = frozenset({"sha256", "sha384", "sha512"})
_ALLOWED_CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)


def signature_algorithm_error(cert: x509.Certificate) -> str | None:
    """Why the algorithm that signed `cert` is not allowed, or None."""
    oid = cert.signature_algorithm_oid
    name = getattr(oid, "_name", oid.dotted_string)
    if oid not in _ALLOWED_SIGNATURES:
        return f"signed with {name}, which the webpki profile does not allow"
    if oid == SignatureAlgorithmOID.RSASSA_PSS:
        try:
            hash_algorithm = cert.signature_hash_algorithm
        except UnsupportedAlgorithm:
            hash_algorithm = None
        if hash_algorithm is None or hash_algorithm.name not in _ALLOWED_PSS_HASHES:
            return "signed with RSA-PSS over a hash the webpki profile does not allow"
    return None


def key_error(cert: x509.Certificate) -> str | None:
    """Why the certificate's public key is too weak or of a disallowed type, or None."""
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        return f"the public key cannot be loaded ({exc})"
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            return f"RSA key of {key.key_size} bits (at least {MIN_RSA_BITS} required)"
        return None
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, _ALLOWED_CURVES):
            return f"EC key on curve {key.curve.name} (P-256, P-384 or P-521 required)"
        return None
    if isinstance(key, ed25519.Ed25519PublicKey):
        return None
    return f"{type(key).__name__} keys are not allowed by the webpki profile"


def serial_error(cert: x509.Certificate) -> str | None:
    """Why the serial number breaks RFC 5280 §4.1.2.2 (positive, at most 20 octets), or None."""
    serial = serial_number(cert)
    if serial <= 0:
        return f"serial number {serial} is not positive"
    if serial_octets(serial) > 20:
        return "serial number longer than 20 octets"
    return None


def serial_octets(serial: int) -> int:
    """How many content octets a positive serial takes as a DER INTEGER (sign bit included)."""
    return serial.bit_length() // 8 + 1
