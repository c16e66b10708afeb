"""Helpers for the revocation tests: a small PKI from the fixture kit, and DER shortcuts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from securesocket.testing import CA, LeafCert


NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def der(item: x509.CertificateRevocationList | ocsp.OCSPResponse | x509.Certificate) -> bytes:
    return item.public_bytes(serialization.Encoding.DER)


@dataclass
class Pki:
    """root → intermediate → leaf; the intermediate publishes `ocsp_url` / `crl_url`."""

    root: CA
    inter: CA
    leaf: LeafCert

    @property
    def path(self) -> tuple[x509.Certificate, ...]:
        return (self.leaf.certificate, self.inter.certificate, self.root.certificate)

    def path_for(self, leaf: LeafCert) -> tuple[x509.Certificate, ...]:
        return (leaf.certificate, self.inter.certificate, self.root.certificate)

    def good_crls(self) -> tuple[bytes, bytes]:
        """Fresh CRLs from both CAs (what `require` needs for the whole path)."""
        return der(self.root.crl(at=NOW)), der(self.inter.crl(at=NOW))


def make_pki(
    *,
    ocsp_url: str | None = None,
    crl_url: str | None = None,
    root_crl_url: str | None = None,
    must_staple: bool = False,
) -> Pki:
    root = CA(crl_url=root_crl_url)
    inter = root.create_child_ca(ocsp_url=ocsp_url, crl_url=crl_url)
    leaf = inter.issue_cert("localhost", must_staple=must_staple)
    return Pki(root, inter, leaf)
