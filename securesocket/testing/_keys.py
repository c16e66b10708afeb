"""Key types for the fixture PKI, and fixed keys so that generated fixtures are reproducible.

Fresh keys come from `KeyType.generate()`. Fixed keys come from `fixed_key(label, key_type)`:
elliptic-curve and Ed25519 keys are derived from a hash of the label (instant, no files), RSA
keys cannot be derived cheaply, so a small committed pool (``data/rsa_keys.json``) holds them.
"""

from __future__ import annotations

import enum
import hashlib
import json
from functools import cache
from importlib.resources import files
from typing import TypeAlias

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey: TypeAlias = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

_DERIVATION_DOMAIN = b"securesocket.testing fixed key v1:"


class KeyType(enum.Enum):
    """The key algorithms the kit can issue. ``RSA_1024`` exists only for the weak-key scenario."""

    ECDSA_P256 = "ecdsa-p256"
    ECDSA_P384 = "ecdsa-p384"
    RSA_1024 = "rsa-1024"
    RSA_2048 = "rsa-2048"
    RSA_3072 = "rsa-3072"
    RSA_4096 = "rsa-4096"
    ED25519 = "ed25519"

    # trustme spells these two without the curve; keep its names working.
    ECDSA = "ecdsa-p256"
    RSA = "rsa-2048"

    @property
    def rsa_bits(self) -> int | None:
        """The modulus size for RSA key types, else None."""
        if self.value.startswith("rsa-"):
            return int(self.value.removeprefix("rsa-"))
        return None

    def generate(self) -> PrivateKey:
        """A fresh random key of this type."""
        bits = self.rsa_bits
        if bits is not None:
            return rsa.generate_private_key(public_exponent=65537, key_size=bits)
        if self is KeyType.ED25519:
            return ed25519.Ed25519PrivateKey.generate()
        return ec.generate_private_key(_curve(self))


def _curve(key_type: KeyType) -> ec.EllipticCurve:
    return ec.SECP384R1() if key_type is KeyType.ECDSA_P384 else ec.SECP256R1()


def key_type_of(key: PrivateKey) -> KeyType:
    """The `KeyType` of an existing private key."""
    if isinstance(key, rsa.RSAPrivateKey):
        return KeyType(f"rsa-{key.key_size}")
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return KeyType.ED25519
    return KeyType.ECDSA_P384 if key.curve.name == "secp384r1" else KeyType.ECDSA_P256


def default_hash(key: PrivateKey) -> hashes.HashAlgorithm | None:
    """The signature hash a CA with this key uses unless told otherwise (None for Ed25519)."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp384r1":
        return hashes.SHA384()
    return hashes.SHA256()


def fixed_key(label: str, key_type: KeyType = KeyType.ECDSA_P256) -> PrivateKey:
    """The same key every time for the same label and type (for reproducible fixtures).

    Raises KeyError for an RSA label that is not in the committed pool.
    """
    return _fixed_key(label, key_type.value)


@cache
def _fixed_key(label: str, key_type_value: str) -> PrivateKey:
    key_type = KeyType(key_type_value)
    seed = hashlib.sha256(_DERIVATION_DOMAIN + key_type.value.encode() + b":" + label.encode())
    if key_type is KeyType.ED25519:
        return ed25519.Ed25519PrivateKey.from_private_bytes(seed.digest())
    if key_type.rsa_bits is None:
        curve = _curve(key_type)
        order = _CURVE_ORDERS[curve.name]
        scalar = int.from_bytes(seed.digest() + hashlib.sha256(seed.digest()).digest()) % (
            order - 1
        )
        return ec.derive_private_key(scalar + 1, curve)
    pem = _rsa_pool().get(f"{key_type.value}/{label}")
    if pem is None:
        raise KeyError(
            f"no committed {key_type.value} key labelled {label!r} in data/rsa_keys.json"
        )
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)  # noqa: S101 - the pool file is ours
    return key


_CURVE_ORDERS = {
    "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "secp384r1": int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
        16,
    ),
}


@cache
def _rsa_pool() -> dict[str, str]:
    text = files("securesocket.testing").joinpath("data/rsa_keys.json").read_text("ascii")
    pool: dict[str, str] = json.loads(text)
    return pool


def private_key_pem(key: PrivateKey) -> bytes:
    """PKCS#8 PEM, unencrypted."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
