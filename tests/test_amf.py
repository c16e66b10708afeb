"""readObject / writeObject: AMF0 and AMF3 wire bytes, round trips, and hostile input.

py3amf (a test dependency) is the interoperability oracle: NOTES.md records that its bytes
match real Flash captures, so both codecs must produce and accept the same bytes.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from securesocket import ArgumentError, ByteArray, EOFError, RangeError, TypedObject
from securesocket._amf import decode_value, encode_value
from tests import strategies as s


PYAMF_WARNING = "ignore:defusedxml.cElementTree is deprecated:DeprecationWarning"


def write(value: Any, encoding: int) -> bytes:
    buffer = ByteArray()
    buffer.object_encoding = encoding
    buffer.write_object(value)
    return buffer.to_bytes()


def read(raw: bytes, encoding: int) -> Any:
    buffer = ByteArray(raw)
    buffer.object_encoding = encoding
    value = buffer.read_object()
    assert buffer.bytes_available == 0
    return value


def naive_utc(value: Any) -> Any:
    """py3amf returns naive UTC datetimes; compare like with like."""
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, list):
        return [naive_utc(v) for v in value]
    if isinstance(value, dict):
        return {k: naive_utc(v) for k, v in value.items()}
    return value


class TestWireBytes:
    """Byte-exact encodings from captures and the AMF specifications."""

    @pytest.mark.parametrize(
        ("encoding", "expected"), [(3, "0a0b0101"), (0, "03000009")], ids=["amf3", "amf0"]
    )
    def test_empty_object_matches_flash_capture(self, encoding: int, expected: str) -> None:
        """An empty Object is 0A 0B 01 01 in AMF3 and 03 00 00 09 in AMF0 (Ruffle capture)."""
        assert write({}, encoding) == bytes.fromhex(expected)
        assert read(bytes.fromhex(expected), encoding) == {}

    @pytest.mark.parametrize(
        ("value", "amf3", "amf0"),
        [
            (None, "01", "05"),
            (True, "03", "0101"),
            (False, "02", "0100"),
            (1, "0401", "003ff0000000000000"),
            (-1, "04ffffffff", "00bff0000000000000"),
            (2**28 - 1, "04bfffffff", "0041affffffe000000"),
            (-(2**28), "04c0808000", "00c1b0000000000000"),
            (2**28, "0541b0000000000000", "0041b0000000000000"),
            (1.5, "053ff8000000000000", "003ff8000000000000"),
            ("hello", "060b68656c6c6f", "02000568656c6c6f"),
            ("", "0601", "020000"),
            ([1, 2], "09050104010402", "0a00000002" + "003ff0000000000000" + "004000000000000000"),
        ],
    )
    def test_scalar_encodings(self, value: Any, amf3: str, amf0: str) -> None:
        """Each value has the specified bytes in both formats, and decodes back."""
        for encoding, expected in ((3, amf3), (0, amf0)):
            assert write(value, encoding).hex() == expected
            assert read(bytes.fromhex(expected), encoding) == value

    def test_repeated_strings_and_traits_use_references(self) -> None:
        """AMF3 sends a repeated key or value once, then by reference, as Flash does."""
        raw = write([{"a": "x"}, {"a": "x"}], 3)
        assert raw.hex() == "0905010a0b010361060378010a0100060201"
        assert read(raw, 3) == [{"a": "x"}, {"a": "x"}]

    def test_long_string_in_amf0(self) -> None:
        """A string over 65535 UTF-8 bytes uses the AMF0 long-string marker 0C."""
        raw = write("a" * 70000, 0)
        assert raw[:5] == b"\x0c\x00\x01\x11\x70"
        assert read(raw, 0) == "a" * 70000

    def test_date(self) -> None:
        """A date is milliseconds since the epoch; it decodes to an aware UTC datetime."""
        moment = datetime.datetime(2020, 1, 2, 3, 4, 5, 6000, tzinfo=datetime.UTC)
        raw = write(moment, 3)
        assert raw.hex() == "0801" + "4276f6435cc8e000"
        decoded = read(raw, 3)
        assert decoded == moment
        assert decoded.tzinfo is datetime.UTC
        assert read(write(moment, 0), 0) == moment

    def test_naive_datetime_is_taken_as_utc(self) -> None:
        """A naive datetime is encoded as if it were UTC."""
        naive = datetime.datetime(2020, 1, 1)
        assert read(write(naive, 3), 3) == naive.replace(tzinfo=datetime.UTC)

    def test_byte_array(self) -> None:
        """ByteArray (and bytes) travel as AMF3 byte arrays, through the AVM+ switch in AMF0."""
        assert write(ByteArray(b"xyz"), 3).hex() == "0c0778797a"
        assert write(b"xyz", 0).hex() == "110c0778797a"
        for encoding in (0, 3):
            decoded = read(write(bytearray(b"xyz"), encoding), encoding)
            assert isinstance(decoded, ByteArray)
            assert decoded.to_bytes() == b"xyz"

    @pytest.mark.parametrize("encoding", [0, 3])
    def test_typed_object_keeps_its_alias(self, encoding: int) -> None:
        """A TypedObject round-trips with its class alias and members."""
        value = TypedObject("com.example.User", {"name": "ann", "age": 7})
        decoded = read(write(value, encoding), encoding)
        assert isinstance(decoded, TypedObject)
        assert (decoded.alias, dict(decoded)) == ("com.example.User", {"name": "ann", "age": 7})

    def test_decodes_amf3_types_python_cannot_write(self) -> None:
        """Associative arrays, vectors, dictionaries, XML and ArrayCollection decode."""
        cases = {
            "090303610405010407": {"a": 5, 0: 7},
            "0d050000000001ffffffff": [1, -1],
            "0f03003ff0000000000000": [1.0],
            "11030006036b0401": {"k": 1},
            "0b073c612f": "<a/",
            "0a0743" + b"flex.messaging.io.ArrayCollection".hex() + "09050104010402": [
                1,
                2,
            ],
            "0a1305436903780401": TypedObject("Ci", {"x": 1}),
        }
        for raw, expected in cases.items():
            assert read(bytes.fromhex(raw), 3) == expected, raw

    def test_amf0_ecma_array_and_reference(self) -> None:
        """An ECMA array decodes to a dict; reference 07 00 00 is the first object."""
        raw = bytes.fromhex("0a000000020800000001000161004000000000000000000009070001")
        first, second = read(raw, 0)
        assert first == {"a": 2.0}
        assert second is first


class TestWireBytesBothDirections:
    """Exact bytes for common values, written and read, derived by hand from the AMF0 and AMF3
    specifications (Adobe, 2006/2013) and cross-checked against the Flash capture above: the
    encoder must produce them, and the decoder must read them back to the same value."""

    @pytest.mark.parametrize(
        ("value", "amf3"),
        [
            (0, "0400"),
            (127, "047f"),  # the largest 1-byte U29
            (128, "048100"),
            (16383, "04ff7f"),  # the largest 2-byte U29
            (16384, "04818000"),
            (2097151, "04ffff7f"),  # the largest 3-byte U29
            (2097152, "0480c08000"),  # 4-byte form: the last byte carries 8 bits
            (2**28 - 1, "04bfffffff"),
            (-(2**28), "04c0808000"),
            (-(2**28) - 1, "05c1b0000001000000"),  # below the 29-bit range: a double
        ],
    )
    def test_amf3_integer_lengths_at_every_boundary(self, value: int, amf3: str) -> None:
        """U29 uses 1, 2, 3 or 4 bytes; outside -2**28..2**28-1 an int travels as a double."""
        assert write(value, 3).hex() == amf3
        assert read(bytes.fromhex(amf3), 3) == value

    @pytest.mark.parametrize(("raw", "value"), [("048000", 0), ("04807f", 127)])
    def test_amf3_overlong_integer_is_read(self, raw: str, value: int) -> None:
        """A non-minimal U29 (legal on the wire) reads as its value, consuming all its bytes."""
        assert read(bytes.fromhex(raw), 3) == value

    @pytest.mark.parametrize(
        ("value", "amf3", "amf0"),
        [
            (-0.0, "058000000000000000", "008000000000000000"),
            (float("inf"), "057ff0000000000000", "007ff0000000000000"),
            ("\u00e9", "0605c3a9", "020002c3a9"),
            ({"a": 1}, "0a0b010361040101", "03000161003ff0000000000000000009"),
        ],
        ids=["negative-zero", "infinity", "utf8-string", "object-with-member"],
    )
    def test_doubles_strings_and_objects(self, value: Any, amf3: str, amf0: str) -> None:
        """Doubles keep their sign and specials; strings are UTF-8 with U29/U16 lengths;
        an anonymous object is dynamic (AMF3 traits 0B) and ends with 00 00 09 in AMF0."""
        for encoding, expected in ((3, amf3), (0, amf0)):
            assert write(value, encoding).hex() == expected
            decoded = read(bytes.fromhex(expected), encoding)
            assert decoded == value
            if isinstance(value, float):
                assert str(decoded) == str(value)  # -0.0 stays negative

    def test_amf0_date_has_a_zero_time_zone_field_that_is_ignored_on_read(self) -> None:
        """AMF0 date: 0B, the milliseconds as a double, then S16 time zone written as 0; a
        non-zero zone (old players wrote one) does not shift the moment."""
        moment = datetime.datetime(2020, 1, 2, 3, 4, 5, 6000, tzinfo=datetime.UTC)
        assert write(moment, 0).hex() == "0b4276f6435cc8e0000000"
        assert read(bytes.fromhex("0b4276f6435cc8e00001e0"), 0) == moment

    @pytest.mark.parametrize(
        ("encoding", "expected"),
        [(3, "09050109030104010902"), (0, "0a000000020a00000001003ff0000000000000070001")],
        ids=["amf3", "amf0"],
    )
    def test_shared_array_is_sent_once_then_by_reference(
        self, encoding: int, expected: str
    ) -> None:
        """The second occurrence of one list is a reference (AMF3 09 02 = object 1; AMF0
        07 00 01); reading it back gives one shared list."""
        shared = [1]
        assert write([shared, shared], encoding).hex() == expected
        first, second = read(bytes.fromhex(expected), encoding)
        assert first == [1]
        assert first is second

    def test_amf3_string_references_skip_the_empty_string(self) -> None:
        """A repeated string is 06 00 (reference 0); the empty string is never referenced."""
        assert write(["ab", "ab"], 3).hex() == "090501060561620600"
        assert read(bytes.fromhex("090501060561620600"), 3) == ["ab", "ab"]
        assert write(["", ""], 3).hex() == "09050106010601"
        assert read(bytes.fromhex("09050106010601"), 3) == ["", ""]

    def test_amf3_date_and_byte_array_references(self) -> None:
        """Dates and ByteArrays share the object table: the repeat is 08 02 / 0C 02."""
        moment = datetime.datetime(2020, 1, 2, 3, 4, 5, 6000, tzinfo=datetime.UTC)
        dates = "09050108014276f6435cc8e0000802"
        assert write([moment, moment], 3).hex() == dates
        assert read(bytes.fromhex(dates), 3) == [moment, moment]
        blob = ByteArray(b"xyz")
        blobs = "0905010c0778797a0c02"
        assert write([blob, blob], 3).hex() == blobs
        first, second = read(bytes.fromhex(blobs), 3)
        assert first is second
        assert first.to_bytes() == b"xyz"

    @pytest.mark.parametrize(("raw", "encoding"), [("00", 3), ("06", 0)])
    def test_undefined_reads_as_none(self, raw: str, encoding: int) -> None:
        """undefined (AMF3 00, AMF0 06) has no Python twin; it reads as None."""
        assert read(bytes.fromhex(raw), encoding) is None

    @pytest.mark.parametrize(("raw", "expected"), [("0100", False), ("0102", True), ("01ff", True)])
    def test_amf0_boolean_any_non_zero_is_true(self, raw: str, expected: bool) -> None:
        """AMF0 booleans: 00 is false, any other byte true."""
        assert read(bytes.fromhex(raw), 0) is expected


class TestRoundTrips:
    """Python values survive writeObject/readObject in both formats."""

    @given(value=s.amf_values, encoding=s.object_encodings, endian=s.endians)
    def test_round_trip(self, value: Any, encoding: int, endian: str) -> None:
        """What is written reads back equal (AMF0 numbers come back as floats, still equal);
        AMF is big-endian whatever the ByteArray's endian says."""
        buffer = ByteArray()
        buffer.endian = endian
        buffer.object_encoding = encoding
        buffer.write_object(value)
        assert buffer.to_bytes() == write(value, encoding)
        buffer.position = 0
        assert buffer.read_object() == value
        assert buffer.bytes_available == 0

    @given(values=st.lists(s.amf_values, min_size=1, max_size=4), encoding=s.object_encodings)
    def test_consecutive_objects_consume_exactly_one_each(
        self, values: list[Any], encoding: int
    ) -> None:
        """Several objects in one buffer read back one per call, each with fresh tables."""
        buffer = ByteArray()
        buffer.object_encoding = encoding
        for value in values:
            buffer.write_object(value)
        buffer.position = 0
        assert [buffer.read_object() for _ in values] == values
        assert buffer.bytes_available == 0

    @pytest.mark.parametrize("encoding", [0, 3])
    def test_cycles_and_shared_objects_use_references(self, encoding: int) -> None:
        """A list containing itself, and one dict used twice, keep their identity."""
        shared = {"k": 1}
        loop: list[Any] = [shared, shared]
        loop.append(loop)
        decoded = read(write(loop, encoding), encoding)
        assert decoded[0] == {"k": 1}
        assert decoded[0] is decoded[1]
        assert decoded[2] is decoded


@pytest.mark.filterwarnings(PYAMF_WARNING)
class TestPyamfOracle:
    """Our bytes are py3amf's bytes, and each codec reads the other's.

    Dates are whole seconds from 1970 on: py3amf's date arithmetic goes through floats and
    rounds milliseconds wrongly (2038-02-01T00:00:00.002 is not 2148595200002 ms there, and
    1969-01-01T00:00:00.001 becomes -31536000001 ms instead of -31535999999). Our own date
    encoding is checked exactly in TestWireBytes.test_date and the round-trip properties.
    """

    @given(value=s.amf_values_for_py3amf, encoding=s.object_encodings)
    def test_same_bytes_as_py3amf(self, value: Any, encoding: int) -> None:
        """Both encoders produce identical bytes for JSON-like values and dates."""
        pyamf = pytest.importorskip("pyamf")
        theirs = pyamf.encode(value, encoding=encoding).getvalue()
        assert write(value, encoding) == theirs

    @given(value=s.amf_values_for_py3amf, encoding=s.object_encodings)
    def test_py3amf_reads_our_bytes(self, value: Any, encoding: int) -> None:
        """py3amf decodes what we write to the same value."""
        pyamf = pytest.importorskip("pyamf")
        decoded = next(pyamf.decode(write(value, encoding), encoding=encoding))
        assert naive_utc(decoded) == naive_utc(value)


class TestHostileInput:
    """Bad bytes give EOFError or RangeError, consume nothing, and never hang."""

    @given(value=s.amf_values, encoding=s.object_encodings, data=st.data())
    def test_every_truncation_is_eof_and_consumes_nothing(
        self, value: Any, encoding: int, data: st.DataObject
    ) -> None:
        """Any proper prefix of a valid value is EOFError with the position unchanged."""
        raw = write(value, encoding)
        cut = data.draw(st.integers(0, len(raw) - 1))
        buffer = ByteArray(raw[:cut])
        buffer.object_encoding = encoding
        with pytest.raises(EOFError):
            buffer.read_object()
        assert buffer.position == 0

    @given(raw=st.binary(max_size=64), encoding=s.object_encodings)
    def test_arbitrary_bytes_give_a_value_or_our_error(self, raw: bytes, encoding: int) -> None:
        """Fuzz: a value, EOFError or RangeError; on error the position has not moved."""
        buffer = ByteArray(raw)
        buffer.object_encoding = encoding
        try:
            buffer.read_object()
        except (EOFError, RangeError):
            assert buffer.position == 0
        else:
            assert 0 < buffer.position <= len(raw)

    @pytest.mark.parametrize(
        ("raw", "encoding", "message"),
        [
            ("12", 3, "unknown AMF3 marker"),
            ("ff", 0, "unknown or unsupported AMF0 marker"),
            ("0a00", 3, "object reference 0"),
            ("0600", 3, "string reference 0"),
            ("0a07056162", 3, "externalizable class 'ab'"),
            ("08017ff0000000000000", 3, "out of range"),
            ("08017ff8000000000000", 3, "out of range"),
            ("070005", 0, "AMF0 object reference 5"),
            ("03000005", 0, "empty name"),
            ("04", 0, "unknown or unsupported AMF0 marker 0x04"),
        ],
    )
    def test_malformed_input_is_range_error(self, raw: str, encoding: int, message: str) -> None:
        """Structurally invalid bytes are RangeError naming the problem; nothing is consumed."""
        buffer = ByteArray(bytes.fromhex(raw))
        buffer.object_encoding = encoding
        with pytest.raises(RangeError, match=message):
            buffer.read_object()
        assert buffer.position == 0

    @pytest.mark.parametrize("encoding", [0, 3])
    def test_deep_nesting_is_refused(self, encoding: int) -> None:
        """A thousand nested arrays are RangeError, not RecursionError."""
        raw = (b"\x09\x03\x01" if encoding == 3 else b"\x0a\x00\x00\x00\x01") * 1000 + b"\x01"
        with pytest.raises(RangeError, match="nested deeper"):
            decode_value(raw, encoding)

    def test_huge_length_claim_is_eof_without_allocating(self) -> None:
        """A byte array claiming 256 MiB with 3 bytes present is EOFError (more may come)."""
        with pytest.raises(EOFError):
            decode_value(bytes.fromhex("0cffffffff") + b"abc", 3)

    def test_failed_read_does_not_pin_the_buffer(self) -> None:
        """After a failed readObject (exception kept alive), the ByteArray can still grow."""
        buffer = ByteArray(b"\x0a")
        with pytest.raises(EOFError) as caught:
            buffer.read_object()
        assert caught.value is not None
        buffer.position = 1
        buffer.write_utf_bytes("x" * 1000)
        assert buffer.length == 1001


class TestUnwritable:
    """Values with no AMF form are ArgumentError and write nothing."""

    @pytest.mark.parametrize(
        "value",
        [object(), {1, 2}, {1: "a"}, {"": 1}, [1, object()], {"a": {"b": 1j}}],
        ids=["object", "set", "int-key", "empty-key", "nested-object", "nested-complex"],
    )
    @pytest.mark.parametrize("encoding", [0, 3])
    def test_unwritable_value(self, value: Any, encoding: int) -> None:
        """ArgumentError, and the ByteArray is unchanged."""
        buffer = ByteArray(b"keep")
        buffer.object_encoding = encoding
        with pytest.raises(ArgumentError):
            buffer.write_object(value)
        assert (buffer.to_bytes(), buffer.position) == (b"keep", 0)

    @pytest.mark.parametrize("encoding", [0, 3])
    def test_too_deep_to_write(self, encoding: int) -> None:
        """Nesting beyond the limit is refused before the stack runs out."""
        value: list[Any] = []
        for _ in range(400):
            value = [value]
        with pytest.raises(ArgumentError, match="nested deeper"):
            encode_value(value, encoding)
