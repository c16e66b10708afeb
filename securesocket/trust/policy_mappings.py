"""Decoding the policyMappings extension (RFC 5280 §4.2.1.5), which cryptography leaves raw.

    PolicyMappings ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE {
        issuerDomainPolicy   CertPolicyId,    -- OBJECT IDENTIFIER
        subjectDomainPolicy  CertPolicyId }

cryptography exposes this extension only as `UnrecognizedExtension` bytes, so this is the one
piece of DER we read ourselves: strict (definite lengths, minimal encodings, nothing trailing),
and any deviation raises `ValueError`, which marks the certificate malformed.
"""

from __future__ import annotations

from ._der import read_tlv


__all__ = ["parse_policy_mappings"]

_SEQUENCE = 0x30
_OID = 0x06


def _decode_oid(contents: bytes) -> str:
    if not contents or contents[-1] & 0x80:
        raise ValueError("bad OID encoding")
    arcs: list[int] = []
    value = 0
    fresh = True
    for byte in contents:
        if fresh and byte == 0x80:
            raise ValueError("non-minimal OID arc")
        value = (value << 7) | (byte & 0x7F)
        fresh = not byte & 0x80
        if fresh:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(arc) for arc in head + arcs[1:])


def _elements(contents: bytes) -> list[tuple[int, bytes]]:
    found = []
    offset = 0
    while offset < len(contents):
        tag, inner, offset = read_tlv(contents, offset)
        found.append((tag, inner))
    return found


def parse_policy_mappings(der: bytes) -> tuple[tuple[str, str], ...]:
    """(issuerDomainPolicy, subjectDomainPolicy) dotted-OID pairs; `ValueError` if malformed."""
    tag, contents, end = read_tlv(der, 0)
    if tag != _SEQUENCE or end != len(der):
        raise ValueError("policyMappings is not one SEQUENCE")
    pairs = []
    for item_tag, item in _elements(contents):
        parts = _elements(item) if item_tag == _SEQUENCE else []
        if len(parts) != 2 or any(t != _OID for t, _ in parts):
            raise ValueError("a policy mapping is not a pair of OIDs")
        pairs.append((_decode_oid(parts[0][1]), _decode_oid(parts[1][1])))
    if not pairs:
        raise ValueError("empty policyMappings")
    return tuple(pairs)
