"""The console view of audit results: plain text, coloured only when asked (stdout is a tty).

Every function here is a pure function of result objects to text; nothing is computed that the
JSON view does not also carry.
"""

from __future__ import annotations

from collections.abc import Iterable

from .._status import CertificateStatus
from .model import (
    AuditResult,
    CertificateInfo,
    CertificateRevocationInfo,
    MatrixCell,
    MatrixReport,
    MatrixRow,
    Outcome,
)


_CODES = {"green": "32", "red": "31", "yellow": "33", "bold": "1", "dim": "2"}
ACCEPTED_REVOKED_MARK = "!"
ACCEPTED_UNCHECKED_MARK = "?"


class Painter:
    """Wraps text in ANSI colours, or leaves it alone when colour is off."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, text: str, style: str) -> str:
        if not self.colour:
            return text
        return f"\033[{_CODES[style]}m{text}\033[0m"

    def status(self, status: CertificateStatus, text: str | None = None) -> str:
        style = "green" if status is CertificateStatus.TRUSTED else "red"
        return self(text if text is not None else status.value, style)


def _certificate_lines(index: int, cert: CertificateInfo, paint: Painter) -> list[str]:
    return [
        f"  [{index}] {paint(cert.subject, 'bold')}",
        f"      issuer     {cert.issuer}",
        f"      valid      {cert.not_before}  to  {cert.not_after}",
        f"      serial     {cert.serial}",
        f"      key        {cert.key}",
        f"      signature  {cert.signature_algorithm}",
        f"      sha256     {cert.sha256}",
    ]


def _revocation_lines(cert: CertificateRevocationInfo, paint: Painter) -> list[str]:
    verdict = "accepted" if cert.accepted else "rejected"
    style = "green" if cert.accepted and cert.decision == "good" else "yellow"
    if not cert.accepted or cert.decision == "revoked":
        style = "red"
    lines = [
        f"  [{cert.depth}] {cert.subject}",
        f"      declared   {', '.join(cert.declared) or 'nothing'}",
    ]
    more = " " * 17  # continuation lines line up under the value column
    for attempt in cert.attempts:
        where = attempt.url or f"({attempt.origin})"
        took = "" if attempt.latency_ms is None else f" in {attempt.latency_ms:.1f} ms"
        lines.append(f"      tried      {attempt.method} {where}: {attempt.outcome}{took}")
        if attempt.revocation_time or attempt.revocation_reason:
            reason = attempt.revocation_reason or "no reason given"
            lines.append(f"{more}revoked at {attempt.revocation_time}, reason {reason}")
        if attempt.detail:
            lines.append(f"{more}{attempt.detail}")
    lines.append(f"      decision   {paint(f'{cert.decision}, {verdict}', style)}: {cert.reason}")
    return lines


def render_result(result: AuditResult, *, colour: bool = False) -> str:
    """The full console report of one audit."""
    paint = Painter(colour)
    target, settings = result.target, result.settings
    sni = "" if target.server_name == target.host else f" (name {target.server_name})"
    lines = [
        paint(f"securesocket audit {target.host} port {target.port}{sni}", "bold"),
        f"  revocation {settings.revocation}, trust {settings.trust}, "
        f"at {settings.at or 'now'}, timeout {settings.timeout:g} s",
    ]
    if result.connection is not None:
        conn = result.connection
        staple = "stapled OCSP response" if conn.stapled_ocsp else "no OCSP staple"
        lines.append(f"  connected  {conn.address}, {conn.protocol}, {conn.cipher}, {staple}")
    headline = result.outcome.value.upper()
    if result.outcome is Outcome.UNREACHABLE or result.outcome is Outcome.INTERNAL_ERROR:
        lines.append(f"  result     {paint(headline, 'yellow')}")
    else:
        # The status is the AS3 word; say it only when the headline does not already.
        status = "" if result.status is CertificateStatus.TRUSTED else f" ({result.status.value})"
        lines.append(f"  result     {paint.status(result.status, headline)}{status}")
    if result.error is not None:
        lines.append(f"  error      {result.error.reason.value}: {result.error.message}")
        if result.error.trace:
            lines.extend("    " + line for line in result.error.trace.rstrip().splitlines())
    if result.chain_sent:
        lines += ["", paint(f"Chain as sent ({len(result.chain_sent)})", "bold")]
        for i, cert in enumerate(result.chain_sent):
            lines += _certificate_lines(i, cert, paint)
    if result.connection is not None and result.error is None:
        lines += ["", paint(f"Path as built ({len(result.path_built)})", "bold")]
        if not result.path_built:
            lines.append("  (no path to a trust anchor could be built)")
        # A certificate the server sent is shown in full once, above; the path points at it.
        sent = {cert.sha256: i for i, cert in enumerate(result.chain_sent)}
        for i, cert in enumerate(result.path_built):
            if cert.sha256 in sent:
                lines.append(f"  [{i}] {paint(cert.subject, 'bold')}  (sent [{sent[cert.sha256]}])")
            else:
                lines += _certificate_lines(i, cert, paint)
        lines += ["", paint(f"Problems ({len(result.problems)})", "bold")]
        if not result.problems:
            verdict = "" if result.revocation is None else "; revocation decides, below"
            lines.append(f"  none on the path{verdict}")
        for problem in result.problems:
            where = "path" if problem.depth is None else f"depth {problem.depth}"
            lines.append(
                f"  - {paint.status(problem.status)} [{where}] {problem.code}: {problem.message}"
            )
        for rejected in result.rejected_paths:
            first = rejected.problems[0].message if rejected.problems else "no problems recorded"
            lines.append(
                f"  rejected path {' <- '.join(rejected.subjects)}:"
                f" {rejected.status.value}: {first}"
            )
        lines += ["", paint("Revocation", "bold")]
        if result.revocation is None:
            lines.append("  not checked: the path is not valid, so revocation cannot change that")
        else:
            rev = result.revocation
            lines.append(
                f"  policy {rev.policy}: {paint.status(rev.status)}"
                f" ({'accepted' if rev.accepted else 'rejected'}) - {rev.summary}"
            )
            for cert_revocation in rev.certificates:
                lines += _revocation_lines(cert_revocation, paint)
    return "\n".join(lines) + "\n"


def accepts_revoked(row: MatrixRow, cell: MatrixCell) -> bool:
    """Whether this cell trusts a revoked certificate: one its CA has revoked (even where no
    source can say so), or one a stricter policy in the same row reports revoked."""
    revoked_elsewhere = any(c.actual is CertificateStatus.REVOKED for c in row.cells)
    revoked = bool(row.revoked_by_ca) or revoked_elsewhere
    return cell.actual is CertificateStatus.TRUSTED and revoked


def accepts_unchecked(cell: MatrixCell) -> bool:
    """Whether a checking policy trusted a path without a good revocation answer for every
    certificate (none declared, or the sources failed): where a revoked certificate would
    pass too. Under "off" nothing is checked by definition, so it is not marked."""
    result = cell.result
    if cell.policy == "off" or result is None or result.revocation is None:
        return False
    undecided = any(c.decision != "good" for c in result.revocation.certificates)
    return cell.actual is CertificateStatus.TRUSTED and undecided


def _cell_text(row: MatrixRow, cell: MatrixCell) -> tuple[str, str]:
    text = cell.actual.value
    # "!" says more than "?" (a revoked certificate did pass, not only could): one mark a cell.
    if accepts_revoked(row, cell):
        text += f" {ACCEPTED_REVOKED_MARK}"
    elif accepts_unchecked(cell):
        text += f" {ACCEPTED_UNCHECKED_MARK}"
    if not cell.matches:
        text += f" (expected {cell.expected.value})"
    style = "green" if cell.actual is CertificateStatus.TRUSTED else "red"
    if accepts_revoked(row, cell):
        style = "red"
    elif accepts_unchecked(cell):
        style = "yellow"
    return text, style


def _table(header: list[str], rows: Iterable[list[tuple[str, str]]], paint: Painter) -> list[str]:
    body = list(rows)
    widths = [len(h) for h in header]
    for row in body:
        for i, (text, _style) in enumerate(row):
            widths[i] = max(widths[i], len(text))
    titles = [h.ljust(w) for h, w in zip(header, widths, strict=True)]
    titles[-1] = titles[-1].rstrip()
    lines = ["  ".join(paint(title, "bold") for title in titles)]
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        cells = []
        for (text, style), width in zip(row, widths, strict=True):
            cells.append(paint(text.ljust(width), style) if style else text.ljust(width))
        lines.append("  ".join(cells).rstrip())
    return lines


def render_matrix(report: MatrixReport, *, colour: bool = False) -> str:
    """The scenario x policy table, with the soft-fail hole marked and mismatches spelled out."""
    paint = Painter(colour)
    header = ["scenario"] + [
        f"{policy} (AIR)" if policy == "soft-fail" else policy for policy in report.policies
    ]
    rows = []
    for row in report.rows:
        if row.error is not None:
            rows.append([(row.scenario, "")] + [("error", "red")] * len(report.policies))
            continue
        rows.append([(row.scenario, "")] + [_cell_text(row, cell) for cell in row.cells])
    lines = [
        paint("securesocket audit --matrix: every fixture scenario under every policy", "bold"),
        "",
        *_table(header, rows, paint),
        "",
    ]
    cells = [(row, c) for row in report.rows for c in row.cells]
    holes = [(row, c) for row, c in cells if accepts_revoked(row, c)]
    unchecked = sum(accepts_unchecked(c) and not accepts_revoked(row, c) for row, c in cells)
    if holes:
        by_policy = ", ".join(
            f"{policy} {sum(c.policy == policy for _, c in holes)}"
            for policy in report.policies
            if any(c.policy == policy for _, c in holes)
        )
        lines += [
            f"{ACCEPTED_REVOKED_MARK}  a revoked certificate accepted ({len(holes)} cells:"
            f" {by_policy}):",
            "   its CA has revoked it, or a stricter policy in the same row reports it revoked.",
        ]
    if unchecked:
        lines += [
            f"{ACCEPTED_UNCHECKED_MARK}  trusted with no revocation answer ({unchecked} cells):"
            " none declared, or every source failed;",
            "   a revoked certificate would pass here too.",
        ]
    failures = [row for row in report.rows if row.error is not None]
    for row in failures:
        reason = " | ".join(p.strip() for p in (row.error or "").splitlines() if p.strip())
        lines.append(paint(f"{row.scenario}: could not run: {reason}", "red"))
    mismatches = [(row, c) for row in report.rows for c in row.cells if not c.matches]
    for row, cell in mismatches:
        lines.append(
            paint(
                f"MISMATCH {row.scenario} under {cell.policy}: expected {cell.expected.value},"
                f" got {cell.actual.value} ({cell.detail})",
                "red",
            )
        )
    total = sum(len(row.cells) for row in report.rows)
    verdict = "every outcome matches the catalogue" if report.all_match else "outcomes differ"
    lines.append(
        f"{len(report.rows)} scenarios, {total} audits, {len(mismatches)} mismatches,"
        f" {len(failures)} scenarios not run, {report.duration_ms / 1000:.1f} s: {verdict}"
    )
    return "\n".join(lines) + "\n"
