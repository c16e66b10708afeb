"""`Blob`: bytes with the small conveniences tests want (trustme's shape)."""

from __future__ import annotations

import os
import tempfile as _tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Blob:
    """Immutable bytes (PEM or DER) that can also be written to a file."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)

    def bytes(self) -> bytes:
        """The raw content."""
        return self._data

    def write_to_path(self, path: str | os.PathLike[str], append: bool = False) -> None:
        """Write (or append) the content to ``path``."""
        with Path(path).open("ab" if append else "wb") as f:
            f.write(self._data)

    @contextmanager
    def tempfile(self, dir: str | None = None) -> Iterator[str]:
        """A temporary file holding the content; removed when the block ends."""
        fd, name = _tempfile.mkstemp(suffix=".pem", dir=dir)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(self._data)
            yield name
        finally:
            Path(name).unlink(missing_ok=True)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Blob) and other._data == self._data

    def __hash__(self) -> int:
        return hash(self._data)

    def __repr__(self) -> str:
        return f"Blob({len(self._data)} bytes)"
