"""Tampered certificates are never accepted: flipped bytes, duplicated extensions, swapped
names, a downgraded signature hash. Each tampering helper has a twin that rebuilds the same
certificate *without* the change and must still be trusted, so a rejection is never the
helper's fault."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from securesocket import ArgumentError, CertificateStatus, ChainVerifier, verify_chain
from securesocket.testing._keys import KeyType, fixed_key
from securesocket.testing.ca import CA
from securesocket.trust._der import read_tlv


S = CertificateStatus
NOW = datetime(2030, 6, 1, tzinfo=UTC)


def tlv(tag: int, content: bytes) -> bytes:
    """DER-encode one element."""
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def children(content: bytes) -> list[tuple[int, bytes]]:
    """The (tag, content) of each element in a constructed value."""
    out, offset = [], 0
    while offset < len(content):
        tag, inner, offset = read_tlv(content, offset)
        out.append((tag, inner))
    return out


def tbs_fields(cert: x509.Certificate) -> list[tuple[int, bytes]]:
    """tbsCertificate's fields: version, serial, sigalg, issuer, validity, subject, spki, ext."""
    _, tbs, _ = read_tlv(cert.tbs_certificate_bytes, 0)
    return children(tbs)


def assemble(fields: list[tuple[int, bytes]], key, algorithm: bytes, hash_alg) -> x509.Certificate:
    """Sign the tbsCertificate made of `fields` with `key` and return the certificate."""
    tbs = tlv(0x30, b"".join(tlv(t, c) for t, c in fields))
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(tbs, padding.PKCS1v15(), hash_alg)
    else:
        signature = key.sign(tbs, ec.ECDSA(hash_alg))
    der = tlv(0x30, tbs + tlv(0x30, algorithm) + tlv(0x03, b"\x00" + signature))
    return x509.load_der_x509_certificate(der)


def outer_algorithm(cert: x509.Certificate) -> bytes:
    return tbs_fields(cert)[2][1]


@pytest.fixture(scope="module")
def world():
    root = CA(common_name="Mutation Root")
    inter = root.create_child_ca(common_name="Mutation Intermediate")
    leaf = inter.issue_cert("example.test", not_before=datetime(2025, 1, 1, tzinfo=UTC))
    return root, inter, leaf.certificate


def verify(leaf, inter: CA, root: CA, **kw):
    return verify_chain(
        leaf,
        [inter.certificate],
        anchors=[root.certificate],
        trust="none",
        revocation="off",
        host="example.test",
        at=NOW,
        **kw,
    )


class TestRebuild:
    def test_rebuilding_unchanged_is_trusted(self, world) -> None:
        """Twin of every tampering below: re-signing the same fields stays trusted."""
        root, inter, leaf = world
        rebuilt = assemble(
            tbs_fields(leaf), inter.private_key, outer_algorithm(leaf), hashes.SHA256()
        )
        assert verify(rebuilt, inter, root).status == S.TRUSTED

    def test_duplicated_extension(self, world) -> None:
        """The same extension twice (re-signed by the real CA): invalid, never trusted."""
        root, inter, leaf = world
        fields = tbs_fields(leaf)
        tag, explicit = fields[-1]
        _, extensions = read_tlv(explicit, 0)[:2]
        items = children(extensions)
        doubled = b"".join(tlv(t, c) for t, c in [*items, items[0]])
        fields[-1] = (tag, tlv(0x30, doubled))
        tampered = assemble(fields, inter.private_key, outer_algorithm(leaf), hashes.SHA256())
        result = verify(tampered, inter, root)
        assert result.status == S.INVALID
        assert result.problems[0].code == "malformed"

    def test_swapped_subject_and_issuer(self, world) -> None:
        """Subject and issuer names swapped (re-signed by the real CA): not trusted."""
        root, inter, leaf = world
        fields = tbs_fields(leaf)
        fields[3], fields[5] = fields[5], fields[3]
        tampered = assemble(fields, inter.private_key, outer_algorithm(leaf), hashes.SHA256())
        assert verify(tampered, inter, root).status == S.UNTRUSTED_SIGNERS

    def test_signed_by_the_wrong_key(self, world) -> None:
        """The same fields signed by a key that is not the issuer's: invalid (bad signature)."""
        root, inter, leaf = world
        other = fixed_key("mutation-other")
        tampered = assemble(tbs_fields(leaf), other, outer_algorithm(leaf), hashes.SHA256())
        result = verify(tampered, inter, root)
        assert result.status == S.INVALID
        assert result.problems[0].code == "bad_signature"


SHA256_RSA = bytes.fromhex("2a864886f70d01010b")
SHA1_RSA = bytes.fromhex("2a864886f70d010105")


def _with_sha1(cert: x509.Certificate, issuer_key) -> x509.Certificate:
    fields = [
        (t, c.replace(SHA256_RSA, SHA1_RSA)) if i == 2 else (t, c)
        for i, (t, c) in enumerate(tbs_fields(cert))
    ]
    return assemble(fields, issuer_key, fields[2][1], hashes.SHA1())  # noqa: S303 - must be rejected


@pytest.fixture(scope="module")
def rsa_world():
    root = CA(common_name="RSA Root", key=fixed_key("root", KeyType.RSA_2048))
    inter = root.create_child_ca(
        common_name="RSA Inter", key=fixed_key("intermediate", KeyType.RSA_2048)
    )
    leaf = inter.issue_cert("example.test", key=fixed_key("spare-2", KeyType.RSA_2048)).certificate
    return root, inter, leaf


class TestSha1:
    def test_sha1_leaf_rejected_by_webpki(self, rsa_world) -> None:
        """A SHA-1 signature on the leaf: invalid under webpki, accepted under rfc5280."""
        root, inter, leaf = rsa_world
        sha1_leaf = _with_sha1(leaf, inter.private_key)
        assert hashes.SHA1.name == sha1_leaf.signature_hash_algorithm.name
        bad = verify(sha1_leaf, inter, root)
        assert bad.status == S.INVALID
        assert bad.problems[0].code == "weak_signature_algorithm"
        assert verify(sha1_leaf, inter, root, profile="rfc5280").status == S.TRUSTED
        assert verify(leaf, inter, root).status == S.TRUSTED

    def test_sha1_self_signature_on_anchor_is_fine(self, rsa_world) -> None:
        """An anchor's own SHA-1 self-signature is not judged (only what it signs is)."""
        root, inter, leaf = rsa_world
        sha1_root = _with_sha1(root.certificate, root.private_key)
        result = verify_chain(
            leaf,
            [inter.certificate],
            anchors=[sha1_root],
            trust="none",
            revocation="off",
            host="example.test",
            at=NOW,
        )
        assert result.status == S.TRUSTED

    def test_sha1_intermediate_rejected(self, rsa_world) -> None:
        """A SHA-1 signature on an intermediate: invalidChain under webpki."""
        root, inter, leaf = rsa_world
        sha1_inter = _with_sha1(inter.certificate, root.private_key)
        result = verify_chain(
            leaf,
            [sha1_inter],
            anchors=[root.certificate],
            trust="none",
            revocation="off",
            host="example.test",
            at=NOW,
        )
        assert result.status == S.INVALID_CHAIN


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_flipped_byte_is_never_trusted(world, data) -> None:
    """Any single byte of the leaf or the intermediate changed: an ArgumentError (unparseable)
    or a status other than trusted; never an exception of another kind."""
    root, inter, leaf = world
    target = data.draw(st.sampled_from(["leaf", "intermediate"]))
    der = bytearray((leaf if target == "leaf" else inter.certificate).public_bytes(Encoding.DER))
    position = data.draw(st.integers(0, len(der) - 1))
    der[position] ^= data.draw(st.integers(1, 255))
    leaf_in = bytes(der) if target == "leaf" else leaf
    pool = [inter.certificate] if target == "leaf" else [bytes(der)]
    try:
        result = verify_chain(
            leaf_in,
            pool,
            anchors=[root.certificate],
            trust="none",
            revocation="off",
            host="example.test",
            at=NOW,
        )
    except ArgumentError:
        return
    assert result.status != S.TRUSTED


def test_every_single_bit_flip_of_the_leaf_is_rejected(world) -> None:
    """Exhaustively: flipping bit 0 or bit 7 of any byte of the leaf never yields a trusted
    result, and ChainVerifier.verify raises nothing on the ones cryptography still parses
    (this found the signature BIT STRING "unused bits" malleability)."""
    root, inter, leaf = world
    verifier = ChainVerifier(trust="none", anchors=[root.certificate])
    der = leaf.public_bytes(Encoding.DER)
    checked = 0
    for position in range(len(der)):
        for mask in (0x01, 0x80):
            mutated = bytearray(der)
            mutated[position] ^= mask
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                    cert = x509.load_der_x509_certificate(bytes(mutated))
            except (ValueError, x509.InvalidVersion):
                continue
            checked += 1
            result = verifier.verify(cert, [inter.certificate], host="example.test", at=NOW)
            assert not result.trusted, position
    assert checked > 200


@settings(max_examples=200, deadline=None)
@given(host=st.text(max_size=80))
def test_any_host_string_is_a_verdict_not_a_crash(host: str) -> None:
    """Arbitrary host text (empty, control characters, non-IDNA, long labels) yields a
    Verification; only the certificate's real name is trusted."""
    result = _HOST_VERIFIER.verify(_HOST_LEAF, [], host=host, at=NOW)
    if result.trusted:
        # Case-insensitive, and at most one root dot (an absolute name is the same host).
        assert host.lower() in {"example.test", "example.test."}
    else:
        assert result.status == CertificateStatus.PRINCIPAL_MISMATCH


_HOST_ROOT = CA(common_name="Host Fuzz Root", key=fixed_key("host-fuzz-root"))
_HOST_LEAF = _HOST_ROOT.issue_cert("example.test", key=fixed_key("host-fuzz-leaf")).certificate
_HOST_VERIFIER = ChainVerifier(trust="none", anchors=[_HOST_ROOT.certificate])


def test_verify_rejects_wrong_argument_types(world) -> None:
    """Non-certificates in the pool, a non-string host or a non-datetime time: ArgumentError."""
    root, _inter, leaf = world
    verifier = ChainVerifier(trust="none", anchors=[root.certificate])
    with pytest.raises(ArgumentError, match="presented"):
        verifier.verify(leaf, [b"der bytes"], host="example.test", at=NOW)  # type: ignore[list-item]
    with pytest.raises(ArgumentError, match="host"):
        verifier.verify(leaf, [], host=b"example.test", at=NOW)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="datetime"):
        verifier.verify(leaf, [], host=None, at="2030-01-01")  # type: ignore[arg-type]


def test_unparseable_names_are_reported_not_raised(world) -> None:
    """A leaf or an intermediate whose CN has an invalid string tag: a verdict and a JSON
    report, never an exception (found by fuzzing to_dict)."""
    root, inter, leaf = world
    cn_utf8, cn_bad = b"\x55\x04\x03\x0c", b"\x55\x04\x03\x0d"
    bad_leaf_der = leaf.public_bytes(Encoding.DER).replace(cn_utf8, cn_bad, 1)
    bad_inter_der = inter.certificate.public_bytes(Encoding.DER).replace(cn_utf8, cn_bad)
    verifier = ChainVerifier(trust="none", anchors=[root.certificate])
    bad_leaf = x509.load_der_x509_certificate(bad_leaf_der)
    bad_inter = x509.load_der_x509_certificate(bad_inter_der)
    for cert, pool in ((bad_leaf, [inter.certificate]), (leaf, [bad_inter])):
        result = verifier.verify(cert, pool, host="example.test", at=NOW)
        assert not result.trusted
        assert json.dumps(result.to_dict())
    assert (
        verifier.verify(bad_leaf, [inter.certificate], host=None, at=NOW).problems[0].code
        == "malformed"
    )


@pytest.mark.parametrize("tag", [0xA3, 0xA5], ids=["x400Address", "ediPartyName"])
def test_unsupported_general_name_is_malformed(world, tag: int) -> None:
    """A SAN entry cryptography refuses to parse (x400Address, EDIPartyName) makes the leaf
    malformed (invalid), with or without a host check; never an exception."""
    root, inter, leaf = world
    der = leaf.public_bytes(Encoding.DER)
    at = der.find(b"\x82\x0cexample.test")
    assert at > 0
    mutated = x509.load_der_x509_certificate(der[:at] + bytes([tag]) + der[at + 1 :])
    verifier = ChainVerifier(trust="none", anchors=[root.certificate])
    for host in ("example.test", "127.0.0.1", None):
        result = verifier.verify(mutated, [inter.certificate], host=host, at=NOW)
        assert result.status == CertificateStatus.INVALID
        assert "malformed" in {p.code for p in result.problems}
