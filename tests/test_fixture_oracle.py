"""An independent oracle for the scenario catalogue: OpenSSL's own tools judge every scenario.

The catalogue says what a correct client reports; here ``openssl verify`` (on the committed
fixtures, at their validation time), ``openssl s_client`` (against each live scenario) and
``openssl ocsp`` (against the live responder) say what OpenSSL 3.0 makes of the same
certificates. OpenSSL's verdict is mapped to a `CertificateStatus` with one fixed table
(`OPENSSL_ERRORS`); it must equal the catalogue's expectation.

What OpenSSL can judge, and for which policy:
- ``openssl verify`` / ``s_client`` without CRLs: the chain alone, i.e. policy "off".
- ``openssl verify -crl_check_all`` with the CRLs a client can reach: every certificate on
  the path needs a fresh CRL, i.e. policy "require", wherever CRLs alone decide (see
  `crl_oracle_skip_reason` for the cases where they do not, and why).
- ``openssl ocsp``: the leaf's OCSP answer, where OCSP is the leaf's only source: policy
  "hard-fail" (a usable answer is required; unusable answers give "invalid").
- ``s_client -status``: what is stapled (OpenSSL prints it but does not judge it).
OpenSSL has no "use it if you can get it" mode, so soft-fail is judged by nothing here; the
audit matrix (tests/test_audit_matrix.py) runs all four policies through SecureSocket.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from securesocket import CertificateStatus
from securesocket.testing.scenarios import SCENARIOS, VERIFICATION_TIME, Materials, ocsp_url
from securesocket.testing.scenarios import crl_urls as crl_urls_of
from securesocket.testing.tls_servers import TLSVersion


S = CertificateStatus
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SPEC = json.loads((FIXTURES / "spec.json").read_text())
SPEC_BY_NAME = {entry["name"]: entry for entry in SPEC["scenarios"]}

#: OpenSSL verify error → (status for the server certificate, status for a CA), following
#: securesocket/trust/classify.py's rule: a CA's problem is a chain problem.
OPENSSL_ERRORS: dict[int, tuple[CertificateStatus, CertificateStatus]] = {
    2: (S.UNTRUSTED_SIGNERS, S.UNTRUSTED_SIGNERS),  # unable to get issuer certificate
    3: (S.INVALID, S.INVALID),  # unable to get certificate CRL: a required check failed
    9: (S.NOT_YET_VALID, S.INVALID_CHAIN),
    10: (S.EXPIRED, S.INVALID_CHAIN),
    11: (S.INVALID, S.INVALID),  # CRL not yet valid
    12: (S.INVALID, S.INVALID),  # CRL has expired (stale)
    18: (S.UNTRUSTED_SIGNERS, S.UNTRUSTED_SIGNERS),  # self-signed certificate
    19: (S.UNTRUSTED_SIGNERS, S.UNTRUSTED_SIGNERS),  # self-signed certificate in chain
    20: (S.UNTRUSTED_SIGNERS, S.UNTRUSTED_SIGNERS),  # unable to get local issuer
    21: (S.UNTRUSTED_SIGNERS, S.UNTRUSTED_SIGNERS),  # unable to verify the first certificate
    23: (S.REVOKED, S.REVOKED),
    24: (S.INVALID_CHAIN, S.INVALID_CHAIN),  # invalid CA certificate
    25: (S.INVALID_CHAIN, S.INVALID_CHAIN),  # path length constraint exceeded
    26: (S.INVALID, S.INVALID_CHAIN),  # unsuitable certificate purpose
    47: (S.INVALID_CHAIN, S.INVALID_CHAIN),  # permitted subtree violation
    48: (S.INVALID_CHAIN, S.INVALID_CHAIN),  # excluded subtree violation
    62: (S.PRINCIPAL_MISMATCH, S.PRINCIPAL_MISMATCH),  # hostname mismatch
    64: (S.PRINCIPAL_MISMATCH, S.PRINCIPAL_MISMATCH),  # IP address mismatch
    66: (S.INVALID, S.INVALID_CHAIN),  # EE key too small
    67: (S.INVALID_CHAIN, S.INVALID_CHAIN),  # CA key too small
    68: (S.INVALID, S.INVALID_CHAIN),  # signature digest too weak
    79: (S.INVALID_CHAIN, S.INVALID_CHAIN),  # invalid CA certificate (basicConstraints)
}


@functools.cache
def offline(name: str) -> Materials:
    """The scenario's materials at `VERIFICATION_TIME` (built once: several tests read them)."""
    return SCENARIOS[name].materials()


def status_from_openssl(code: int, depth: int) -> CertificateStatus:
    if code == 0:
        return S.TRUSTED
    if code not in OPENSSL_ERRORS:
        pytest.fail(f"openssl error {code} is not in the oracle's table")
    leaf_status, ca_status = OPENSSL_ERRORS[code]
    return leaf_status if depth == 0 else ca_status


def pem(certs: Sequence[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def name_check(host: str) -> list[str]:
    is_ip = re.fullmatch(r"[0-9.]+", host) is not None
    return ["-verify_ip", host] if is_ip else ["-verify_hostname", host]


def trust_files(
    tmp_path: Path, directory: Path, entry: dict[str, object]
) -> tuple[Path, list[str]]:
    """The CAfile (anchors + trusted chain-building certificates) and -untrusted options."""
    cafile = tmp_path / "cafile.pem"
    trusted = (
        (directory / "anchors.pem").read_bytes() if (directory / "anchors.pem").exists() else b""
    )
    untrusted: list[str] = []
    if (directory / "sent.pem").exists():
        untrusted += ["-untrusted", str(directory / "sent.pem")]
    for extra in entry["chain_building"]:  # type: ignore[attr-defined]
        path = directory / extra["file"]
        if extra["trusted"]:
            trusted += path.read_bytes()
        else:
            untrusted += ["-untrusted", str(path)]
    cafile.write_bytes(trusted)
    return cafile, untrusted


def run_verify(
    tmp_path: Path, name: str, crl_check: bool, crl_paths: Sequence[str] | None = None
) -> CertificateStatus:
    """openssl verify's verdict on a committed scenario; with ``crl_check``, against the CRLs
    a client can reach (default) or the given fixture files."""
    entry = SPEC_BY_NAME[name]
    directory = FIXTURES / name
    cafile, untrusted = trust_files(tmp_path, directory, entry)
    argv = [
        "openssl", "verify", "-attime", str(int(VERIFICATION_TIME.timestamp())),
        "-auth_level", "2", "-purpose", "sslserver", *name_check(entry["host"]),
        "-CAfile", str(cafile), *untrusted,
    ]  # fmt: skip
    if crl_check:
        crl_file = tmp_path / "crls.pem"
        crls = [
            x509.load_der_x509_crl((directory / p).read_bytes())
            for p in (entry["reachable_crls"] if crl_paths is None else crl_paths)
        ]
        crl_file.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in crls))
        argv.append("-crl_check_all")
        if crls:  # openssl refuses an empty CRL file; no CRL at all is a valid input
            argv += ["-CRLfile", str(crl_file)]
    result = subprocess.run(
        [*argv, str(directory / "leaf.pem")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode == 0:
        assert ": OK" in output
        return S.TRUSTED
    found = re.search(r"error (\d+) at (\d+) depth lookup", output)
    assert found, output
    return status_from_openssl(int(found.group(1)), int(found.group(2)))


def crl_oracle_skip_reason(m: Materials) -> str | None:
    """Why ``openssl verify -crl_check_all`` cannot stand for "require" here, or None."""
    leaf = m.leaf.certificate
    if m.staple is not None:
        return "the answer is stapled; openssl verify does not read staples"
    try:
        leaf.extensions.get_extension_for_class(x509.TLSFeature)
        return "Must-Staple (RFC 7633) is not implemented by openssl verify"
    except x509.ExtensionNotFound:
        pass
    if leaf in m.trusted:
        return "the leaf is its own anchor: openssl wants a CRL for it, our contract checks none"
    if ocsp_url(leaf) == m.endpoints.ocsp_url and not all(
        crl_urls_of(c) for c in m.path_certificates
    ):
        return "the leaf's answer comes from OCSP, which openssl verify does not fetch"
    return None


def test_the_committed_spec_is_the_catalogue() -> None:
    assert [e["name"] for e in SPEC["scenarios"]] == list(SCENARIOS)
    for entry in SPEC["scenarios"]:
        expected = SCENARIOS[entry["name"]].expected
        assert entry["expected"] == {p: s.value for p, s in expected.items()}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_openssl_verify_agrees_on_the_chain(tmp_path: Path, name: str) -> None:
    """Without revocation checking, openssl verify's verdict is the catalogue's "off" status."""
    assert run_verify(tmp_path, name, crl_check=False) is SCENARIOS[name].expected["off"]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_openssl_verify_with_crls_agrees_with_require(tmp_path: Path, name: str) -> None:
    """With every reachable CRL and -crl_check_all, openssl is the "require" policy for CRLs."""
    reason = crl_oracle_skip_reason(offline(name))
    if reason is not None:
        pytest.skip(reason)
    assert run_verify(tmp_path, name, crl_check=True) is SCENARIOS[name].expected["require"]


def test_the_crl_oracle_judges_the_crl_scenarios() -> None:
    """Guard against the skip rule silently skipping what it exists to check."""
    judged = {n for n in SCENARIOS if crl_oracle_skip_reason(offline(n)) is None}
    assert {"good", "revoked-by-crl", "revoked-intermediate", "stale-crl", "crl-server-down",
            "crl-garbage", "no-revocation-info", "ocsp-responder-down"} <= judged  # fmt: skip
    assert "revoked-by-ocsp" not in judged
    assert "must-staple-without-staple" not in judged


@pytest.mark.parametrize(
    ("name", "revoked"),
    [("revoked-responder-down", True), ("revoked-no-revocation-info", True),
     ("ocsp-responder-down", False), ("no-revocation-info", False)],
)  # fmt: skip
def test_openssl_given_the_cas_own_crls_sees_what_no_client_can_learn(
    tmp_path: Path, name: str, revoked: bool
) -> None:
    """AIR's hole, judged independently: handed every CRL the scenario's CAs issued (not only
    those the path points to), openssl says the leaf is revoked; the twins stay good."""
    every_crl = [p for p in SPEC_BY_NAME[name]["files"] if p.startswith("crl/")]
    assert "crl/intermediate.crl" in every_crl
    assert "crl/intermediate.crl" not in SPEC_BY_NAME[name]["reachable_crls"]
    status = run_verify(tmp_path, name, crl_check=True, crl_paths=every_crl)
    assert status is (S.REVOKED if revoked else S.TRUSTED)


# ------------------------------------------------------------------------- live servers


def s_client(live_port: int, host: str, cafile: Path, weak: bool) -> str:
    argv = [
        "openssl", "s_client", "-connect", f"127.0.0.1:{live_port}", *name_check(host),
        "-CAfile", str(cafile), "-auth_level", "2", "-purpose", "sslserver", "-status",
    ]  # fmt: skip
    if not re.fullmatch(r"[0-9.]+", host):
        argv += ["-servername", host]
    if weak:  # let the handshake through so that verification, not the cipher suite, judges
        argv += ["-cipher", "DEFAULT@SECLEVEL=0"]
    result = subprocess.run(argv, input=b"", capture_output=True, timeout=30, check=False)
    return result.stdout.decode() + "\n" + result.stderr.decode()


def s_client_status(output: str) -> CertificateStatus:
    """The status from s_client's first verify error (its depth is on the line before)."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        found = re.match(r"verify error:num=(\d+):", line)
        if found:
            depth = next(
                int(m.group(1))
                for m in (re.match(r"depth=(\d+)", lines[i]) for i in range(index, -1, -1))
                if m
            )
            return status_from_openssl(int(found.group(1)), depth)
    assert "Verify return code: 0 (ok)" in output, output
    return S.TRUSTED


PYTHON_SERVER_CASES = ["good", "expired-leaf", "untrusted-root", "rsa-1024-key"]


@pytest.mark.parametrize(
    ("name", "server"),
    [(n, "openssl") for n in SCENARIOS] + [(n, "python") for n in PYTHON_SERVER_CASES],
)
def test_s_client_against_the_live_scenario_agrees_on_the_chain(
    no_leftover_servers: None, tmp_path: Path, name: str, server: Literal["openssl", "python"]
) -> None:
    scenario = SCENARIOS[name]
    with scenario.start(server=server) as live:
        cafile = tmp_path / "trusted.pem"
        cafile.write_bytes(pem(live.materials.trusted))
        if live.materials.untrusted:
            pytest.skip(
                "s_client has no option for untrusted chain-building certificates"
                " (openssl verify -untrusted judges this scenario offline)"
            )
        output = s_client(live.port, live.server_name, cafile, scenario.weak)
    assert s_client_status(output) is scenario.expected["off"], output


@pytest.mark.parametrize("tls_version", ["1.2", "1.3"])
@pytest.mark.parametrize(
    ("name", "stapled"),
    [("revoked-via-staple", "revoked"), ("must-staple-with-staple", "good"),
     ("must-staple-without-staple", None), ("good", None)],
)  # fmt: skip
def test_s_client_sees_the_staple_the_catalogue_describes(
    tmp_path: Path, name: str, stapled: str | None, tls_version: TLSVersion
) -> None:
    """OpenSSL prints the staple (it does not judge it): revoked → "revoked" under soft-fail;
    a Must-Staple leaf without one → "invalid" under soft-fail; with a good one → trusted."""
    scenario = SCENARIOS[name]
    with scenario.start(tls_version=tls_version) as live:
        cafile = tmp_path / "trusted.pem"
        cafile.write_bytes(pem(live.materials.trusted))
        output = s_client(live.port, live.server_name, cafile, weak=False)
        assert f"New, TLSv{tls_version}, Cipher is" in output
        must_staple = _has_tls_feature(live.materials.leaf.certificate)
    if stapled is None:
        assert "OCSP response: no response sent" in output
        expected = S.INVALID if must_staple else S.TRUSTED
    else:
        assert f"Cert Status: {stapled}" in output
        expected = S.REVOKED if stapled == "revoked" else S.TRUSTED
    assert scenario.expected["soft-fail"] is expected


def _has_tls_feature(cert: x509.Certificate) -> bool:
    try:
        cert.extensions.get_extension_for_class(x509.TLSFeature)
    except x509.ExtensionNotFound:
        return False
    return True


def ocsp_only_scenarios() -> list[str]:
    """Revocation scenarios whose leaf's only source is the live OCSP responder."""
    names = []
    for name, scenario in SCENARIOS.items():
        m = offline(name)
        leaf = m.leaf.certificate
        if (
            scenario.kind == "revocation"
            and m.staple is None
            and ocsp_url(leaf) == m.endpoints.ocsp_url
            and not crl_urls_of(leaf)
            and not _has_tls_feature(leaf)
        ):
            names.append(name)
    return names


def test_the_ocsp_oracle_covers_the_ocsp_scenarios() -> None:
    assert set(ocsp_only_scenarios()) == {
        "revoked-by-ocsp", "stale-ocsp", "ocsp-try-later", "ocsp-unauthorised-signer",
        "ocsp-delegated-responder", "ocsp-responder-slow",
    }  # fmt: skip


@pytest.mark.parametrize("name", ocsp_only_scenarios())
def test_openssl_ocsp_client_agrees_with_hard_fail(tmp_path: Path, name: str) -> None:
    """openssl ocsp asks the live responder about the leaf; its verdict decides "hard-fail"."""
    scenario = SCENARIOS[name]
    with scenario.start() as live:
        m = live.materials
        (tmp_path / "leaf.pem").write_bytes(pem([m.leaf.certificate]))
        (tmp_path / "issuer.pem").write_bytes(pem(m.sent[:1]))
        (tmp_path / "anchors.pem").write_bytes(pem(m.trusted))
        result = subprocess.run(
            ["openssl", "ocsp", "-issuer", str(tmp_path / "issuer.pem"),
             "-cert", str(tmp_path / "leaf.pem"), "-url", live.endpoints.ocsp_url,
             "-CAfile", str(tmp_path / "anchors.pem"),
             "-verify_other", str(tmp_path / "issuer.pem"),
             # openssl's own client timeout: the slow responder answers long after it.
             "-timeout", "1"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    output = result.stdout + result.stderr
    if "Responder Error" in output or "Response Verify Failure" in output:
        verdict = S.INVALID  # no usable answer
    elif "Error querying OCSP responder" in output and "timeout" in output:
        verdict = S.INVALID  # no answer in time
    elif "Status times invalid" in output:
        verdict = S.INVALID  # stale
    elif ": revoked" in output:
        verdict = S.REVOKED
    else:
        assert ": good" in output, output
        verdict = scenario.expected["off"]
    assert verdict is scenario.expected["hard-fail"], output


# ------------------------------------------------------- our OCSP answers, judged by openssl


def respin(tmp_path: Path, name: str, index: int) -> str:
    """``openssl ocsp -respin`` on a committed answer about the leaf (index 0)."""
    directory = FIXTURES / name
    m = offline(name)
    (tmp_path / "issuer.pem").write_bytes(pem(m.sent[:1]))
    result = subprocess.run(
        ["openssl", "ocsp", "-respin", str(directory / "ocsp" / f"{index}.der"),
         "-issuer", str(tmp_path / "issuer.pem"), "-cert", str(directory / "leaf.pem"),
         "-CAfile", str(directory / "anchors.pem"), "-verify_other", str(tmp_path / "issuer.pem"),
         "-no_nonce", "-attime", str(int(VERIFICATION_TIME.timestamp())),
         # openssl ocsp judges freshness by the clock, not -attime: allow for the fixtures age.
         "-validity_period", str(20 * 365 * 86400)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    return result.stdout + result.stderr


@pytest.mark.parametrize(("name", "status"), [("good", "good"), ("revoked-by-ocsp", "revoked")])
def test_openssl_accepts_our_responder_answers(tmp_path: Path, name: str, status: str) -> None:
    output = respin(tmp_path, name, 0)
    assert "Response verify OK" in output
    assert f"leaf.pem: {status}" in output


def test_openssl_rejects_the_unauthorised_signers_answer(tmp_path: Path) -> None:
    output = respin(tmp_path, "ocsp-unauthorised-signer", 0)
    assert "Response Verify Failure" in output
    assert "Response verify OK" not in output


def test_openssl_checks_the_live_responders_nonce(tmp_path: Path) -> None:
    """The live responder echoes the nonce openssl sends; in nonce-mismatch mode openssl sees it."""
    from securesocket.testing.ocsp_servers import OCSPFault

    with SCENARIOS["good"].start() as live:
        m = live.materials
        (tmp_path / "leaf.pem").write_bytes(pem([m.leaf.certificate]))
        (tmp_path / "issuer.pem").write_bytes(pem(m.sent[:1]))
        (tmp_path / "anchors.pem").write_bytes(pem(m.trusted))
        outputs = []
        for fault in (OCSPFault.NONE, OCSPFault.NONCE_MISMATCH):
            live.ocsp_responder.fault = fault
            result = subprocess.run(
                ["openssl", "ocsp", "-issuer", str(tmp_path / "issuer.pem"),
                 "-cert", str(tmp_path / "leaf.pem"), "-url", live.endpoints.ocsp_url,
                 "-CAfile", str(tmp_path / "anchors.pem")],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
            outputs.append(result.stdout + result.stderr)
    assert "Response verify OK" in outputs[0]
    assert "nonce" not in outputs[0].lower()
    assert "Nonce Verify error" in outputs[1]
