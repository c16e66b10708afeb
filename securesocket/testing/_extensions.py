"""Extension values the kit writes: SAN entries, name-constraint subtrees, key usage."""

from __future__ import annotations

import ipaddress
import re

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from ._keys import PrivateKey


__all__ = ["ca_key_usage", "general_name", "leaf_key_usage", "subtree"]


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
