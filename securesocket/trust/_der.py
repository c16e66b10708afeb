"""The few DER primitives the trust layer reads itself (where cryptography gives no accessor).

Strict: definite, minimal lengths; anything else raises `ValueError`.
"""

from __future__ import annotations

import warnings

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning


__all__ = [
    "read_tlv",
    "serial_number",
    "signature_algorithm_der",
    "structure_error",
    "tbs_der",
]

_INTEGER = 0x02
_EXPLICIT_VERSION = 0xA0
_BIT_STRING = 0x03


def read_tlv(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """(tag, contents, offset after) of the DER element at `offset`."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER")
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[offset : offset + count], "big")
        if length < 0x80 or data[offset] == 0:
            raise ValueError("non-minimal DER length")
        offset += count
    end = offset + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, data[offset:end], end


def _serial_is_positive(cert: x509.Certificate) -> bool:
    """Read the sign of the serial from the DER (touching `serial_number` would warn)."""
    try:
        _, tbs, _ = read_tlv(cert.tbs_certificate_bytes, 0)
        tag, contents, offset = read_tlv(tbs, 0)
        if tag == _EXPLICIT_VERSION:
            tag, contents, _ = read_tlv(tbs, offset)
    except ValueError:
        return False
    if tag != _INTEGER or not contents:
        return False
    return not contents[0] & 0x80 and contents != b"\x00"


def serial_number(cert: x509.Certificate) -> int:
    """The certificate's serial, without cryptography's warning for a non-positive one (a
    certificate with such a serial is still judged: the webpki profile reports it)."""
    if _serial_is_positive(cert):
        return cert.serial_number
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return cert.serial_number


def structure_error(der: bytes) -> str | None:
    """What breaks RFC 5280 §4.1.1 in the outer Certificate structure, or None.

    cryptography accepts a signature BIT STRING with unused bits and an outer
    signatureAlgorithm that differs from the one inside tbsCertificate; both change the DER
    without changing what is signed, so a tampered copy would otherwise verify.
    """
    try:
        _, body, end = read_tlv(der, 0)
        if end != len(der):
            return "trailing data after the certificate"
        _, tbs, offset = read_tlv(body, 0)
        _, outer_algorithm, offset = read_tlv(body, offset)
        tag, signature, offset = read_tlv(body, offset)
        tag_v, _, inner = read_tlv(tbs, 0)
        if tag_v == _EXPLICIT_VERSION:
            _, _, inner = read_tlv(tbs, inner)  # skip the serial after the version
        _, inner_algorithm, _ = read_tlv(tbs, inner)
    except ValueError as exc:
        return f"malformed certificate structure ({exc})"
    if offset != len(body):
        return "unexpected data after the signature"
    if tag != _BIT_STRING or not signature or signature[0] != 0:
        return "the signature BIT STRING has unused bits"
    if outer_algorithm != inner_algorithm:
        return "signatureAlgorithm differs from the one inside tbsCertificate"
    return None


def signature_algorithm_der(cert: x509.Certificate) -> bytes:
    """The exact DER of the signature AlgorithmIdentifier inside tbsCertificate (the outer
    one must be identical: `structure_error`). Raises ValueError when it cannot be read."""
    _, tbs, _ = read_tlv(cert.tbs_certificate_bytes, 0)
    tag, _, offset = read_tlv(tbs, 0)
    if tag == _EXPLICIT_VERSION:
        _, _, offset = read_tlv(tbs, offset)  # the serial after the version
    _, _, end = read_tlv(tbs, offset)
    return tbs[offset:end]


def tbs_der(der: bytes) -> bytes:
    """The tbsCertificate exactly as it is encoded in the certificate's DER: what the
    signature covers. cryptography's ``tbs_certificate_bytes`` re-encodes the parsed value
    (the same bytes, since its parser only takes DER) at several times the cost. Raises
    ValueError when the structure cannot be read."""
    _, body, _ = read_tlv(der, 0)
    _, _, end = read_tlv(body, 0)
    return body[:end]
