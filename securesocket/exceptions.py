"""One exception hierarchy for the whole library, rooted at `SecureSocketError`.

AS3 error classes keep their AS3 names (``IOError``, ``EOFError``, ``ArgumentError``,
``RangeError``, ``SecurityError``, ``IllegalOperationError``) and their AS3 error IDs where AS3
has them. Each also subclasses the closest Python builtin, so ``except OSError`` catches our
``IOError`` and ``except ValueError`` catches ``ArgumentError``. Every class pickles (a test
round-trips them all), so errors cross process boundaries (the Dask audit) intact.
"""

from __future__ import annotations

import builtins
from typing import Any


__all__ = [
    "ArgumentError",
    "CertificateVerificationError",
    "EOFError",
    "FetchError",
    "IOError",
    "IllegalOperationError",
    "RangeError",
    "SecureSocketError",
    "SecurityError",
    "TLSError",
]


class SecureSocketError(Exception):
    """Base of every error this library raises.

    Attributes:
        message: human-readable text (also ``str(error)``).
        error_id: the AS3 error number (``#2030`` → 2030), or 0 where AS3 has none.
    """

    default_error_id = 0

    def __init__(self, message: str = "", error_id: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_id = self.default_error_id if error_id is None else error_id

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.error_id), self.__dict__.copy())

    def __str__(self) -> str:
        return self.message


class IOError(
    SecureSocketError, builtins.OSError
):  # the AS3 name, shadowing the builtin on purpose
    """AS3 ``flash.errors.IOError``: an operation on a socket that is not open (#2002), or an
    I/O failure."""

    default_error_id = 2002

    def __init__(self, message: str = "", error_id: int | None = None) -> None:
        SecureSocketError.__init__(self, message, error_id)

    def __str__(self) -> str:
        return self.message


class EOFError(IOError):  # the AS3 name, shadowing the builtin on purpose
    """AS3 ``flash.errors.EOFError`` (#2030): not enough buffered bytes for a read.

    The failed read consumed nothing."""

    default_error_id = 2030


class ArgumentError(SecureSocketError, builtins.ValueError):
    """AS3 ``ArgumentError``: a bad argument (#2004), or a value not among those accepted
    (#2008)."""

    default_error_id = 2004


class RangeError(SecureSocketError, builtins.ValueError):
    """AS3 ``RangeError``: a length or offset out of range (``writeUTF`` over 65535 bytes)."""

    default_error_id = 0


class SecurityError(SecureSocketError):
    """AS3 ``SecurityError``: an invalid port (#2003) or a refused operation."""

    default_error_id = 2003


class IllegalOperationError(SecureSocketError):
    """AS3 ``flash.errors.IllegalOperationError``: the operation is not possible in this state
    or on this platform (no TLS support)."""

    default_error_id = 0


class TLSError(IOError):
    """The TLS layer failed: a handshake error, a protocol violation by the peer, or a
    truncated stream. Carries the underlying OpenSSL reason in the message."""

    default_error_id = 2031


class CertificateVerificationError(TLSError):
    """The server's certificate was not accepted.

    Attributes:
        status: the `CertificateStatus` value string (e.g. ``"expired"``).
        verification: the full `Verification` result when one exists (problems, paths tried).
    """

    def __init__(
        self,
        message: str = "",
        error_id: int | None = None,
        *,
        status: str = "invalid",
        verification: object | None = None,
    ) -> None:
        super().__init__(message, error_id)
        self.status = status
        self.verification = verification

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.error_id), self.__dict__.copy())


class FetchError(SecureSocketError):
    """Fetching revocation data (OCSP or CRL) failed.

    Attributes:
        url: the URL that was asked.
        reason: why it failed, in words ("timed out after 2.0 s", "HTTP 404", "not DER").
    """

    def __init__(
        self, message: str = "", error_id: int | None = None, *, url: str = "", reason: str = ""
    ) -> None:
        super().__init__(message or f"{url}: {reason}", error_id)
        self.url = url
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.error_id), self.__dict__.copy())
