"""The ``securesocket`` command: ``securesocket audit`` for one host, the matrix, or many hosts.

`main(argv)` parses, runs, prints, and returns the exit code; it never calls sys.exit, so tests
call it in-process. Results go to stdout (the console view, or JSON); diagnostics, the progress
bar and the many-host summary go to stderr, so ``--json`` output stays pure JSON.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from . import matrix
from .dask import DaskSchedulerError, DaskUnavailableError, dask_mapper
from .hostlist import HostSyntaxError, check_host, parse_host, read_host_list
from .hosts import Mapper, Summary, completed_keys, default_concurrency, run_hosts, thread_mapper
from .jsonio import dumps
from .model import AuditResult, MatrixRow, Outcome, Target
from .probe import DEFAULT_PORT, DEFAULT_TIMEOUT, REVOCATION_POLICIES, TRUST_SETTINGS, audit_host
from .render import render_matrix, render_result


EXIT_TRUSTED = 0
EXIT_NOT_TRUSTED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERNAL = 4

MAX_THREADS = 1024
"""The largest --concurrency on local threads."""

EXIT_CODES_HELP = """\
exit codes:
  0  trusted (--matrix: every outcome matches the catalogue; --hosts: every host trusted)
  1  not trusted (--matrix: some outcome differs from the catalogue, or a scenario could not
     run; --hosts: some host)
  2  usage error (bad arguments or files; --hosts: some lines of the host list were unreadable)
  3  could not reach the host or complete a TLS handshake (--hosts: some host)
  4  internal error in securesocket (the trace is in the output), or the fixture catalogue
     cannot be loaded (--matrix)
  130  interrupted (Ctrl-C); with --hosts -o FILE, --resume continues where it stopped
  With --hosts the largest code that applies to any host or line is returned.
"""

_OUTCOME_EXIT = {
    Outcome.TRUSTED: EXIT_TRUSTED,
    Outcome.NOT_TRUSTED: EXIT_NOT_TRUSTED,
    Outcome.UNREACHABLE: EXIT_UNREACHABLE,
    Outcome.INTERNAL_ERROR: EXIT_INTERNAL,
}


class UsageError(Exception):
    """A bad argument or input file: exit code 2 with this message."""


def exit_code(result: AuditResult) -> int:
    """The exit code for one host's audit."""
    return _OUTCOME_EXIT[result.outcome]


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="securesocket",
        description="A TLS client socket with explicit trust; audit servers with it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    audit = commands.add_parser(
        "audit",
        help="audit a server's certificate chain and revocation",
        description=(
            "Connect to HOST[:PORT], show the protocol, cipher, the chain as sent and the path "
            "as built, every problem, and the revocation report per certificate. "
            "--matrix audits every fixture-PKI scenario under every revocation policy; "
            "--hosts audits a list of hosts concurrently, writing JSON Lines."
        ),
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    audit.add_argument("host", nargs="?", metavar="HOST[:PORT]", help="the server (port 443)")
    mode = audit.add_argument_group("what to audit (one of HOST, --matrix, --hosts)")
    mode.add_argument("--matrix", action="store_true", help="the fixture scenario matrix")
    mode.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        help="with --matrix: only this scenario (repeatable)",
    )
    mode.add_argument("--hosts", metavar="FILE", help="one host[:port] a line; '-' for stdin")
    options = audit.add_argument_group("verification")
    options.add_argument("--servername", help="SNI name and the name checked (default: HOST)")
    options.add_argument(
        "--revocation",
        choices=REVOCATION_POLICIES,
        default="soft-fail",
        help="revocation policy (default soft-fail, as AIR)",
    )
    options.add_argument(
        "--trust", choices=TRUST_SETTINGS, default="platform", help="roots to trust"
    )
    options.add_argument(
        "--add-cert",
        action="append",
        default=[],
        metavar="FILE[:trusted]",
        help="DER or PEM certificate(s) for chain building; ':trusted' makes them anchors",
    )
    options.add_argument(
        "--at", metavar="TIME", help="validation time, ISO 8601 (UTC if no offset); default now"
    )
    options.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"per host: connect, handshake and revocation (default {DEFAULT_TIMEOUT:g})",
    )
    output = audit.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="JSON instead of the console view")
    output.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the console view (auto: only when stdout is a terminal)",
    )
    many = audit.add_argument_group("many hosts (--hosts)")
    many.add_argument(
        "--concurrency",
        type=int,
        default=None,
        metavar="N",
        help=f"audits in flight at once (default {default_concurrency()})",
    )
    many.add_argument(
        "-o", "--output", metavar="FILE", help="JSON Lines output file (default stdout)"
    )
    many.add_argument(
        "--resume", action="store_true", help="skip hosts already in --output; append to it"
    )
    many.add_argument(
        "--dask",
        metavar="SCHEDULER",
        help="run on this Dask scheduler address (--timeout also bounds connecting to it)",
    )
    return parser


def _load_certificates(spec: str) -> tuple[list[bytes], bool]:
    """``FILE[:trusted]`` → (DER of each certificate in FILE, trusted?)."""
    path_text, trusted = spec, False
    if spec.endswith(":trusted"):
        path_text, trusted = spec[: -len(":trusted")], True
    path = Path(path_text)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"--add-cert {spec}: cannot read {path}: {exc.strerror}") from exc
    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise UsageError(f"--add-cert {spec}: not a DER or PEM certificate ({exc})") from exc
    return [cert.public_bytes(Encoding.DER) for cert in certs], trusted


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"--at {text!r}: not an ISO 8601 time ({exc})") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _audit_options(args: argparse.Namespace) -> dict[str, Any]:
    anchors: list[bytes] = []
    extra: list[bytes] = []
    for spec in args.add_cert:
        certs, trusted = _load_certificates(spec)
        (anchors if trusted else extra).extend(certs)
    return {
        "revocation": args.revocation,
        "trust": args.trust,
        "anchors": tuple(anchors),
        "extra": tuple(extra),
        "at": None if args.at is None else _parse_time(args.at),
        "timeout": args.timeout,
    }


def _colour(args: argparse.Namespace, stream: IO[str]) -> bool:
    if args.color == "always":
        return True
    if args.color == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def _check_mode(args: argparse.Namespace) -> None:
    modes = [m for m in ("host", "matrix", "hosts") if getattr(args, m)]
    if len(modes) != 1:
        raise UsageError("give exactly one of HOST[:PORT], --matrix or --hosts")
    if args.servername is not None and not args.host:
        raise UsageError("--servername applies to a single HOST only")
    if args.scenario and not args.matrix:
        raise UsageError("--scenario needs --matrix")
    many_only = {"--concurrency": args.concurrency, "--output": args.output, "--dask": args.dask}
    for flag, value in many_only.items():
        if value is not None and not args.hosts:
            raise UsageError(f"{flag} needs --hosts")
    if args.resume and not (args.hosts and args.output):
        raise UsageError("--resume needs --hosts and --output FILE")
    if args.concurrency is not None and args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if args.concurrency is not None and args.concurrency > MAX_THREADS and not args.dask:
        # One thread per audit in flight: past this, threads (not hosts) become the limit.
        raise UsageError(f"--concurrency above {MAX_THREADS} needs --dask (one thread each here)")
    if not (math.isfinite(args.timeout) and args.timeout > 0):  # every mode, --matrix too
        raise UsageError("--timeout must be a positive number of seconds")


def _run_single(args: argparse.Namespace, out: IO[str]) -> int:
    try:
        host, port = parse_host(args.host, default_port=DEFAULT_PORT)
    except HostSyntaxError as exc:
        raise UsageError(f"{args.host!r}: {exc}") from exc
    if args.servername is not None:
        try:
            check_host(args.servername)
        except HostSyntaxError as exc:
            raise UsageError(f"--servername {args.servername!r}: {exc}") from exc
    options = _audit_options(args)
    result = audit_host(host, port, server_name=args.servername, **options)
    if args.json:
        out.write(dumps(result) + "\n")
    else:
        out.write(render_result(result, colour=_colour(args, out)))
    return exit_code(result)


def _run_matrix(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    if args.add_cert or args.at or args.revocation != "soft-fail" or args.trust != "platform":
        raise UsageError("--matrix takes its trust settings and policies from the catalogue")
    try:
        catalogue = matrix.load_catalogue()
    except matrix.CatalogueUnavailableError as exc:
        err.write(f"securesocket audit --matrix: {exc}\n")
        return EXIT_INTERNAL
    if args.scenario:
        unknown = sorted(set(args.scenario) - set(catalogue))
        if unknown:
            known = ", ".join(catalogue)
            raise UsageError(f"unknown scenario {', '.join(unknown)} (known: {known})")
        catalogue = {name: s for name, s in catalogue.items() if name in args.scenario}
    done = 0

    def progress(row: MatrixRow) -> None:
        nonlocal done
        done += 1
        state = (
            "not run" if row.error else ("ok" if all(c.matches for c in row.cells) else "DIFFERS")
        )
        err.write(f"\r\033[K[{done}/{len(catalogue)}] {row.scenario}: {state}")
        err.flush()

    report = matrix.run_matrix(
        catalogue, timeout=args.timeout, on_row=progress if err.isatty() else None
    )
    if err.isatty():
        err.write("\r\033[K")
    if args.json:
        out.write(dumps(report) + "\n")
    else:
        out.write(render_matrix(report, colour=_colour(args, out)))
    return EXIT_TRUSTED if report.all_match else EXIT_NOT_TRUSTED


def _run_many(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    options = _audit_options(args)
    try:
        # Bytes, decoded per line: a line that is not UTF-8 is one bad line, not a bad file.
        data = sys.stdin.buffer.read() if args.hosts == "-" else Path(args.hosts).read_bytes()
        lines = data.decode("utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise UsageError(f"--hosts {args.hosts}: cannot read it: {exc}") from exc
    targets, errors = read_host_list(lines)
    for error in errors:
        err.write(f"securesocket audit --hosts {args.hosts}: {error}\n")
    summary = Summary(requested=len(targets), bad_lines=len(errors))
    mapper: Mapper = thread_mapper
    if args.dask:
        try:
            mapper = dask_mapper(args.dask, connect_timeout=args.timeout)
        except DaskUnavailableError as exc:
            raise UsageError(str(exc)) from exc
    try:
        outcome_codes = _run_with_output(
            args, targets, options=options, mapper=mapper, out=out, err=err, summary=summary
        )
    except DaskSchedulerError as exc:
        err.write(f"securesocket audit: {exc}\n")
        return EXIT_UNREACHABLE
    err.write(summary.render())
    return max([*outcome_codes, EXIT_USAGE if errors else EXIT_TRUSTED])


def _run_with_output(
    args: argparse.Namespace,
    targets: list[Target],
    *,
    options: dict[str, Any],
    mapper: Mapper,
    out: IO[str],
    err: IO[str],
    summary: Summary,
) -> list[int]:
    """Run into --output (appending with --resume, after skipping what is done) or stdout."""
    if args.output:
        output = Path(args.output)
        if args.resume:
            done, unreadable = completed_keys(output)
            if unreadable:
                err.write(f"securesocket audit: {unreadable} unreadable lines in {output}\n")
            before = len(targets)
            targets = [t for t in targets if t.key not in done]
            summary.skipped = before - len(targets)
        with output.open("a" if args.resume else "w", encoding="utf-8") as sink:
            return _run_into(
                args, targets, options=options, mapper=mapper, sink=sink, summary=summary
            )
    return _run_into(args, targets, options=options, mapper=mapper, sink=out, summary=summary)


def _run_into(
    args: argparse.Namespace,
    targets: list[Target],
    *,
    options: dict[str, Any],
    mapper: Mapper,
    sink: IO[str],
    summary: Summary,
) -> list[int]:
    concurrency = args.concurrency or default_concurrency()
    run_hosts(
        targets, options=options, concurrency=concurrency, out=sink, summary=summary, mapper=mapper
    )
    return [_OUTCOME_EXIT[Outcome(name)] for name in summary.outcomes]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``securesocket`` command; return its exit code (see EXIT_CODES_HELP)."""
    parser = _build_parser()
    out, err = sys.stdout, sys.stderr
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help (0) and on usage errors (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        _check_mode(args)
        if args.matrix:
            return _run_matrix(args, out, err)
        if args.hosts:
            return _run_many(args, out, err)
        return _run_single(args, out)
    except UsageError as exc:
        err.write(f"securesocket audit: error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write("securesocket audit: interrupted\n")
        return 130
