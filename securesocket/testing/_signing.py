"""Signing certificate and CRL builders, deterministically, including the SHA-1 fixtures need."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from ._keys import PrivateKey


__all__ = ["sign_builder"]


def sign_builder(
    builder: x509.CertificateBuilder | x509.CertificateRevocationListBuilder,
    key: PrivateKey,
    algorithm: hashes.HashAlgorithm | None,
) -> x509.Certificate | x509.CertificateRevocationList:
    """Sign a certificate or CRL builder deterministically where the key type allows it."""
    if isinstance(algorithm, hashes.SHA1):
        if not isinstance(builder, x509.CertificateBuilder) or not isinstance(
            key, rsa.RSAPrivateKey
        ):
            raise ValueError("SHA-1 signatures are supported for RSA-signed certificates only")
        return _sign_with_sha1(builder, key)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return builder.sign(key, algorithm, ecdsa_deterministic=True)  # type: ignore[arg-type]
    return builder.sign(key, algorithm)  # type: ignore[arg-type]


# DER of the AlgorithmIdentifier OIDs: sha256WithRSAEncryption and sha1WithRSAEncryption have
# the same length, so one can replace the other without touching any length field.
_SHA256_WITH_RSA = bytes.fromhex("06092a864886f70d01010b")
_SHA1_WITH_RSA = bytes.fromhex("06092a864886f70d010105")


def _sign_with_sha1(builder: x509.CertificateBuilder, key: rsa.RSAPrivateKey) -> x509.Certificate:
    """An RSA certificate signed with SHA-1 (for the weak-signature scenario).

    cryptography refuses to sign with SHA-1, so: sign with SHA-256, swap the algorithm OID in
    the TBS and in the outer AlgorithmIdentifier (same length), and replace the signature (same
    length: the modulus size) with a PKCS#1 v1.5 SHA-1 signature over the new TBS.
    """
    modern = builder.sign(key, hashes.SHA256())
    der = modern.public_bytes(serialization.Encoding.DER)
    if der.count(_SHA256_WITH_RSA) != 2:
        raise ValueError("unexpected certificate layout for the SHA-1 rewrite")
    tbs = modern.tbs_certificate_bytes.replace(_SHA256_WITH_RSA, _SHA1_WITH_RSA)
    signature = key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 - on purpose
    rewritten = der[: -len(modern.signature)].replace(_SHA256_WITH_RSA, _SHA1_WITH_RSA) + signature
    return x509.load_der_x509_certificate(rewritten)
