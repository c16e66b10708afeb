"""Loopback servers of the fixture kit: they serve, they misbehave on request, they clean up."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import ssl
import struct
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from securesocket import CertificateStatus
from securesocket.revocation import check_revocation
from securesocket.testing import CA, INHERIT, LeafCert
from securesocket.testing._http import ClosedPort, LoopbackHTTPServer
from securesocket.testing._process import ManagedProcess, ServerStartError
from securesocket.testing.crl_server import CRLFault, CRLServer
from securesocket.testing.ocsp_servers import OCSPFault, OCSPResponder, OpenSSLOCSPResponder
from securesocket.testing.tls_servers import OpenSSLServer, PythonTLSServer


@pytest.fixture(scope="module")
def pki() -> tuple[CA, CA, LeafCert]:
    root = CA()
    inter = root.create_child_ca()
    return root, inter, inter.issue_cert("localhost", "127.0.0.1")


def client_context(root: CA, version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=root.cert_pem.bytes().decode())
    if version is not None:
        context.minimum_version = context.maximum_version = version
    return context


def exchange(
    host: str, port: int, context: ssl.SSLContext, data: bytes
) -> tuple[str | None, bytes]:
    with (
        socket.create_connection((host, port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as conn,
    ):
        conn.sendall(data)
        received = b""
        while len(received) < len(data):
            chunk = conn.recv(4096)
            if not chunk:
                break
            received += chunk
        return conn.version(), received


class TestOpenSSLServer:
    @pytest.mark.parametrize(("version", "name"), [("1.2", "TLSv1.2"), ("1.3", "TLSv1.3")])
    def test_rev_mode_echoes_lines_reversed_over_the_chosen_version(
        self, pki: tuple[CA, CA, LeafCert], no_leftover_servers: None, version: str, name: str
    ) -> None:
        root, _inter, leaf = pki
        with OpenSSLServer(leaf, tls_version=version) as server:  # type: ignore[arg-type]
            assert server.host == "127.0.0.1"
            assert exchange(server.host, server.port, client_context(root), b"hello\n") == (
                name,
                b"olleh\n",
            )

    def test_www_mode_answers_http(
        self, no_leftover_servers: None, pki: tuple[CA, CA, LeafCert]
    ) -> None:
        root, _inter, leaf = pki
        with OpenSSLServer(leaf, mode="www") as server:
            _version, reply = exchange(
                server.host, server.port, client_context(root), b"GET / HTTP/1.0\r\n\r\n"
            )
        assert reply.startswith(b"HTTP/1.0 200 ok")

    def test_client_that_trusts_another_root_is_refused(
        self, pki: tuple[CA, CA, LeafCert], no_leftover_servers: None
    ) -> None:
        _root, _inter, leaf = pki
        with OpenSSLServer(leaf) as server, pytest.raises(ssl.SSLCertVerificationError):
            exchange(server.host, server.port, client_context(CA()), b"x\n")

    def test_leaf_alone_without_chain_fails_verification(
        self, pki: tuple[CA, CA, LeafCert], no_leftover_servers: None
    ) -> None:
        root, _inter, leaf = pki
        with OpenSSLServer(leaf, chain=()) as server, pytest.raises(ssl.SSLCertVerificationError):
            exchange(server.host, server.port, client_context(root), b"x\n")

    def test_staple_is_sent_and_absent_without_one(
        self, pki: tuple[CA, CA, LeafCert], no_leftover_servers: None, tmp_path: Path
    ) -> None:
        root, inter, leaf = pki
        staple = inter.ocsp_response(leaf).public_bytes(serialization.Encoding.DER)
        root.cert_pem.write_to_path(tmp_path / "root.pem")
        outputs = []
        for with_staple in (staple, None):
            with OpenSSLServer(leaf, staple=with_staple) as server:
                result = subprocess.run(
                    ["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}", "-status",
                     "-servername", "localhost", "-CAfile", str(tmp_path / "root.pem")],
                    input=b"", capture_output=True, timeout=30, check=False,
                )  # fmt: skip
                outputs.append(result.stdout.decode())
        assert "OCSP Response Status: successful" in outputs[0]
        assert "Cert Status: good" in outputs[0]
        assert "OCSP response: no response sent" in outputs[1]

    def test_bad_arguments_raise_a_start_error_and_leave_nothing(
        self, pki: tuple[CA, CA, LeafCert], no_leftover_servers: None
    ) -> None:
        with pytest.raises(ServerStartError, match="did not start"):
            OpenSSLServer(pki[2], extra_args=["-no-such-option"]).start()


class TestPythonTLSServer:
    @pytest.mark.parametrize(
        ("version", "name"), [("1.2", "TLSv1.2"), ("1.3", "TLSv1.3"), (None, "TLSv1.3")]
    )
    def test_echoes_bytes(
        self,
        pki: tuple[CA, CA, LeafCert],
        no_leftover_servers: None,
        version: str | None,
        name: str,
    ) -> None:
        root, _inter, leaf = pki
        with PythonTLSServer(leaf, tls_version=version) as server:  # type: ignore[arg-type]
            assert exchange(server.host, server.port, client_context(root), b"\x00abc") == (
                name,
                b"\x00abc",
            )

    def test_untrusted_client_fails_and_server_records_it(
        self, pki: tuple[CA, CA, LeafCert], no_leftover_servers: None
    ) -> None:
        _root, _inter, leaf = pki
        with PythonTLSServer(leaf) as server, pytest.raises(ssl.SSLCertVerificationError):
            exchange(server.host, server.port, client_context(CA()), b"x")
        assert server.handshake_errors

    def test_stop_with_an_idle_connection_open_does_not_hang(
        self, pki: tuple[CA, CA, LeafCert], no_leftover_servers: None
    ) -> None:
        root, _inter, leaf = pki
        server = PythonTLSServer(leaf).start()
        raw = socket.create_connection((server.host, server.port))
        conn = client_context(root).wrap_socket(raw, server_hostname="localhost")
        try:
            server.stop()
            assert conn.recv(10) == b""
        finally:
            conn.close()


def ocsp_request(leaf: LeafCert, issuer: CA, nonce: bytes | None = b"0123456789abcdef") -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        leaf.certificate,
        issuer.certificate,
        hashes.SHA1(),  # noqa: S303 - CertID hash
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def post(url: str, body: bytes, timeout: float = 10) -> bytes:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/ocsp-request"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data: bytes = response.read()
        return data


class TestOCSPResponder:
    @pytest.fixture
    def responder(
        self, pki: tuple[CA, CA, LeafCert], no_leftover_servers: None
    ) -> Iterator[OCSPResponder]:
        with OCSPResponder([pki[1]]) as responder:
            yield responder

    def test_answers_good_and_revoked_with_the_nonce(
        self, pki: tuple[CA, CA, LeafCert], responder: OCSPResponder
    ) -> None:
        _root, inter, leaf = pki
        revoked = inter.issue_cert("revoked.localhost")
        inter.revoke(revoked)
        good = ocsp.load_der_ocsp_response(post(responder.url, ocsp_request(leaf, inter)))
        bad = ocsp.load_der_ocsp_response(post(responder.url, ocsp_request(revoked, inter)))
        assert good.certificate_status is ocsp.OCSPCertStatus.GOOD
        assert bad.certificate_status is ocsp.OCSPCertStatus.REVOKED
        nonce = good.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        assert nonce == b"0123456789abcdef"
        assert [r.serial for r in responder.requests] == [
            leaf.certificate.serial_number,
            revoked.certificate.serial_number,
        ]

    def test_get_requests_work_too(
        self, pki: tuple[CA, CA, LeafCert], responder: OCSPResponder
    ) -> None:
        _root, inter, leaf = pki
        encoded = urllib.parse.quote(
            base64.b64encode(ocsp_request(leaf, inter, None)).decode(), safe=""
        )
        with urllib.request.urlopen(responder.url + encoded, timeout=10) as reply:
            answer = ocsp.load_der_ocsp_response(reply.read())
        assert answer.certificate_status is ocsp.OCSPCertStatus.GOOD
        assert responder.requests[0].method == "GET"

    def test_unknown_issuer_and_malformed_request_get_error_statuses(
        self, responder: OCSPResponder
    ) -> None:
        stranger = CA()
        leaf = stranger.issue_cert("localhost")
        unknown = ocsp.load_der_ocsp_response(post(responder.url, ocsp_request(leaf, stranger)))
        assert unknown.response_status is ocsp.OCSPResponseStatus.UNAUTHORIZED
        malformed = ocsp.load_der_ocsp_response(post(responder.url, b"\x30\x00"))
        assert malformed.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST

    @pytest.mark.parametrize(
        ("fault", "status"),
        [(OCSPFault.TRY_LATER, ocsp.OCSPResponseStatus.TRY_LATER),
         (OCSPFault.INTERNAL_ERROR, ocsp.OCSPResponseStatus.INTERNAL_ERROR)],
    )  # fmt: skip
    def test_error_statuses(
        self,
        pki: tuple[CA, CA, LeafCert],
        responder: OCSPResponder,
        fault: OCSPFault,
        status: ocsp.OCSPResponseStatus,
    ) -> None:
        responder.fault = fault
        answer = ocsp.load_der_ocsp_response(post(responder.url, ocsp_request(pki[2], pki[1])))
        assert answer.response_status is status

    def test_signer_faults_are_signed_by_the_wrong_certificate(
        self, pki: tuple[CA, CA, LeafCert], responder: OCSPResponder
    ) -> None:
        _root, inter, leaf = pki
        for fault in (OCSPFault.UNAUTHORISED_SIGNER, OCSPFault.FOREIGN_SIGNER):
            responder.fault = fault
            answer = ocsp.load_der_ocsp_response(post(responder.url, ocsp_request(leaf, inter)))
            (signer,) = answer.certificates
            eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            authorised = (
                signer.issuer == inter.subject and x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING in eku
            )
            assert not authorised, fault

    def test_freshness_faults(self, pki: tuple[CA, CA, LeafCert], responder: OCSPResponder) -> None:
        _root, inter, leaf = pki
        fresh = ocsp.load_der_ocsp_response(post(responder.url, ocsp_request(leaf, inter)))
        responder.fault = OCSPFault.STALE
        stale = ocsp.load_der_ocsp_response(post(responder.url, ocsp_request(leaf, inter)))
        responder.fault = OCSPFault.NO_NEXT_UPDATE
        open_ended = ocsp.load_der_ocsp_response(post(responder.url, ocsp_request(leaf, inter)))
        assert fresh.next_update_utc is not None
        assert fresh.next_update_utc > fresh.this_update_utc
        assert stale.next_update_utc is not None
        assert stale.next_update_utc < fresh.this_update_utc
        assert open_ended.next_update_utc is None

    def test_nonce_faults(self, pki: tuple[CA, CA, LeafCert], responder: OCSPResponder) -> None:
        _root, inter, leaf = pki
        responder.fault = OCSPFault.NONCE_MISMATCH
        mismatch = ocsp.load_der_ocsp_response(post(responder.url, ocsp_request(leaf, inter)))
        nonce = mismatch.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        assert nonce != b"0123456789abcdef"
        responder.fault = OCSPFault.NO_NONCE
        missing = ocsp.load_der_ocsp_response(post(responder.url, ocsp_request(leaf, inter)))
        with pytest.raises(x509.ExtensionNotFound):
            missing.extensions.get_extension_for_class(x509.OCSPNonce)

    @pytest.mark.parametrize("fault", [OCSPFault.TRUNCATED, OCSPFault.GARBAGE])
    def test_unparseable_bodies(
        self, pki: tuple[CA, CA, LeafCert], responder: OCSPResponder, fault: OCSPFault
    ) -> None:
        responder.fault = fault
        body = post(responder.url, ocsp_request(pki[2], pki[1]))
        with pytest.raises(ValueError, match="parsing"):
            ocsp.load_der_ocsp_response(body)

    def test_http_error(self, pki: tuple[CA, CA, LeafCert], responder: OCSPResponder) -> None:
        responder.fault = OCSPFault.HTTP_ERROR
        with pytest.raises(urllib.error.HTTPError, match="500"):
            post(responder.url, ocsp_request(pki[2], pki[1]))

    def test_slow_responder_times_the_client_out_and_still_stops(
        self, pki: tuple[CA, CA, LeafCert], responder: OCSPResponder
    ) -> None:
        responder.fault = OCSPFault.SLOW
        with pytest.raises(TimeoutError):
            post(responder.url, ocsp_request(pki[2], pki[1]), timeout=0.3)

    @pytest.mark.parametrize("length", ["nope", "-1", "0"])
    def test_a_bad_content_length_is_a_malformed_request_not_a_crash_or_a_hang(
        self, responder: OCSPResponder, capfd: pytest.CaptureFixture[str], length: str
    ) -> None:
        with socket.create_connection((responder.host, responder.port), timeout=10) as raw:
            raw.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode())
            reply = b""
            while chunk := raw.recv(4096):
                reply += chunk
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.0 200")
        answer = ocsp.load_der_ocsp_response(body)
        assert answer.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        assert capfd.readouterr().err == ""

    def test_delegated_responder_signs(
        self, pki: tuple[CA, CA, LeafCert], no_leftover_servers: None
    ) -> None:
        _root, inter, leaf = pki
        delegate = inter.issue_ocsp_responder()
        with OCSPResponder([inter], delegated={inter: delegate}) as responder:
            answer = ocsp.load_der_ocsp_response(post(responder.url, ocsp_request(leaf, inter)))
        assert answer.certificates == [delegate.certificate]


def wait_for(condition: Callable[[], object], what: str) -> None:
    """Wait (bounded) for a condition another thread brings about; not a timing assertion."""
    for _ in range(1000):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"gave up waiting for {what}")


def slow_server(kind: str, pki: tuple[CA, CA, LeafCert]) -> tuple[LoopbackHTTPServer, bytes]:
    """A started slow server of ``kind`` and the raw HTTP request that makes it wait."""
    _root, inter, leaf = pki
    if kind == "ocsp":
        body = ocsp_request(leaf, inter)
        head = f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
        return OCSPResponder([inter], fault=OCSPFault.SLOW).start(), head.encode() + body
    crls = CRLServer()
    crls.publish("inter.crl", inter.crl())
    crls.set_fault("inter.crl", CRLFault.SLOW)
    return crls.start(), b"GET /inter.crl HTTP/1.1\r\nHost: x\r\n\r\n"


class TestSlowFaultsStopQuietly:
    """A client that gives up on a slow answer is the normal end of a "slow" fault: stopping
    the server then must not print a BrokenPipe traceback, nor hang, nor leave a thread."""

    @pytest.mark.parametrize("kind", ["ocsp", "crl"])
    def test_stopping_after_the_client_hung_up_is_silent(
        self,
        pki: tuple[CA, CA, LeafCert],
        no_leftover_servers: None,
        capfd: pytest.CaptureFixture[str],
        kind: str,
    ) -> None:
        server, request = slow_server(kind, pki)
        try:
            raw = socket.create_connection((server.host, server.port), timeout=10)
            raw.sendall(request)
            wait_for(lambda: server.requests, "the server to receive the request")  # type: ignore[attr-defined]
            # Hang up with a reset, as a client that timed out does: the answer the stopping
            # server then writes cannot be delivered.
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw.close()
        finally:
            server.stop()
        assert server.clients_gone == 1  # the broken write happened, and was counted
        assert capfd.readouterr().err == ""

    def test_a_client_that_waits_gets_a_503_when_the_server_stops(
        self, pki: tuple[CA, CA, LeafCert], no_leftover_servers: None
    ) -> None:
        server, request = slow_server("ocsp", pki)
        try:
            raw = socket.create_connection((server.host, server.port), timeout=10)
            raw.sendall(request)
            wait_for(lambda: server.requests, "the server to receive the request")  # type: ignore[attr-defined]
        finally:
            server.stop()
        with raw:
            assert raw.recv(100).startswith(b"HTTP/1.0 503")
        assert server.clients_gone == 0

    def test_a_bug_in_a_handler_is_still_reported(
        self,
        pki: tuple[CA, CA, LeafCert],
        no_leftover_servers: None,
        capfd: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The twin: only a client that went away is quiet, not a handler that failed."""

        def broken(method: str, body: bytes) -> tuple[int, bytes]:
            raise RuntimeError("a bug in the responder")

        with OCSPResponder([pki[1]]) as responder:
            monkeypatch.setattr(responder, "respond", broken)
            with pytest.raises(OSError):  # the server drops the connection
                post(responder.url, ocsp_request(pki[2], pki[1]))
        assert "RuntimeError: a bug in the responder" in capfd.readouterr().err
        assert responder.clients_gone == 0


class TestDelegatedResponderCRL:
    """``issue_ocsp_responder(crl_url=...)``: a responder without ocsp-nocheck is itself checked,
    through the CRL its certificate names (the revocation layer fetches it)."""

    @pytest.mark.parametrize(
        ("crl_url", "revoked", "status"),
        [(INHERIT, False, CertificateStatus.TRUSTED),
         (INHERIT, True, CertificateStatus.INVALID),
         (None, False, CertificateStatus.INVALID)],
        ids=["named-and-good", "named-and-revoked", "not-named"],
    )  # fmt: skip
    def test_the_responders_own_crl_decides(
        self, no_leftover_servers: None, crl_url: object, revoked: bool, status: CertificateStatus
    ) -> None:
        with CRLServer() as crls, OCSPResponder() as responder:
            root = CA()
            inter = root.create_child_ca(crl_url=crls.url("inter.crl"), ocsp_url=responder.url)
            leaf = inter.issue_cert("localhost", crl_url=None)  # OCSP is the leaf's only source
            delegate = inter.issue_ocsp_responder(nocheck=False, crl_url=crl_url)  # type: ignore[arg-type]
            if revoked:
                inter.revoke(delegate)
            responder.add_ca(inter, delegated=delegate)
            crls.publish("inter.crl", inter.crl())
            path = (leaf.certificate, inter.certificate, root.certificate)
            report = asyncio.run(check_revocation(path, policy="hard-fail"))
            fetched = list(crls.requests)
        points = [
            str(name.value)
            for p in delegate.certificate.extensions.get_extension_for_class(
                x509.CRLDistributionPoints
            ).value
            for name in p.full_name or ()
        ] if crl_url is INHERIT else []  # fmt: skip
        assert points == ([crls.url("inter.crl")] if crl_url is INHERIT else [])
        assert report.status is status, report.summary
        assert fetched == (["/inter.crl"] if crl_url is INHERIT else [])
        if revoked:
            assert "itself revoked" in report.summary
        if crl_url is None:
            assert "no CRL saying it is not revoked" in report.summary
            with pytest.raises(x509.ExtensionNotFound):
                delegate.certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints)


class TestOpenSSLOCSPResponder:
    def test_answers_parse_with_cryptography(
        self, pki: tuple[CA, CA, LeafCert], no_leftover_servers: None
    ) -> None:
        _root, inter, leaf = pki
        revoked = inter.issue_cert("gone.localhost")
        inter.revoke(revoked, reason=x509.ReasonFlags.superseded)
        with OpenSSLOCSPResponder(inter, [leaf, revoked]) as responder:
            good = ocsp.load_der_ocsp_response(post(responder.url, ocsp_request(leaf, inter)))
            bad = ocsp.load_der_ocsp_response(post(responder.url, ocsp_request(revoked, inter)))
            unknown_leaf = inter.issue_cert("never-listed.localhost")
            unknown = ocsp.load_der_ocsp_response(
                post(responder.url, ocsp_request(unknown_leaf, inter))
            )
        assert good.certificate_status is ocsp.OCSPCertStatus.GOOD
        assert bad.certificate_status is ocsp.OCSPCertStatus.REVOKED
        assert bad.revocation_reason is x509.ReasonFlags.superseded
        assert unknown.certificate_status is ocsp.OCSPCertStatus.UNKNOWN
        assert good.certificates[0] == responder.responder.certificate
        assert (
            good.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
            == b"0123456789abcdef"
        )
        assert responder.answered == 3
        assert responder.openssl_errors == []

    def test_get_requests_and_refusals_come_from_openssl(
        self, pki: tuple[CA, CA, LeafCert], no_leftover_servers: None
    ) -> None:
        """GET works like POST; a request openssl cannot read is malformedRequest; a CA it does
        not serve gets openssl's own answer."""
        _root, inter, leaf = pki
        with OpenSSLOCSPResponder(inter, [leaf]) as responder:
            encoded = urllib.parse.quote(
                base64.b64encode(ocsp_request(leaf, inter, None)).decode(), safe=""
            )
            with urllib.request.urlopen(responder.url + encoded, timeout=10) as reply:
                got = ocsp.load_der_ocsp_response(reply.read())
            garbage = ocsp.load_der_ocsp_response(post(responder.url, b"\x30\x03not"))
            stranger = CA()
            foreign = ocsp.load_der_ocsp_response(
                post(responder.url, ocsp_request(stranger.issue_cert("localhost"), stranger))
            )
        assert got.certificate_status is ocsp.OCSPCertStatus.GOOD
        assert garbage.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        # OpenSSL answers "unknown" for a CA it does not serve (our Python responder: unauthorized).
        assert foreign.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
        assert foreign.certificate_status is ocsp.OCSPCertStatus.UNKNOWN
        assert len(responder.openssl_errors) == 1  # only the garbage was refused by openssl


class TestCRLServer:
    def test_serves_published_crls_and_each_fault(
        self, pki: tuple[CA, CA, LeafCert], no_leftover_servers: None
    ) -> None:
        inter = pki[1]
        with CRLServer(delay=30) as server:
            url = server.publish("inter.crl", inter.crl())
            with urllib.request.urlopen(url, timeout=10) as reply:
                crl = x509.load_der_x509_crl(reply.read())
            assert crl.issuer == inter.subject
            with pytest.raises(urllib.error.HTTPError, match="404"):
                urllib.request.urlopen(server.url("missing.crl"), timeout=10)
            server.set_fault("inter.crl", CRLFault.NOT_FOUND)
            with pytest.raises(urllib.error.HTTPError, match="404"):
                urllib.request.urlopen(url, timeout=10)
            server.set_fault("inter.crl", CRLFault.HTTP_ERROR)
            with pytest.raises(urllib.error.HTTPError, match="500"):
                urllib.request.urlopen(url, timeout=10)
            server.set_fault("inter.crl", CRLFault.GARBAGE)
            with urllib.request.urlopen(url, timeout=10) as reply:
                body = reply.read()
            with pytest.raises(ValueError, match="parsing"):
                x509.load_der_x509_crl(body)
            server.set_fault("inter.crl", CRLFault.SLOW)
            with pytest.raises(TimeoutError):
                urllib.request.urlopen(url, timeout=0.3)
        assert server.requests == ["/inter.crl", "/missing.crl"] + ["/inter.crl"] * 4


class TestCleanupAndPorts:
    def test_closed_port_refuses_connections(self) -> None:
        with ClosedPort() as closed, pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", closed.port), timeout=5)

    def test_every_server_binds_loopback_only_and_exits(
        self, pki: tuple[CA, CA, LeafCert], no_leftover_servers: None
    ) -> None:
        _root, inter, leaf = pki
        servers = [
            OpenSSLServer(leaf),
            PythonTLSServer(leaf),
            OCSPResponder([inter]),
            OpenSSLOCSPResponder(inter, [leaf]),
            CRLServer(),
        ]
        pids = []
        for server in servers:
            with server:
                if isinstance(server, OpenSSLServer):
                    pids.append(server.pid)
                assert server.host == "127.0.0.1"  # type: ignore[attr-defined]
                assert listening_address(server.port) == "127.0.0.1"  # type: ignore[attr-defined]
            with pytest.raises(AssertionError, match="nothing listens"):
                listening_address(server.port)  # type: ignore[attr-defined]
        for pid in pids:
            assert pid is not None
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)

    def test_the_bind_check_tells_addresses_apart(self) -> None:
        """The twin: a listener on another address is not reported as 127.0.0.1 (127.0.0.2
        stands in for a wildcard bind, which a test should not open)."""
        with socket.create_server(("127.0.0.2", 0)) as other:
            assert listening_address(other.getsockname()[1]) == "127.0.0.2"

    def test_managed_process_that_exits_early_reports_its_output(
        self, no_leftover_servers: None
    ) -> None:
        with pytest.raises(ServerStartError, match="boom"):
            ManagedProcess(["sh", "-c", "echo boom; exit 3"], ready="never").start()


def listening_address(port: int) -> str:
    """The local address of the TCP listener on ``port`` (from /proc/net/tcp*)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:
                if len(address) == 8:
                    return socket.inet_ntoa(bytes.fromhex(address)[::-1])
                return "ipv6:" + address
    raise AssertionError(f"nothing listens on port {port}")
