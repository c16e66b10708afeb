# IDataInput / IDataOutput (AS3 §7) as two mixins shared by ByteArray and Socket.
#
# Model: the mixins hold no buffer. A class that uses them implements the hooks of
# docs/CONTRACTS.md: `_available()`, `_take(n)` (all n bytes or EOFError, consuming nothing),
# `_put(data)`, and `_peek_all()` (everything readable, not consumed; `_peek(n)` optionally
# narrows it). Every read is a single `_take` of its exact size, so "a failed read consumes
# nothing" holds by construction; the reads that must look ahead before they know their size
# (`read_utf`, `read_object`) peek first.
#
# State: `endian` and `object_encoding` live in instance attributes that shadow class defaults,
# so a user class needs no cooperative __init__. The endian setter swaps a whole set of
# precompiled `struct.Struct`s, so a multi-byte read costs one `_take` and one `unpack`.
"""The IDataInput / IDataOutput codec: every AS3 read*/write*, with AS3's exact quirks."""

from __future__ import annotations

import codecs
import enum
import math
import struct
from typing import TYPE_CHECKING, Any

from .exceptions import ArgumentError, EOFError, IllegalOperationError, RangeError


if TYPE_CHECKING:
    from ._bytearray import ByteArray

__all__ = [
    "DEFAULT_CHARSET",
    "DataInput",
    "DataOutput",
    "Endian",
    "ObjectEncoding",
    "charset_codec",
    "decode_utf8_lenient",
    "encode_utf8_standard",
]


class Endian(enum.StrEnum):
    """AS3 ``flash.utils.Endian``: the byte order of multi-byte numbers."""

    BIG_ENDIAN = "bigEndian"
    LITTLE_ENDIAN = "littleEndian"


class ObjectEncoding(enum.IntEnum):
    """AS3 ``flash.net.ObjectEncoding``: the AMF version of readObject/writeObject."""

    AMF0 = 0
    AMF3 = 3
    DEFAULT = 3


class _Structs:
    """The precompiled formats for one byte order."""

    __slots__ = ("f32", "f64", "i16", "i32", "u16", "u32")

    def __init__(self, prefix: str) -> None:
        self.i16 = struct.Struct(prefix + "h")
        self.u16 = struct.Struct(prefix + "H")
        self.i32 = struct.Struct(prefix + "i")
        self.u32 = struct.Struct(prefix + "I")
        self.f32 = struct.Struct(prefix + "f")
        self.f64 = struct.Struct(prefix + "d")


_BIG = _Structs(">")
_LITTLE = _Structs("<")
_UTF8_BOM = b"\xef\xbb\xbf"
_MAX_UTF_LENGTH = 0xFFFF


def _eof(needed: int, available: int) -> EOFError:
    return EOFError(
        f"Error #2030: End of file was encountered. (needed {needed} bytes, {available} available)"
    )


def _as3_lenient(error: UnicodeError) -> tuple[str, int]:
    """Decode error handler: one bad byte becomes the code point of the same value (avmplus)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return chr(error.object[error.start]), error.start + 1


codecs.register_error("securesocket.as3-lenient", _as3_lenient)


def decode_utf8_lenient(data: bytes | bytearray | memoryview) -> str:
    """AS3 ``readUTFBytes`` decoding: drop a leading BOM, stop at the first NUL, never fail."""
    try:
        # Fast path, valid UTF-8 (nearly always): there EF BB BF is exactly U+FEFF and a 00
        # byte exactly U+0000, so the BOM and NUL rules can be applied to the text.
        text = str(data, "utf-8")
    except UnicodeDecodeError:
        return _decode_utf8_lenient_slowly(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    nul = text.find("\x00")
    return text if nul < 0 else text[:nul]


def _decode_utf8_lenient_slowly(data: bytes | bytearray | memoryview) -> str:
    raw = bytes(data)
    if raw.startswith(_UTF8_BOM):
        raw = raw[3:]
    nul = raw.find(0)
    if nul >= 0:
        raw = raw[:nul]
    return raw.decode("utf-8", "securesocket.as3-lenient")


def encode_utf8_standard(value: str) -> bytes:
    """AS3 UTF-8: standard UTF-8; a surrogate pair becomes one 4-byte sequence and a lone
    surrogate becomes U+FFFD (``EF BF BD``)."""
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        # Only surrogates fail here. A UTF-16 round trip joins valid pairs and replaces the rest.
        joined = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        return joined.encode("utf-8")
    except AttributeError:  # not a str: checked here, off the hot path
        raise _not_text(value) from None


def _not_text(value: object) -> TypeError:
    """AS3 throws TypeError #2007 for a null string argument; any other non-str is refused too
    (AS3 would coerce it to its toString(), which in Python is rarely what was meant)."""
    if value is None:
        return TypeError("Error #2007: Parameter value must be non-null.")
    return TypeError(f"expected a str, got {type(value).__name__}")


def _number(value: object) -> float:
    """``value`` if it is a real number (bool and int included); TypeError otherwise."""
    if isinstance(value, int | float):
        return value
    raise TypeError(f"expected a number, got {type(value).__name__}")


def _to_double(value: float) -> float:
    """AS3 ToNumber for a numeric argument: an int beyond the double range becomes +/-Infinity
    (Python's float() raises OverflowError there)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf  # copysign would convert, and overflow


# Adobe "Supported character sets" labels and aliases → Python codec. Adobe's runtime used the
# Windows code pages behind several labels (shift_jis is cp932, gb2312 is cp936, ...), so those
# map to the Windows codecs. "unicode" (alias "utf-16") is little-endian, as on Windows.
_CHARSETS: dict[str, str] = {
    "utf-8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "unicode-2-0-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "utf-7": "utf-7",
    "unicode": "utf-16-le",
    "utf-16": "utf-16-le",
    "unicodefffe": "utf-16-be",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "ansi_x3.4-1986": "ascii",
    "cp367": "ascii",
    "csascii": "ascii",
    "ibm367": "ascii",
    "iso-ir-6": "ascii",
    "iso646-us": "ascii",
    "iso_646.irv:1991": "ascii",
    "us": "ascii",
    "iso-8859-1": "latin-1",
    "cp819": "latin-1",
    "csisolatin1": "latin-1",
    "ibm819": "latin-1",
    "iso_8859-1": "latin-1",
    "iso_8859-1:1987": "latin-1",
    "iso8859-1": "latin-1",
    "iso-ir-100": "latin-1",
    "l1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-2": "iso8859-2",
    "iso-8859-3": "iso8859-3",
    "iso-8859-4": "iso8859-4",
    "iso-8859-5": "iso8859-5",
    "iso-8859-6": "iso8859-6",
    "iso-8859-7": "iso8859-7",
    "iso-8859-8": "iso8859-8",
    "iso-8859-8-i": "iso8859-8",
    "iso-8859-9": "iso8859-9",
    "iso-8859-15": "iso8859-15",
    "latin9": "iso8859-15",
    "windows-874": "cp874",
    "windows-1250": "cp1250",
    "windows-1251": "cp1251",
    "windows-1252": "cp1252",
    "x-ansi": "cp1252",
    "windows-1253": "cp1253",
    "windows-1254": "cp1254",
    "windows-1255": "cp1255",
    "windows-1256": "cp1256",
    "windows-1257": "cp1257",
    "windows-1258": "cp1258",
    "koi8-r": "koi8-r",
    "cskoi8r": "koi8-r",
    "koi": "koi8-r",
    "koi8": "koi8-r",
    "koi8r": "koi8-r",
    "koi8-u": "koi8-u",
    "macintosh": "mac-roman",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-greek": "mac-greek",
    "x-mac-turkish": "mac-turkish",
    "x-mac-icelandic": "mac-iceland",
    "x-mac-ce": "mac-latin2",
    "ibm437": "cp437",
    "ibm737": "cp737",
    "ibm775": "cp775",
    "ibm850": "cp850",
    "ibm852": "cp852",
    "ibm855": "cp855",
    "ibm857": "cp857",
    "ibm860": "cp860",
    "ibm861": "cp861",
    "dos-862": "cp862",
    "ibm863": "cp863",
    "ibm864": "cp864",
    "ibm865": "cp865",
    "cp866": "cp866",
    "ibm869": "cp869",
    "ibm037": "cp037",
    "ibm500": "cp500",
    "ibm1026": "cp1026",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "csshiftjis": "cp932",
    "cswindows31j": "cp932",
    "ms_kanji": "cp932",
    "x-ms-cp932": "cp932",
    "x-sjis": "cp932",
    "euc-jp": "euc-jp",
    "cseucpkdfmtjapanese": "euc-jp",
    "x-euc": "euc-jp",
    "x-euc-jp": "euc-jp",
    "iso-2022-jp": "iso2022-jp",
    "csiso2022jp": "iso2022-jp",
    "gb2312": "gbk",
    "cn-gb": "gbk",
    "chinese": "gbk",
    "csgb2312": "gbk",
    "csgb231280": "gbk",
    "csiso58gb231280": "gbk",
    "gb_2312-80": "gbk",
    "gb231280": "gbk",
    "gb2312-80": "gbk",
    "gbk": "gbk",
    "iso-ir-58": "gbk",
    "euc-cn": "gb2312",
    "x-euc-cn": "gb2312",
    "hz-gb-2312": "hz",
    "gb18030": "gb18030",
    "big5": "cp950",
    "cn-big5": "cp950",
    "csbig5": "cp950",
    "x-x-big5": "cp950",
    "ks_c_5601-1987": "cp949",
    "csksc56011987": "cp949",
    "iso-ir-149": "cp949",
    "korean": "cp949",
    "ks_c_5601": "cp949",
    "ks_c_5601_1987": "cp949",
    "ks_c_5601-1989": "cp949",
    "ksc_5601": "cp949",
    "ksc5601": "cp949",
    "euc-kr": "euc-kr",
    "cseuckr": "euc-kr",
    "iso-2022-kr": "iso2022-kr",
    "johab": "johab",
}

DEFAULT_CHARSET = "utf-8"
"""What an unknown charset label means. AS3 silently uses the system code page; we use UTF-8,
the default code page of every current platform AIR ran on (Linux, macOS, Android, iOS), and the
only choice under which ``writeMultiByte`` with a mistyped label still loses no characters."""


def charset_codec(label: str) -> str:
    """The Python codec for an Adobe charset label (case-insensitive); unknown → UTF-8."""
    return _CHARSETS.get(label.strip().lower(), DEFAULT_CHARSET)


def _to_uint32(value: float) -> int:
    """AS3 ToUint32: truncate, wrap modulo 2**32; NaN and infinities become 0."""
    if isinstance(value, int):
        return value & 0xFFFFFFFF
    if not math.isfinite(value):
        return 0
    return int(value) & 0xFFFFFFFF


def _check_range(name: str, value: int) -> None:
    if value < 0:
        raise RangeError(f"Error #2006: {name} must not be negative (got {value})")


class _CodecState:
    """The endian and objectEncoding properties shared by both mixins."""

    _endian: Endian = Endian.BIG_ENDIAN
    _structs: _Structs = _BIG
    _object_encoding: ObjectEncoding = ObjectEncoding.AMF3

    @property
    def endian(self) -> Endian:
        """``"bigEndian"`` (default) or ``"littleEndian"``; also orders the UTF length prefix.

        Raises:
            ArgumentError: #2008 for any other value.
        """
        return self._endian

    @endian.setter
    def endian(self, value: str) -> None:
        try:
            endian = Endian(value)
        except ValueError:
            raise ArgumentError(
                "Error #2008: Parameter endian must be one of the accepted values "
                f"(got {value!r}).",
                2008,
            ) from None
        self._endian = endian
        self._structs = _BIG if endian is Endian.BIG_ENDIAN else _LITTLE

    @property
    def object_encoding(self) -> ObjectEncoding:
        """AMF version for read_object/write_object: 0 (AMF0) or 3 (AMF3, default).

        Raises:
            ArgumentError: #2008 for any other value.
        """
        return self._object_encoding

    @object_encoding.setter
    def object_encoding(self, value: int) -> None:
        if isinstance(value, bool) or value not in (0, 3):
            raise ArgumentError(
                "Error #2008: Parameter objectEncoding must be one of the accepted values "
                f"(got {value!r}).",
                2008,
            )
        self._object_encoding = ObjectEncoding(value)


class DataInput(_CodecState):
    """AS3 ``IDataInput``. Hooks: `_available`, `_take`, `_peek_all` (see docs/CONTRACTS.md)."""

    def _available(self) -> int:
        raise NotImplementedError

    def _take(self, n: int) -> bytes | bytearray:
        raise NotImplementedError

    def _peek_all(self) -> bytes | memoryview:
        raise IllegalOperationError(f"{type(self).__name__} cannot look ahead (_peek_all)")

    def _unpack(self, fmt: struct.Struct) -> Any:
        """One fixed-size value (same rules as `_take`). A buffer that can unpack in place
        overrides this: it is the hot path of every numeric read."""
        return fmt.unpack(self._take(fmt.size))[0]

    def _peek(self, n: int) -> bytes | memoryview:
        """The first ``n`` readable bytes, not consumed (``n`` <= available). Optional hook:
        override it when `_peek_all` copies, so `read_utf` need not copy the whole buffer."""
        return self._peek_all()[:n]

    @property
    def bytes_available(self) -> int:
        """Bytes that can be read now."""
        return self._available()

    def read_boolean(self) -> bool:
        """One byte; any non-zero value is True."""
        return self._take(1)[0] != 0

    def read_byte(self) -> int:
        """One signed byte, -128..127."""
        value = self._take(1)[0]
        return value - 256 if value > 127 else value

    def read_unsigned_byte(self) -> int:
        """One byte, 0..255."""
        return self._take(1)[0]

    def read_short(self) -> int:
        """Two bytes, signed."""
        value: int = self._unpack(self._structs.i16)
        return value

    def read_unsigned_short(self) -> int:
        """Two bytes, 0..65535."""
        value: int = self._unpack(self._structs.u16)
        return value

    def read_int(self) -> int:
        """Four bytes, signed."""
        value: int = self._unpack(self._structs.i32)
        return value

    def read_unsigned_int(self) -> int:
        """Four bytes, 0..4294967295."""
        value: int = self._unpack(self._structs.u32)
        return value

    def read_float(self) -> float:
        """An IEEE single widened to double (76.65 reads back as 76.6500015258789)."""
        value: float = self._unpack(self._structs.f32)
        return value

    def read_double(self) -> float:
        """An IEEE double."""
        value: float = self._unpack(self._structs.f64)
        return value

    def read_bytes(self, target: ByteArray | bytearray, offset: int = 0, length: int = 0) -> None:
        """Copy ``length`` bytes (0: all available) into ``target`` at ``offset``; it grows.

        The target's position is not changed (AS3).

        Raises:
            EOFError: fewer than ``length`` bytes are available (nothing is consumed).
            RangeError: a negative offset or length.
        """
        _check_range("offset", offset)
        _check_range("length", length)
        if length == 0:
            length = self._available()
            if length == 0:
                return
        data = self._take(length)
        if isinstance(target, bytearray):
            if offset > len(target):
                target.extend(bytes(offset - len(target)))
            target[offset : offset + len(data)] = data
        else:
            target._write_at(offset, data)

    def read_multi_byte(self, length: int, charset: str) -> str:
        """Decode ``length`` bytes in an Adobe charset (unknown label: `DEFAULT_CHARSET`).

        UTF-8 decodes as `read_utf_bytes` does; other charsets replace undecodable bytes
        with U+FFFD.
        """
        _check_range("length", length)
        data = self._take(length)
        codec = charset_codec(charset)
        if codec == "utf-8":
            return decode_utf8_lenient(data)
        return data.decode(codec, "replace")

    def read_utf(self) -> str:
        """A 16-bit length (in the current endian), then that many UTF-8 bytes.

        Raises:
            EOFError: the prefix or the string is incomplete (nothing is consumed).
        """
        available = self._available()
        if available < 2:
            raise _eof(2, available)
        length = int(self._structs.u16.unpack(self._peek(2))[0])
        if available < 2 + length:
            raise _eof(2 + length, available)
        return decode_utf8_lenient(self._take(2 + length)[2:])

    def read_utf_bytes(self, length: int) -> str:
        """Exactly ``length`` bytes as UTF-8: a BOM is dropped, decoding stops at the first NUL
        (the rest is still consumed), and each invalid byte becomes the code point of its value.
        """
        _check_range("length", length)
        return decode_utf8_lenient(self._take(length))

    def read_object(self) -> Any:
        """One AMF value in `object_encoding`.

        Raises:
            EOFError: the value is incomplete (nothing is consumed).
            RangeError: the bytes are not valid AMF (nothing is consumed).
        """
        from ._amf import decode_value  # noqa: PLC0415 - _amf needs ByteArray, which needs us

        view = self._peek_all()
        try:
            value, used = decode_value(view, self._object_encoding)
        except (EOFError, RangeError) as error:
            # Drop every frame that still holds the view: a live export would stop the
            # buffer from growing while the caller keeps the exception.
            del view
            raise error.with_traceback(None) from None
        del view
        self._take(used)
        return value

    if TYPE_CHECKING:  # the AS3 spellings, for type checkers; as3_aliases installs them
        bytesAvailable = bytes_available
        objectEncoding = _CodecState.object_encoding
        readBoolean = read_boolean
        readByte = read_byte
        readUnsignedByte = read_unsigned_byte
        readShort = read_short
        readUnsignedShort = read_unsigned_short
        readInt = read_int
        readUnsignedInt = read_unsigned_int
        readFloat = read_float
        readDouble = read_double
        readBytes = read_bytes
        readMultiByte = read_multi_byte
        readUTF = read_utf
        readUTFBytes = read_utf_bytes
        readObject = read_object


class DataOutput(_CodecState):
    """AS3 ``IDataOutput``. Hook: `_put` (see docs/CONTRACTS.md)."""

    def _put(self, data: bytes | bytearray | memoryview) -> None:
        raise NotImplementedError

    def write_boolean(self, value: bool) -> None:
        """``01`` for a true value, ``00`` otherwise."""
        self._put(b"\x01" if value else b"\x00")

    def write_byte(self, value: int) -> None:
        """The low 8 bits of ``value``."""
        word = value & 0xFF if type(value) is int else _to_uint32(value) & 0xFF
        self._put(bytes((word,)))

    def write_short(self, value: int) -> None:
        """The low 16 bits of ``value`` (65535 → ``FF FF``)."""
        word = value & 0xFFFF if type(value) is int else _to_uint32(value) & 0xFFFF
        self._put(self._structs.u16.pack(word))

    def write_int(self, value: int) -> None:
        """Four bytes; out-of-range values wrap modulo 2**32."""
        # An exact int (the common case) wraps inline; anything else goes through ToUint32.
        word = value & 0xFFFFFFFF if type(value) is int else _to_uint32(value)
        self._put(self._structs.u32.pack(word))

    def write_unsigned_int(self, value: int) -> None:
        """Four bytes; out-of-range values wrap modulo 2**32."""
        # An exact int (the common case) wraps inline; anything else goes through ToUint32.
        word = value & 0xFFFFFFFF if type(value) is int else _to_uint32(value)
        self._put(self._structs.u32.pack(word))

    def write_float(self, value: float) -> None:
        """An IEEE single; a value too large for one becomes +/-Infinity, as in AS3."""
        try:
            self._put(self._structs.f32.pack(value))
        except (OverflowError, struct.error):  # too large for a single (or not a number)
            infinity = math.inf if _number(value) > 0 else -math.inf
            self._put(self._structs.f32.pack(infinity))

    def write_double(self, value: float) -> None:
        """An IEEE double; an int beyond the double range becomes +/-Infinity, as in AS3."""
        try:
            self._put(self._structs.f64.pack(value))
        except struct.error:  # an int beyond the double range (or not a number)
            self._put(self._structs.f64.pack(_to_double(_number(value))))

    def write_bytes(
        self,
        source: ByteArray | bytes | bytearray | memoryview,
        offset: int = 0,
        length: int = 0,
    ) -> None:
        """Write ``length`` bytes of ``source`` from ``offset``; length 0 means "to the end".

        Raises:
            RangeError: ``offset`` beyond the end, ``offset + length`` beyond the end, or a
                negative value. (avmplus clamps an over-large offset; the AS3 reference says
                RangeError, and an error is the clearer answer.)
        """
        _check_range("offset", offset)
        _check_range("length", length)
        # A ByteArray is copied: it may be the destination too, and must not be pinned mid-write.
        data = source if isinstance(source, bytes | bytearray | memoryview) else source.to_bytes()
        view = memoryview(data).cast("B")
        if offset > len(view):
            raise RangeError(f"Error #2006: offset {offset} is beyond the end ({len(view)})")
        if length == 0:
            length = len(view) - offset
        elif offset + length > len(view):
            raise RangeError(
                f"Error #2006: offset {offset} + length {length} exceeds the data ({len(view)})"
            )
        if length:
            self._put(view[offset : offset + length])

    def write_multi_byte(self, value: str, charset: str) -> None:
        """Encode ``value`` in an Adobe charset, with no length prefix (unknown label: UTF-8).

        Characters the charset cannot represent become ``?``.
        """
        codec = charset_codec(charset)
        if codec == "utf-8":
            self._put(encode_utf8_standard(value))
        elif isinstance(value, str):
            self._put(value.encode(codec, "replace"))
        else:
            raise _not_text(value)

    def write_utf(self, value: str) -> None:
        """A 16-bit byte count (in the current endian), then the UTF-8 bytes.

        Raises:
            RangeError: the UTF-8 form is longer than 65535 bytes (nothing is written).
        """
        data = encode_utf8_standard(value)
        if len(data) > _MAX_UTF_LENGTH:
            raise RangeError(
                f"writeUTF: the string is {len(data)} UTF-8 bytes; the limit is {_MAX_UTF_LENGTH}"
            )
        self._put(self._structs.u16.pack(len(data)) + data)

    def write_utf_bytes(self, value: str) -> None:
        """The UTF-8 bytes of ``value``, with no prefix."""
        self._put(encode_utf8_standard(value))

    def write_object(self, value: Any) -> None:
        """``value`` as one AMF value in `object_encoding`.

        Raises:
            ArgumentError: the value (or something inside it) has no AMF form.
        """
        from ._amf import encode_value  # noqa: PLC0415 - _amf needs ByteArray, which needs us

        self._put(encode_value(value, self._object_encoding))

    if TYPE_CHECKING:  # the AS3 spellings, for type checkers; as3_aliases installs them
        objectEncoding = _CodecState.object_encoding
        writeBoolean = write_boolean
        writeByte = write_byte
        writeShort = write_short
        writeInt = write_int
        writeUnsignedInt = write_unsigned_int
        writeFloat = write_float
        writeDouble = write_double
        writeBytes = write_bytes
        writeMultiByte = write_multi_byte
        writeUTF = write_utf
        writeUTFBytes = write_utf_bytes
        writeObject = write_object
