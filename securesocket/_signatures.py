"""The one signature check: a public key, a signature, the signed bytes and the algorithm.

Certificates (`trust/signatures.py`) and OCSP responses (`revocation/_signature.py`) both need
it. It lives at the package root, not in either layer, because neither layer imports the
other. The callers only describe the algorithm; the key-type dispatch, the rule that the
algorithm must belong to the key's family, and the mapping of cryptography's exceptions to a
reason are here, once.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa


__all__ = ["Scheme", "signature_problem"]

#: What the algorithm identifier says beyond the hash, in cryptography's vocabulary (as
#: ``Certificate.signature_algorithm_parameters``): an RSA padding, ECDSA, or nothing (EdDSA,
#: DSA, or an identifier of no supported family).
Scheme = padding.PKCS1v15 | padding.PSS | ec.ECDSA | None


def signature_problem(
    public_key: object,
    signature: bytes,
    data: bytes,
    scheme: Scheme,
    hash_algorithm: hashes.HashAlgorithm | None,
    *,
    signer: str,
    bad_signature: str,
) -> str | None:
    """Why `signature` over `data` does not verify with `public_key`, or None when it does.

    `signer` names the key's owner in the reasons ("issuer", "signer"); `bad_signature` is the
    reason for a well-formed signature that does not verify. Never raises.
    """
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            if not isinstance(scheme, padding.PSS | padding.PKCS1v15) or hash_algorithm is None:
                return _mismatch(signer, "RSA")
            public_key.verify(signature, data, scheme, hash_algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            if not isinstance(scheme, ec.ECDSA):
                return _mismatch(signer, "EC")
            public_key.verify(signature, data, scheme)
        elif isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            if hash_algorithm is not None:  # EdDSA hashes internally; a named hash is a mislabel
                return _mismatch(signer, "EdDSA")
            public_key.verify(signature, data)
        elif isinstance(public_key, dsa.DSAPublicKey):
            if hash_algorithm is None:
                return _mismatch(signer, "DSA")
            public_key.verify(signature, data, hash_algorithm)
        else:
            return f"unsupported {signer} key type {type(public_key).__name__}"
    except InvalidSignature:
        return bad_signature
    except (UnsupportedAlgorithm, ValueError, TypeError) as exc:
        return f"the signature cannot be checked ({exc})"
    return None


def _mismatch(signer: str, family: str) -> str:
    return f"the signature algorithm does not match the {signer}'s {family} key"
