"""The sans-I/O engine, driven in-process against a pyOpenSSL memory-BIO server (no sockets)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from OpenSSL import SSL

from securesocket import _engine
from securesocket._bytequeue import ByteQueue
from securesocket._context import ContextOptions, client_context
from securesocket._engine import (
    DataReceived,
    EngineState,
    HandshakeCompleted,
    PeerClosed,
    TLSEngine,
    sni_name,
)
from securesocket.exceptions import ArgumentError, CertificateVerificationError, TLSError
from tests.tls_helpers import PKI, make_pki


@pytest.fixture(autouse=True, params=["direct-read", "public-read"])
def read_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every engine test runs on both plaintext read paths: the direct ``SSL_read`` (used
    when pyOpenSSL's internals are present) and the public ``recv_into`` fallback."""
    if request.param == "public-read":
        monkeypatch.setattr(_engine, "_DIRECT_READ", None)
    else:
        assert _engine._DIRECT_READ is not None, "this pyOpenSSL lacks the direct read path"
    return str(request.param)


class PinnedHooks:
    """Accepts exactly one leaf certificate (a real check: anything else is rejected)."""

    def __init__(self, expected_der: bytes) -> None:
        self.expected_der = expected_der
        self.calls = 0
        self.staples: list[bytes] = []

    def verify_peer(self, conn: SSL.Connection) -> bool:
        self.calls += 1
        chain = conn.get_peer_cert_chain(as_cryptography=True)
        assert chain
        from cryptography.hazmat.primitives.serialization import Encoding

        if chain[0].public_bytes(Encoding.DER) != self.expected_der:
            raise CertificateVerificationError("not the pinned certificate", status="invalid")
        return True

    def store_staple(self, ocsp_der: bytes) -> None:
        self.staples.append(ocsp_der)


@pytest.fixture(scope="module")
def pki() -> PKI:
    return make_pki()


def server_conn(
    pki: PKI, *, max_version: int = SSL.TLS1_3_VERSION, staple: bytes = b""
) -> SSL.Connection:
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    if max_version < SSL.TLS1_2_VERSION:  # a legacy server: only its old version, any cipher
        ctx.set_min_proto_version(max_version)
        ctx.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
    ctx.set_max_proto_version(max_version)
    ctx.use_certificate(pki.leaf.certificate)
    ctx.use_privatekey(pki.leaf.private_key)
    ctx.add_extra_chain_cert(pki.intermediate.certificate)
    if staple:
        ctx.set_ocsp_server_callback(lambda conn, data: staple)
    conn = SSL.Connection(ctx, None)
    conn.set_accept_state()
    return conn


def server_output(conn: SSL.Connection) -> bytes:
    out = b""
    while True:
        try:
            out += conn.bio_read(65536)
        except SSL.WantReadError:
            return out


def server_step(conn: SSL.Connection) -> None:
    try:
        conn.do_handshake()
    except SSL.WantReadError:
        pass
    except SSL.Error:
        pass  # the server's alert is in its outgoing BIO; the client must report it.


def handshake(
    engine: TLSEngine, server: SSL.Connection, *, chunk: int | None = None
) -> list[object]:
    """Move bytes both ways until nothing moves; feed the client ``chunk`` bytes at a time."""
    events: list[object] = []
    engine.start()
    for _ in range(50):
        to_server = engine.data_to_send()
        if to_server:
            server.bio_write(to_server)
        server_step(server)
        to_client = server_output(server)
        if not to_server and not to_client:
            break
        step = chunk or max(1, len(to_client))
        for i in range(0, len(to_client), step):
            events += engine.receive_data(to_client[i : i + step])
    return events


def new_engine(
    pki: PKI, host: str = "localhost", **ctx: str
) -> tuple[TLSEngine, PinnedHooks, ByteQueue]:
    hooks = PinnedHooks(pki.leaf.der)
    plaintext = ByteQueue()
    engine = TLSEngine(client_context(ContextOptions(**ctx)), host, plaintext, app_data=hooks)
    return engine, hooks, plaintext


class TestLayering:
    def test_engine_never_imports_socket_or_asyncio(self) -> None:
        """The engine module's imports (parsed, not executed) name neither socket nor asyncio."""
        tree = ast.parse(Path(inspect.getfile(_engine)).read_text())
        imported: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
        assert "OpenSSL" in imported  # the parser did see the imports
        assert not imported & {"socket", "asyncio", "selectors", "ssl"}


class TestHandshake:
    @pytest.mark.parametrize(
        ("max_version", "expected"),
        [(SSL.TLS1_3_VERSION, "TLSv1.3"), (SSL.TLS1_2_VERSION, "TLSv1.2")],
    )
    def test_handshake_completes_and_data_flows_both_ways(
        self, pki: PKI, max_version: int, expected: str
    ) -> None:
        """A handshake gives one HandshakeCompleted; data then flows in both directions."""
        engine, hooks, plaintext = new_engine(pki)
        server = server_conn(pki, max_version=max_version)
        events = handshake(engine, server)
        assert [type(e) for e in events] == [HandshakeCompleted]
        assert events[0].version == expected  # type: ignore[attr-defined]
        assert engine.state is EngineState.OPEN
        assert hooks.calls >= 1
        engine.send(b"ping")
        server.bio_write(engine.data_to_send())
        assert server.recv(100) == b"ping"
        server.sendall(b"pong" * 10000)
        data_events = engine.receive_data(server_output(server))
        assert data_events == [DataReceived(40000)]
        assert plaintext.peek_all() == b"pong" * 10000

    def test_rejected_certificate_fails_handshake_and_flushes_an_alert(self, pki: PKI) -> None:
        """A verify rejection surfaces as the callback's exception, latches, and leaves an alert."""
        hooks = PinnedHooks(b"some other certificate")
        engine = TLSEngine(client_context(), "localhost", ByteQueue(), app_data=hooks)
        server = server_conn(pki)
        with pytest.raises(CertificateVerificationError, match="pinned"):
            handshake(engine, server)
        assert engine.state is EngineState.BROKEN
        alert = engine.data_to_send()
        assert alert, "the alert explaining the failure must be waiting to be sent"
        server.bio_write(alert)
        with pytest.raises(SSL.Error):
            server.do_handshake()
        # Latched: every later call re-raises the first failure.
        with pytest.raises(CertificateVerificationError):
            engine.receive_data(b"\x17\x03\x03\x00\x01x")
        with pytest.raises(CertificateVerificationError):
            engine.send(b"x")

    def test_engine_without_hooks_never_accepts(self, pki: PKI) -> None:
        """With no per-connection hooks, OpenSSL (which has no roots) decides: rejected."""
        engine = TLSEngine(client_context(), "localhost", ByteQueue())
        with pytest.raises(TLSError, match="certificate verify failed"):
            handshake(engine, server_conn(pki))

    def test_one_byte_at_a_time_gives_the_same_result(self, pki: PKI) -> None:
        """Feeding the server's flight one byte per call completes the same handshake."""
        engine, _, plaintext = new_engine(pki)
        server = server_conn(pki)
        events = handshake(engine, server, chunk=1)
        assert [type(e) for e in events] == [HandshakeCompleted]
        server.send(b"0123456789" * 100)
        wire = server_output(server)
        for i in range(len(wire)):
            engine.receive_data(wire[i : i + 1])
        assert plaintext.peek_all() == b"0123456789" * 100

    def test_sni_is_sent_for_a_dns_name_only(self, pki: PKI) -> None:
        """A DNS host name goes out as SNI; an IP literal does not."""
        engine, _, _ = new_engine(pki, "localhost")
        server = server_conn(pki)
        handshake(engine, server)
        assert server.get_servername() == b"localhost"
        engine, _, _ = new_engine(pki, "127.0.0.1")
        server = server_conn(pki)
        handshake(engine, server)
        assert server.get_servername() is None
        assert sni_name("[::1]") is None
        assert sni_name("bücher.example.") == b"xn--bcher-kva.example"

    def test_ocsp_staple_is_handed_to_the_hooks(self, pki: PKI) -> None:
        """The stapled bytes reach the hooks; no staple gives b""."""
        engine, hooks, _ = new_engine(pki)
        handshake(engine, server_conn(pki, staple=b"\x30\x03\x0a\x01\x01"))
        assert hooks.staples == [b"\x30\x03\x0a\x01\x01"]
        engine, hooks, _ = new_engine(pki)
        handshake(engine, server_conn(pki))
        assert hooks.staples == [b""]

    def test_min_version_tls13_refuses_a_tls12_server(self, pki: PKI) -> None:
        """min_version TLSv1.3 against a TLS 1.2-only server fails (twin of the 1.2 success)."""
        engine, _, _ = new_engine(pki, min_version="TLSv1.3")
        with pytest.raises(TLSError, match="TLS handshake failed"):
            handshake(engine, server_conn(pki, max_version=SSL.TLS1_2_VERSION))
        assert engine.state is EngineState.BROKEN

    def test_legacy_minimum_reaches_a_tls11_server(self, pki: PKI) -> None:
        """min_version TLSv1 can talk to a TLS 1.1-only server (where the build has it)."""
        engine, _, _ = new_engine(pki, min_version="TLSv1")
        events = handshake(engine, server_conn(pki, max_version=SSL.TLS1_1_VERSION))
        assert [type(e) for e in events] == [HandshakeCompleted]
        assert events[0].version == "TLSv1.1"  # type: ignore[attr-defined]

    def test_default_minimum_refuses_a_tls11_server(self, pki: PKI) -> None:
        """Twin: the default minimum (TLS 1.2) refuses the same server."""
        engine, _, _ = new_engine(pki)
        with pytest.raises(TLSError, match="protocol version"):
            handshake(engine, server_conn(pki, max_version=SSL.TLS1_1_VERSION))

    def test_peer_eof_during_handshake_is_an_error(self, pki: PKI) -> None:
        """An EOF before the handshake finishes fails it, naming the peer's close."""
        engine, _, _ = new_engine(pki)
        engine.start()
        with pytest.raises(TLSError, match="closed by the peer"):
            engine.receive_data(b"")

    def test_send_before_handshake_is_refused(self, pki: PKI) -> None:
        """Application data cannot be sent while handshaking."""
        engine, _, _ = new_engine(pki)
        engine.start()
        with pytest.raises(TLSError, match="handshaking"):
            engine.send(b"early")


class TestContext:
    def test_one_context_per_option_set(self) -> None:
        """Equal options share one Context; different options get another."""
        assert client_context(ContextOptions()) is client_context(ContextOptions("TLSv1.2"))
        assert client_context(ContextOptions("TLSv1.3")) is not client_context()

    def test_contexts_are_not_shared_across_threads(self) -> None:
        """Another thread gets its own Context (pyOpenSSL keeps callback errors on it)."""
        import threading

        seen: list[object] = []
        worker = threading.Thread(target=lambda: seen.extend([client_context(), client_context()]))
        worker.start()
        worker.join()
        assert seen[0] is seen[1]
        assert seen[0] is not client_context()

    @pytest.mark.parametrize("bad", ["SSLv3", "SSLv2", "tls1.2", ""])
    def test_unknown_or_ssl_versions_are_refused(self, bad: str) -> None:
        """SSLv3 and unknown spellings raise ArgumentError #2008."""
        with pytest.raises(ArgumentError, match="min_version") as info:
            ContextOptions(bad)
        assert info.value.error_id == 2008


class TestClose:
    def open_pair(self, pki: PKI) -> tuple[TLSEngine, SSL.Connection, ByteQueue]:
        engine, _, plaintext = new_engine(pki)
        server = server_conn(pki)
        handshake(engine, server)
        return engine, server, plaintext

    def test_close_notify_from_peer_is_a_clean_close(self, pki: PKI) -> None:
        """Data then close_notify gives DataReceived then PeerClosed(truncated=False)."""
        engine, server, plaintext = self.open_pair(pki)
        server.send(b"bye")
        assert len(plaintext) == 0
        server.shutdown()
        events = engine.receive_data(server_output(server))
        assert events == [DataReceived(3), PeerClosed(truncated=False)]
        assert engine.state is EngineState.CLOSED
        # We answered with our own close_notify.
        server.bio_write(engine.data_to_send())
        with pytest.raises(SSL.ZeroReturnError):
            server.recv(10)

    def test_eof_without_close_notify_is_a_truncation(self, pki: PKI) -> None:
        """A transport EOF without close_notify gives PeerClosed(truncated=True)."""
        engine, server, plaintext = self.open_pair(pki)
        server.send(b"partial")
        assert engine.receive_data(server_output(server)) == [DataReceived(7)]
        assert engine.receive_data(b"") == [PeerClosed(truncated=True)]
        assert plaintext.peek_all() == b"partial"
        assert engine.state is EngineState.CLOSED

    def test_local_close_sends_close_notify_once(self, pki: PKI) -> None:
        """close() emits close_notify once; a second close() emits nothing."""
        engine, server, _ = self.open_pair(pki)
        engine.close()
        wire = engine.data_to_send()
        assert wire
        server.bio_write(wire)
        with pytest.raises(SSL.ZeroReturnError):
            server.recv(10)
        engine.close()
        assert engine.data_to_send() == b""
        with pytest.raises(TLSError, match="closed"):
            engine.send(b"after close")

    def test_close_during_handshake_is_an_abort(self, pki: PKI) -> None:
        """Closing mid-handshake sends nothing more and ends in CLOSED."""
        engine, _, _ = new_engine(pki)
        engine.start()
        engine.data_to_send()
        engine.close()
        assert engine.data_to_send() == b""
        assert engine.state is EngineState.CLOSED


class TestGarbage:
    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(garbage=st.binary(min_size=1, max_size=300))
    def test_arbitrary_bytes_during_handshake_are_a_tls_error_or_need_more(
        self, pki: PKI, garbage: bytes
    ) -> None:
        """Random bytes as the server's answer give TLSError or nothing yet: never another error."""
        engine, _, _ = new_engine(pki)
        engine.start()
        try:
            assert engine.receive_data(garbage) == []
        except TLSError:
            assert engine.state is EngineState.BROKEN
        else:
            assert engine.state is EngineState.HANDSHAKING

    @settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(garbage=st.binary(min_size=1, max_size=200), split=st.booleans())
    def test_trailing_garbage_after_valid_records_keeps_the_valid_data(
        self, pki: PKI, garbage: bytes, split: bool
    ) -> None:
        """Valid records followed by garbage: the valid data is delivered, then a TLSError
        (latched) or a wait for more; never another exception and never lost data."""
        engine, _, plaintext = new_engine(pki)
        server = server_conn(pki)
        handshake(engine, server)
        server.send(b"valid data")
        wire = server_output(server) + garbage
        try:
            if split:
                for i in range(len(wire)):
                    engine.receive_data(wire[i : i + 1])
            else:
                engine.receive_data(wire)
        except TLSError:
            assert engine.state is EngineState.BROKEN
            with pytest.raises(TLSError):
                engine.receive_data(b"more")
        assert plaintext.peek_all() == b"valid data"


def server_recv(server: SSL.Connection) -> bytes:
    """What the server can read now (b"" when it needs more bytes)."""
    try:
        return server.recv(65536)
    except SSL.WantReadError:
        return b""


def server_send(server: SSL.Connection, pending: bytes) -> bytes:
    """Send what the server can; a write stalled by the renegotiation stays pending."""
    try:
        while pending:
            pending = pending[server.send(pending) :]
    except SSL.WantReadError:
        pass
    return pending


class TestRenegotiation:
    def test_server_renegotiation_mid_stream_keeps_data_in_order(self, pki: PKI) -> None:
        """A TLS 1.2 server renegotiates while the client keeps sending: every byte arrives,
        in order, both ways (stalled writes are retried with the same bytes)."""
        engine, _, plaintext = new_engine(pki)
        server = server_conn(pki, max_version=SSL.TLS1_2_VERSION)
        handshake(engine, server)
        assert server.renegotiate()
        server_step(server)  # queues the HelloRequest
        received = b""
        sent = b""
        server_pending = b""
        stalled = 0
        for i in range(30):
            chunk = f"client chunk {i};".encode()
            engine.send(chunk)
            stalled += engine.pending_write_bytes > 0
            sent += chunk
            to_server = engine.data_to_send()
            if to_server:
                server.bio_write(to_server)
            received += server_recv(server)
            server_pending += f"server chunk {i};".encode()
            server_pending = server_send(server, server_pending)
            engine.receive_data(server_output(server))
        # Drain: move bytes until nothing moves.
        for _ in range(20):
            to_server = engine.data_to_send()
            if to_server:
                server.bio_write(to_server)
            received += server_recv(server)
            server_pending = server_send(server, server_pending)
            to_client = server_output(server)
            if not to_server and not to_client:
                break
            engine.receive_data(to_client)
        assert stalled >= 1  # the same-bytes retry path really ran
        assert server.total_renegotiations() == 1
        assert not server.renegotiate_pending()
        assert received == sent
        assert engine.pending_write_bytes == 0
        assert plaintext.peek_all() == b"".join(f"server chunk {i};".encode() for i in range(30))
