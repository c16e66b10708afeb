"""``python -m bench`` (``make bench``): run the benchmarks, each against its baseline.

- ``tls_client``: SecureSocket against stdlib ``ssl`` (handshakes, bulk receive);
- ``verify``: ChainVerifier against cryptography's ServerVerifier;
- ``revocation``: CRL parsing and lookup, stapled handshakes;
- ``codec``: IDataInput/IDataOutput and AMF per-call cost against ``struct``/``json`` (prints only).

``--quick`` makes short smoke runs; ``--write FILE`` updates each benchmark's generated section
of FILE (BENCHMARKS.md). ``bench.audit_many`` takes minutes and runs on its own.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path


BENCHMARKS = ("tls_client", "verify", "revocation", "codec")
PRINT_ONLY = frozenset({"codec"})  # no generated section in BENCHMARKS.md


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short smoke runs")
    parser.add_argument("--write", type=Path, help="update the generated sections of this file")
    parser.add_argument("--only", choices=BENCHMARKS, action="append", help="run only these")
    args = parser.parse_args(argv)
    status = 0
    for name in args.only or BENCHMARKS:
        forwarded: list[str] = []
        if args.quick:
            forwarded += (
                ["--entries", "20000", "--lookups", "2000", "--handshakes", "20"]
                if name == "revocation"
                else ["--quick"]
            )
        if args.write and name not in PRINT_ONLY:
            forwarded += ["--write", str(args.write)]
        print(f"== bench.{name} {' '.join(forwarded)}", flush=True)
        status |= importlib.import_module(f"bench.{name}").main(forwarded)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
