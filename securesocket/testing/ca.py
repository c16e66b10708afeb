"""The fixture CA: issues leaves and child CAs, cross-signs, revokes, and signs CRLs and OCSP.

# Model
A `CA` is a key, its certificate, and the few pieces of state a real CA keeps: the certificates
it has issued (so OCSP can tell "good" from "unknown"), the revocations it has recorded, and its
CRL number. The service URLs it publishes (``ocsp_url``, ``crl_url``, ``ca_issuers_url``) are
written into everything it issues; they are plain attributes so that a live scenario can set
them once the servers' ports are known, before issuing.

# Rules
- Leaves pass a strict web-PKI verifier by default: non-critical subjectAltName, critical
  basicConstraints CA:false, critical keyUsage digitalSignature, non-critical serverAuth EKU,
  SKI and AKI. Every deviation a scenario needs is an explicit argument.
- Signing is deterministic wherever the algorithm allows (deterministic ECDSA, RSA PKCS#1 v1.5,
  Ed25519), so fixed keys + fixed times + fixed serials give the same bytes every time.
"""

from __future__ import annotations

import datetime as _dt
import enum
import os
import secrets
import ssl
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey as Ed25519Key
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID
from OpenSSL import SSL, crypto

from ._blob import Blob
from ._extensions import certificate_body, general_name, subject_name, subtree
from ._keys import KeyType, PrivateKey, default_hash, private_key_pem
from ._revocation import RevocationLedger
from ._signing import sign_builder
from ._validity import DEFAULT_NOT_AFTER, DEFAULT_NOT_BEFORE
from .leaf import LeafCert, self_signed_cert, write_files


__all__ = [
    "CA",
    "DEFAULT_NOT_AFTER",
    "DEFAULT_NOT_BEFORE",
    "INHERIT",
    "LeafCert",
    "SupportsChainBuilding",
    "self_signed_cert",
    "sign_builder",
]

UTC = _dt.UTC


class _Inherit(enum.Enum):
    INHERIT = "inherit"


#: Sentinel: take the URL from the issuing CA (None means "leave the extension out").
INHERIT: Final = _Inherit.INHERIT
UrlArg = str | None | _Inherit


class SupportsChainBuilding(Protocol):
    """What `CA.configure_secure_socket` needs (SecureSocket has it)."""

    def add_binary_chain_building_certificate(self, certificate: bytes, trusted: bool) -> None:
        """AS3's addBinaryChainBuildingCertificate: DER bytes, trusted or not."""


class CA:
    """A certificate authority for tests. ``CA()`` with no arguments is a fresh ECDSA P-256 root.

    Args (all optional):
        parent_cert: the issuing CA; None makes a self-signed root. (trustme's name.)
        path_length: basicConstraints pathLenConstraint (None: unlimited).
        key_type / key: the CA's key; ``key`` wins (use `fixed_key` for reproducible output).
        common_name: subject CN (default: a random "Testing CA #…").
        not_before / not_after: the CA certificate's validity window.
        serial: the CA certificate's serial (default: random).
        hash_algorithm: what this CA signs with (default: SHA-256, SHA-384 for P-384).
        permitted_names / excluded_names: name constraints, as DNS suffixes or IP networks.
        is_ca: False writes basicConstraints CA:false (the "intermediate is not a CA" scenario).
        ocsp_url / crl_url / ca_issuers_url: services this CA publishes in what it issues.
        extra_extensions: (extension, critical) pairs for the CA certificate, e.g.
            certificate policies, policy constraints or inhibitAnyPolicy.
    """

    def __init__(
        self,
        parent_cert: CA | None = None,
        path_length: int | None = 9,
        organization_name: str | None = None,
        organization_unit_name: str | None = None,
        key_type: KeyType = KeyType.ECDSA_P256,
        *,
        key: PrivateKey | None = None,
        common_name: str | None = None,
        not_before: _dt.datetime = DEFAULT_NOT_BEFORE,
        not_after: _dt.datetime = DEFAULT_NOT_AFTER,
        serial: int | None = None,
        hash_algorithm: hashes.HashAlgorithm | _Inherit | None = INHERIT,
        permitted_names: Sequence[str] = (),
        excluded_names: Sequence[str] = (),
        is_ca: bool = True,
        ocsp_url: str | None = None,
        crl_url: str | None = None,
        ca_issuers_url: str | None = None,
        extra_extensions: Iterable[tuple[x509.ExtensionType, bool]] = (),
    ) -> None:
        self.private_key: PrivateKey = key if key is not None else key_type.generate()
        self.hash_algorithm: hashes.HashAlgorithm | None = (
            default_hash(self.private_key) if hash_algorithm is INHERIT else hash_algorithm
        )
        self.parent: CA | None = parent_cert
        self.ocsp_url = ocsp_url
        self.crl_url = crl_url
        self.ca_issuers_url = ca_issuers_url
        self.ledger = RevocationLedger()
        self._tag = secrets.token_hex(4)
        self.subject = subject_name(
            organization_name, organization_unit_name, common_name or f"Testing CA #{self._tag}"
        )
        builder = certificate_body(
            self.subject,
            self.private_key,
            serial=serial,
            not_before=not_before,
            not_after=not_after,
            ca=is_ca,
            path_length=path_length,
        )
        if permitted_names or excluded_names:
            builder = builder.add_extension(
                x509.NameConstraints(
                    permitted_subtrees=[subtree(n) for n in permitted_names] or None,
                    excluded_subtrees=[subtree(n) for n in excluded_names] or None,
                ),
                critical=True,
            )
        for extension, critical in extra_extensions:
            builder = builder.add_extension(extension, critical=critical)
        if parent_cert is None:
            cert = sign_builder(
                builder.issuer_name(self.subject), self.private_key, self.hash_algorithm
            )
        else:
            cert = parent_cert._issue(builder)
        assert isinstance(cert, x509.Certificate)  # noqa: S101 - sign_builder returns the builder's product
        self.certificate: x509.Certificate = cert

    # ----------------------------------------------------------------- outputs

    @property
    def cert_der(self) -> bytes:
        """This CA's certificate, DER."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def cert_pem(self) -> Blob:
        """This CA's certificate, PEM."""
        return Blob(self.certificate.public_bytes(serialization.Encoding.PEM))

    @property
    def private_key_pem(self) -> Blob:
        """This CA's private key, PKCS#8 PEM."""
        return Blob(private_key_pem(self.private_key))

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """This CA's certificate and its ancestors' up to (excluding) the root; empty for a root."""
        if self.parent is None:
            return ()
        return (self.certificate, *self.parent.chain)

    @property
    def root(self) -> CA:
        """The self-signed CA at the top of this CA's line."""
        return self if self.parent is None else self.parent.root

    def write_to_folder(self, folder: str | os.PathLike[str], name: str = "ca") -> dict[str, Path]:
        """Write ``<name>.pem``, ``<name>.der`` and ``<name>.key.pem``; returns the paths."""
        return write_files(
            folder,
            {
                f"{name}.pem": self.cert_pem.bytes(),
                f"{name}.der": self.cert_der,
                f"{name}.key.pem": self.private_key_pem.bytes(),
            },
        )

    def configure_trust(self, ctx: SSL.Context | ssl.SSLContext) -> None:
        """Make a pyOpenSSL or stdlib ``ssl`` context trust this CA's certificate."""
        if isinstance(ctx, ssl.SSLContext):
            ctx.load_verify_locations(cadata=self.cert_der)
        elif isinstance(ctx, SSL.Context):
            store = ctx.get_cert_store()
            assert store is not None  # noqa: S101 - a client or server Context always has one
            store.add_cert(crypto.X509.from_cryptography(self.certificate))
        else:
            raise TypeError(f"configure_trust needs an SSL context, not {type(ctx).__name__}")

    @classmethod
    def from_pem(cls, cert_bytes: bytes, private_key_bytes: bytes) -> CA:
        """A CA from its PEM certificate and key (trustme's ``CA.from_pem``), e.g. a committed
        one; it issues and revokes like any other, starting with an empty ledger."""
        certificate = x509.load_pem_x509_certificate(cert_bytes)
        key = serialization.load_pem_private_key(private_key_bytes, password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | Ed25519Key):
            raise ValueError(f"unsupported CA key type {type(key).__name__}")
        if key.public_key() != certificate.public_key():
            raise ValueError("the private key does not belong to the certificate")
        ca = cls.__new__(cls)
        ca.private_key = key
        ca.hash_algorithm = default_hash(key)
        ca.parent = None
        ca.ocsp_url = ca.crl_url = ca.ca_issuers_url = None
        ca.ledger = RevocationLedger()
        ca._tag = secrets.token_hex(4)
        ca.subject = certificate.subject
        ca.certificate = certificate
        return ca

    def configure_secure_socket(self, sock: SupportsChainBuilding) -> None:
        """Make a SecureSocket trust this CA (adds it as a trusted chain-building certificate)."""
        sock.add_binary_chain_building_certificate(self.cert_der, True)

    # ----------------------------------------------------------------- issuing

    def _issue(
        self,
        builder: x509.CertificateBuilder,
        *,
        hash_algorithm: hashes.HashAlgorithm | _Inherit | None = INHERIT,
        ocsp_url: UrlArg = INHERIT,
        crl_url: UrlArg = INHERIT,
        ca_issuers_url: UrlArg = INHERIT,
    ) -> x509.Certificate:
        """Add issuer, AKI, AIA and CRL DP to ``builder``, sign it, and record the issue."""
        builder = builder.issuer_name(self.subject).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(self.private_key.public_key()),
            critical=False,
        )
        ocsp = self.ocsp_url if ocsp_url is INHERIT else ocsp_url
        issuers = self.ca_issuers_url if ca_issuers_url is INHERIT else ca_issuers_url
        crl = self.crl_url if crl_url is INHERIT else crl_url
        access: list[x509.AccessDescription] = []
        if ocsp:
            access.append(
                x509.AccessDescription(
                    AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp)
                )
            )
        if issuers:
            access.append(
                x509.AccessDescription(
                    AuthorityInformationAccessOID.CA_ISSUERS,
                    x509.UniformResourceIdentifier(issuers),
                )
            )
        if access:
            builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
        if crl:
            point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl)], None, None, None)
            builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
        algorithm = self.hash_algorithm if hash_algorithm is INHERIT else hash_algorithm
        cert = sign_builder(builder, self.private_key, algorithm)
        assert isinstance(cert, x509.Certificate)  # noqa: S101
        self.ledger.record_issued(cert)
        return cert

    def create_child_ca(
        self,
        path_length: int | None = 9,
        organization_name: str | None = None,
        organization_unit_name: str | None = None,
        key_type: KeyType = KeyType.ECDSA_P256,
        **kwargs: object,
    ) -> CA:
        """An intermediate CA issued by this one (keyword arguments as for `CA`)."""
        return CA(self, path_length, organization_name, organization_unit_name, key_type, **kwargs)  # type: ignore[arg-type]

    def cross_sign(
        self,
        other: CA,
        *,
        not_before: _dt.datetime = DEFAULT_NOT_BEFORE,
        not_after: _dt.datetime = DEFAULT_NOT_AFTER,
        serial: int | None = None,
        path_length: int | None = None,
    ) -> x509.Certificate:
        """A cross-certificate: ``other``'s subject and key, issued by this CA."""
        builder = certificate_body(
            other.subject,
            other.private_key,
            serial=serial,
            not_before=not_before,
            not_after=not_after,
            ca=True,
            path_length=path_length,
        )
        return self._issue(builder)

    def issue_cert(
        self,
        *identities: str,
        common_name: str | None = None,
        organization_name: str | None = None,
        organization_unit_name: str | None = None,
        not_before: _dt.datetime | None = None,
        not_after: _dt.datetime | None = None,
        key_type: KeyType = KeyType.ECDSA_P256,
        key: PrivateKey | None = None,
        serial: int | None = None,
        hash_algorithm: hashes.HashAlgorithm | _Inherit | None = INHERIT,
        extended_key_usage: Sequence[x509.ObjectIdentifier] | None = (
            ExtendedKeyUsageOID.SERVER_AUTH,
        ),
        must_staple: bool = False,
        ocsp_url: UrlArg = INHERIT,
        crl_url: UrlArg = INHERIT,
        ca_issuers_url: UrlArg = INHERIT,
        extra_extensions: Iterable[tuple[x509.ExtensionType, bool]] = (),
    ) -> LeafCert:
        """A server certificate for ``identities`` (DNS names, IP addresses, e-mails, URIs).

        ``extended_key_usage=None`` leaves the EKU extension out; pass other OIDs to replace
        serverAuth. ``must_staple`` adds the RFC 7633 TLS feature status_request.
        Default validity: one hour ago until `DEFAULT_NOT_AFTER`.
        """
        if not identities and common_name is None:
            raise ValueError("issue_cert needs at least one identity or a common_name")
        leaf_key = key if key is not None else key_type.generate()
        names = [general_name(i) for i in identities]  # bad identities fail here, clearly
        cn = common_name if common_name is not None else identities[0]
        subject = subject_name(
            organization_name,
            organization_unit_name,
            cn if len(cn) <= 64 else None,  # ub-common-name; longer names live in the SAN only
        )
        if not_before is None:
            not_before = _dt.datetime.now(UTC).replace(microsecond=0) - _dt.timedelta(hours=1)
        builder = certificate_body(
            subject,
            leaf_key,
            serial=serial,
            not_before=not_before,
            not_after=not_after or DEFAULT_NOT_AFTER,
            ca=False,
        )
        if identities:
            san = x509.SubjectAlternativeName(names)
            builder = builder.add_extension(san, critical=False)
        if extended_key_usage is not None:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage(list(extended_key_usage)), critical=False
            )
        if must_staple:
            builder = builder.add_extension(
                x509.TLSFeature([x509.TLSFeatureType.status_request]), critical=False
            )
        for extension, critical in extra_extensions:
            builder = builder.add_extension(extension, critical=critical)
        cert = self._issue(
            builder,
            hash_algorithm=hash_algorithm,
            ocsp_url=ocsp_url,
            crl_url=crl_url,
            ca_issuers_url=ca_issuers_url,
        )
        return LeafCert(leaf_key, cert, self.chain)

    def issue_ocsp_responder(
        self,
        common_name: str = "Testing OCSP responder",
        *,
        key: PrivateKey | None = None,
        key_type: KeyType = KeyType.ECDSA_P256,
        nocheck: bool = True,
        ocsp_signing: bool = True,
        not_before: _dt.datetime = DEFAULT_NOT_BEFORE,
        not_after: _dt.datetime = DEFAULT_NOT_AFTER,
        serial: int | None = None,
        crl_url: UrlArg = None,
    ) -> LeafCert:
        """A delegated OCSP responder certificate (id-kp-OCSPSigning, optionally ocsp-nocheck).

        ``ocsp_signing=False`` makes a certificate that is *not* authorised to sign responses.
        ``crl_url`` gives it a CRL distribution point (`INHERIT`: this CA's ``crl_url``;
        default none): with ``nocheck=False`` that is where a client checks the responder
        itself.
        """
        extensions: list[tuple[x509.ExtensionType, bool]] = []
        if nocheck:
            extensions.append((x509.OCSPNoCheck(), False))
        return self.issue_cert(
            common_name=common_name,
            key=key,
            key_type=key_type,
            serial=serial,
            not_before=not_before,
            not_after=not_after,
            extended_key_usage=(ExtendedKeyUsageOID.OCSP_SIGNING,)
            if ocsp_signing
            else (ExtendedKeyUsageOID.SERVER_AUTH,),
            ocsp_url=None,
            crl_url=crl_url,
            ca_issuers_url=None,
            extra_extensions=extensions,
        )

    # ----------------------------------------------------------------- revocation

    def revoke(
        self,
        cert: x509.Certificate | LeafCert | CA,
        *,
        reason: x509.ReasonFlags | None = x509.ReasonFlags.key_compromise,
        at: _dt.datetime | None = None,
    ) -> None:
        """Record ``cert`` (issued by this CA) as revoked from ``at`` (default: now)."""
        target = cert.certificate if isinstance(cert, LeafCert | CA) else cert
        if target.issuer != self.subject:
            raise ValueError(f"{target.subject.rfc4514_string()} was not issued by this CA")
        when = at or _dt.datetime.now(UTC).replace(microsecond=0)  # CRLs carry whole seconds
        self.ledger.revoke(target.serial_number, reason=reason, at=when)

    def crl(
        self,
        *,
        at: _dt.datetime | None = None,
        next_update: _dt.datetime | None = None,
        number: int | None = None,
        delta_base: int | None = None,
        changed_since: _dt.datetime | None = None,
        hash_algorithm: hashes.HashAlgorithm | _Inherit | None = INHERIT,
    ) -> x509.CertificateRevocationList:
        """A CRL of what this CA has revoked by ``at`` (thisUpdate; default now).

        nextUpdate defaults to seven days later. ``number`` defaults to the next CRL number.
        A delta CRL: give ``delta_base`` (the base CRL's number) and ``changed_since`` (only
        revocations from then on are listed).
        """
        this_update = at or _dt.datetime.now(UTC).replace(microsecond=0)
        crl_number = number if number is not None else self.ledger.next_crl_number()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.subject)
            .last_update(this_update)
            .next_update(next_update or this_update + _dt.timedelta(days=7))
            .add_extension(x509.CRLNumber(crl_number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.private_key.public_key()),
                critical=False,
            )
        )
        if delta_base is not None:
            builder = builder.add_extension(x509.DeltaCRLIndicator(delta_base), critical=True)
        for entry in self.ledger.revoked(by=this_update, since=changed_since):
            builder = builder.add_revoked_certificate(entry.to_crl_entry())
        algorithm = self.hash_algorithm if hash_algorithm is INHERIT else hash_algorithm
        crl = sign_builder(builder, self.private_key, algorithm)
        assert isinstance(crl, x509.CertificateRevocationList)  # noqa: S101
        return crl

    def ocsp_response(
        self,
        cert: x509.Certificate | LeafCert | CA,
        *,
        at: _dt.datetime | None = None,
        next_update: _dt.datetime | _Inherit | None = INHERIT,
        status: str | None = None,
        responder: LeafCert | None = None,
        nonce: bytes | None = None,
        hash_algorithm: hashes.HashAlgorithm | None = None,
        produced_at: _dt.datetime | None = None,
    ) -> x509.ocsp.OCSPResponse:
        """A signed OCSP response about ``cert`` (issued by this CA).

        ``status`` is "good", "revoked" or "unknown"; by default it comes from the ledger.
        ``responder`` is a delegated responder (see `issue_ocsp_responder`); default: this CA.
        ``next_update=None`` leaves nextUpdate out; default: ``at`` + 7 days.
        ``hash_algorithm`` is the CertID hash (default SHA-1, what RFC 6960 clients send).
        ``produced_at`` pins producedAt (default: now) for reproducible output; it needs an
        RSA or Ed25519 signer.
        """
        from ._ocsp import build_response  # noqa: PLC0415 - keeps the OCSP code in one module

        target = cert.certificate if isinstance(cert, LeafCert | CA) else cert
        if target.issuer != self.subject:
            raise ValueError(f"{target.subject.rfc4514_string()} was not issued by this CA")
        return build_response(
            self,
            serial=target.serial_number,
            at=at,
            next_update=next_update,
            status=status,
            responder=responder,
            nonce=nonce,
            hash_algorithm=hash_algorithm or hashes.SHA1(),  # noqa: S303 - CertID, not a signature
            produced_at=produced_at,
        )
