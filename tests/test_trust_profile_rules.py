"""Every path rule under both profiles, each against the same compliant chain (its twin).

One root → intermediate → leaf chain is built from a spec per certificate; each case changes
one field of one certificate (serials outside 1..20 octets cannot be built with cryptography:
tests/test_pkits_paths.py::test_negative_serial_is_a_webpki_problem and
tests/test_trust_profile.py cover that rule) and states what "webpki" and "rfc5280" must say
about it: a problem code and status, or trusted (a CA/B Forum rule plain RFC 5280 lacks).
The unchanged chain is trusted under both profiles, so every refusal below is caused by the
one change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from securesocket import CertificateStatus, verify_chain
from securesocket.testing._keys import KeyType, fixed_key


S = CertificateStatus
NOW = datetime(2030, 6, 1, tzinfo=UTC)
HOST = "example.test"
CA_USAGE = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
TLS_USAGE = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
KEYS = {role: fixed_key(f"profile-rules-{role}") for role in ("root", "inter", "inter2", "leaf")}


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _spec(role: str) -> dict[str, Any]:
    ca = role != "leaf"
    return {
        "subject": _name(f"rules {role}"),
        "key": KEYS[role],
        "serial": 0x5EED + len(role),
        "not_before": datetime(2025, 1, 1, tzinfo=UTC),
        "not_after": datetime(2040, 1, 1, tzinfo=UTC),
        "bc": (x509.BasicConstraints(ca=True, path_length=None), True) if ca else None,
        "ku": (CA_USAGE if ca else TLS_USAGE, True),
        "eku": None if ca else ([ExtendedKeyUsageOID.SERVER_AUTH], False),
        "san": None if ca else ([x509.DNSName(HOST)], False),
        "extra": [],
    }


def _issue(spec: Mapping[str, Any], issuer: Mapping[str, Any]) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(spec["subject"])
        .issuer_name(issuer["subject"])
        .public_key(spec["key"].public_key())
        .serial_number(spec["serial"])
        .not_valid_before(spec["not_before"])
        .not_valid_after(spec["not_after"])
    )
    for field, make in (
        ("bc", lambda v: v),
        ("ku", lambda v: v),
        ("eku", x509.ExtendedKeyUsage),
        ("san", x509.SubjectAlternativeName),
    ):
        if spec[field] is not None:
            value, critical = spec[field]
            builder = builder.add_extension(make(value), critical=critical)
    for extension, critical in spec["extra"]:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer["key"], hashes.SHA256())


def chain(
    changes: Mapping[str, Mapping[str, Any]], *, second_intermediate: bool = False
) -> tuple[x509.Certificate, list[x509.Certificate], x509.Certificate]:
    """(leaf, intermediates, root) with `changes` applied per role."""
    specs = {role: {**_spec(role), **changes.get(role, {})} for role in KEYS}
    root = _issue(specs["root"], specs["root"])
    inter = _issue(specs["inter"], specs["root"])
    if not second_intermediate:
        return _issue(specs["leaf"], specs["inter"]), [inter], root
    inter2 = _issue(specs["inter2"], specs["inter"])
    return _issue(specs["leaf"], specs["inter2"]), [inter, inter2], root


def verdict(profile: str, changes: Mapping[str, Mapping[str, Any]], **kw: bool):
    leaf, pool, root = chain(changes, **kw)
    return verify_chain(
        leaf, pool, anchors=[root], trust="none", revocation="off", host=HOST, at=NOW,
        profile=profile,
    )  # fmt: skip


RSA_1024 = KeyType.RSA_1024.generate()  # 1024-bit keys are quick to make; none are committed
ANY_EKU = ([ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE], False)
CLIENT_EKU = ([ExtendedKeyUsageOID.CLIENT_AUTH], False)
UNKNOWN_CRITICAL = (
    x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00"),
    True,
)
PAST = datetime(2029, 1, 1, tzinfo=UTC)

TRUSTED = None
# name → (changes, {profile: None (trusted) or (problem code, status)}, chain options)
CASES: dict[str, tuple[dict[str, dict[str, Any]], dict[str, Any], dict[str, bool]]] = {
    # CA/B Forum rules: webpki refuses, plain RFC 5280 accepts.
    "leaf RSA-1024 key": ({"leaf": {"key": RSA_1024}},
        {"webpki": ("weak_key", S.INVALID), "rfc5280": TRUSTED}, {}),
    "intermediate RSA-1024 key": ({"inter": {"key": KeyType.RSA_1024.generate()}},
        {"webpki": ("weak_key", S.INVALID_CHAIN), "rfc5280": TRUSTED}, {}),
    "leaf is a CA": ({"leaf": {"bc": (x509.BasicConstraints(ca=True, path_length=None), True)}},
        {"webpki": ("leaf_is_ca", S.INVALID), "rfc5280": TRUSTED}, {}),
    "leaf anyExtendedKeyUsage only": ({"leaf": {"eku": ANY_EKU}},
        {"webpki": ("extended_key_usage", S.INVALID), "rfc5280": TRUSTED}, {}),
    "leaf empty subject, non-critical SAN": ({"leaf": {"subject": x509.Name([])}},
        {"webpki": ("malformed", S.INVALID), "rfc5280": TRUSTED}, {}),
    "intermediate basicConstraints not critical":
        ({"inter": {"bc": (x509.BasicConstraints(ca=True, path_length=None), False)}},
        {"webpki": ("not_a_ca", S.INVALID_CHAIN), "rfc5280": TRUSTED}, {}),
    "intermediate without keyUsage": ({"inter": {"ku": None}},
        {"webpki": ("key_usage", S.INVALID_CHAIN), "rfc5280": TRUSTED}, {}),
    "intermediate EKU clientAuth only": ({"inter": {"eku": CLIENT_EKU}},
        {"webpki": ("extended_key_usage", S.INVALID_CHAIN), "rfc5280": TRUSTED}, {}),
    "expired anchor": ({"root": {"not_after": PAST}},
        {"webpki": ("expired", S.INVALID_CHAIN), "rfc5280": TRUSTED}, {}),
    "anchor pathLen 0 above an intermediate":
        ({"root": {"bc": (x509.BasicConstraints(ca=True, path_length=0), True)}},
        {"webpki": ("path_length", S.INVALID_CHAIN), "rfc5280": TRUSTED}, {}),
    # RFC 5280 rules: both profiles refuse.
    "leaf EKU clientAuth only": ({"leaf": {"eku": CLIENT_EKU}},
        {"webpki": ("extended_key_usage", S.INVALID),
         "rfc5280": ("extended_key_usage", S.INVALID)}, {}),
    "leaf keyUsage that cannot do TLS":
        ({"leaf": {"ku": (x509.KeyUsage(False, True, False, False, False, False, False, False,
                                         False), True)}},
        {"webpki": ("key_usage", S.INVALID), "rfc5280": ("key_usage", S.INVALID)}, {}),
    "leaf unknown critical extension": ({"leaf": {"extra": [UNKNOWN_CRITICAL]}},
        {"webpki": ("unknown_critical_extension", S.INVALID),
         "rfc5280": ("unknown_critical_extension", S.INVALID)}, {}),
    "intermediate unknown critical extension": ({"inter": {"extra": [UNKNOWN_CRITICAL]}},
        {"webpki": ("unknown_critical_extension", S.INVALID_CHAIN),
         "rfc5280": ("unknown_critical_extension", S.INVALID_CHAIN)}, {}),
    "intermediate not a CA":
        ({"inter": {"bc": (x509.BasicConstraints(ca=False, path_length=None), True)}},
        {"webpki": ("not_a_ca", S.INVALID_CHAIN), "rfc5280": ("not_a_ca", S.INVALID_CHAIN)}, {}),
    "intermediate without basicConstraints": ({"inter": {"bc": None}},
        {"webpki": ("not_a_ca", S.INVALID_CHAIN), "rfc5280": ("not_a_ca", S.INVALID_CHAIN)}, {}),
    "intermediate keyUsage without keyCertSign":
        ({"inter": {"ku": (x509.KeyUsage(True, False, False, False, False, False, True, False,
                                          False), True)}},
        {"webpki": ("key_usage", S.INVALID_CHAIN), "rfc5280": ("key_usage", S.INVALID_CHAIN)},
        {}),
    "intermediate pathLen 0 above another CA":
        ({"inter": {"bc": (x509.BasicConstraints(ca=True, path_length=0), True)}},
        {"webpki": ("path_length", S.INVALID_CHAIN), "rfc5280": ("path_length", S.INVALID_CHAIN)},
        {"second_intermediate": True}),
    "expired intermediate": ({"inter": {"not_after": PAST}},
        {"webpki": ("expired", S.INVALID_CHAIN), "rfc5280": ("expired", S.INVALID_CHAIN)}, {}),
    "leaf not yet valid": ({"leaf": {"not_before": datetime(2031, 1, 1, tzinfo=UTC)}},
        {"webpki": ("not_yet_valid", S.NOT_YET_VALID),
         "rfc5280": ("not_yet_valid", S.NOT_YET_VALID)}, {}),
}  # fmt: skip


@pytest.mark.parametrize("profile", ["webpki", "rfc5280"])
@pytest.mark.parametrize("second_intermediate", [False, True])
def test_the_unchanged_chain_is_trusted(profile: str, second_intermediate: bool) -> None:
    """The twin of every case below."""
    result = verdict(profile, {}, second_intermediate=second_intermediate)
    assert result.status is S.TRUSTED, result.problems
    assert result.problems == ()


@pytest.mark.parametrize("profile", ["webpki", "rfc5280"])
@pytest.mark.parametrize("case", list(CASES))
def test_rule(case: str, profile: str) -> None:
    changes, expected, options = CASES[case]
    result = verdict(profile, changes, **options)
    want = expected[profile]
    if want is TRUSTED:
        assert result.status is S.TRUSTED, result.problems
        return
    code, status = want
    assert result.status is status, result.problems
    assert code in {p.code for p in result.problems if p.status is status}, result.problems


# --- Signature algorithms and versions (crafted certificates) ------------------------------


@pytest.fixture(scope="module")
def rsa_specs() -> tuple[dict[str, Any], dict[str, Any]]:
    """A root and an intermediate with RSA keys (MD5 signatures are RSA ones)."""
    root = {**_spec("root"), "key": KeyType.RSA_2048.generate(), "subject": _name("rsa root")}
    inter = {**_spec("inter"), "key": KeyType.RSA_2048.generate(), "subject": _name("rsa ca")}
    return root, inter


SHA256_RSA = bytes.fromhex("2a864886f70d01010b")  # sha256WithRSAEncryption, OID contents
MD5_RSA = bytes.fromhex("2a864886f70d010104")  # md5WithRSAEncryption


def _md5(spec: Mapping[str, Any], issuer: Mapping[str, Any]) -> x509.Certificate:
    """`spec` issued by `issuer` (RSA) and signed with MD5: cryptography will not sign MD5
    certificates, so the algorithm OID is swapped in the DER and the TBS re-signed."""
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.serialization import Encoding

    der = _issue(spec, issuer).public_bytes(Encoding.DER)
    tbs, algorithm, _ = _children(_contents(der))
    new_tbs, new_algorithm = (x.replace(SHA256_RSA, MD5_RSA) for x in (tbs, algorithm))
    assert new_algorithm != algorithm
    signature = issuer["key"].sign(new_tbs, padding.PKCS1v15(), hashes.MD5())  # noqa: S303
    return x509.load_der_x509_certificate(
        _tlv(0x30, new_tbs + new_algorithm + _tlv(0x03, b"\x00" + signature))
    )


@pytest.mark.parametrize("profile", ["webpki", "rfc5280"])
def test_md5_only_on_an_anchors_self_signature(
    profile: str, rsa_specs: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """An MD5 self-signature on the anchor is never checked (trusted); MD5 anywhere below it is
    refused (invalidChain on a CA, invalid on the leaf): webpki by its algorithm list, and both
    profiles because the signature cannot be verified."""
    rsa_root, inter_spec = rsa_specs
    leaf_spec = _spec("leaf")
    md5_root = _md5(rsa_root, rsa_root)
    good_inter = _issue(inter_spec, rsa_root)
    md5_inter = _md5(inter_spec, rsa_root)
    good_leaf = _issue(leaf_spec, inter_spec)
    md5_leaf = _md5(leaf_spec, inter_spec)

    def run(leaf: x509.Certificate, inter: x509.Certificate) -> Any:
        return verify_chain(
            leaf, [inter], anchors=[md5_root], trust="none", revocation="off", host=HOST,
            at=NOW, profile=profile,
        )  # fmt: skip

    assert run(good_leaf, good_inter).status is S.TRUSTED
    below = {"inter": run(good_leaf, md5_inter), "leaf": run(md5_leaf, good_inter)}
    assert below["inter"].status is S.INVALID_CHAIN
    assert below["leaf"].status is S.INVALID
    for verdict_ in below.values():
        codes = {p.code for p in verdict_.problems}
        # cryptography cannot check an MD5 signature here, so it is never taken as good;
        # webpki also names the algorithm.
        assert "bad_signature" in codes
        assert ("weak_signature_algorithm" in codes) is (profile == "webpki")


def _tlv(tag: int, body: bytes) -> bytes:
    if len(body) < 0x80:
        return bytes((tag, len(body))) + body
    size = len(body).to_bytes((len(body).bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + body


def _children(data: bytes) -> list[bytes]:
    """The top-level TLVs inside a DER value's contents."""
    items, index = [], 0
    while index < len(data):
        first, start = data[index + 1], index + 2
        length = first
        if first & 0x80:
            length = int.from_bytes(data[start : start + (first & 0x7F)], "big")
            start += first & 0x7F
        items.append(data[index : start + length])
        index = start + length
    return items


def _contents(tlv: bytes) -> bytes:
    first = tlv[1]
    return tlv[2 + (first & 0x7F if first & 0x80 else 0) :]


def _v1(cert: x509.Certificate, issuer_key: Any) -> x509.Certificate:
    """`cert` re-encoded as X.509 v1 (no version field, no extensions), re-signed."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding

    tbs, algorithm, _ = _children(_contents(cert.public_bytes(Encoding.DER)))
    fields = [f for f in _children(_contents(tbs)) if f[0] not in (0xA0, 0xA3)]
    new_tbs = _tlv(0x30, b"".join(fields))
    signature = issuer_key.sign(new_tbs, ec.ECDSA(hashes.SHA256()))
    return x509.load_der_x509_certificate(
        _tlv(0x30, new_tbs + algorithm + _tlv(0x03, b"\x00" + signature))
    )


@pytest.mark.parametrize("profile", ["webpki", "rfc5280"])
def test_v1_leaf(profile: str) -> None:
    """A v1 server certificate: webpki wants v3 (bad_version); rfc5280 takes it. The host is
    not checked (a v1 certificate has no subjectAltName). Twin: the v3 original is trusted."""
    leaf, pool, root = chain({})
    v1 = _v1(leaf, KEYS["inter"])
    assert v1.version is x509.Version.v1

    def run(cert: x509.Certificate) -> Any:
        return verify_chain(
            cert, pool, anchors=[root], trust="none", revocation="off", at=NOW, profile=profile
        )

    assert run(leaf).status is S.TRUSTED
    result = run(v1)
    if profile == "rfc5280":
        assert result.status is S.TRUSTED, result.problems
    else:
        assert result.status is S.INVALID
        assert [p.code for p in result.problems] == ["bad_version"]
