"""What the hostile TLS servers present: `ServerIdentity` and the minimal `ThrowawayCA`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .._extensions import ca_key_usage, general_name


ServerKey = (
    ec.EllipticCurvePrivateKey
    | rsa.RSAPrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
    | dsa.DSAPrivateKey
)
"""The private key types a pyOpenSSL server can use."""


@dataclass(frozen=True)
class ServerIdentity:
    """What a TLS server presents: the chain as sent (leaf first) and the leaf's private key.

    A fixture-kit `LeafCert` converts as
    ``ServerIdentity((leaf.certificate, *leaf.intermediates), leaf.private_key)``.
    """

    chain: tuple[x509.Certificate, ...]
    key: ServerKey

    @property
    def leaf(self) -> x509.Certificate:
        """The end-entity certificate."""
        return self.chain[0]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class ThrowawayCA:
    """A minimal web-PKI-conformant CA for hostile servers (ECDSA P-256, valid ±30 days).

    It does not need the kit's `CA` (revocation, ledger, keys on disk): the hostile servers can
    be used on their own. `root` is the anchor a client must trust; it is never sent by a server.
    """

    def __init__(self, common_name: str = "securesocket hostile root") -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._now = datetime.datetime.now(datetime.UTC)
        self.root = self._ca_cert(_name(common_name), self._key, _name(common_name), self._key)

    def _builder(
        self, subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self._now - datetime.timedelta(days=1))
            .not_valid_after(self._now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )

    def _ca_cert(
        self,
        subject: x509.Name,
        subject_key: ec.EllipticCurvePrivateKey,
        issuer: x509.Name,
        issuer_key: ec.EllipticCurvePrivateKey,
    ) -> x509.Certificate:
        builder = (
            self._builder(subject, issuer, subject_key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(ca_key_usage(), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                critical=False,
            )
        )
        return builder.sign(issuer_key, hashes.SHA256())

    def lookalikes(self, target: x509.Certificate, count: int) -> list[x509.Certificate]:
        """`count` CA certificates with `target`'s subject and key identifier but other keys,
        each validly signed by the root: decoys that a path builder must try and reject."""
        ski = target.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        decoys = []
        for _ in range(count):
            key = ec.generate_private_key(ec.SECP256R1())
            builder = (
                x509.CertificateBuilder()
                .subject_name(target.subject)
                .issuer_name(self.root.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(self._now - datetime.timedelta(days=1))
                .not_valid_after(self._now + datetime.timedelta(days=30))
                .add_extension(ski, critical=False)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(ca_key_usage(), critical=True)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                    critical=False,
                )
            )
            decoys.append(builder.sign(self._key, hashes.SHA256()))
        return decoys

    def issue(self, *identities: str, intermediates: int = 0) -> ServerIdentity:
        """A leaf for the DNS names / IP addresses given, under `intermediates` CAs.

        The returned chain is what the server sends: leaf, then the intermediates from the
        one that signed the leaf up to the one the root signed.
        """
        if not identities:
            identities = ("localhost",)
        issuer_name, issuer_key = self.root.subject, self._key
        cas: list[x509.Certificate] = []
        for depth in range(intermediates):
            key = ec.generate_private_key(ec.SECP256R1())
            name = _name(f"securesocket hostile intermediate {depth + 1}")
            cas.append(self._ca_cert(name, key, issuer_name, issuer_key))
            issuer_name, issuer_key = name, key
        leaf_key = ec.generate_private_key(ec.SECP256R1())
        leaf = (
            self._builder(_name(identities[0]), issuer_name, leaf_key.public_key())
            .add_extension(
                x509.SubjectAlternativeName([general_name(i) for i in identities]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                critical=False,
            )
            .sign(issuer_key, hashes.SHA256())
        )
        return ServerIdentity(chain=(leaf, *reversed(cas)), key=leaf_key)
