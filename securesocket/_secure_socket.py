"""`SecureSocket`: AS3's ``flash.net.SecureSocket`` — `Socket` plus TLS, trust and revocation.

# Theory of operation

One connect attempt runs: TCP (inherited from `Socket`) → TLS handshake through the sans-I/O
`TLSEngine` → the chain check inside the handshake → revocation → ``connect``.

- The chain check runs in the shared Context's verify callback at depth 0 (`_TLSSession`,
  found through the connection's app data). A rejection raises `CertificateVerificationError`
  there, so the handshake fails before anything is sent or any ``connect``; the alert OpenSSL
  produced is flushed before the transport closes. After the handshake the session is
  checked again (a verdict must exist and be trusted): a handshake that somehow skipped the
  callback can never connect.
- OCSP stapling is requested on every handshake; the staple (or ``b""``) is kept by the
  session. After the handshake, `check_revocation` runs under the socket's policy with that
  staple; only an accepted report leads to ``connect``. Data that arrives meanwhile is
  buffered and announced with one ``socketData`` right after ``connect``.
- `server_certificate_status` is ``"unknown"`` until an attempt has a result; any failure
  before ``connect`` (TCP refused, timeout, handshake error) sets ``"invalid"`` unless the
  certificate check gave a more specific status. It is kept after `close` and reset by the
  next `connect`. After ``connect`` only a certificate verdict changes it: a TLS 1.2
  renegotiation presenting another certificate is refused (``ioError``) and sets
  ``"invalid"``, with `verification` naming the problem ``certificate_changed``.
- A remote close with close_notify and one without (truncation) both dispatch ``close``;
  `close_truncated` tells them apart.

Certificates added with `add_binary_chain_building_certificate` belong to this socket only
(AS3 leaves the scope open; per socket keeps one socket's trust decisions from changing
another's) and apply from the next `connect`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL

from ._as3names import as3_aliases
from ._context import ContextOptions, client_context
from ._engine import DataReceived, HandshakeCompleted, PeerClosed, TLSEngine
from ._events import ProgressEvent
from ._socket import ConnectAttempt, Socket, socket_error_text
from ._status import CertificateStatus
from .exceptions import ArgumentError, CertificateVerificationError, IOError, TLSError
from .revocation import RevocationPolicy, RevocationReport, check_revocation, evaluate_offline
from .revocation.check import evaluate_without_fetching
from .trust import ChainVerifier, Problem, Verification
from .x509 import X509Certificate


__all__ = ["SecureSocket"]

_REVOCATION_POLICIES = tuple(policy.value for policy in RevocationPolicy)
_TRUST_SOURCES = ("platform", "certifi", "none")
_PROFILES = ("webpki", "rfc5280")


class _TLSSession:
    """Per-attempt state the shared Context's callbacks reach through ``get_app_data()``."""

    __slots__ = ("host", "presented", "staple", "verification", "verifier")

    def __init__(self, verifier: ChainVerifier, host: str) -> None:
        self.verifier = verifier
        self.host = host
        self.staple: bytes | None = None
        self.presented: tuple[x509.Certificate, ...] = ()
        self.verification: Verification | None = None

    def verify_peer(self, conn: SSL.Connection) -> bool:
        """Judge the chain the server sent (depth 0). Raises to reject."""
        chain = conn.get_peer_cert_chain(as_cryptography=True) or []
        if self.verification is not None and not self._judged(chain):
            # A TLS 1.2 renegotiation presenting another certificate: refused outright, as
            # browsers do (triple-handshake attack); a verdict belongs to one certificate.
            self.verification = Verification(
                CertificateStatus.INVALID,
                tuple(chain[:1]),
                (Problem("certificate_changed",
                         "the server presented a different certificate when renegotiating",
                         CertificateStatus.INVALID, 0),),
            )  # fmt: skip
        if self.verification is None:
            if not chain:
                self.verification = Verification(
                    CertificateStatus.INVALID,
                    (),
                    (Problem("no_certificate", "the server sent no certificate",
                             CertificateStatus.INVALID, None),),
                )  # fmt: skip
            else:
                self.presented = tuple(chain[1:])
                try:
                    self.verification = self.verifier.verify(chain[0], chain[1:], host=self.host)
                except Exception as error:  # a verifier bug rejects; it never accepts
                    self.verification = Verification(
                        CertificateStatus.INVALID,
                        (chain[0],),
                        (Problem("verifier_error", f"the chain could not be verified: {error!r}",
                                 CertificateStatus.INVALID, None),),
                    )  # fmt: skip
        if not self.verification.trusted:
            raise _rejection(self.host, self.verification)
        return True

    def _judged(self, chain: list[x509.Certificate]) -> bool:
        path = self.verification.path if self.verification is not None else ()
        return bool(chain) and bool(path) and path[0] == chain[0]

    def store_staple(self, ocsp_der: bytes) -> None:
        self.staple = ocsp_der or None


@functools.lru_cache(maxsize=64)
def shared_verifier(
    trust: str,
    profile: str,
    anchors: tuple[bytes, ...],
    extra: tuple[bytes, ...],
    environment: tuple[str | None, str | None] = (None, None),
) -> ChainVerifier:
    """One `ChainVerifier` per trust configuration, shared by the sockets that use it.

    A verifier keeps per-certificate verdict caches, so sharing it means a new socket to a
    known server does not redo the work; it is thread-safe and holds no per-connection state.
    ``environment`` (SSL_CERT_FILE, SSL_CERT_DIR) is part of the key for "platform" trust,
    as it is for the trust layer's parsed roots: a changed environment gets its own roots.
    """
    return ChainVerifier(
        trust=trust,
        profile=profile,
        anchors=[x509.load_der_x509_certificate(der) for der in anchors],
        extra=[x509.load_der_x509_certificate(der) for der in extra],
    )


def _environment(trust: str) -> tuple[str | None, str | None]:
    if trust != "platform":
        return (None, None)
    return os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")


def _revocation_failure(
    host: str, error: Exception, verification: Verification
) -> CertificateVerificationError:
    return CertificateVerificationError(
        socket_error_text(host, f"revocation check failed: {error!r}"),
        2031,
        status=CertificateStatus.INVALID.value,
        verification=verification,
    )


def _rejection(host: str, verification: Verification) -> CertificateVerificationError:
    return CertificateVerificationError(
        socket_error_text(host, f"certificate {verification.summary()}"),
        2031,
        status=verification.status.value,
        verification=verification,
    )


@as3_aliases
class SecureSocket(Socket):
    """A TLS client socket that only connects to a server whose certificate is trusted.

    Args:
        revocation: "off", "soft-fail" (default, AIR's behaviour), "hard-fail" or "require"
            (see docs/CONTRACTS.md for what each gives).
        trust: where the roots come from besides the added anchors: "platform" (the OS
            bundle, else certifi), "certifi", or "none" (only the anchors added with
            `add_binary_chain_building_certificate`).
        profile: the validation profile passed to the chain verifier ("webpki").
        min_version: the lowest TLS version offered ("TLSv1.2"; TLS 1.3 is preferred).
    """

    is_supported: ClassVar[bool] = True
    """Whether TLS is available here (always True: pyOpenSSL is a dependency)."""

    def __init__(
        self,
        *,
        revocation: str = "soft-fail",
        trust: str = "platform",
        profile: str = "webpki",
        min_version: str = "TLSv1.2",
    ) -> None:
        if str(revocation) not in _REVOCATION_POLICIES:
            raise ArgumentError(
                f"Error #2008: Parameter revocation must be one of the accepted values "
                f"({', '.join(_REVOCATION_POLICIES)}), not {revocation!r}.",
                2008,
            )
        if trust not in _TRUST_SOURCES:
            raise ArgumentError(
                f"Error #2008: Parameter trust must be one of the accepted values "
                f"({', '.join(_TRUST_SOURCES)}), not {trust!r}.",
                2008,
            )
        if profile not in _PROFILES:
            raise ArgumentError(
                f"Error #2008: Parameter profile must be one of the accepted values "
                f"({', '.join(_PROFILES)}), not {profile!r}.",
                2008,
            )
        self._options = ContextOptions(min_version)
        super().__init__()
        self._revocation = RevocationPolicy(str(revocation))
        self._trust = trust
        self._profile = profile
        self._anchors: tuple[bytes, ...] = ()
        self._extra: tuple[bytes, ...] = ()
        self._extra_parsed: tuple[x509.Certificate, ...] = ()  # parsed once, not per connect
        self._verifier: ChainVerifier | None = None
        self._engine: TLSEngine | None = None
        self._session: _TLSSession | None = None
        self._status = CertificateStatus.UNKNOWN
        self._certificate: x509.Certificate | None = None
        self._verification: Verification | None = None
        self._revocation_report: RevocationReport | None = None
        self._truncated = False
        self._close_after_connect = False

    # -- AS3 surface -------------------------------------------------------------------------

    @property
    def server_certificate_status(self) -> str:
        """A `CertificateStatus` value: "unknown" until an attempt has a result."""
        return self._status.value

    @property
    def server_certificate(self) -> X509Certificate | None:
        """The server's certificate once a secure connection exists, else None."""
        if self._certificate is None:
            return None
        return X509Certificate(self._certificate)

    def add_binary_chain_building_certificate(self, certificate: Any, trusted: bool) -> None:
        """Add one DER certificate for this socket's chain building, from the next `connect`.

        ``trusted=True`` makes it a trust anchor; False only offers it as an intermediate.

        Raises:
            ArgumentError: #2004, not exactly one DER-encoded X.509 certificate.
        """
        try:
            der = bytes(certificate)
        except TypeError:
            raise ArgumentError(
                "Error #2004: One of the parameters is invalid. (certificate must be DER bytes)",
                2004,
            ) from None
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError as error:
            raise ArgumentError(
                f"Error #2004: One of the parameters is invalid. (not a DER certificate: {error})",
                2004,
            ) from None
        der = cert.public_bytes(Encoding.DER)
        if trusted:
            self._anchors = (*self._anchors, der)
        else:
            self._extra = (*self._extra, der)
            self._extra_parsed = (*self._extra_parsed, cert)
        self._verifier = None

    # -- extras ------------------------------------------------------------------------------

    @property
    def revocation(self) -> RevocationPolicy:
        """The revocation policy (`RevocationPolicy.SOFT_FAIL` by default)."""
        return self._revocation

    @property
    def verification(self) -> Verification | None:
        """The last chain verification (status, path, problems), or None."""
        return self._verification

    @property
    def revocation_report(self) -> RevocationReport | None:
        """The last `RevocationReport`, or None when revocation did not run."""
        return self._revocation_report

    @property
    def close_truncated(self) -> bool:
        """Whether the last remote close came without a TLS close_notify (a truncation)."""
        return self._truncated

    # -- Socket hooks ------------------------------------------------------------------------

    def _reset_for_attempt(self) -> None:
        super()._reset_for_attempt()
        self._status = CertificateStatus.UNKNOWN
        self._certificate = None
        self._verification = None
        self._revocation_report = None
        self._truncated = False
        self._close_after_connect = False
        self._engine = None
        self._session = None

    def _transport_ready(self, attempt: ConnectAttempt, transport: asyncio.Transport) -> None:
        if self._verifier is None:
            try:
                self._verifier = shared_verifier(
                    self._trust,
                    self._profile,
                    self._anchors,
                    self._extra,
                    _environment(self._trust),
                )
            except Exception as error:  # e.g. an added anchor the verifier refuses
                self._fail(attempt, IOError(socket_error_text(attempt.host, str(error)), 2031))
                return
        self._session = _TLSSession(self._verifier, attempt.host)
        self._engine = TLSEngine(
            client_context(self._options), attempt.host, self._input, app_data=self._session
        )
        try:
            self._engine.start()
        except TLSError as error:
            self._fail(attempt, IOError(socket_error_text(attempt.host, str(error)), 2031))
            return
        transport.write(self._engine.data_to_send())

    def _incoming(self, attempt: ConnectAttempt, data: memoryview) -> None:
        engine = self._engine
        if engine is None:
            return
        try:
            events = engine.receive_data(data)
        except CertificateVerificationError as error:
            self._fail(attempt, error)
            return
        except TLSError as error:
            self._fail(attempt, IOError(socket_error_text(attempt.host, str(error)), 2031))
            return
        except Exception as error:  # a bug below must end the attempt, never the event loop
            self._fail(attempt, IOError(socket_error_text(attempt.host, repr(error)), 2031))
            return
        self._write_engine_output()
        handshake_completed = False
        for event in events:
            if attempt is not self._attempt:
                return  # a listener closed or reconnected the socket
            if isinstance(event, DataReceived):
                # Before ``connect`` the data waits; `_established` announces it all at once.
                if self._connected:
                    self.dispatch_event(
                        ProgressEvent(ProgressEvent.SOCKET_DATA, bytes_loaded=event.nbytes)
                    )
            elif isinstance(event, HandshakeCompleted):
                handshake_completed = True
            elif isinstance(event, PeerClosed):
                self._truncated = event.truncated
                if self._connected:
                    self._remote_closed(attempt)
                else:
                    # Closed before ``connect``: connect (if accepted), data, then close.
                    self._close_after_connect = True
        if handshake_completed and attempt is self._attempt:
            self._handshake_done(attempt)

    def _handshake_done(self, attempt: ConnectAttempt) -> None:
        session = self._session
        verification = session.verification if session is not None else None
        if verification is None or not verification.trusted:
            # The verify callback must have accepted the chain; never connect without it.
            verification = verification or Verification(
                CertificateStatus.INVALID,
                (),
                (Problem("not_verified", "the server's certificate was not verified",
                         CertificateStatus.INVALID, None),),
            )  # fmt: skip
            self._fail(attempt, _rejection(attempt.host, verification))
            return
        self._verification = verification
        staple = session.staple if session is not None else None
        if self._revocation is RevocationPolicy.OFF:
            # Nothing is checked under "off": the (pure) report is ready now, no task needed.
            try:
                report = evaluate_offline(
                    verification.path, policy=self._revocation, at=dt.datetime.now(dt.UTC)
                )
            except Exception as error:  # fail closed, as the asynchronous path does
                self._fail(attempt, _revocation_failure(attempt.host, error, verification))
                return
            self._revocation_done(attempt, verification, report)
            return
        presented = session.presented if session is not None else ()
        now = dt.datetime.now(dt.UTC)
        try:
            # The common case (nothing declared, so nothing to fetch) is decided right here:
            # no task, no extra event-loop turn before ``connect``.
            ready = evaluate_without_fetching(
                verification.path,
                policy=self._revocation,
                at=now,
                staple=staple,
                issuer_validator=self._issuer_validator(now, presented),
                signer_certs=self._signer_pool(verification, presented),
            )
        except Exception as error:  # fail closed, as the asynchronous path does
            self._fail(attempt, _revocation_failure(attempt.host, error, verification))
            return
        if ready is not None:
            self._revocation_done(attempt, verification, ready)
            return
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(
            self._revocation_step(attempt, verification, staple, presented)
        )

    def _issuer_validator(
        self, now: dt.datetime, presented: tuple[x509.Certificate, ...]
    ) -> Callable[[x509.Certificate], bool] | None:
        verifier = self._verifier
        return verifier.issuer_validator(now, presented) if verifier is not None else None

    def _signer_pool(
        self, verification: Verification, presented: tuple[x509.Certificate, ...]
    ) -> tuple[x509.Certificate, ...]:
        """docs/CONTRACTS.md: certificates off the path (sent by the server or added) may
        have signed a CRL; without them a strict policy refuses a certificate that is fine."""
        pool = (*presented, *self._extra_parsed)
        if not pool:
            return ()
        on_path = {cert.tbs_certificate_bytes for cert in verification.path}
        return tuple(c for c in pool if c.tbs_certificate_bytes not in on_path)

    async def _revocation_step(
        self,
        attempt: ConnectAttempt,
        verification: Verification,
        staple: bytes | None,
        presented: tuple[x509.Certificate, ...],
    ) -> None:
        now = dt.datetime.now(dt.UTC)
        try:
            report = await check_revocation(
                verification.path,
                policy=self._revocation,
                at=now,
                staple=staple,
                issuer_validator=self._issuer_validator(now, presented),
                signer_certs=self._signer_pool(verification, presented),
            )
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a revocation bug must fail closed, never crash the loop
            self._fail(attempt, _revocation_failure(attempt.host, error, verification))
            return
        self._revocation_done(attempt, verification, report)

    def _revocation_done(
        self, attempt: ConnectAttempt, verification: Verification, report: RevocationReport
    ) -> None:
        """Revocation has its answer: ``connect``, or ``ioError`` with the report's status."""
        if attempt is not self._attempt:
            return
        self._revocation_report = report
        if report.accepted:
            self._verification = dataclasses.replace(verification, revocation=report)
        else:
            # As `verify_chain` does: the report's status, with its summary as the one problem,
            # so `summary()` and the ioError text say why.
            refused = Problem("revocation", report.summary, CertificateStatus(report.status), 0)
            self._verification = dataclasses.replace(
                verification,
                status=refused.status,
                problems=(refused,),
                revocation=report,
            )
        status = self._verification.status
        if not report.accepted:
            self._fail(
                attempt,
                CertificateVerificationError(
                    socket_error_text(
                        attempt.host, f"certificate {status.value}: {report.summary}"
                    ),
                    2031,
                    status=status.value,
                    verification=self._verification,
                ),
            )
            return
        self._status = CertificateStatus.TRUSTED
        self._certificate = verification.path[0]
        self._established(attempt)
        if self._close_after_connect and attempt is self._attempt:
            self._remote_closed(attempt)

    def _on_failure(self, error: Exception) -> None:
        if self._connected and not isinstance(error, CertificateVerificationError):
            return  # the certificate was trusted; the status describes it, not the I/O.
        # Before ``connect``: the attempt's result. After it: a TLS 1.2 renegotiation that
        # presented another certificate was refused; status and verification say so
        # ("invalid", problem "certificate_changed"), `server_certificate` stays the one the
        # connection was established with.
        if isinstance(error, CertificateVerificationError):
            self._status = CertificateStatus(error.status)
            if isinstance(error.verification, Verification):
                self._verification = error.verification
        else:
            self._status = CertificateStatus.INVALID
        # Flush the alert that explains the failure before the transport closes.
        self._write_engine_output()

    def _send_flushed(self, data: bytes) -> None:
        engine = self._engine
        attempt = self._attempt
        if engine is None:
            return
        try:
            engine.send(data)
        except TLSError as error:
            if attempt is not None:
                self._fail(attempt, IOError(socket_error_text(attempt.host, str(error)), 2031))
            return
        self._write_engine_output()

    def _peer_eof(self, attempt: ConnectAttempt) -> None:
        if self._engine is None:
            super()._peer_eof(attempt)
            return
        self._incoming(attempt, memoryview(b""))

    def _local_close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._write_engine_output()
        if self._status is CertificateStatus.UNKNOWN and self._attempt is not None:
            # A local close mid-attempt ends it without a result: still a failed attempt.
            self._status = CertificateStatus.INVALID

    def _write_engine_output(self) -> None:
        if self._engine is None or self._transport is None or self._transport.is_closing():
            return
        out = self._engine.data_to_send()
        if out:
            self._transport.write(out)

    if TYPE_CHECKING:  # the AS3 spellings, for type checkers; as3_aliases installs them
        isSupported = is_supported
        serverCertificate = server_certificate
        serverCertificateStatus = server_certificate_status
        addBinaryChainBuildingCertificate = add_binary_chain_building_certificate
