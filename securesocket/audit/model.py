"""The audit's results, as data.

Every result is a frozen dataclass made of plain values (str, int, float, bool, None, tuples,
enums and other result classes), so results pickle across processes (Dask) and the console and
JSON views are two renderings of the same objects. `schema.py` derives the JSON Schema from the
type hints here, so a field added here appears in the schema too.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .._status import CertificateStatus


class Outcome(enum.StrEnum):
    """What happened to one audit of one host (the exit code follows from it)."""

    TRUSTED = "trusted"
    """The handshake completed and the certificate is trusted under the chosen policy."""
    NOT_TRUSTED = "not-trusted"
    """The handshake completed far enough to see the certificate, and it is not trusted."""
    UNREACHABLE = "unreachable"
    """No certificate could be seen: refused, timed out, name not resolved, TLS failure."""
    INTERNAL_ERROR = "internal-error"
    """A bug in securesocket; the trace is in the result. Never the target's fault."""


class ErrorReason(enum.StrEnum):
    """Why an audit did not reach a verdict: the target's network, its TLS, or our bug."""

    NAME_NOT_RESOLVED = "name-not-resolved"
    CONNECTION_REFUSED = "connection-refused"
    TIMEOUT = "timeout"
    NETWORK_ERROR = "network-error"
    TLS_HANDSHAKE_FAILED = "tls-handshake-failed"
    NO_CERTIFICATE = "no-certificate"
    INTERNAL_ERROR = "internal-error"


@dataclass(frozen=True)
class Target:
    """Where an audit connects.

    Attributes:
        host: the host name or IP address connected to (and checked, unless server_name is set).
        port: the TCP port.
        server_name: the SNI name sent and the name checked against the certificate.
    """

    host: str
    port: int
    server_name: str

    @property
    def key(self) -> str:
        """The identity used by --resume: ``host:port`` plus the SNI name when it differs."""
        base = f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
        return base if self.server_name == self.host else f"{base}/{self.server_name}"


@dataclass(frozen=True)
class Settings:
    """The options an audit ran with.

    Attributes:
        revocation: the revocation policy (off, soft-fail, hard-fail, require).
        trust: which roots were trusted (platform, certifi, none).
        at: the validation time (ISO 8601), or None for "now".
        timeout: the per-host deadline, in seconds, covering connect, handshake and revocation.
        added_anchors: how many certificates were added as trusted (``--add-cert FILE:trusted``).
        added_intermediates: how many were added as chain-building certificates only.
    """

    revocation: str
    trust: str
    at: str | None
    timeout: float
    added_anchors: int
    added_intermediates: int


@dataclass(frozen=True)
class CertificateInfo:
    """One certificate, as the audit shows it.

    Attributes:
        subject: the subject, RFC 4514.
        issuer: the issuer, RFC 4514.
        serial: the serial number, upper-case hex.
        not_before: start of validity, ISO 8601 UTC.
        not_after: end of validity, ISO 8601 UTC.
        key: the public key type and size, e.g. "RSA 2048", "EC secp256r1", "Ed25519".
        signature_algorithm: the signature algorithm name, e.g. "ecdsa-with-SHA256".
        sha256: the SHA-256 fingerprint of the DER, lower-case hex.
    """

    subject: str
    issuer: str
    serial: str
    not_before: str
    not_after: str
    key: str
    signature_algorithm: str
    sha256: str


@dataclass(frozen=True)
class ProblemInfo:
    """One problem the chain builder found on the best path.

    Attributes:
        code: a stable machine-readable code (from the trust layer).
        message: what is wrong, for people.
        status: the CertificateStatus this problem alone would give.
        depth: the position on the path (0 = the server's certificate), or None for the path.
    """

    code: str
    message: str
    status: CertificateStatus
    depth: int | None


@dataclass(frozen=True)
class RevocationAttemptInfo:
    """One attempt to learn a certificate's revocation status.

    Attributes:
        method: "ocsp-staple", "ocsp" or "crl".
        origin: "staple", "fetched", "supplied" or "cache".
        url: the URL fetched, or None (a staple, supplied data).
        latency_ms: how long the fetch took, or None when nothing was fetched.
        outcome: good, revoked, unknown, stale, error or skipped.
        detail: why, for people (the responder status, the fetch error, the CRL scope, ...).
        revocation_reason: for a revoked answer, the CRL/OCSP reason code, if given.
        revocation_time: for a revoked answer, when it was revoked (ISO 8601).
    """

    method: str
    origin: str
    url: str | None
    latency_ms: float | None
    outcome: str
    detail: str
    revocation_reason: str | None
    revocation_time: str | None


@dataclass(frozen=True)
class CertificateRevocationInfo:
    """The revocation story of one certificate on the path.

    Attributes:
        depth: 0 for the server's certificate, counting up towards the anchor.
        subject: the certificate's subject, RFC 4514.
        serial: the serial number, hex.
        policy: the policy that applied to this certificate.
        declared: the sources the certificate declares (OCSP and CRL URLs, Must-Staple).
        attempts: every attempt made, in order.
        decision: good, revoked, unchecked or indeterminate.
        accepted: whether the policy accepts this certificate given that decision.
        reason: why the policy decided so, for people.
    """

    depth: int
    subject: str
    serial: str
    policy: str
    declared: tuple[str, ...]
    attempts: tuple[RevocationAttemptInfo, ...]
    decision: str
    accepted: bool
    reason: str


@dataclass(frozen=True)
class RevocationInfo:
    """The revocation report of the validated path.

    Attributes:
        policy: the policy applied.
        accepted: whether the policy accepts the path.
        status: the CertificateStatus the policy gives.
        summary: one line, for people.
        certificates: one entry per certificate checked (the anchor is never checked).
    """

    policy: str
    accepted: bool
    status: CertificateStatus
    summary: str
    certificates: tuple[CertificateRevocationInfo, ...]


@dataclass(frozen=True)
class RejectedPathInfo:
    """A candidate path the chain builder built but did not choose, and why.

    Attributes:
        subjects: the subjects on the path, server certificate first.
        complete: whether the path reached a trust anchor.
        status: what this path alone would have given.
        problems: every problem found on it.
    """

    subjects: tuple[str, ...]
    complete: bool
    status: CertificateStatus
    problems: tuple[ProblemInfo, ...]


@dataclass(frozen=True)
class ConnectionInfo:
    """What the TLS handshake negotiated.

    Attributes:
        address: the IP address actually connected to.
        protocol: the TLS version, e.g. "TLSv1.3".
        cipher: the cipher suite name.
        stapled_ocsp: whether the server stapled an OCSP response.
    """

    address: str
    protocol: str
    cipher: str
    stapled_ocsp: bool


@dataclass(frozen=True)
class ErrorInfo:
    """Why an audit has no verdict.

    Attributes:
        reason: the class of failure (the target's network or TLS, or our own bug).
        message: what happened, for people.
        trace: the Python traceback, only for internal errors.
    """

    reason: ErrorReason
    message: str
    trace: str | None


@dataclass(frozen=True)
class AuditResult:
    """The audit of one host under one policy: the unit of every view.

    Attributes:
        target: where the audit connected.
        settings: the options it ran with.
        outcome: trusted, not-trusted, unreachable or internal-error.
        status: the CertificateStatus (AS3 meaning: "invalid" also covers TCP/TLS failures).
        connection: the negotiated protocol and cipher, when a handshake got that far.
        chain_sent: the certificates the server sent, in the order sent.
        path_built: the path the chain builder chose, leaf to anchor (empty if none).
        problems: every problem found on the best path.
        rejected_paths: each other candidate path and why it lost.
        revocation: the revocation report, when revocation ran.
        error: why there is no verdict, when there is none.
        started_at: when the audit started, ISO 8601 UTC.
        duration_ms: how long the audit took.
    """

    target: Target
    settings: Settings
    outcome: Outcome
    status: CertificateStatus
    connection: ConnectionInfo | None
    chain_sent: tuple[CertificateInfo, ...]
    path_built: tuple[CertificateInfo, ...]
    problems: tuple[ProblemInfo, ...]
    rejected_paths: tuple[RejectedPathInfo, ...]
    revocation: RevocationInfo | None
    error: ErrorInfo | None
    started_at: str
    duration_ms: float


@dataclass(frozen=True)
class MatrixCell:
    """One scenario audited under one policy, compared with the catalogue.

    Attributes:
        policy: the revocation policy.
        expected: the status the scenario catalogue says a correct client reports.
        actual: the status the audit reported.
        matches: expected == actual.
        detail: the first problem or the revocation summary, for people.
        result: the full audit behind the cell.
    """

    policy: str
    expected: CertificateStatus
    actual: CertificateStatus
    matches: bool
    detail: str
    result: AuditResult | None


@dataclass(frozen=True)
class MatrixRow:
    """One scenario across every policy.

    Attributes:
        scenario: the scenario's name in the catalogue.
        description: what the scenario sets up.
        cells: one cell per policy, in the order of MatrixReport.policies.
        error: why the scenario could not be run at all, else None.
        revoked_by_ca: whether a CA of the scenario has revoked a certificate on its chain
            (the CA's own records: what its CRLs and responders say, whether or not a client
            can reach them); None when the catalogue does not say.
    """

    scenario: str
    description: str
    cells: tuple[MatrixCell, ...]
    error: str | None
    revoked_by_ca: bool | None


@dataclass(frozen=True)
class MatrixReport:
    """The fixture matrix: every scenario under every revocation policy.

    Attributes:
        policies: the column order.
        rows: one row per scenario.
        all_match: whether every outcome matched the catalogue.
        duration_ms: how long the whole matrix took.
    """

    policies: tuple[str, ...]
    rows: tuple[MatrixRow, ...]
    all_match: bool
    duration_ms: float
