"""Write the committed static fixture set: ``python -m securesocket.testing.generate fixtures``.

Every scenario of the catalogue is built at `VERIFICATION_TIME` with `PLACEHOLDER_ENDPOINTS`
and written to ``<out>/<scenario>/``; ``<out>/spec.json`` describes them all. Keys are fixed
and every signature is deterministic, so the same code writes the same bytes: a test checks
that regenerating reproduces the committed files exactly (``make fixtures`` after a change).

Files per scenario (absent when empty):
  leaf.pem, leaf.key.pem      the server certificate and its key
  sent.pem                    what the server sends after the leaf
  anchors.pem                 the roots the client trusts
  chain-building-N.pem        certificates to add with addBinaryChainBuildingCertificate
                              (trusted or not: see spec.json)
  crl/<name>.crl              what the CRL server serves (DER; may be deliberate garbage)
  ocsp/<n>.der                the OCSP answers for the certificates on the path
  staple.der                  the stapled OCSP response
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ._keys import private_key_pem
from .scenarios import PLACEHOLDER_ENDPOINTS, POLICIES, SCENARIOS, VERIFICATION_TIME, Materials


__all__ = ["generate", "main"]

SPEC_VERSION = 1


def _pem(certs: Sequence[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _write(root: Path, relative: str, data: bytes, files: dict[str, str]) -> None:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    files[relative.split("/", 1)[1]] = relative


def _write_scenario(root: Path, m: Materials) -> dict[str, object]:
    files: dict[str, str] = {}
    base = m.name
    _write(root, f"{base}/leaf.pem", _pem([m.leaf.certificate]), files)
    _write(root, f"{base}/leaf.key.pem", private_key_pem(m.leaf.private_key), files)
    if m.sent:
        _write(root, f"{base}/sent.pem", _pem(m.sent), files)
    if m.anchors:
        _write(root, f"{base}/anchors.pem", _pem(m.anchors), files)
    chain_building = []
    for index, extra in enumerate(m.chain_building):
        name = f"chain-building-{index}.pem"
        _write(root, f"{base}/{name}", _pem([extra.certificate]), files)
        chain_building.append({"file": name, "trusted": extra.trusted})
    for path, body in sorted(m.crl_files.items()):
        _write(root, f"{base}/crl/{path}", body, files)
    for index, response in enumerate(m.ocsp_responses):
        der = response.public_bytes(serialization.Encoding.DER)
        _write(root, f"{base}/ocsp/{index}.der", der, files)
    if m.staple is not None:
        _write(root, f"{base}/staple.der", m.staple, files)
    scenario = SCENARIOS[m.name]
    return {
        "name": m.name,
        "description": scenario.description,
        "kind": scenario.kind,
        "host": m.host,
        "expected": {policy: scenario.expected[policy].value for policy in POLICIES},
        "chain_building": chain_building,
        "reachable_crls": [f"crl/{path}" for path in m.reachable_crl_paths],
        "crl_faults": {path: fault.value for path, fault in sorted(m.crl_faults.items())},
        "ocsp_fault": m.ocsp_fault.value,
        "files": dict(sorted(files.items())),
    }


def generate(out: Path) -> list[Path]:
    """Write every scenario and spec.json under ``out``.

    Only what the generator owns is replaced: spec.json and the directories of the scenarios
    it names (old and current), never anything else in ``out``.
    """
    owned = set(SCENARIOS)
    spec_path = out / "spec.json"
    if spec_path.exists():
        owned |= {entry["name"] for entry in json.loads(spec_path.read_text())["scenarios"]}
        spec_path.unlink()
    for name in owned:
        if (out / name).is_dir():
            shutil.rmtree(out / name)
    out.mkdir(parents=True, exist_ok=True)
    entries = [
        _write_scenario(out, scenario.materials(at=VERIFICATION_TIME))
        for scenario in SCENARIOS.values()
    ]
    spec = {
        "version": SPEC_VERSION,
        "generator": "python -m securesocket.testing.generate fixtures",
        "verification_time": VERIFICATION_TIME.isoformat(),
        "endpoints": {
            "ocsp_url": PLACEHOLDER_ENDPOINTS.ocsp_url,
            "crl_base": PLACEHOLDER_ENDPOINTS.crl_base,
            "down_base": PLACEHOLDER_ENDPOINTS.down_base,
            "note": "placeholder loopback ports where nothing listens: offline use only",
        },
        "policies": list(POLICIES),
        "scenarios": entries,
    }
    (out / "spec.json").write_text(json.dumps(spec, indent=2, sort_keys=False) + "\n")
    return sorted(p for p in out.rglob("*") if p.is_file())


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m securesocket.testing.generate OUT_DIR``."""
    parser = argparse.ArgumentParser(prog="python -m securesocket.testing.generate")
    parser.add_argument("out", type=Path, help="directory to (re)write, e.g. fixtures")
    args = parser.parse_args(argv)
    written = generate(args.out)
    sys.stdout.write(f"wrote {len(written)} files for {len(SCENARIOS)} scenarios to {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
