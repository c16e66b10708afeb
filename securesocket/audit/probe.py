"""`audit_host`: audit one host, returning an `AuditResult`; the unit every runner maps.

It is a plain module-level function of picklable arguments returning a picklable frozen
dataclass, so it maps over threads, processes or a Dask cluster unchanged. It never raises for
anything the target does: refusals, timeouts, TLS failures and bad certificates are all results.
Only the caller's own mistakes (an unknown policy or trust setting) raise ValueError, before
any connection. A bug of ours becomes an ``internal-error`` result carrying the trace, so one
host never aborts a run over thousands.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .._status import CertificateStatus
from .describe import describe_der
from .handshake import Handshake, HandshakeFailedError, fetch_handshake
from .model import (
    AuditResult,
    CertificateInfo,
    ConnectionInfo,
    ErrorInfo,
    ErrorReason,
    Outcome,
    Settings,
    Target,
)


REVOCATION_POLICIES = ("off", "soft-fail", "hard-fail", "require")
TRUST_SETTINGS = ("platform", "certifi", "none")
DEFAULT_PORT = 443
DEFAULT_TIMEOUT = 10.0


def audit_host(
    host: str,
    port: int = DEFAULT_PORT,
    *,
    server_name: str | None = None,
    revocation: str = "soft-fail",
    trust: str = "platform",
    anchors: Sequence[bytes] = (),
    extra: Sequence[bytes] = (),
    at: datetime | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> AuditResult:
    """Connect to `host`:`port`, handshake, and judge its certificate; never raises for the host.

    Args:
        host: host name or IP address to connect to.
        port: TCP port.
        server_name: the name sent as SNI and checked against the certificate (default: host).
        revocation: "off", "soft-fail" (AIR's behaviour), "hard-fail" or "require".
        trust: which roots to trust: "platform", "certifi" or "none".
        anchors: extra trust anchors, DER.
        extra: extra chain-building (not trusted) certificates, DER.
        at: the validation time (aware datetime); default now.
        timeout: one deadline, in seconds, for connect, handshake and revocation checking.

    Raises:
        ValueError: for an empty host, a port outside 1-65535, an unknown `revocation` or
            `trust` value, a timeout that is not positive and finite, or a naive `at`.
    """
    if not host:
        raise ValueError("host must not be empty")
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is outside 1-65535")
    if revocation not in REVOCATION_POLICIES:
        raise ValueError(f"unknown revocation policy {revocation!r}")
    if trust not in TRUST_SETTINGS:
        raise ValueError(f"unknown trust setting {trust!r}")
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError("timeout must be positive and finite")
    if at is not None and at.tzinfo is None:
        raise ValueError("at must be an aware datetime")
    run = _Run(
        target=Target(host=host, port=port, server_name=server_name or host),
        settings=Settings(
            revocation=revocation,
            trust=trust,
            at=None if at is None else at.isoformat(),
            timeout=timeout,
            added_anchors=len(anchors),
            added_intermediates=len(extra),
        ),
        started_at=datetime.now(UTC).isoformat(),
        start=time.perf_counter(),
    )
    deadline = time.monotonic() + timeout
    try:
        try:
            shake = fetch_handshake(run.target, timeout=timeout)
        except HandshakeFailedError as exc:
            return run.no_verdict(exc.reason, exc.message)
        return _judged(run, shake, anchors=anchors, extra=extra, at=at, deadline=deadline)
    # A bug of ours must become a result, not a crash that loses the other hosts.
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        return run.no_verdict(ErrorReason.INTERNAL_ERROR, message, traceback.format_exc())


@dataclass(frozen=True)
class _Run:
    """The parts of a result fixed before the connection starts."""

    target: Target
    settings: Settings
    started_at: str
    start: float

    def elapsed_ms(self) -> float:
        return round((time.perf_counter() - self.start) * 1000, 3)

    def no_verdict(
        self,
        reason: ErrorReason,
        message: str,
        trace: str | None = None,
        *,
        connection: ConnectionInfo | None = None,
        chain_sent: tuple[CertificateInfo, ...] = (),
    ) -> AuditResult:
        internal = reason is ErrorReason.INTERNAL_ERROR
        return AuditResult(
            target=self.target,
            settings=self.settings,
            outcome=Outcome.INTERNAL_ERROR if internal else Outcome.UNREACHABLE,
            # AS3's meaning: "invalid" is also what a TCP or TLS failure gives.
            status=CertificateStatus.INVALID,
            connection=connection,
            chain_sent=chain_sent,
            path_built=(),
            problems=(),
            rejected_paths=(),
            revocation=None,
            error=ErrorInfo(reason=reason, message=message, trace=trace),
            started_at=self.started_at,
            duration_ms=self.elapsed_ms(),
        )


def _judged(
    run: _Run,
    shake: Handshake,
    *,
    anchors: Sequence[bytes],
    extra: Sequence[bytes],
    at: datetime | None,
    deadline: float,
) -> AuditResult:
    # Imported here so that a broken trust or revocation layer turns into internal-error
    # results (with the trace) instead of stopping the command from starting at all.
    from .verdict import RevocationTimeoutError, judge  # noqa: PLC0415

    connection = ConnectionInfo(
        address=shake.address,
        protocol=shake.protocol,
        cipher=shake.cipher,
        stapled_ocsp=shake.staple is not None,
    )
    chain_sent = tuple(describe_der(der) for der in shake.chain)
    try:
        verdict = judge(
            shake.chain,
            server_name=run.target.server_name,
            revocation=run.settings.revocation,
            trust=run.settings.trust,
            anchors=tuple(anchors),
            extra=tuple(extra),
            at=at,
            staple=shake.staple,
            timeout=deadline - time.monotonic(),
        )
    except RevocationTimeoutError as exc:
        return run.no_verdict(
            ErrorReason.TIMEOUT, str(exc), connection=connection, chain_sent=chain_sent
        )
    trusted = verdict.status is CertificateStatus.TRUSTED
    return AuditResult(
        target=run.target,
        settings=run.settings,
        outcome=Outcome.TRUSTED if trusted else Outcome.NOT_TRUSTED,
        status=verdict.status,
        connection=connection,
        chain_sent=chain_sent,
        path_built=verdict.path,
        problems=verdict.problems,
        rejected_paths=verdict.rejected_paths,
        revocation=verdict.revocation,
        error=None,
        started_at=run.started_at,
        duration_ms=run.elapsed_ms(),
    )
