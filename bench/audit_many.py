"""Benchmark: one machine audits many loopback endpoints (``securesocket audit --hosts``).

Starts K ``openssl s_server`` processes on 127.0.0.1 serving a fixture-PKI chain for
``*.bench.test``, then audits N targets spread over them, each with its own SNI name, through
the same runner as ``--hosts`` (bounded threads, one JSON line written per result as it finishes).
Reports hosts per second and peak memory (max RSS). Run:

    .venv/bin/python -m bench.audit_many --hosts 10000 --servers 4 --concurrency 32
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import resource
import socket
import ssl
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from securesocket.audit.hosts import Summary, run_hosts
from securesocket.audit.model import Target
from securesocket.testing.ca import CA, LeafCert
from securesocket.testing.crl_server import CRLServer
from securesocket.testing.tls_servers import OpenSSLServer


def _max_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stdlib_rate(targets: Sequence[Target], root_pem: str, concurrency: int) -> float:
    """Baseline: stdlib ``ssl`` connect + handshake + its own verification, same targets."""
    context = ssl.create_default_context(cadata=root_pem)

    def handshake(target: Target) -> None:
        with (
            socket.create_connection((target.host, target.port), timeout=30) as raw,
            context.wrap_socket(raw, server_hostname=target.server_name),
        ):
            pass

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(handshake, targets))
    return len(targets) / (time.perf_counter() - start)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.audit_many", description=__doc__)
    parser.add_argument("--hosts", type=int, default=10_000, help="targets to audit")
    parser.add_argument("--servers", type=int, default=4, help="s_server processes")
    parser.add_argument("--concurrency", type=int, default=32, help="audits in flight")
    parser.add_argument("--revocation", default="soft-fail")
    parser.add_argument(
        "--crl", action="store_true", help="the leaf declares a CRL served on loopback"
    )
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        crls = stack.enter_context(CRLServer()) if args.crl else None
        crl_url = crls.url("inter.crl") if crls else None
        root = CA(common_name="Bench Root")
        inter = root.create_child_ca(common_name="Bench Intermediate", crl_url=crl_url)
        leaf = inter.issue_cert("*.bench.test")
        if crls:
            crls.publish("inter.crl", inter.crl())
        return _run(args, stack, root, leaf, crls)


def _run(
    args: argparse.Namespace,
    stack: contextlib.ExitStack,
    root: CA,
    leaf: LeafCert,
    crls: CRLServer | None,
) -> int:
    options = {
        "revocation": args.revocation,
        "trust": "none",
        "anchors": (root.certificate.public_bytes(Encoding.DER),),
        "extra": (),
        "at": None,
        "timeout": 30.0,
    }
    rss_before = _max_rss_mib()
    servers = [stack.enter_context(OpenSSLServer(leaf)) for _ in range(args.servers)]
    targets = [
        Target("127.0.0.1", servers[i % len(servers)].port, f"h{i}.bench.test")
        for i in range(args.hosts)
    ]
    out_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    summary = Summary(requested=len(targets))
    start = time.perf_counter()
    with (out_dir / "out.jsonl").open("w", encoding="utf-8") as sink:
        run_hosts(
            targets,
            options=options,
            concurrency=args.concurrency,
            out=sink,
            summary=summary,
            progress_stream=sys.stderr,
        )
    elapsed = time.perf_counter() - start
    output_mib = (out_dir / "out.jsonl").stat().st_size / 2**20
    rss_peak = _max_rss_mib()
    root_pem = root.certificate.public_bytes(Encoding.PEM).decode()
    baseline = _stdlib_rate(targets, root_pem, args.concurrency)
    trusted = summary.outcomes.get("trusted", 0)
    print(
        f"audited {summary.audited} loopback endpoints ({args.servers} s_server processes,"
        f" one SNI name each) with concurrency {args.concurrency}, revocation {args.revocation}"
    )
    print(f"  trusted {trusted}, other outcomes {dict(summary.outcomes)}")
    rate = summary.audited / elapsed
    print(f"  {elapsed:.1f} s, {rate:.0f} hosts/s")
    print(
        f"  stdlib ssl handshake + verify only, same targets and concurrency: {baseline:.0f}/s"
        f" (audit / stdlib = {rate / baseline:.2f}; stdlib is OpenSSL 3.0, ours is cryptography's)"
    )
    print(f"  peak RSS {rss_peak:.0f} MiB (before the run {rss_before:.0f} MiB)")
    if crls is not None:
        print(f"  CRL fetches: {len(crls.requests)} (per-thread CRL caches)")
    print(f"  JSON Lines written: {output_mib:.1f} MiB")
    print(f"  {platform.python_implementation()} {platform.python_version()}, {platform.machine()}")
    return 0 if trusted == summary.audited == args.hosts else 1


if __name__ == "__main__":
    sys.exit(main())
