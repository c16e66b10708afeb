"""`Socket` (plain TCP) against real peers on 127.0.0.1, started and stopped by each test."""

from __future__ import annotations

import asyncio
import gc
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_

from securesocket._events import Event
from securesocket._socket import DEFAULT_TIMEOUT_MS, Socket
from securesocket.exceptions import EOFError, IOError, SecurityError
from tests import strategies
from tests.tls_helpers import refused_port


T = TypeVar("T")


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run one async test body on a fresh loop that records every exception-handler call."""

    async def main() -> T:
        return await coro_fn()

    return asyncio.run(main())


def is_connected(sock: Socket) -> bool:
    """`Socket.connected` read through a call: mypy would keep a narrowed property value
    across the ``await`` that changes it and call the rest of the test unreachable."""
    return sock.connected


class Recorder:
    """Records the events a socket dispatches, in order, and lets a test wait for one."""

    TYPES = ("connect", "close", "ioError", "securityError", "socketData", "outputProgress")

    def __init__(self, sock: Socket) -> None:
        self.events: list[Any] = []
        self._waiters: list[tuple[str, asyncio.Future[Any]]] = []
        for kind in self.TYPES:
            sock.add_event_listener(kind, self._on)

    def _on(self, event: Any) -> None:
        self.events.append(event)
        for kind, fut in self._waiters:
            if kind == event.type and not fut.done():
                fut.set_result(event)

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    async def wait(self, kind: str, timeout: float = 10) -> Any:
        """The first ``kind`` event recorded, waiting for it if there is none yet."""
        for event in self.events:
            if event.type == kind:
                return event
        return await self.next(kind, timeout)

    async def next(self, kind: str, timeout: float = 10) -> Any:
        """The next ``kind`` event dispatched from now on."""
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.append((kind, fut))
        return await asyncio.wait_for(fut, timeout)


@asynccontextmanager
async def echo_server(mode: str = "echo", payload: bytes = b"") -> AsyncIterator[int]:
    """An asyncio TCP server on 127.0.0.1: "echo", or "send-close" (send payload, then FIN)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if mode == "echo":
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            elif mode == "send-close":
                for piece in payload.split(b"|"):
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(0.02)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


class TestConnect:
    def test_connect_write_flush_and_read_back(self) -> None:
        """Connect fires once; flushed data comes back; outputProgress reports 0 pending."""

        async def body() -> None:
            async with echo_server() as port:
                sock = Socket()
                rec = Recorder(sock)
                attempt = sock.connect("127.0.0.1", port)
                assert not is_connected(sock)  # false straight after connect()
                await attempt
                assert sock.connected
                sock.write_utf("héllo")
                sock.write_int(-2)
                assert sock.bytes_pending == 12  # 2-byte length + 6 UTF-8 bytes + 4
                sock.flush()
                progress = await rec.wait("outputProgress")
                assert progress.bytes_pending == 0
                while sock.bytes_available < 12:
                    await rec.wait("socketData")
                    await asyncio.sleep(0.01)
                assert sock.read_utf() == "héllo"
                assert sock.read_int() == -2
                assert rec.types().count("connect") == 1
                assert sock.remote_address == "127.0.0.1"
                assert sock.remote_port == port
                assert sock.local_address == "127.0.0.1"
                assert sock.local_port > 0
                sock.close()

        run(body)

    def test_refused_port_gives_one_io_error_and_no_connect(self) -> None:
        """A refused connect gives exactly one ioError #2031 and the awaitable raises."""

        async def body() -> None:
            sock = Socket()
            rec = Recorder(sock)
            port = refused_port()
            with pytest.raises(IOError, match=r"Error #2031: Socket Error\. URL: 127\.0\.0\.1"):
                await sock.connect("127.0.0.1", port)
            await asyncio.sleep(0.05)
            assert rec.types() == ["ioError"]
            assert rec.events[0].error_id == 2031
            assert rec.events[0].text.startswith("Error #2031: Socket Error. URL: 127.0.0.1")
            assert not sock.connected

        run(body)

    def test_unawaited_failure_logs_nothing(self) -> None:
        """Nobody awaits a failing connect: no 'exception was never retrieved' report."""
        reports: list[dict[str, Any]] = []

        async def body() -> None:
            asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: reports.append(ctx))
            sock = Socket()
            rec = Recorder(sock)
            sock.connect("127.0.0.1", refused_port())
            await rec.wait("ioError")
            await asyncio.sleep(0.05)
            gc.collect()

        run(body)
        gc.collect()
        assert reports == []

    def test_unhandled_io_error_is_reported_to_the_loop(self) -> None:
        """Twin of the above: an ioError with no listener is reported (AS3's #2044)."""
        reports: list[dict[str, Any]] = []

        async def body() -> None:
            asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: reports.append(ctx))
            sock = Socket()
            with pytest.raises(IOError):
                await sock.connect("127.0.0.1", refused_port())

        run(body)
        assert len(reports) == 1
        assert "ioError" in str(reports[0]["exception"])

    @pytest.mark.parametrize("port", [-1, 65536, 70000])
    def test_port_out_of_range_is_security_error_2003(self, port: int) -> None:
        """Ports outside 0..65535 raise SecurityError #2003 at once, with no event."""

        async def body() -> None:
            sock = Socket()
            rec = Recorder(sock)
            with pytest.raises(SecurityError, match="#2003") as info:
                sock.connect("127.0.0.1", port)
            assert info.value.error_id == 2003
            await asyncio.sleep(0)
            assert rec.events == []

        run(body)

    def test_port_at_the_range_edge_is_attempted(self) -> None:
        """Twin: port 65535 is valid, so it gives an event (refused), not an exception."""

        async def body() -> None:
            sock = Socket()
            rec = Recorder(sock)
            sock.connect("127.0.0.1", 65535)
            event = await rec.wait("ioError")
            assert event.error_id == 2031

        run(body)

    def test_connect_without_a_running_loop_is_refused(self) -> None:
        """connect() outside an event loop raises instead of hanging."""
        from securesocket.exceptions import IllegalOperationError

        with pytest.raises(IllegalOperationError, match="running asyncio event loop"):
            Socket().connect("127.0.0.1", 1)


class TestOutput:
    def test_output_progress_reports_zero_once_a_large_write_has_drained(self) -> None:
        """16 MiB to a peer that reads late: pending first, then outputProgress(0) once the
        kernel has taken everything, and the peer gets every byte."""

        async def body() -> None:
            received = bytearray()
            done = asyncio.Event()
            size = 16 << 20

            async def late_reader(
                reader: asyncio.StreamReader, writer: asyncio.StreamWriter
            ) -> None:
                await asyncio.sleep(0.2)
                while len(received) < size and (chunk := await reader.read(1 << 20)):
                    received.extend(chunk)
                done.set()
                writer.close()

            server = await asyncio.start_server(late_reader, "127.0.0.1", 0)
            try:
                sock = Socket()
                rec = Recorder(sock)
                await sock.connect("127.0.0.1", server.sockets[0].getsockname()[1])
                payload = bytes(range(256)) * (size // 256)
                from securesocket._bytearray import ByteArray

                sock.write_bytes(ByteArray(payload))
                sock.flush()
                assert sock.bytes_pending > 0  # the kernel cannot take 16 MiB at once
                progress = await rec.next("outputProgress")
                assert progress.bytes_pending == 0
                assert sock.bytes_pending == 0
                await asyncio.wait_for(done.wait(), 30)
                assert bytes(received) == payload
                sock.close()
            finally:
                server.close()
                await server.wait_closed()

        run(body)


class TestTimeout:
    def test_default_and_clamp(self) -> None:
        """timeout defaults to 20000 ms; values below 250 become 250."""
        sock = Socket()
        assert sock.timeout == DEFAULT_TIMEOUT_MS == 20000
        sock.timeout = 10
        assert sock.timeout == 250
        sock.timeout = 1000
        assert sock.timeout == 1000

    def test_expiry_gives_security_error_2048(self) -> None:
        """A connect that never completes ends with one securityError #2048 after timeout."""

        async def body() -> None:
            # A listener whose accept queue is full: further SYNs are dropped, so the TCP
            # connect neither succeeds nor fails.
            listener = socket.create_server(("127.0.0.1", 0), backlog=0)
            fillers = []
            try:
                port = listener.getsockname()[1]
                for _ in range(4):
                    filler = socket.socket()
                    filler.setblocking(False)
                    filler.connect_ex(("127.0.0.1", port))
                    fillers.append(filler)
                await asyncio.sleep(0.05)
                sock = Socket()
                sock.timeout = 250
                rec = Recorder(sock)
                loop = asyncio.get_running_loop()
                started = loop.time()
                with pytest.raises(SecurityError, match="#2048") as info:
                    await sock.connect("127.0.0.1", port)
                assert loop.time() - started >= 0.2  # not before the timeout
                assert info.value.error_id == 2048
                await asyncio.sleep(0.05)
                assert rec.types() == ["securityError"]
                assert rec.events[0].error_id == 2048
            finally:
                for filler in fillers:
                    filler.close()
                listener.close()

        run(body)


class TestClose:
    def test_remote_close_dispatches_close_and_keeps_data_readable(self) -> None:
        """The peer closing gives one close event; what it sent can still be read."""

        async def body() -> None:
            async with echo_server("send-close", b"abc|def|ghi") as port:
                sock = Socket()
                rec = Recorder(sock)
                await sock.connect("127.0.0.1", port)
                await rec.wait("close")
                assert not sock.connected
                assert rec.types().count("close") == 1
                data_events = [e for e in rec.events if e.type == "socketData"]
                assert sum(e.bytes_loaded for e in data_events) == 9
                assert sock.read_utf_bytes(sock.bytes_available) == "abcdefghi"
                with pytest.raises(EOFError):
                    sock.read_byte()

        run(body)

    def test_one_socket_data_per_chunk_with_its_size(self) -> None:
        """Each socketData's bytesLoaded is the size of the chunk that arrived."""

        async def body() -> None:
            async with echo_server("send-close", b"12345|678") as port:
                sock = Socket()
                rec = Recorder(sock)
                seen: list[tuple[float, int]] = []
                sock.add_event_listener(
                    "socketData", lambda e: seen.append((e.bytes_loaded, sock.bytes_available))
                )
                await sock.connect("127.0.0.1", port)
                await rec.wait("close")
                before = 0
                for loaded, available in seen:
                    assert loaded == available - before
                    before = available
                assert before == 8

        run(body)

    def test_local_close_dispatches_nothing_and_invalidates_io(self) -> None:
        """close() gives no close event; reads/writes/flush then raise IOError #2002."""

        async def body() -> None:
            async with echo_server() as port:
                sock = Socket()
                rec = Recorder(sock)
                await sock.connect("127.0.0.1", port)
                sock.close()
                await asyncio.sleep(0.05)
                assert "close" not in rec.types()
                assert not is_connected(sock)
                for op in (sock.read_byte, lambda: sock.write_byte(1), sock.flush):
                    with pytest.raises(IOError, match="#2002") as info:
                        op()
                    assert info.value.error_id == 2002
                # The socket can be reused.
                await sock.connect("127.0.0.1", port)
                assert sock.connected
                sock.close()

        run(body)

    def test_close_on_a_never_connected_socket_is_io_error(self) -> None:
        """close() before any connect raises IOError #2002; write too."""
        sock = Socket()
        with pytest.raises(IOError, match="#2002"):
            sock.close()
        with pytest.raises(IOError, match="#2002"):
            sock.write_utf_bytes("x")

    def test_close_during_connect_ends_the_attempt_silently(self) -> None:
        """A local close mid-attempt dispatches nothing; the awaitable raises IOError."""

        async def body() -> None:
            async with echo_server() as port:
                sock = Socket()
                rec = Recorder(sock)
                attempt = sock.connect("127.0.0.1", port)
                sock.close()
                with pytest.raises(IOError, match="closed before"):
                    await attempt
                await asyncio.sleep(0.05)
                assert rec.events == []

        run(body)

    def test_reconnect_closes_the_first_connection_without_an_event(self) -> None:
        """connect() on a connected socket closes the old connection first (no close event)."""

        async def body() -> None:
            async with echo_server() as port:
                sock = Socket()
                rec = Recorder(sock)
                await sock.connect("127.0.0.1", port)
                first_local = sock.local_port
                await sock.connect("127.0.0.1", port)
                assert sock.local_port != first_local
                await asyncio.sleep(0.05)
                assert rec.types() == [Event.CONNECT, Event.CONNECT]
                sock.close()

        run(body)


class TestAS3Surface:
    @pytest.mark.parametrize("cls_name", ["Socket", "SecureSocket"])
    def test_every_as3_member_is_reachable(self, cls_name: str) -> None:
        """Every AS3 name of the class and its bases resolves to the Python member."""
        import securesocket
        from securesocket._as3names import as3_names_for

        cls = getattr(securesocket, cls_name)
        names = as3_names_for(cls)
        assert "connect" in names
        assert "bytesAvailable" in names
        for as3, python in names.items():
            assert getattr(cls, as3) is getattr(cls, python), as3

    def test_read_bytes_fast_path_matches_the_general_contract(self) -> None:
        """read_bytes into a ByteArray: length 0 = all, offset honoured, EOF consumes nothing."""
        from securesocket._bytearray import ByteArray

        async def body() -> None:
            async with echo_server() as port:
                sock = Socket()
                rec = Recorder(sock)
                await sock.connect("127.0.0.1", port)
                sock.write_utf_bytes("0123456789")
                sock.flush()
                while sock.bytes_available < 10:
                    await rec.next("socketData")
                target = ByteArray(b"ab")
                with pytest.raises(EOFError):
                    sock.read_bytes(target, 0, 11)
                assert sock.bytes_available == 10  # nothing consumed
                sock.read_bytes(target, 4, 3)
                assert bytes(target) == b"ab\x00\x00012"
                assert target.position == 0
                sock.read_bytes(target, 0, 0)
                assert bytes(target) == b"3456789"  # overwritten from offset 0
                assert sock.bytes_available == 0
                sock.read_bytes(target)  # nothing left: no change, no error
                plain = bytearray(b"zz")
                sock.write_utf_bytes("xy")
                sock.flush()
                await rec.next("socketData")
                sock.read_bytes(plain, 1)
                assert plain == bytearray(b"zxy")
                sock.close()

        run(body)


_PAIRS = {
    "boolean": (st_.booleans(), "write_boolean", "read_boolean"),
    "byte": (strategies.int8, "write_byte", "read_byte"),
    "unsigned_byte": (strategies.uint8, "write_byte", "read_unsigned_byte"),
    "short": (strategies.int16, "write_short", "read_short"),
    "unsigned_short": (strategies.uint16, "write_short", "read_unsigned_short"),
    "int": (strategies.int32, "write_int", "read_int"),
    "unsigned_int": (strategies.uint32, "write_unsigned_int", "read_unsigned_int"),
    "float": (strategies.singles, "write_float", "read_float"),
    "double": (strategies.doubles, "write_double", "read_double"),
    "utf": (strategies.utf_text, "write_utf", "read_utf"),
    "object": (strategies.amf_values, "write_object", "read_object"),
}

_ops = st_.lists(
    st_.sampled_from(sorted(_PAIRS)).flatmap(
        lambda kind: _PAIRS[kind][0].map(lambda value: (kind, value))
    ),
    min_size=1,
    max_size=12,
)


class TestCodecOverTheWire:
    @settings(max_examples=15, deadline=None)
    @given(ops=_ops, endian=strategies.endians, encoding=strategies.object_encodings)
    def test_every_write_read_pair_round_trips_through_a_socket(
        self, ops: list[tuple[str, Any]], endian: str, encoding: int
    ) -> None:
        """Values written, flushed to an echo peer and read back are equal, in both endians."""

        async def body() -> None:
            async with echo_server() as port:
                sock = Socket()
                rec = Recorder(sock)
                await sock.connect("127.0.0.1", port)
                sock.endian = endian
                sock.object_encoding = encoding
                for kind, value in ops:
                    getattr(sock, _PAIRS[kind][1])(value)
                expected = sock.bytes_pending
                sock.flush()
                while sock.bytes_available < expected:
                    await rec.next("socketData")
                for kind, value in ops:
                    got = getattr(sock, _PAIRS[kind][2])()
                    if kind in ("float", "double"):
                        assert strategies.same_float(got, value)
                    else:
                        assert got == value
                assert sock.bytes_available == 0
                sock.close()

        run(body)


class TestOptionsAndResets:
    def test_tcp_no_delay_reaches_the_socket(self) -> None:
        """tcp_no_delay (default True, asyncio's choice) is what the OS socket has."""

        async def body() -> None:
            async with echo_server() as port:
                for wanted in (False, True):
                    sock = Socket()
                    sock.tcp_no_delay = wanted
                    await sock.connect("127.0.0.1", port)
                    assert sock._transport is not None
                    raw = sock._transport.get_extra_info("socket")
                    assert bool(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)) is wanted
                    sock.close()

        run(body)

    def test_constructor_with_host_connects_at_once(self) -> None:
        """Socket(host, port) starts connecting immediately (AS3's constructor)."""

        async def body() -> None:
            async with echo_server() as port:
                sock = Socket("127.0.0.1", port)
                rec = Recorder(sock)
                await rec.wait("connect")
                assert sock.connected
                sock.close()

        run(body)

    def test_connection_reset_is_io_error(self) -> None:
        """A peer that resets the connection (RST) gives ioError #2031, not close."""

        async def body() -> None:
            async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                await reader.read(1)
                raw = writer.get_extra_info("socket")
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()

            server = await asyncio.start_server(reset, "127.0.0.1", 0)
            try:
                sock = Socket()
                rec = Recorder(sock)
                await sock.connect("127.0.0.1", server.sockets[0].getsockname()[1])
                sock.write_byte(1)
                sock.flush()
                event = await rec.wait("ioError")
                assert event.error_id == 2031
                assert "close" not in rec.types()
                assert not sock.connected
            finally:
                server.close()
                await server.wait_closed()

        run(body)


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_ipv6_literal_host_connects() -> None:
    """An IPv6 literal host (AS3: hex-colon notation) connects; addresses are reported."""

    async def body() -> None:
        server = await asyncio.start_server(lambda r, w: w.close(), "::1", 0)
        try:
            sock = Socket()
            Recorder(sock)
            await sock.connect("::1", server.sockets[0].getsockname()[1])
            assert sock.remote_address == "::1"
            assert sock.local_address == "::1"
            sock.close()
        finally:
            server.close()
            await server.wait_closed()

    run(body)


class TestBackPressure:
    @staticmethod
    async def flood(limit: int, offered: int) -> tuple[int, bytes]:
        """A server offers ``offered`` bytes; the application reads nothing until the server
        has stalled (or finished), then reads everything. Returns (sent before reading, data)."""
        block = bytes(range(256)) * 256
        sent = 0

        async def pusher(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal sent
            while sent < offered:
                writer.write(block)
                await writer.drain()
                sent += len(block)
            writer.close()

        server = await asyncio.start_server(pusher, "127.0.0.1", 0)
        try:
            sock = Socket()
            sock.read_buffer_limit = limit
            rec = Recorder(sock)
            await sock.connect("127.0.0.1", server.sockets[0].getsockname()[1])
            last, unchanged = -1, 0
            while sent < offered and unchanged < 10:  # until the server stalls or is done
                await asyncio.sleep(0.02)
                unchanged = unchanged + 1 if sent == last else 0
                last = sent
            let_in = sent
            received = bytearray()
            while len(received) < offered:
                if sock.bytes_available:
                    sock.read_bytes(received, len(received))
                else:
                    await rec.next("socketData")
            return let_in, bytes(received)
        finally:
            server.close()
            await server.wait_closed()

    def test_an_application_that_does_not_read_stops_the_server(self) -> None:
        """With a 1 MiB limit the server stalls long before 32 MiB; reading then gets every
        byte, in order (nothing lost)."""
        offered = 32 << 20
        let_in, data = run(lambda: self.flood(1 << 20, offered))
        assert let_in < offered // 2
        assert data == (bytes(range(256)) * 256) * (offered // 65536)

    def test_without_a_limit_everything_is_let_in(self) -> None:
        """Twin: limit 0 (AS3's unbounded buffer) lets the whole 32 MiB in unread."""
        offered = 32 << 20
        let_in, data = run(lambda: self.flood(0, offered))
        assert let_in == offered
        assert len(data) == offered
