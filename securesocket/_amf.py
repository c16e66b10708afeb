# AMF0 and AMF3, the formats of AS3 readObject/writeObject, for the data a socket carries.
#
# Why our own codec: py3amf 0.9.1 (the maintained-looking option) was judged unsound for a
# library that runs under warnings-as-errors and reads untrusted bytes: its first encode of a
# dict imports defusedxml.cElementTree, which raises a DeprecationWarning; malformed input
# escapes as arbitrary exceptions (AttributeError, OSError, its own DecodeError); and dates come
# back naive. It stays in the test dependencies as an oracle: tests check that both codecs
# produce and accept the same bytes.
#
# Model: `decode_value(data, encoding)` reads exactly one value from the start of `data` and
# says how many bytes it used, so the caller can consume them only on success ("a failed read
# consumes nothing"). Running out of bytes raises EOFError (more may arrive on a socket);
# bytes that can never be valid raise RangeError. Each call has its own reference tables, as
# each AS3 readObject/writeObject call does.
#
# Type mapping (decode → Python, Python → encode):
#   null/undefined ↔ None; booleans ↔ bool; AMF3 integer or a double ↔ int (AMF3 29-bit range)
#   or float; strings ↔ str; dates ↔ aware UTC datetime (a naive one is taken as UTC); arrays
#   ↔ list (AMF0 strict array; AMF3 dense array; tuples encode as lists); anonymous objects and
#   AMF0 ECMA arrays ↔ dict with str keys; typed objects ↔ `TypedObject` (a dict with
#   `.alias`); AMF3 ByteArray ↔ `ByteArray` (bytes and bytearray encode as one; in AMF0 through
#   the AVM+ switch marker, as Flash and py3amf do); AMF3 vectors → list; AMF3 Dictionary →
#   dict; XML → str. An AMF3 array with named members decodes to a dict (dense items under
#   int keys). Externalizable classes other than ArrayCollection/ArrayList/ObjectProxy are
#   rejected with RangeError: their bytes cannot be parsed without the class's own code.
"""AMF0/AMF3 encoding and decoding for readObject / writeObject."""

from __future__ import annotations

import datetime
import struct
from typing import Any, Final

from ._bytearray import ByteArray
from ._datacodec import ObjectEncoding, encode_utf8_standard
from .exceptions import ArgumentError, EOFError, RangeError


__all__ = ["TypedObject", "decode_value", "encode_value"]

_EPOCH: Final = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_DOUBLE: Final = struct.Struct(">d")
_U16: Final = struct.Struct(">H")
_S16: Final = struct.Struct(">h")
_U32: Final = struct.Struct(">I")
_MAX_DEPTH: Final = 256
_AMF3_INT_MIN: Final = -(2**28)
_AMF3_INT_MAX: Final = 2**28 - 1
_WRAPPER_CLASSES: Final = frozenset(
    {
        "flex.messaging.io.ArrayCollection",
        "flex.messaging.io.ArrayList",
        "flex.messaging.io.ObjectProxy",
    }
)


class TypedObject(dict[str, Any]):
    """An AMF object with a class alias (``registerClassAlias`` name), as a dict of its members.

    Attributes:
        alias: the class name on the wire, e.g. ``"com.example.User"``.
    """

    def __init__(self, alias: str, members: dict[str, Any] | None = None) -> None:
        super().__init__(members or {})
        self.alias = alias

    def __repr__(self) -> str:
        return f"TypedObject({self.alias!r}, {dict.__repr__(self)})"


# -- decoding ------------------------------------------------------------------------------------


class _Reader:
    """A cursor over the input, with AMF's reference tables and a nesting guard."""

    def __init__(self, data: bytes | memoryview) -> None:
        self.data = data
        self.position = 0
        self.depth = 0
        self.strings: list[str] = []
        self.objects: list[Any] = []
        self.traits: list[tuple[str, tuple[str, ...], bool, bool]] = []
        self.amf0_objects: list[Any] = []

    def take(self, n: int) -> bytes:
        start = self.position
        end = start + n
        if end > len(self.data):
            raise EOFError(
                f"Error #2030: End of file was encountered. (AMF value needs {end} bytes, "
                f"{len(self.data)} available)"
            )
        self.position = end
        return bytes(self.data[start:end])

    def byte(self) -> int:
        if self.position >= len(self.data):
            raise EOFError("Error #2030: End of file was encountered. (AMF value incomplete)")
        value = self.data[self.position]
        self.position += 1
        return value

    def double(self) -> float:
        return float(_DOUBLE.unpack(self.take(8))[0])

    def u16(self) -> int:
        return int(_U16.unpack(self.take(2))[0])

    def u32(self) -> int:
        return int(_U32.unpack(self.take(4))[0])

    def utf8(self, n: int) -> str:
        return self.take(n).decode("utf-8", "securesocket.as3-lenient")

    def malformed(self, what: str) -> RangeError:
        return RangeError(f"malformed AMF data at byte {self.position}: {what}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.malformed(f"values nested deeper than {_MAX_DEPTH}")


def _date(reader: _Reader, milliseconds: float) -> datetime.datetime:
    try:
        return _EPOCH + datetime.timedelta(milliseconds=milliseconds)
    except (OverflowError, ValueError):
        raise reader.malformed(f"date {milliseconds!r} ms is out of range") from None


# AMF3 ---------------------------------------------------------------------------------------


def _u29(reader: _Reader) -> int:
    value = 0
    for _ in range(3):
        byte = reader.byte()
        if byte < 0x80:
            return (value << 7) | byte
        value = (value << 7) | (byte & 0x7F)
    return (value << 8) | reader.byte()


def _amf3_string(reader: _Reader) -> str:
    header = _u29(reader)
    if not header & 1:
        return _amf3_reference(reader, reader.strings, header >> 1, "string")  # type: ignore[no-any-return]
    text = reader.utf8(header >> 1)
    if text:
        reader.strings.append(text)
    return text


def _amf3_reference(reader: _Reader, table: list[Any], index: int, kind: str) -> Any:
    if index >= len(table):
        raise reader.malformed(f"{kind} reference {index} to an entry not yet seen")
    return table[index]


def _amf3_value(reader: _Reader) -> Any:
    marker = reader.byte()
    if marker in (0x00, 0x01):
        return None
    if marker in (0x02, 0x03):
        return marker == 0x03
    if marker == 0x04:
        value = _u29(reader)
        return value - (1 << 29) if value & (1 << 28) else value
    if marker == 0x05:
        return reader.double()
    if marker == 0x06:
        return _amf3_string(reader)
    if marker > 0x11:
        raise reader.malformed(f"unknown AMF3 marker 0x{marker:02x}")
    reader.enter()
    try:
        return _amf3_complex(reader, marker)
    finally:
        reader.depth -= 1


def _amf3_complex(reader: _Reader, marker: int) -> Any:
    header = _u29(reader)
    if not header & 1:
        return _amf3_reference(reader, reader.objects, header >> 1, "object")
    size = header >> 1
    if marker in (0x07, 0x0B):  # XMLDocument, XML: kept as text, never parsed
        text = reader.utf8(size)
        reader.objects.append(text)
        return text
    if marker == 0x08:
        value = _date(reader, reader.double())
        reader.objects.append(value)
        return value
    if marker == 0x09:
        return _amf3_array(reader, size)
    if marker == 0x0A:
        return _amf3_object(reader, header)
    if marker == 0x0C:
        byte_array = ByteArray(reader.take(size))
        reader.objects.append(byte_array)
        return byte_array
    if marker in (0x0D, 0x0E, 0x0F, 0x10):
        return _amf3_vector(reader, marker, size)
    if marker == 0x11:
        return _amf3_dictionary(reader, size)
    raise reader.malformed(f"unknown AMF3 marker 0x{marker:02x}")


def _amf3_array(reader: _Reader, dense_count: int) -> list[Any] | dict[Any, Any]:
    associative: dict[Any, Any] = {}
    items: list[Any] = []
    reader.objects.append(items)
    index = len(reader.objects) - 1
    key = _amf3_string(reader)
    while key:
        associative[key] = _amf3_value(reader)
        key = _amf3_string(reader)
    if associative:
        # Named members make it an associative array: a dict, dense items under int keys.
        reader.objects[index] = associative
        for position in range(dense_count):
            associative[position] = _amf3_value(reader)
        return associative
    for _ in range(dense_count):
        items.append(_amf3_value(reader))
    return items


def _amf3_object(reader: _Reader, header: int) -> Any:
    if not header & 2:
        traits = _amf3_reference(reader, reader.traits, header >> 2, "traits")
    else:
        externalizable = bool(header & 4)
        dynamic = bool(header & 8)
        class_name = _amf3_string(reader)
        sealed = tuple(_amf3_string(reader) for _ in range(header >> 4))
        traits = (class_name, sealed, dynamic, externalizable)
        reader.traits.append(traits)
    class_name, sealed, dynamic, externalizable = traits
    if externalizable:
        if class_name not in _WRAPPER_CLASSES:
            raise reader.malformed(f"externalizable class {class_name!r} cannot be decoded")
        placeholder_index = len(reader.objects)
        reader.objects.append(None)
        wrapped = _amf3_value(reader)
        reader.objects[placeholder_index] = wrapped
        return wrapped
    result: dict[str, Any] = TypedObject(class_name) if class_name else {}
    reader.objects.append(result)
    for name in sealed:
        result[name] = _amf3_value(reader)
    if dynamic:
        key = _amf3_string(reader)
        while key:
            result[key] = _amf3_value(reader)
            key = _amf3_string(reader)
    return result


def _amf3_vector(reader: _Reader, marker: int, count: int) -> list[Any]:
    reader.byte()  # fixed-length flag: irrelevant to a Python list
    items: list[Any] = []
    reader.objects.append(items)
    if marker == 0x10:
        _amf3_string(reader)  # element type name
        for _ in range(count):
            items.append(_amf3_value(reader))
        return items
    fmt = {0x0D: ">i", 0x0E: ">I", 0x0F: ">d"}[marker]
    size = struct.calcsize(fmt)
    data = reader.take(size * count)
    items.extend(value for (value,) in struct.iter_unpack(fmt, data))
    return items


def _amf3_dictionary(reader: _Reader, count: int) -> dict[Any, Any]:
    reader.byte()  # weak-keys flag
    result: dict[Any, Any] = {}
    reader.objects.append(result)
    for _ in range(count):
        key = _amf3_value(reader)
        value = _amf3_value(reader)
        try:
            result[key] = value
        except TypeError:
            raise reader.malformed(f"dictionary key of type {type(key).__name__}") from None
    return result


# AMF0 ---------------------------------------------------------------------------------------


def _amf0_members(reader: _Reader, target: dict[Any, Any]) -> None:
    while True:
        key = reader.utf8(reader.u16())
        if not key:
            if reader.byte() != 0x09:
                raise reader.malformed("object member with an empty name")
            return
        target[key] = _amf0_value(reader)


def _amf0_value(reader: _Reader) -> Any:
    marker = reader.byte()
    if marker == 0x00:
        return reader.double()
    if marker == 0x01:
        return reader.byte() != 0
    if marker == 0x02:
        return reader.utf8(reader.u16())
    if marker in (0x05, 0x06, 0x0D):  # null, undefined, unsupported
        return None
    if marker == 0x07:
        index = reader.u16()
        return _amf3_reference(reader, reader.amf0_objects, index, "AMF0 object")
    if marker == 0x0B:
        value = _date(reader, reader.double())
        reader.take(2)  # time zone: always ignored by Flash
        return value
    if marker in (0x0C, 0x0F):  # long string, XML document (kept as text)
        return reader.utf8(reader.u32())
    if marker == 0x11:  # AVM+ switch: one AMF3 value, with fresh AMF3 tables
        return _amf3_value(reader)
    reader.enter()
    try:
        return _amf0_complex(reader, marker)
    finally:
        reader.depth -= 1


def _amf0_complex(reader: _Reader, marker: int) -> Any:
    if marker == 0x03:
        members: dict[str, Any] = {}
        reader.amf0_objects.append(members)
        _amf0_members(reader, members)
        return members
    if marker == 0x08:
        reader.u32()  # count hint; the members end with the object-end marker
        ecma: dict[str, Any] = {}
        reader.amf0_objects.append(ecma)
        _amf0_members(reader, ecma)
        return ecma
    if marker == 0x0A:
        count = reader.u32()
        items: list[Any] = []
        reader.amf0_objects.append(items)
        for _ in range(count):
            items.append(_amf0_value(reader))
        return items
    if marker == 0x10:
        typed = TypedObject(reader.utf8(reader.u16()))
        reader.amf0_objects.append(typed)
        _amf0_members(reader, typed)
        return typed
    raise reader.malformed(f"unknown or unsupported AMF0 marker 0x{marker:02x}")


def decode_value(data: bytes | memoryview, encoding: int) -> tuple[Any, int]:
    """Decode one AMF value from the start of ``data``: (value, bytes used).

    Raises:
        EOFError: ``data`` ends before the value does.
        RangeError: the bytes are not valid AMF (or use a type this codec cannot represent).
    """
    reader = _Reader(data)
    value = _amf3_value(reader) if encoding == ObjectEncoding.AMF3 else _amf0_value(reader)
    return value, reader.position


# -- encoding ------------------------------------------------------------------------------------


class _Writer:
    """The output buffer and the encoder's reference tables (keyed by identity)."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.strings: dict[str, int] = {}
        self.objects: dict[int, int] = {}
        self.traits: dict[tuple[str, tuple[str, ...] | None], int] = {}
        self.keep_alive: list[object] = []  # ids stay unique while the objects live
        self.depth = 0
        self._amf3: _Writer | None = None

    def amf3_context(self) -> _Writer:
        """The AMF3 tables used after AVM+ switches: one per AMF0 message (as py3amf and the
        decoder here), writing into the same buffer."""
        if self._amf3 is None:
            self._amf3 = _Writer()
            self._amf3.out = self.out
        return self._amf3

    def remember(self, value: object) -> int | None:
        """The reference index of ``value`` if already written; else record it and None."""
        key = id(value)
        if key in self.objects:
            return self.objects[key]
        self.objects[key] = len(self.objects)
        self.keep_alive.append(value)
        return None

    def enter(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ArgumentError(f"writeObject: values nested deeper than {_MAX_DEPTH}")


def _to_milliseconds(value: datetime.datetime | datetime.date) -> float:
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return (value - _EPOCH) / datetime.timedelta(milliseconds=1)


def _check_key(key: object) -> str:
    if not isinstance(key, str):
        raise ArgumentError(f"writeObject: object keys must be str, not {type(key).__name__}")
    return key


def _u29_bytes(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    if value < 0x4000:
        return bytes(((value >> 7) | 0x80, value & 0x7F))
    if value < 0x200000:
        return bytes(((value >> 14) | 0x80, ((value >> 7) & 0x7F) | 0x80, value & 0x7F))
    return bytes(
        (
            (value >> 22) | 0x80,
            ((value >> 15) & 0x7F) | 0x80,
            ((value >> 8) & 0x7F) | 0x80,
            value & 0xFF,
        )
    )


def _write_amf3_string(writer: _Writer, text: str) -> None:
    if not text:
        writer.out += b"\x01"
        return
    index = writer.strings.get(text)
    if index is not None:
        writer.out += _u29_bytes(index << 1)
        return
    writer.strings[text] = len(writer.strings)
    data = encode_utf8_standard(text)
    writer.out += _u29_bytes((len(data) << 1) | 1)
    writer.out += data


def _write_amf3(writer: _Writer, value: Any) -> None:
    out = writer.out
    if value is None:
        out += b"\x01"
    elif value is True:
        out += b"\x03"
    elif value is False:
        out += b"\x02"
    elif isinstance(value, int):
        if _AMF3_INT_MIN <= value <= _AMF3_INT_MAX:
            out += b"\x04" + _u29_bytes(value & 0x1FFFFFFF)
        else:
            out += b"\x05" + _DOUBLE.pack(float(value))
    elif isinstance(value, float):
        out += b"\x05" + _DOUBLE.pack(value)
    elif isinstance(value, str):
        out += b"\x06"
        _write_amf3_string(writer, value)
    else:
        _write_amf3_complex(writer, value)


def _write_amf3_complex(writer: _Writer, value: Any) -> None:
    out = writer.out
    marker = _amf3_marker(value)
    out.append(marker)
    index = writer.remember(value)
    if index is not None:
        out += _u29_bytes(index << 1)
        return
    writer.enter()
    try:
        if marker == 0x08:
            out += b"\x01" + _DOUBLE.pack(_to_milliseconds(value))
        elif marker == 0x0C:
            data = value.to_bytes() if isinstance(value, ByteArray) else bytes(value)
            out += _u29_bytes((len(data) << 1) | 1) + data
        elif marker == 0x09:
            out += _u29_bytes((len(value) << 1) | 1) + b"\x01"
            for item in value:
                _write_amf3(writer, item)
        else:
            _write_amf3_object(writer, value)
    finally:
        writer.depth -= 1


def _amf3_marker(value: Any) -> int:
    if isinstance(value, datetime.date):
        return 0x08
    if isinstance(value, ByteArray | bytes | bytearray):
        return 0x0C
    if isinstance(value, list | tuple):
        return 0x09
    if isinstance(value, dict):
        return 0x0A
    raise ArgumentError(f"writeObject: {type(value).__name__} has no AMF form")


def _write_amf3_object(writer: _Writer, value: dict[Any, Any]) -> None:
    out = writer.out
    if isinstance(value, TypedObject):
        # A typed object: every member sealed, as an AS3 class with declared fields.
        sealed = tuple(_check_key(key) for key in value)
        trait_key: tuple[str, tuple[str, ...] | None] = (value.alias, sealed)
        trait_index = writer.traits.get(trait_key)
        if trait_index is not None:
            out += _u29_bytes((trait_index << 2) | 1)
        else:
            writer.traits[trait_key] = len(writer.traits)
            out += _u29_bytes((len(sealed) << 4) | 0x03)
            _write_amf3_string(writer, value.alias)
            for name in sealed:
                _write_amf3_string(writer, name)
        for name in sealed:
            _write_amf3(writer, value[name])
        return
    # An anonymous dynamic object: one shared trait, members as name/value pairs.
    anonymous: tuple[str, tuple[str, ...] | None] = ("", None)
    trait_index = writer.traits.get(anonymous)
    if trait_index is not None:
        out += _u29_bytes((trait_index << 2) | 1)
    else:
        writer.traits[anonymous] = len(writer.traits)
        out += b"\x0b\x01"
    for key, item in value.items():
        name = _check_key(key)
        if not name:
            raise ArgumentError("writeObject: an empty key cannot be written in AMF3")
        _write_amf3_string(writer, name)
        _write_amf3(writer, item)
    out += b"\x01"


def _write_amf0_string_body(out: bytearray, text: str) -> None:
    data = encode_utf8_standard(text)
    if len(data) > 0xFFFF:
        raise ArgumentError("writeObject: an AMF0 object key is longer than 65535 bytes")
    out += _U16.pack(len(data)) + data


def _write_amf0(writer: _Writer, value: Any) -> None:
    out = writer.out
    if value is None:
        out += b"\x05"
    elif isinstance(value, bool):
        out += b"\x01\x01" if value else b"\x01\x00"
    elif isinstance(value, int | float):
        out += b"\x00" + _DOUBLE.pack(float(value))
    elif isinstance(value, str):
        data = encode_utf8_standard(value)
        if len(data) > 0xFFFF:
            out += b"\x0c" + _U32.pack(len(data)) + data
        else:
            out += b"\x02" + _U16.pack(len(data)) + data
    elif isinstance(value, datetime.date):
        out += b"\x0b" + _DOUBLE.pack(_to_milliseconds(value)) + _S16.pack(0)
    elif isinstance(value, ByteArray | bytes | bytearray):
        out += b"\x11"  # AVM+ switch: AMF0 has no byte array
        _write_amf3(writer.amf3_context(), value)
    else:
        _write_amf0_complex(writer, value)


def _write_amf0_complex(writer: _Writer, value: Any) -> None:
    out = writer.out
    if not isinstance(value, list | tuple | dict):
        raise ArgumentError(f"writeObject: {type(value).__name__} has no AMF form")
    index = writer.remember(value)
    if index is not None:
        if index > 0xFFFF:
            raise ArgumentError("writeObject: more than 65535 AMF0 objects")
        out += b"\x07" + _U16.pack(index)
        return
    writer.enter()
    try:
        if isinstance(value, list | tuple):
            out += b"\x0a" + _U32.pack(len(value))
            for item in value:
                _write_amf0(writer, item)
            return
        if isinstance(value, TypedObject):
            out += b"\x10"
            _write_amf0_string_body(out, value.alias)
        else:
            out += b"\x03"
        for key, item in value.items():
            name = _check_key(key)
            if not name:
                raise ArgumentError("writeObject: an empty key cannot be written in AMF0")
            _write_amf0_string_body(out, name)
            _write_amf0(writer, item)
        out += b"\x00\x00\x09"
    finally:
        writer.depth -= 1


def encode_value(value: Any, encoding: int) -> bytes:
    """Encode ``value`` as one AMF value.

    Raises:
        ArgumentError: the value, or something inside it, has no AMF form (nothing is written).
    """
    writer = _Writer()
    if encoding == ObjectEncoding.AMF3:
        _write_amf3(writer, value)
    else:
        _write_amf0(writer, value)
    return bytes(writer.out)
