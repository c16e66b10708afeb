"""`SecureSocket` end to end against real TLS peers on 127.0.0.1 started by the tests:
``openssl s_server -rev`` (TLS 1.2 and 1.3) and a Python ``ssl`` server. Every success has a
failure twin in the same harness."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL

from securesocket._bytearray import ByteArray
from securesocket._secure_socket import SecureSocket
from securesocket._status import CertificateStatus
from securesocket.exceptions import (
    ArgumentError,
    CertificateVerificationError,
    IOError,
    SecurityError,
)
from securesocket.testing.ca import CA
from securesocket.testing.hostile import RenegotiatingServer, ThrowawayCA
from securesocket.testing.tls_servers import OpenSSLServer, PythonTLSServer
from tests.test_socket import Recorder, run
from tests.tls_helpers import (
    NOW,
    PKI,
    ScriptedTLSServer,
    make_pki,
    ocsp_staple,
    refused_port,
    silent_listener,
)


@pytest.fixture(scope="module")
def pki() -> PKI:
    return make_pki()


def trusting(pki: PKI, **options: Any) -> SecureSocket:
    """A SecureSocket that trusts only the test root."""
    sock = SecureSocket(trust="none", **options)
    sock.add_binary_chain_building_certificate(pki.root_der, True)
    return sock


async def read_line(sock: SecureSocket, rec: Recorder) -> str:
    """Wait until a whole line is buffered, then read it."""
    while not (sock.bytes_available and bytes(sock._peek_all()).endswith(b"\n")):
        await rec.next("socketData")
    return sock.read_utf_bytes(sock.bytes_available)


class TestOpenSSLPeer:
    @pytest.mark.parametrize("version", ["1.2", "1.3"])
    def test_trusted_server_connects_and_echoes(self, pki: PKI, version: Any) -> None:
        """With the root added as an anchor: connect, status trusted, data round trip."""
        with OpenSSLServer(pki.leaf, tls_version=version) as server:
            port = server.port

            async def body() -> None:
                sock = trusting(pki)
                rec = Recorder(sock)
                assert sock.server_certificate_status == "unknown"
                await sock.connect("localhost", port)
                assert rec.types() == ["connect"]
                assert sock.server_certificate_status == CertificateStatus.TRUSTED
                assert sock.server_certificate is not None
                assert sock.verification is not None
                assert sock.verification.path[0] == pki.leaf.certificate
                sock.write_utf_bytes("hello TLS\n")
                sock.flush()
                assert await read_line(sock, rec) == "SLT olleh\n"
                sock.close()
                assert sock.server_certificate_status == "trusted"  # kept after close()

            run(body)

    @pytest.mark.parametrize("version", ["1.2", "1.3"])
    def test_untrusted_server_gives_io_error_never_connect(self, pki: PKI, version: Any) -> None:
        """Twin: without the anchor, ioError with status untrustedSigners; never connect."""
        with OpenSSLServer(pki.leaf, tls_version=version) as server:
            port = server.port

            async def body() -> None:
                sock = SecureSocket(trust="none")
                rec = Recorder(sock)
                with pytest.raises(CertificateVerificationError) as info:
                    await sock.connect("localhost", port)
                assert info.value.status == "untrustedSigners"
                await asyncio.sleep(0.05)
                assert rec.types() == ["ioError"]
                text = rec.events[0].text
                assert text.startswith("Error #2031: Socket Error. URL: localhost")
                assert "untrustedSigners" in text
                assert sock.server_certificate_status == CertificateStatus.UNTRUSTED_SIGNERS
                assert sock.server_certificate is None
                assert not sock.connected

            run(body)

    def test_rejection_sends_the_alert_before_closing(self, pki: PKI) -> None:
        """A rejected certificate: the server receives our TLS alert, not a bare TCP close
        (the alert is flushed before the transport closes)."""
        with PythonTLSServer(pki.leaf) as server:

            async def body() -> None:
                sock = SecureSocket(trust="none")
                Recorder(sock)
                with pytest.raises(CertificateVerificationError):
                    await sock.connect("127.0.0.1", server.port)
                for _ in range(100):
                    if server.handshake_errors:
                        break
                    await asyncio.sleep(0.02)

            run(body)
            assert len(server.handshake_errors) == 1
            assert "alert" in server.handshake_errors[0].lower()

    def test_platform_roots_do_not_trust_a_private_root(self, pki: PKI) -> None:
        """The default (platform) trust does not accept the private test root."""
        with OpenSSLServer(pki.leaf) as server:
            port = server.port

            async def body() -> None:
                sock = SecureSocket()
                Recorder(sock)
                with pytest.raises(CertificateVerificationError):
                    await sock.connect("localhost", port)
                assert sock.server_certificate_status == "untrustedSigners"

            run(body)

    def test_platform_roots_follow_ssl_cert_file(
        self, pki: PKI, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Platform trust from SSL_CERT_FILE: the private root there is trusted; with the
        variable pointing elsewhere the next socket refuses the same server (sockets share
        a verifier per configuration, and the environment is part of it)."""
        with_root = tmp_path / "with-root.pem"
        pki.root.cert_pem.write_to_path(with_root)
        without_root = tmp_path / "other-root.pem"
        CA(common_name="some other root").cert_pem.write_to_path(without_root)
        with OpenSSLServer(pki.leaf) as server:
            port = server.port

            async def connect_with(bundle: Any) -> str:
                monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
                sock = SecureSocket(revocation="off")
                Recorder(sock)
                with contextlib.suppress(CertificateVerificationError):
                    await sock.connect("localhost", port)
                    sock.close()
                return sock.server_certificate_status

            assert run(lambda: connect_with(with_root)) == "trusted"
            assert run(lambda: connect_with(without_root)) == "untrustedSigners"
            assert run(lambda: connect_with(with_root)) == "trusted"

    def test_wrong_host_is_principal_mismatch(self) -> None:
        """A certificate for another name gives principalMismatch."""
        other = make_pki(("other.example",))
        with OpenSSLServer(other.leaf) as server:
            port = server.port

            async def body() -> None:
                sock = trusting(other)
                rec = Recorder(sock)
                with pytest.raises(CertificateVerificationError):
                    await sock.connect("127.0.0.1", port)
                assert sock.server_certificate_status == "principalMismatch"
                assert rec.types() == ["ioError"]
                assert "principalMismatch" in rec.events[0].text

            run(body)

    def test_missing_intermediate_can_be_added_untrusted(self, pki: PKI) -> None:
        """A server that omits its intermediate fails; adding it (trusted=False) fixes it."""
        with OpenSSLServer(pki.leaf, chain=()) as server:
            port = server.port

            async def body() -> None:
                sock = trusting(pki)
                Recorder(sock)
                with pytest.raises(CertificateVerificationError):
                    await sock.connect("localhost", port)
                assert sock.server_certificate_status == "untrustedSigners"
                sock.add_binary_chain_building_certificate(pki.intermediate.cert_der, False)
                await sock.connect("localhost", port)
                assert sock.server_certificate_status == "trusted"
                sock.close()

            run(body)


class TestPythonPeer:
    def test_echo_through_a_python_server(self, pki: PKI) -> None:
        """75 KiB echoed through a Python ssl server arrive intact; close() gives no event."""
        with PythonTLSServer(pki.leaf) as server:

            async def body() -> None:
                sock = trusting(pki)
                rec = Recorder(sock)
                await sock.connect("127.0.0.1", server.port)
                payload = bytes(range(256)) * 300
                sock.write_bytes(ByteArray(payload))
                sock.flush()
                while sock.bytes_available < len(payload):
                    await rec.next("socketData")
                target = ByteArray()
                sock.read_bytes(target)
                assert bytes(target) == payload
                sock.close()
                await asyncio.sleep(0.05)
                assert "close" not in rec.types()

            run(body)
            assert server.handshake_errors == []

    def test_local_close_sends_close_notify(self, pki: PKI) -> None:
        """Our close() ends the stream with close_notify: the server sees a clean end."""
        with ScriptedTLSServer(pki, ending="await_close") as server:

            async def body() -> None:
                sock = trusting(pki)
                Recorder(sock)
                await sock.connect("127.0.0.1", server.port)
                sock.close()
                for _ in range(100):
                    if server.endings:
                        break
                    await asyncio.sleep(0.02)

            run(body)
            assert server.endings == ["clean"]

    @pytest.mark.parametrize("policy", ["soft-fail", "off"])
    def test_remote_close_with_close_notify(self, pki: PKI, policy: str) -> None:
        """Data sent right after the handshake is announced once after connect; the server's
        close_notify then gives one close event; the data stays readable."""
        with ScriptedTLSServer(pki, greeting=b"bye now", ending="close_notify") as server:

            async def body() -> None:
                sock = trusting(pki, revocation=policy)
                rec = Recorder(sock)
                await sock.connect("127.0.0.1", server.port)
                await rec.wait("close")
                assert rec.types()[0] == "connect"
                assert rec.types()[-1] == "close"
                data = [e.bytes_loaded for e in rec.events if e.type == "socketData"]
                assert sum(data) == len(b"bye now")  # announced once, not once per path
                assert rec.types().count("close") == 1
                assert not sock.close_truncated
                assert sock.read_utf_bytes(sock.bytes_available) == "bye now"
                assert sock.server_certificate_status == "trusted"

            run(body)

    def test_truncated_close_is_flagged(self, pki: PKI) -> None:
        """Twin: a TCP close without close_notify is a close flagged as truncated."""
        with ScriptedTLSServer(pki, greeting=b"cut", ending="truncate") as server:

            async def body() -> None:
                sock = trusting(pki)
                rec = Recorder(sock)
                await sock.connect("127.0.0.1", server.port)
                await rec.wait("close")
                assert sock.close_truncated
                assert sock.read_utf_bytes(sock.bytes_available) == "cut"

            run(body)

    def test_tls12_only_server_with_min_version_13_fails(self, pki: PKI) -> None:
        """min_version TLSv1.3 against a TLS 1.2-only server: ioError, status invalid."""
        with PythonTLSServer(pki.leaf, tls_version="1.2") as server:

            async def body() -> None:
                sock = trusting(pki, min_version="TLSv1.3")
                rec = Recorder(sock)
                with pytest.raises(IOError, match="TLS handshake failed"):
                    await sock.connect("127.0.0.1", server.port)
                assert rec.types() == ["ioError"]
                assert sock.server_certificate_status == "invalid"
                ok = trusting(pki)  # twin: the default minimum (1.2) connects
                await ok.connect("127.0.0.1", server.port)
                ok.close()

            run(body)

    def test_expired_certificate_is_expired(self, pki: PKI) -> None:
        """An expired leaf gives ioError with status expired."""
        expired = pki.intermediate.issue_cert(
            "localhost",
            "127.0.0.1",
            not_before=NOW - dt.timedelta(days=30),
            not_after=NOW - dt.timedelta(days=1),
            ocsp_url=None,
            crl_url=None,
        )
        with PythonTLSServer(expired) as server:

            async def body() -> None:
                sock = trusting(pki)
                Recorder(sock)
                with pytest.raises(CertificateVerificationError):
                    await sock.connect("127.0.0.1", server.port)
                assert sock.server_certificate_status == "expired"

            run(body)


class TestFailures:
    def test_refused_port_is_io_error_with_status_invalid(self) -> None:
        """A TCP refusal: one ioError, status invalid (not unknown)."""

        async def body() -> None:
            sock = SecureSocket()
            rec = Recorder(sock)
            with pytest.raises(IOError, match="#2031"):
                await sock.connect("127.0.0.1", refused_port())
            assert rec.types() == ["ioError"]
            assert sock.server_certificate_status == "invalid"

        run(body)

    def test_silent_server_times_out_with_security_error(self) -> None:
        """A server that accepts TCP but never answers TLS: securityError after the timeout."""
        with silent_listener() as port:

            async def body() -> None:
                sock = SecureSocket()
                sock.timeout = 250
                rec = Recorder(sock)
                with pytest.raises(SecurityError, match="#2048"):
                    await sock.connect("127.0.0.1", port)
                await asyncio.sleep(0.05)
                assert rec.types() == ["securityError"]
                assert sock.server_certificate_status == "invalid"

            run(body)

    def test_server_closing_during_the_handshake_is_io_error(self) -> None:
        """A server that accepts TCP and closes before answering TLS: ioError, invalid."""

        async def body() -> None:
            async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                await reader.read(65536)  # take the ClientHello, so the close is a FIN, not a RST
                writer.close()

            server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
            try:
                sock = SecureSocket()
                rec = Recorder(sock)
                with pytest.raises(IOError, match="closed by the peer"):
                    await sock.connect("127.0.0.1", server.sockets[0].getsockname()[1])
                assert rec.types() == ["ioError"]
                assert sock.server_certificate_status == "invalid"
            finally:
                server.close()
                await server.wait_closed()

        run(body)

    def test_status_resets_on_the_next_connect(self) -> None:
        """A result is kept until the next connect() resets it to unknown."""

        async def body() -> None:
            sock = SecureSocket()
            Recorder(sock)
            with pytest.raises(IOError):
                await sock.connect("127.0.0.1", refused_port())
            assert sock.server_certificate_status == "invalid"
            sock.close()
            assert sock.server_certificate_status == "invalid"
            attempt = sock.connect("127.0.0.1", refused_port())
            assert sock.server_certificate_status == "unknown"
            with pytest.raises(IOError):
                await attempt

        run(body)

    @pytest.mark.parametrize(
        "bad",
        [b"", b"not a certificate", "a string", 42],
        ids=["empty", "garbage", "str", "int"],
    )
    def test_add_certificate_rejects_non_der(self, bad: object) -> None:
        """Anything but one DER certificate raises ArgumentError #2004."""
        with pytest.raises(ArgumentError, match="#2004") as info:
            SecureSocket().add_binary_chain_building_certificate(bad, True)
        assert info.value.error_id == 2004

    def test_add_certificate_rejects_pem(self, pki: PKI) -> None:
        """PEM is refused (DER only); twin: the same certificate as DER is accepted."""
        sock = SecureSocket()
        with pytest.raises(ArgumentError, match="#2004"):
            sock.add_binary_chain_building_certificate(pki.root.cert_pem.bytes(), True)
        sock.add_binary_chain_building_certificate(pki.root_der, True)

    @pytest.mark.parametrize(
        "options",
        [
            {"revocation": "maybe"},
            {"trust": "everything"},
            {"min_version": "SSLv3"},
            {"profile": "lenient"},
        ],
    )
    def test_bad_options_are_argument_errors(self, options: dict[str, str]) -> None:
        """Unknown revocation policies, trust sources and versions are refused."""
        with pytest.raises(ArgumentError, match="#2008"):
            SecureSocket(**options)

    def test_is_supported_and_as3_names(self) -> None:
        """isSupported is True and the AS3 spellings reach the Python members."""
        sock = SecureSocket()
        assert SecureSocket.isSupported is True
        assert sock.serverCertificateStatus == "unknown"
        assert sock.serverCertificate is None


@pytest.fixture(scope="module")
def ocsp_pki() -> PKI:
    """A leaf that declares an OCSP responder on a port where nothing listens."""
    return make_pki(ocsp_url=f"http://127.0.0.1:{refused_port()}/ocsp")


class TestRevocation:
    @pytest.mark.parametrize(
        ("revoked", "policy", "status"),
        [(True, "soft-fail", "revoked"), (False, "soft-fail", "trusted"), (True, "off", "trusted")],
        ids=["revoked", "good", "revoked-but-off"],
    )
    def test_stapled_ocsp_answer_decides(
        self, ocsp_pki: PKI, revoked: bool, policy: str, status: str
    ) -> None:
        """A stapled "revoked" gives ioError + revoked; a stapled "good" connects; policy
        "off" checks nothing and connects even to a revoked certificate (AIR's hole)."""
        staple = ocsp_staple(ocsp_pki, revoked=revoked)
        with OpenSSLServer(ocsp_pki.leaf, staple=staple) as server:
            port = server.port
            rejected = status == "revoked"

            async def body() -> None:
                sock = trusting(ocsp_pki, revocation=policy)
                rec = Recorder(sock)
                attempt = sock.connect("localhost", port)
                if rejected:
                    with pytest.raises(CertificateVerificationError, match="revoked"):
                        await attempt
                    assert rec.types() == ["ioError"]
                else:
                    await attempt
                    assert rec.types() == ["connect"]
                    sock.close()
                assert sock.server_certificate_status == status
                assert sock.revocation_report is not None
                assert sock.revocation_report.accepted is not rejected
                assert sock.verification is not None
                assert sock.verification.path[0] == ocsp_pki.leaf.certificate
                assert sock.verification.status == status
                # serverCertificate exists only for an established secure connection.
                assert (sock.server_certificate is None) is rejected

            run(body)

    @pytest.mark.parametrize(
        ("policy", "status"), [("soft-fail", "trusted"), ("hard-fail", "invalid")]
    )
    def test_unreachable_responder_by_policy(self, ocsp_pki: PKI, policy: str, status: str) -> None:
        """The declared responder is down: soft-fail connects, hard-fail gives invalid."""
        with OpenSSLServer(ocsp_pki.leaf) as server:
            port = server.port

            async def body() -> None:
                sock = trusting(ocsp_pki, revocation=policy)
                rec = Recorder(sock)
                attempt = sock.connect("localhost", port)
                if status == "trusted":
                    await attempt
                    sock.close()
                else:
                    with pytest.raises(CertificateVerificationError):
                        await attempt
                    assert "connect" not in rec.types()
                assert sock.server_certificate_status == status
                assert sock.revocation == policy

            run(body)


@asynccontextmanager
async def coalescing_tls12_server(pki: PKI, greeting: bytes) -> AsyncIterator[int]:
    """A TLS 1.2 server (pyOpenSSL on memory BIOs) that sends its last handshake flight and
    ``greeting`` in one TCP write, so the client sees the handshake end and data together."""

    class Server(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport = transport
            ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
            ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
            pki.leaf.configure_cert(ctx)
            self.conn = SSL.Connection(ctx, None)
            self.conn.set_accept_state()
            self.greeted = False

        def data_received(self, data: bytes) -> None:
            self.conn.bio_write(data)
            with contextlib.suppress(SSL.WantReadError):
                self.conn.do_handshake()
                if not self.greeted:
                    self.greeted = True
                    self.conn.send(greeting)
            out = b""
            with contextlib.suppress(SSL.WantReadError):
                while True:
                    out += self.conn.bio_read(65536)
            if out:
                self.transport.write(out)

    server = await asyncio.get_running_loop().create_server(Server, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


class TestDataWithTheHandshake:
    @pytest.mark.parametrize("policy", ["off", "soft-fail"])
    def test_data_in_the_same_read_as_the_handshake_end_is_announced_once(
        self, pki: PKI, policy: str
    ) -> None:
        """Records that arrive with the server's Finished: connect, then one socketData with
        their size (never a second announcement of the same bytes)."""

        async def body() -> None:
            async with coalescing_tls12_server(pki, b"early hello") as port:
                sock = trusting(pki, revocation=policy)
                rec = Recorder(sock)
                await sock.connect("127.0.0.1", port)
                await rec.wait("socketData")
                await asyncio.sleep(0.05)
                assert rec.types() == ["connect", "socketData"]
                assert rec.events[1].bytes_loaded == len(b"early hello")
                assert sock.read_utf_bytes(sock.bytes_available) == "early hello"
                sock.close()

        run(body)


class TestRenegotiationStatus:
    """A TLS 1.2 renegotiation is judged like the first handshake, and the status says so."""

    @staticmethod
    async def _renegotiate(new_identity: bool) -> tuple[SecureSocket, Recorder, bytes]:
        ca = ThrowawayCA()
        identity = ca.issue("localhost")
        other = ThrowawayCA("impostor root").issue("localhost") if new_identity else None
        sock = SecureSocket(trust="none")
        sock.add_binary_chain_building_certificate(ca.root.public_bytes(Encoding.DER), trusted=True)
        rec = Recorder(sock)
        received = bytearray()
        with RenegotiatingServer(identity, new_identity=other) as server:
            await asyncio.wait_for(sock.connect("localhost", server.port), 30)
            assert sock.server_certificate_status == "trusted"
            async with asyncio.timeout(30):  # a hang fails the test; nothing is timed
                while RenegotiatingServer.AFTER not in received and "ioError" not in rec.types():
                    if sock.bytes_available:
                        sock.read_bytes(received, len(received))
                    else:
                        await asyncio.sleep(0.01)
            if sock.connected:
                sock.close()
        return sock, rec, bytes(received)

    def test_a_changed_certificate_is_refused_and_the_status_says_so(self) -> None:
        sock, rec, received = run(lambda: self._renegotiate(new_identity=True))
        assert rec.types()[0] == "connect"
        assert rec.types()[-1] == "ioError"
        assert RenegotiatingServer.AFTER not in received
        assert sock.server_certificate_status == CertificateStatus.INVALID.value
        assert sock.verification is not None
        assert [p.code for p in sock.verification.problems] == ["certificate_changed"]
        assert sock.server_certificate is not None  # the certificate it connected with

    def test_the_same_certificate_keeps_the_status_trusted(self) -> None:
        """Twin: renegotiating with the certificate already judged changes nothing."""
        sock, rec, received = run(lambda: self._renegotiate(new_identity=False))
        assert "ioError" not in rec.types()
        assert received.startswith(RenegotiatingServer.BEFORE + RenegotiatingServer.AFTER)
        assert sock.server_certificate_status == CertificateStatus.TRUSTED.value
        assert sock.verification is not None
        assert sock.verification.trusted
