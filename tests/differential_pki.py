"""Chains described by small frozen specs, built deterministically, and three verdicts on them.

Used by the differential tests of the trust core (tests/test_trust_differential.py): a spec
says how each certificate deviates from a good web-PKI chain (validity, basicConstraints,
pathLen, keyUsage, EKU, name constraints, critical unknown extensions, key type, signature
hash, SAN list, key identifiers, cross-signs, pool junk); `build` turns it into certificates
with the fixture kit's fixed keys and deterministic signing (`securesocket.testing`), and
`ours`, `pyca` and `openssl` verify the result. The fixture `CA` class always writes its own
default extensions, so deviations such as "no keyUsage at all" are built here directly with
cryptography's builder and signed with the kit's `sign_builder`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from securesocket import verify_chain
from securesocket.testing import KeyType, fixed_key
from securesocket.testing._keys import PrivateKey
from securesocket.testing.ca import sign_builder
from securesocket.trust import Verification


AT = datetime(2030, 6, 1, tzinfo=UTC)
_WINDOWS = {
    "ok": (datetime(2025, 1, 1, tzinfo=UTC), datetime(2035, 1, 1, tzinfo=UTC)),
    "expired": (datetime(2021, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)),
    "not_yet": (datetime(2031, 1, 1, tzinfo=UTC), datetime(2036, 1, 1, tzinfo=UTC)),
    # The edges: RFC 5280 §4.1.2.5 makes both ends of the window part of it.
    "ends_now": (datetime(2025, 1, 1, tzinfo=UTC), AT),
    "starts_now": (AT, datetime(2035, 1, 1, tzinfo=UTC)),
    "ended_a_second_ago": (datetime(2025, 1, 1, tzinfo=UTC), AT - timedelta(seconds=1)),
    "starts_in_a_second": (AT + timedelta(seconds=1), datetime(2035, 1, 1, tzinfo=UTC)),
}
_KEY_TYPES = {
    "p256": KeyType.ECDSA_P256,
    "p384": KeyType.ECDSA_P384,
    "ed25519": KeyType.ED25519,
    "rsa2048": KeyType.RSA_2048,
    "rsa1024": KeyType.RSA_1024,
}
# The committed RSA pool has a fixed set of labels (securesocket/testing/data/rsa_keys.json).
_RSA_LABELS = {
    "root": "root",
    "other-root": "other-root",
    "inter-0": "intermediate",
    "inter-1": "intermediate-2",
    "inter-2": "spare-2",
    "lookalike": "other-intermediate",
    "leaf": "spare-1",
}
_HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
EKUS = {
    "server": ExtendedKeyUsageOID.SERVER_AUTH,
    "client": ExtendedKeyUsageOID.CLIENT_AUTH,
    "any": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
}
UNKNOWN_EXTENSION = x509.UnrecognizedExtension(
    x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00"
)


@dataclass(frozen=True)
class CASpec:
    """A CA certificate (root or intermediate); `hash` is how its issuer signs it."""

    key: str = "p256"
    hash: str = "sha256"
    validity: str = "ok"
    ca_flag: str = "ca"  # "ca", "not_ca", "absent" (no basicConstraints)
    bc_critical: bool = True
    path_len: int | None = None
    key_usage: str = "ca"  # "ca" (keyCertSign+cRLSign), "no_cert_sign", "absent"
    eku: tuple[str, ...] | None = None
    permitted: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    unknown_critical: bool = False
    #: An intermediate with its issuer's name and its own key (a key rollover certificate).
    self_issued: bool = False


@dataclass(frozen=True)
class LeafSpec:
    """The server certificate."""

    key: str = "p256"
    hash: str = "sha256"
    validity: str = "ok"
    sans: tuple[str, ...] = ("example.com",)
    # Not a host name, so OpenSSL never reads it as one (it checks host-like CNs against name
    # constraints; we never use the CN as a name at all).
    common_name: str = "Differential Leaf"
    eku: tuple[str, ...] | None = ("server",)
    key_usage: str = "ds"  # "ds", "ke", "ds_cert_sign", "crl_only", "absent"
    basic: str = "not_ca"  # "not_ca", "absent", "ca"
    unknown_critical: bool = False
    aki: str = "right"  # "right", "absent", "wrong"
    san_critical: bool = False


@dataclass(frozen=True)
class ChainSpec:
    """Root → intermediates (top down) → leaf, what the server sends, and the host."""

    root: CASpec = CASpec()
    intermediates: tuple[CASpec, ...] = (CASpec(),)
    leaf: LeafSpec = LeafSpec()
    host: str = "example.com"
    # A second root that cross-signs the first intermediate (same name and key); which roots
    # are trusted; whether the cross-certificate is expired.
    cross_sign: bool = False
    cross_expired: bool = False
    trust_root: bool = True
    trust_other_root: bool = False
    #: The first intermediate is a trust anchor too (AS3: added with trusted=True).
    trust_intermediate: bool = False
    # Pool shaping: the order sent, a look-alike intermediate (same name, other key), junk.
    reverse_pool: bool = False
    lookalike: bool = False
    junk: bool = False
    send_root: bool = False


@dataclass
class Built:
    """The certificates of a built spec."""

    leaf: x509.Certificate
    pool: list[x509.Certificate]
    anchors: list[x509.Certificate]
    junk: list[bytes] = field(default_factory=list)


def _key(role: str, kind: str) -> PrivateKey:
    if kind == "p521":  # not a fixture-kit key type; derived the same way
        seed = hashlib.sha256(f"differential-{role}-p521".encode()).digest()
        return ec.derive_private_key(int.from_bytes(seed, "big"), ec.SECP521R1())
    key_type = _KEY_TYPES[kind]
    if kind == "rsa1024":
        return fixed_key("weak-leaf", key_type)
    if kind == "rsa2048":
        return fixed_key(_RSA_LABELS[role], key_type)
    return fixed_key(f"differential-{role}", key_type)


# RSASSA-PSS over SHA-256: the usual parameters, MGF1 over another hash, and no salt.
_PSS = {
    "pss": padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
    "pss_mgf1_sha512": padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=32),
    "pss_salt0": padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=0),
}


def _hash_for(signer_kind: str, name: str) -> hashes.HashAlgorithm | None:
    if signer_kind == "ed25519":
        return None
    if name in _PSS:
        return hashes.SHA256()  # a PSS variant asked of a non-RSA signer: its plain form
    if name == "sha1":
        if signer_kind.startswith("rsa"):
            return hashes.SHA1()  # noqa: S303 - the weak-signature case, on purpose
        return hashes.SHA256()
    return _HASHES[name]()


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "securesocket differential"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def general_name(text: str) -> x509.GeneralName:
    """A GeneralName from text: "email:", "uri:" or "dir:" (an O= name) prefixed, an IP
    network ("/"), an IP address, else a DNS name."""
    kind, _, value = text.partition(":")
    if kind == "email":
        return x509.RFC822Name(value)
    if kind == "uri":
        return x509.UniformResourceIdentifier(value)
    if kind == "dir":
        return x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, value)]))
    if "/" in text:
        return x509.IPAddress(ipaddress.ip_network(text))
    try:
        return x509.IPAddress(ipaddress.ip_address(text))
    except ValueError:
        return x509.DNSName(text)


def _key_usage(kind: str, *, rsa: bool) -> x509.KeyUsage | None:
    flags = {
        "ca": {"key_cert_sign", "crl_sign", "digital_signature"},
        "no_cert_sign": {"crl_sign", "digital_signature"},
        "ds": {"digital_signature"} | ({"key_encipherment"} if rsa else set()),
        "ke": {"key_encipherment"},
        "ds_cert_sign": {"digital_signature", "key_cert_sign"},
        "crl_only": {"crl_sign"},
    }.get(kind)
    if flags is None:
        return None
    names = [
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    ]
    return x509.KeyUsage(**{n: n in flags for n in names})


def _serial(label: str) -> int:
    return int.from_bytes(label.encode().ljust(16, b"\0")[:16], "big") >> 1 | 1


def _sign(
    *,
    label: str,
    subject: x509.Name,
    issuer: x509.Name,
    subject_key: PrivateKey,
    issuer_key: PrivateKey,
    signer_kind: str,
    hash_name: str,
    validity: str,
    extensions: list[tuple[x509.ExtensionType, bool]],
) -> x509.Certificate:
    start, end = _WINDOWS[validity]
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(subject_key.public_key())
        .serial_number(_serial(label))
        .not_valid_before(start)
        .not_valid_after(end)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    if hash_name in _PSS and signer_kind.startswith("rsa"):
        return builder.sign(issuer_key, hashes.SHA256(), rsa_padding=_PSS[hash_name])
    cert = sign_builder(builder, issuer_key, _hash_for(signer_kind, hash_name))
    assert isinstance(cert, x509.Certificate)
    return cert


def _ca_extensions(
    spec: CASpec, key: PrivateKey, issuer_key: PrivateKey
) -> list[tuple[x509.ExtensionType, bool]]:
    out: list[tuple[x509.ExtensionType, bool]] = []
    if spec.ca_flag != "absent":
        is_ca = spec.ca_flag == "ca"
        constraints = x509.BasicConstraints(is_ca, spec.path_len if is_ca else None)
        out.append((constraints, spec.bc_critical))
    usage = _key_usage(spec.key_usage, rsa=False)
    if usage is not None:
        out.append((usage, True))
    if spec.eku is not None:
        out.append((x509.ExtendedKeyUsage([EKUS[e] for e in spec.eku]), False))
    if spec.permitted or spec.excluded:
        constraints_ext = x509.NameConstraints(
            [general_name(n) for n in spec.permitted] or None,
            [general_name(n) for n in spec.excluded] or None,
        )
        out.append((constraints_ext, True))
    out.append((x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False))
    out.append((x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False))
    if spec.unknown_critical:
        out.append((UNKNOWN_EXTENSION, True))
    return out


def _leaf_extensions(
    spec: LeafSpec, key: PrivateKey, issuer_key: PrivateKey, wrong_key: PrivateKey
) -> list[tuple[x509.ExtensionType, bool]]:
    out: list[tuple[x509.ExtensionType, bool]] = []
    if spec.basic != "absent":
        out.append((x509.BasicConstraints(spec.basic == "ca", None), True))
    usage = _key_usage(spec.key_usage, rsa=spec.key.startswith("rsa"))
    if usage is not None:
        out.append((usage, True))
    if spec.eku is not None:
        out.append((x509.ExtendedKeyUsage([EKUS[e] for e in spec.eku]), False))
    if spec.sans:
        names = [general_name(n) for n in spec.sans]
        out.append((x509.SubjectAlternativeName(names), spec.san_critical))
    out.append((x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False))
    if spec.aki != "absent":
        aki_key = issuer_key if spec.aki == "right" else wrong_key
        out.append(
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(aki_key.public_key()), False)
        )
    if spec.unknown_critical:
        out.append((UNKNOWN_EXTENSION, True))
    return out


def build(spec: ChainSpec) -> Built:
    """The certificates `spec` describes (same spec, same bytes)."""
    root_key = _key("root", spec.root.key)
    root_name = _name("Differential Root")
    root = _sign(
        label="root",
        subject=root_name,
        issuer=root_name,
        subject_key=root_key,
        issuer_key=root_key,
        signer_kind=spec.root.key,
        hash_name=spec.root.hash,
        validity=spec.root.validity,
        extensions=_ca_extensions(spec.root, root_key, root_key),
    )
    pool: list[x509.Certificate] = []
    anchors = [root] if spec.trust_root else []
    issuer_name, issuer_key, issuer_kind = root_name, root_key, spec.root.key
    first: tuple[x509.Name, PrivateKey, CASpec] | None = None
    for index, inter in enumerate(spec.intermediates):
        role = f"inter-{index}"
        key = _key(role, inter.key)
        name = issuer_name if inter.self_issued else _name(f"Differential Intermediate {index}")
        pool.append(
            _sign(
                label=role,
                subject=name,
                issuer=issuer_name,
                subject_key=key,
                issuer_key=issuer_key,
                signer_kind=issuer_kind,
                hash_name=inter.hash,
                validity=inter.validity,
                extensions=_ca_extensions(inter, key, issuer_key),
            )
        )
        if first is None:
            first = (name, key, inter)
        issuer_name, issuer_key, issuer_kind = name, key, inter.key
    leaf_key = _key("leaf", spec.leaf.key)
    leaf = _sign(
        label="leaf",
        subject=_name(spec.leaf.common_name) if spec.leaf.common_name else x509.Name([]),
        issuer=issuer_name,
        subject_key=leaf_key,
        issuer_key=issuer_key,
        signer_kind=issuer_kind,
        hash_name=spec.leaf.hash,
        validity=spec.leaf.validity,
        extensions=_leaf_extensions(spec.leaf, leaf_key, issuer_key, _key("lookalike", "p256")),
    )
    if spec.trust_intermediate and pool:
        anchors.append(pool[0])
    if spec.cross_sign and first is not None:
        other_key = _key("other-root", "p256")
        other_name = _name("Differential Other Root")
        other_spec = CASpec()
        other_root = _sign(
            label="other-root",
            subject=other_name,
            issuer=other_name,
            subject_key=other_key,
            issuer_key=other_key,
            signer_kind="p256",
            hash_name="sha256",
            validity="ok",
            extensions=_ca_extensions(other_spec, other_key, other_key),
        )
        name, key, inter = first
        cross_spec = CASpec(key=inter.key)
        pool.append(
            _sign(
                label="cross",
                subject=name,
                issuer=other_name,
                subject_key=key,
                issuer_key=other_key,
                signer_kind="p256",
                hash_name="sha256",
                validity="expired" if spec.cross_expired else "ok",
                extensions=_ca_extensions(cross_spec, key, other_key),
            )
        )
        if spec.trust_other_root:
            anchors.append(other_root)
    if spec.lookalike and spec.intermediates:
        # Same subject as the issuing intermediate, another key: a dead end to back out of.
        fake_key = _key("lookalike", "p256")
        pool.append(
            _sign(
                label="lookalike",
                subject=issuer_name,
                issuer=root_name,
                subject_key=fake_key,
                issuer_key=root_key,
                signer_kind=spec.root.key,
                hash_name="sha256",
                validity="ok",
                extensions=_ca_extensions(CASpec(), fake_key, root_key),
            )
        )
    if spec.send_root:
        pool.append(root)
    if spec.reverse_pool:
        pool.reverse()
    junk = [b"\x30\x03\x02\x01\x00", b"not a certificate"] if spec.junk else []
    return Built(leaf, pool, anchors, junk)


def ours(built: Built, host: str) -> Verification:
    """Our verdict: webpki profile, no revocation, no platform roots, at `AT`."""
    return verify_chain(
        built.leaf,
        [*built.pool, *built.junk],
        anchors=built.anchors,
        host=host,
        at=AT,
        trust="none",
        profile="webpki",
        revocation="off",
    )


def pyca(built: Built, host: str) -> str | None:
    """cryptography's server verifier: None when it accepts, else its reason."""
    if not built.anchors:
        return "no trust anchors"
    try:
        subject: x509.verification.Subject = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        try:
            subject = x509.DNSName(host)
        except ValueError as exc:  # cryptography refuses the name outright
            return f"invalid host: {exc}"
    try:
        verifier = (
            PolicyBuilder().store(Store(built.anchors)).time(AT).build_server_verifier(subject)
        )
        verifier.verify(built.leaf, built.pool)
    except VerificationError as exc:
        return str(exc)
    except ValueError as exc:
        return f"refused: {exc}"
    return None


def _pem(certs: list[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(Encoding.PEM) for c in certs)


def openssl(built: Built, host: str) -> str | None:
    """`openssl verify -x509_strict -purpose sslserver` with the host: None when it accepts."""
    if not built.anchors:
        return "no trust anchors"
    if "\0" in host:
        raise ValueError("a host with a NUL byte cannot be passed to openssl verify")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "anchors.pem").write_bytes(_pem(built.anchors))
        (folder / "pool.pem").write_bytes(_pem(built.pool))
        (folder / "leaf.pem").write_bytes(_pem([built.leaf]))
        try:
            ipaddress.ip_address(host)
            name_args = ["-verify_ip", host]
        except ValueError:
            name_args = ["-verify_hostname", host]
        command = [
            "openssl",
            "verify",
            "-attime",
            str(int(AT.timestamp())),
            "-x509_strict",
            "-purpose",
            "sslserver",
            *name_args,
            "-CAfile",
            str(folder / "anchors.pem"),
            *(["-untrusted", str(folder / "pool.pem")] if built.pool else []),
            str(folder / "leaf.pem"),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode == 0:
        return None
    return (done.stdout + done.stderr).strip().replace("\n", " | ")[-300:]
