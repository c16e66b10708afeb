"""Turn cryptography certificates into the audit's `CertificateInfo` records.

A server may send anything, and cryptography parses some fields only when they are read (names
above all), so every field is described on its own: a field that does not parse says so in its
place and the others are still shown, instead of one bad field losing the whole description.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from .model import CertificateInfo


def key_description(cert: x509.Certificate) -> str:
    """The key's type and size as people say it: "RSA 2048", "EC secp256r1", "Ed25519"."""
    try:
        key = cert.public_key()
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:  # shown, not raised
        return f"unparsable ({exc})"
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA {key.key_size}"
    return type(key).__name__


def signature_algorithm_name(cert: x509.Certificate) -> str:
    """The signature algorithm's name, falling back to its dotted OID when it has none."""
    oid = cert.signature_algorithm_oid
    # `_name` is cryptography's typed name table (e.g. "ecdsa-with-SHA256"); unknown OIDs
    # come back as "Unknown OID", where the dotted string says more.
    name = oid._name
    return oid.dotted_string if name == "Unknown OID" else name


def _unparsable(cert: x509.Certificate, read: Callable[[x509.Certificate], str]) -> str:
    """`read(cert)`, or "(unparsable: why)" when the field it reads does not parse."""
    try:
        return read(cert)
    except (ValueError, TypeError) as exc:
        return f"(unparsable: {exc})"


def subject_text(cert: x509.Certificate) -> str:
    """The subject, RFC 4514, or "(unparsable: why)": names are parsed only when read."""
    return _unparsable(cert, lambda c: c.subject.rfc4514_string())


def describe_certificate(cert: x509.Certificate) -> CertificateInfo:
    """What the audit shows about one certificate; never raises for what the certificate holds."""
    return CertificateInfo(
        subject=subject_text(cert),
        issuer=_unparsable(cert, lambda c: c.issuer.rfc4514_string()),
        serial=_unparsable(cert, lambda c: f"{c.serial_number:X}"),
        not_before=_unparsable(cert, lambda c: c.not_valid_before_utc.isoformat()),
        not_after=_unparsable(cert, lambda c: c.not_valid_after_utc.isoformat()),
        key=key_description(cert),
        signature_algorithm=_unparsable(cert, signature_algorithm_name),
        sha256=cert.fingerprint(hashes.SHA256()).hex(),
    )


def describe_der(der: bytes) -> CertificateInfo:
    """Describe a certificate given as DER; a certificate that does not parse says so."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except (ValueError, x509.InvalidVersion) as exc:
        digest = hashes.Hash(hashes.SHA256())
        digest.update(der)
        unparsable = f"(unparsable: {exc})"
        return CertificateInfo(
            subject=unparsable,
            issuer="",
            serial="",
            not_before="",
            not_after="",
            key="",
            signature_algorithm="",
            sha256=digest.finalize().hex(),
        )
    return describe_certificate(cert)
