"""OCSP responses judged offline: every check in `judge_response`, each with a failing twin."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, SignatureAlgorithmOID

from securesocket.revocation import (
    Fetchers,
    Outcome,
    RevocationPolicy,
    RevocationRules,
    check_revocation,
    evaluate_offline,
)
from securesocket.revocation.ocsp import (
    MAX_GET_URL_BYTES,
    build_request,
    get_url,
    judge_response,
    must_staple,
    ocsp_urls,
)
from securesocket.testing import CA, KeyType, LeafCert
from tests.revocation_helpers import NOW, Pki, der, make_pki, pss_signed


RULES = RevocationRules()


def judge(pki: Pki, response: ocsp.OCSPResponse | bytes, **kwargs: object) -> tuple[Outcome, str]:
    attempt = judge_response(
        response,
        pki.leaf.certificate,
        pki.inter.certificate,
        at=kwargs.pop("at", NOW),  # type: ignore[arg-type]
        rules=kwargs.pop("rules", RULES),
        **kwargs,  # type: ignore[arg-type]
    )
    return attempt.outcome, attempt.detail


@pytest.fixture
def pki() -> Pki:
    return make_pki()


def test_good_from_the_issuer(pki: Pki) -> None:
    assert judge(pki, pki.inter.ocsp_response(pki.leaf, at=NOW))[0] is Outcome.GOOD


def test_revoked_carries_reason_and_time(pki: Pki) -> None:
    when = NOW - dt.timedelta(hours=3)
    pki.inter.revoke(pki.leaf, reason=x509.ReasonFlags.superseded, at=when)
    attempt = judge_response(
        pki.inter.ocsp_response(pki.leaf, at=NOW),
        pki.leaf.certificate,
        pki.inter.certificate,
        at=NOW,
        rules=RULES,
    )
    assert attempt.outcome is Outcome.REVOKED
    assert attempt.revocation_reason == "superseded"
    assert attempt.revocation_time == when


def test_unknown_is_not_good(pki: Pki) -> None:
    response = pki.inter.ocsp_response(pki.leaf, at=NOW, status="unknown")
    assert judge(pki, response)[0] is Outcome.UNKNOWN


def test_a_response_about_another_certificate_is_refused(pki: Pki) -> None:
    other = pki.inter.issue_cert("other.localhost")
    outcome, detail = judge(pki, pki.inter.ocsp_response(other, at=NOW))
    assert outcome is Outcome.ERROR
    assert "another certificate" in detail


def test_same_serial_from_another_issuer_is_refused(pki: Pki) -> None:
    name = pki.inter.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    imposter_ca = CA(common_name=str(name))  # same subject name, another key
    assert imposter_ca.certificate.subject == pki.inter.certificate.subject
    twin = imposter_ca.issue_cert("localhost", serial=pki.leaf.certificate.serial_number)
    outcome, _ = judge(pki, imposter_ca.ocsp_response(twin, at=NOW))
    assert outcome is Outcome.ERROR


@pytest.mark.parametrize("algorithm", [hashes.SHA256(), hashes.SHA384()])
def test_certid_with_other_hash_algorithms(pki: Pki, algorithm: hashes.HashAlgorithm) -> None:
    response = pki.inter.ocsp_response(pki.leaf, at=NOW, hash_algorithm=algorithm)
    assert judge(pki, response)[0] is Outcome.GOOD


def test_delegated_responder_with_nocheck(pki: Pki) -> None:
    responder = pki.inter.issue_ocsp_responder()
    response = pki.inter.ocsp_response(pki.leaf, at=NOW, responder=responder)
    assert judge(pki, response)[0] is Outcome.GOOD


def test_delegate_without_ocsp_signing_is_unauthorised(pki: Pki) -> None:
    responder = pki.inter.issue_ocsp_responder(ocsp_signing=False)
    outcome, detail = judge(pki, pki.inter.ocsp_response(pki.leaf, at=NOW, responder=responder))
    assert outcome is Outcome.ERROR
    assert "lacks id-kp-OCSPSigning" in detail


def test_delegate_of_another_ca_is_unauthorised(pki: Pki) -> None:
    foreign = CA().issue_ocsp_responder()
    response = pki.inter.ocsp_response(pki.leaf, at=NOW, responder=foreign)
    outcome, detail = judge(pki, response)
    assert outcome is Outcome.ERROR
    assert "not issued by the certificate's issuer" in detail


def test_delegate_without_nocheck_needs_its_own_good_status(pki: Pki) -> None:
    responder = pki.inter.issue_ocsp_responder(nocheck=False)
    response = der(pki.inter.ocsp_response(pki.leaf, at=NOW, responder=responder))
    without_crl = evaluate_offline(
        pki.path,
        policy="require",
        at=NOW,
        ocsp_responses=[response],
        crls=[der(pki.root.crl(at=NOW))],
    )
    with_crl = evaluate_offline(
        pki.path, policy="require", at=NOW, ocsp_responses=[response], crls=pki.good_crls()
    )
    assert not without_crl.accepted
    assert "has no CRL saying it is not revoked" in without_crl.certificates[0].attempts[0].detail
    assert with_crl.accepted
    assert with_crl.certificates[0].attempts[0].method.value == "ocsp"
    pki.inter.revoke(responder, at=NOW - dt.timedelta(hours=1))
    fresh = [der(pki.root.crl(at=NOW)), der(pki.inter.crl(at=NOW))]
    revoked = evaluate_offline(
        pki.path, policy="require", at=NOW, ocsp_responses=[response], crls=fresh
    )
    assert "is itself revoked" in revoked.certificates[0].attempts[0].detail


def test_tampered_signature_is_refused(pki: Pki) -> None:
    data = bytearray(der(pki.inter.ocsp_response(pki.leaf, at=NOW)))
    data[-3] ^= 0x01  # inside the signature BIT STRING
    outcome, detail = judge(pki, bytes(data))
    assert outcome is Outcome.ERROR
    assert detail == "signed by the issuer, but the signature does not verify"


@pytest.mark.parametrize(
    "status",
    [
        ocsp.OCSPResponseStatus.TRY_LATER,
        ocsp.OCSPResponseStatus.INTERNAL_ERROR,
        ocsp.OCSPResponseStatus.UNAUTHORIZED,
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST,
    ],
)
def test_unsuccessful_statuses(pki: Pki, status: ocsp.OCSPResponseStatus) -> None:
    outcome, detail = judge(pki, ocsp.OCSPResponseBuilder.build_unsuccessful(status))
    assert outcome is Outcome.ERROR
    assert status.name in detail


@pytest.mark.parametrize("data", [b"", b"garbage", b"\x30\x82\x01\x00"])
def test_unparseable_bytes(pki: Pki, data: bytes) -> None:
    outcome, detail = judge(pki, data)
    assert outcome is Outcome.ERROR
    assert "not a DER OCSP response" in detail


def test_truncated(pki: Pki) -> None:
    data = der(pki.inter.ocsp_response(pki.leaf, at=NOW))
    assert judge(pki, data[: len(data) // 2])[0] is Outcome.ERROR


def test_fresh_then_stale_past_next_update(pki: Pki) -> None:
    response = pki.inter.ocsp_response(pki.leaf, at=NOW, next_update=NOW + dt.timedelta(hours=1))
    assert judge(pki, response, at=NOW + dt.timedelta(hours=1, minutes=4))[0] is Outcome.GOOD
    outcome, detail = judge(pki, response, at=NOW + dt.timedelta(hours=1, minutes=6))
    assert outcome is Outcome.STALE
    assert "past nextUpdate" in detail


def test_skew_is_configurable(pki: Pki) -> None:
    response = pki.inter.ocsp_response(pki.leaf, at=NOW, next_update=NOW + dt.timedelta(hours=1))
    tight = RevocationRules(skew=dt.timedelta(0))
    later = NOW + dt.timedelta(hours=1, minutes=1)
    assert judge(pki, response, at=later)[0] is Outcome.GOOD
    assert judge(pki, response, at=later, rules=tight)[0] is Outcome.STALE


def test_future_this_update_is_not_fresh(pki: Pki) -> None:
    response = pki.inter.ocsp_response(pki.leaf, at=NOW + dt.timedelta(hours=1))
    outcome, detail = judge(pki, response)
    assert outcome is Outcome.STALE
    assert "in the future" in detail


def test_no_next_update_uses_max_age(pki: Pki) -> None:
    response = pki.inter.ocsp_response(pki.leaf, at=NOW, next_update=None)
    rules = RevocationRules(max_age=dt.timedelta(hours=1))
    assert judge(pki, response, rules=rules, at=NOW + dt.timedelta(minutes=30))[0] is Outcome.GOOD
    outcome, detail = judge(pki, response, rules=rules, at=NOW + dt.timedelta(hours=2))
    assert outcome is Outcome.STALE
    assert "max_age" in detail


def test_nonce_match_mismatch_and_absence(pki: Pki) -> None:
    nonce = b"0123456789abcdef"
    echoed = pki.inter.ocsp_response(pki.leaf, at=NOW, nonce=nonce)
    other = pki.inter.ocsp_response(pki.leaf, at=NOW, nonce=b"fedcba9876543210")
    absent = pki.inter.ocsp_response(pki.leaf, at=NOW)
    assert judge(pki, echoed, nonce=nonce)[0] is Outcome.GOOD
    outcome, detail = judge(pki, other, nonce=nonce)
    assert outcome is Outcome.ERROR
    assert "nonce mismatch" in detail
    assert judge(pki, absent, nonce=nonce)[0] is Outcome.GOOD  # RFC 8954: may be omitted


def test_request_round_trips_and_get_or_post() -> None:
    pki = make_pki()
    request = build_request(pki.leaf.certificate, pki.inter.certificate, nonce=b"n" * 16)
    parsed = ocsp.load_der_ocsp_request(request)
    assert parsed.serial_number == pki.leaf.certificate.serial_number
    assert parsed.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"n" * 16
    small = get_url("http://127.0.0.1:1/", request)
    assert small is not None
    assert len(small) <= MAX_GET_URL_BYTES
    assert "+" not in small.split("/", 3)[3]  # base64 is URL-encoded
    assert get_url("http://127.0.0.1:1/" + "p" * 200, request) is None  # too long → POST


def test_aia_urls_and_must_staple_detection() -> None:
    pki = make_pki(ocsp_url="http://127.0.0.1:1/ocsp", must_staple=True)
    assert ocsp_urls(pki.leaf.certificate) == ["http://127.0.0.1:1/ocsp"]
    assert must_staple(pki.leaf.certificate)
    plain = make_pki()
    assert ocsp_urls(plain.leaf.certificate) == []
    assert not must_staple(plain.leaf.certificate)


@pytest.fixture(scope="module")
def rsa_pki() -> Pki:
    root = CA(key_type=KeyType.RSA_2048)
    inter = root.create_child_ca(key_type=KeyType.RSA_2048)
    return Pki(root, inter, inter.issue_cert("localhost"))


@pytest.mark.parametrize(
    ("algorithm", "salt"),
    [(hashes.SHA256(), 32), (hashes.SHA384(), 48), (hashes.SHA512(), 0), (hashes.SHA256(), 222)],
)
def test_rsa_pss_signed_responses_are_verified(
    rsa_pki: Pki, algorithm: hashes.HashAlgorithm, salt: int
) -> None:
    good = pss_signed(
        rsa_pki.inter.ocsp_response(rsa_pki.leaf, at=NOW, status="good"),
        rsa_pki.inter.private_key,  # type: ignore[arg-type]
        hash_algorithm=algorithm,
        mgf_hash=algorithm,
        salt_length=salt,
    )
    revoked = pss_signed(
        rsa_pki.inter.ocsp_response(rsa_pki.leaf, at=NOW, status="revoked"),
        rsa_pki.inter.private_key,  # type: ignore[arg-type]
        hash_algorithm=algorithm,
        mgf_hash=algorithm,
        salt_length=salt,
    )
    assert ocsp.load_der_ocsp_response(good).signature_algorithm_oid == (
        SignatureAlgorithmOID.RSASSA_PSS
    )
    assert judge(rsa_pki, good)[0] is Outcome.GOOD
    assert judge(rsa_pki, revoked)[0] is Outcome.REVOKED


def test_rsa_pss_failures_are_refused(rsa_pki: Pki) -> None:
    """Twins of the above: a flipped signature bit, another key, and an MGF1 hash that differs
    from the message hash (not supported: it fails closed) are all errors, never good."""
    response = rsa_pki.inter.ocsp_response(rsa_pki.leaf, at=NOW, status="good")
    sha256 = hashes.SHA256()

    def signed(key: object, mgf: hashes.HashAlgorithm = sha256) -> bytearray:
        return bytearray(
            pss_signed(response, key, hash_algorithm=sha256, mgf_hash=mgf, salt_length=32)  # type: ignore[arg-type]
        )

    tampered = signed(rsa_pki.inter.private_key)
    tampered[-5] ^= 0x01  # inside the signature BIT STRING (no certificates follow it)
    stranger = signed(CA(key_type=KeyType.RSA_2048).private_key)
    mixed = signed(rsa_pki.inter.private_key, hashes.SHA384())
    for data in (tampered, stranger, mixed):
        outcome, detail = judge(rsa_pki, bytes(data))
        assert outcome is Outcome.ERROR
        assert "RSA-PSS signature does not verify" in detail


def test_rsa_pss_from_an_ec_signer_is_refused(pki: Pki) -> None:
    """An RSA-PSS algorithm identifier on a response whose signer has an EC key."""
    rsa_signed = pss_signed(
        pki.inter.ocsp_response(pki.leaf, at=NOW),
        CA(key_type=KeyType.RSA_2048).private_key,  # type: ignore[arg-type]
        hash_algorithm=hashes.SHA256(),
        mgf_hash=hashes.SHA256(),
        salt_length=32,
    )
    outcome, detail = judge(pki, rsa_signed)
    assert outcome is Outcome.ERROR
    assert "does not match" in detail


def delegate_without_nocheck(pki: Pki, ocsp_url: str | None = None) -> LeafCert:
    return pki.inter.issue_cert(
        common_name="Delegated responder without nocheck",
        extended_key_usage=(ExtendedKeyUsageOID.OCSP_SIGNING,),
        ocsp_url=ocsp_url,
        crl_url=None,
    )


def test_delegate_without_nocheck_proven_by_an_ocsp_answer_from_the_issuer(pki: Pki) -> None:
    """No CRL covers the responder, but the issuer itself answered "good" about it."""
    delegate = delegate_without_nocheck(pki)
    about_leaf = der(pki.inter.ocsp_response(pki.leaf, at=NOW, responder=delegate))
    about_delegate = der(pki.inter.ocsp_response(delegate, at=NOW))
    root_crl = [der(pki.root.crl(at=NOW))]
    proven = evaluate_offline(
        pki.path,
        policy="require",
        at=NOW,
        ocsp_responses=[about_leaf, about_delegate],
        crls=root_crl,
    )
    assert proven.accepted, proven.summary
    assert proven.certificates[0].attempts[0].outcome is Outcome.GOOD
    unproven = evaluate_offline(
        pki.path, policy="require", at=NOW, ocsp_responses=[about_leaf], crls=root_crl
    )
    assert not unproven.accepted
    assert "has no CRL saying it is not revoked" in unproven.certificates[0].attempts[0].detail


def test_delegate_without_nocheck_vouching_for_itself_is_refused(pki: Pki) -> None:
    """The answer about the responder is signed by the responder: one level only, no loop."""
    delegate = delegate_without_nocheck(pki)
    about_leaf = der(pki.inter.ocsp_response(pki.leaf, at=NOW, responder=delegate))
    self_signed = der(pki.inter.ocsp_response(delegate, at=NOW, responder=delegate))
    report = evaluate_offline(
        pki.path,
        policy="require",
        at=NOW,
        ocsp_responses=[about_leaf, self_signed],
        crls=[der(pki.root.crl(at=NOW))],
    )
    assert not report.accepted
    detail = report.certificates[0].attempts[0].detail
    assert "OCSP about the responder" in detail
    assert "its status is unknown" in detail


def test_delegate_revoked_by_ocsp_or_by_crl_is_refused(pki: Pki) -> None:
    delegate = delegate_without_nocheck(pki)
    about_leaf = der(pki.inter.ocsp_response(pki.leaf, at=NOW, responder=delegate))
    good_about_delegate = der(pki.inter.ocsp_response(delegate, at=NOW))
    pki.inter.revoke(delegate, at=NOW - dt.timedelta(hours=1))
    revoked_about_delegate = der(pki.inter.ocsp_response(delegate, at=NOW))
    by_ocsp = evaluate_offline(
        pki.path,
        policy="soft-fail",
        at=NOW,
        ocsp_responses=[about_leaf, revoked_about_delegate],
        crls=[der(pki.root.crl(at=NOW))],
    )
    assert "is itself revoked (OCSP)" in by_ocsp.certificates[0].attempts[0].detail
    # A CRL listing the responder wins over an older OCSP "good" about it (the leaf itself is
    # then settled by the same CRL, which does not list it).
    by_crl = evaluate_offline(
        pki.path,
        policy="require",
        at=NOW,
        ocsp_responses=[about_leaf, good_about_delegate],
        crls=pki.good_crls(),
    )
    first, second = by_crl.certificates[0].attempts
    assert (first.method.value, first.outcome) == ("ocsp", Outcome.ERROR)
    assert "is itself revoked" in first.detail
    assert "(OCSP)" not in first.detail
    assert (second.method.value, second.outcome) == ("crl", Outcome.GOOD)


class DelegatingResponder:
    """Answers about the leaf with the delegate's signature and about the delegate with the
    issuer's own (or the delegate's, `self_vouching`): an injected OCSP fetcher."""

    def __init__(self, pki: Pki, delegate: LeafCert, *, self_vouching: bool = False) -> None:
        self.pki, self.delegate, self.self_vouching = pki, delegate, self_vouching
        self.asked: list[int] = []

    async def fetch_ocsp(self, url: str, request: bytes, *, timeout: float) -> bytes:
        serial = ocsp.load_der_ocsp_request(request).serial_number
        self.asked.append(serial)
        if serial == self.delegate.certificate.serial_number and not self.self_vouching:
            return der(self.pki.inter.ocsp_response(self.delegate.certificate, at=NOW))
        target = self.pki.leaf if serial == self.pki.leaf.certificate.serial_number else None
        assert target is not None or serial == self.delegate.certificate.serial_number
        return der(
            self.pki.inter.ocsp_response(target or self.delegate, at=NOW, responder=self.delegate)
        )

    async def fetch_crl(self, url: str, *, timeout: float) -> bytes:
        raise AssertionError("no CRL is declared here")


@pytest.mark.parametrize("self_vouching", [False, True])
def test_fetched_answer_about_a_delegate_without_nocheck(pki: Pki, self_vouching: bool) -> None:
    """Fetched: the delegate's own AIA OCSP URL is asked about it, once, and never again for
    the answer about it (bounded); the issuer's answer proves it, its own does not."""
    url = "http://ocsp.test/"
    leaf_pki = make_pki(ocsp_url=url)
    delegate = delegate_without_nocheck(leaf_pki, ocsp_url=url)
    fetcher = DelegatingResponder(leaf_pki, delegate, self_vouching=self_vouching)
    rules = dataclasses.replace(RevocationRules.of("require"), ca=RevocationPolicy.OFF)
    report = asyncio.run(
        check_revocation(
            leaf_pki.path,
            policy=rules,
            at=NOW,
            fetchers=Fetchers(crl=fetcher, ocsp=fetcher, timeout=5, deadline=10),
        )
    )
    assert fetcher.asked == [
        leaf_pki.leaf.certificate.serial_number,
        delegate.certificate.serial_number,
    ]
    assert report.accepted is not self_vouching, report.summary


def test_a_delegate_outside_its_validity_is_unauthorised(pki: Pki) -> None:
    expired = pki.inter.issue_ocsp_responder(
        not_before=NOW - dt.timedelta(days=30), not_after=NOW - dt.timedelta(days=1)
    )
    outcome, detail = judge(pki, pki.inter.ocsp_response(pki.leaf, at=NOW, responder=expired))
    assert outcome is Outcome.ERROR
    assert "is not valid at" in detail
    # The twin: the same responder, judged while it was valid, is accepted.
    then = NOW - dt.timedelta(days=2)
    earlier = pki.inter.ocsp_response(pki.leaf, at=then, responder=expired)
    assert judge(pki, earlier, at=then)[0] is Outcome.GOOD
