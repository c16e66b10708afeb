"""AS3 ``X509Certificate`` and ``X500DistinguishedName`` (as3-api.md §4-§5), over `cryptography`.

String formats the AS3 reference leaves open, chosen here:

- ``serial_number``: uppercase hexadecimal of the serial's value, no separators, no ``0x``,
  padded to an even number of digits (255 → ``"FF"``, 256 → ``"0100"``). A negative serial
  (invalid, but seen in the wild) gives the hex of its two's-complement DER content octets.
- ``signature_algorithm_oid``, ``subject_public_key_algorithm_oid``: dotted decimal.
- ``signature_algorithm_params``: a `ByteArray` with the DER of the parameters field
  (``05 00`` for the NULL of RSA PKCS#1 v1.5), or None when the field is absent (ECDSA, EdDSA).
- ``subject_public_key``: lowercase hex of the subjectPublicKey BIT STRING's contents, the key
  itself without the unused-bits octet (an RSAPublicKey DER, an EC point ``04…``, 32 raw bytes
  for Ed25519). The algorithm is in ``subject_public_key_algorithm_oid``; the whole
  SubjectPublicKeyInfo is one call away through ``.certificate.public_key()``.
- ``issuer_unique_id`` / ``subject_unique_id``: uppercase hex of the BIT STRING's contents, as
  for serials; None when absent (always absent in X.509 v1 and in practice in v3).
- ``valid_not_before`` / ``valid_not_after``: timezone-aware UTC datetimes.
- ``version``: the raw 0-based field (2 means X.509 v3; 0 when the field is absent, i.e. v1).
  X.509 v2 certificates (version 1) are refused with ArgumentError: cryptography cannot load
  them. Unique IDs are therefore only ever seen in v3 certificates, where RFC 5280 allows them.
- ``X500DistinguishedName.to_string()`` (and ``str()``): RFC 4514, most specific RDN first,
  e.g. ``CN=example.org,O=Example,C=US``, with RFC 4514 escaping.

Certificates that break RFC 5280 in small ways still load, because ``serverCertificate`` must
show what the server sent: a zero or negative serial (six certifi roots have serial 0) loads
quietly; cryptography's UserWarning about a malformed name attribute (a 3-letter country) is
passed on as a warning. Anything cryptography cannot parse is ArgumentError.

cryptography has no accessor for the unique IDs, the raw signature parameters or the raw
version field, so this module reads those few fields from the DER that cryptography has
already parsed and validated, with a minimal definite-length TLV reader.
"""

from __future__ import annotations

import datetime
import ssl
import warnings
from typing import TYPE_CHECKING, Final

from cryptography import x509 as _x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from ._as3names import as3_aliases
from ._bytearray import ByteArray
from .exceptions import ArgumentError


__all__ = ["X500DistinguishedName", "X509Certificate"]

_SEQUENCE: Final = 0x30
_INTEGER: Final = 0x02
_EXPLICIT_VERSION: Final = 0xA0
_IMPLICIT_ISSUER_UID: Final = 0x81
_IMPLICIT_SUBJECT_UID: Final = 0x82


def _read_tlv(data: bytes, offset: int) -> tuple[int, int, int]:
    """Read the TLV at ``offset``: (tag, start of value, end of value). DER lengths only."""
    tag = data[offset]
    first = data[offset + 1]
    position = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        length = int.from_bytes(data[position : position + count], "big")
        position += count
    end = position + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, position, end


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """The TLVs inside a constructed value: (tag, tlv start, value start, value end)."""
    items = []
    position = start
    while position < end:
        tag, value_start, value_end = _read_tlv(data, position)
        items.append((tag, position, value_start, value_end))
        position = value_end
    return items


def _even_hex(data: bytes, *, upper: bool = True) -> str:
    text = data.hex()
    return text.upper() if upper else text


def _serial_hex(serial: int) -> str:
    if serial >= 0:
        digits = f"{serial:X}"
        return digits if len(digits) % 2 == 0 else "0" + digits
    length = (~serial).bit_length() // 8 + 1  # the fewest octets that hold it signed
    return _even_hex(serial.to_bytes(length, "big", signed=True))


def _serial_is_positive(der: bytes) -> bool:
    """Whether the serial INTEGER in this DER is > 0 (True when the DER cannot be read: then
    cryptography reports the real problem)."""
    try:
        _tag, start, _end = _read_tlv(der, 0)
        _tag, tbs_start, _end = _read_tlv(der, start)
        tag, value_start, value_end = _read_tlv(der, tbs_start)
        if tag == _EXPLICIT_VERSION:
            tag, value_start, value_end = _read_tlv(der, value_end)
    except (ValueError, IndexError):
        return True
    content = der[value_start:value_end]
    return tag != _INTEGER or (bool(content) and content[0] < 0x80 and any(content))


def _load_der(der: bytes) -> _x509.Certificate:
    """Load DER. A zero or negative serial (against RFC 5280, but still sent by real servers on
    home-made certificates) loads without cryptography's deprecation warning, so
    serverCertificate can show what the server sent. The process-global warning filter is
    touched only for those rare certificates."""
    if _serial_is_positive(der):
        return _x509.load_der_x509_certificate(der)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return _x509.load_der_x509_certificate(der)


@as3_aliases
class X500DistinguishedName:
    """AS3 ``flash.security.X500DistinguishedName``: the six common DN attributes.

    When the DN repeats an attribute, the first occurrence (in encoding order) is returned;
    an absent attribute is None.

    Args:
        name: a `cryptography.x509.Name`.
    """

    def __init__(self, name: _x509.Name) -> None:
        if not isinstance(name, _x509.Name):
            raise ArgumentError(f"X500DistinguishedName needs a cryptography Name, not {name!r}")
        self._name = name

    @property
    def name(self) -> _x509.Name:
        """The underlying `cryptography.x509.Name`."""
        return self._name

    def _first(self, oid: _x509.ObjectIdentifier) -> str | None:
        for attribute in self._name.get_attributes_for_oid(oid):
            value = attribute.value
            return value if isinstance(value, str) else value.decode("utf-8", "replace")
        return None

    @property
    def common_name(self) -> str | None:
        """CN."""
        return self._first(NameOID.COMMON_NAME)

    @property
    def country_name(self) -> str | None:
        """C."""
        return self._first(NameOID.COUNTRY_NAME)

    @property
    def locality_name(self) -> str | None:
        """L."""
        return self._first(NameOID.LOCALITY_NAME)

    @property
    def organization_name(self) -> str | None:
        """O."""
        return self._first(NameOID.ORGANIZATION_NAME)

    @property
    def organizational_unit_name(self) -> str | None:
        """OU."""
        return self._first(NameOID.ORGANIZATIONAL_UNIT_NAME)

    @property
    def state_or_province_name(self) -> str | None:
        """ST."""
        return self._first(NameOID.STATE_OR_PROVINCE_NAME)

    def to_string(self) -> str:
        """The whole DN in RFC 4514 form, most specific first (``CN=…,O=…,C=…``)."""
        return self._name.rfc4514_string()

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        return f"<X500DistinguishedName {self.to_string()!r}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, X500DistinguishedName):
            return NotImplemented
        return self._name == other._name

    def __hash__(self) -> int:
        return hash(self._name)

    if TYPE_CHECKING:  # the AS3 spellings, for type checkers; as3_aliases installs them
        commonName = common_name
        countryName = country_name
        localityName = locality_name
        organizationName = organization_name
        organizationalUnitName = organizational_unit_name
        stateOrProvinceName = state_or_province_name
        toString = to_string


@as3_aliases
class X509Certificate:
    """AS3 ``flash.security.X509Certificate``, read-only, over a cryptography certificate.

    Args:
        certificate: DER bytes (or a `ByteArray` holding them), or a
            `cryptography.x509.Certificate`.

    Raises:
        ArgumentError: the bytes are not a DER X.509 certificate.
    """

    def __init__(self, certificate: _x509.Certificate | bytes | bytearray | ByteArray) -> None:
        if isinstance(certificate, _x509.Certificate):
            self._certificate = certificate
        elif isinstance(certificate, bytes | bytearray | memoryview | ByteArray):
            try:
                self._certificate = _load_der(bytes(certificate))
            except (ValueError, _x509.InvalidVersion) as exc:
                raise ArgumentError(f"not a DER X.509 certificate: {exc}") from exc
        else:
            raise ArgumentError(f"X509Certificate needs DER bytes, not {type(certificate)!r}")
        self._der = self._certificate.public_bytes(Encoding.DER)
        try:
            self._fields = _RawFields(self._der)
            # cryptography parses some fields on first access; touch them now so a malformed
            # certificate fails here, as ArgumentError, and never later from a property.
            certificate = self._certificate
            self._issuer = X500DistinguishedName(certificate.issuer)
            self._subject = X500DistinguishedName(certificate.subject)
            # From the DER, not `certificate.serial_number`: cryptography warns (deprecation)
            # on zero or negative serials, which real servers still send on home-made
            # certificates, and serverCertificate must show what was sent.
            self._serial_number = _serial_hex(self._fields.serial)
            _ = (certificate.not_valid_before_utc, certificate.not_valid_after_utc)
            _ = (certificate.signature_algorithm_oid, certificate.public_key_algorithm_oid)
        except (ValueError, IndexError) as exc:
            raise ArgumentError(f"malformed certificate DER: {exc}") from exc

    @classmethod
    def from_pem(cls, pem: bytes | str) -> X509Certificate:
        """Build from one PEM certificate (the first, if the text holds several).

        Raises:
            ArgumentError: not a PEM certificate.
        """
        text = pem.decode("ascii", "replace") if isinstance(pem, bytes) else pem
        start = text.find(ssl.PEM_HEADER)
        end = text.find(ssl.PEM_FOOTER, start)
        if start < 0 or end < 0:
            raise ArgumentError("not a PEM X.509 certificate: no CERTIFICATE block")
        try:
            der = ssl.PEM_cert_to_DER_cert(text[start : end + len(ssl.PEM_FOOTER)])
        except ValueError as exc:
            raise ArgumentError(f"not a PEM X.509 certificate: {exc}") from exc
        try:
            return cls(der)
        except ArgumentError as exc:
            raise ArgumentError(f"the PEM block is not a valid certificate: {exc}") from exc

    @property
    def certificate(self) -> _x509.Certificate:
        """The underlying `cryptography.x509.Certificate` (extensions, public key, ...)."""
        return self._certificate

    @property
    def der(self) -> bytes:
        """The whole certificate, DER-encoded, as bytes."""
        return self._der

    @property
    def encoded(self) -> ByteArray:
        """The whole certificate, DER-encoded, in a new `ByteArray` (AS3's only route to
        extensions)."""
        return ByteArray(self._der)

    @property
    def issuer(self) -> X500DistinguishedName:
        """The issuer DN."""
        return self._issuer

    @property
    def subject(self) -> X500DistinguishedName:
        """The subject DN."""
        return self._subject

    @property
    def serial_number(self) -> str:
        """Uppercase hex, even length, no separators (see the module docstring)."""
        return self._serial_number

    @property
    def signature_algorithm_oid(self) -> str:
        """Dotted OID of the signature algorithm, e.g. ``"1.2.840.10045.4.3.2"``."""
        return self._certificate.signature_algorithm_oid.dotted_string

    @property
    def signature_algorithm_params(self) -> ByteArray | None:
        """DER of the signature algorithm's parameters; None when the field is absent."""
        raw = self._fields.signature_params
        return None if raw is None else ByteArray(raw)

    @property
    def subject_public_key(self) -> str:
        """Lowercase hex of the key bits (see the module docstring)."""
        return _even_hex(self._fields.subject_public_key, upper=False)

    @property
    def subject_public_key_algorithm_oid(self) -> str:
        """Dotted OID of the public-key algorithm, e.g. ``"1.2.840.10045.2.1"`` (EC)."""
        return self._certificate.public_key_algorithm_oid.dotted_string

    @property
    def issuer_unique_id(self) -> str | None:
        """Uppercase hex of the issuerUniqueID bits; None when absent."""
        raw = self._fields.issuer_unique_id
        return None if raw is None else _even_hex(raw)

    @property
    def subject_unique_id(self) -> str | None:
        """Uppercase hex of the subjectUniqueID bits; None when absent."""
        raw = self._fields.subject_unique_id
        return None if raw is None else _even_hex(raw)

    @property
    def valid_not_before(self) -> datetime.datetime:
        """Start of validity, aware UTC."""
        return self._certificate.not_valid_before_utc

    @property
    def valid_not_after(self) -> datetime.datetime:
        """End of validity, aware UTC."""
        return self._certificate.not_valid_after_utc

    @property
    def version(self) -> int:
        """The raw 0-based version field: 2 for X.509 v3, 0 for v1."""
        return self._fields.version

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, X509Certificate):
            return NotImplemented
        return self._der == other._der

    def __hash__(self) -> int:
        return hash(self._der)

    def __repr__(self) -> str:
        return f"<X509Certificate subject={self.subject.to_string()!r} serial={self.serial_number}>"

    if TYPE_CHECKING:  # the AS3 spellings, for type checkers; as3_aliases installs them
        issuerUniqueID = issuer_unique_id
        serialNumber = serial_number
        signatureAlgorithmOID = signature_algorithm_oid
        signatureAlgorithmParams = signature_algorithm_params
        subjectPublicKey = subject_public_key
        subjectPublicKeyAlgorithmOID = subject_public_key_algorithm_oid
        subjectUniqueID = subject_unique_id
        validNotBefore = valid_not_before
        validNotAfter = valid_not_after


class _RawFields:
    """The fields cryptography does not expose, read from the certificate's DER."""

    __slots__ = (
        "issuer_unique_id",
        "serial",
        "signature_params",
        "subject_public_key",
        "subject_unique_id",
        "version",
    )

    def __init__(self, der: bytes) -> None:
        tag, start, end = _read_tlv(der, 0)
        if tag != _SEQUENCE:
            raise ValueError("certificate is not a SEQUENCE")
        tbs, signature_algorithm, _signature = _children(der, start, end)[:3]
        # signatureAlgorithm: SEQUENCE { OID, parameters OPTIONAL }
        algorithm_parts = _children(der, signature_algorithm[2], signature_algorithm[3])
        self.signature_params: bytes | None = None
        if len(algorithm_parts) > 1:
            _tag, tlv_start, _value_start, value_end = algorithm_parts[1]
            self.signature_params = der[tlv_start:value_end]
        fields = _children(der, tbs[2], tbs[3])
        self.version = 0
        if fields[0][0] == _EXPLICIT_VERSION:
            inner_tag, value_start, value_end = _read_tlv(der, fields[0][2])
            if inner_tag != _INTEGER:
                raise ValueError("version is not an INTEGER")
            self.version = int.from_bytes(der[value_start:value_end], "big")
            fields = fields[1:]
        # serial, signature, issuer, validity, subject, subjectPublicKeyInfo, then optionals.
        serial_tag, _start, serial_start, serial_end = fields[0]
        if serial_tag != _INTEGER:
            raise ValueError("serialNumber is not an INTEGER")
        self.serial = int.from_bytes(der[serial_start:serial_end], "big", signed=True)
        spki = fields[5]
        _algorithm, key_bits = _children(der, spki[2], spki[3])[:2]
        # BIT STRING contents start with the count of unused bits; the key follows.
        self.subject_public_key = der[key_bits[2] + 1 : key_bits[3]]
        self.issuer_unique_id: bytes | None = None
        self.subject_unique_id: bytes | None = None
        for field_tag, _tlv_start, value_start, value_end in fields[6:]:
            if field_tag == _IMPLICIT_ISSUER_UID:
                self.issuer_unique_id = der[value_start + 1 : value_end]
            elif field_tag == _IMPLICIT_SUBJECT_UID:
                self.subject_unique_id = der[value_start + 1 : value_end]
