"""Platform trust anchors: the operating system's bundle, else certifi; parsed once per process.

Where the roots come from, in order (the first that yields any certificate wins):
1. ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` (colon-separated), as OpenSSL honours them;
2. the usual Linux bundle files, and the paths Python's own ``ssl`` was built with;
3. certifi's Mozilla bundle.
``trust="certifi"`` goes straight to 3; ``trust="none"`` has no platform roots at all (only the
anchors the caller adds). The parsed set is cached per (trust, environment) so every connection
shares it; `clear_cache` is for tests that change the environment.
"""

from __future__ import annotations

import os
import re
import ssl
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Literal

import certifi
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning

from ..exceptions import ArgumentError
from .builder import CertificateIndex
from .certinfo import cert_info


__all__ = [
    "LINUX_BUNDLES",
    "Trust",
    "clear_cache",
    "load_pem_file",
    "platform_index",
    "platform_roots",
]

Trust = Literal["platform", "certifi", "none"]

_HASHED_NAME = re.compile(r"[0-9a-f]{8}\.[0-9]+")

LINUX_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Gentoo, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL 6
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # RHEL 7+
    "/etc/ssl/ca-bundle.pem",  # openSUSE
    "/etc/pki/tls/cacert.pem",  # OpenELEC
    "/etc/ssl/cert.pem",  # Alpine, macOS
)


def load_pem_file(path: str | os.PathLike[str]) -> tuple[x509.Certificate, ...]:
    """Every certificate in a PEM file; a missing or unreadable file gives none."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return ()
    if b"-----BEGIN CERTIFICATE-----" not in data:
        return ()
    with warnings.catch_warnings():
        # Some shipped roots have a non-positive serial; cryptography warns, we still load them.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        try:
            return tuple(x509.load_pem_x509_certificates(data))
        except ValueError:
            # One bad block must not lose the rest: parse block by block.
            return tuple(_load_blocks(data))


def _load_blocks(data: bytes) -> list[x509.Certificate]:
    marker = b"-----END CERTIFICATE-----"
    certs = []
    for chunk in data.split(marker)[:-1]:
        try:
            certs.append(x509.load_pem_x509_certificate(chunk + marker))
        except ValueError:
            continue
    return certs


def _load_dir(directory: str) -> list[x509.Certificate]:
    """The certificates in an OpenSSL hashed directory: only ``<8 hex digits>.<n>`` files are
    read, as OpenSSL does (the same directory often also holds the bundle and .pem copies)."""
    try:
        entries = sorted(Path(directory).iterdir())
    except OSError:
        return []
    certs: list[x509.Certificate] = []
    for entry in entries:
        if _HASHED_NAME.fullmatch(entry.name) and entry.is_file():
            certs.extend(load_pem_file(entry))
    return certs


def _from_environment(cert_file: str | None, cert_dir: str | None) -> list[x509.Certificate]:
    certs: list[x509.Certificate] = []
    if cert_file:
        certs.extend(load_pem_file(cert_file))
    if cert_dir:
        for directory in cert_dir.split(os.pathsep):
            if directory:
                certs.extend(_load_dir(directory))
    unique: dict[bytes, x509.Certificate] = {}
    for cert in certs:
        unique.setdefault(cert.public_bytes(Encoding.DER), cert)
    return list(unique.values())


def _from_system() -> tuple[x509.Certificate, ...]:
    defaults = ssl.get_default_verify_paths()
    for bundle in (*LINUX_BUNDLES, defaults.cafile, defaults.openssl_cafile):
        if bundle:
            certs = load_pem_file(bundle)
            if certs:
                return certs
    return ()


@lru_cache(maxsize=8)
def _roots(trust: str, cert_file: str | None, cert_dir: str | None) -> tuple[x509.Certificate, ...]:
    if trust == "none":
        return ()
    if trust == "platform":
        from_env = _from_environment(cert_file, cert_dir)
        if from_env:
            return tuple(from_env)
        system = _from_system()
        if system:
            return system
    return load_pem_file(certifi.where())


def platform_roots(trust: str) -> tuple[x509.Certificate, ...]:
    """The shared, parsed roots for `trust` ("platform", "certifi" or "none")."""
    if trust not in ("platform", "certifi", "none"):
        raise ArgumentError(f"trust must be 'platform', 'certifi' or 'none', not {trust!r}")
    return _roots(
        trust,
        os.environ.get("SSL_CERT_FILE"),
        os.environ.get("SSL_CERT_DIR"),
    )


def clear_cache() -> None:
    """Forget the parsed roots (tests that change SSL_CERT_FILE/SSL_CERT_DIR call this)."""
    _roots.cache_clear()
    _index.cache_clear()


@lru_cache(maxsize=8)
def _index(roots: tuple[x509.Certificate, ...]) -> CertificateIndex:
    return CertificateIndex(cert_info(c) for c in roots)


def platform_index(trust: str) -> CertificateIndex:
    """The platform roots for `trust`, indexed by subject for the path builder (shared)."""
    return _index(platform_roots(trust))
