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
            if algorithm_oid == SignatureAlgorithmOID.RSASSA_PSS or hash_algorithm is None:
                return "RSA-PSS signatures on OCSP responses are not supported"
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


def directly_issued(subject: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` names and signs `subject`."""
    try:
        subject.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True
