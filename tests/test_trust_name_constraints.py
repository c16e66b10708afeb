"""Name constraints beyond DNS and IP: e-mail, URI and directory names, permitted and excluded."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from securesocket import CertificateStatus, verify_chain


S = CertificateStatus
NOW = datetime(2030, 6, 1, tzinfo=UTC)
START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2040, 1, 1, tzinfo=UTC)


def name(*rdns: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in rdns])


ROOT_NAME = name(
    (NameOID.COUNTRY_NAME, "US"),
    (NameOID.ORGANIZATION_NAME, "NC Test"),
    (NameOID.COMMON_NAME, "Root"),
)
CA_NAME = name(
    (NameOID.COUNTRY_NAME, "US"),
    (NameOID.ORGANIZATION_NAME, "NC Test"),
    (NameOID.COMMON_NAME, "CA"),
)


def build(subject, issuer, key, signer, *, ca: bool, extensions=()) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(START)
        .not_valid_after(END)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    for extension in extensions:
        builder = builder.add_extension(
            extension, critical=isinstance(extension, x509.NameConstraints)
        )
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture(scope="module")
def keys():
    return ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())


def outcome(
    keys, constraints: x509.NameConstraints, leaf_subject: x509.Name, sans
) -> CertificateStatus:
    """Status of a leaf (with these SANs) under a CA carrying `constraints`."""
    root_key, ca_key = keys
    root = build(ROOT_NAME, ROOT_NAME, root_key, root_key, ca=True)
    ca = build(CA_NAME, ROOT_NAME, ca_key, root_key, ca=True, extensions=[constraints])
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    extensions = [x509.SubjectAlternativeName(sans)] if sans else []
    leaf = build(leaf_subject, CA_NAME, leaf_key, ca_key, ca=False, extensions=extensions)
    return verify_chain(
        leaf,
        [ca],
        anchors=[root],
        trust="none",
        revocation="off",
        host=None,
        at=NOW,
        profile="rfc5280",
    ).status


LEAF = name(
    (NameOID.COUNTRY_NAME, "US"),
    (NameOID.ORGANIZATION_NAME, "NC Test"),
    (NameOID.COMMON_NAME, "leaf"),
)
ELSEWHERE = name(
    (NameOID.COUNTRY_NAME, "US"),
    (NameOID.ORGANIZATION_NAME, "Other"),
    (NameOID.COMMON_NAME, "leaf"),
)


def permitted(*subtrees):
    return x509.NameConstraints(permitted_subtrees=list(subtrees), excluded_subtrees=None)


def excluded(*subtrees):
    return x509.NameConstraints(permitted_subtrees=None, excluded_subtrees=list(subtrees))


class TestDirectoryName:
    def test_subject_inside_permitted_subtree(self, keys) -> None:
        """Subject under C=US,O=NC Test is permitted; one under O=Other is not."""
        nc = permitted(
            x509.DirectoryName(
                name((NameOID.COUNTRY_NAME, "US"), (NameOID.ORGANIZATION_NAME, "NC Test"))
            )
        )
        assert outcome(keys, nc, LEAF, []) == S.TRUSTED
        assert outcome(keys, nc, ELSEWHERE, []) == S.INVALID_CHAIN

    def test_case_and_spacing_do_not_escape(self, keys) -> None:
        """An excluded subtree matches "nc  TEST" too (RFC 5280 name comparison)."""
        nc = excluded(
            x509.DirectoryName(
                name((NameOID.COUNTRY_NAME, "US"), (NameOID.ORGANIZATION_NAME, "NC Test"))
            )
        )
        sneaky = name(
            (NameOID.COUNTRY_NAME, "US"),
            (NameOID.ORGANIZATION_NAME, "nc  TEST"),
            (NameOID.COMMON_NAME, "x"),
        )
        assert outcome(keys, nc, sneaky, []) == S.INVALID_CHAIN
        assert outcome(keys, nc, ELSEWHERE, []) == S.TRUSTED


class TestEmail:
    def test_mailbox_host_and_domain_forms(self, keys) -> None:
        """@-form is one mailbox, a bare host is that host, a leading dot is its subdomains."""
        mailbox = permitted(x509.RFC822Name("alice@example.test"))
        host = permitted(x509.RFC822Name("example.test"))
        domain = permitted(x509.RFC822Name(".example.test"))
        assert outcome(keys, mailbox, LEAF, [x509.RFC822Name("alice@example.test")]) == S.TRUSTED
        assert (
            outcome(keys, mailbox, LEAF, [x509.RFC822Name("bob@example.test")]) == S.INVALID_CHAIN
        )
        assert outcome(keys, host, LEAF, [x509.RFC822Name("bob@example.test")]) == S.TRUSTED
        assert (
            outcome(keys, host, LEAF, [x509.RFC822Name("bob@mail.example.test")]) == S.INVALID_CHAIN
        )
        assert outcome(keys, domain, LEAF, [x509.RFC822Name("bob@mail.example.test")]) == S.TRUSTED
        assert outcome(keys, domain, LEAF, [x509.RFC822Name("bob@example.test")]) == S.INVALID_CHAIN

    def test_email_in_subject_dn_is_checked(self, keys) -> None:
        """An emailAddress attribute in the subject is held to rfc822Name constraints."""
        nc = excluded(x509.RFC822Name("evil.test"))
        with_email = name((NameOID.COMMON_NAME, "leaf"), (NameOID.EMAIL_ADDRESS, "x@evil.test"))
        with_good_email = name(
            (NameOID.COMMON_NAME, "leaf"), (NameOID.EMAIL_ADDRESS, "x@good.test")
        )
        assert outcome(keys, nc, with_email, []) == S.INVALID_CHAIN
        assert outcome(keys, nc, with_good_email, []) == S.TRUSTED


class TestURI:
    def test_uri_host(self, keys) -> None:
        """A URI constraint matches the URI's host: exact host, or subdomains with a dot."""
        exact = permitted(x509.UniformResourceIdentifier("example.test"))
        assert (
            outcome(keys, exact, LEAF, [x509.UniformResourceIdentifier("https://example.test/x")])
            == S.TRUSTED
        )
        assert (
            outcome(
                keys, exact, LEAF, [x509.UniformResourceIdentifier("https://www.example.test/")]
            )
            == S.INVALID_CHAIN
        )
        domain = permitted(x509.UniformResourceIdentifier(".example.test"))
        assert (
            outcome(
                keys, domain, LEAF, [x509.UniformResourceIdentifier("https://www.example.test/")]
            )
            == S.TRUSTED
        )


class TestDNS:
    def test_excluded_dns_subtree(self, keys) -> None:
        """An excluded DNS subtree covers the name and its subdomains, not look-alikes."""
        nc = excluded(x509.DNSName("evil.test"))
        assert outcome(keys, nc, LEAF, [x509.DNSName("a.evil.test")]) == S.INVALID_CHAIN
        assert outcome(keys, nc, LEAF, [x509.DNSName("evil.test")]) == S.INVALID_CHAIN
        assert outcome(keys, nc, LEAF, [x509.DNSName("notevil.test")]) == S.TRUSTED

    def test_unconstrained_form_is_unaffected(self, keys) -> None:
        """A DNS-only constraint does not restrict a leaf that has only an IP address."""
        nc = permitted(x509.DNSName("example.test"))
        ip = [x509.IPAddress(ipaddress.ip_address("192.0.2.7"))]
        assert outcome(keys, nc, LEAF, ip) == S.TRUSTED
        assert outcome(keys, nc, LEAF, [*ip, x509.DNSName("other.test")]) == S.INVALID_CHAIN
