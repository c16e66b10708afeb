"""The caller's arguments to `evaluate_offline` / `check_revocation`, checked at the door: a
wrong type is an `ArgumentError` naming the argument, never an AttributeError from deep inside."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from cryptography import x509
from cryptography.x509 import ocsp

from ..exceptions import ArgumentError


__all__ = ["certificates", "crl_inputs", "moment", "ocsp_inputs", "staple_bytes"]

_BYTES = (bytes, bytearray, memoryview)


def _fail(name: str, index: int | None, value: object, expected: str) -> ArgumentError:
    where = name if index is None else f"{name}[{index}]"
    return ArgumentError(f"{where} must be {expected}, not {type(value).__name__}", 2004)


def certificates(
    name: str, items: Iterable[object], *, empty: bool
) -> tuple[x509.Certificate, ...]:
    """cryptography certificates; `empty=False` refuses an empty sequence (a path has at least
    its anchor)."""
    out = tuple(items)
    for index, item in enumerate(out):
        if not isinstance(item, x509.Certificate):
            raise _fail(name, index, item, "a cryptography x509.Certificate")
    if not out and not empty:
        raise ArgumentError(f"{name} is empty: it must run from the leaf to the anchor", 2004)
    return out  # type: ignore[return-value]


def crl_inputs(items: Iterable[object]) -> tuple[bytes | x509.CertificateRevocationList, ...]:
    """DER/PEM bytes or parsed CRLs."""
    out: list[bytes | x509.CertificateRevocationList] = []
    for index, item in enumerate(items):
        if isinstance(item, x509.CertificateRevocationList):
            out.append(item)
        elif isinstance(item, _BYTES):
            out.append(bytes(item))
        else:
            raise _fail("crls", index, item, "bytes or an x509.CertificateRevocationList")
    return tuple(out)


def ocsp_inputs(items: Iterable[object]) -> tuple[bytes | ocsp.OCSPResponse, ...]:
    """DER bytes or parsed OCSP responses."""
    out: list[bytes | ocsp.OCSPResponse] = []
    for index, item in enumerate(items):
        if isinstance(item, ocsp.OCSPResponse):
            out.append(item)
        elif isinstance(item, _BYTES):
            out.append(bytes(item))
        else:
            raise _fail("ocsp_responses", index, item, "bytes or an ocsp.OCSPResponse")
    return tuple(out)


def staple_bytes(staple: object) -> bytes | None:
    if staple is None:
        return None
    if isinstance(staple, _BYTES):
        return bytes(staple)
    raise _fail("staple", None, staple, "bytes or None")


def moment(at: object) -> datetime:
    if not isinstance(at, datetime):
        raise _fail("at", None, at, "a datetime")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ArgumentError("at must be timezone-aware (e.g. datetime.now(UTC))", 2004)
    return at
