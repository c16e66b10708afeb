"""``python -m bench.codec``: per-call cost of the IDataInput/IDataOutput codec and AMF.

Each row is a ratio against the nearest stdlib baseline in the same run (``struct`` for
numbers, ``str.encode``/``bytes.decode`` for text, ``json`` for objects), so it means the same
on a busy or a quiet machine. ``Socket.readInt`` is measured on a real loopback connection:
the integers are sent by a peer, and the reads start once all of them are buffered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import struct
import timeit
from collections.abc import Callable

from securesocket import ByteArray
from securesocket._socket import Socket


Row = tuple[str, float, str, float]


def per_call_ns(body: Callable[[], object], calls: int, repeat: int = 5) -> float:
    """The best of ``repeat`` runs of ``body`` (which makes ``calls`` calls), in ns per call."""
    return min(timeit.repeat(body, number=1, repeat=repeat)) / calls * 1e9


def row(
    name: str, ours: Callable[[], object], baseline: str, theirs: Callable[[], object], calls: int
) -> Row:
    return (name, per_call_ns(ours, calls), baseline, per_call_ns(theirs, calls))


def byte_array_rows(calls: int) -> list[Row]:
    ints = ByteArray(b"\x01\x02\x03\x04" * calls)
    raw = b"\x01\x02\x03\x04" * calls
    be_int = struct.Struct(">i")

    def read_ints() -> None:
        ints.position = 0
        read = ints.read_int
        for _ in range(calls):
            read()

    def unpack_ints() -> None:
        unpack = be_int.unpack_from
        for offset in range(0, 4 * calls, 4):
            unpack(raw, offset)

    def write_ints() -> None:
        out = ByteArray()
        write = out.write_int
        for value in range(calls):
            write(value)

    def pack_ints() -> None:
        out = bytearray()
        pack = be_int.pack
        for value in range(calls):
            out += pack(value)

    utf = ByteArray()
    for _ in range(calls):
        utf.write_utf("héllo wörld")
    encoded = "héllo wörld".encode()

    def read_utfs() -> None:
        utf.position = 0
        read = utf.read_utf
        for _ in range(calls):
            read()

    def decode_utfs() -> None:
        for _ in range(calls):
            encoded.decode()

    return [
        row("ByteArray.readInt", read_ints, "struct.unpack_from", unpack_ints, calls),
        row("ByteArray.writeInt", write_ints, "bytearray += pack", pack_ints, calls),
        row("ByteArray.readUTF", read_utfs, "bytes.decode", decode_utfs, calls),
    ]


def amf_rows(calls: int) -> list[Row]:
    message = {"id": 7, "name": "ann", "tags": ["a", "b"], "score": 1.5, "ok": True}
    rows: list[Row] = []
    text = json.dumps(message)
    for encoding in (3, 0):
        out = ByteArray()
        out.object_encoding = encoding

        def write_objects(out: ByteArray = out) -> None:
            out.clear()
            for _ in range(calls):
                out.write_object(message)

        write_objects()

        def read_objects(out: ByteArray = out) -> None:
            out.position = 0
            for _ in range(calls):
                out.read_object()

        rows.append(
            row(f"writeObject AMF{encoding}", write_objects, "json.dumps",
                lambda: [json.dumps(message) for _ in range(calls)], calls)
        )  # fmt: skip
        rows.append(
            row(f"readObject AMF{encoding}", read_objects, "json.loads",
                lambda: [json.loads(text) for _ in range(calls)], calls)
        )  # fmt: skip
    return rows


async def socket_rows(calls: int) -> list[Row]:
    payload = struct.pack(f">{calls}i", *range(calls))

    finished = asyncio.Event()

    async def send(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(payload)
            await writer.drain()
            await reader.read()  # until the client closes
        finally:
            writer.close()
            finished.set()

    server = await asyncio.start_server(send, "127.0.0.1", 0)
    sock = Socket()
    sock.read_buffer_limit = 0  # measure reads, not back-pressure
    try:
        await sock.connect("127.0.0.1", server.sockets[0].getsockname()[1])
        while sock.bytes_available < len(payload):
            await asyncio.sleep(0.005)
        read = sock.read_int
        best = per_call_ns(lambda: [read() for _ in range(calls)], calls, repeat=1)
        be_int = struct.Struct(">i")
        base = per_call_ns(
            lambda: [be_int.unpack_from(payload, 4 * i) for i in range(calls)], calls, repeat=1
        )
        return [("Socket.readInt", best, "struct.unpack_from", base)]
    finally:
        sock.close()
        await asyncio.wait_for(finished.wait(), 10)
        server.close()
        await server.wait_closed()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.codec", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    args = parser.parse_args(argv)
    calls = 2_000 if args.quick else 200_000
    rows = byte_array_rows(calls) + amf_rows(calls // 10)
    rows += asyncio.run(socket_rows(calls))
    print("| operation | ns/call | baseline | ns/call | ratio |\n|---|---:|---|---:|---:|")
    for name, ours, baseline, theirs in rows:
        print(f"| {name} | {ours:.0f} | {baseline} | {theirs:.0f} | {ours / theirs:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
