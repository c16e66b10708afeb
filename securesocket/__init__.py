"""securesocket: a TLS client socket with explicit trust, in the shape of AS3's SecureSocket.

The public surface is re-exported here; everything in ``_private`` modules is internal.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ._amf import TypedObject as TypedObject
from ._bytearray import ByteArray as ByteArray
from ._bytearray import CompressionAlgorithm as CompressionAlgorithm
from ._datacodec import Endian as Endian
from ._datacodec import ObjectEncoding as ObjectEncoding
from ._events import ErrorEvent as ErrorEvent
from ._events import Event as Event
from ._events import EventDispatcher as EventDispatcher
from ._events import EventPhase as EventPhase
from ._events import IOErrorEvent as IOErrorEvent
from ._events import OutputProgressEvent as OutputProgressEvent
from ._events import ProgressEvent as ProgressEvent
from ._events import SecurityErrorEvent as SecurityErrorEvent
from ._events import UnhandledErrorEventError as UnhandledErrorEventError
from ._secure_socket import SecureSocket as SecureSocket
from ._socket import ConnectAttempt as ConnectAttempt
from ._socket import Socket as Socket
from ._status import CertificateStatus as CertificateStatus
from .exceptions import ArgumentError as ArgumentError
from .exceptions import CertificateVerificationError as CertificateVerificationError
from .exceptions import EOFError as EOFError
from .exceptions import FetchError as FetchError
from .exceptions import IllegalOperationError as IllegalOperationError
from .exceptions import IOError as IOError
from .exceptions import RangeError as RangeError
from .exceptions import SecureSocketError as SecureSocketError
from .exceptions import SecurityError as SecurityError
from .exceptions import TLSError as TLSError
from .revocation import Fetchers as Fetchers
from .revocation import RevocationPolicy as RevocationPolicy
from .revocation import RevocationReport as RevocationReport
from .revocation import RevocationRules as RevocationRules
from .revocation import check_revocation as check_revocation
from .revocation import evaluate_offline as evaluate_offline
from .revocation import set_default_fetchers as set_default_fetchers
from .trust import ChainVerifier as ChainVerifier
from .trust import PolicyInputs as PolicyInputs
from .trust import Problem as Problem
from .trust import RejectedPath as RejectedPath
from .trust import Verification as Verification
from .trust import verify_chain as verify_chain
from .x509 import X500DistinguishedName as X500DistinguishedName
from .x509 import X509Certificate as X509Certificate


try:
    __version__ = version("securesocket")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "ArgumentError",
    "ByteArray",
    "CertificateStatus",
    "CertificateVerificationError",
    "ChainVerifier",
    "CompressionAlgorithm",
    "ConnectAttempt",
    "EOFError",
    "Endian",
    "ErrorEvent",
    "Event",
    "EventDispatcher",
    "EventPhase",
    "FetchError",
    "Fetchers",
    "IOError",
    "IOErrorEvent",
    "IllegalOperationError",
    "ObjectEncoding",
    "OutputProgressEvent",
    "PolicyInputs",
    "Problem",
    "ProgressEvent",
    "RangeError",
    "RejectedPath",
    "RevocationPolicy",
    "RevocationReport",
    "RevocationRules",
    "SecureSocket",
    "SecureSocketError",
    "SecurityError",
    "SecurityErrorEvent",
    "Socket",
    "TLSError",
    "TypedObject",
    "UnhandledErrorEventError",
    "Verification",
    "X500DistinguishedName",
    "X509Certificate",
    "__version__",
    "check_revocation",
    "evaluate_offline",
    "set_default_fetchers",
    "verify_chain",
]
