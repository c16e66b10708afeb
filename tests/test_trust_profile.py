"""The webpki profile's key and algorithm rules, each with an accepted and a rejected case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from securesocket import CertificateStatus, verify_chain
from securesocket.testing.ca import CA


S = CertificateStatus
NOW = datetime(2030, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def root() -> CA:
    return CA(common_name="Profile Root")


def leaf_with_key(root: CA, public_key, *, serial: int = 0x1234) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "p")]))
        .issuer_name(root.certificate.subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(datetime(2025, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2040, 1, 1, tzinfo=UTC))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("example.test")]), critical=False)
        .sign(root.private_key, hashes.SHA256())
    )


def status(root: CA, leaf: x509.Certificate, profile: str = "webpki") -> CertificateStatus:
    return verify_chain(
        leaf, [], anchors=[root.certificate], trust="none", revocation="off",
        host="example.test", at=NOW, profile=profile,
    ).status  # fmt: skip


@pytest.mark.parametrize(
    "make_key",
    [
        lambda: ec.generate_private_key(ec.SECP256R1()),
        lambda: ec.generate_private_key(ec.SECP384R1()),
        lambda: ec.generate_private_key(ec.SECP521R1()),
        ed25519.Ed25519PrivateKey.generate,
    ],
    ids=["P-256", "P-384", "P-521", "Ed25519"],
)
def test_allowed_keys(root: CA, make_key) -> None:
    """P-256, P-384, P-521 and Ed25519 leaf keys are trusted under webpki."""
    assert status(root, leaf_with_key(root, make_key().public_key())) == S.TRUSTED


@pytest.mark.parametrize(
    "make_key",
    [
        lambda: ec.generate_private_key(ec.SECP224R1()),
        lambda: ec.generate_private_key(ec.SECP256K1()),
        ed448.Ed448PrivateKey.generate,
    ],
    ids=["P-224", "secp256k1", "Ed448"],
)
def test_disallowed_keys(root: CA, make_key) -> None:
    """Other curves and Ed448 are invalid under webpki, accepted under rfc5280."""
    leaf = leaf_with_key(root, make_key().public_key())
    assert status(root, leaf) == S.INVALID
    assert status(root, leaf, "rfc5280") == S.TRUSTED


def test_rsa_3072_leaf(root: CA) -> None:
    """A 3072-bit RSA key is above the 2048-bit floor: trusted."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    assert status(root, leaf_with_key(root, key.public_key())) == S.TRUSTED


def test_twenty_octet_serial_is_allowed(root: CA) -> None:
    """A serial of exactly 20 octets (RFC 5280's maximum) is trusted under webpki."""
    key = ec.generate_private_key(ec.SECP256R1())
    longest = (1 << 159) - 1  # 20 octets in DER, with the sign bit clear
    assert status(root, leaf_with_key(root, key.public_key(), serial=longest)) == S.TRUSTED


def test_serial_rule_limits() -> None:
    """The serial rule itself: positive and at most 20 DER octets (a 21-octet serial cannot be
    built with cryptography, so the rule is checked on its arithmetic)."""
    from securesocket.trust.profile import serial_octets

    assert serial_octets((1 << 159) - 1) == 20
    assert serial_octets(1 << 159) == 21
    assert serial_octets(1) == 1
    assert serial_octets(0x80) == 2
