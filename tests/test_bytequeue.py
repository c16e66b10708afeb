"""`ByteQueue` against a plain bytes model: whatever the operations, the same bytes come out."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from securesocket._bytequeue import ByteQueue


operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.binary(max_size=5000)),
        st.tuples(st.just("write"), st.binary(max_size=5000)),
        st.tuples(st.just("take"), st.integers(0, 6000)),
        st.tuples(st.just("consume"), st.integers(0, 6000)),
        st.tuples(st.just("clear"), st.none()),
    ),
    max_size=40,
)


@given(operations)
def test_queue_matches_a_bytes_model(ops: list[tuple[str, object]]) -> None:
    """Appends, in-place writes, takes, consumes and clears keep FIFO order exactly."""
    queue = ByteQueue(16)
    model = b""
    for op, arg in ops:
        if op == "append":
            assert isinstance(arg, bytes)
            queue.append(arg)
            model += arg
        elif op == "write":
            assert isinstance(arg, bytes)
            room = queue.reserve(len(arg) + 7)  # more room than written: only commit counts
            room[: len(arg)] = arg
            queue.commit(len(arg))
            model += arg
        elif op in ("take", "consume"):
            assert isinstance(arg, int)
            n = min(arg, len(model))
            if op == "take":
                assert queue.take(n) == model[:n]
            else:
                assert bytes(queue.view(n)) == model[:n]
                queue.consume(n)
            model = model[n:]
        else:
            queue.clear()
            model = b""
        assert len(queue) == len(model)
        assert queue.peek_all() == model


def test_views_never_block_growth() -> None:
    """A view still held while the queue grows does not raise (the buffer is replaced)."""
    queue = ByteQueue(8)
    queue.append(b"abcdefgh")
    held = queue.view(4)
    queue.append(b"x" * 100000)
    assert bytes(held) == b"abcd"
    assert len(queue) == 100008


def test_view_is_read_only() -> None:
    """Readers cannot write through a view."""
    queue = ByteQueue()
    queue.append(b"abc")
    view = queue.view(3)
    assert view.readonly


def test_compaction_moves_overlapping_unread_bytes_in_place() -> None:
    """Room made by moving 90 unread bytes 10 places down keeps them intact, no growth."""
    queue = ByteQueue(100)
    queue.append(bytes(range(100)))
    queue.consume(10)
    room = queue.reserve(10)
    room[:10] = b"ABCDEFGHIJ"
    queue.commit(10)
    assert queue.peek_all() == bytes(range(10, 100)) + b"ABCDEFGHIJ"
    assert len(queue._buf) == 100


@given(st.lists(st.integers(-(2**31), 2**31 - 1), max_size=50), st.integers(0, 7))
def test_unpack_reads_in_place_and_consumes_exactly_its_size(values: list[int], skip: int) -> None:
    """Values unpacked in place equal those packed, in order, each consuming its own size."""
    fmt = struct.Struct(">i")
    queue = ByteQueue(4)
    queue.append(bytes(skip))
    queue.consume(skip)
    queue.append(b"".join(fmt.pack(v) for v in values) + b"\x01\x02")
    assert [queue.unpack(fmt) for _ in values] == values
    assert queue.peek_all() == b"\x01\x02"
