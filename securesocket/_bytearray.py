# ByteArray: AS3 flash.utils.ByteArray, a growable buffer with a read/write position.
#
# State: `_data` (a bytearray) and `_position`. Invariants: 0 <= _position (it may sit past the
# end, as in AS3: reads then raise EOFError, and a write first pads with zero bytes up to the
# position). Reads and writes both start at `_position` and advance it; `read_bytes` into a
# ByteArray target writes at the given offset and leaves the target's position alone.
"""`ByteArray`, the AS3 byte buffer, built on the shared IDataInput/IDataOutput codec."""

from __future__ import annotations

import enum
import lzma
import struct
import zlib
from typing import TYPE_CHECKING, Any, overload

from ._as3names import as3_aliases
from ._datacodec import DataInput, DataOutput, Endian, ObjectEncoding, _eof, decode_utf8_lenient
from .exceptions import ArgumentError, IOError, RangeError


__all__ = ["MAX_UNCOMPRESSED_SIZE", "ByteArray", "CompressionAlgorithm", "Endian", "ObjectEncoding"]


class CompressionAlgorithm(enum.StrEnum):
    """AS3 ``flash.utils.CompressionAlgorithm``."""

    ZLIB = "zlib"
    DEFLATE = "deflate"
    LZMA = "lzma"


MAX_UNCOMPRESSED_SIZE = 256 * 1024 * 1024
"""`ByteArray.uncompress` refuses output larger than this (256 MiB): a few kilobytes of
hostile input must not exhaust memory. AS3 has no such limit."""


def _algorithm(value: str) -> CompressionAlgorithm:
    try:
        return CompressionAlgorithm(value)
    except ValueError:
        raise ArgumentError(
            f"Error #2008: Parameter algorithm must be one of the accepted values (got {value!r}).",
            2008,
        ) from None


@as3_aliases
class ByteArray(DataInput, DataOutput):
    """AS3 ``flash.utils.ByteArray``: every IDataInput/IDataOutput method, plus ``position``,
    ``length`` and ``clear()``.

    Args:
        data: initial contents (a copy is taken); the position starts at 0.
    """

    def __init__(self, data: bytes | bytearray | memoryview | ByteArray = b"") -> None:
        self._data: bytearray = bytearray(data.to_bytes() if isinstance(data, ByteArray) else data)
        self._position = 0

    # -- the codec hooks (docs/CONTRACTS.md) -------------------------------------------------

    def _available(self) -> int:
        return max(0, len(self._data) - self._position)

    def _take(self, n: int) -> bytearray:
        start = self._position
        end = start + n
        if end > len(self._data):
            raise _eof(n, self._available())
        self._position = end
        return self._data[start:end]  # a copy; struct and the decoders accept bytearray

    def _peek_all(self) -> memoryview:
        return memoryview(self._data)[self._position :]

    def _peek(self, n: int) -> bytes:
        start = self._position
        return bytes(self._data[start : start + n])

    def _put(self, data: bytes | bytearray | memoryview) -> None:
        start = self._position
        if start == len(self._data):
            self._data += data  # appending: the common case, without the `_write_at` call
        else:
            self._write_at(start, data)
        self._position = start + len(data)

    def _write_at(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        """Write ``data`` at ``offset`` (padding with zeros first), without moving position.

        Writing nothing changes nothing, even past the end (no padding)."""
        if not data:
            return
        buffer = self._data
        if offset == len(buffer):
            buffer += data
            return
        if offset > len(buffer):
            buffer.extend(bytes(offset - len(buffer)))
        buffer[offset : offset + len(data)] = data

    # -- fixed-size reads, read in place ---------------------------------------------------------
    # The inherited numeric reads all go through `_unpack`; this one unpacks straight from
    # `_data` at `_position` instead of copying a slice through `_take` (same results, same
    # EOFError, nothing consumed on failure), which roughly halves their per-call cost.

    def _unpack(self, fmt: struct.Struct) -> Any:
        position = self._position
        try:
            value = fmt.unpack_from(self._data, position)[0]
        except struct.error:  # too few bytes, or a position past the end
            raise _eof(fmt.size, self._available()) from None
        self._position = position + fmt.size
        return value

    def read_int(self) -> int:
        """Four bytes, signed."""
        position = self._position  # inlined `_unpack`: this is the hottest read
        try:
            value: int = self._structs.i32.unpack_from(self._data, position)[0]
        except struct.error:
            raise _eof(4, self._available()) from None
        self._position = position + 4
        return value

    def read_utf(self) -> str:
        """A 16-bit length (in the current endian), then that many UTF-8 bytes.

        Raises:
            EOFError: the prefix or the string is incomplete (nothing is consumed).
        """
        position, data = self._position, self._data
        try:
            length: int = self._structs.u16.unpack_from(data, position)[0]
        except struct.error:
            raise _eof(2, self._available()) from None
        end = position + 2 + length
        if end > len(data):
            raise _eof(2 + length, self._available())
        text = decode_utf8_lenient(data[position + 2 : end])
        self._position = end
        return text

    def read_unsigned_byte(self) -> int:
        """One byte, 0..255."""
        position = self._position
        try:
            value = self._data[position]
        except IndexError:
            raise _eof(1, 0) from None
        self._position = position + 1
        return value

    def read_byte(self) -> int:
        """One signed byte, -128..127."""
        value = self.read_unsigned_byte()
        return value - 256 if value > 127 else value

    def read_boolean(self) -> bool:
        """One byte; any non-zero value is True."""
        return self.read_unsigned_byte() != 0

    # -- AS3 members ---------------------------------------------------------------------------

    @property
    def position(self) -> int:
        """Where the next read or write starts; may be set past the end."""
        return self._position

    @position.setter
    def position(self, value: int) -> None:
        if value < 0:
            raise RangeError(f"Error #2006: position must not be negative (got {value})")
        self._position = int(value)

    @property
    def length(self) -> int:
        """Size in bytes. Setting it truncates or zero-extends; position is clamped to it."""
        return len(self._data)

    @length.setter
    def length(self, value: int) -> None:
        if value < 0:
            raise RangeError(f"Error #2006: length must not be negative (got {value})")
        if value < len(self._data):
            del self._data[value:]
        else:
            self._data.extend(bytes(value - len(self._data)))
        self._position = min(self._position, value)

    def clear(self) -> None:
        """Empty the array: length and position become 0."""
        self._data.clear()
        self._position = 0

    def to_bytes(self) -> bytes:
        """The whole contents, regardless of position."""
        return bytes(self._data)

    def to_string(self) -> str:
        """AS3 ``toString``: the contents as text; a UTF-16 BOM selects UTF-16, else UTF-8
        decoded as `read_utf_bytes` does (BOM dropped, stop at NUL, lenient)."""
        data = bytes(self._data)
        if data.startswith(b"\xfe\xff"):
            return data[2:].decode("utf-16-be", "replace")
        if data.startswith(b"\xff\xfe"):
            return data[2:].decode("utf-16-le", "replace")
        return decode_utf8_lenient(data)

    def compress(self, algorithm: str = "zlib") -> None:
        """AS3 ``compress``: replace the whole contents with their compressed form; position
        moves to the end. ``algorithm`` is a `CompressionAlgorithm` value.

        Raises:
            ArgumentError: #2008, an unknown algorithm (the contents are unchanged).
        """
        data = bytes(self._data)
        kind = _algorithm(algorithm)
        if kind == CompressionAlgorithm.ZLIB:
            packed = zlib.compress(data)
        elif kind == CompressionAlgorithm.DEFLATE:
            packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
            packed = packer.compress(data) + packer.flush()
        else:
            packed = lzma.compress(data, format=lzma.FORMAT_ALONE)
        self._data = bytearray(packed)
        self._position = len(packed)

    def uncompress(self, algorithm: str = "zlib") -> None:
        """AS3 ``uncompress``: replace the whole contents with their decompressed form;
        position moves to 0.

        Raises:
            ArgumentError: #2008, an unknown algorithm.
            IOError: #2058, the data does not decompress, or would exceed
                `MAX_UNCOMPRESSED_SIZE` (a compression bomb); the contents are unchanged.
        """
        kind = _algorithm(algorithm)
        data = bytes(self._data)
        try:
            if kind == CompressionAlgorithm.LZMA:
                unpacker: Any = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
            else:
                wbits = zlib.MAX_WBITS if kind == CompressionAlgorithm.ZLIB else -zlib.MAX_WBITS
                unpacker = zlib.decompressobj(wbits=wbits)
            plain = unpacker.decompress(data, MAX_UNCOMPRESSED_SIZE + 1)
            finished = unpacker.eof
        except (zlib.error, lzma.LZMAError) as exc:
            raise IOError(
                f"Error #2058: There was an error decompressing the data. ({exc})", 2058
            ) from exc
        if len(plain) > MAX_UNCOMPRESSED_SIZE:
            raise IOError(
                "Error #2058: There was an error decompressing the data. (more than "
                f"{MAX_UNCOMPRESSED_SIZE} bytes)",
                2058,
            )
        if not finished:
            raise IOError(
                "Error #2058: There was an error decompressing the data. (truncated)", 2058
            )
        self._data = bytearray(plain)
        self._position = 0

    def deflate(self) -> None:
        """AS3 ``deflate``: ``compress("deflate")`` (raw DEFLATE, no zlib header)."""
        self.compress(CompressionAlgorithm.DEFLATE)

    def inflate(self) -> None:
        """AS3 ``inflate``: ``uncompress("deflate")``."""
        self.uncompress(CompressionAlgorithm.DEFLATE)

    # -- Python protocols ----------------------------------------------------------------------

    def __bytes__(self) -> bytes:
        return bytes(self._data)

    def __len__(self) -> int:
        return len(self._data)

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> bytes: ...
    def __getitem__(self, index: int | slice) -> int | bytes:
        """``ba[i]`` is the byte at i (IndexError past the end); ``ba[a:b]`` is bytes."""
        if isinstance(index, slice):
            return bytes(self._data[index])
        return self._data[index]

    def __setitem__(self, index: int, value: int) -> None:
        """``ba[i] = v`` stores the low 8 bits of v; an index past the end grows the array."""
        if index < 0:
            raise RangeError(f"Error #2006: index must not be negative (got {index})")
        if index >= len(self._data):
            self._data.extend(bytes(index + 1 - len(self._data)))
        self._data[index] = value & 0xFF

    def __repr__(self) -> str:
        return f"<ByteArray length={len(self._data)} position={self._position}>"

    if TYPE_CHECKING:  # the AS3 spellings, for type checkers; as3_aliases installs them
        toString = to_string
