"""The proven-signature cache: it saves work and can never turn a bad signature into a pass."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from securesocket import CertificateStatus, ChainVerifier
from securesocket.testing.ca import CA
from securesocket.trust.signatures import SignatureCache


NOW = datetime(2030, 6, 1, tzinfo=UTC)


def test_cache_remembers_only_successes() -> None:
    """A good signature is cached; a bad one is not, and stays bad on every call."""
    root = CA(common_name="Cache Root")
    leaf = root.issue_cert("example.test").certificate
    stranger = CA(common_name="Cache Root")  # same name, other key
    cache = SignatureCache()
    leaf_der = leaf.public_bytes(Encoding.DER)
    good_der = root.certificate.public_bytes(Encoding.DER)
    bad_der = stranger.certificate.public_bytes(Encoding.DER)
    assert cache.check(leaf, leaf_der, root.certificate, good_der) is None
    assert len(cache) == 1
    for _ in range(2):
        assert cache.check(leaf, leaf_der, stranger.certificate, bad_der) is not None
    assert len(cache) == 1


def test_cached_pair_does_not_vouch_for_a_lookalike() -> None:
    """After the genuine chain is cached, an impostor CA with the same name and a leaf it
    signed (same subject) is still rejected: the key is the exact DER of both."""
    root = CA(common_name="Lookalike Root")
    inter = root.create_child_ca(common_name="Lookalike CA")
    leaf = inter.issue_cert("example.test").certificate
    cache = SignatureCache()
    verifier = ChainVerifier(trust="none", anchors=[root.certificate], cache=cache)
    assert verifier.verify(leaf, [inter.certificate], host="example.test", at=NOW).trusted
    fake_root = CA(common_name="Lookalike Root")  # same name as the anchor, other key
    impostor = fake_root.create_child_ca(common_name="Lookalike CA")
    fake_leaf = impostor.issue_cert("example.test").certificate
    result = verifier.verify(fake_leaf, [impostor.certificate], host="example.test", at=NOW)
    assert result.status == CertificateStatus.INVALID_CHAIN
    assert result.problems[0].code == "bad_signature"


def test_cache_is_bounded() -> None:
    """The cache never grows past its size; the oldest entries go first."""
    root = CA(common_name="Bounded Root")
    root_der = root.certificate.public_bytes(Encoding.DER)
    cache = SignatureCache(maxsize=3)
    leaves = [root.issue_cert(f"h{i}.test").certificate for i in range(5)]
    for leaf in leaves:
        assert (
            cache.check(leaf, leaf.public_bytes(Encoding.DER), root.certificate, root_der) is None
        )
    assert len(cache) == 3


def test_signed_bytes_are_sliced_exactly_from_the_der() -> None:
    """`tbs_der` gives the bytes cryptography's ``tbs_certificate_bytes`` gives, for EC, RSA
    and Ed25519 certificates; the twin: anything but a certificate's DER is a ValueError, and
    the cache then falls back to cryptography (a bad signature is still refused)."""
    from securesocket.testing._keys import KeyType
    from securesocket.trust._der import tbs_der

    for key_type in (KeyType.ECDSA_P256, KeyType.ECDSA_P384, KeyType.RSA_2048, KeyType.ED25519):
        ca = CA(common_name=f"tbs {key_type.value}", key_type=key_type)
        cert = ca.issue_cert("example.test", key_type=key_type).certificate
        der = cert.public_bytes(Encoding.DER)
        assert tbs_der(der) == cert.tbs_certificate_bytes
        assert SignatureCache().check(cert, der, ca.certificate, b"issuer") is None
        other = CA(common_name="tbs stranger").certificate
        assert SignatureCache().check(cert, der, other, b"other") is not None
    for junk in (b"", b"\x30", b"\x30\x85\x00\x00\x00\x00\x01", der[:40]):
        with pytest.raises(ValueError):
            tbs_der(junk)
    # Unreadable DER given beside the certificate: cryptography's bytes are used instead.
    assert SignatureCache().check(cert, b"\x30", ca.certificate, b"issuer") is None
    assert SignatureCache().check(cert, b"\x30", other, b"other") is not None
