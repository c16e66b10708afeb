"""The verify step SecureSocket runs inside the handshake, behind one small interface.

`make_verifier` returns the project's `trust.ChainVerifier` when it is available; otherwise a
`FallbackVerifier` that still verifies for real (never accept-all): cryptography's
`PolicyBuilder` path validation against the platform roots (certifi) plus the anchors the
caller added, and the host name with service-identity. Its failures are mapped to a
`CertificateStatus` by cheap checks that run only after a rejection.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
from collections.abc import Sequence
from typing import Protocol, cast

import certifi
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from ._status import CertificateStatus
from .trust.names import host_mismatch, parse_ip
from .trust.result import Problem, Verification


__all__ = ["FallbackVerifier", "PeerVerifier", "make_verifier"]


class PeerVerifier(Protocol):
    """What the handshake needs: judge the chain a server presented, for a host."""

    def verify(
        self,
        leaf: x509.Certificate,
        presented: Sequence[x509.Certificate],
        *,
        host: str | None,
        at: dt.datetime | None = None,
    ) -> Verification:
        """The verdict (status, path, problems); never raises for a bad certificate."""
        ...


@functools.cache
def platform_roots() -> tuple[x509.Certificate, ...]:
    """The platform trust store (certifi's bundle), parsed once per process."""
    with open(certifi.where(), "rb") as bundle:
        return tuple(x509.load_pem_x509_certificates(bundle.read()))


class FallbackVerifier:
    """Chain and name verification with cryptography + service-identity (no own path builder).

    Args:
        trust: "platform" (certifi roots plus ``anchors``) or "explicit" (``anchors`` only).
        anchors: extra trust anchors (``add_binary_chain_building_certificate(der, True)``).
        extra: extra untrusted certificates that may help build the path.
    """

    def __init__(
        self,
        *,
        trust: str = "platform",
        anchors: Sequence[x509.Certificate] = (),
        extra: Sequence[x509.Certificate] = (),
    ) -> None:
        roots = list(anchors)
        if trust == "platform":
            roots += platform_roots()
        self._anchors = tuple(anchors)
        self._store = Store(roots) if roots else None
        self._extra = tuple(extra)

    def verify(
        self,
        leaf: x509.Certificate,
        presented: Sequence[x509.Certificate],
        *,
        host: str | None,
        at: dt.datetime | None = None,
    ) -> Verification:
        """Validate ``leaf`` (with ``presented`` intermediates) for ``host`` at ``at``."""
        now = at or dt.datetime.now(dt.UTC)
        intermediates = [*presented, *self._extra]
        if self._store is None:
            return self._rejected(leaf, now, host, "no trust anchors are configured")
        builder = PolicyBuilder().store(self._store).time(now)
        ip = parse_ip(host) if host else None
        try:
            if host is None:
                path = builder.build_client_verifier().verify(leaf, intermediates).chain
            else:
                subject: x509.DNSName | x509.IPAddress = (
                    x509.IPAddress(ip) if ip is not None else x509.DNSName(host.rstrip("."))
                )
                path = builder.build_server_verifier(subject).verify(leaf, intermediates)
        except VerificationError as error:
            return self._rejected(leaf, now, host, str(error))
        except ValueError as error:  # an unencodable host name
            return self._rejected(leaf, now, host, str(error))
        return Verification(CertificateStatus.TRUSTED, tuple(path))

    def _rejected(
        self, leaf: x509.Certificate, now: dt.datetime, host: str | None, reason: str
    ) -> Verification:
        # cryptography's VerificationError carries only text: find the status with direct checks.
        problems: list[Problem] = []
        if leaf.not_valid_after_utc < now:
            problems.append(
                Problem(
                    "expired",
                    f"the server certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d}",
                    CertificateStatus.EXPIRED,
                    0,
                )
            )
        if leaf.not_valid_before_utc > now:
            problems.append(
                Problem(
                    "not_yet_valid",
                    f"the server certificate is not valid before "
                    f"{leaf.not_valid_before_utc:%Y-%m-%d}",
                    CertificateStatus.NOT_YET_VALID,
                    0,
                )
            )
        mismatch = host_mismatch(leaf, host) if host else None
        if mismatch:
            problems.append(
                Problem("host_mismatch", mismatch, CertificateStatus.PRINCIPAL_MISMATCH, 0)
            )
        if not problems:
            lowered = reason.lower()
            if "candidates exhausted" in lowered or "no trust anchors" in lowered:
                status = CertificateStatus.UNTRUSTED_SIGNERS
                code = "no_path_to_anchor"
            else:
                status, code = CertificateStatus.INVALID_CHAIN, "invalid_chain"
            problems.append(Problem(code, reason, status, None))
        return Verification(problems[0].status, (leaf,), tuple(problems))


def make_verifier(
    *,
    trust: str = "platform",
    profile: str = "webpki",
    anchors: Sequence[x509.Certificate] = (),
    extra: Sequence[x509.Certificate] = (),
) -> PeerVerifier:
    """The project's `ChainVerifier` when the trust package provides it, else the fallback."""
    try:
        trust_package = importlib.import_module("securesocket.trust")
        chain_verifier = trust_package.ChainVerifier
    except (ImportError, AttributeError):
        return FallbackVerifier(trust=trust, anchors=anchors, extra=extra)
    return cast(
        PeerVerifier,
        chain_verifier(trust=trust, anchors=tuple(anchors), extra=tuple(extra), profile=profile),
    )
