"""Checking an OCSP response's raw signature, and a certificate's direct issuer."""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import SignatureAlgorithmOID as Oid

from .._signatures import Scheme
from .._signatures import signature_problem as _key_signature_problem


__all__ = ["directly_issued", "signature_problem"]

_BAD_SIGNATURE = "the signature does not verify"
_TRY_NEXT_HASH = "try the next hash"  # _pss_problem's private reason for InvalidSignature

# cryptography names a certificate's signature scheme (signature_algorithm_parameters) but not
# an OCSP response's, so the identifier's family is read from its OID here.
_RSA_PKCS1 = frozenset(
    {
        Oid.RSA_WITH_MD5,
        Oid.RSA_WITH_SHA1,
        Oid.RSA_WITH_SHA224,
        Oid.RSA_WITH_SHA256,
        Oid.RSA_WITH_SHA384,
        Oid.RSA_WITH_SHA512,
        Oid.RSA_WITH_SHA3_224,
        Oid.RSA_WITH_SHA3_256,
        Oid.RSA_WITH_SHA3_384,
        Oid.RSA_WITH_SHA3_512,
    }
)
_ECDSA = frozenset(
    {
        Oid.ECDSA_WITH_SHA1,
        Oid.ECDSA_WITH_SHA224,
        Oid.ECDSA_WITH_SHA256,
        Oid.ECDSA_WITH_SHA384,
        Oid.ECDSA_WITH_SHA512,
        Oid.ECDSA_WITH_SHA3_224,
        Oid.ECDSA_WITH_SHA3_256,
        Oid.ECDSA_WITH_SHA3_384,
        Oid.ECDSA_WITH_SHA3_512,
    }
)


def signature_problem(
    public_key: object,
    signature: bytes,
    data: bytes,
    hash_algorithm: hashes.HashAlgorithm | None,
    algorithm_oid: x509.ObjectIdentifier,
) -> str | None:
    """Why `signature` over `data` does not verify with `public_key`, or None when it does."""
    if isinstance(public_key, rsa.RSAPublicKey) and algorithm_oid == Oid.RSASSA_PSS:
        return _pss_problem(public_key, signature, data)
    return _key_signature_problem(
        public_key,
        signature,
        data,
        _scheme(algorithm_oid, hash_algorithm),
        hash_algorithm,
        signer="signer",
        bad_signature=_BAD_SIGNATURE,
    )


def _scheme(oid: x509.ObjectIdentifier, hash_algorithm: hashes.HashAlgorithm | None) -> Scheme:
    if oid in _RSA_PKCS1:
        return padding.PKCS1v15()
    if oid in _ECDSA and hash_algorithm is not None:
        return ec.ECDSA(hash_algorithm)
    return None  # EdDSA, DSA, RSA-PSS on a non-RSA key, or a family no key verifies


_PSS_HASHES = (hashes.SHA256(), hashes.SHA384(), hashes.SHA512())


def _pss_problem(public_key: rsa.RSAPublicKey, signature: bytes, data: bytes) -> str | None:
    """RSASSA-PSS (RFC 4055) on an OCSP response. cryptography does not expose the parameters
    of an OCSP response's signature algorithm, so the strong hashes are tried, each with MGF1 of
    the same hash (RFC 8017's recommendation; what CAs use) and any salt length. Sound: the
    parameters are not signed, so only "this key signed these bytes with a strong hash" matters,
    and a valid signature proves exactly that. An MGF1 hash that differs fails closed."""
    for algorithm in _PSS_HASHES:
        pss = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=padding.PSS.AUTO)
        problem = _key_signature_problem(
            public_key,
            signature,
            data,
            pss,
            algorithm,
            signer="signer",
            bad_signature=_TRY_NEXT_HASH,
        )
        if problem != _TRY_NEXT_HASH:  # verified, or cannot be checked with any hash
            return problem
    return "the RSA-PSS signature does not verify (SHA-256/384/512, MGF1 with the same hash)"


def directly_issued(subject: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` names and signs `subject`."""
    try:
        subject.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True
