"""AS3 behaviours that belong to the socket (as3-api.md §1, §2, §6-§8 and the "easy to miss"
list), checked through a real `Socket` / `SecureSocket` on 127.0.0.1.

The unit tests of the codec, ByteArray, AMF and events prove the rules on buffers; these prove
that the socket honours them on the wire: the peer receives exactly the bytes AS3 would send
(only after `flush`), and bytes the peer sends read back as AS3 would read them, including when
they arrive in pieces.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from securesocket import ArgumentError, ByteArray, RangeError, X509Certificate
from securesocket._events import (
    ErrorEvent,
    Event,
    IOErrorEvent,
    ProgressEvent,
    SecurityErrorEvent,
)
from securesocket._secure_socket import SecureSocket
from securesocket._socket import Socket
from securesocket.exceptions import EOFError, IOError, SecurityError
from securesocket.testing.tls_servers import PythonTLSServer
from tests.test_socket import Recorder, run
from tests.tls_helpers import PKI, make_pki, refused_port


class Peer:
    """One loopback TCP peer: records every byte it receives; the test decides what it sends."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.writer: asyncio.StreamWriter | None = None
        self.connected = asyncio.Event()
        self.finished = asyncio.Event()
        self._grew = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.connected.set()
        try:
            while chunk := await reader.read(65536):
                self.received += chunk
                self._grew.set()
        finally:
            writer.close()
            self.finished.set()

    async def receive(self, size: int, timeout: float = 10) -> bytes:
        """Wait until at least ``size`` bytes have arrived; return everything so far."""
        async with asyncio.timeout(timeout):
            while len(self.received) < size:
                self._grew.clear()
                await self._grew.wait()
        return bytes(self.received)

    async def send(self, data: bytes) -> None:
        await self.connected.wait()
        assert self.writer is not None
        self.writer.write(data)
        await self.writer.drain()


@asynccontextmanager
async def connected_socket() -> AsyncIterator[tuple[Socket, Peer, Recorder]]:
    """A Socket connected to a fresh `Peer`; both are closed afterwards."""
    peer = Peer()
    server = await asyncio.start_server(peer.handle, "127.0.0.1", 0)
    sock = Socket()
    rec = Recorder(sock)
    try:
        await sock.connect("127.0.0.1", server.sockets[0].getsockname()[1])
        await peer.connected.wait()
        yield sock, peer, rec
    finally:
        if sock.connected:
            sock.close()
            await asyncio.wait_for(peer.finished.wait(), 10)  # the peer sees our FIN and ends
        server.close()
        await server.wait_closed()


async def until_available(sock: Socket, rec: Recorder, size: int) -> None:
    while sock.bytes_available < size:
        await rec.next("socketData")


class TestWritesReachThePeerOnlyOnFlush:
    def test_nothing_is_sent_before_flush_then_everything_is(self) -> None:
        """Writes wait in the buffer (bytesPending) until flush(); then the peer gets them all."""

        async def body() -> None:
            async with connected_socket() as (sock, peer, rec):
                sock.write_utf_bytes("buffered")
                assert sock.bytes_pending == 8
                await asyncio.sleep(0.1)  # long enough for loopback, had anything been sent
                assert peer.received == b""
                sock.flush()
                assert await peer.receive(8) == b"buffered"
                progress = await rec.wait("outputProgress")
                assert (progress.bytes_pending, sock.bytes_pending) == (0, 0)

        run(body)

    def test_a_failed_write_buffers_nothing(self) -> None:
        """writeUTF over 65535 bytes and writeBytes past the source end raise RangeError and
        leave nothing behind to be flushed; the writes around them still arrive intact."""

        async def body() -> None:
            async with connected_socket() as (sock, peer, _):
                sock.write_byte(1)
                with pytest.raises(RangeError):
                    sock.write_utf("x" * 65536)
                with pytest.raises(RangeError):
                    sock.write_bytes(ByteArray(b"abc"), 1, 3)
                assert sock.bytes_pending == 1
                sock.write_utf("x" * 65535)  # the twin: exactly the limit is accepted
                sock.write_bytes(ByteArray(b"abc"), 1)  # length 0: from offset to the end
                sock.flush()
                expected = b"\x01\xff\xff" + b"x" * 65535 + b"bc"
                assert await peer.receive(len(expected)) == expected

        run(body)

    def test_output_progress_bytes_total_counts_what_was_written(self) -> None:
        """bytesTotal = bytes written so far + bytes pending: at least what was flushed."""

        async def body() -> None:
            async with connected_socket() as (sock, peer, rec):
                sock.write_utf_bytes("12345")
                sock.flush()
                progress = await rec.wait("outputProgress")
                assert progress.bytes_total == 5 + progress.bytes_pending
                await peer.receive(5)
                sock.write_utf_bytes("678")
                sock.flush()
                progress = await rec.next("outputProgress")
                assert progress.bytes_total == 8 + progress.bytes_pending

        run(body)


class TestWireBytesSent:
    def test_ruffle_capture_empty_object_amf3_then_amf0(self) -> None:
        """Ruffle's socket_read_write_object replay: writeObject({}) in AMF3 then AMF0, one
        flush; the peer expects exactly 0A 0B 01 01 03 00 00 09, sends it back, and the two
        readObject calls (switching objectEncoding) give two empty objects."""

        async def body() -> None:
            async with connected_socket() as (sock, peer, rec):
                sock.objectEncoding = 3
                sock.writeObject({})
                sock.objectEncoding = 0
                sock.writeObject({})
                sock.flush()
                capture = bytes.fromhex("0a0b010103000009")
                assert await peer.receive(8) == capture
                await peer.send(capture)
                await until_available(sock, rec, 8)
                sock.object_encoding = 3
                assert sock.read_object() == {}
                sock.object_encoding = 0
                assert sock.read_object() == {}
                assert sock.bytes_available == 0

        run(body)

    def test_documented_examples_in_both_endians(self) -> None:
        """The reference's examples, as the peer sees them: writeUTF's 00 19 prefix (Ruffle),
        writeInt(-2376553554) wrapping to 72 58 AB AE, writeShort(65535) as FF FF, standard
        UTF-8 (NUL is 00, a supplementary character 4 bytes), and little-endian prefixes."""

        async def body() -> None:
            async with connected_socket() as (sock, peer, _):
                greeting = "Hello from Ruffle Socket!"
                sock.write_utf(greeting)
                sock.write_int(-2376553554)
                sock.write_short(65535)
                sock.write_boolean(True)
                sock.write_utf("\x00\U0001d11e")
                sock.endian = "littleEndian"
                sock.write_utf("ab")
                sock.write_int(1)
                sock.write_multi_byte("日本", "shift_jis")
                sock.flush()
                expected = (
                    b"\x00\x19"
                    + greeting.encode()
                    + bytes.fromhex("7258abae" "ffff" "01")
                    + bytes.fromhex("0005" "00" "f09d849e")
                    + bytes.fromhex("0200") + b"ab"
                    + bytes.fromhex("01000000")
                    + "日本".encode("shift_jis")
                )  # fmt: skip
                assert await peer.receive(len(expected)) == expected

        run(body)


class TestBytesReceived:
    def test_read_quirks_on_bytes_from_the_peer(self) -> None:
        """readUTFBytes drops a BOM and stops at NUL yet consumes all n bytes; readFloat widens
        76.65; any non-zero byte is true; readMultiByte decodes the named charset."""

        async def body() -> None:
            async with connected_socket() as (sock, peer, rec):
                sjis = "日本".encode("shift_jis")
                data = (
                    b"\xef\xbb\xbfab\x00cd"
                    + bytes.fromhex("4299 4ccd")  # 76.65 as an IEEE single
                    + b"\x7f\x00"
                    + sjis
                    + b"\x00\x01"
                )
                await peer.send(data)
                await until_available(sock, rec, len(data))
                assert sock.read_utf_bytes(8) == "ab"
                assert sock.read_float() == 76.6500015258789
                assert (sock.read_boolean(), sock.read_boolean()) == (True, False)
                assert sock.read_multi_byte(len(sjis), "shift-jis") == "日本"
                assert sock.read_unsigned_short() == 1
                assert sock.bytes_available == 0

        run(body)

    @pytest.mark.parametrize(
        ("name", "first", "rest", "expected"),
        [
            ("read_int", b"\xff\xff", b"\xff\xfe", -2),
            ("read_utf", b"\x00\x05he", b"llo", "hello"),
            ("read_object", bytes.fromhex("0a0b01036106"), bytes.fromhex("037801"), {"a": "x"}),
        ],
        ids=["readInt", "readUTF", "readObject"],
    )
    def test_a_value_split_across_arrivals_reads_once_whole(
        self, name: str, first: bytes, rest: bytes, expected: Any
    ) -> None:
        """With part of a value buffered, the read is EOFError (#2030, an IOError) and
        consumes nothing; once the rest arrives the same read returns the whole value."""

        async def body() -> None:
            async with connected_socket() as (sock, peer, rec):
                await peer.send(first)
                await until_available(sock, rec, len(first))
                with pytest.raises(IOError) as caught:  # catch (e:IOError) catches EOF too
                    getattr(sock, name)()
                assert isinstance(caught.value, EOFError)
                assert caught.value.error_id == 2030
                assert sock.bytes_available == len(first)
                await peer.send(rest)
                await until_available(sock, rec, len(first) + len(rest))
                assert getattr(sock, name)() == expected
                assert sock.bytes_available == 0

        run(body)


class TestEventsFromARealSocket:
    def test_event_objects_are_the_as3_classes_and_fields(self) -> None:
        """connect is an Event and socketData a ProgressEvent (bytesTotal 0), both targeted at
        the socket, not bubbling, not cancelable, at-target phase, printed as AS3 does."""

        async def body() -> None:
            async with connected_socket() as (sock, peer, rec):
                connect = await rec.wait("connect")
                await peer.send(b"abc")
                data = await rec.wait("socketData")
                for event, cls in ((connect, Event), (data, ProgressEvent)):
                    assert type(event) is cls
                    assert (event.target, event.current_target) == (sock, sock)
                    assert (event.bubbles, event.cancelable, event.event_phase) == (False, False, 2)
                assert str(connect) == (
                    '[Event type="connect" bubbles=false cancelable=false eventPhase=2]'
                )
                assert str(data) == (
                    '[ProgressEvent type="socketData" bubbles=false cancelable=false '
                    "eventPhase=2 bytesLoaded=3 bytesTotal=0]"
                )
                assert sock.bytes_available == 3  # the event is a notification; data stays

        run(body)

    def test_io_error_event_class_and_text(self) -> None:
        """A refused connect's ioError is an IOErrorEvent with text #2031 and errorID 2031."""

        async def body() -> None:
            sock = Socket()
            rec = Recorder(sock)
            with pytest.raises(IOError):
                await sock.connect("127.0.0.1", refused_port())
            event = await rec.wait("ioError")
            assert type(event) is IOErrorEvent
            assert isinstance(event, ErrorEvent)
            assert (event.error_id, event.errorID) == (2031, 2031)
            assert str(event).startswith('[IOErrorEvent type="ioError"')
            assert str(event).endswith("errorID=2031]")

        run(body)

    def test_connected_is_true_inside_connect_and_false_inside_close(self) -> None:
        """connected reads true in the connect handler and false in the close handler."""

        async def body() -> None:
            seen: list[tuple[str, bool]] = []
            async with connected_socket() as (sock, peer, rec):
                sock.add_event_listener("close", lambda e: seen.append((e.type, sock.connected)))
                assert peer.writer is not None
                peer.writer.close()
                await rec.wait("close")
            sock2 = Socket()
            sock2.add_event_listener("connect", lambda e: seen.append((e.type, sock2.connected)))
            peer2 = Peer()
            server = await asyncio.start_server(peer2.handle, "127.0.0.1", 0)
            try:
                await sock2.connect("127.0.0.1", server.sockets[0].getsockname()[1])
                sock2.close()
                await asyncio.wait_for(peer2.finished.wait(), 10)
            finally:
                server.close()
                await server.wait_closed()
            assert seen == [("close", False), ("connect", True)]

        run(body)

    def test_timeout_is_a_security_error_event_with_2048(self) -> None:
        """A TLS peer that never answers: after `timeout` a SecurityErrorEvent (not an
        IOErrorEvent) with errorID 2048, printed as AS3 does; connected stays false."""

        async def body() -> None:
            release = asyncio.Event()

            async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                await release.wait()
                writer.close()

            server = await asyncio.start_server(silent, "127.0.0.1", 0)
            try:
                sock = SecureSocket()
                sock.timeout = 250
                rec = Recorder(sock)
                with pytest.raises(SecurityError):
                    await sock.connect("127.0.0.1", server.sockets[0].getsockname()[1])
                event = await rec.wait("securityError")
                assert type(event) is SecurityErrorEvent
                assert not isinstance(event, IOErrorEvent)
                assert (event.error_id, event.text[:12]) == (2048, "Error #2048:")
                assert str(event).startswith('[SecurityErrorEvent type="securityError"')
                assert not sock.connected
            finally:
                release.set()
                server.close()
                await server.wait_closed()

        run(body)

    def test_a_throwing_listener_does_not_stop_the_others_or_the_socket(self) -> None:
        """A socketData listener that raises: the next listener still runs, the exception
        goes to the loop's exception handler, and the socket keeps delivering data."""
        reports: list[dict[str, Any]] = []

        async def body() -> None:
            asyncio.get_running_loop().set_exception_handler(lambda _, ctx: reports.append(ctx))
            async with connected_socket() as (sock, peer, rec):
                seen: list[str] = []

                def explode(event: Any) -> None:
                    seen.append("explode")
                    raise ValueError("listener bug")

                sock.add_event_listener("socketData", explode, priority=10)
                sock.add_event_listener("socketData", lambda e: seen.append("after"))
                await peer.send(b"1")
                await until_available(sock, rec, 1)
                await peer.send(b"2")
                await until_available(sock, rec, 2)
                assert seen[:2] == ["explode", "after"]
                assert seen.count("after") == seen.count("explode") >= 2
                assert sock.read_utf_bytes(2) == "12"

        run(body)
        assert reports
        assert all(isinstance(r.get("exception"), ValueError) for r in reports)

    def test_has_event_listener_and_will_trigger_on_a_socket(self) -> None:
        """A socket has no display-list ancestors: willTrigger equals hasEventListener."""
        sock = Socket()
        assert not sock.has_event_listener("socketData")
        assert not sock.will_trigger("socketData")
        listener: Any = lambda e: None  # noqa: E731
        sock.addEventListener("socketData", listener)
        assert sock.hasEventListener("socketData")
        assert sock.willTrigger("socketData")
        sock.removeEventListener("socketData", listener)
        assert not sock.will_trigger("socketData")
        assert sock.toString() == "[object Socket]"
        assert SecureSocket().toString() == "[object SecureSocket]"


class TestPropertiesOfAnUnconnectedSocket:
    def test_defaults_and_enum_errors(self) -> None:
        """endian defaults to bigEndian and objectEncoding to 3; bad values are ArgumentError
        #2008 (not RangeError) and leave the old value."""
        sock = Socket()
        assert (sock.endian, sock.object_encoding) == ("bigEndian", 3)
        for attribute, bad in (("endian", "BIG_ENDIAN"), ("objectEncoding", 1)):
            with pytest.raises(ArgumentError, match="#2008") as caught:
                setattr(sock, attribute, bad)
            assert caught.value.error_id == 2008
        assert (sock.endian, sock.object_encoding) == ("bigEndian", 3)

    def test_connect_without_a_host_raises_io_error_at_once(self) -> None:
        """No host and an immediate failure: AS3 throws IOError rather than dispatching (the
        twin, a host that fails, gives an event: test_socket's refused-port tests)."""

        async def body() -> None:
            for host in (None, ""):
                sock = Socket()
                rec = Recorder(sock)
                with pytest.raises(IOError, match="#2031"):
                    sock.connect(host, 80)  # type: ignore[arg-type]
                await asyncio.sleep(0)
                assert rec.events == []

        run(body)

    def test_io_before_connect_is_io_error_2002(self) -> None:
        """Reading, writing or flushing a socket that never connected: IOError #2002 (not
        EOFError), and bytesAvailable / bytesPending are 0."""
        sock = Socket()
        assert (sock.bytes_available, sock.bytes_pending, sock.connected) == (0, 0, False)
        for op in (sock.read_int, sock.read_object, sock.flush, lambda: sock.write_int(1)):
            with pytest.raises(IOError, match="#2002") as caught:
                op()
            assert not isinstance(caught.value, EOFError)
            assert caught.value.error_id == 2002


@pytest.fixture(scope="module")
def pki() -> PKI:
    return make_pki()


class TestSecureSocketSurface:
    def test_server_certificate_is_the_servers_leaf_as_x509_certificate(self, pki: PKI) -> None:
        """After connect, serverCertificate is an X509Certificate of exactly the leaf the
        server sent, readable through the AS3 spellings; AMF and numbers cross TLS intact."""
        with PythonTLSServer(pki.leaf) as server:

            async def body() -> None:
                sock = SecureSocket(trust="none")
                sock.addBinaryChainBuildingCertificate(ByteArray(pki.root_der), True)
                rec = Recorder(sock)
                assert sock.server_certificate is None
                await sock.connect("localhost", server.port)
                cert: Any = sock.serverCertificate
                assert isinstance(cert, X509Certificate)
                leaf = pki.leaf.certificate
                assert cert.encoded.to_bytes() == pki.leaf.der
                assert cert.subject.commonName == "localhost"
                assert cert.issuer.commonName == "securesocket test intermediate"
                assert int(cert.serialNumber, 16) == leaf.serial_number
                assert cert.version == 2
                assert cert.validNotAfter == leaf.not_valid_after_utc
                moment = datetime.datetime(2001, 2, 3, tzinfo=datetime.UTC)
                sock.write_object({"when": moment, "n": [1, 2**28]})
                sock.write_double(-0.5)
                expected = sock.bytes_pending
                sock.flush()
                await until_available(sock, rec, expected)
                assert sock.read_object() == {"when": moment, "n": [1, 2**28]}
                assert sock.read_double() == -0.5
                sock.close()
                assert sock.server_certificate_status == "trusted"

            run(body)

    def test_constructor_takes_no_host_and_connect_checks_the_port(self) -> None:
        """new SecureSocket() has no host/port parameters (unlike Socket); a port outside
        0..65535 is SecurityError #2003 at connect, with no event and status still unknown."""
        host_and_port: Any = ("127.0.0.1", 443)
        with pytest.raises(TypeError):
            SecureSocket(*host_and_port)

        async def body() -> None:
            sock = SecureSocket()
            rec = Recorder(sock)
            with pytest.raises(SecurityError, match="#2003"):
                sock.connect("127.0.0.1", 65536)
            await asyncio.sleep(0)
            assert rec.events == []
            assert sock.server_certificate_status == "unknown"

        run(body)

    def test_untrusted_server_leaves_no_certificate(self, pki: PKI) -> None:
        """The twin: without the anchor there is no secure connection, so serverCertificate
        stays None and the status says why."""
        with PythonTLSServer(pki.leaf) as server:

            async def body() -> None:
                sock = SecureSocket(trust="none")
                with pytest.raises(IOError):
                    await sock.connect("localhost", server.port)
                assert sock.server_certificate is None
                assert sock.server_certificate_status == "untrustedSigners"

            run(body)
