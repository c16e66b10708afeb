"""NIST PKITS path validation (sections 4.1-4.13 and 4.16) through `verify_chain`.

Every run is checked at 2015-01-01T00:00Z with profile="rfc5280" and revocation="off". Runs
whose outcome depends on CRL processing belong to the revocation tests and are skipped here
with that reason; DSA runs cryptography cannot parse are skipped with that reason. A valid run
must come out trusted with the expected user-constrained policy set; an invalid run must not
come out trusted.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning

from securesocket import CertificateStatus
from securesocket.trust import PolicyInputs, verify_chain


REPO = Path(__file__).resolve().parents[1]
CANDIDATES = (REPO.parent / "shared" / "pkits", Path("/work/shared/pkits"))
PKITS = next((p for p in CANDIDATES if (p / "tests.json").is_file()), None)
AT = datetime(2015, 1, 1, tzinfo=UTC)
SECTIONS = {f"4.{n}" for n in (*range(1, 14), 16)}


@dataclass(frozen=True)
class Run:
    """One PKITS run from tests.json."""

    uid: str
    name: str
    expected: str
    data: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.uid} {self.name}"


def _runs() -> list[Run]:
    if PKITS is None:
        return []
    manifest = json.loads((PKITS / "tests.json").read_text())
    return [
        Run(t["uid"], t["name"], t["expected"], t)
        for t in manifest["tests"]
        if t["section"] in SECTIONS
    ]


RUNS = _runs()


def _load(relative: str) -> x509.Certificate:
    assert PKITS is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return x509.load_der_x509_certificate((PKITS / relative).read_bytes())


@pytest.mark.skipif(PKITS is None, reason="PKITS data not found beside the repo or in /work")
def test_manifest_has_every_run() -> None:
    """The sections under test hold the 204 PKITS runs (173 without CRL processing)."""
    assert len(RUNS) == 204
    assert sum(not r.data["revocation_relevant"] for r in RUNS) == 173


@pytest.mark.parametrize("run", RUNS, ids=str)
def test_pkits_run(run: Run) -> None:
    """The run's expected outcome (valid: trusted; invalid: anything but trusted)."""
    if run.data["revocation_relevant"]:
        pytest.skip("outcome depends on CRL processing: covered by the revocation tests")
    if run.data.get("cryptography48_cannot_parse"):
        pytest.skip("DSA key with inherited parameters: cryptography cannot parse it")
    result = verify_chain(
        _load(run.data["end_entity_cert"]),
        [_load(p) for p in run.data["intermediate_certs"]],
        anchors=[_load(run.data["trust_anchor"])],
        trust="none",
        profile="rfc5280",
        revocation="off",
        at=AT,
        policy=run.data["settings"],
    )
    if run.expected == "valid":
        assert result.status == CertificateStatus.TRUSTED, result.problems
        assert result.problems == ()
        expected_policies = set(run.data["expected_user_constrained_policy_set"])
        assert expected_policies == set(result.user_constrained_policy_set)
    else:
        assert result.status != CertificateStatus.TRUSTED
        assert result.problems


@pytest.mark.skipif(PKITS is None, reason="PKITS data not found beside the repo or in /work")
def test_policy_inputs_dataclass_matches_the_mapping() -> None:
    """`PolicyInputs` gives the same answers as the mapping: 4.8.1 with policy 1 (valid) and
    policy 2 (invalid) under an explicit-policy requirement."""
    ee = _load("certs/ValidCertificatePathTest1EE.crt")
    pool = [_load("certs/GoodCACert.crt")]
    anchor = _load("certs/TrustAnchorRootCertificate.crt")
    policy_1 = "2.16.840.1.101.3.2.1.48.1"

    def status(policy_set: str) -> CertificateStatus:
        inputs = PolicyInputs(frozenset({policy_set}), initial_explicit_policy=True)
        return verify_chain(
            ee,
            pool,
            anchors=[anchor],
            trust="none",
            profile="rfc5280",
            revocation="off",
            at=AT,
            policy=inputs,
        ).status

    assert status(policy_1) == CertificateStatus.TRUSTED
    assert status("2.16.840.1.101.3.2.1.48.2") == CertificateStatus.INVALID_CHAIN


@pytest.mark.skipif(PKITS is None, reason="PKITS data not found beside the repo or in /work")
def test_webpki_profile_on_pkits() -> None:
    """Under webpki, 4.1.1 (SHA-256, RSA-2048) is still trusted and 4.1.4 (DSA) is not."""
    anchor = [_load("certs/TrustAnchorRootCertificate.crt")]

    def webpki(ee: str, *pool: str):
        return verify_chain(
            _load(ee),
            [_load(p) for p in pool],
            anchors=anchor,
            trust="none",
            revocation="off",
            at=AT,
        )

    rsa = webpki("certs/ValidCertificatePathTest1EE.crt", "certs/GoodCACert.crt")
    dsa = webpki("certs/ValidDSASignaturesTest4EE.crt", "certs/DSACACert.crt")
    assert rsa.status == CertificateStatus.TRUSTED
    assert dsa.status == CertificateStatus.INVALID_CHAIN
    assert "weak_key" in {p.code for p in dsa.problems}


@pytest.mark.skipif(PKITS is None, reason="PKITS data not found beside the repo or in /work")
def test_negative_serial_is_a_webpki_problem() -> None:
    """Serial -1 (PKITS 4.4.15's leaf): invalid under webpki, fine for rfc5280 path checks."""
    leaf = _load("certs/InvalidNegativeSerialNumberTest15EE.crt")
    pool = [_load("certs/NegativeSerialNumberCACert.crt")]
    anchor = [_load("certs/TrustAnchorRootCertificate.crt")]

    def run(profile: str):
        return verify_chain(
            leaf, pool, anchors=anchor, trust="none", revocation="off", at=AT, profile=profile
        )

    webpki = run("webpki")
    assert webpki.status == CertificateStatus.INVALID
    assert [p.code for p in webpki.problems] == ["bad_serial"]
    assert run("rfc5280").status == CertificateStatus.TRUSTED


POLICY_RUNS = [
    r
    for r in RUNS
    if PolicyInputs.coerce(r.data["settings"]) != PolicyInputs()
    and not r.data["revocation_relevant"]
    and not r.data.get("cryptography48_cannot_parse")
]


@pytest.mark.parametrize("run", POLICY_RUNS, ids=str)
def test_policy_as_mapping_and_as_dataclass_agree(run: Run) -> None:
    """Every run with non-default policy settings: the tests.json mapping and `PolicyInputs`
    with the same fields give the same status, problems and user-constrained policy set, and
    those settings matter for some run (the default inputs change the verdict somewhere)."""
    settings = run.data["settings"]
    dataclass_inputs = PolicyInputs(
        frozenset(settings.get("initial_policy_set", ["2.5.29.32.0"])),
        bool(settings.get("initial_explicit_policy", False)),
        bool(settings.get("initial_policy_mapping_inhibit", False)),
        bool(settings.get("initial_inhibit_any_policy", False)),
    )

    def run_with(policy: object):
        return verify_chain(
            _load(run.data["end_entity_cert"]),
            [_load(p) for p in run.data["intermediate_certs"]],
            anchors=[_load(run.data["trust_anchor"])],
            trust="none",
            profile="rfc5280",
            revocation="off",
            at=AT,
            policy=policy,  # type: ignore[arg-type]
        )

    as_mapping, as_dataclass = run_with(settings), run_with(dataclass_inputs)
    assert as_mapping.status == as_dataclass.status
    assert as_mapping.problems == as_dataclass.problems
    assert as_mapping.user_constrained_policy_set == as_dataclass.user_constrained_policy_set
    assert PolicyInputs.coerce(settings) == dataclass_inputs


@pytest.mark.skipif(PKITS is None, reason="PKITS data not found beside the repo or in /work")
def test_the_policy_settings_change_verdicts() -> None:
    """The twin of the agreement test: with default inputs instead of the listed settings,
    some of those runs come out differently (so the settings are really applied)."""
    changed = 0
    for run in POLICY_RUNS:
        args = (
            _load(run.data["end_entity_cert"]),
            [_load(p) for p in run.data["intermediate_certs"]],
        )
        kw = {"anchors": [_load(run.data["trust_anchor"])], "trust": "none", "at": AT}
        given = verify_chain(
            *args, profile="rfc5280", revocation="off", policy=run.data["settings"], **kw
        )  # type: ignore[arg-type]
        default = verify_chain(*args, profile="rfc5280", revocation="off", **kw)  # type: ignore[arg-type]
        changed += given.status != default.status
    assert changed >= 10  # 13 of the 35 runs at the time of writing
