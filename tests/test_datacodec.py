"""IDataInput / IDataOutput: every read/write pair, both byte orders, and AS3's quirks."""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from securesocket import ArgumentError, ByteArray, EOFError, IllegalOperationError, RangeError
from securesocket import IOError as AS3IOError
from securesocket._datacodec import (
    DEFAULT_CHARSET,
    DataInput,
    DataOutput,
    Endian,
    charset_codec,
    decode_utf8_lenient,
    encode_utf8_standard,
)
from tests import strategies as s


PREFIX = {"bigEndian": ">", "littleEndian": "<"}


def written(endian: str, write: Callable[[ByteArray], object]) -> bytes:
    """The bytes one write produces in ``endian``."""
    buffer = ByteArray()
    buffer.endian = endian
    write(buffer)
    return buffer.to_bytes()


def reader(data: bytes, endian: str = "bigEndian") -> ByteArray:
    buffer = ByteArray(data)
    buffer.endian = endian
    return buffer


# -- round trips (hypothesis) --------------------------------------------------------------

NUMERIC_PAIRS = [
    ("write_byte", "read_byte", s.int8, "b"),
    ("write_byte", "read_unsigned_byte", s.uint8, "B"),
    ("write_short", "read_short", s.int16, "h"),
    ("write_short", "read_unsigned_short", s.uint16, "H"),
    ("write_int", "read_int", s.int32, "i"),
    ("write_unsigned_int", "read_unsigned_int", s.uint32, "I"),
    ("write_int", "read_unsigned_int", s.uint32, "I"),
]


@pytest.mark.parametrize(
    ("write", "read", "values", "fmt"),
    NUMERIC_PAIRS,
    ids=[f"{w}-{r}" for w, r, _, _ in NUMERIC_PAIRS],
)
@given(data=st.data(), endian=s.endians)
def test_integer_round_trip_matches_struct(  # noqa: PLR0917 - parametrize + given
    write: str,
    read: str,
    values: st.SearchStrategy[int],
    fmt: str,
    data: st.DataObject,
    endian: str,
) -> None:
    """Each integer write gives struct's bytes for that byte order and reads back unchanged."""
    value = data.draw(values)
    raw = written(endian, lambda b: getattr(b, write)(value))
    assert struct.pack(PREFIX[endian] + fmt, value) == raw
    buffer = reader(raw, endian)
    assert value == getattr(buffer, read)()
    assert buffer.bytes_available == 0


@given(value=s.singles, endian=s.endians)
def test_float_round_trip(value: float, endian: str) -> None:
    """A value representable as a single survives writeFloat/readFloat bit for bit."""
    buffer = reader(written(endian, lambda b: b.write_float(value)), endian)
    assert s.same_float(value, buffer.read_float())


@given(value=s.doubles, endian=s.endians)
def test_double_round_trip(value: float, endian: str) -> None:
    """writeDouble/readDouble is exact, NaN included."""
    raw = written(endian, lambda b: b.write_double(value))
    assert struct.pack(PREFIX[endian] + "d", value) == raw
    assert s.same_float(value, reader(raw, endian).read_double())


@given(value=st.booleans(), endian=s.endians)
def test_boolean_round_trip(value: bool, endian: str) -> None:
    """writeBoolean writes 01/00 and reads back."""
    raw = written(endian, lambda b: b.write_boolean(value))
    assert (b"\x01" if value else b"\x00") == raw
    assert value is reader(raw, endian).read_boolean()


@given(value=s.utf_text, endian=s.endians)
def test_utf_round_trip_with_prefix_in_endian(value: str, endian: str) -> None:
    """writeUTF writes a 16-bit byte count in the current byte order, then UTF-8."""
    raw = written(endian, lambda b: b.write_utf(value))
    body = value.encode("utf-8")
    assert struct.pack(PREFIX[endian] + "H", len(body)) + body == raw
    buffer = reader(raw, endian)
    assert value.split("\x00", maxsplit=1)[0] == buffer.read_utf()
    assert buffer.bytes_available == 0


@given(value=s.nul_free_text, endian=s.endians)
def test_utf_bytes_round_trip(value: str, endian: str) -> None:
    """writeUTFBytes writes bare UTF-8; readUTFBytes(n) reads it back."""
    raw = written(endian, lambda b: b.write_utf_bytes(value))
    assert value.encode("utf-8") == raw
    assert value.lstrip("\ufeff") == reader(raw, endian).read_utf_bytes(len(raw))


@given(value=s.blobs.filter(bool), endian=s.endians, offset=st.integers(0, 10))
def test_bytes_round_trip(value: bytes, endian: str, offset: int) -> None:
    """writeBytes then readBytes into a ByteArray at an offset copies the bytes exactly."""
    buffer = reader(written(endian, lambda b: b.write_bytes(value)), endian)
    target = ByteArray(b"\xaa" * 3)
    buffer.read_bytes(target, offset)
    expected = (b"\xaa" * 3 + bytes(max(0, offset - 3)))[:offset] + value
    if offset + len(value) < 3:
        expected += b"\xaa" * (3 - offset - len(value))
    assert expected == target.to_bytes()


@given(
    value=s.text,
    endian=s.endians,
    charset=st.sampled_from(["utf-8", "unicode", "unicodeFFFE", "gb18030"]),
)
def test_multi_byte_round_trip(value: str, endian: str, charset: str) -> None:
    """Charsets that cover all of Unicode round-trip any text (UTF-8 up to the first NUL)."""
    raw = written(endian, lambda b: b.write_multi_byte(value, charset))
    decoded = reader(raw, endian).read_multi_byte(len(raw), charset)
    expected = value.split("\x00", maxsplit=1)[0].lstrip("\ufeff") if charset == "utf-8" else value
    assert expected == decoded


# -- wrapping and coercion -----------------------------------------------------------------


@given(value=s.any_int, endian=s.endians)
def test_integer_writes_wrap_instead_of_raising(value: int, endian: str) -> None:
    """writeInt/UnsignedInt wrap mod 2**32; writeShort/Byte keep the low 16/8 bits."""
    assert struct.pack(PREFIX[endian] + "I", value % 2**32) == written(
        endian, lambda b: b.write_int(value)
    )
    assert struct.pack(PREFIX[endian] + "I", value % 2**32) == written(
        endian, lambda b: b.write_unsigned_int(value)
    )
    assert struct.pack(PREFIX[endian] + "H", value % 2**16) == written(
        endian, lambda b: b.write_short(value)
    )
    assert bytes((value % 256,)) == written(endian, lambda b: b.write_byte(value))


def test_write_int_wraps_the_documented_example() -> None:
    """-2376553554 is sent as 72 58 AB AE (AS3 reference)."""
    assert bytes.fromhex("7258abae") == written("bigEndian", lambda b: b.write_int(-2376553554))


def test_write_short_keeps_low_bits() -> None:
    """writeShort(65535) is FF FF and reads back as -1 signed, 65535 unsigned."""
    buffer = reader(written("bigEndian", lambda b: b.write_short(65535)))
    assert buffer.read_short() == -1
    buffer.position = 0
    assert buffer.read_unsigned_short() == 65535


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3.7, 3), (-3.7, 2**32 - 3), (math.nan, 0), (math.inf, 0), (2.0**40 + 5, 5)],
)
def test_float_arguments_to_int_writes_follow_to_uint32(value: float, expected: int) -> None:
    """A Number passed to writeInt is truncated then wrapped; NaN and infinities become 0."""
    raw = written("bigEndian", lambda b: b.write_int(value))  # type: ignore[arg-type]
    assert struct.pack(">I", expected) == raw


def test_read_float_widens_single_to_double() -> None:
    """76.65 written as a single reads back as 76.6500015258789 (AS3 reference)."""
    assert (
        pytest.approx(
            reader(written("bigEndian", lambda b: b.write_float(76.65))).read_float(), abs=1e-13
        )
        == 76.6500015258789
    )
    assert reader(written("bigEndian", lambda b: b.write_float(76.65))).read_float() != 76.65


@pytest.mark.parametrize(("value", "sign"), [(1e300, 1), (-1e300, -1)])
def test_write_float_overflow_becomes_infinity(value: float, sign: int) -> None:
    """A double too large for a single is written as +/-Infinity, not an error."""
    assert (
        sign * math.inf == reader(written("bigEndian", lambda b: b.write_float(value))).read_float()
    )


@pytest.mark.parametrize(
    ("value", "single", "double"),
    [
        (10**400, "7f800000", "7ff0000000000000"),
        (-(10**400), "ff800000", "fff0000000000000"),
        (2**1023, "7f800000", "7fe0000000000000"),  # a double, but too large for a single
        (2**24 + 1, "4b800000", "4170000010000000"),  # the twin: in range, rounded as IEEE
        (True, "3f800000", "3ff0000000000000"),
    ],
    ids=["huge", "huge-negative", "double-only", "in-range", "bool"],
)
def test_int_arguments_to_float_writes_follow_to_number(
    value: int, single: str, double: str
) -> None:
    """An int is a Number: beyond the range it becomes +/-Infinity (AS3 ToNumber), never
    OverflowError or struct.error."""
    assert written("bigEndian", lambda b: b.write_float(value)).hex() == single
    assert written("bigEndian", lambda b: b.write_double(value)).hex() == double


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda b: b.write_utf(None), "#2007"),
        (lambda b: b.write_utf_bytes(None), "#2007"),
        (lambda b: b.write_multi_byte(None, "utf-8"), "#2007"),
        (lambda b: b.write_multi_byte(None, "shift_jis"), "#2007"),
        (lambda b: b.write_utf(5), "expected a str, got int"),
        (lambda b: b.write_multi_byte(b"x", "latin1"), "expected a str, got bytes"),
        (lambda b: b.write_double("1"), "expected a number, got str"),
        (lambda b: b.write_float(None), "expected a number, got NoneType"),
    ],
    ids=[
        "utf-null",
        "utf-bytes-null",
        "multi-byte-null",
        "multi-byte-null-sjis",
        "utf-int",
        "multi-byte-bytes",
        "double-str",
        "float-none",
    ],
)
def test_wrong_argument_type_is_type_error_and_writes_nothing(
    write: Callable[[Any], None], message: str
) -> None:
    """A null or non-text/non-number argument is a clear TypeError (AS3 #2007 for null), not
    an AttributeError or struct.error from inside the codec, and nothing is written."""
    buffer = ByteArray(b"keep")
    buffer.position = 4
    with pytest.raises(TypeError, match=message):
        write(buffer)
    assert (buffer.to_bytes(), buffer.position) == (b"keep", 4)


@pytest.mark.parametrize("byte", [1, 2, 0x80, 0xFF])
def test_read_boolean_any_non_zero_is_true(byte: int) -> None:
    """Any non-zero byte reads as true."""
    assert reader(bytes((byte,))).read_boolean() is True


def test_read_boolean_zero_is_false() -> None:
    """Only 00 reads as false."""
    assert reader(b"\x00").read_boolean() is False


# -- endian and objectEncoding ----------------------------------------------------------------


def test_defaults_are_big_endian_and_amf3() -> None:
    """A fresh ByteArray is big-endian with objectEncoding 3."""
    buffer = ByteArray()
    assert buffer.endian == "bigEndian"
    assert buffer.endian == Endian.BIG_ENDIAN
    assert buffer.object_encoding == 3


@pytest.mark.parametrize("value", ["bigEndian", "littleEndian", Endian.LITTLE_ENDIAN])
def test_endian_accepts_the_two_values(value: str) -> None:
    """Both AS3 values (as str or Endian) are accepted."""
    buffer = ByteArray()
    buffer.endian = value
    assert value == buffer.endian


@pytest.mark.parametrize("value", ["big", "BIGENDIAN", "", "little-endian", None, 1])
def test_endian_rejects_anything_else_with_2008(value: Any) -> None:
    """Any other value is ArgumentError #2008 (not RangeError) and leaves endian unchanged."""
    buffer = ByteArray()
    buffer.endian = "littleEndian"
    with pytest.raises(ArgumentError, match=r"#2008.*endian") as caught:
        buffer.endian = value
    assert caught.value.error_id == 2008
    assert not isinstance(caught.value, RangeError)
    assert buffer.endian == "littleEndian"


@pytest.mark.parametrize("value", [0, 3])
def test_object_encoding_accepts_0_and_3(value: int) -> None:
    """AMF0 and AMF3 are accepted."""
    buffer = ByteArray()
    buffer.object_encoding = value
    assert value == buffer.object_encoding


@pytest.mark.parametrize("value", [1, 2, 4, -1, True, "3", 3.5])
def test_object_encoding_rejects_other_values_with_2008(value: Any) -> None:
    """Anything but 0 or 3 is ArgumentError #2008."""
    buffer = ByteArray()
    with pytest.raises(ArgumentError, match=r"#2008.*objectEncoding"):
        buffer.object_encoding = value
    assert buffer.object_encoding == 3


# -- EOF: a failed read consumes nothing ------------------------------------------------------

READS: list[tuple[str, Callable[[ByteArray], object], int]] = [
    ("read_boolean", lambda b: b.read_boolean(), 1),
    ("read_byte", lambda b: b.read_byte(), 1),
    ("read_unsigned_byte", lambda b: b.read_unsigned_byte(), 1),
    ("read_short", lambda b: b.read_short(), 2),
    ("read_unsigned_short", lambda b: b.read_unsigned_short(), 2),
    ("read_int", lambda b: b.read_int(), 4),
    ("read_unsigned_int", lambda b: b.read_unsigned_int(), 4),
    ("read_float", lambda b: b.read_float(), 4),
    ("read_double", lambda b: b.read_double(), 8),
    ("read_utf_bytes", lambda b: b.read_utf_bytes(5), 5),
    ("read_multi_byte", lambda b: b.read_multi_byte(5, "utf-8"), 5),
    ("read_bytes", lambda b: b.read_bytes(ByteArray(), 0, 5), 5),
    ("read_utf", lambda b: b.read_utf(), 2),
]


@pytest.mark.parametrize(("name", "read", "size"), READS, ids=[r[0] for r in READS])
def test_short_read_raises_eof_and_consumes_nothing(
    name: str, read: Callable[[ByteArray], object], size: int
) -> None:
    """With one byte too few, every read raises EOFError #2030 and the position stays put."""
    buffer = ByteArray(b"\x01" * (size + 1))
    buffer.position = 2
    with pytest.raises(EOFError, match="#2030") as caught:
        read(buffer)
    assert caught.value.error_id == 2030
    assert isinstance(caught.value, AS3IOError)
    assert buffer.position == 2
    assert size - 1 == buffer.bytes_available


@pytest.mark.parametrize(("name", "read", "size"), READS, ids=[r[0] for r in READS])
def test_exact_read_succeeds(name: str, read: Callable[[ByteArray], object], size: int) -> None:
    """The twin: with exactly enough bytes the same read succeeds and advances."""
    buffer = ByteArray(b"\x00" * size)
    read(buffer)
    assert size == buffer.position


def test_read_utf_with_partial_body_consumes_nothing() -> None:
    """A complete length prefix but a partial string is EOF, and the prefix is not consumed."""
    buffer = ByteArray(b"\x00\x0ahello")
    with pytest.raises(EOFError):
        buffer.read_utf()
    assert buffer.position == 0
    buffer.position = 7
    buffer.write_utf_bytes("world")
    buffer.position = 0
    assert buffer.read_utf() == "helloworld"


def test_read_utf_prefix_follows_endian() -> None:
    """In little-endian the prefix 05 00 means 5 bytes."""
    assert reader(b"\x05\x00hello", "littleEndian").read_utf() == "hello"
    with pytest.raises(EOFError):
        reader(b"\x05\x00hello", "bigEndian").read_utf()


# -- UTF-8 flavour ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello from Ruffle Socket!", "0019" + b"Hello from Ruffle Socket!".hex()),
        ("\x00", "000100"),
        ("\U0001f600", "0004f09f9880"),
        ("\ud83d\ude00", "0004f09f9880"),
        ("\ud800", "0003efbfbd"),
        ("a\udc00b", "0005" + "61efbfbd62"),
    ],
    ids=["ruffle-capture", "nul", "astral", "surrogate-pair", "lone-high", "lone-low"],
)
def test_write_utf_is_standard_utf8(text: str, expected: str) -> None:
    """NUL is 00, a surrogate pair one 4-byte sequence, a lone surrogate EF BF BD."""
    assert bytes.fromhex(expected) == written("bigEndian", lambda b: b.write_utf(text))


def test_write_utf_little_endian_prefix() -> None:
    """The Ruffle capture in little-endian starts 19 00."""
    assert written("littleEndian", lambda b: b.write_utf("Hello from Ruffle Socket!")).startswith(
        b"\x19\x00"
    )


def test_write_utf_over_65535_bytes_is_range_error_and_writes_nothing() -> None:
    """65536 UTF-8 bytes raise RangeError; nothing reaches the buffer."""
    buffer = ByteArray(b"xy")
    buffer.position = 2
    with pytest.raises(RangeError, match="65536"):
        buffer.write_utf("é" * 32768)
    assert buffer.to_bytes() == b"xy"
    assert buffer.position == 2


def test_write_utf_of_exactly_65535_bytes_is_accepted() -> None:
    """The twin: 65535 bytes fit, prefix FF FF."""
    raw = written("bigEndian", lambda b: b.write_utf("a" * 65535))
    assert raw[:2] == b"\xff\xff"
    assert len(raw) == 65537


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"\xef\xbb\xbfabc", "abc"),
        (b"ab\x00cd", "ab"),
        (b"a\xffb", "a\xffb"),
        (b"\xc3(", "\xc3("),
        (b"ok\xe2\x82", "ok\xe2\x82"),
        (b"\xed\xa0\x80", "\xed\xa0\x80"),
        (b"\xef\xbb\xbf\xef\xbb\xbfx", "\ufeffx"),
        (b"\xc3\xa9", "é"),
    ],
    ids=[
        "bom",
        "nul-stops",
        "bad-byte",
        "bad-continuation",
        "truncated",
        "encoded-surrogate",
        "second-bom-kept",
        "valid",
    ],
)
def test_read_utf_bytes_quirks(raw: bytes, expected: str) -> None:
    """BOM dropped, stop at NUL, each invalid byte becomes the code point of its value."""
    buffer = ByteArray(raw + b"tail")
    assert expected == buffer.read_utf_bytes(len(raw))
    assert len(raw) == buffer.position


def test_read_utf_bytes_consumes_n_even_after_nul() -> None:
    """The bytes after the NUL are consumed with the string."""
    buffer = ByteArray(b"ab\x00cdEF")
    assert buffer.read_utf_bytes(5) == "ab"
    assert buffer.read_utf_bytes(2) == "EF"


def test_helpers_match_the_methods() -> None:
    """The module helpers are what the methods use."""
    assert decode_utf8_lenient(b"\xef\xbb\xbfa\x00b") == "a"
    assert encode_utf8_standard("\udfff") == b"\xef\xbf\xbd"


# -- readBytes / writeBytes -----------------------------------------------------------------------


def test_read_bytes_length_zero_reads_everything_and_target_grows() -> None:
    """readBytes(t, 2, 0) copies all available bytes to t[2:], t grows, t.position stays."""
    source = ByteArray(b"0123456789")
    source.position = 4
    target = ByteArray(b"ab")
    target.position = 1
    source.read_bytes(target, 2)
    assert target.to_bytes() == b"ab456789"
    assert target.position == 1
    assert source.bytes_available == 0


def test_read_bytes_offset_past_end_pads_with_zeros() -> None:
    """Writing at an offset beyond the target's end fills the gap with zero bytes."""
    target = ByteArray(b"a")
    ByteArray(b"xy").read_bytes(target, 3)
    assert target.to_bytes() == b"a\x00\x00xy"


def test_read_bytes_overwrites_inside_the_target() -> None:
    """Existing target bytes after the copied range are kept."""
    target = ByteArray(b"abcdef")
    ByteArray(b"XY").read_bytes(target, 1, 2)
    assert target.to_bytes() == b"aXYdef"


def test_read_bytes_into_bytearray() -> None:
    """A plain bytearray is accepted as the target and grows too."""
    target = bytearray(b"ab")
    ByteArray(b"xyz").read_bytes(target, 1, 2)
    assert bytearray(b"axy") == target


def test_read_bytes_with_nothing_available_and_length_zero_is_a_no_op() -> None:
    """Length 0 on an exhausted source copies nothing and raises nothing."""
    target = ByteArray(b"keep")
    ByteArray().read_bytes(target)
    assert target.to_bytes() == b"keep"


def test_read_bytes_too_long_is_eof_and_leaves_both_untouched() -> None:
    """Asking for more than available is EOFError; source and target are unchanged."""
    source = ByteArray(b"abc")
    target = ByteArray(b"t")
    with pytest.raises(EOFError):
        source.read_bytes(target, 0, 4)
    assert source.position == 0
    assert target.to_bytes() == b"t"


@pytest.mark.parametrize(("offset", "length"), [(-1, 0), (0, -1)])
def test_negative_offsets_and_lengths_are_range_errors(offset: int, length: int) -> None:
    """Negative numbers are rejected for both readBytes and writeBytes."""
    with pytest.raises(RangeError):
        ByteArray(b"abc").read_bytes(ByteArray(), offset, length)
    with pytest.raises(RangeError):
        ByteArray().write_bytes(b"abc", offset, length)


@pytest.mark.parametrize(
    ("offset", "length", "expected"),
    [(0, 0, b"abcde"), (2, 0, b"cde"), (1, 3, b"bcd"), (5, 0, b"")],
)
def test_write_bytes_length_zero_means_to_the_end(
    offset: int, length: int, expected: bytes
) -> None:
    """writeBytes(b, off, 0) writes from off to the end; off == length writes nothing."""
    assert expected == written(
        "bigEndian", lambda b: b.write_bytes(ByteArray(b"abcde"), offset, length)
    )


@pytest.mark.parametrize(("offset", "length"), [(0, 6), (3, 3), (6, 0)])
def test_write_bytes_past_the_end_is_range_error_and_writes_nothing(
    offset: int, length: int
) -> None:
    """An over-long length, or an offset past the end, is RangeError with nothing written."""
    buffer = ByteArray(b"keep")
    with pytest.raises(RangeError):
        buffer.write_bytes(b"abcde", offset, length)
    assert buffer.to_bytes() == b"keep"
    assert buffer.position == 0


def test_write_bytes_of_itself() -> None:
    """A ByteArray can append a copy of itself."""
    buffer = ByteArray(b"ab")
    buffer.position = 2
    buffer.write_bytes(buffer)
    assert buffer.to_bytes() == b"abab"


# -- multi-byte charsets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "text", "expected"),
    [
        ("iso-8859-1", "é", "e9"),
        ("latin1", "é", "e9"),
        ("ISO-8859-1", "é", "e9"),
        ("us-ascii", "A", "41"),
        ("windows-1252", "€", "80"),
        ("shift_jis", "あ", "82a0"),
        ("shift-jis", "あ", "82a0"),
        ("euc-jp", "あ", "a4a2"),
        ("gb2312", "中", "d6d0"),
        ("CN-GB", "中", "d6d0"),
        ("big5", "中", "a4a4"),
        ("ks_c_5601-1987", "한", "c7d1"),
        ("unicode", "A", "4100"),
        ("utf-16", "A", "4100"),
        ("unicodeFFFE", "A", "0041"),
        ("utf-8", "é", "c3a9"),
        ("koi8-r", "Ж", "f6"),
    ],
)
def test_adobe_charset_labels(label: str, text: str, expected: str) -> None:
    """Adobe's labels and aliases map to the right encodings, both ways."""
    raw = written("bigEndian", lambda b: b.write_multi_byte(text, label))
    assert bytes.fromhex(expected) == raw
    assert text == ByteArray(raw).read_multi_byte(len(raw), label)


def test_unknown_charset_falls_back_to_utf8_silently() -> None:
    """An unknown label is not an error: it means the documented default, UTF-8."""
    assert DEFAULT_CHARSET == "utf-8"
    assert charset_codec("no-such-charset") == "utf-8"
    raw = written("bigEndian", lambda b: b.write_multi_byte("日本", "no-such-charset"))
    assert "日本".encode() == raw
    assert ByteArray(raw).read_multi_byte(len(raw), "klingon") == "日本"


def test_unmappable_characters_become_question_marks() -> None:
    """writeMultiByte never raises for an unrepresentable character; it writes '?'."""
    assert written("bigEndian", lambda b: b.write_multi_byte("a日b", "us-ascii")) == b"a?b"


def test_undecodable_bytes_become_replacement_characters() -> None:
    """readMultiByte never raises for bytes outside the charset."""
    assert ByteArray(b"a\xff").read_multi_byte(2, "us-ascii") == "a\ufffd"


# -- the hooks contract, with a class that is not ByteArray ----------------------------------


class ChunkQueue(DataInput, DataOutput):
    """A minimal hook implementation over a list of chunks, like a socket's receive buffer."""

    def __init__(self, *chunks: bytes, peek: bool = True) -> None:
        self.chunks = list(chunks)
        self.sent = bytearray()
        self.peek = peek

    def _available(self) -> int:
        return sum(len(c) for c in self.chunks)

    def _take(self, n: int) -> bytes:
        if n > self._available():
            raise EOFError("Error #2030: End of file was encountered.")
        joined = b"".join(self.chunks)
        self.chunks = [joined[n:]] if joined[n:] else []
        return joined[:n]

    def _peek_all(self) -> bytes | memoryview:
        if not self.peek:
            return super()._peek_all()
        return b"".join(self.chunks)

    def _put(self, data: bytes | bytearray | memoryview) -> None:
        self.sent += data


def test_mixins_work_on_any_class_implementing_the_hooks() -> None:
    """Reads split across chunks work through `_take`; writes go through `_put`."""
    queue = ChunkQueue(b"\x00", b"\x00\x01\x00\x00", b"\x03abc")
    queue.endian = "bigEndian"
    assert queue.read_int() == 256
    assert queue.read_utf() == "abc"
    queue.write_short(0x0102)
    queue.endian = "littleEndian"
    queue.write_short(0x0102)
    assert bytes(queue.sent) == b"\x01\x02\x02\x01"


def test_read_utf_without_peek_is_a_clear_error() -> None:
    """A hook class without `_peek_all` gets IllegalOperationError from readUTF, not a hang."""
    queue = ChunkQueue(b"\x00\x01a", peek=False)
    with pytest.raises(IllegalOperationError, match="_peek_all"):
        queue.read_utf()
    assert queue.bytes_available == 3


@given(raw=st.binary(max_size=64), extra=st.binary(max_size=4))
def test_read_utf_bytes_never_fails_on_any_bytes(raw: bytes, extra: bytes) -> None:
    """Arbitrary bytes decode without error, consuming exactly n; valid UTF-8 decodes exactly."""
    buffer = ByteArray(raw + extra)
    text = buffer.read_utf_bytes(len(raw))
    assert buffer.position == len(raw)
    assert "\x00" not in text
    try:
        strict = raw.decode("utf-8")
    except UnicodeDecodeError:
        return
    assert text == strict.removeprefix("\ufeff").split("\x00", maxsplit=1)[0]


@given(raw=st.binary(max_size=64), endian=s.endians)
def test_read_utf_on_any_bytes_is_a_string_or_eof(raw: bytes, endian: str) -> None:
    """readUTF either returns (consuming 2 + length) or raises EOFError consuming nothing."""
    buffer = reader(raw, endian)
    try:
        buffer.read_utf()
    except EOFError:
        assert buffer.position == 0
        return
    length = struct.unpack(PREFIX[endian] + "H", raw[:2])[0]
    assert buffer.position == 2 + length


@given(
    raw=st.one_of(
        st.binary(max_size=40),
        st.builds(
            lambda prefix, text, nul: prefix + text.encode() + nul,
            st.sampled_from([b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf"]),
            s.text,
            st.sampled_from([b"", b"\x00", b"\x00tail", b"\x00\xff"]),
        ),
    )
)
def test_lenient_decoding_fast_path_equals_the_byte_rules(raw: bytes) -> None:
    """The valid-UTF-8 fast path (rules applied to the text) gives exactly what the byte
    rules (drop one BOM, cut at the first 00, lenient decode) give, for any bytes."""
    from securesocket._datacodec import _decode_utf8_lenient_slowly

    expected = _decode_utf8_lenient_slowly(raw)
    for form in (raw, bytearray(raw), memoryview(raw)):
        assert decode_utf8_lenient(form) == expected
