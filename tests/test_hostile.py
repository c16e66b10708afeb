"""Hostile TLS servers against `SecureSocket`: every misbehaviour ends in one clear event.

Each hostile server from `securesocket.testing.hostile` is first shown to really misbehave
(against the stdlib `ssl` client, an independent TLS stack), then `SecureSocket` is pointed at
it: the expected event and `server_certificate_status` arrive within the socket's timeout, and
no exception ever reaches the event loop's exception handler. Every rejection has a control
twin in the same harness that connects, so a pass is never vacuous.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID

from securesocket import SecureSocket
from securesocket._socket import DEFAULT_READ_BUFFER_LIMIT, READ_BUFFER_SIZE
from securesocket.exceptions import IOError, SecurityError
from securesocket.testing import hostile
from securesocket.testing.ca import CA
from securesocket.testing.hostile import (
    DecoyIssuersServer,
    FloodingServer,
    GarbageServer,
    HugeCertificateServer,
    KeyUpdateServer,
    LongChainServer,
    MalformedCertificateServer,
    MidRecordServer,
    RenegotiatingServer,
    ServerIdentity,
    SlowlorisServer,
    ThrowawayCA,
    TLSServer,
    TruncatingServer,
)
from tests.counting_http import CountingHTTPServer


# Every test here must leave no thread or child process behind (the kit's pytest plugin).
pytestmark = pytest.mark.usefixtures("no_leftover_servers")

OUTCOME_LIMIT = 30.0
"""Seconds a whole attempt may take before the test fails (a hang, never a timed assertion)."""
SHORT_TIMEOUT_MS = 500
"""The socket timeout for servers that stall on purpose."""


# --------------------------------------------------------------------------- harness


@pytest.fixture(scope="module")
def ca() -> ThrowawayCA:
    return ThrowawayCA()


@pytest.fixture(scope="module")
def identity(ca: ThrowawayCA) -> ServerIdentity:
    return ca.issue("localhost", intermediates=1)


def der(certificate: Any) -> bytes:
    return bytes(certificate.public_bytes(serialization.Encoding.DER))


@dataclass
class Outcome:
    """Everything one connect attempt produced."""

    events: list[str] = field(default_factory=list)
    status: str = ""
    truncated: bool = False
    data: bytes = b""
    raised: BaseException | None = None
    loop_errors: list[dict[str, Any]] = field(default_factory=list)
    path: tuple[Any, ...] = ()


async def _attempt(
    address: tuple[str, int],
    anchors: list[bytes],
    *,
    host: str,
    timeout_ms: int,
    send: bytes,
    done: Callable[[bytes], bool],
    then_send: bytes,
    until_server: Callable[[], bool],
    listeners: dict[str, Callable[[Any], None]],
    revocation: str,
) -> Outcome:
    loop = asyncio.get_running_loop()
    outcome = Outcome()
    loop.set_exception_handler(lambda _loop, context: outcome.loop_errors.append(context))
    sock = SecureSocket(trust="none", revocation=revocation)
    sock.timeout = timeout_ms
    for anchor in anchors:
        sock.add_binary_chain_building_certificate(anchor, True)
    finished = asyncio.Event()
    received = bytearray()

    def on_event(event: Any) -> None:
        outcome.events.append(event.type)
        if event.type in ("socketData", "close") and sock.bytes_available:
            sock.read_bytes(received, len(received))
        if event.type in ("ioError", "securityError", "close") or done(bytes(received)):
            finished.set()

    for kind, listener in listeners.items():  # they run first: a higher priority
        sock.add_event_listener(kind, listener, priority=10)
    for kind in ("connect", "close", "ioError", "securityError", "socketData"):
        sock.add_event_listener(kind, on_event)
    try:
        try:
            await sock.connect(host, address[1])
        except (IOError, SecurityError) as error:
            outcome.raised = error
        else:
            if send:
                sock.write_bytes(send)
                sock.flush()
        await asyncio.wait_for(finished.wait(), OUTCOME_LIMIT)
        if then_send and sock.connected:
            sock.write_bytes(then_send)
            sock.flush()
            async with asyncio.timeout(OUTCOME_LIMIT):
                while not until_server() and sock.connected:
                    await asyncio.sleep(0.01)
        for _ in range(5):  # let any late event or callback surface before judging
            await asyncio.sleep(0.01)
    finally:
        outcome.status = sock.server_certificate_status
        outcome.truncated = sock.close_truncated
        outcome.data = bytes(received)
        outcome.path = tuple(sock.verification.path) if sock.verification else ()
        if sock.connected:
            sock.close()
        await asyncio.sleep(0.01)
    return outcome


def attempt(
    address: tuple[str, int],
    anchors: list[bytes],
    *,
    host: str = "localhost",
    timeout_ms: int = 20000,
    send: bytes = b"",
    done: Callable[[bytes], bool] = lambda _data: False,
    then_send: bytes = b"",
    until_server: Callable[[], bool] = lambda: True,
    listeners: dict[str, Callable[[Any], None]] | None = None,
    revocation: str = "soft-fail",
) -> Outcome:
    """One SecureSocket connect attempt on a fresh loop; returns what happened.

    Sends `send` right after ``connect``; waits for an error, a ``close``, or `done` to hold
    for the data received; then sends `then_send` and waits for `until_server()`.
    `listeners` are added before the recording ones, at a higher priority.
    """
    return asyncio.run(
        _attempt(
            address,
            anchors,
            host=host,
            timeout_ms=timeout_ms,
            send=send,
            done=done,
            then_send=then_send,
            until_server=until_server,
            listeners=listeners or {},
            revocation=revocation,
        )
    )


def assert_clean(outcome: Outcome, server: Any) -> None:
    """No exception reached the loop, and the hostile server itself did not break."""
    assert outcome.loop_errors == []
    assert server.errors == []


def assert_rejected(outcome: Outcome, event: str, status: str) -> None:
    """Exactly one failure event, never ``connect``, and the awaitable raised."""
    assert [event] == outcome.events
    assert status == outcome.status
    expected = SecurityError if event == "securityError" else IOError
    assert isinstance(outcome.raised, expected)


def stdlib_handshake(
    address: tuple[str, int], anchor: ThrowawayCA | None, *, timeout: float = 5.0
) -> str:
    """Handshake with the stdlib `ssl` client (an independent stack); the negotiated version."""
    context = ssl.create_default_context()
    if anchor is not None:
        context.load_verify_locations(cadata=der(anchor.root))
    with (
        socket.create_connection(address, timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        return str(tls.version())


def _until(data: bytes) -> Callable[[bytes], bool]:
    return lambda received: data in received


# --------------------------------------------------------------------------- the servers misbehave


class TestServersReallyMisbehave:
    """Each hostile server breaks an independent client (stdlib `ssl`) the way it claims."""

    @pytest.mark.parametrize(
        ("make", "reason"),
        [
            (GarbageServer, "WRONG_VERSION_NUMBER"),
            (HugeCertificateServer, "EXCESSIVE_MESSAGE_SIZE"),
            (lambda: MalformedCertificateServer(b"\x30\x03abc"), "ASN1"),
            (MidRecordServer, "UNEXPECTED_EOF"),
        ],
        ids=["garbage", "huge-certificate", "malformed-der", "mid-record"],
    )
    def test_handshake_fails_for_stdlib(
        self, make: Callable[[], hostile.HostileServer], reason: str, ca: ThrowawayCA
    ) -> None:
        """The stdlib client fails the handshake with the error this server provokes."""
        with make() as server, pytest.raises(ssl.SSLError, match=reason):
            stdlib_handshake(server.address, ca)
        assert server.errors == []

    @pytest.mark.parametrize(
        "make",
        [lambda: MidRecordServer(stall=True), lambda: SlowlorisServer(interval=0.05)],
        ids=["mid-record-stall", "slowloris"],
    )
    def test_stalling_servers_never_finish(
        self, make: Callable[[], hostile.HostileServer], ca: ThrowawayCA
    ) -> None:
        """The stdlib client's own timeout is the only way out of these handshakes."""
        with make() as server, pytest.raises(TimeoutError):
            stdlib_handshake(server.address, ca, timeout=0.5)
        assert server.errors == []

    def test_control_server_completes_for_stdlib(
        self, ca: ThrowawayCA, identity: ServerIdentity
    ) -> None:
        """The well-behaved TLSServer twin handshakes with the same client and trust."""
        with TLSServer(identity) as server:
            assert stdlib_handshake(server.address, ca) == "TLSv1.3"
        assert server.errors == []

    def test_long_chain_is_what_it_says(self) -> None:
        """LongChainServer presents 100 certificates, each issued by the next."""
        server = LongChainServer(100)
        chain = server.identity.chain
        assert len(chain) == 100
        assert all(c.issuer == p.subject for c, p in itertools.pairwise(chain))
        assert chain[-1].issuer == server.ca.root.subject

    def test_every_malformed_variant_is_rejected_by_cryptography(
        self, identity: ServerIdentity
    ) -> None:
        """Each `malformed_der_variants` entry really is unparseable DER."""
        from cryptography import x509

        variants = hostile.malformed_der_variants(der(identity.leaf))
        assert len(variants) >= 5
        for name, data in variants.items():
            with pytest.raises(ValueError):  # noqa: PT012 - one parse per variant
                x509.load_der_x509_certificate(data)
                pytest.fail(f"variant {name} parsed")


class TestServersLeaveNothingBehind:
    """Each hostile server, used and left, closes every descriptor it opened (threads and
    child processes are checked for every test by ``no_leftover_servers``)."""

    @pytest.mark.parametrize(
        "make",
        [
            GarbageServer,
            MidRecordServer,
            lambda: MidRecordServer(stall=True),
            SlowlorisServer,
            HugeCertificateServer,
            lambda: MalformedCertificateServer(b"\x30\x00"),
            lambda: LongChainServer(3),
            lambda: DecoyIssuersServer(3),
            lambda: TLSServer(ThrowawayCA().issue("localhost")),
            lambda: TruncatingServer(ThrowawayCA().issue("localhost")),
            lambda: RenegotiatingServer(ThrowawayCA().issue("localhost")),
            lambda: KeyUpdateServer(ThrowawayCA().issue("localhost")),
        ],
        ids=[
            "garbage",
            "mid-record",
            "mid-record-stall",
            "slowloris",
            "huge-certificate",
            "malformed",
            "long-chain",
            "decoys",
            "tls",
            "truncating",
            "renegotiating",
            "key-update",
        ],
    )
    def test_no_descriptor_left(self, make: Callable[[], Any], ca: ThrowawayCA) -> None:
        """Open descriptors after leaving the server equal those before entering it, even
        with a client still connected mid-handshake when it stops."""
        server = make()
        before = len(os.listdir("/proc/self/fd"))
        with server, socket.create_connection(server.address, timeout=5) as client:
            client.sendall(b"\x16\x03\x01\x00\x05hello")  # the start of a (bogus) handshake
        assert len(os.listdir("/proc/self/fd")) == before
        assert server.errors == []


# --------------------------------------------------------------------------- SecureSocket


class TestHandshakeAttacks:
    """Servers that break the handshake: one ``ioError`` or ``securityError``, never
    ``connect``, a specific status, and nothing escapes to the loop."""

    def test_control_good_server_connects(self, ca: ThrowawayCA, identity: ServerIdentity) -> None:
        """The twin of every test here: same harness and trust, a good server connects."""
        with TLSServer(identity) as server:
            outcome = attempt(server.address, [der(ca.root)], send=b"ping", done=_until(b"ping"))
        assert outcome.events[:2] == ["connect", "socketData"]
        assert outcome.status == "trusted"
        assert outcome.data == b"ping"
        assert_clean(outcome, server)

    def test_garbage_instead_of_server_hello(self, ca: ThrowawayCA) -> None:
        """Non-TLS bytes → ioError, status invalid."""
        with GarbageServer() as server:
            outcome = attempt(server.address, [der(ca.root)])
        assert_rejected(outcome, "ioError", "invalid")
        assert_clean(outcome, server)

    def test_random_garbage_instead_of_server_hello(self, ca: ThrowawayCA) -> None:
        """Bytes that start like a TLS alert record but are not → ioError, status invalid."""
        with GarbageServer(b"\x15\x03\x03\x00\x02\xff\xff" + bytes(range(256)) * 8) as server:
            outcome = attempt(server.address, [der(ca.root)])
        assert_rejected(outcome, "ioError", "invalid")
        assert_clean(outcome, server)

    def test_hang_up_mid_record(self, ca: ThrowawayCA) -> None:
        """Half a handshake record, then FIN → ioError, status invalid."""
        with MidRecordServer() as server:
            outcome = attempt(server.address, [der(ca.root)])
        assert_rejected(outcome, "ioError", "invalid")
        assert_clean(outcome, server)

    def test_stall_mid_record_times_out(self, ca: ThrowawayCA) -> None:
        """Half a handshake record, then silence → securityError at the timeout."""
        with MidRecordServer(stall=True) as server:
            outcome = attempt(server.address, [der(ca.root)], timeout_ms=SHORT_TIMEOUT_MS)
        assert_rejected(outcome, "securityError", "invalid")
        assert_clean(outcome, server)

    def test_slowloris_times_out(self, ca: ThrowawayCA) -> None:
        """A server dripping a never-ending record → securityError at the timeout."""
        with SlowlorisServer(interval=0.05) as server:
            outcome = attempt(server.address, [der(ca.root)], timeout_ms=SHORT_TIMEOUT_MS)
        assert server.bytes_dripped > 0
        assert_rejected(outcome, "securityError", "invalid")
        assert_clean(outcome, server)

    def test_ten_megabyte_certificate_message(self, ca: ThrowawayCA) -> None:
        """A 10 MiB Certificate message is refused before it is buffered → ioError."""
        with HugeCertificateServer(10 * 1024 * 1024) as server:
            outcome = attempt(server.address, [der(ca.root)])
        assert_rejected(outcome, "ioError", "invalid")
        assert_clean(outcome, server)

    @pytest.mark.parametrize(
        "variant", ["truncated", "length-overrun", "wrong-outer-tag", "trailing-garbage", "empty"]
    )
    def test_malformed_certificate_der(
        self, variant: str, ca: ThrowawayCA, identity: ServerIdentity
    ) -> None:
        """A certificate whose DER does not parse → ioError, status invalid."""
        broken = hostile.malformed_der_variants(der(identity.leaf))[variant]
        with MalformedCertificateServer(broken) as server:
            outcome = attempt(server.address, [der(ca.root)])
        assert_rejected(outcome, "ioError", "invalid")
        assert_clean(outcome, server)

    @pytest.mark.parametrize(
        "extension",
        [
            ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
            ExtensionOID.EXTENDED_KEY_USAGE,
            ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
            ExtensionOID.CRL_DISTRIBUTION_POINTS,
            ExtensionOID.TLS_FEATURE,
            ExtensionOID.CERTIFICATE_POLICIES,
        ],
        ids=lambda oid: oid._name,
    )
    def test_validly_signed_certificate_with_undecodable_extension(
        self, extension: x509.ObjectIdentifier
    ) -> None:
        """Outer DER fine (OpenSSL takes it), one extension's inner DER broken, signed by a
        trusted CA → ioError, status invalid; the twin without the bad extension connects."""
        root = CA()
        broken = x509.UnrecognizedExtension(extension, b"\x30\x03\x82\x05x")  # runs past its end
        # The kit writes these extensions itself: leave its own out, so ours is the only one.
        kit_own: dict[x509.ObjectIdentifier, dict[str, Any]] = {
            ExtensionOID.SUBJECT_ALTERNATIVE_NAME: {"common_name": "localhost"},
            ExtensionOID.EXTENDED_KEY_USAGE: {"extended_key_usage": None},
            ExtensionOID.AUTHORITY_INFORMATION_ACCESS: {"ocsp_url": None, "ca_issuers_url": None},
            ExtensionOID.CRL_DISTRIBUTION_POINTS: {"crl_url": None},
        }
        replaced = kit_own.get(extension, {})
        identities = () if "common_name" in replaced else ("localhost",)
        leaf = root.issue_cert(*identities, extra_extensions=[(broken, False)], **replaced)
        good = root.issue_cert("localhost")
        outcomes = []
        for issued in (leaf, good):
            identity = ServerIdentity((issued.certificate,), issued.private_key)
            with TLSServer(identity) as server:
                outcomes.append(
                    attempt(server.address, [root.cert_der], send=b"ping", done=_until(b"ping"))
                )
            assert_clean(outcomes[-1], server)
        assert_rejected(outcomes[0], "ioError", "invalid")
        assert outcomes[1].status == "trusted"

    def test_hundred_certificate_chain(self) -> None:
        """A 100-certificate chain to a trusted root → ioError, never trusted."""
        with LongChainServer(100) as server:
            outcome = attempt(server.address, [der(server.ca.root)])
        assert outcome.events == ["ioError"]
        assert outcome.status in ("untrustedSigners", "invalidChain")
        assert_clean(outcome, server)

    def test_control_short_chain_from_same_kind_of_server_connects(self) -> None:
        """The long chain's twin: a 3-certificate LongChainServer connects."""
        with LongChainServer(3) as server:
            outcome = attempt(
                server.address, [der(server.ca.root)], send=b"ping", done=_until(b"ping")
            )
        assert outcome.events[0] == "connect"
        assert outcome.status == "trusted"
        assert_clean(outcome, server)

    @pytest.mark.parametrize("decoys", [0, 100], ids=["control-no-decoys", "100-decoys"])
    def test_decoy_issuers(self, decoys: int) -> None:
        """Look-alike issuers before the real one: one outcome, and if it connects, the path
        goes through the real issuer (without decoys it must connect)."""
        with DecoyIssuersServer(decoys) as server:
            outcome = attempt(
                server.address, [der(server.ca.root)], send=b"ping", done=_until(b"ping")
            )
        outcomes = [e for e in outcome.events if e in ("connect", "ioError", "securityError")]
        assert len(outcomes) == 1
        if decoys == 0:
            assert outcomes == ["connect"]
        if outcomes == ["connect"]:
            assert outcome.status == "trusted"
            assert outcome.path[1] == server.real_issuer
        else:  # the path builder's work budget ran out before the real issuer: a refusal
            assert outcome.status in ("untrustedSigners", "invalidChain", "invalid")
        assert_clean(outcome, server)

    def test_valid_chain_for_another_name(self, ca: ThrowawayCA) -> None:
        """A trusted chain for other.example → ioError, principalMismatch."""
        with TLSServer(ca.issue("other.example", intermediates=1)) as server:
            outcome = attempt(server.address, [der(ca.root)])
        assert_rejected(outcome, "ioError", "principalMismatch")
        assert_clean(outcome, server)


class TestStreamAttacks:
    """Servers that misbehave after a good handshake: no data lost, none invented."""

    def test_close_without_close_notify_is_flagged_truncated(
        self, ca: ThrowawayCA, identity: ServerIdentity
    ) -> None:
        """FIN without close_notify → the data, then close with close_truncated set."""
        with TruncatingServer(identity, b"every byte") as server:
            outcome = attempt(server.address, [der(ca.root)])
        assert outcome.events[0] == "connect"
        assert outcome.events[-1] == "close"
        assert "ioError" not in outcome.events
        assert outcome.data == b"every byte"
        assert outcome.truncated
        assert outcome.status == "trusted"
        assert_clean(outcome, server)

    def test_control_close_with_close_notify_is_not_truncated(
        self, ca: ThrowawayCA, identity: ServerIdentity
    ) -> None:
        """The twin: the same server sending close_notify first → close, not truncated."""
        with TruncatingServer(identity, b"every byte", close_notify=True) as server:
            outcome = attempt(server.address, [der(ca.root)])
        assert outcome.events[-1] == "close"
        assert outcome.data == b"every byte"
        assert not outcome.truncated
        assert_clean(outcome, server)

    def test_hang_up_mid_record_delivers_only_whole_records(
        self, ca: ThrowawayCA, identity: ServerIdentity
    ) -> None:
        """FIN in the middle of a record → the whole records' data, then a truncated close."""
        with TruncatingServer(identity, b"whole", cut_mid_record=True) as server:
            outcome = attempt(server.address, [der(ca.root)])
        assert outcome.events[-1] == "close"
        assert outcome.data == b"whole"
        assert outcome.truncated
        assert_clean(outcome, server)

    def test_renegotiation_with_the_same_certificate(
        self, ca: ThrowawayCA, identity: ServerIdentity
    ) -> None:
        """TLS 1.2 renegotiation with the same certificate is transparent: the data before
        and after it arrives, and ours reaches the server (SECURITY.md promises this)."""
        with RenegotiatingServer(identity) as server:
            outcome = attempt(
                server.address,
                [der(ca.root)],
                done=_until(RenegotiatingServer.AFTER),
                then_send=b"ping",
                until_server=lambda: b"ping" in server.received,
            )
        assert outcome.events[0] == "connect"
        assert server.outcomes == ["completed"]
        assert outcome.data.startswith(b"before\nafter\n")
        assert b"ping" in server.received
        assert "ioError" not in outcome.events
        assert outcome.status == "trusted"
        assert_clean(outcome, server)

    def test_renegotiation_to_an_untrusted_certificate_is_refused(
        self, ca: ThrowawayCA, identity: ServerIdentity
    ) -> None:
        """A server switching to an unverifiable certificate mid-connection → ioError; not a
        byte sent after the switch is delivered."""
        impostor = ThrowawayCA("impostor root").issue("localhost")
        with RenegotiatingServer(identity, new_identity=impostor) as server:
            outcome = attempt(
                server.address, [der(ca.root)], done=_until(RenegotiatingServer.AFTER)
            )
        assert RenegotiatingServer.AFTER not in outcome.data
        assert outcome.events[-1] == "ioError"
        assert_clean(outcome, server)

    def test_key_update_is_transparent(self, ca: ThrowawayCA, identity: ServerIdentity) -> None:
        """A TLS 1.3 KeyUpdate (update requested) mid-stream: data flows on, both ways."""
        with KeyUpdateServer(identity) as server:
            outcome = attempt(
                server.address,
                [der(ca.root)],
                done=_until(KeyUpdateServer.AFTER),
                then_send=b"ping\n",
                until_server=lambda: "ping" in server.output,
            )
        assert server.key_updates == 1
        assert outcome.data == b"before\nafter\n"
        assert "ping" in server.output
        assert "ioError" not in outcome.events
        assert_clean(outcome, server)


FLOOD_OFFERED = 64 * 1024 * 1024
"""What the flooding server offers an application that does not read (the reported case was
256 MiB; a quarter shows the same thing on a shared 2-core box)."""
# What the application may hold unread: the read-buffer limit plus what one transport read
# (decrypted whole) can add past it. The kernel's socket buffers sit outside the process and
# auto-grow up to net.ipv4.tcp_rmem's maximum, so the server-side count gets a bound that
# includes them and stays below what was offered.
FLOOD_APP_BOUND = DEFAULT_READ_BUFFER_LIMIT + READ_BUFFER_SIZE + 64 * 1024


def _kernel_buffer_ceiling() -> int:
    """The most the two kernels' TCP buffers can hold (receive max + send max), from /proc."""
    total = 0
    for name in ("tcp_rmem", "tcp_wmem"):
        try:
            total += int(Path(f"/proc/sys/net/ipv4/{name}").read_text().split()[2])
        except (OSError, IndexError, ValueError):
            total += 32 * 1024 * 1024
    return total


"""What the client may let in meanwhile: its own cap plus both kernels' socket buffers."""


async def _read_all(sock: SecureSocket, size: int) -> bytes:
    """Read until `size` bytes have arrived or the peer closed (bounded by OUTCOME_LIMIT)."""
    received = bytearray()
    async with asyncio.timeout(OUTCOME_LIMIT):
        while len(received) < size and (sock.connected or sock.bytes_available):
            if sock.bytes_available:
                sock.read_bytes(received, len(received))
            else:
                await asyncio.sleep(0.005)
    return bytes(received)


class TestFlooding:
    """A server that pushes data faster than the application reads it."""

    def test_control_an_application_that_reads_gets_every_byte(
        self, ca: ThrowawayCA, identity: ServerIdentity
    ) -> None:
        """8 MiB read as they arrive: every byte, in order, then close_notify (not truncated)."""
        total = 8 * 1024 * 1024

        async def body() -> tuple[bytes, bool]:
            sock = SecureSocket(trust="none")
            sock.add_binary_chain_building_certificate(der(ca.root), True)
            with FloodingServer(identity, total) as server:
                await asyncio.wait_for(sock.connect("localhost", server.port), OUTCOME_LIMIT)
                data = await _read_all(sock, total + 1)
                truncated = sock.close_truncated
                if sock.connected:
                    sock.close()
            assert server.errors == []
            return data, truncated

        data, truncated = asyncio.run(body())
        assert data == FloodingServer.pattern(total)
        assert not truncated

    def test_an_application_that_does_not_read_lets_in_a_bounded_amount(
        self, ca: ThrowawayCA, identity: ServerIdentity
    ) -> None:
        """64 MiB offered, nothing read: the application holds at most its read-buffer limit (plus
        one transport read), the server blocks once the kernels' buffers are full too; then the
        application reads and gets every byte, in order (no data lost)."""

        async def body() -> tuple[int, int, bytes]:
            sock = SecureSocket(trust="none")
            sock.add_binary_chain_building_certificate(der(ca.root), True)
            with FloodingServer(identity, FLOOD_OFFERED) as server:
                await asyncio.wait_for(sock.connect("localhost", server.port), OUTCOME_LIMIT)
                # Wait until the server has sent everything or has made no progress for a
                # while (it is blocked on a client that lets nothing more in).
                last, unchanged = -1, 0
                async with asyncio.timeout(OUTCOME_LIMIT):
                    while server.sent < FLOOD_OFFERED and unchanged < 10:
                        await asyncio.sleep(0.1)
                        unchanged = unchanged + 1 if server.sent == last else 0
                        last = server.sent
                let_in = server.sent
                held = sock.bytes_available
                data = await _read_all(sock, FLOOD_OFFERED + 1)
                if sock.connected:
                    sock.close()
            assert server.errors == []
            return let_in, held, data

        let_in, held, data = asyncio.run(body())
        assert held <= FLOOD_APP_BOUND, f"{held / 2**20:.1f} MiB held unread by the application"
        ceiling = FLOOD_APP_BOUND + _kernel_buffer_ceiling()
        assert let_in < FLOOD_OFFERED or ceiling >= FLOOD_OFFERED
        assert let_in <= ceiling, f"{let_in / 2**20:.0f} MiB let in"
        assert data == FloodingServer.pattern(FLOOD_OFFERED)


# --------------------------------------------------------------------------- no override, no SSRF


def _override_everything(event: Any) -> None:
    """What a caller might try in order to accept a bad certificate anyway."""
    event.prevent_default()
    event.stop_immediate_propagation()


class TestNoOverrideOfABadCertificate:
    """Nothing a listener does turns a rejected certificate into a connection."""

    OVERRIDES = dict.fromkeys(("certificateError", "ioError"), _override_everything)

    def test_listeners_that_cancel_do_not_connect(self, ca: ThrowawayCA) -> None:
        """prevent_default/stop_immediate_propagation on certificateError and ioError: the
        untrusted server still ends in ioError (the recorder still hears it: dispatch to
        other listeners is not an override), never connect."""
        seen: list[str] = []

        def note_and_cancel(event: Any) -> None:
            seen.append(event.type)
            event.prevent_default()

        with TLSServer(ThrowawayCA("unknown root").issue("localhost")) as server:
            outcome = attempt(
                server.address,
                [der(ca.root)],
                listeners={"certificateError": _override_everything, "ioError": note_and_cancel},
            )
        assert seen == ["ioError"]
        assert "connect" not in outcome.events
        assert outcome.status == "untrustedSigners"
        assert isinstance(outcome.raised, IOError)
        assert_clean(outcome, server)

    def test_control_the_same_listeners_on_a_trusted_server(
        self, ca: ThrowawayCA, identity: ServerIdentity
    ) -> None:
        """The twin: the same listeners with a trusted server change nothing: it connects."""
        with TLSServer(identity) as server:
            outcome = attempt(
                server.address,
                [der(ca.root)],
                send=b"ping",
                done=_until(b"ping"),
                listeners=dict(self.OVERRIDES),
            )
        assert outcome.events[0] == "connect"
        assert outcome.status == "trusted"
        assert_clean(outcome, server)


class TestFetchesOnlyForAValidatedPath:
    """SSRF guard: URLs in a certificate are fetched only once the chain is trusted, so a
    server with an unverifiable certificate cannot make the client send requests."""

    @staticmethod
    def _identity(services: CountingHTTPServer) -> tuple[CA, ServerIdentity]:
        root = CA(
            crl_url=services.url("root.crl"),
            ocsp_url=services.url("ocsp"),
            ca_issuers_url=services.url("root.der"),
        )
        leaf = root.issue_cert("localhost")
        return root, ServerIdentity((leaf.certificate, *leaf.intermediates), leaf.private_key)

    def test_untrusted_chain_fetches_nothing(self) -> None:
        """A chain to an unknown root with CRL, OCSP and caIssuers URLs → ioError and not
        one request to any of them."""
        with CountingHTTPServer() as services:
            _root, identity = self._identity(services)
            with TLSServer(identity) as server:
                outcome = attempt(server.address, [])
        assert_rejected(outcome, "ioError", "untrustedSigners")
        assert services.requests == []
        assert_clean(outcome, server)

    def test_control_trusted_chain_does_fetch(self) -> None:
        """The twin: the same certificate, its root trusted → the revocation URLs are asked
        (404 under soft-fail still connects)."""
        with CountingHTTPServer() as services:
            root, identity = self._identity(services)
            with TLSServer(identity) as server:
                outcome = attempt(
                    server.address, [root.cert_der], send=b"ping", done=_until(b"ping")
                )
        assert outcome.events[0] == "connect"
        assert services.requests != []
        assert_clean(outcome, server)


# --------------------------------------------------------------------------- hostile staples

ECDSA_WITH_SHA256 = b"\x2a\x86\x48\xce\x3d\x04\x03\x02"
UNKNOWN_SIGNATURE_OID = b"\x2a\x86\x49\xce\x3d\x04\x03\x02"


class _StaplePKI:
    """A root whose leaf declares an OCSP responder that is down (a port nobody listens on),
    so the staple is the only revocation evidence the client can get."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dead_port = probe.getsockname()[1]
        self.root = CA(ocsp_url=f"http://127.0.0.1:{dead_port}/ocsp")
        self.leaf = self.root.issue_cert("localhost")
        self.other = self.root.issue_cert("localhost")
        self.identity = ServerIdentity((self.leaf.certificate,), self.leaf.private_key)

    def staple(self, about: Any, status: str = "good") -> bytes:
        return der(self.root.ocsp_response(about, status=status))


@pytest.fixture(scope="module")
def staple_pki() -> _StaplePKI:
    return _StaplePKI()


class TestHostileStaples:
    """The server controls the OCSP staple: whatever it staples, the revocation policy decides
    as docs/CONTRACTS.md says, and nothing escapes to the loop."""

    def _connect(self, pki: _StaplePKI, staple: bytes, revocation: str) -> tuple[Outcome, Any]:
        with TLSServer(pki.identity, staple=staple) as server:
            outcome = attempt(
                server.address,
                [pki.root.cert_der],
                send=b"ping",
                done=_until(b"ping"),
                revocation=revocation,
            )
        assert server.staples_sent >= 1
        return outcome, server

    def test_control_good_staple_satisfies_hard_fail(self, staple_pki: _StaplePKI) -> None:
        """The twin: a genuine good staple is proof even with the responder down."""
        outcome, server = self._connect(staple_pki, staple_pki.staple(staple_pki.leaf), "hard-fail")
        assert outcome.events[0] == "connect"
        assert outcome.status == "trusted"
        assert_clean(outcome, server)

    def test_staple_about_another_certificate_is_no_proof(self, staple_pki: _StaplePKI) -> None:
        """A genuine good staple for a sibling certificate → hard-fail: ioError, invalid."""
        staple = staple_pki.staple(staple_pki.other)
        outcome, server = self._connect(staple_pki, staple, "hard-fail")
        assert_rejected(outcome, "ioError", "invalid")
        assert_clean(outcome, server)

    def test_revoked_staple_is_heeded_under_soft_fail(self, staple_pki: _StaplePKI) -> None:
        """A genuine "revoked" staple → ioError, revoked, even under the lenient default."""
        staple = staple_pki.staple(staple_pki.leaf, status="revoked")
        outcome, server = self._connect(staple_pki, staple, "soft-fail")
        assert_rejected(outcome, "ioError", "revoked")
        assert_clean(outcome, server)

    @pytest.mark.parametrize(
        ("revocation", "connects"), [("soft-fail", True), ("hard-fail", False)]
    )
    def test_garbage_staple(self, staple_pki: _StaplePKI, revocation: str, connects: bool) -> None:
        """Bytes that are not OCSP: soft-fail connects (garbage is no answer), hard-fail
        rejects with invalid."""
        outcome, server = self._connect(staple_pki, b"\x30\x03not ocsp", revocation)
        if connects:
            assert outcome.events[0] == "connect"
            assert outcome.status == "trusted"
        else:
            assert_rejected(outcome, "ioError", "invalid")
        assert_clean(outcome, server)

    def test_staple_with_unknown_signature_algorithm_under_soft_fail(
        self, staple_pki: _StaplePKI
    ) -> None:
        """An unverifiable staple is no answer: soft-fail connects, as with garbage (this
        input once crashed the revocation step, which then failed closed)."""
        staple = staple_pki.staple(staple_pki.leaf).replace(
            ECDSA_WITH_SHA256, UNKNOWN_SIGNATURE_OID, 1
        )
        outcome, server = self._connect(staple_pki, staple, "soft-fail")
        assert outcome.events[0] == "connect"
        assert_clean(outcome, server)

    def test_staple_with_unknown_signature_algorithm_under_hard_fail(
        self, staple_pki: _StaplePKI
    ) -> None:
        """The same unverifiable staple under hard-fail → ioError, never trusted."""
        staple = staple_pki.staple(staple_pki.leaf).replace(
            ECDSA_WITH_SHA256, UNKNOWN_SIGNATURE_OID, 1
        )
        outcome, server = self._connect(staple_pki, staple, "hard-fail")
        assert outcome.events == ["ioError"]
        assert outcome.status != "trusted"
        assert_clean(outcome, server)


# --------------------------------------------------------------------------- one socket, many


def test_one_socket_survives_every_hostile_server_then_connects(
    ca: ThrowawayCA, identity: ServerIdentity
) -> None:
    """The same SecureSocket meets each hostile server in turn, gets one failure event each,
    and then connects to a good server: no state from a bad attempt poisons the next."""
    hostile_servers = [
        GarbageServer(),
        MidRecordServer(),
        MidRecordServer(stall=True),
        HugeCertificateServer(),
        MalformedCertificateServer(b"\x30\x03abc"),
        TLSServer(ca.issue("other.example")),
    ]

    async def body() -> tuple[list[list[str]], list[str], list[dict[str, Any]]]:
        loop_errors: list[dict[str, Any]] = []
        asyncio.get_running_loop().set_exception_handler(lambda _l, c: loop_errors.append(c))
        sock = SecureSocket(trust="none")
        sock.timeout = SHORT_TIMEOUT_MS
        sock.add_binary_chain_building_certificate(der(ca.root), True)
        events: list[str] = []
        for kind in ("connect", "close", "ioError", "securityError"):
            sock.add_event_listener(kind, lambda event: events.append(event.type))
        per_server: list[list[str]] = []
        for server in hostile_servers:
            with server:
                events.clear()
                with pytest.raises((IOError, SecurityError)):
                    await asyncio.wait_for(sock.connect("localhost", server.port), OUTCOME_LIMIT)
                await asyncio.sleep(0.02)
                per_server.append(list(events))
                sock.close()
        events.clear()
        with TLSServer(identity) as good:
            await asyncio.wait_for(sock.connect("localhost", good.port), OUTCOME_LIMIT)
            final = [*events, sock.server_certificate_status]
            sock.close()
        return per_server, final, loop_errors

    per_server, final, loop_errors = asyncio.run(body())
    assert [len(e) for e in per_server] == [1] * len(hostile_servers)
    assert all(e[0] in ("ioError", "securityError") for e in per_server)
    assert final == ["connect", "trusted"]
    assert loop_errors == []
    assert all(server.errors == [] for server in hostile_servers)


def test_local_close_or_reconnect_during_a_stalled_handshake(
    ca: ThrowawayCA, identity: ServerIdentity
) -> None:
    """Against a slowloris server: close() mid-handshake dispatches nothing and fails the
    awaitable; connect() again mid-handshake abandons the first attempt silently and the
    second (to a good server) connects. Nothing reaches the loop's exception handler."""

    async def body() -> dict[str, Any]:
        loop_errors: list[dict[str, Any]] = []
        asyncio.get_running_loop().set_exception_handler(lambda _l, c: loop_errors.append(c))
        sock = SecureSocket(trust="none")
        sock.add_binary_chain_building_certificate(der(ca.root), True)
        events: list[str] = []
        for kind in ("connect", "close", "ioError", "securityError"):
            sock.add_event_listener(kind, lambda event: events.append(event.type))
        with SlowlorisServer(interval=0.02) as slow, TLSServer(identity) as good:
            first = sock.connect("localhost", slow.port)
            while slow.bytes_dripped < 3:  # the handshake is under way and stalled
                await asyncio.sleep(0.01)
            sock.close()
            with pytest.raises(IOError):
                await first
            after_close = list(events)
            status_after_close = sock.server_certificate_status
            abandoned = sock.connect("localhost", slow.port)
            while slow.bytes_dripped < 6:
                await asyncio.sleep(0.01)
            second = sock.connect("localhost", good.port)
            await asyncio.wait_for(second, OUTCOME_LIMIT)
            with pytest.raises(IOError):
                await abandoned
            await asyncio.sleep(0.05)
            final = list(events)
            sock.close()
            errors = [*slow.errors, *good.errors]
        return {
            "after_close": after_close,
            "status_after_close": status_after_close,
            "final": final,
            "loop_errors": loop_errors,
            "server_errors": errors,
        }

    result = asyncio.run(body())
    assert result["after_close"] == []
    assert result["status_after_close"] != "trusted"
    assert result["final"] == ["connect"]
    assert result["loop_errors"] == []
    assert result["server_errors"] == []
