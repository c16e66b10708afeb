"""`CertInfo`: the facts path validation needs from one certificate, parsed once and cached.

cryptography parses extensions lazily and re-wraps them on every access; a certificate seen on
every connection (an intermediate, a root) is read once here and kept, keyed by its exact DER,
so a changed byte is a different entry. A certificate whose extensions cannot be parsed
(duplicated extension, bad encoding) gets a `CertInfo` with `malformed` set instead of raising.
"""

from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtensionOID

from ._der import structure_error
from .distinguished_names import NameKey, name_key
from .policy_mappings import parse_policy_mappings
from .profile import key_error, serial_error, signature_algorithm_error


__all__ = ["HANDLED_EXTENSIONS", "CertInfo", "cert_info", "der_of"]

T = TypeVar("T")

#: Extensions path validation processes: a critical extension outside this set is "unknown".
HANDLED_EXTENSIONS = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.NAME_CONSTRAINTS,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.POLICY_MAPPINGS,
        ExtensionOID.POLICY_CONSTRAINTS,
        ExtensionOID.INHIBIT_ANY_POLICY,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.TLS_FEATURE,  # Must-Staple: the revocation layer acts on it
    }
)


@dataclass(frozen=True)
class CertInfo:
    """Parsed facts about one certificate (see the module docstring)."""

    cert: x509.Certificate
    der: bytes
    subject: NameKey
    issuer: NameKey
    malformed: str | None = None
    names_parse: bool = True
    basic_constraints: x509.BasicConstraints | None = None
    key_usage: x509.KeyUsage | None = None
    extended_key_usage: x509.ExtendedKeyUsage | None = None
    subject_alt_names: tuple[x509.GeneralName, ...] = ()
    name_constraints: x509.NameConstraints | None = None
    policies: x509.CertificatePolicies | None = None
    policy_mappings: tuple[tuple[str, str], ...] | None = None
    policy_constraints: x509.PolicyConstraints | None = None
    inhibit_any_policy: int | None = None
    subject_key_id: bytes | None = None
    authority_key_id: bytes | None = None
    unknown_critical: tuple[str, ...] = field(default=())
    #: Extensions (by dotted OID) present and marked critical; the webpki profile needs some
    #: criticalities (basicConstraints on CAs, subjectAltName under an empty subject).
    critical: frozenset[str] = frozenset()
    # The webpki profile's verdicts on this certificate alone (pure, so computed once).
    weak_key: str | None = None
    weak_signature: str | None = None
    bad_serial: str | None = None
    #: (notBefore, notAfter) as aware datetimes; cryptography builds new ones on every access.
    validity: tuple[datetime, datetime] | None = None

    @property
    def self_issued(self) -> bool:
        """Subject and issuer are the same name (RFC 5280 §6.1: self-issued)."""
        return self.subject == self.issuer

    def is_critical(self, oid: x509.ObjectIdentifier) -> bool:
        """Whether the extension `oid` is present and marked critical."""
        return oid.dotted_string in self.critical

    @property
    def is_ca(self) -> bool:
        """basicConstraints says cA=TRUE."""
        return self.basic_constraints is not None and self.basic_constraints.ca


def der_of(cert: x509.Certificate) -> bytes:
    """The certificate's exact DER encoding."""
    return cert.public_bytes(Encoding.DER)


def _extensions(cert: x509.Certificate) -> x509.Extensions:
    # A zero serial (in an AKI's authorityCertSerialNumber, say: some long-lived roots have
    # one) makes cryptography warn; it is not ours to judge there. Only on a cache miss.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return cert.extensions


def _parse(cert: x509.Certificate, der: bytes) -> CertInfo:
    try:
        subject = name_key(cert.subject)
        issuer = name_key(cert.issuer)
    except (ValueError, TypeError) as exc:
        # Names that do not parse match nothing: a key no real name can have.
        unique: NameKey = ((("unparseable", der),),)
        malformed = f"unparseable name ({exc})"
        return CertInfo(cert, der, unique, unique, malformed=malformed, names_parse=False)
    broken = structure_error(der)
    if broken is not None:
        return CertInfo(cert, der, subject, issuer, malformed=broken)
    try:
        extensions = _extensions(cert)
    except x509.DuplicateExtension as exc:
        return CertInfo(cert, der, subject, issuer, malformed=f"duplicated extension ({exc})")
    except (ValueError, TypeError, x509.UnsupportedGeneralNameType) as exc:
        # x400Address / EDIPartyName names are refused by cryptography, not parsed; some bad
        # attribute encodings surface as TypeError from its constructors.
        return CertInfo(cert, der, subject, issuer, malformed=f"unparseable extension ({exc})")
    found: dict[x509.ObjectIdentifier, x509.ExtensionType] = {}
    unknown: list[str] = []
    critical: set[str] = set()
    for extension in extensions:
        found[extension.oid] = extension.value
        if extension.critical:
            critical.add(extension.oid.dotted_string)
            if extension.oid not in HANDLED_EXTENSIONS:
                unknown.append(extension.oid.dotted_string)
    raw_mappings = found.get(ExtensionOID.POLICY_MAPPINGS)
    mappings = None
    if isinstance(raw_mappings, x509.UnrecognizedExtension):
        try:
            mappings = parse_policy_mappings(raw_mappings.value)
        except ValueError as exc:
            return CertInfo(cert, der, subject, issuer, malformed=f"bad policyMappings ({exc})")
    san = found.get(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    ski = found.get(ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    aki = found.get(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    inhibit = found.get(ExtensionOID.INHIBIT_ANY_POLICY)
    return CertInfo(
        cert,
        der,
        subject,
        issuer,
        basic_constraints=_typed(found, ExtensionOID.BASIC_CONSTRAINTS, x509.BasicConstraints),
        key_usage=_typed(found, ExtensionOID.KEY_USAGE, x509.KeyUsage),
        extended_key_usage=_typed(found, ExtensionOID.EXTENDED_KEY_USAGE, x509.ExtendedKeyUsage),
        subject_alt_names=tuple(san) if isinstance(san, x509.SubjectAlternativeName) else (),
        name_constraints=_typed(found, ExtensionOID.NAME_CONSTRAINTS, x509.NameConstraints),
        policies=_typed(found, ExtensionOID.CERTIFICATE_POLICIES, x509.CertificatePolicies),
        policy_mappings=mappings,
        policy_constraints=_typed(found, ExtensionOID.POLICY_CONSTRAINTS, x509.PolicyConstraints),
        inhibit_any_policy=inhibit.skip_certs
        if isinstance(inhibit, x509.InhibitAnyPolicy)
        else None,
        subject_key_id=ski.digest if isinstance(ski, x509.SubjectKeyIdentifier) else None,
        authority_key_id=aki.key_identifier
        if isinstance(aki, x509.AuthorityKeyIdentifier)
        else None,
        unknown_critical=tuple(unknown),
        critical=frozenset(critical),
    )


def _typed(
    found: dict[x509.ObjectIdentifier, x509.ExtensionType],
    oid: x509.ObjectIdentifier,
    kind: type[T],
) -> T | None:
    value = found.get(oid)
    return value if isinstance(value, kind) else None


_CACHE: OrderedDict[bytes, CertInfo] = OrderedDict()
_CACHE_SIZE = 4096
_LOCK = threading.Lock()
# The cached entries again, by the identity of the very object each was parsed from: asking
# again with that same object skips re-encoding it to DER (the dominant cost of a hit). Safe:
# the entry holds the object, so its id cannot be reused while the entry exists, and the `is`
# check below makes a stale id miss.
_BY_ID: dict[int, CertInfo] = {}


def _validity(cert: x509.Certificate) -> tuple[datetime, datetime] | None:
    try:
        return cert.not_valid_before_utc, cert.not_valid_after_utc
    except ValueError:  # (read again, and reported, only if the certificate is on a path)
        return None


def cert_info(cert: x509.Certificate) -> CertInfo:
    """The parsed facts for `cert` (cached by exact DER; see the module docstring)."""
    known = _BY_ID.get(id(cert))
    if known is not None and known.cert is cert:
        return known
    der = der_of(cert)
    with _LOCK:
        info = _CACHE.get(der)
        if info is not None:
            _CACHE.move_to_end(der)
            return info
    info = replace(
        _parse(cert, der),
        weak_key=key_error(cert),
        weak_signature=signature_algorithm_error(cert),
        bad_serial=serial_error(cert),
        validity=_validity(cert),
    )
    with _LOCK:
        raced = _CACHE.get(der)
        if raced is not None:  # another thread parsed it meanwhile: keep one entry
            return raced
        _CACHE[der] = info
        _BY_ID[id(cert)] = info
        if len(_CACHE) > _CACHE_SIZE:
            _, dropped = _CACHE.popitem(last=False)
            if _BY_ID.get(id(dropped.cert)) is dropped:
                del _BY_ID[id(dropped.cert)]
    return info
