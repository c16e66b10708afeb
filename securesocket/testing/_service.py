"""`Service`: the start/stop life cycle every fixture server shares, and its ``with`` form.

Each server is ready to use when `start` returns and leaves nothing behind (process, thread,
socket, file) once `stop` returns; `stop` is idempotent. ``with server:`` is start then stop.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self


__all__ = ["Service"]


class Service(abc.ABC):
    """Base class of the fixture servers: implement `start` and `stop`."""

    @abc.abstractmethod
    def start(self) -> Self:
        """Start serving; return once clients can connect."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop and release everything; idempotent."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
