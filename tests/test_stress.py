"""Soak and integrity: many connections, many at once, and a lot of data, with nothing lost.

- Connect/close cycles against a loopback TLS server: after a warm-up, open file descriptors,
  asyncio tasks and memory do not grow beyond the bounds stated below.
- Many `SecureSocket`s connected at once on one loop, each echoing its own message.
- Bulk data through an echo server: SHA-256 of what we sent, of what the server received and
  of what came back all match.
- Many sockets at once against hostile servers and a good one: each gets exactly its outcome.

Small counts run in ``make test``; ``make stress`` runs the slow variants, with the full counts
when ``SECURESOCKET_STRESS=full`` (10,000 cycles, 1,000 sockets, 1 GiB). Each test prints a
one-line summary of what it measured (``-s`` shows it; BENCHMARKS.md records a full run).

The peer is a stdlib `ssl` asyncio echo server in a child process, so its sockets and CPU are
not ours: the descriptors counted are the client's alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import os
import resource
import subprocess
import sys
import textwrap
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from securesocket import SecureSocket
from securesocket.exceptions import IOError, SecurityError
from securesocket.testing.hostile import (
    GarbageServer,
    MidRecordServer,
    SlowlorisServer,
    ThrowawayCA,
    TLSServer,
)


# No test may leave a thread or a child process behind (the kit's pytest plugin).
pytestmark = pytest.mark.usefixtures("no_leftover_servers")

FULL = os.environ.get("SECURESOCKET_STRESS") == "full"


@dataclass(frozen=True)
class Counts:
    cycles: int
    concurrent: int
    bulk_bytes: int


SMALL = Counts(cycles=60, concurrent=40, bulk_bytes=4 * 1024 * 1024)
FULL_COUNTS = Counts(cycles=10_000, concurrent=1_000, bulk_bytes=1024 * 1024 * 1024)
MEDIUM = Counts(cycles=1_000, concurrent=200, bulk_bytes=64 * 1024 * 1024)

MODES = [
    pytest.param(SMALL, id="small"),
    pytest.param(FULL_COUNTS if FULL else MEDIUM, id="full" if FULL else "medium",
                 marks=pytest.mark.slow),
]  # fmt: skip

WARM_UP = 20
"""Cycles before the baseline is taken (first-use caches, the shared Context, imports)."""
FD_SLACK = 2
"""Descriptors the process may hold beyond the baseline at the end (none are expected)."""
TRACED_BOUND = 256 * 1024
"""Python heap growth (tracemalloc) allowed over the measured cycles: 26 bytes per cycle at
10,000 cycles. Bounded caches (signatures, host checks) still settle in this window."""
RSS_BOUND = 24 * 1024 * 1024
"""Resident memory growth allowed over the measured cycles: also covers OpenSSL's C heap,
which tracemalloc does not see, and allocator noise."""
OUTCOME_LIMIT = 600.0
"""Seconds any one stage may take before the test fails as hung (not a speed assertion)."""

_ECHO_SERVER = textwrap.dedent(
    """
    import asyncio, hashlib, ssl, sys

    async def main(cert, key, report):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)

        async def echo(reader, writer):
            digest, size = hashlib.sha256(), 0
            try:
                while data := await reader.read(262144):
                    digest.update(data)
                    size += len(data)
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, ssl.SSLError):
                pass
            finally:
                if report:
                    print("received", size, digest.hexdigest(), flush=True)
                writer.close()

        server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=context, backlog=4096)
        print("port", server.sockets[0].getsockname()[1], flush=True)
        # Serve until the test closes our stdin: the server never outlives the test.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] == "report"))
    """
)


class EchoServer:
    """The stdlib-ssl echo server in a child process.

    With `report`, it prints the size and SHA-256 of what each connection sent it, when that
    connection closes (read them with `next_report`).
    """

    def __init__(self, directory: Path, ca: ThrowawayCA, *, report: bool = False) -> None:
        identity = ca.issue("localhost", intermediates=1)
        cert, key = directory / "chain.pem", directory / "key.pem"
        cert.write_bytes(
            b"".join(c.public_bytes(serialization.Encoding.PEM) for c in identity.chain)
        )
        key.write_bytes(
            identity.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", _ECHO_SERVER, str(cert), str(key), "report" if report else "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        assert line[:1] == ["port"], f"echo server did not start: {line}"
        self.port = int(line[1])

    def next_report(self) -> tuple[int, str]:
        """The next "received <size> <sha256>" line (one per closed connection)."""
        assert self.process.stdout is not None
        words = self.process.stdout.readline().split()
        assert words[:1] == ["received"], f"unexpected server output: {words}"
        return int(words[1]), words[2]

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture(scope="module")
def ca() -> ThrowawayCA:
    return ThrowawayCA("securesocket stress root")


@pytest.fixture
def echo_server(tmp_path: Path, ca: ThrowawayCA) -> Iterator[EchoServer]:
    server = EchoServer(tmp_path, ca)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def reporting_echo_server(tmp_path: Path, ca: ThrowawayCA) -> Iterator[EchoServer]:
    server = EchoServer(tmp_path, ca, report=True)
    try:
        yield server
    finally:
        server.stop()


def new_socket(ca: ThrowawayCA) -> SecureSocket:
    sock = SecureSocket(trust="none")
    sock.add_binary_chain_building_certificate(
        ca.root.public_bytes(serialization.Encoding.DER), True
    )
    return sock


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def run(coro: Any) -> Any:
    """Run on a fresh loop whose exception handler records; fail if anything reached it."""

    async def main() -> Any:
        errors: list[dict[str, Any]] = []
        asyncio.get_running_loop().set_exception_handler(lambda _l, ctx: errors.append(ctx))
        result = await asyncio.wait_for(coro, OUTCOME_LIMIT)
        assert errors == [], f"exceptions reached the event loop: {errors[:3]}"
        return result

    return asyncio.run(main())


def report(name: str, **figures: object) -> None:
    print(f"\n[stress] {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)
    await asyncio.sleep(0.01)


# --------------------------------------------------------------------------- soak


@pytest.mark.parametrize("counts", MODES)
def test_connect_close_cycles_leak_nothing(
    counts: Counts, ca: ThrowawayCA, echo_server: EchoServer
) -> None:
    """Connect, exchange one message, close, N times: fds, tasks and memory stay bounded."""

    async def body() -> dict[str, int]:
        async def cycle(i: int) -> None:
            sock = new_socket(ca)
            await sock.connect("localhost", echo_server.port)
            message = f"cycle {i}".encode()
            sock.write_bytes(message)
            sock.flush()
            got = bytearray()
            while len(got) < len(message):
                await _data(sock)
                sock.read_bytes(got, len(got))
            assert bytes(got) == message
            assert sock.server_certificate_status == "trusted"
            sock.close()

        for i in range(WARM_UP):
            await cycle(i)
        await settle()
        gc.collect()
        tracemalloc.start()
        base_fds, base_tasks, base_rss = open_fds(), len(asyncio.all_tasks()), rss_bytes()
        base_traced = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        try:
            for i in range(counts.cycles):
                await cycle(i)
            elapsed = time.perf_counter() - started
            await settle()
            gc.collect()
            traced_growth = tracemalloc.get_traced_memory()[0] - base_traced
        finally:
            tracemalloc.stop()
        return {
            "fd_growth": open_fds() - base_fds,
            "task_growth": len(asyncio.all_tasks()) - base_tasks,
            "traced_growth": traced_growth,
            "rss_growth": rss_bytes() - base_rss,
            "cycles_per_s": int(counts.cycles / elapsed),
        }

    figures = run(body())
    report("connect/close cycles (traced by tracemalloc)", cycles=counts.cycles, **figures)
    assert figures["fd_growth"] <= FD_SLACK
    assert figures["task_growth"] == 0
    assert figures["traced_growth"] <= TRACED_BOUND
    assert figures["rss_growth"] <= RSS_BOUND


def test_control_the_counters_see_sockets_left_open(
    ca: ThrowawayCA, echo_server: EchoServer
) -> None:
    """The twin of the soak bounds: sockets left open do show up as descriptor growth."""

    async def body() -> int:
        base = open_fds()
        socks = [new_socket(ca) for _ in range(5)]
        for sock in socks:
            await sock.connect("localhost", echo_server.port)
        grown = open_fds() - base
        for sock in socks:
            sock.close()
        await settle()
        return grown

    assert run(body()) >= 5


async def _data(sock: SecureSocket) -> None:
    """Wait for the next socketData (or close/ioError, which the caller's checks then catch)."""
    loop = asyncio.get_running_loop()
    arrived: asyncio.Future[str] = loop.create_future()

    def wake(event: Any) -> None:
        if not arrived.done():
            arrived.set_result(event.type)

    kinds = ("socketData", "close", "ioError")
    for kind in kinds:
        sock.add_event_listener(kind, wake)
    try:
        if sock.bytes_available == 0:
            kind = await arrived
            assert kind == "socketData", f"connection ended: {kind}"
    finally:
        for kind in kinds:
            sock.remove_event_listener(kind, wake)


# --------------------------------------------------------------------------- concurrency


@pytest.mark.parametrize("counts", MODES)
def test_many_sockets_at_once_on_one_loop(
    counts: Counts, ca: ThrowawayCA, echo_server: EchoServer
) -> None:
    """N SecureSockets connect at once and each gets exactly its own message back."""

    async def one(i: int) -> bytes:
        sock = new_socket(ca)
        sock.timeout = 120_000  # N handshakes share two cores; this is not what is tested
        await sock.connect("localhost", echo_server.port)
        message = f"socket {i} ".encode() * 8
        sock.write_bytes(message)
        sock.flush()
        got = bytearray()
        while len(got) < len(message):
            await _data(sock)
            sock.read_bytes(got, len(got))
        sock.close()
        return bytes(got)

    async def body() -> tuple[list[bytes], float, int]:
        base_fds = open_fds()
        started = time.perf_counter()
        results = await asyncio.gather(*(one(i) for i in range(counts.concurrent)))
        elapsed = time.perf_counter() - started
        await settle()
        return list(results), elapsed, open_fds() - base_fds

    results, elapsed, fd_growth = run(body())
    report(
        "concurrent sockets",
        sockets=counts.concurrent,
        seconds=round(elapsed, 2),
        fd_growth=fd_growth,
    )
    assert results == [f"socket {i} ".encode() * 8 for i in range(counts.concurrent)]
    assert fd_growth <= FD_SLACK


# --------------------------------------------------------------------------- integrity

_CHUNK = 1024 * 1024


def _chunks(total: int, seed: bytes) -> Iterator[bytes]:
    """Deterministic, incompressible chunks: SHAKE-256 output of a seed and a counter."""
    for index in range(0, total, _CHUNK):
        yield hashlib.shake_256(seed + index.to_bytes(8, "big")).digest(min(_CHUNK, total - index))


@pytest.mark.parametrize("counts", MODES)
def test_bulk_echo_keeps_every_byte(
    counts: Counts, ca: ThrowawayCA, reporting_echo_server: EchoServer
) -> None:
    """N bytes out and back: SHA-256 of sent, server-received and echoed data all agree."""

    async def body() -> tuple[str, str, int, float]:
        sock = new_socket(ca)
        await sock.connect("localhost", reporting_echo_server.port)
        loop = asyncio.get_running_loop()
        sent_digest, echoed_digest = hashlib.sha256(), hashlib.sha256()
        echoed = 0
        all_back = loop.create_future()
        drained = asyncio.Event()
        scratch = bytearray()

        def on_data(_event: Any) -> None:
            nonlocal echoed
            scratch.clear()
            sock.read_bytes(scratch)
            echoed_digest.update(scratch)
            echoed += len(scratch)
            if echoed >= counts.bulk_bytes and not all_back.done():
                all_back.set_result(None)

        def on_end(event: Any) -> None:
            if not all_back.done():
                all_back.set_exception(AssertionError(f"connection ended early: {event.type}"))

        sock.add_event_listener("socketData", on_data)
        sock.add_event_listener("outputProgress", lambda _e: drained.set())
        sock.add_event_listener("close", on_end)
        sock.add_event_listener("ioError", on_end)
        started = time.perf_counter()
        for chunk in _chunks(counts.bulk_bytes, b"securesocket stress"):
            sent_digest.update(chunk)
            drained.clear()
            sock.write_bytes(chunk)
            sock.flush()
            await drained.wait()  # back-pressure: the kernel took the whole chunk
        await all_back
        elapsed = time.perf_counter() - started
        sock.close()
        return sent_digest.hexdigest(), echoed_digest.hexdigest(), echoed, elapsed

    sent, echoed, echoed_size, elapsed = run(body())
    server_size, server_digest = reporting_echo_server.next_report()
    report(
        "bulk echo",
        bytes=counts.bulk_bytes,
        seconds=round(elapsed, 2),
        mib_per_s_each_way=round(counts.bulk_bytes / 2**20 / elapsed, 1),
    )
    assert server_size == counts.bulk_bytes
    assert echoed_size == counts.bulk_bytes
    assert server_digest == sent
    assert echoed == sent


# --------------------------------------------------------------------------- hostile, at once


@pytest.mark.parametrize("counts", MODES)
def test_many_sockets_against_hostile_servers_at_once(counts: Counts, ca: ThrowawayCA) -> None:
    """N/4 sockets at once, spread over four hostile servers and one good one: every socket
    gets exactly the outcome its server deserves, and nothing leaks."""
    good_identity = ca.issue("localhost", intermediates=1)
    servers: list[tuple[Any, str]] = [
        (GarbageServer(), "ioError"),
        (MidRecordServer(), "ioError"),
        (SlowlorisServer(interval=0.1), "securityError"),
        (TLSServer(ThrowawayCA("stress impostor").issue("localhost")), "ioError"),
        (TLSServer(good_identity), "connect"),
    ]
    per_server = max(counts.concurrent // 4 // len(servers), 2)

    async def one(port: int) -> list[str]:
        sock = new_socket(ca)
        # The slowloris sockets end at the timeout; the others well before it.
        sock.timeout = 1_000 if counts is SMALL else 10_000
        events: list[str] = []
        for kind in ("connect", "ioError", "securityError", "close"):
            sock.add_event_listener(kind, lambda event: events.append(event.type))
        with contextlib.suppress(IOError, SecurityError):
            await sock.connect("localhost", port)
        await settle()
        if sock.connected:
            sock.close()
        return events

    async def body() -> list[list[str]]:
        results = await asyncio.gather(
            *(one(server.port) for server, _ in servers for _ in range(per_server))
        )
        await settle()
        return list(results)

    # The hostile servers run in this process: count descriptors with them stopped.
    base_fds = open_fds()
    with contextlib.ExitStack() as stack:
        for server, _ in servers:
            stack.enter_context(server)
        results = run(body())
    fd_growth = open_fds() - base_fds
    expected = [want for _, want in servers for _ in range(per_server)]
    report("hostile servers at once", sockets=len(results), fd_growth=fd_growth)
    assert results == [[want] for want in expected]
    assert fd_growth <= FD_SLACK
    assert all(server.errors == [] for server, _ in servers)
