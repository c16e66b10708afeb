"""The shared signature primitive and its two callers' algorithm rules (every pass has a twin)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import SignatureAlgorithmOID as Oid

from securesocket._signatures import Scheme, signature_problem
from securesocket.revocation import _signature as ocsp_signature


DATA = b"to be signed"
SHA256 = hashes.SHA256()
RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC = ec.generate_private_key(ec.SECP256R1())
DSA = dsa.generate_private_key(key_size=2048)
ED25519 = ed25519.Ed25519PrivateKey.generate()
ED448 = ed448.Ed448PrivateKey.generate()
PSS = padding.PSS(mgf=padding.MGF1(SHA256), salt_length=32)
PKCS1 = padding.PKCS1v15()
RSA_SIGNATURE = RSA.sign(DATA, PKCS1, SHA256)


def check(key: object, signature: bytes, scheme: Scheme, hash_algorithm: object) -> str | None:
    return signature_problem(
        key,
        signature,
        DATA,
        scheme,
        hash_algorithm,  # type: ignore[arg-type]
        signer="issuer",
        bad_signature="BAD",
    )


GOOD = [
    ("rsa-pkcs1", RSA.public_key(), RSA_SIGNATURE, PKCS1, SHA256),
    ("rsa-pss", RSA.public_key(), RSA.sign(DATA, PSS, SHA256), PSS, SHA256),
    ("ecdsa", EC.public_key(), EC.sign(DATA, ec.ECDSA(SHA256)), ec.ECDSA(SHA256), SHA256),
    ("dsa", DSA.public_key(), DSA.sign(DATA, SHA256), None, SHA256),
    ("ed25519", ED25519.public_key(), ED25519.sign(DATA), None, None),
    ("ed448", ED448.public_key(), ED448.sign(DATA), None, None),
]  # fmt: skip


@pytest.mark.parametrize(("name", "key", "signature", "scheme", "hash_algorithm"), GOOD)
def test_each_key_type_verifies(
    name: str, key: object, signature: bytes, scheme: Scheme, hash_algorithm: object
) -> None:
    assert check(key, signature, scheme, hash_algorithm) is None


@pytest.mark.parametrize(("name", "key", "signature", "scheme", "hash_algorithm"), GOOD)
def test_each_key_type_refuses_a_flipped_bit(
    name: str, key: object, signature: bytes, scheme: Scheme, hash_algorithm: object
) -> None:
    """The twin: one bit of the signed data changed is the caller's bad-signature reason."""
    flipped = signature_problem(
        key,
        signature,
        b"To be signed",
        scheme,
        hash_algorithm,  # type: ignore[arg-type]
        signer="issuer",
        bad_signature="BAD",
    )
    assert flipped == "BAD"


@pytest.mark.parametrize(
    ("key", "signature", "scheme", "hash_algorithm", "family"),
    [
        (RSA.public_key(), RSA_SIGNATURE, ec.ECDSA(SHA256), SHA256, "RSA"),
        (RSA.public_key(), RSA_SIGNATURE, PKCS1, None, "RSA"),
        (EC.public_key(), EC.sign(DATA, ec.ECDSA(SHA256)), padding.PKCS1v15(), SHA256, "EC"),
        (EC.public_key(), EC.sign(DATA, ec.ECDSA(SHA256)), None, SHA256, "EC"),
        (ED25519.public_key(), ED25519.sign(DATA), None, SHA256, "EdDSA"),
        (ED448.public_key(), ED448.sign(DATA), None, SHA256, "EdDSA"),
        (DSA.public_key(), DSA.sign(DATA, SHA256), None, None, "DSA"),
    ],
)  # fmt: skip
def test_a_valid_signature_under_the_wrong_algorithm_is_refused(
    key: object, signature: bytes, scheme: Scheme, hash_algorithm: object, family: str
) -> None:
    """Each signature is genuine; only the algorithm description is of another family."""
    reason = check(key, signature, scheme, hash_algorithm)
    assert reason == f"the signature algorithm does not match the issuer's {family} key"


def test_unknown_key_types_are_refused() -> None:
    key = x25519.X25519PrivateKey.generate().public_key()
    assert check(key, b"\x00" * 64, None, None) == "unsupported issuer key type X25519PublicKey"
    assert check(b"not a key", b"", None, None) == "unsupported issuer key type bytes"


@pytest.mark.parametrize(
    ("key", "signature", "scheme", "hash_algorithm"),
    [
        # UnsupportedAlgorithm: an XOF as the RSA hash
        (RSA.public_key(), b"\x00" * 256, padding.PKCS1v15(), hashes.SHAKE128(16)),
        # ValueError: "prehashed" data of the wrong length for its hash
        (EC.public_key(), b"\x00" * 70, ec.ECDSA(Prehashed(SHA256)), Prehashed(SHA256)),
        # TypeError: a signature that is not bytes
        (EC.public_key(), "not bytes", ec.ECDSA(SHA256), SHA256),
    ],
)
def test_cryptography_errors_do_not_escape(
    key: object, signature: bytes, scheme: Scheme, hash_algorithm: object
) -> None:
    reason = check(key, signature, scheme, hash_algorithm)
    assert reason is not None
    assert reason.startswith("the signature cannot be checked (")


def test_ocsp_reads_the_family_from_the_identifier() -> None:
    """An OCSP response names its algorithm by OID only: the family must match the key."""
    pkcs1 = RSA.sign(DATA, padding.PKCS1v15(), SHA256)
    key = RSA.public_key()
    assert ocsp_signature.signature_problem(key, pkcs1, DATA, SHA256, Oid.RSA_WITH_SHA256) is None
    mislabelled = ocsp_signature.signature_problem(key, pkcs1, DATA, SHA256, Oid.ECDSA_WITH_SHA256)
    assert mislabelled == "the signature algorithm does not match the signer's RSA key"


def test_ocsp_eddsa_refuses_a_hash() -> None:
    signature = ED25519.sign(DATA)
    key = ED25519.public_key()
    assert ocsp_signature.signature_problem(key, signature, DATA, None, Oid.ED25519) is None
    labelled = ocsp_signature.signature_problem(key, signature, DATA, SHA256, Oid.ECDSA_WITH_SHA256)
    assert labelled == "the signature algorithm does not match the signer's EdDSA key"


def test_ocsp_pss_accepts_any_salt_with_a_matching_mgf1_hash_only() -> None:
    key = RSA.public_key()
    for salt in (0, 20, 64):
        sha384 = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=salt)
        signature = RSA.sign(DATA, sha384, hashes.SHA384())
        assert ocsp_signature.signature_problem(key, signature, DATA, None, Oid.RSASSA_PSS) is None
    crossed = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=20)  # MGF1 hash differs
    signature = RSA.sign(DATA, crossed, SHA256)
    reason = ocsp_signature.signature_problem(key, signature, DATA, None, Oid.RSASSA_PSS)
    assert reason is not None
    assert "RSA-PSS signature does not verify" in reason
