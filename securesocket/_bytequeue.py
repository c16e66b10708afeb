"""`ByteQueue`: the FIFO byte buffer behind a socket's input, without per-chunk allocations.

# Why not a plain bytearray

Appending to a bytearray and deleting from its front reallocates and, for the 256 KiB
chunks a socket read brings, maps fresh pages again and again; bulk receive then spends more
time in the allocator than in decryption. A `ByteQueue` keeps one buffer whose capacity only
grows: data lives in ``[start, end)``; a writer asks for room with `reserve` and reports what
it wrote with `commit` (the TLS engine decrypts straight into it); readers `take` or `view`
from the front. Room is made by moving the unread bytes to the front (at most once per
`reserve`) before growing.

Invariant: the bytearray is never resized in place (it is replaced when it must grow), so a
memoryview handed out by `reserve` or `view` can never block a later write; such a view is
only meaningful until the next call that changes the queue.
"""

from __future__ import annotations

import struct
from typing import Any


__all__ = ["ByteQueue"]


class ByteQueue:
    """A growable FIFO of bytes with in-place writes.

    Args:
        capacity: the initial size of the underlying buffer.
    """

    __slots__ = ("_buf", "_end", "_start")

    def __init__(self, capacity: int = 0) -> None:
        self._buf = bytearray(capacity)
        self._start = 0
        self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    def clear(self) -> None:
        """Drop everything (the capacity is kept)."""
        self._start = self._end = 0

    def _make_room(self, n: int) -> None:
        if len(self._buf) - self._end >= n:
            return
        size = self._end - self._start
        if self._start and len(self._buf) - size >= n:
            with memoryview(self._buf) as whole:
                whole[:size] = whole[self._start : self._end]
        else:
            grown = bytearray(max(2 * len(self._buf), size + n, 4096))
            with memoryview(self._buf) as whole:
                grown[:size] = whole[self._start : self._end]
            self._buf = grown
        self._start, self._end = 0, size

    def append(self, data: bytes | bytearray | memoryview) -> None:
        """Add ``data`` at the end."""
        n = len(data)
        self._make_room(n)
        self._buf[self._end : self._end + n] = data
        self._end += n

    def reserve(self, n: int) -> memoryview:
        """A writable view of ``n`` free bytes at the end; `commit` what was written."""
        self._make_room(n)
        return memoryview(self._buf)[self._end : self._end + n]

    def commit(self, n: int) -> None:
        """Mark ``n`` bytes written into the last `reserve` view as data."""
        self._end += n

    def take(self, n: int) -> bytes:
        """Remove and return the first ``n`` bytes (the caller checked that they exist)."""
        start = self._start
        with memoryview(self._buf) as whole:
            data = bytes(whole[start : start + n])
        self._consume(n)
        return data

    def unpack(self, fmt: struct.Struct) -> Any:
        """Remove the first ``fmt.size`` bytes and return the value they encode (the caller
        checked that they exist); read in place, no copy."""
        value = fmt.unpack_from(self._buf, self._start)[0]
        self._consume(fmt.size)
        return value

    def view(self, n: int) -> memoryview:
        """A read-only look at the first ``n`` bytes (not consumed; see `consume`)."""
        return memoryview(self._buf)[self._start : self._start + n].toreadonly()

    def _consume(self, n: int) -> None:
        self._start += n
        if self._start >= self._end:
            self._start = self._end = 0

    consume = _consume

    def peek_all(self) -> bytes:
        """A copy of everything queued."""
        with memoryview(self._buf) as whole:
            return bytes(whole[self._start : self._end])
