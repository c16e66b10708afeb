"""Comparing X.500 names the way RFC 5280 §7.1 asks: by attribute, ignoring case and spacing.

Issuer/subject chaining and directoryName constraints compare names that may be encoded
differently (PrintableString vs UTF8String, "Test  CA" vs "test ca"). We reduce every name to a
key: a tuple of RDNs, each a sorted tuple of (OID, normalised value). String values are
case-folded with runs of inner whitespace collapsed and outer whitespace removed (the subset of
RFC 4518 string preparation that real certificates exercise); binary values are kept as bytes.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography import x509


__all__ = ["NameKey", "is_within", "issuer_text", "name_key", "subject_text"]

NameKey = tuple[tuple[tuple[str, str | bytes], ...], ...]


def _normalise(value: str | bytes) -> str | bytes:
    if isinstance(value, bytes):
        return value
    return " ".join(value.split()).casefold()


@lru_cache(maxsize=8192)
def name_key(name: x509.Name) -> NameKey:
    """The comparison key of a name: equal keys mean RFC 5280 considers the names equal."""
    return tuple(
        tuple(sorted((attr.oid.dotted_string, _normalise(attr.value)) for attr in rdn))
        for rdn in name.rdns
    )


def is_within(name: NameKey, subtree: NameKey) -> bool:
    """Whether `name` lies in the directory subtree rooted at `subtree` (RDN prefix match)."""
    return len(name) >= len(subtree) and name[: len(subtree)] == subtree


def subject_text(cert: x509.Certificate) -> str:
    """The subject as RFC 4514 text, or a marker when it does not parse (for messages)."""
    try:
        return cert.subject.rfc4514_string()
    except (ValueError, TypeError):
        return "<unparseable subject>"


def issuer_text(cert: x509.Certificate) -> str:
    """The issuer as RFC 4514 text, or a marker when it does not parse (for messages)."""
    try:
        return cert.issuer.rfc4514_string()
    except (ValueError, TypeError):
        return "<unparseable issuer>"
