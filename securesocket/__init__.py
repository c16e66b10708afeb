"""securesocket: a TLS client socket with explicit trust, in the shape of AS3's SecureSocket.

The public surface is re-exported here; everything in ``_private`` modules is internal.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ._status import CertificateStatus as CertificateStatus
from .exceptions import (
    ArgumentError as ArgumentError,
    CertificateVerificationError as CertificateVerificationError,
    EOFError as EOFError,  # noqa: A004
    FetchError as FetchError,
    IllegalOperationError as IllegalOperationError,
    IOError as IOError,  # noqa: A004
    RangeError as RangeError,
    SecureSocketError as SecureSocketError,
    SecurityError as SecurityError,
    TLSError as TLSError,
)
from .trust import ChainVerifier as ChainVerifier
from .trust import PolicyInputs as PolicyInputs
from .trust import Problem as Problem
from .trust import RejectedPath as RejectedPath
from .trust import Verification as Verification
from .trust import verify_chain as verify_chain


try:
    __version__ = version("securesocket")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "ArgumentError",
    "CertificateStatus",
    "CertificateVerificationError",
    "ChainVerifier",
    "EOFError",
    "FetchError",
    "IOError",
    "IllegalOperationError",
    "PolicyInputs",
    "Problem",
    "RangeError",
    "RejectedPath",
    "SecureSocketError",
    "SecurityError",
    "TLSError",
    "Verification",
    "__version__",
    "verify_chain",
]
