"""OCSP responders for tests: a Python one on 127.0.0.1 that can misbehave, and ``openssl ocsp``.

# The Python responder
Serves RFC 6960 POST (DER body) and GET (``/<url-encoded base64 DER>``) for any number of
fixture CAs: the request's CertID picks the CA, the CA's ledger gives the status. It echoes the
request nonce, signs with the CA or a delegated responder, and records every request (tests
assert caching and fetch order on ``requests``). One `OCSPFault` at a time makes it misbehave;
the fault can be changed while it runs.

The real ``openssl ocsp`` responder is `OpenSSLOCSPResponder`, in ``openssl_ocsp.py`` (kept
importable from here).
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from ._http import LoopbackHTTPServer, OCSPHandler, QuietHandler
from ._keys import KeyType, fixed_key
from ._ocsp import build_response, error_response, find_issuer
from .ca import CA, LeafCert


__all__ = ["OCSPFault", "OCSPRequestRecord", "OCSPResponder", "OpenSSLOCSPResponder", "answer"]

UTC = _dt.UTC


class OCSPFault(enum.Enum):
    """Ways the Python responder can misbehave (NONE: answer correctly)."""

    NONE = "none"
    TRY_LATER = "tryLater"
    """An unsigned ``tryLater`` error response."""
    INTERNAL_ERROR = "internalError"
    """An unsigned ``internalError`` error response."""
    UNAUTHORISED_SIGNER = "unauthorisedSigner"
    """Signed by a certificate the CA issued *without* id-kp-OCSPSigning."""
    FOREIGN_SIGNER = "foreignSigner"
    """Signed by a proper OCSP responder certificate, but one from another CA."""
    STALE = "stale"
    """thisUpdate 14 days ago, nextUpdate 7 days ago."""
    NO_NEXT_UPDATE = "noNextUpdate"
    """A fresh answer without nextUpdate."""
    TRUNCATED = "truncated"
    """A correct answer cut in half."""
    GARBAGE = "garbage"
    """HTTP 200 with bytes that are not DER."""
    HTTP_ERROR = "httpError"
    """HTTP 500."""
    SLOW = "slow"
    """A correct answer, after ``delay`` seconds (cut short when the server stops)."""
    NONCE_MISMATCH = "nonceMismatch"
    """A correct answer carrying a different nonce from the request's."""
    NO_NONCE = "noNonce"
    """A correct answer that ignores the request's nonce."""

    @property
    def reaches_the_client(self) -> bool:
        """False for the faults of the transport (HTTP 500, garbage, an answer after the
        client's timeout): the client gets no OCSP response at all, so offline there is none."""
        return self not in (OCSPFault.HTTP_ERROR, OCSPFault.GARBAGE, OCSPFault.SLOW)


@dataclass(frozen=True)
class OCSPRequestRecord:
    """One request the responder received."""

    method: str
    serial: int | None
    nonce: bytes | None
    issuer: str | None


class OCSPResponder(LoopbackHTTPServer):
    """An OCSP responder on 127.0.0.1 for ``cas`` (see the module header).

    Args:
        cas: the CAs it answers for (more can be added with `add_ca`).
        delegated: CA → delegated responder certificate to sign that CA's answers with.
        fault: how to misbehave (see `OCSPFault`); settable later through ``fault``.
        delay: the wait for `OCSPFault.SLOW`, in seconds.
        clock: where "now" comes from (for thisUpdate).
        validity: nextUpdate - thisUpdate for fresh answers.
    """

    handler_class: ClassVar[type[QuietHandler]] = OCSPHandler

    def __init__(
        self,
        cas: Iterable[CA] = (),
        *,
        delegated: Mapping[CA, LeafCert] | None = None,
        fault: OCSPFault = OCSPFault.NONE,
        delay: float = 30.0,
        clock: Callable[[], _dt.datetime] | None = None,
        validity: _dt.timedelta = _dt.timedelta(days=1),
    ) -> None:
        super().__init__()
        self.cas: list[CA] = list(cas)
        self.delegated: dict[CA, LeafCert] = dict(delegated or {})
        self.fault = fault
        self.delay = delay
        self.clock = clock or (lambda: _dt.datetime.now(UTC))
        self.validity = validity
        self.requests: list[OCSPRequestRecord] = []
        self._rogues: dict[tuple[CA, OCSPFault], LeafCert] = {}

    @property
    def url(self) -> str:
        """The URL to put in AIA (``http://127.0.0.1:<port>/``)."""
        return self.base_url + "/"

    def add_ca(self, ca: CA, *, delegated: LeafCert | None = None) -> None:
        """Answer for ``ca`` too (optionally through a delegated responder)."""
        self.cas.append(ca)
        if delegated is not None:
            self.delegated[ca] = delegated

    def respond(self, method: str, body: bytes) -> tuple[int, bytes]:
        """The HTTP status and body for one request (the HTTP handler's whole job)."""
        fault = self.fault
        try:
            request = ocsp.load_der_ocsp_request(body)
        except ValueError:
            self.requests.append(OCSPRequestRecord(method, None, None, None))
            return 200, _der(error_response(ocsp.OCSPResponseStatus.MALFORMED_REQUEST))
        nonce = _nonce(request)
        ca = find_issuer(self.cas, request)
        self.requests.append(
            OCSPRequestRecord(
                method, request.serial_number, nonce, ca.subject.rfc4514_string() if ca else None
            )
        )
        if fault is OCSPFault.HTTP_ERROR:
            return 500, b"internal server error\n"
        if fault is OCSPFault.GARBAGE:
            return 200, b"this is not an OCSP response\n"
        if ca is None:
            return 200, _der(error_response(ocsp.OCSPResponseStatus.UNAUTHORIZED))
        if fault is OCSPFault.SLOW and self.stopping.wait(self.delay):
            return 503, b"responder stopping\n"
        der = answer(
            ca,
            serial=request.serial_number,
            hash_algorithm=request.hash_algorithm,
            nonce=nonce,
            now=self.clock(),
            fault=fault,
            delegated=self.delegated.get(ca),
            validity=self.validity,
            rogues=self._rogues,
        )
        return 200, der


def answer(
    ca: CA,
    *,
    serial: int,
    hash_algorithm: hashes.HashAlgorithm,
    nonce: bytes | None,
    now: _dt.datetime,
    fault: OCSPFault = OCSPFault.NONE,
    delegated: LeafCert | None = None,
    validity: _dt.timedelta = _dt.timedelta(days=1),
    rogues: dict[tuple[CA, OCSPFault], LeafCert] | None = None,
    pin_produced_at: bool = False,
) -> bytes:
    """The DER body a responder with ``fault`` sends for one CertID (no transport faults).

    The live responder and the offline fixtures share this, so an offline scenario holds
    exactly the bytes its live responder would send. ``pin_produced_at`` sets producedAt to
    thisUpdate instead of the current time (reproducible offline fixtures).
    """
    if fault is OCSPFault.TRY_LATER:
        return _der(error_response(ocsp.OCSPResponseStatus.TRY_LATER))
    if fault is OCSPFault.INTERNAL_ERROR:
        return _der(error_response(ocsp.OCSPResponseStatus.INTERNAL_ERROR))
    now = now.replace(microsecond=0)
    this_update, next_update = now, now + validity
    if fault is OCSPFault.STALE:
        this_update, next_update = now - _dt.timedelta(days=14), now - _dt.timedelta(days=7)
    if fault is OCSPFault.NONCE_MISMATCH and nonce is not None:
        nonce = bytes(b ^ 0xFF for b in nonce)
    if fault is OCSPFault.NO_NONCE:
        nonce = None
    response = build_response(
        ca,
        serial=serial,
        at=this_update,
        next_update=None if fault is OCSPFault.NO_NEXT_UPDATE else next_update,
        status=None,
        responder=_signer(ca, fault, delegated, {} if rogues is None else rogues),
        nonce=nonce,
        hash_algorithm=hash_algorithm,
        produced_at=this_update if pin_produced_at else None,
    )
    der = _der(response)
    return der[: len(der) // 2] if fault is OCSPFault.TRUNCATED else der


def _signer(
    ca: CA,
    fault: OCSPFault,
    delegated: LeafCert | None,
    rogues: dict[tuple[CA, OCSPFault], LeafCert],
) -> LeafCert | None:
    """Who signs: the delegated responder or the CA, or for the signer faults a wrong signer.

    Wrong signers use committed RSA keys so that offline fixtures stay byte-for-byte stable.
    """
    if fault not in (OCSPFault.UNAUTHORISED_SIGNER, OCSPFault.FOREIGN_SIGNER):
        return delegated
    rogue = rogues.get((ca, fault))
    if rogue is None:
        if fault is OCSPFault.UNAUTHORISED_SIGNER:
            rogue = ca.issue_ocsp_responder(
                "Not an OCSP signer",
                ocsp_signing=False,
                key=fixed_key("spare-1", KeyType.RSA_2048),
                serial=0x5EC0DE01,
            )
        else:
            stranger = CA(common_name="Foreign CA", key=fixed_key("foreign-ca"), serial=0x5EC0DE02)
            rogue = stranger.issue_ocsp_responder(
                "Foreign OCSP responder",
                key=fixed_key("spare-2", KeyType.RSA_2048),
                serial=0x5EC0DE03,
            )
        rogues[(ca, fault)] = rogue
    return rogue


def _der(response: ocsp.OCSPResponse) -> bytes:
    return response.public_bytes(serialization.Encoding.DER)


def _nonce(request: ocsp.OCSPRequest) -> bytes | None:
    try:
        return request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None


# The openssl responder lives in its own module; this import path keeps working.
from .openssl_ocsp import OpenSSLOCSPResponder  # noqa: E402
