"""Parsed CRLs: the fields RFC 5280 §6.3 needs, and a serial index built once per CRL.

`ParsedCrl.from_der` never raises for bad input: a CRL that cannot be used carries `problem`
(not DER, an unknown critical extension, ...) so the report can say why it was ignored. The index
maps (certificate issuer, serial) to the entry, so a lookup is one dict access whatever the size
of the CRL; for indirect CRLs the issuer follows the certificateIssuer entry extensions.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import CRLEntryExtensionOID, ExtensionOID


__all__ = ["CrlEntry", "ParsedCrl", "load_crl", "load_supplied_crl", "serial_of"]

_KNOWN_CRL_EXTENSIONS = frozenset(
    {
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.ISSUER_ALTERNATIVE_NAME,
        ExtensionOID.CRL_NUMBER,
        ExtensionOID.DELTA_CRL_INDICATOR,
        ExtensionOID.ISSUING_DISTRIBUTION_POINT,
        ExtensionOID.FRESHEST_CRL,
        ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
    }
)
_KNOWN_ENTRY_EXTENSIONS = frozenset(
    {
        CRLEntryExtensionOID.CRL_REASON,
        CRLEntryExtensionOID.INVALIDITY_DATE,
        CRLEntryExtensionOID.CERTIFICATE_ISSUER,
    }
)


@dataclass(frozen=True)
class CrlEntry:
    """One revoked certificate: when, and why (`reason` is the RFC 5280 name)."""

    revoked_at: datetime | None
    reason: x509.ReasonFlags | None

    @classmethod
    def of(cls, revoked: x509.RevokedCertificate) -> CrlEntry:
        """Decode an entry; a listed serial stays listed even if its details are malformed."""
        try:
            when: datetime | None = revoked.revocation_date_utc
        except ValueError:
            when = None
        try:
            reason = revoked.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except (x509.ExtensionNotFound, ValueError):
            reason = None
        return cls(when, reason)


@dataclass(frozen=True, eq=False)
class ParsedCrl:
    """A CRL with its §6.3 fields extracted and its entries indexed.

    Attributes:
        crl: the cryptography object (None when the bytes did not parse).
        origin: "supplied", "fetched" or "cache"; url: where it came from, if fetched.
        problem: why it cannot be used at all, or None.
        positions: serial (or (certificate issuer, serial) in an indirect CRL) → the entry's
            position in the CRL; the entry itself is decoded only when looked up, so a
            million-entry CRL costs two small ints per entry, not objects.
    """

    crl: x509.CertificateRevocationList | None
    origin: str
    url: str | None = None
    problem: str | None = None
    issuer: x509.Name = field(default_factory=lambda: x509.Name([]))
    this_update: datetime | None = None
    next_update: datetime | None = None
    number: int | None = None
    delta_base: int | None = None
    idp: x509.IssuingDistributionPoint | None = None
    idp_der: bytes | None = None
    aki: bytes | None = None
    positions: Mapping[object, int] = field(default_factory=dict)
    verified_keys: set[bytes] = field(default_factory=set, repr=False, compare=False)
    """Public keys (SPKI DER) already proven to sign this CRL: a cached CRL is verified once."""

    @property
    def is_delta(self) -> bool:
        return self.delta_base is not None

    @property
    def indirect(self) -> bool:
        return self.idp is not None and self.idp.indirect_crl

    def lookup(self, issuer: x509.Name, serial: int) -> CrlEntry | None:
        """The entry for the certificate (issuer, serial), in constant time."""
        if self.crl is None:
            return None
        if self.indirect:
            position = self.positions.get((issuer, serial))
        else:
            position = self.positions.get(serial) if issuer == self.issuer else None
        return None if position is None else CrlEntry.of(self.crl[position])

    def __len__(self) -> int:
        return len(self.positions)

    def describe(self) -> str:
        kind = "delta CRL" if self.is_delta else "CRL"
        number = "" if self.number is None else f" #{self.number}"
        return f"{kind}{number} from {self.issuer.rfc4514_string()}"


def serial_of(cert: x509.Certificate) -> int:
    """The serial number, read from the DER of tbsCertificate.

    cryptography warns (CryptographyDeprecationWarning) on every access to a non-positive serial
    (PKITS 4.4.15), and silencing that with ``warnings.catch_warnings`` is not thread-safe (the
    audit checks hosts in threads). The serial is the first INTEGER of the TBSCertificate
    SEQUENCE, after the optional [0] version: two DER headers to step over.
    """
    tbs = cert.tbs_certificate_bytes
    try:
        position = _content_start(tbs, 0)
        if tbs[position] == 0xA0:  # [0] EXPLICIT version
            start = _content_start(tbs, position)
            position = start + _content_length(tbs, position)
        if tbs[position] == 0x02:
            start = _content_start(tbs, position)
            length = _content_length(tbs, position)
            return int.from_bytes(tbs[start : start + length], "big", signed=True)
    except IndexError:
        pass
    return cert.serial_number  # not reached for a certificate cryptography could parse


def _content_length(der: bytes, position: int) -> int:
    first = der[position + 1]
    if first < 0x80:
        return first
    count = first & 0x7F
    return int.from_bytes(der[position + 2 : position + 2 + count], "big")


def _content_start(der: bytes, position: int) -> int:
    first = der[position + 1]
    return position + 2 + (0 if first < 0x80 else first & 0x7F)


_SUPPLIED: OrderedDict[bytes, ParsedCrl] = OrderedDict()
_SUPPLIED_LOCK = threading.Lock()
_SUPPLIED_MAX = 16


def load_supplied_crl(data: bytes | x509.CertificateRevocationList) -> ParsedCrl:
    """`load_crl` for caller-supplied CRLs, remembered by the SHA-256 of their DER: callers such
    as `verify_chain` hand the same (possibly huge) CRLs over on every call, and hashing is
    far cheaper than indexing. Only usable CRLs are remembered; the result is immutable but for
    its proven-signer memo, which is safe to share."""
    der = data.public_bytes(serialization.Encoding.DER) if not isinstance(data, bytes) else data
    key = hashlib.sha256(der).digest()
    with _SUPPLIED_LOCK:
        known = _SUPPLIED.get(key)
        if known is not None:
            _SUPPLIED.move_to_end(key)
            return known
    parsed = load_crl(data, origin="supplied")
    if parsed.crl is not None and parsed.problem is None:
        with _SUPPLIED_LOCK:
            _SUPPLIED[key] = parsed
            while len(_SUPPLIED) > _SUPPLIED_MAX:
                _SUPPLIED.popitem(last=False)
    return parsed


def load_crl(
    data: bytes | x509.CertificateRevocationList, *, origin: str, url: str | None = None
) -> ParsedCrl:
    """Parse DER (or PEM) bytes, or take a parsed CRL, into a `ParsedCrl` (never raises)."""
    if isinstance(data, x509.CertificateRevocationList):
        crl = data
    else:
        try:
            if data.lstrip().startswith(b"-----BEGIN"):
                crl = x509.load_pem_x509_crl(data)
            else:
                crl = x509.load_der_x509_crl(data)
        except (ValueError, x509.InvalidVersion, UnsupportedAlgorithm) as exc:
            return ParsedCrl(None, origin, url, problem=f"not a CRL ({exc})")
    try:
        return _index(crl, origin, url)
    except (ValueError, x509.InvalidVersion, UnsupportedAlgorithm) as exc:  # surface on access
        return ParsedCrl(None, origin, url, problem=f"malformed CRL ({exc})")


def _index(crl: x509.CertificateRevocationList, origin: str, url: str | None) -> ParsedCrl:
    issuer = crl.issuer
    problem: str | None = None
    number = delta_base = None
    idp = None
    idp_der = aki = None
    for ext in crl.extensions:
        value = ext.value
        if isinstance(value, x509.CRLNumber):
            number = value.crl_number
        elif isinstance(value, x509.DeltaCRLIndicator):
            delta_base = value.crl_number
        elif isinstance(value, x509.IssuingDistributionPoint):
            idp, idp_der = value, value.public_bytes()
        elif isinstance(value, x509.AuthorityKeyIdentifier):
            aki = value.key_identifier
        elif ext.critical and ext.oid not in _KNOWN_CRL_EXTENSIONS:
            problem = f"unknown critical CRL extension {ext.oid.dotted_string}"
    indirect = idp is not None and idp.indirect_crl
    positions: dict[object, int] = {}
    entry_issuer = issuer
    for position, revoked in enumerate(crl):
        for ext in revoked.extensions:  # empty for most entries: cheap
            if isinstance(ext.value, x509.CertificateIssuer) and indirect:
                names = ext.value.get_values_for_type(x509.DirectoryName)
                if names:
                    entry_issuer = names[0]
            elif ext.critical and ext.oid not in _KNOWN_ENTRY_EXTENSIONS:
                problem = f"unknown critical CRL entry extension {ext.oid.dotted_string}"
        serial = revoked.serial_number
        positions[(entry_issuer, serial) if indirect else serial] = position
    return ParsedCrl(
        crl,
        origin,
        url,
        problem=problem,
        issuer=issuer,
        this_update=crl.last_update_utc,
        next_update=crl.next_update_utc,
        number=number,
        delta_base=delta_base,
        idp=idp,
        idp_der=idp_der,
        aki=aki,
        positions=positions,
    )
