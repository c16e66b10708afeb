"""Platform roots: SSL_CERT_FILE / SSL_CERT_DIR honoured, certifi as the fallback, parsed once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import certifi
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from securesocket import ArgumentError, CertificateStatus, ChainVerifier
from securesocket.testing.ca import CA
from securesocket.trust import roots


NOW = datetime(2030, 6, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_roots(monkeypatch: pytest.MonkeyPatch):
    """Each test sees its own environment and an empty roots cache, and leaves none behind."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    roots.clear_cache()
    yield
    roots.clear_cache()


@pytest.fixture(scope="module")
def chain():
    root = CA(common_name="Env Root")
    leaf = root.issue_cert("example.test").certificate
    return root, leaf


def test_ssl_cert_file_is_the_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chain
) -> None:
    """A root in the bundle SSL_CERT_FILE names is trusted under trust="platform"."""
    root, leaf = chain
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(root.certificate.public_bytes(Encoding.PEM))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    result = ChainVerifier(trust="platform").verify(leaf, [], host="example.test", at=NOW)
    assert result.status == CertificateStatus.TRUSTED


def test_without_the_environment_the_root_is_unknown(chain) -> None:
    """Twin: the same root is not in the system bundle or certifi, so untrustedSigners."""
    _, leaf = chain
    result = ChainVerifier(trust="platform").verify(leaf, [], host="example.test", at=NOW)
    assert result.status == CertificateStatus.UNTRUSTED_SIGNERS


def test_ssl_cert_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chain) -> None:
    """SSL_CERT_DIR is read as OpenSSL does: hashed names only, duplicates counted once."""
    root, leaf = chain
    pem = root.certificate.public_bytes(Encoding.PEM)
    (tmp_path / "abcd1234.0").write_bytes(pem)
    (tmp_path / "abcd1234.1").write_bytes(pem)
    (tmp_path / "README").write_text("not a certificate")
    other = CA(common_name="Not hashed").certificate
    (tmp_path / "other.pem").write_bytes(other.public_bytes(Encoding.PEM))
    monkeypatch.setenv("SSL_CERT_DIR", f"/nonexistent:{tmp_path}")
    assert roots.platform_roots("platform") == (root.certificate,)
    result = ChainVerifier(trust="platform").verify(leaf, [], host="example.test", at=NOW)
    assert result.status == CertificateStatus.TRUSTED


def test_environment_not_used_for_certifi_or_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chain
) -> None:
    """trust="certifi" reads certifi's bundle only; trust="none" has no roots at all."""
    root, _ = chain
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(root.certificate.public_bytes(Encoding.PEM))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    assert root.certificate not in roots.platform_roots("certifi")
    assert roots.platform_roots("certifi") == roots.load_pem_file(certifi.where())
    assert roots.platform_roots("none") == ()


def test_unreadable_environment_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """SSL_CERT_FILE naming nothing usable does not leave the platform with no roots."""
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/bundle.pem")
    assert len(roots.platform_roots("platform")) > 50


def test_parsed_once_and_shared() -> None:
    """Two verifiers share one parsed root set (the same objects, not re-parsed)."""
    first = roots.platform_roots("certifi")
    second = roots.platform_roots("certifi")
    assert first is second
    assert roots.platform_index("certifi") is roots.platform_index("certifi")


def test_bad_trust_value() -> None:
    """An unknown trust setting is an ArgumentError."""
    with pytest.raises(ArgumentError, match="trust"):
        ChainVerifier(trust="os")


def test_bundle_with_a_bad_block(tmp_path: Path, chain) -> None:
    """One corrupt PEM block does not lose the good ones beside it."""
    root, _ = chain
    good = root.certificate.public_bytes(Encoding.PEM)
    bad = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    bundle = tmp_path / "mixed.pem"
    bundle.write_bytes(bad + good)
    assert roots.load_pem_file(bundle) == (root.certificate,)
