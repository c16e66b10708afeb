"""Names and extension values the kit writes: subjects, SAN entries, name-constraint
subtrees, key usage."""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ._keys import PrivateKey


__all__ = [
    "ca_key_usage",
    "certificate_body",
    "general_name",
    "leaf_key_usage",
    "subject_name",
    "subtree",
]


def general_name(identity: str) -> x509.GeneralName:
    """A SAN entry: an IP address, an e-mail, a URI, or a DNS name (IDNA-encoded)."""
    if not identity or identity != identity.strip():
        raise ValueError(f"not a usable identity: {identity!r}")
    try:
        return x509.IPAddress(ipaddress.ip_address(identity))
    except ValueError:
        pass
    if "@" in identity:
        return x509.RFC822Name(identity)
    if "://" in identity:
        return x509.UniformResourceIdentifier(identity)
    try:
        ascii_name = identity.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"not a DNS name, IP address, e-mail or URI: {identity!r}") from exc
    labels = ascii_name.rstrip(".").split(".")
    if not all(_DNS_LABEL.fullmatch(label) for label in labels[1:]) or not (
        labels[0] == "*" or _DNS_LABEL.fullmatch(labels[0])
    ):
        raise ValueError(f"not a DNS name, IP address, e-mail or URI: {identity!r}")
    return x509.DNSName(ascii_name)


# A host name label (underscores allowed: test fixtures meet them in the wild).
_DNS_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


def subject_name(organization: str | None, unit: str | None, common_name: str | None) -> x509.Name:
    """A fixture subject: O (default "securesocket testing"), then OU and CN when given."""
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization or "securesocket testing")]
    if unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    if common_name is not None:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def certificate_body(
    subject: x509.Name,
    key: PrivateKey,
    *,
    serial: int | None,
    not_before: _dt.datetime,
    not_after: _dt.datetime,
    ca: bool,
    path_length: int | None = None,
) -> x509.CertificateBuilder:
    """What every certificate of the kit starts with: subject, key, serial (default random),
    validity, critical basicConstraints and keyUsage for ``ca`` or an end entity, and SKI."""
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .public_key(public_key)
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True
        )
        .add_extension(ca_key_usage() if ca else leaf_key_usage(key), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def subtree(name: str) -> x509.GeneralName:
    """A name-constraints subtree: an IP network (``10.0.0.0/8``) or a DNS suffix."""
    if "/" in name:
        return x509.IPAddress(ipaddress.ip_network(name))
    return x509.DNSName(name)


def ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def leaf_key_usage(key: PrivateKey) -> x509.KeyUsage:
    # RSA key exchange (TLS 1.2 RSA kx) needs keyEncipherment; harmless otherwise.
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=isinstance(key, rsa.RSAPrivateKey),
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
