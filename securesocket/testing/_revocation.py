"""`RevocationLedger`: what a fixture CA has issued and revoked, and its CRL numbering."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography import x509


@dataclass(frozen=True)
class Revocation:
    """One recorded revocation."""

    serial: int
    at: _dt.datetime
    reason: x509.ReasonFlags | None

    def to_crl_entry(self) -> x509.RevokedCertificate:
        """The CRL entry for this revocation (with a reason code unless it is unspecified)."""
        builder = (
            x509.RevokedCertificateBuilder().serial_number(self.serial).revocation_date(self.at)
        )
        if self.reason is not None and self.reason is not x509.ReasonFlags.unspecified:
            builder = builder.add_extension(x509.CRLReason(self.reason), critical=False)
        return builder.build()


class RevocationLedger:
    """Issued serials, revocations (in the order recorded) and the last CRL number used."""

    def __init__(self) -> None:
        self._issued: set[int] = set()
        self._revoked: dict[int, Revocation] = {}
        self._crl_number = 0

    def record_issued(self, cert: x509.Certificate) -> None:
        """Remember that this CA issued ``cert`` (OCSP answers "unknown" for anything else)."""
        self._issued.add(cert.serial_number)

    def issued(self, serial: int) -> bool:
        """True when this CA issued a certificate with this serial."""
        return serial in self._issued

    def revoke(self, serial: int, *, reason: x509.ReasonFlags | None, at: _dt.datetime) -> None:
        """Record a revocation; revoking twice keeps the first record (as a real CA would)."""
        self._revoked.setdefault(serial, Revocation(serial, at, reason))

    def revocation(self, serial: int, *, by: _dt.datetime | None = None) -> Revocation | None:
        """The revocation of ``serial`` in effect at ``by`` (default: any), else None."""
        found = self._revoked.get(serial)
        if found is None or (by is not None and found.at > by):
            return None
        return found

    def revoked(
        self, *, by: _dt.datetime, since: _dt.datetime | None = None
    ) -> Iterator[Revocation]:
        """Revocations in effect at ``by``, optionally only those recorded from ``since`` on."""
        for entry in self._revoked.values():
            if entry.at <= by and (since is None or entry.at >= since):
                yield entry

    def next_crl_number(self) -> int:
        """Allocate the next CRL number (1, 2, ...)."""
        self._crl_number += 1
        return self._crl_number
