"""Auditing many hosts: bounded concurrency, JSON Lines as each finishes, --resume, a summary.

Model: targets go through a *mapper* (threads here, Dask in `dask.py`) that runs `audit_host` on
each with at most `concurrency` in flight and yields results as they complete. Each result is
written as one JSON line and flushed at once, so a run that is killed loses nothing already
finished, and --resume skips every host whose line is in the output. Memory stays flat: a result
is dropped as soon as it is written and counted.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .jsonio import JSONFormatError, dumps, loads_result
from .model import AuditResult, Target
from .probe import audit_host


@dataclass(frozen=True)
class AuditCall:
    """One host to audit with the shared options: picklable, so it can travel to a worker.

    Attributes:
        target: where to connect.
        options: keyword arguments for `audit_host` (revocation, trust, anchors, extra, at,
            timeout).
    """

    target: Target
    options: tuple[tuple[str, Any], ...] = ()


def run_call(call: AuditCall) -> AuditResult:
    """Run one `AuditCall` (a module-level function, so workers can unpickle it)."""
    return audit_host(
        call.target.host,
        call.target.port,
        server_name=call.target.server_name,
        **dict(call.options),
    )


Mapper = Callable[[Iterable[AuditCall], int], Iterator[AuditResult]]


def thread_mapper(
    calls: Iterable[AuditCall],
    concurrency: int,
    work: Callable[[AuditCall], AuditResult] = run_call,
) -> Iterator[AuditResult]:
    """Run calls on threads, at most `concurrency` at a time, yielding results as they finish."""
    pending = iter(calls)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="audit") as pool:
        in_flight: set[Future[AuditResult]] = set()
        for call in pending:
            in_flight.add(pool.submit(work, call))
            if len(in_flight) >= concurrency:
                break
        while in_flight:
            done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                for call in pending:
                    in_flight.add(pool.submit(work, call))
                    break
                yield future.result()


def completed_keys(path: Path) -> tuple[set[str], int]:
    """The target keys already in a JSON Lines output, and how many lines were unreadable.

    A last line cut short by a crash (no newline) is removed from the file, so appending
    continues on a clean line; it held no complete result.
    """
    keys: set[str] = set()
    unreadable = 0
    if not path.exists():
        return keys, unreadable
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with path.open("r+b") as handle:
            handle.truncate(cut)
        data = data[:cut]
        unreadable += 1
    for line in data.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            keys.add(loads_result(line).target.key)
        except JSONFormatError:
            unreadable += 1
    return keys, unreadable


@dataclass
class Summary:
    """What a many-host run did (printed at the end; counts by outcome and by status).

    Attributes:
        requested: targets read from the list (after dropping duplicates).
        skipped: targets skipped because --resume found them in the output.
        bad_lines: lines of the host list that could not be read.
        outcomes: results per outcome.
        statuses: results per CertificateStatus.
        seconds: wall time.
    """

    requested: int = 0
    skipped: int = 0
    bad_lines: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def audited(self) -> int:
        return sum(self.outcomes.values())

    def render(self) -> str:
        rate = self.audited / self.seconds if self.seconds > 0 else 0.0
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "none"
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items())) or "none"
        return (
            f"audited {self.audited} of {self.requested} hosts in {self.seconds:.1f} s"
            f" ({rate:.1f} hosts/s); skipped {self.skipped} already done;"
            f" {self.bad_lines} bad lines\n"
            f"  outcomes: {outcomes}\n  statuses: {statuses}\n"
        )


class Progress:
    """A one-line progress bar on a terminal (stderr); silent otherwise."""

    def __init__(self, total: int, stream: IO[str], *, enabled: bool) -> None:
        self.total, self.stream, self.enabled = total, stream, enabled
        self.done = 0
        self.start = time.monotonic()
        self.last_draw = 0.0

    def advance(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.enabled and (now - self.last_draw > 0.1 or self.done == self.total):
            self.last_draw = now
            width = 30
            filled = width * self.done // max(self.total, 1)
            rate = self.done / max(now - self.start, 1e-9)
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(f"\r[{bar}] {self.done}/{self.total} {rate:.1f} hosts/s")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\n")
            self.stream.flush()


def run_hosts(
    targets: Iterable[Target],
    *,
    options: dict[str, Any],
    concurrency: int,
    out: IO[str],
    summary: Summary,
    mapper: Mapper = thread_mapper,
    progress_stream: IO[str] | None = None,
) -> None:
    """Audit `targets`, writing one JSON line per result to `out` as each finishes."""
    todo = list(targets)
    stream = progress_stream if progress_stream is not None else sys.stderr
    progress = Progress(len(todo), stream, enabled=stream.isatty())
    start = time.monotonic()
    calls = (AuditCall(target, tuple(sorted(options.items()))) for target in todo)
    try:
        for result in mapper(calls, concurrency):
            out.write(dumps(result, indent=None) + "\n")
            out.flush()
            summary.outcomes[result.outcome.value] += 1
            summary.statuses[result.status.value] += 1
            progress.advance()
    finally:
        progress.close()
        summary.seconds += time.monotonic() - start


def default_concurrency() -> int:
    """Handshakes mostly wait on the network: many more threads than cores pay off."""
    return min(64, 16 * (os.cpu_count() or 1))
