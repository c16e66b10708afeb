"""`LeafCert` (an issued certificate, its key and intermediates) and self-signed certificates."""

from __future__ import annotations

import datetime as _dt
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from OpenSSL import SSL

from ._blob import Blob
from ._extensions import certificate_body, general_name, subject_name
from ._keys import KeyType, PrivateKey, default_hash, private_key_pem
from ._signing import sign_builder
from ._validity import DEFAULT_NOT_AFTER, DEFAULT_NOT_BEFORE


__all__ = ["LeafCert", "self_signed_cert"]


def self_signed_cert(
    *identities: str,
    key: PrivateKey | None = None,
    key_type: KeyType = KeyType.ECDSA_P256,
    common_name: str | None = None,
    serial: int | None = None,
    not_before: _dt.datetime = DEFAULT_NOT_BEFORE,
    not_after: _dt.datetime = DEFAULT_NOT_AFTER,
) -> LeafCert:
    """A self-signed server certificate (CA:false), as a device or a lazy admin would make."""
    if not identities:
        raise ValueError("self_signed_cert needs at least one identity")
    own_key = key if key is not None else key_type.generate()
    public_key = own_key.public_key()
    name = subject_name(None, None, common_name or identities[0])
    builder = (
        certificate_body(
            name,
            own_key,
            serial=serial,
            not_before=not_before,
            not_after=not_after,
            ca=False,
        )
        .issuer_name(name)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key),
            critical=False,
        )
        .add_extension(
            x509.SubjectAlternativeName([general_name(i) for i in identities]), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    cert = sign_builder(builder, own_key, default_hash(own_key))
    assert isinstance(cert, x509.Certificate)  # noqa: S101
    return LeafCert(own_key, cert, ())


def write_files(folder: str | os.PathLike[str], files: dict[str, bytes]) -> dict[str, Path]:
    """Write ``files`` (name → bytes) into ``folder``, creating it; returns the paths."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, data in files.items():
        (root / name).write_bytes(data)
        written[name] = root / name
    return written


@dataclass(frozen=True, eq=False)
class LeafCert:
    """An issued certificate with its key and the intermediates up to (excluding) the root."""

    private_key: PrivateKey
    certificate: x509.Certificate
    intermediates: tuple[x509.Certificate, ...] = ()

    @property
    def der(self) -> bytes:
        """The certificate, DER."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def private_key_pem(self) -> Blob:
        """The key, PKCS#8 PEM."""
        return Blob(private_key_pem(self.private_key))

    @property
    def cert_chain_pems(self) -> list[Blob]:
        """The certificate then each intermediate, PEM (trustme's shape)."""
        return [
            Blob(c.public_bytes(serialization.Encoding.PEM))
            for c in (self.certificate, *self.intermediates)
        ]

    @property
    def private_key_and_cert_chain_pem(self) -> Blob:
        """Key, certificate and intermediates in one PEM."""
        return Blob(
            self.private_key_pem.bytes() + b"".join(b.bytes() for b in self.cert_chain_pems)
        )

    def write_to_folder(
        self, folder: str | os.PathLike[str], name: str = "leaf"
    ) -> dict[str, Path]:
        """Write ``<name>.pem``, ``<name>.der``, ``<name>.key.pem`` and ``<name>.chain.pem``
        (the certificate then its intermediates); returns the paths."""
        return write_files(
            folder,
            {
                f"{name}.pem": self.cert_chain_pems[0].bytes(),
                f"{name}.der": self.der,
                f"{name}.key.pem": self.private_key_pem.bytes(),
                f"{name}.chain.pem": b"".join(b.bytes() for b in self.cert_chain_pems),
            },
        )

    def configure_cert(self, ctx: SSL.Context | ssl.SSLContext) -> None:
        """Make a pyOpenSSL or stdlib ``ssl`` context present this certificate, key and
        intermediates."""
        if isinstance(ctx, ssl.SSLContext):
            # ssl loads credentials from files only: write them privately, load, remove.
            with tempfile.TemporaryDirectory(prefix="securesocket-cert-") as root:
                path = Path(root) / "credentials.pem"
                path.write_bytes(self.private_key_and_cert_chain_pem.bytes())
                ctx.load_cert_chain(path)
        elif isinstance(ctx, SSL.Context):
            ctx.use_certificate(self.certificate)
            ctx.use_privatekey(self.private_key)
            for intermediate in self.intermediates:
                ctx.add_extra_chain_cert(intermediate)
        else:
            raise TypeError(f"configure_cert needs an SSL context, not {type(ctx).__name__}")
