"""Revocation benchmarks: a 1,000,000-entry CRL (first parse, then per-lookup cost), and a
handshake with a good OCSP staple against one without stapling.

The CRL is generated once (it takes a while) into a cache directory outside the repository:
``$SECURESOCKET_BENCH_CACHE`` or ``~/.cache/securesocket-bench``. Timings are medians.

Usage: ``python -m bench.revocation [--entries N] [--lookups N] [--handshakes N] [--write FILE]``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from bench._sections import write_section
from securesocket.revocation import Outcome, RevocationRules
from securesocket.revocation.crl import load_crl
from securesocket.revocation.crl_check import CrlContext, check_crls
from securesocket.testing import CA, fixed_key


BEGIN = "<!-- bench.revocation: begin (generated) -->"
END = "<!-- bench.revocation: end -->"
THIS_UPDATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
STEP = 7  # revoked serials are 1, 8, 15, ...: every other integer in between is absent


def cache_dir() -> Path:
    base = os.environ.get("SECURESOCKET_BENCH_CACHE")
    path = Path(base) if base else Path.home() / ".cache" / "securesocket-bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def bench_ca() -> CA:
    """A fixed-key CA, so the cached CRL verifies on every run."""
    return CA(common_name="Bench CRL CA", key=fixed_key("bench-crl-ca"), serial=1)


def build_crl(ca: CA, entries: int) -> tuple[Path, float | None]:
    """The DER CRL with `entries` revoked serials (from the cache if there), and the seconds
    generating it took (None when cached)."""
    path = cache_dir() / f"crl-{entries}.der"
    if path.exists():
        return path, None
    began = time.perf_counter()
    reason = x509.CRLReason(x509.ReasonFlags.key_compromise)
    revoked = [
        x509.RevokedCertificateBuilder()
        .serial_number(1 + STEP * i)
        .revocation_date(THIS_UPDATE - dt.timedelta(seconds=i))
        .add_extension(reason, critical=False)
        .build()
        for i in range(entries)
    ]
    # Passing the list at once: add_revoked_certificate copies it each time (quadratic).
    builder = x509.CertificateRevocationListBuilder(
        issuer_name=ca.subject,
        last_update=THIS_UPDATE,
        next_update=THIS_UPDATE + dt.timedelta(days=3650),
        extensions=[x509.Extension(x509.CRLNumber.oid, False, x509.CRLNumber(1))],
        revoked_certificates=revoked,
    )
    crl = builder.sign(ca.private_key, hashes.SHA256())
    path.write_bytes(crl.public_bytes(serialization.Encoding.DER))
    return path, time.perf_counter() - began


def timed(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def crl_benchmark(entries: int, lookups: int) -> dict[str, float]:
    ca = bench_ca()
    path, generated = build_crl(ca, entries)
    data = path.read_bytes()
    results: dict[str, float] = {"entries": entries, "size_mib": len(data) / 2**20}
    if generated is not None:
        results["generate_s"] = generated
    results["parse_raw_s"] = timed(lambda: x509.load_der_x509_crl(data), 3)
    results["rss_before_parse_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["first_parse_s"] = timed(lambda: load_crl(data, origin="bench"), 3)
    parsed = load_crl(data, origin="bench")
    if len(parsed) != entries or parsed.problem:
        raise RuntimeError(f"the CRL did not index: {parsed.problem}")
    assert parsed.crl is not None
    crl = parsed.crl
    results["signature_s"] = timed(lambda: crl.is_signature_valid(ca.private_key.public_key()), 3)
    rng = random.Random(1)
    top = STEP * entries
    serials = [rng.randrange(1, top) for _ in range(lookups)]
    present = sum(1 for s in serials if s % STEP == 1)
    issuer = parsed.issuer

    hits = [s for s in serials if s % STEP == 1] or [1]
    misses = [s for s in serials if s % STEP != 1]

    def lookup_all(chosen: list[int]) -> Callable[[], None]:
        def run() -> None:
            for serial in chosen:
                parsed.lookup(issuer, serial)

        return run

    results["lookup_ns"] = timed(lookup_all(serials), 5) / lookups * 1e9
    results["lookup_hit_ns"] = timed(lookup_all(hits), 5) / len(hits) * 1e9
    results["lookup_miss_ns"] = timed(lookup_all(misses), 5) / len(misses) * 1e9
    results["lookup_hit_share"] = present / lookups
    sample = serials[:20]
    results["cryptography_lookup_ns"] = (
        timed(lambda: [crl.get_revoked_certificate_by_serial_number(s) for s in sample], 3)
        / len(sample)
        * 1e9
    )
    leaf = ca.issue_cert("bench.test", serial=1 + STEP * (entries // 2))
    context = CrlContext(
        (leaf.certificate, ca.certificate), (), None, THIS_UPDATE, RevocationRules(), (parsed,)
    )
    verdict = check_crls(leaf.certificate, 0, context)
    if verdict.outcome is not Outcome.REVOKED:
        raise RuntimeError(f"expected revoked, got {verdict.outcome}")
    results["check_s"] = timed(lambda: check_crls(leaf.certificate, 0, context), 3)
    results["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def handshake_with_staple_ratio(handshakes: int = 100) -> dict[str, float]:
    """SecureSocket handshakes/s against `openssl s_server` with a good stapled OCSP response
    (verified, policy soft-fail) and without stapling; the ratio is staple / no staple."""
    from securesocket import CertificateStatus
    from securesocket._secure_socket import SecureSocket
    from securesocket.testing.tls_servers import OpenSSLServer

    root = CA(key=fixed_key("bench-staple-root"))
    inter = root.create_child_ca(key=fixed_key("bench-staple-inter"))
    leaf = inter.issue_cert("127.0.0.1")
    staple = inter.ocsp_response(leaf).public_bytes(serialization.Encoding.DER)

    async def run(port: int, expect_staple: bool) -> float:
        began = time.perf_counter()
        for _ in range(handshakes):
            sock = SecureSocket(trust="none")
            sock.add_binary_chain_building_certificate(root.cert_der, True)
            await sock.connect("127.0.0.1", port)
            report = sock.revocation_report
            if sock.server_certificate_status != CertificateStatus.TRUSTED or report is None:
                raise RuntimeError("handshake without a trusted certificate")
            stapled = any(a.method.value == "ocsp-staple" for a in report.certificates[0].attempts)
            if stapled is not expect_staple:
                raise RuntimeError("the staple was not (or unexpectedly) used")
            sock.close()
        return handshakes / (time.perf_counter() - began)

    with OpenSSLServer(leaf, staple=staple) as stapling, OpenSSLServer(leaf) as plain:
        rates = {"staple": [], "plain": []}  # type: dict[str, list[float]]
        for _ in range(3):
            rates["staple"].append(asyncio.run(run(stapling.port, True)))
            rates["plain"].append(asyncio.run(run(plain.port, False)))
    staple_rate = statistics.median(rates["staple"])
    plain_rate = statistics.median(rates["plain"])
    return {"staple_hs_s": staple_rate, "plain_hs_s": plain_rate, "ratio": staple_rate / plain_rate}


def report(crl: dict[str, float], hs: dict[str, float] | None, handshakes: int) -> str:
    lines = [
        BEGIN,
        "## Revocation: a 1,000,000-entry CRL, and stapled handshakes",
        "",
        f"`python -m bench.revocation` — a CRL with {int(crl['entries']):,} revoked serials "
        f"({crl['size_mib']:.1f} MiB DER, one CRLReason each), signed with ECDSA P-256.",
        "",
        "| measure | value |",
        "| --- | --- |",
    ]
    if "generate_s" in crl:
        lines.append(f"| generating it (once; cached outside git) | {crl['generate_s']:.1f} s |")
    lines += [
        f"| cryptography's own parse (lazy) | {crl['parse_raw_s'] * 1000:.1f} ms |",
        f"| first parse: DER + scope fields + serial index (`load_crl`) | "
        f"{crl['first_parse_s']:.2f} s |",
        f"| signature check of the whole CRL | {crl['signature_s'] * 1000:.1f} ms |",
        f"| one lookup in our index: a serial that is not listed | "
        f"{crl['lookup_miss_ns']:.0f} ns |",
        f"| one lookup in our index: a listed serial (entry and reason decoded) | "
        f"{crl['lookup_hit_ns']:.0f} ns |",
        f"| one lookup in our index, random serials ({crl['lookup_hit_share']:.0%} listed) | "
        f"{crl['lookup_ns']:.0f} ns |",
        f"| one lookup with `get_revoked_certificate_by_serial_number` | "
        f"{crl['cryptography_lookup_ns'] / 1e6:.1f} ms |",
        f"| a §6.3 check of one certificate against the cached CRL (signature proven once) | "
        f"{crl['check_s'] * 1000:.1f} ms |",
        f"| peak memory of the process (max RSS) before / after parsing | "
        f"{crl['rss_before_parse_mib']:.0f} / {crl['max_rss_mib']:.0f} MiB |",
        "",
        "The index stores only the position of each entry (the entry is decoded when it is "
        "looked up), so a lookup is a dict access whatever the CRL's size, "
        f"{crl['cryptography_lookup_ns'] / crl['lookup_ns']:,.0f}x faster than the linear scan. "
        "Parsed CRLs are cached by URL until their nextUpdate, so the first parse is paid once, "
        "and a key proven to sign a CRL is remembered, so its signature is checked once too. "
        f"The process grows by {crl['max_rss_mib'] - crl['rss_before_parse_mib']:.0f} MiB while "
        "parsing: the index (two ints per entry) and cryptography's own decoded entries. Measured "
        "on the shared 2-core machine; figures are medians of 3 (5 for lookups).",
    ]
    if hs is not None:
        lines += [
            "",
            f"Handshakes (`SecureSocket`, soft-fail, TLS 1.3, {handshakes} per run, median of 3) "
            "against `openssl s_server` with `-status_file` (a good staple, verified) and "
            "without stapling: "
            f"{hs['staple_hs_s']:.0f}/s vs {hs['plain_hs_s']:.0f}/s, ratio "
            f"**{hs['ratio']:.2f}** (staple / no staple). The stdlib `ssl` module cannot ask "
            "for a staple at all (python/cpython#88946).",
        ]
    lines.append(END)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.revocation", description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=200_000)
    parser.add_argument("--handshakes", type=int, default=100, help="0 skips the handshakes")
    parser.add_argument("--write", type=Path, help="update the generated section of this file")
    args = parser.parse_args(argv)
    crl = crl_benchmark(args.entries, args.lookups)
    hs = handshake_with_staple_ratio(args.handshakes) if args.handshakes else None
    section = report(crl, hs, args.handshakes)
    print(section)
    if args.write:
        write_section(args.write, section, BEGIN, END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
