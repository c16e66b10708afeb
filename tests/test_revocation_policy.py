"""Policies and decisions, offline: the CONTRACTS.md outcome → status table, leaf/CA rules,
method order, and the report's JSON view. Each accepting case has a rejecting twin."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest
from cryptography import x509

from securesocket import ArgumentError, CertificateStatus
from securesocket.revocation import (
    CertificateDecision,
    Method,
    Outcome,
    RevocationPolicy,
    RevocationRules,
    evaluate_offline,
)
from tests.revocation_helpers import NOW, der, make_pki


POLICIES = ["off", "soft-fail", "hard-fail", "require"]
T, R, X = CertificateStatus.TRUSTED, CertificateStatus.REVOKED, CertificateStatus.INVALID


def test_policy_names_and_properties() -> None:
    assert [p.value for p in RevocationPolicy] == POLICIES
    assert not RevocationPolicy.OFF.checks
    assert RevocationPolicy.HARD_FAIL.strict
    assert RevocationPolicy.REQUIRE.strict
    assert not RevocationPolicy.SOFT_FAIL.strict
    assert RevocationRules.of(None).leaf is RevocationPolicy.SOFT_FAIL  # AIR's default


def test_unknown_policy_is_an_argument_error() -> None:
    with pytest.raises(ArgumentError, match="unknown revocation policy"):
        RevocationRules.of("sometimes")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("good", {"off": T, "soft-fail": T, "hard-fail": T, "require": T}),
        ("revoked", {"off": T, "soft-fail": R, "hard-fail": R, "require": R}),
        ("nothing", {"off": T, "soft-fail": T, "hard-fail": T, "require": X}),
        ("stale", {"off": T, "soft-fail": T, "hard-fail": X, "require": X}),
        ("garbage", {"off": T, "soft-fail": T, "hard-fail": X, "require": X}),
    ],
)
@pytest.mark.parametrize("policy", POLICIES)
def test_contract_table_offline(
    case: str, expected: dict[str, CertificateStatus], policy: str
) -> None:
    pki = make_pki()
    if case == "revoked":
        pki.inter.revoke(pki.leaf, at=NOW - dt.timedelta(hours=1))
    crls: list[bytes] = []
    if case in ("good", "revoked"):
        crls = list(pki.good_crls())
    elif case == "stale":
        old = NOW - dt.timedelta(days=30)
        crls = [der(pki.root.crl(at=old)), der(pki.inter.crl(at=old))]
    elif case == "garbage":
        crls = [b"\x30\x03not a CRL"]
    report = evaluate_offline(pki.path, policy=policy, at=NOW, crls=crls)
    assert report.status is expected[policy]
    assert report.accepted is (expected[policy] is T)
    json.dumps(report.to_dict())
    if policy == "off":
        assert all(c.attempts == () for c in report.certificates)  # nothing was looked at
        assert "off" in report.certificates[0].reason
    if case == "stale" and policy != "off":
        assert report.certificates[0].attempts[0].outcome is Outcome.STALE
        assert report.certificates[0].decision is CertificateDecision.INDETERMINATE
    if case == "nothing" and policy == "soft-fail":
        assert "no revocation information; accepted, as AIR does" in report.certificates[0].reason


def test_stale_is_not_missing_and_missing_is_not_good() -> None:
    pki = make_pki()
    old = NOW - dt.timedelta(days=30)
    stale = evaluate_offline(
        pki.path, policy="soft-fail", at=NOW, crls=[der(pki.inter.crl(at=old))]
    )
    missing = evaluate_offline(pki.path, policy="soft-fail", at=NOW)
    assert stale.certificates[0].decision is CertificateDecision.INDETERMINATE
    assert "only stale data" in stale.certificates[0].reason
    assert missing.certificates[0].decision is CertificateDecision.UNCHECKED
    assert all(c.decision is not CertificateDecision.GOOD for c in missing.certificates)


def test_revoked_in_a_stale_crl_is_still_revoked() -> None:
    pki = make_pki()
    pki.inter.revoke(pki.leaf, at=NOW - dt.timedelta(days=40))
    stale = der(pki.inter.crl(at=NOW - dt.timedelta(days=30)))
    report = evaluate_offline(pki.path, policy="soft-fail", at=NOW, crls=[stale])
    assert report.status is CertificateStatus.REVOKED


def test_hold_in_a_stale_crl_is_only_stale() -> None:
    pki = make_pki()
    pki.inter.revoke(
        pki.leaf, reason=x509.ReasonFlags.certificate_hold, at=NOW - dt.timedelta(days=40)
    )
    stale = der(pki.inter.crl(at=NOW - dt.timedelta(days=30)))
    report = evaluate_offline(pki.path, policy="hard-fail", at=NOW, crls=[stale])
    assert report.status is CertificateStatus.INVALID
    assert report.certificates[0].attempts[0].outcome is Outcome.STALE


def test_leaf_and_ca_rules_are_separate() -> None:
    pki = make_pki()
    crls = [der(pki.inter.crl(at=NOW))]  # nothing about the intermediate
    leaf_only = RevocationRules(leaf=RevocationPolicy.REQUIRE, ca=RevocationPolicy.SOFT_FAIL)
    both = RevocationRules(leaf=RevocationPolicy.REQUIRE, ca=RevocationPolicy.REQUIRE)
    accepted = evaluate_offline(pki.path, policy=leaf_only, at=NOW, crls=crls)
    rejected = evaluate_offline(pki.path, policy=both, at=NOW, crls=crls)
    assert accepted.accepted
    assert [c.policy for c in accepted.certificates] == [
        RevocationPolicy.REQUIRE,
        RevocationPolicy.SOFT_FAIL,
    ]
    assert not rejected.accepted
    assert rejected.certificates[1].depth == 1
    assert not rejected.certificates[1].accepted


def test_method_order_decides_which_answer_is_used() -> None:
    pki = make_pki()
    crls = list(pki.good_crls())
    response = der(pki.inter.ocsp_response(pki.leaf, at=NOW))
    default = evaluate_offline(
        pki.path, policy="require", at=NOW, crls=crls, ocsp_responses=[response]
    )
    crl_first = RevocationRules.of("require").with_order("crl", "ocsp")
    reordered = evaluate_offline(
        pki.path, policy=crl_first, at=NOW, crls=crls, ocsp_responses=[response]
    )
    assert [a.method for a in default.certificates[0].attempts] == [Method.OCSP]
    assert [a.method for a in reordered.certificates[0].attempts] == [Method.CRL]


def test_a_method_left_out_of_the_order_is_not_used() -> None:
    pki = make_pki()
    response = der(pki.inter.ocsp_response(pki.leaf, at=NOW))
    rules = RevocationRules.of("require").with_order("crl")
    report = evaluate_offline(
        pki.path, policy=rules, at=NOW, ocsp_responses=[response], crls=[der(pki.root.crl(at=NOW))]
    )
    assert not report.accepted
    assert all(a.method is Method.CRL for a in report.certificates[0].attempts)


def test_a_good_answer_from_another_method_satisfies_require() -> None:
    pki = make_pki()
    bad_ocsp = b"\x30\x82garbage"
    report = evaluate_offline(
        pki.path, policy="require", at=NOW, crls=pki.good_crls(), ocsp_responses=[bad_ocsp]
    )
    assert report.accepted
    outcomes = [a.outcome for a in report.certificates[0].attempts]
    assert outcomes == [Outcome.ERROR, Outcome.GOOD]


@pytest.mark.parametrize("policy", POLICIES)
def test_must_staple_without_a_staple(policy: str) -> None:
    pki = make_pki(must_staple=True)
    report = evaluate_offline(pki.path, policy=policy, at=NOW, crls=pki.good_crls())
    assert report.accepted is (policy == "off")
    if policy != "off":
        assert report.status is CertificateStatus.INVALID
        assert "Must-Staple" in report.certificates[0].reason
        assert "must-staple" in report.certificates[0].declared


def test_must_staple_with_a_valid_staple() -> None:
    pki = make_pki(must_staple=True)
    staple = der(pki.inter.ocsp_response(pki.leaf, at=NOW))
    report = evaluate_offline(
        pki.path, policy="require", at=NOW, crls=pki.good_crls(), staple=staple
    )
    assert report.accepted
    assert report.certificates[0].attempts[0].method is Method.STAPLE


def test_must_staple_with_a_staple_about_another_certificate() -> None:
    pki = make_pki(must_staple=True)
    other = pki.inter.issue_cert("other.localhost")
    staple = der(pki.inter.ocsp_response(other, at=NOW))
    report = evaluate_offline(
        pki.path, policy="soft-fail", at=NOW, crls=pki.good_crls(), staple=staple
    )
    assert not report.accepted
    assert "another certificate" in report.certificates[0].attempts[0].detail


def test_the_anchor_is_never_checked_and_a_lone_anchor_is_accepted() -> None:
    pki = make_pki()
    report = evaluate_offline((pki.root.certificate,), policy="require", at=NOW)
    assert report.accepted
    assert report.certificates == ()
    full = evaluate_offline(pki.path, policy="require", at=NOW, crls=pki.good_crls())
    assert [c.depth for c in full.certificates] == [0, 1]


def test_report_to_dict_is_json_and_complete() -> None:
    pki = make_pki()
    pki.inter.revoke(pki.leaf, at=NOW - dt.timedelta(hours=2))
    report = evaluate_offline(pki.path, policy="hard-fail", at=NOW, crls=pki.good_crls())
    data = json.loads(json.dumps(report.to_dict()))
    assert data["status"] == "revoked"
    assert data["accepted"] is False
    leaf = data["certificates"][0]
    assert leaf["decision"] == "revoked"
    attempt = leaf["attempts"][0]
    assert attempt["outcome"] == "revoked"
    assert attempt["revocation_reason"] == "keyCompromise"
    assert attempt["revocation_time"].startswith(str((NOW - dt.timedelta(hours=2)).date()))
    assert data["rules"] == {
        "leaf": "hard-fail",
        "ca": "hard-fail",
        "order": ["ocsp-staple", "ocsp", "crl"],
        "skew_seconds": 300.0,
        "max_age_seconds": 7 * 86400.0,
        "use_deltas": True,
        "ocsp_nonce": False,
        "enforce_must_staple": True,
    }
    assert leaf["declared"] == []  # the fixture PKI's CAs publish nothing here
    assert {"depth", "subject", "serial", "policy", "attempts", "reason"} <= set(leaf)


def test_offline_evaluation_lists_declared_urls_as_not_fetched() -> None:
    pki = make_pki(ocsp_url="http://127.0.0.1:9/", crl_url="http://127.0.0.1:9/i.crl")
    report = evaluate_offline(pki.path, policy="hard-fail", at=NOW)
    leaf = report.certificates[0]
    assert not report.accepted  # declared sources, no answer
    assert {a.outcome for a in leaf.attempts} == {Outcome.SKIPPED}
    assert {a.url for a in leaf.attempts} == {"http://127.0.0.1:9/", "http://127.0.0.1:9/i.crl"}


def test_leaving_the_staple_out_of_the_order_does_not_lift_must_staple() -> None:
    pki = make_pki(must_staple=True)
    staple = der(pki.inter.ocsp_response(pki.leaf, at=NOW))
    no_staple_method = RevocationRules.of("soft-fail").with_order("ocsp", "crl")
    report = evaluate_offline(
        pki.path, policy=no_staple_method, at=NOW, crls=pki.good_crls(), staple=staple
    )
    assert not report.accepted
    assert "Must-Staple" in report.certificates[0].reason
    lifted = dataclasses.replace(no_staple_method, enforce_must_staple=False)
    assert evaluate_offline(pki.path, policy=lifted, at=NOW, crls=pki.good_crls()).accepted


@pytest.mark.parametrize("policy", POLICIES)
def test_a_certificate_with_unreadable_extensions_is_reported_not_raised(policy: str) -> None:
    import asyncio

    from cryptography.x509.oid import ExtensionOID

    from securesocket.revocation import Fetchers, check_revocation

    pki = make_pki()
    broken_dp = x509.UnrecognizedExtension(ExtensionOID.CRL_DISTRIBUTION_POINTS, b"\x01\x02")
    leaf = pki.inter.issue_cert("localhost", crl_url=None, extra_extensions=[(broken_dp, False)])
    path = pki.path_for(leaf)
    offline = evaluate_offline(path, policy=policy, at=NOW, crls=pki.good_crls())
    online = asyncio.run(
        check_revocation(path, policy=policy, at=NOW, crls=pki.good_crls(), fetchers=Fetchers())
    )
    for report in (offline, online):
        assert report.accepted is (policy in ("off", "soft-fail"))
        if policy != "off":
            assert "extensions cannot be read" in report.certificates[0].attempts[0].detail


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("case", ["revoked", "good", "stale"])
def test_verify_chain_takes_the_policy_and_carries_the_report(policy: str, case: str) -> None:
    """`verify_chain(revocation=...)` with supplied CRLs: the same table as evaluate_offline,
    and the report on `Verification.revocation`."""
    from securesocket.trust import verify_chain

    pki = make_pki()
    if case == "revoked":
        pki.inter.revoke(pki.leaf, at=NOW - dt.timedelta(hours=1))
    when = NOW if case != "stale" else NOW - dt.timedelta(days=30)
    crls = [der(pki.root.crl(at=when)), der(pki.inter.crl(at=when))]
    verification = verify_chain(
        pki.leaf.certificate,
        [pki.inter.certificate],
        anchors=[pki.root.certificate],
        trust="none",
        host="localhost",
        at=NOW,
        revocation=policy,
        crls=crls,
    )
    expected = {
        "revoked": {"off": T, "soft-fail": R, "hard-fail": R, "require": R},
        "good": {"off": T, "soft-fail": T, "hard-fail": T, "require": T},
        "stale": {"off": T, "soft-fail": T, "hard-fail": X, "require": X},
    }[case][policy]
    assert verification.status is expected
    report = verification.revocation
    if policy == "off":  # CONTRACTS.md: verify_chain does not consult revocation at all
        assert report is None
        return
    assert report is not None
    assert report.policy.value == policy
    assert report.accepted is (expected is T)
    json.dumps(verification.to_dict())


BAD_ARGUMENTS = {
    "crls": ({"crls": ["PEM text"]}, "crls[0] must be bytes or an x509.CertificateRevocationList"),
    "ocsp": ({"ocsp_responses": [None]}, "ocsp_responses[0] must be bytes or an ocsp.OCSP"),
    "staple": ({"staple": "base64"}, "staple must be bytes or None, not str"),
    "path": ({"path": ("leaf.pem",)}, "path[0] must be a cryptography x509.Certificate"),
    "empty path": ({"path": ()}, "path is empty"),
    "signer": ({"signer_certs": [b"DER"]}, "signer_certs[0] must be a cryptography"),
    "naive at": ({"at": dt.datetime(2026, 1, 1)}, "at must be timezone-aware"),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_wrong_arguments_are_argument_errors(case: str) -> None:
    """Never an AttributeError from deep inside, offline or online; the well-typed twin of each
    (bytearray and memoryview count as bytes) is accepted."""
    import asyncio

    from securesocket.revocation import Fetchers, check_revocation

    pki = make_pki()
    change, words = BAD_ARGUMENTS[case]
    arguments: dict[str, object] = {
        "path": pki.path,
        "policy": "require",
        "at": NOW,
        "crls": pki.good_crls(),
        **change,
    }
    with pytest.raises(ArgumentError, match=re.escape(words)):
        evaluate_offline(**arguments)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match=re.escape(words)):
        asyncio.run(check_revocation(fetchers=Fetchers(), **arguments))  # type: ignore[arg-type]
    crl_root, crl_inter = pki.good_crls()
    twin = evaluate_offline(
        pki.path,
        policy="require",
        at=NOW,
        crls=[bytearray(crl_root), memoryview(crl_inter)],  # type: ignore[list-item]
        staple=bytearray(b""),  # type: ignore[arg-type]
    )
    assert twin.accepted, twin.summary
