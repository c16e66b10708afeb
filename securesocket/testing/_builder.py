"""The workbench scenario recipes build on: fixed keys, reproducible serials, the service URLs.

A `Builder` is made for one scenario, one time (``at``) and one set of `Endpoints`; a recipe
uses it to make CAs and a leaf and returns what the server presents and what the client trusts
(`Made`). Keys come from `fixed_key` (CAs: the committed RSA pool; leaves: derived from the
scenario's name) and serials from a hash of the scenario's name, so the same scenario at the same
time for the same URLs is the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ._keys import KeyType, fixed_key
from .ca import CA, DEFAULT_NOT_AFTER, DEFAULT_NOT_BEFORE, INHERIT, LeafCert, UrlArg
from .crl_server import CRLFault
from .ocsp_servers import OCSPFault


__all__ = ["ISSUED_BEFORE", "Builder", "ChainBuildingCertificate", "Endpoints", "Made", "Recipe"]

#: How long before the validation time CRLs and OCSP answers are issued (fresh, not brand new).
ISSUED_BEFORE: Final = _dt.timedelta(hours=1)


@dataclass(frozen=True)
class Endpoints:
    """Where a scenario's services live: the URLs written into its certificates."""

    ocsp_url: str
    """The OCSP responder (every CA of the scenario answers there)."""
    crl_base: str
    """The CRL server; a CA labelled X publishes ``<crl_base>/X.crl``."""
    down_base: str
    """A port where nothing listens (connections are refused)."""

    def crl(self, label: str) -> str:
        """The CRL URL of the CA labelled ``label``."""
        return f"{self.crl_base}/{label}.crl"

    def down(self, what: str) -> str:
        """A URL on the refused port."""
        return f"{self.down_base}/{what}"


@dataclass(frozen=True)
class ChainBuildingCertificate:
    """A certificate to add with ``add_binary_chain_building_certificate(der, trusted)``."""

    certificate: x509.Certificate
    trusted: bool

    @property
    def der(self) -> bytes:
        """The certificate, DER."""
        return self.certificate.public_bytes(serialization.Encoding.DER)


class Builder:
    """The workbench a scenario recipe uses: fixed keys, reproducible serials, its URLs."""

    def __init__(self, name: str, at: _dt.datetime, endpoints: Endpoints) -> None:
        self.name = name
        self.at = at
        self.endpoints = endpoints
        self.cas: dict[str, CA] = {}
        self.crl_labels: dict[str, str] = {}
        self.crl_overrides: dict[str, bytes] = {}
        self.crl_faults: dict[str, CRLFault] = {}
        self.ocsp_fault = OCSPFault.NONE
        self.delegated: dict[CA, LeafCert] = {}

    def serial(self, label: str) -> int:
        digest = hashlib.sha256(f"securesocket fixture {self.name}/{label}".encode()).digest()
        return int.from_bytes(digest[:16]) >> 1 or 1

    def ca(
        self,
        label: str,
        *,
        key_label: str | None = None,
        parent: CA | None = None,
        common_name: str | None = None,
        path_length: int | None = None,
        not_before: _dt.datetime = DEFAULT_NOT_BEFORE,
        not_after: _dt.datetime = DEFAULT_NOT_AFTER,
        is_ca: bool = True,
        permitted: tuple[str, ...] = (),
        ocsp: bool = True,
        crl: bool = True,
    ) -> CA:
        """A CA (RSA-2048 key from the committed pool) publishing the scenario's services.

        ``ocsp``/``crl`` say whether what *this* CA issues names its OCSP responder / CRL.
        """
        ca = CA(
            parent,
            path_length,
            key=fixed_key(key_label or label, KeyType.RSA_2048),
            common_name=common_name or f"securesocket fixture {label}",
            not_before=not_before,
            not_after=not_after,
            serial=self.serial(label),
            is_ca=is_ca,
            permitted_names=permitted,
            ocsp_url=self.endpoints.ocsp_url if ocsp else None,
            crl_url=self.endpoints.crl(label) if crl else None,
        )
        self.cas[label] = ca
        if crl:
            self.crl_labels[label] = f"{label}.crl"
        return ca

    def standard(self, *, root_ocsp: bool = True) -> tuple[CA, CA]:
        """root → intermediate (pathlen 0), both publishing OCSP and CRLs."""
        root = self.ca("root", common_name="securesocket fixture root", ocsp=root_ocsp)
        inter = self.ca("intermediate", parent=root, path_length=0)
        return root, inter

    def leaf(
        self,
        issuer: CA,
        *identities: str,
        ocsp: UrlArg = INHERIT,
        crl: UrlArg = INHERIT,
        **kwargs: object,
    ) -> LeafCert:
        """The scenario's server certificate (ECDSA P-256, key derived from the scenario name)."""
        options: dict[str, object] = {
            "key": fixed_key(f"{self.name}/leaf"),
            "serial": self.serial("leaf"),
            "not_before": DEFAULT_NOT_BEFORE,
            "not_after": DEFAULT_NOT_AFTER,
        }
        options.update(kwargs)
        return issuer.issue_cert(
            *(identities or ("localhost",)),
            ocsp_url=ocsp,
            crl_url=crl,
            **options,  # type: ignore[arg-type]
        )

    def revoke(self, ca: CA, cert: LeafCert | CA) -> None:
        """Revoke ``cert`` a day before the validation time."""
        ca.revoke(cert, reason=x509.ReasonFlags.key_compromise, at=self.at - _dt.timedelta(days=1))

    def staple(self, ca: CA, leaf: LeafCert) -> bytes:
        """An OCSP answer about ``leaf`` from ``ca``, issued at `issued_at`, DER."""
        response = ca.ocsp_response(leaf, at=self.issued_at, produced_at=self.issued_at)
        return response.public_bytes(serialization.Encoding.DER)

    @property
    def issued_at(self) -> _dt.datetime:
        """thisUpdate for the scenario's CRLs, OCSP answers and staples."""
        return self.at - ISSUED_BEFORE


@dataclass(frozen=True)
class Made:
    """What a recipe returns: the server's credentials and the client's trust settings."""

    leaf: LeafCert
    sent: tuple[x509.Certificate, ...]
    anchors: tuple[x509.Certificate, ...]
    chain_building: tuple[ChainBuildingCertificate, ...] = ()
    staple: bytes | None = None


Recipe = Callable[[Builder], Made]
