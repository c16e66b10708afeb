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

from ._der import serial_number, signature_algorithm_der


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
# BR §7.1.3.2.1: RSASSA-PSS only with these exact AlgorithmIdentifier encodings (SHA-256,
# -384 or -512, MGF1 over the same hash, salt as long as the hash). Anything else (MGF1 over
# another hash, no salt, absent parameters) is refused, as cryptography's verifier does.
_ALLOWED_PSS_ENCODINGS = frozenset(
    bytes.fromhex(
        "304106092a864886f70d01010a3034a00f300d06096086480165030402"
        + f"0{n}0500a11c301a06092a864886f70d010108300d06096086480165030402"
        + f"0{n}0500a2030201{salt}"
    )
    for n, salt in (("1", "20"), ("2", "30"), ("3", "40"))
)
_ALLOWED_CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)


def signature_algorithm_error(cert: x509.Certificate) -> str | None:
    """Why the algorithm that signed `cert` is not allowed, or None."""
    oid = cert.signature_algorithm_oid
    name = getattr(oid, "_name", oid.dotted_string)
    if oid not in _ALLOWED_SIGNATURES:
        return f"signed with {name}, which the webpki profile does not allow"
    if oid == SignatureAlgorithmOID.RSASSA_PSS:
        try:
            encoding = signature_algorithm_der(cert)
        except ValueError:
            encoding = b""
        if encoding not in _ALLOWED_PSS_ENCODINGS:
            return "signed with RSA-PSS parameters the webpki profile does not allow"
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
