"""Checking a raw signature (OCSP responses) and a certificate's direct issuer."""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import SignatureAlgorithmOID


__all__ = ["directly_issued", "signature_problem"]


def signature_problem(
    public_key: object,
    signature: bytes,
    data: bytes,
    hash_algorithm: hashes.HashAlgorithm | None,
    algorithm_oid: x509.ObjectIdentifier,
) -> str | None:
    """Why `signature` over `data` does not verify with `public_key`, or None when it does."""
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            if algorithm_oid == SignatureAlgorithmOID.RSASSA_PSS:
                return _pss_problem(public_key, signature, data)
            if hash_algorithm is None:
                return "the signature algorithm does not match the signer's RSA key"
            public_key.verify(signature, data, padding.PKCS1v15(), hash_algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            if hash_algorithm is None:
                return "the signature algorithm does not match the signer's EC key"
            public_key.verify(signature, data, ec.ECDSA(hash_algorithm))
        elif isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            public_key.verify(signature, data)
        elif isinstance(public_key, dsa.DSAPublicKey):
            if hash_algorithm is None:
                return "the signature algorithm does not match the signer's DSA key"
            public_key.verify(signature, data, hash_algorithm)
        else:
            return f"unsupported signer key type {type(public_key).__name__}"
    except InvalidSignature:
        return "the signature does not verify"
    except (UnsupportedAlgorithm, ValueError, TypeError) as exc:
        return f"the signature cannot be checked ({exc})"
    return None


_PSS_HASHES = (hashes.SHA256(), hashes.SHA384(), hashes.SHA512())


def _pss_problem(public_key: rsa.RSAPublicKey, signature: bytes, data: bytes) -> str | None:
    """RSASSA-PSS (RFC 4055) on an OCSP response. cryptography does not expose the parameters
    of an OCSP response's signature algorithm, so the strong hashes are tried, each with MGF1 of
    the same hash (RFC 8017's recommendation; what CAs use) and any salt length. Sound: the
    parameters are not signed, so only "this key signed these bytes with a strong hash" matters,
    and a valid signature proves exactly that. An MGF1 hash that differs fails closed."""
    for algorithm in _PSS_HASHES:
        pss = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=padding.PSS.AUTO)
        try:
            public_key.verify(signature, data, pss, algorithm)
        except InvalidSignature:
            continue
        return None
    return "the RSA-PSS signature does not verify (SHA-256/384/512, MGF1 with the same hash)"


def directly_issued(subject: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` names and signs `subject`."""
    try:
        subject.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True
