"""CRL parsing and §6.3 details not covered by PKITS: the serial reader, the index, delta CRLs
built with the fixture kit, unknown critical extensions, and the signature memo."""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from securesocket.revocation import Outcome, RevocationRules, evaluate_offline
from securesocket.revocation.crl import load_crl, serial_of
from securesocket.revocation.crl_check import CrlContext, check_crls
from securesocket.testing import CA
from tests.revocation_helpers import NOW, der, make_pki


@pytest.mark.parametrize("serial", [1, 127, 128, 255, 256, 65535, 2**64 + 5, 2**159 - 1])
def test_serial_of_matches_cryptography(serial: int) -> None:
    cert = CA().issue_cert("x.test", serial=serial).certificate
    assert serial_of(cert) == cert.serial_number == serial


def test_serial_of_reads_a_negative_serial_without_a_warning() -> None:
    path = Path("/work/shared/pkits/certs/InvalidNegativeSerialNumberTest15EE.crt")
    if not path.exists():
        path = Path(__file__).resolve().parents[2] / "shared/pkits/certs" / path.name
    if not path.exists():
        pytest.skip("PKITS not found")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cert = x509.load_der_x509_certificate(path.read_bytes())
    assert serial_of(cert) == -1  # and filterwarnings=error proves no warning was raised


@pytest.mark.parametrize("data", [b"", b"garbage", b"\x30\x03abc", b"-----BEGIN X509 CRL-----\n"])
def test_unparseable_crls_carry_a_problem(data: bytes) -> None:
    parsed = load_crl(data, origin="supplied")
    assert parsed.crl is None
    assert parsed.problem is not None
    assert "not a CRL" in parsed.problem


def test_pem_der_and_objects_load_alike() -> None:
    ca = CA()
    ca.revoke(ca.issue_cert("a.test", serial=77), at=NOW - dt.timedelta(hours=1))
    crl = ca.crl(at=NOW)
    forms = [crl, der(crl), crl.public_bytes(serialization.Encoding.PEM)]
    for form in forms:
        parsed = load_crl(form, origin="supplied")
        assert parsed.problem is None
        assert len(parsed) == 1
        entry = parsed.lookup(ca.subject, 77)
        assert entry is not None
        assert entry.reason is x509.ReasonFlags.key_compromise
        assert parsed.lookup(ca.subject, 78) is None
        assert parsed.lookup(CA().subject, 77) is None  # same serial, another issuer


def test_unknown_critical_crl_extension_makes_it_unusable() -> None:
    ca = CA()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(NOW)
        .next_update(NOW + dt.timedelta(days=1))
        .add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"),
            critical=True,
        )
    )
    crl = builder.sign(ca.private_key, hashes.SHA256())  # type: ignore[arg-type]
    parsed = load_crl(crl, origin="supplied")
    assert parsed.problem == "unknown critical CRL extension 1.3.6.1.4.1.99999.1"
    benign = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(NOW)
        .next_update(NOW + dt.timedelta(days=1))
        .add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"),
            critical=False,
        )
        .sign(ca.private_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    assert load_crl(benign, origin="supplied").problem is None


def test_delta_crl_adds_a_revocation_and_can_be_turned_off() -> None:
    pki = make_pki()
    base = pki.inter.crl(at=NOW - dt.timedelta(hours=2), number=10)
    pki.inter.revoke(pki.leaf, at=NOW - dt.timedelta(hours=1))
    delta = pki.inter.crl(
        at=NOW, number=11, delta_base=10, changed_since=NOW - dt.timedelta(hours=2)
    )
    crls = [der(pki.root.crl(at=NOW)), der(base), der(delta)]
    with_deltas = evaluate_offline(pki.path, policy="require", at=NOW, crls=crls)
    without = evaluate_offline(
        pki.path,
        policy=dataclasses.replace(RevocationRules.of("require"), use_deltas=False),
        at=NOW,
        crls=crls,
    )
    assert with_deltas.status.value == "revoked"
    assert "with delta CRL #11" in with_deltas.certificates[0].attempts[0].detail
    assert without.accepted  # the base alone does not list it


def test_a_stale_delta_makes_the_answer_stale() -> None:
    pki = make_pki()
    base = pki.inter.crl(
        at=NOW - dt.timedelta(days=1), next_update=NOW + dt.timedelta(days=6), number=10
    )
    delta = pki.inter.crl(
        at=NOW - dt.timedelta(days=3),
        next_update=NOW - dt.timedelta(days=2),
        number=11,
        delta_base=10,
    )
    report = evaluate_offline(
        pki.path, policy="require", at=NOW, crls=[der(pki.root.crl(at=NOW)), der(base), der(delta)]
    )
    leaf = report.certificates[0]
    assert not report.accepted
    assert leaf.attempts[0].outcome is Outcome.STALE
    assert "delta CRL is stale" in leaf.attempts[0].detail


def test_a_crl_signed_by_a_stranger_with_the_same_name_is_refused() -> None:
    pki = make_pki()
    name = pki.inter.certificate.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[
        0
    ].value
    impostor = CA(common_name=str(name))
    report = evaluate_offline(
        pki.path,
        policy="require",
        at=NOW,
        crls=[der(pki.root.crl(at=NOW)), der(impostor.crl(at=NOW))],
    )
    assert not report.accepted
    assert "signature does not verify" in report.certificates[0].attempts[0].detail


def test_a_proven_signature_is_remembered_and_a_failure_is_not() -> None:
    pki = make_pki()
    parsed = load_crl(der(pki.inter.crl(at=NOW)), origin="fetched", url="http://x/")
    context = CrlContext(pki.path, (), None, NOW, RevocationRules(), (parsed,))
    assert check_crls(pki.leaf.certificate, 0, context).outcome is Outcome.GOOD
    assert len(parsed.verified_keys) == 1
    stranger = load_crl(der(CA(common_name="other").crl(at=NOW)), origin="supplied")
    assert stranger.verified_keys == set()


def test_no_crl_for_the_issuer_means_nothing_available() -> None:
    pki = make_pki()
    context = CrlContext(
        pki.path,
        (),
        None,
        NOW,
        RevocationRules(),
        (load_crl(der(CA().crl(at=NOW)), origin="supplied"),),
    )
    result = check_crls(pki.leaf.certificate, 0, context)
    assert result.outcome is None
    assert result.attempts == ()


def test_supplied_crls_are_indexed_once_per_content() -> None:
    from securesocket.revocation.crl import load_supplied_crl

    crl = CA().crl(at=NOW)
    first = load_supplied_crl(der(crl))
    assert load_supplied_crl(der(crl)) is first  # the same bytes again: not re-indexed
    assert load_supplied_crl(crl) is first  # the object form has the same DER
    other = load_supplied_crl(der(CA().crl(at=NOW)))
    assert other is not first
    junk = load_supplied_crl(b"junk")
    assert load_supplied_crl(b"junk") is not junk  # failures are not remembered


def test_a_delta_older_than_its_base_is_ignored() -> None:
    pki = make_pki()
    pki.inter.revoke(
        pki.leaf, reason=x509.ReasonFlags.certificate_hold, at=NOW - dt.timedelta(hours=3)
    )
    old_delta = pki.inter.crl(at=NOW - dt.timedelta(hours=1), number=11, delta_base=10)
    base = pki.inter.crl(at=NOW, number=12)  # lists the hold
    crls = [der(pki.root.crl(at=NOW)), der(base), der(old_delta)]
    report = evaluate_offline(pki.path, policy="require", at=NOW, crls=crls)
    assert report.status.value == "revoked"
    assert "delta" not in report.certificates[0].attempts[0].detail
