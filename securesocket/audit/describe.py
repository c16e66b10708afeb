"""Turn cryptography certificates into the audit's `CertificateInfo` records."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from .model import CertificateInfo


def key_description(cert: x509.Certificate) -> str:
    """The key's type and size as people say it: "RSA 2048", "EC secp256r1", "Ed25519"."""
    try:
        key = cert.public_key()
    except (ValueError, TypeError) as exc:  # an unsupported or malformed key is still shown
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


def describe_certificate(cert: x509.Certificate) -> CertificateInfo:
    """What the audit shows about one certificate."""
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=f"{cert.serial_number:X}",
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=cert.not_valid_after_utc.isoformat(),
        key=key_description(cert),
        signature_algorithm=signature_algorithm_name(cert),
        sha256=cert.fingerprint(hashes.SHA256()).hex(),
    )


def describe_der(der: bytes) -> CertificateInfo:
    """Describe a certificate given as DER; a certificate that does not parse says so."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
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
