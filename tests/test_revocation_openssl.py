"""Interoperability with real OpenSSL peers: the ``openssl ocsp`` responder (fetched OCSP, with
and without a nonce) and ``openssl s_server -status_file`` stapling over TLS 1.2 and 1.3, the
staple read by a pyOpenSSL client and judged by the revocation layer."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import select
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509 import ocsp as x509_ocsp
from cryptography.x509.oid import SignatureAlgorithmOID
from OpenSSL import SSL

from securesocket import CertificateStatus
from securesocket.revocation import (
    Fetchers,
    HttpFetcher,
    Method,
    Outcome,
    RevocationReport,
    RevocationRules,
    check_revocation,
    evaluate_offline,
)
from securesocket.revocation.ocsp import build_request, judge_response
from securesocket.testing import CA, KeyType, LeafCert
from securesocket.testing._keys import private_key_pem
from securesocket.testing.ocsp_servers import OpenSSLOCSPResponder
from securesocket.testing.openssl_ocsp import _index_line
from securesocket.testing.tls_servers import OpenSSLServer
from tests.revocation_helpers import NOW, der


pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")

# `openssl ocsp` picks its port when it starts, after the certificates exist: their AIA names
# this placeholder and the fetcher below sends the request to the real responder instead.
PLACEHOLDER = "http://ocsp.invalid/"
RULES = RevocationRules()


class ToResponder:
    """The default HTTP fetcher, pointed at `url` whatever the certificate says."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = HttpFetcher()
        self.asked: list[str] = []

    async def fetch_ocsp(self, url: str, request: bytes, *, timeout: float) -> bytes:
        self.asked.append(url)
        return await self.http.fetch_ocsp(self.url, request, timeout=timeout)

    async def fetch_crl(self, url: str, *, timeout: float) -> bytes:
        raise AssertionError("no CRL is declared in these certificates")


@dataclasses.dataclass
class OpenSSLLab:
    root: CA
    inter: CA
    good: LeafCert
    revoked: LeafCert
    stranger: LeafCert
    responder: OpenSSLOCSPResponder

    def path(self, leaf: LeafCert) -> tuple[x509.Certificate, ...]:
        return (leaf.certificate, self.inter.certificate, self.root.certificate)


@pytest.fixture(scope="module")
def openssl_lab() -> Iterator[OpenSSLLab]:
    root = CA()
    inter = root.create_child_ca(ocsp_url=PLACEHOLDER)
    good = inter.issue_cert("localhost")
    revoked = inter.issue_cert("localhost")
    stranger = inter.issue_cert("localhost")  # not in the responder's index: "unknown"
    inter.revoke(revoked, at=NOW - dt.timedelta(hours=1))
    with OpenSSLOCSPResponder(inter, [good, revoked]) as responder:
        yield OpenSSLLab(root, inter, good, revoked, stranger, responder)


def fetched(lab: OpenSSLLab, leaf: LeafCert, *, nonce: bool = False) -> RevocationReport:
    fetcher = ToResponder(lab.responder.url)
    report = asyncio.run(
        check_revocation(
            lab.path(leaf),
            policy=dataclasses.replace(RevocationRules.of("require"), ocsp_nonce=nonce),
            at=dt.datetime.now(dt.UTC),
            crls=[der(lab.root.crl())],
            fetchers=Fetchers(crl=fetcher, ocsp=fetcher, timeout=5, deadline=10),
        )
    )
    assert fetcher.asked == [PLACEHOLDER]
    return report


@pytest.mark.parametrize("nonce", [False, True])
def test_openssl_responder_good(openssl_lab: OpenSSLLab, nonce: bool) -> None:
    report = fetched(openssl_lab, openssl_lab.good, nonce=nonce)
    assert report.accepted, report.summary
    attempt = report.certificates[0].attempts[0]
    assert (attempt.method, attempt.origin, attempt.outcome) == (
        Method.OCSP,
        "fetched",
        Outcome.GOOD,
    )
    assert attempt.latency_ms is not None


def test_openssl_responder_revoked(openssl_lab: OpenSSLLab) -> None:
    report = fetched(openssl_lab, openssl_lab.revoked)
    assert report.status is CertificateStatus.REVOKED
    assert report.certificates[0].attempts[0].revocation_reason == "keyCompromise"


def test_openssl_responder_unknown_is_not_good(openssl_lab: OpenSSLLab) -> None:
    report = fetched(openssl_lab, openssl_lab.stranger)
    assert report.status is CertificateStatus.INVALID
    assert report.certificates[0].attempts[0].outcome is Outcome.UNKNOWN


def handshake_staple(port: int, tls_version: int) -> bytes:
    """Connect to 127.0.0.1:port, ask for a staple, return what the server stapled (b"" if none)."""
    captured: list[bytes] = []

    def keep(_conn: SSL.Connection, data: bytes, _arg: object) -> bool:
        captured.append(data)
        return True  # decide after the handshake, as SecureSocket does

    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_min_proto_version(tls_version)
    ctx.set_max_proto_version(tls_version)
    ctx.set_ocsp_client_callback(keep)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.setblocking(False)
        conn = SSL.Connection(ctx, raw)
        conn.set_tlsext_host_name(b"localhost")
        conn.request_ocsp()
        conn.set_connect_state()
        while True:
            try:
                conn.do_handshake()
                break
            except SSL.WantReadError:
                ready, _, _ = select.select([raw], [], [], 10)
                assert ready, "the handshake stalled"
        conn.shutdown()
    assert len(captured) == 1
    return captured[0]


VERSIONS = {"1.2": SSL.TLS1_2_VERSION, "1.3": SSL.TLS1_3_VERSION}


@pytest.mark.parametrize("version", list(VERSIONS))
@pytest.mark.parametrize(("which", "expected"), [("good", True), ("revoked", False)])
def test_staple_from_s_server(
    openssl_lab: OpenSSLLab, version: str, which: str, expected: bool
) -> None:
    leaf = openssl_lab.good if which == "good" else openssl_lab.revoked
    staple = der(openssl_lab.inter.ocsp_response(leaf))
    with OpenSSLServer(leaf, staple=staple, tls_version=version) as server:  # type: ignore[arg-type]
        received = handshake_staple(server.port, VERSIONS[version])
    assert received == staple
    report = evaluate_offline(
        openssl_lab.path(leaf),
        policy="soft-fail",
        at=dt.datetime.now(dt.UTC),
        staple=received,
    )
    assert report.accepted is expected
    first = report.certificates[0].attempts[0]
    assert first.method is Method.STAPLE
    assert first.outcome is (Outcome.GOOD if expected else Outcome.REVOKED)


def test_no_staple_from_s_server_fails_must_staple(openssl_lab: OpenSSLLab) -> None:
    leaf = openssl_lab.inter.issue_cert("localhost", must_staple=True)
    with OpenSSLServer(leaf, tls_version="1.3") as server:
        received = handshake_staple(server.port, SSL.TLS1_3_VERSION)
    assert received == b""
    soft = evaluate_offline(
        (leaf.certificate, openssl_lab.inter.certificate, openssl_lab.root.certificate),
        policy="soft-fail",
        at=dt.datetime.now(dt.UTC),
        staple=received,
    )
    assert soft.status is CertificateStatus.INVALID
    assert "Must-Staple" in soft.certificates[0].reason


@pytest.fixture(scope="module")
def rsa_lab() -> tuple[CA, LeafCert, LeafCert]:
    root = CA(key_type=KeyType.RSA_2048)
    inter = root.create_child_ca(key_type=KeyType.RSA_2048)
    good, revoked = inter.issue_cert("localhost"), inter.issue_cert("localhost")
    inter.revoke(revoked, at=NOW - dt.timedelta(hours=1))
    return inter, good, revoked


def openssl_answer(inter: CA, leaf: LeafCert, options: list[str], folder: Path) -> bytes:
    """A response from ``openssl ocsp`` (index mode, one request) signed by the issuer."""
    (folder / "index.txt").write_text(_index_line(leaf.certificate, inter) + "\n")
    (folder / "ca.pem").write_bytes(inter.cert_pem.bytes())
    (folder / "key.pem").write_bytes(private_key_pem(inter.private_key))
    (folder / "request.der").write_bytes(build_request(leaf.certificate, inter.certificate))
    argv = [
        "openssl", "ocsp", "-index", "index.txt", "-CA", "ca.pem", "-rsigner", "ca.pem",
        "-rkey", "key.pem", "-reqin", "request.der", "-respout", "response.der", *options,
    ]  # fmt: skip
    subprocess.run(argv, cwd=folder, capture_output=True, timeout=30, check=True)
    return (folder / "response.der").read_bytes()


PSS = ["-rsigopt", "rsa_padding_mode:pss"]


@pytest.mark.parametrize(
    "options",
    [PSS, [*PSS, "-rmd", "sha384", "-rsigopt", "rsa_pss_saltlen:max"]],
    ids=["sha256", "sha384-max-salt"],
)
@pytest.mark.parametrize("which", ["good", "revoked"])
def test_openssl_rsa_pss_responses(
    rsa_lab: tuple[CA, LeafCert, LeafCert], options: list[str], which: str, tmp_path: Path
) -> None:
    inter, good, revoked = rsa_lab
    leaf = good if which == "good" else revoked
    data = openssl_answer(inter, leaf, options, tmp_path)
    assert x509_ocsp.load_der_ocsp_response(data).signature_algorithm_oid == (
        SignatureAlgorithmOID.RSASSA_PSS
    )
    attempt = judge_response(
        data, leaf.certificate, inter.certificate, at=dt.datetime.now(dt.UTC), rules=RULES
    )
    assert attempt.outcome is (Outcome.GOOD if which == "good" else Outcome.REVOKED), attempt.detail


def test_openssl_rsa_pss_with_another_mgf1_hash_fails_closed(
    rsa_lab: tuple[CA, LeafCert, LeafCert], tmp_path: Path
) -> None:
    inter, good, _revoked = rsa_lab
    data = openssl_answer(
        inter, good, [*PSS, "-rmd", "sha512", "-rsigopt", "rsa_mgf1_md:sha256"], tmp_path
    )
    attempt = judge_response(
        data, good.certificate, inter.certificate, at=dt.datetime.now(dt.UTC), rules=RULES
    )
    assert attempt.outcome is Outcome.ERROR
    assert "RSA-PSS signature does not verify" in attempt.detail
