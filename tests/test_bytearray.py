"""ByteArray: position, length, indexing, and the buffer semantics AS3 code relies on."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from securesocket import ArgumentError, ByteArray, EOFError, IOError, RangeError
from securesocket._as3names import AS3_NAMES
from securesocket._datacodec import DataInput
from tests import strategies as s


class TestPositionAndLength:
    """Reads and writes share one position; length can be set."""

    def test_new_array_is_empty_at_zero(self) -> None:
        """A fresh ByteArray has length, position and bytesAvailable 0."""
        buffer = ByteArray()
        assert (buffer.length, buffer.position, buffer.bytes_available, len(buffer)) == (0, 0, 0, 0)

    def test_initial_data_is_copied_and_read_from_zero(self) -> None:
        """ByteArray(data) starts at position 0 and does not alias the source."""
        source = bytearray(b"abc")
        buffer = ByteArray(source)
        source[0] = ord("z")
        assert buffer.read_utf_bytes(3) == "abc"

    def test_copy_of_another_byte_array(self) -> None:
        """ByteArray(other) copies the contents (not the position) and does not alias them."""
        other = ByteArray(b"xyz")
        other.position = 2
        copy = ByteArray(other)
        other[0] = 0x41
        assert (copy.to_bytes(), copy.position) == (b"xyz", 0)

    def test_write_advances_position_and_overwrites_in_place(self) -> None:
        """A write in the middle replaces bytes; it does not insert."""
        buffer = ByteArray(b"abcdef")
        buffer.position = 2
        buffer.write_utf_bytes("XY")
        assert (buffer.to_bytes(), buffer.position) == (b"abXYef", 4)

    def test_write_past_the_end_extends(self) -> None:
        """A write that runs over the end grows the array."""
        buffer = ByteArray(b"abc")
        buffer.position = 2
        buffer.write_utf_bytes("XYZ")
        assert buffer.to_bytes() == b"abXYZ"

    def test_position_past_end_pads_writes_with_zeros(self) -> None:
        """Position may exceed length; the next write fills the gap with zero bytes."""
        buffer = ByteArray(b"a")
        buffer.position = 3
        assert buffer.bytes_available == 0
        buffer.write_byte(0x62)
        assert buffer.to_bytes() == b"a\x00\x00b"

    def test_empty_write_past_end_changes_nothing(self) -> None:
        """Writing zero bytes beyond the end neither pads nor moves the position."""
        buffer = ByteArray(b"a")
        buffer.position = 3
        buffer.write_utf_bytes("")
        buffer.write_bytes(b"")
        assert (buffer.to_bytes(), buffer.position) == (b"a", 3)

    def test_position_past_end_makes_reads_fail(self) -> None:
        """The twin: a read from beyond the end is EOFError and the position stays."""
        buffer = ByteArray(b"a")
        buffer.position = 3
        with pytest.raises(EOFError):
            buffer.read_byte()
        assert buffer.position == 3

    def test_shrinking_length_truncates_and_clamps_position(self) -> None:
        """length = n keeps the first n bytes; position moves back to n if it was beyond."""
        buffer = ByteArray(b"abcdef")
        buffer.position = 5
        buffer.length = 2
        assert (buffer.to_bytes(), buffer.position) == (b"ab", 2)

    def test_growing_length_zero_fills_and_keeps_position(self) -> None:
        """length = n beyond the end appends zero bytes."""
        buffer = ByteArray(b"ab")
        buffer.position = 1
        buffer.length = 4
        assert (buffer.to_bytes(), buffer.position) == (b"ab\x00\x00", 1)

    @pytest.mark.parametrize("attribute", ["position", "length"])
    def test_negative_position_or_length_is_range_error(self, attribute: str) -> None:
        """uint fields reject negative values and keep their old value."""
        buffer = ByteArray(b"abc")
        with pytest.raises(RangeError):
            setattr(buffer, attribute, -1)
        assert (buffer.position, buffer.length) == (0, 3)

    def test_clear_empties_everything(self) -> None:
        """clear() sets length and position to 0."""
        buffer = ByteArray(b"abc")
        buffer.position = 2
        buffer.clear()
        assert (buffer.length, buffer.position, buffer.to_bytes()) == (0, 0, b"")

    @given(chunks=st.lists(s.blobs, max_size=8))
    def test_bytes_available_tracks_reads(self, chunks: list[bytes]) -> None:
        """bytesAvailable is always length - position while reading through the data."""
        buffer = ByteArray(b"".join(chunks))
        for chunk in chunks:
            assert buffer.bytes_available == buffer.length - buffer.position
            target = bytearray()
            if chunk:
                buffer.read_bytes(target, 0, len(chunk))
            assert bytes(target) == chunk
        assert buffer.bytes_available == 0


class TestPythonProtocols:
    """Indexing, len(), bytes()."""

    def test_getitem_returns_ints_and_slices_bytes(self) -> None:
        """ba[i] is an int, negative indices count from the end, slices are bytes."""
        buffer = ByteArray(b"\x01\x02\x03")
        assert (buffer[0], buffer[-1], buffer[1:]) == (1, 3, b"\x02\x03")

    def test_getitem_past_the_end_is_index_error(self) -> None:
        """Reading an index that does not exist raises IndexError."""
        with pytest.raises(IndexError):
            ByteArray(b"a")[1]

    def test_setitem_stores_low_bits_and_grows(self) -> None:
        """ba[i] = v keeps v & 0xFF; an index past the end zero-fills up to it."""
        buffer = ByteArray(b"a")
        buffer[3] = 0x1FF
        assert buffer.to_bytes() == b"a\x00\x00\xff"

    def test_setitem_negative_is_range_error(self) -> None:
        """The twin: a negative index is rejected and nothing changes."""
        buffer = ByteArray(b"a")
        with pytest.raises(RangeError):
            buffer[-1] = 0
        assert buffer.to_bytes() == b"a"

    def test_to_bytes_is_a_copy(self) -> None:
        """The returned bytes do not change when the array does."""
        buffer = ByteArray(b"ab")
        snapshot = buffer.to_bytes()
        buffer.write_byte(0x7A)
        assert (snapshot, bytes(buffer)) == (b"ab", b"zb")

    def test_repr_names_length_and_position(self) -> None:
        """repr is short and informative, never the whole buffer."""
        buffer = ByteArray(b"x" * 1000)
        buffer.position = 10
        assert repr(buffer) == "<ByteArray length=1000 position=10>"


class TestToString:
    """AS3 ByteArray.toString(): BOM-aware decoding."""

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            (b"\xef\xbb\xbfhi", "hi"),
            (b"\xfe\xff\x00h\x00i", "hi"),
            (b"\xff\xfeh\x00i\x00", "hi"),
            (b"hi\x00there", "hi"),
            (b"h\xffi", "h\xffi"),
        ],
        ids=["utf8-bom", "utf16-be", "utf16-le", "nul", "lenient"],
    )
    def test_to_string(self, raw: bytes, expected: str) -> None:
        """The BOM picks the encoding; UTF-8 decodes as readUTFBytes does."""
        buffer = ByteArray(raw)
        buffer.position = len(raw)
        assert buffer.to_string() == expected
        assert buffer.toString() == expected
        assert buffer.position == len(raw)


class ByteArrayModel(RuleBasedStateMachine):
    """ByteArray against a bytearray-plus-position model, under random interleavings."""

    def __init__(self) -> None:
        super().__init__()
        self.real = ByteArray()
        self.data = bytearray()
        self.position = 0

    def _model_write(self, raw: bytes) -> None:
        if not raw:  # an empty write changes nothing, not even past-the-end padding
            return
        if self.position > len(self.data):
            self.data.extend(bytes(self.position - len(self.data)))
        self.data[self.position : self.position + len(raw)] = raw
        self.position += len(raw)

    @rule(raw=s.blobs)
    def write_bytes(self, raw: bytes) -> None:
        self.real.write_bytes(raw)
        self._model_write(raw)

    @rule(value=s.int32, endian=s.endians)
    def write_int(self, value: int, endian: str) -> None:
        self.real.endian = endian
        self.real.write_int(value)
        self._model_write(
            value.to_bytes(4, "big" if endian == "bigEndian" else "little", signed=True)
        )

    @rule(n=st.integers(0, 40))
    def read(self, n: int) -> None:
        if self.position + n > len(self.data):
            with pytest.raises(EOFError):
                self.real.read_utf_bytes(n) if n else self.real.read_bytes(ByteArray(), 0, 1)
            return
        target = bytearray()
        if n:
            self.real.read_bytes(target, 0, n)
        assert bytes(target) == bytes(self.data[self.position : self.position + n])
        self.position += n

    @rule(where=st.integers(0, 50))
    def seek(self, where: int) -> None:
        self.real.position = where
        self.position = where

    @rule(size=st.integers(0, 50))
    def set_length(self, size: int) -> None:
        self.real.length = size
        del self.data[size:]
        self.data.extend(bytes(size - len(self.data)))
        self.position = min(self.position, size)

    @rule()
    def clear(self) -> None:
        self.real.clear()
        self.data.clear()
        self.position = 0

    @invariant()
    def same_state(self) -> None:
        assert self.real.to_bytes() == bytes(self.data)
        assert self.real.position == self.position
        assert self.real.bytes_available == max(0, len(self.data) - self.position)


ByteArrayModel.TestCase.settings = settings(stateful_step_count=25)
TestByteArrayModel = ByteArrayModel.TestCase


class TestCompression:
    """compress/uncompress/deflate/inflate, and what bad input does."""

    @given(raw=s.blobs, algorithm=st.sampled_from(["zlib", "deflate", "lzma"]))
    def test_round_trip(self, raw: bytes, algorithm: str) -> None:
        """compress then uncompress restores the bytes; positions follow AS3."""
        buffer = ByteArray(raw)
        buffer.compress(algorithm)
        assert buffer.position == buffer.length
        buffer.uncompress(algorithm)
        assert (buffer.to_bytes(), buffer.position) == (raw, 0)

    def test_formats_match_the_standard_libraries(self) -> None:
        """zlib has the zlib header, deflate is raw, lzma is the .lzma (alone) format."""
        import lzma
        import zlib

        buffer = ByteArray(b"hello" * 20)
        buffer.compress()
        assert zlib.decompress(buffer.to_bytes()) == b"hello" * 20
        buffer = ByteArray(b"hello")
        buffer.deflate()
        assert zlib.decompress(buffer.to_bytes(), -15) == b"hello"
        buffer.inflate()
        assert buffer.to_bytes() == b"hello"
        buffer.compress("lzma")
        assert lzma.decompress(buffer.to_bytes(), format=lzma.FORMAT_ALONE) == b"hello"

    @pytest.mark.parametrize("algorithm", ["zlib", "deflate", "lzma"])
    @pytest.mark.parametrize(
        "raw", [b"not compressed at all", b"\x78\x9c\xff\xff"], ids=["garbage", "bad-stream"]
    )
    def test_bad_data_is_io_error_2058_and_keeps_contents(self, raw: bytes, algorithm: str) -> None:
        """Undecompressable bytes raise IOError #2058 and leave the array as it was."""
        buffer = ByteArray(raw)
        buffer.position = 3
        with pytest.raises(IOError, match="#2058") as caught:
            buffer.uncompress(algorithm)
        assert caught.value.error_id == 2058
        assert (buffer.to_bytes(), buffer.position) == (raw, 3)

    def test_truncated_stream_is_io_error(self) -> None:
        """A stream cut short is an error, not a silently short result."""
        buffer = ByteArray(b"x" * 1000)
        buffer.compress()
        buffer.length -= 4
        with pytest.raises(IOError, match="truncated"):
            buffer.uncompress()

    def test_compression_bomb_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Output beyond MAX_UNCOMPRESSED_SIZE is refused before it is all produced."""
        from securesocket import _bytearray

        monkeypatch.setattr(_bytearray, "MAX_UNCOMPRESSED_SIZE", 1000)
        buffer = ByteArray(b"\x00" * 1001)
        buffer.compress()
        packed = buffer.to_bytes()
        with pytest.raises(IOError, match="more than 1000 bytes"):
            buffer.uncompress()
        assert buffer.to_bytes() == packed

    def test_limit_is_inclusive(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The twin: exactly the limit is accepted."""
        from securesocket import _bytearray

        monkeypatch.setattr(_bytearray, "MAX_UNCOMPRESSED_SIZE", 1000)
        buffer = ByteArray(b"\x00" * 1000)
        buffer.compress()
        buffer.uncompress()
        assert buffer.length == 1000

    def test_unknown_algorithm_is_argument_error(self) -> None:
        """Only the three AS3 algorithm names are accepted."""
        buffer = ByteArray(b"abc")
        for call in (buffer.compress, buffer.uncompress):
            with pytest.raises(ArgumentError, match="#2008"):
                call("gzip")
        assert buffer.to_bytes() == b"abc"


class _Generic(DataInput):
    """The inherited IDataInput reads over a plain buffer: the reference for the fast paths."""

    def __init__(self, data: bytes, position: int) -> None:
        self.data, self.position = data, position

    def _available(self) -> int:
        return max(0, len(self.data) - self.position)

    def _take(self, n: int) -> bytes:
        if n > self._available():
            raise EOFError("Error #2030: End of file was encountered.")
        self.position += n
        return self.data[self.position - n : self.position]

    def _peek_all(self) -> bytes:
        return self.data[self.position :]


def _utf_record(text: str, tail: bytes) -> bytes:
    """A readUTF record (big-endian prefix) for ``text``, possibly cut short by a tail swap."""
    body = text.encode("utf-8", "surrogatepass")[:0xFFFF]
    return len(body).to_bytes(2, "big") + body + tail


FIXED_READS = [
    "read_boolean",
    "read_byte",
    "read_unsigned_byte",
    "read_short",
    "read_unsigned_short",
    "read_int",
    "read_unsigned_int",
    "read_float",
    "read_double",
    "read_utf",
]


class TestFixedSizeReadsInPlace:
    """ByteArray reads numbers and UTF records in place (no `_take` copy); they must match the
    generic IDataInput path exactly."""

    @pytest.mark.parametrize("name", FIXED_READS)
    @given(
        raw=st.one_of(
            st.binary(max_size=12), st.builds(_utf_record, s.text, st.binary(max_size=3))
        ),
        position=st.integers(0, 16),
        endian=s.endians,
    )
    def test_same_value_or_same_eof_as_the_generic_read(
        self, name: str, raw: bytes, position: int, endian: str
    ) -> None:
        """Same value and new position, or EOFError #2030 with nothing consumed, at any position
        (including past the end), in both endians."""
        fast, generic = ByteArray(raw), _Generic(raw, position)
        fast.position = position
        fast.endian = generic.endian = endian
        try:
            expected: Any = getattr(generic, name)()
        except EOFError:
            with pytest.raises(EOFError, match="#2030") as caught:
                getattr(fast, name)()
            assert caught.value.error_id == 2030
            assert (fast.position, fast.to_bytes()) == (position, raw)
            return
        value = getattr(fast, name)()
        assert (
            s.same_float(value, expected)
            if name in ("read_float", "read_double")
            else (value == expected and type(value) is type(expected))
        )
        assert fast.position == generic.position

    @pytest.mark.parametrize("name", FIXED_READS)
    def test_as3_spelling_reaches_the_fast_path(self, name: str) -> None:
        """The AS3 alias is the Python method, and it reads in place: it never copies a slice
        through the generic `_take`."""
        as3 = {v: k for k, v in AS3_NAMES["DataInput"].items()}[name]
        assert getattr(ByteArray, as3) is getattr(ByteArray, name)
        ba = ByteArray()
        ba.write_bytes(ByteArray(bytes(range(8))))
        ba.position = 0

        def copying_take(n: int) -> bytearray:
            raise AssertionError(f"{as3} copied {n} bytes through _take")

        ba._take = copying_take  # type: ignore[method-assign]
        getattr(ba, as3)()
        assert ba.position > 0
