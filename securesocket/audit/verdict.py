"""The verdict on what a server showed: the same trust and revocation code `SecureSocket` runs.

`judge` builds the path with `trust.ChainVerifier` (the socket's verify callback), then, only on a
path that is otherwise valid, runs `revocation.check_revocation` with the staple, as the socket
does after its handshake (see docs/CONTRACTS.md: chain problems take precedence and are the same
under every policy), plus the off-path certificates as `signer_certs`, as the contract asks.
Verifiers are cached per trust setting, so thousands of hosts share one parse of the roots.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from .._status import CertificateStatus
from ..exceptions import ArgumentError
from ..revocation import Fetchers, RevocationPolicy, RevocationReport, check_revocation
from ..trust import ChainVerifier, Problem, RejectedPath
from .describe import describe_certificate, subject_text
from .model import (
    CertificateInfo,
    CertificateRevocationInfo,
    ProblemInfo,
    RejectedPathInfo,
    RevocationAttemptInfo,
    RevocationInfo,
)


@dataclass(frozen=True)
class Verdict:
    """The judgement on one chain, in the audit's terms."""

    status: CertificateStatus
    path: tuple[CertificateInfo, ...]
    problems: tuple[ProblemInfo, ...]
    rejected_paths: tuple[RejectedPathInfo, ...]
    revocation: RevocationInfo | None


class RevocationTimeoutError(Exception):
    """Revocation checking did not finish before the host's deadline."""


_thread = threading.local()
_REQUEST_TIMEOUT = 5.0
_DEADLINE_MARGIN = 0.25


def _fetchers(budget: float) -> Fetchers:
    """This thread's fetchers, bounded to `budget` seconds for this host.

    The revocation layer's process-wide default bundle keeps in-flight fetches as futures of
    the loop that started them, so it must not be shared by threads that each run their own
    loop: each thread keeps its own bundle (and CRL cache), reused across its hosts.
    """
    base: Fetchers | None = getattr(_thread, "fetchers", None)
    if base is None:
        base = _thread.fetchers = Fetchers()
    # Leave a margin so a slow responder ends as a report ("timed out") under the policy,
    # rather than as the host's own deadline expiring with no verdict.
    deadline = max(budget - _DEADLINE_MARGIN, 0.05)
    return dataclasses.replace(base, timeout=min(_REQUEST_TIMEOUT, deadline), deadline=deadline)


@functools.lru_cache(maxsize=64)
def _parsed(ders: tuple[bytes, ...]) -> tuple[x509.Certificate, ...]:
    """The caller's added certificates, parsed once for every host that shares them."""
    return tuple(x509.load_der_x509_certificate(der) for der in ders)


@functools.lru_cache(maxsize=32)
def _verifier(trust: str, anchors: tuple[bytes, ...], extra: tuple[bytes, ...]) -> ChainVerifier:
    return ChainVerifier(trust=trust, anchors=_parsed(anchors), extra=_parsed(extra))


def judge(
    chain: tuple[bytes, ...],
    *,
    server_name: str,
    revocation: str,
    trust: str,
    anchors: tuple[bytes, ...],
    extra: tuple[bytes, ...],
    at: datetime | None,
    staple: bytes | None,
    timeout: float,
) -> Verdict:
    """Judge the chain a server sent for `server_name`, under `revocation` and `trust`.

    `chain[0]` is the server's certificate. Raises RevocationTimeoutError when revocation
    checking outlives `timeout`.
    """
    verifier = _verifier(trust, anchors, extra)
    try:
        presented = tuple(x509.load_der_x509_certificate(der) for der in chain)
        verification = verifier.verify(presented[0], presented[1:], host=server_name, at=at)
    except (ValueError, x509.InvalidVersion, ArgumentError) as exc:
        # A certificate the server sent does not parse: no path, and AS3's "invalid" (the
        # socket's verify callback fails on it too).
        return _malformed(str(exc))
    path = verification.path
    report: RevocationReport | None = None
    status = verification.status
    if verification.trusted:
        # docs/CONTRACTS.md: the certificates off the path (sent or added) may have signed a
        # CRL (a separate CRL-signing key, an indirect CRL issuer); without them such CRLs
        # cannot be authenticated and a strict policy refuses a certificate that is fine.
        on_path = {cert.tbs_certificate_bytes for cert in path}
        pool = (*presented[1:], *_parsed(extra))
        report = _run_revocation(
            path,
            policy=RevocationPolicy(revocation),
            at=at,
            staple=staple,
            issuer_validator=verifier.issuer_validator(at, presented[1:]),
            signer_certs=tuple(c for c in pool if c.tbs_certificate_bytes not in on_path),
            timeout=timeout,
        )
        status = CertificateStatus.TRUSTED if report.accepted else report.status
    return Verdict(
        status=status,
        path=tuple(describe_certificate(cert) for cert in path),
        problems=tuple(_problem(p) for p in verification.problems),
        rejected_paths=tuple(_rejected(r) for r in verification.rejected_paths),
        revocation=None if report is None else revocation_info(report),
    )


def _malformed(message: str) -> Verdict:
    status = CertificateStatus.INVALID
    problem = ProblemInfo(code="malformed_certificate", message=message, status=status, depth=None)
    return Verdict(status=status, path=(), problems=(problem,), rejected_paths=(), revocation=None)


def _run_revocation(
    path: tuple[x509.Certificate, ...],
    *,
    policy: RevocationPolicy,
    at: datetime | None,
    staple: bytes | None,
    issuer_validator: Callable[[x509.Certificate], bool],
    signer_certs: tuple[x509.Certificate, ...],
    timeout: float,
) -> RevocationReport:
    async def bounded() -> RevocationReport:
        return await asyncio.wait_for(
            check_revocation(
                path,
                policy=policy,
                at=at,
                staple=staple,
                issuer_validator=issuer_validator,
                signer_certs=signer_certs,
                fetchers=_fetchers(timeout),
            ),
            timeout=max(timeout, 0.001),
        )

    try:
        # A private loop per call: audit_host runs in plain threads and Dask workers.
        return asyncio.run(bounded())
    except TimeoutError as exc:
        raise RevocationTimeoutError(
            f"revocation checking did not finish within the {timeout:.1f} s left"
        ) from exc


def _problem(problem: Problem) -> ProblemInfo:
    return ProblemInfo(
        code=problem.code, message=problem.message, status=problem.status, depth=problem.depth
    )


def _rejected(rejected: RejectedPath) -> RejectedPathInfo:
    return RejectedPathInfo(
        subjects=tuple(subject_text(cert) for cert in rejected.path),
        complete=rejected.complete,
        status=rejected.status,
        problems=tuple(_problem(p) for p in rejected.problems),
    )


def revocation_info(report: RevocationReport) -> RevocationInfo:
    """The audit's view of a revocation report."""
    return RevocationInfo(
        policy=report.policy.value,
        accepted=report.accepted,
        status=report.status,
        summary=report.summary,
        certificates=tuple(
            CertificateRevocationInfo(
                depth=cert.depth,
                subject=cert.subject,
                serial=cert.serial,
                policy=cert.policy.value,
                declared=tuple(cert.declared),
                attempts=tuple(
                    RevocationAttemptInfo(
                        method=attempt.method.value,
                        origin=attempt.origin,
                        url=attempt.url,
                        latency_ms=attempt.latency_ms,
                        outcome=attempt.outcome.value,
                        detail=attempt.detail,
                        revocation_reason=attempt.revocation_reason,
                        revocation_time=None
                        if attempt.revocation_time is None
                        else attempt.revocation_time.isoformat(),
                    )
                    for attempt in cert.attempts
                ),
                decision=cert.decision.value,
                accepted=cert.accepted,
                reason=cert.reason,
            )
            for cert in report.certificates
        ),
    )
