"""The fixture matrix: every scenario of the fixture PKI audited under every revocation policy.

Each scenario's servers are started once on 127.0.0.1 (`scenario.start()`), audited under each
policy with the real `audit_host`, and stopped; scenarios run a few at a time. Each outcome is
compared with the status the scenario catalogue (`securesocket.testing.scenarios`) says a correct
client reports; the command fails if any differs. The catalogue is read through the small
protocols below, so this module depends only on the seam in docs/CONTRACTS.md.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from .._status import CertificateStatus
from .model import AuditResult, MatrixCell, MatrixReport, MatrixRow
from .probe import REVOCATION_POLICIES, audit_host


class LiveScenario(Protocol):
    """A started scenario: where to connect and what to add to the trust settings."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def server_name(self) -> str: ...
    @property
    def anchors(self) -> Sequence[Any]: ...
    @property
    def extra(self) -> Sequence[Any]: ...


class Scenario(Protocol):
    """A catalogue entry: what a correct client reports per policy, and how to start it."""

    @property
    def expected(self) -> Mapping[Any, CertificateStatus]: ...
    def start(self) -> AbstractContextManager[LiveScenario]: ...


class CatalogueUnavailableError(RuntimeError):
    """The scenario catalogue cannot be imported or has no scenarios."""


AuditFunction = Callable[..., AuditResult]


def load_catalogue() -> Mapping[str, Scenario]:
    """`securesocket.testing.scenarios.SCENARIOS`, or CatalogueUnavailableError saying why."""
    try:
        module = importlib.import_module("securesocket.testing.scenarios")
    except Exception as exc:  # any import-time failure of another layer, reported plainly
        raise CatalogueUnavailableError(
            f"the fixture scenario catalogue cannot be imported: {type(exc).__name__}: {exc}"
        ) from exc
    catalogue = getattr(module, "SCENARIOS", None)
    if not isinstance(catalogue, Mapping) or not catalogue:
        raise CatalogueUnavailableError("securesocket.testing.scenarios.SCENARIOS is empty")
    return catalogue


def _der(cert: Any) -> bytes:
    """Catalogue certificates may be DER bytes or objects with ``public_bytes`` / ``bytes()``."""
    if isinstance(cert, bytes | bytearray):
        return bytes(cert)
    if hasattr(cert, "public_bytes"):
        from cryptography.hazmat.primitives.serialization import Encoding  # noqa: PLC0415

        return bytes(cert.public_bytes(Encoding.DER))
    raise TypeError(f"cannot turn {type(cert).__name__} into DER")


def _expected(scenario: Scenario, policy: str) -> CertificateStatus:
    # The catalogue may key by policy value or by RevocationPolicy member (a str enum).
    for key, status in scenario.expected.items():
        if str(getattr(key, "value", key)) == policy:
            return CertificateStatus(status)
    raise KeyError(f"the catalogue has no expectation for policy {policy!r}")


def _validation_time(scenario: Scenario, live: LiveScenario) -> datetime | None:
    for source in (live, scenario):
        at = getattr(source, "at", None)
        if isinstance(at, datetime):
            return at
    return None


def _detail(result: AuditResult) -> str:
    if result.error is not None:
        return f"{result.error.reason.value}: {result.error.message}"
    if result.problems:
        return result.problems[0].message
    if result.revocation is not None:
        return result.revocation.summary
    return result.status.value


def _description(scenario: Scenario) -> str:
    text = getattr(scenario, "description", "") or ""
    return str(text)


def revoked_by_ca(live: LiveScenario) -> bool | None:
    """Whether a CA of the started scenario has revoked a certificate on its chain.

    Read from the CAs' own ledgers (``live.materials``: ``path_certificates`` and ``cas``, each
    CA with ``certificate`` and ``ledger``), the records its CRLs and responders are made from,
    so it holds whether or not a client can reach them: the one thing no policy's outcome can
    tell when the sources are down or not declared. None when the scenario does not carry them.
    """
    materials = getattr(live, "materials", None)
    chain = getattr(materials, "path_certificates", None)
    cas = getattr(materials, "cas", None)
    if chain is None or not isinstance(cas, Mapping):
        return None
    for cert in chain:
        for ca in cas.values():
            ledger = getattr(ca, "ledger", None)
            ca_cert = getattr(ca, "certificate", None)
            if ledger is None or ca_cert is None or ca_cert.subject != cert.issuer:
                continue
            serial = cert.serial_number
            if ledger.issued(serial) and ledger.revocation(serial) is not None:
                return True
    return False


def run_scenario(
    name: str,
    scenario: Scenario,
    policies: Sequence[str],
    *,
    timeout: float,
    audit: AuditFunction = audit_host,
) -> MatrixRow:
    """Start one scenario, audit it under each policy, compare with the catalogue, stop it.

    The policies are audited at once (each is its own connection and revocation check), so a
    scenario whose sources time out costs one timeout, not one per policy.
    """
    try:
        expected = {policy: _expected(scenario, policy) for policy in policies}
        with scenario.start() as live:
            anchors = tuple(_der(c) for c in live.anchors)
            extra = tuple(_der(c) for c in live.extra)
            at = _validation_time(scenario, live)
            revoked = revoked_by_ca(live)

            def audit_under(policy: str) -> AuditResult:
                return audit(
                    live.host,
                    live.port,
                    server_name=live.server_name,
                    revocation=policy,
                    trust="none",
                    anchors=anchors,
                    extra=extra,
                    at=at,
                    timeout=timeout,
                )

            with ThreadPoolExecutor(len(policies) or 1, thread_name_prefix="policy") as pool:
                results = list(pool.map(audit_under, policies))
        cells = tuple(
            MatrixCell(
                policy=policy,
                expected=expected[policy],
                actual=result.status,
                matches=result.status is expected[policy],
                detail=_detail(result),
                result=result,
            )
            for policy, result in zip(policies, results, strict=True)
        )
    except Exception as exc:  # one broken scenario must not hide the others
        return MatrixRow(
            scenario=name,
            description=_description(scenario),
            cells=(),
            error=f"{type(exc).__name__}: {exc}",
            revoked_by_ca=None,
        )
    return MatrixRow(
        scenario=name,
        description=_description(scenario),
        cells=cells,
        error=None,
        revoked_by_ca=revoked,
    )


def run_matrix(
    catalogue: Mapping[str, Scenario],
    *,
    policies: Sequence[str] = REVOCATION_POLICIES,
    timeout: float = 10.0,
    workers: int = 4,
    audit: AuditFunction = audit_host,
    on_row: Callable[[MatrixRow], None] | None = None,
) -> MatrixReport:
    """Audit every scenario in `catalogue` under every policy; rows keep the catalogue's order.

    `on_row` is called with each row as its scenario finishes (for progress on a terminal).
    """
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="matrix") as pool:
        futures = [
            pool.submit(run_scenario, name, scenario, policies, timeout=timeout, audit=audit)
            for name, scenario in catalogue.items()
        ]
        if on_row is not None:
            for future in as_completed(futures):
                on_row(future.result())
        rows = tuple(future.result() for future in futures)
    all_match = all(row.error is None and all(c.matches for c in row.cells) for row in rows)
    return MatrixReport(
        policies=tuple(policies),
        rows=rows,
        all_match=all_match,
        duration_ms=round((time.perf_counter() - start) * 1000, 3),
    )
