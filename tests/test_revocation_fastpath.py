"""The synchronous revocation fast path: it answers only when nothing would be fetched, and
then gives exactly the report `check_revocation` gives (failure twins included)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from cryptography import x509

from securesocket.revocation import RevocationPolicy, RevocationReport
from securesocket.revocation import check as check_module
from securesocket.revocation.check import evaluate_without_fetching
from securesocket.revocation.decide import build_report
from securesocket.revocation.fetch import FetchSession, default_fetchers
from securesocket.testing.ca import CA


NOW = dt.datetime.now(dt.UTC)


def _path(**leaf_options: object) -> tuple[x509.Certificate, ...]:
    root = CA(common_name="fast root", ocsp_url=None, crl_url=None)
    inter = root.create_child_ca(common_name="fast inter", ocsp_url=None, crl_url=None)
    options = {"ocsp_url": None, "crl_url": None, **leaf_options}
    leaf = inter.issue_cert("example.test", **options)  # type: ignore[arg-type]
    return (
        x509.load_der_x509_certificate(leaf.der),
        x509.load_der_x509_certificate(inter.cert_der),
        x509.load_der_x509_certificate(root.cert_der),
    )


def _online(
    path: tuple[x509.Certificate, ...], policy: RevocationPolicy, staple: bytes | None = None
) -> RevocationReport:
    """The report of the asynchronous per-certificate path (the one that fetches), taken
    directly: `check_revocation` itself now takes the fast path when it can."""
    ev = check_module._Evidence.build(path, policy, NOW, (), (), staple, None, ())

    async def run() -> RevocationReport:
        session = FetchSession(default_fetchers(), NOW)
        certificates = await asyncio.gather(
            *(check_module._check_one(ev, session, d) for d in range(len(path) - 1))
        )
        return build_report(ev.rules, list(certificates), NOW)

    return asyncio.run(run())


@pytest.mark.parametrize("policy", list(RevocationPolicy))
def test_no_source_answers_at_once_with_the_online_report(policy: RevocationPolicy) -> None:
    path = _path()
    fast = evaluate_without_fetching(path, policy=policy, at=NOW)
    slow = _online(path, policy)
    assert fast is not None
    assert fast == slow
    # require rejects a chain that declares nothing; the lenient policies accept it.
    assert fast.accepted is (policy is not RevocationPolicy.REQUIRE)


@pytest.mark.parametrize(
    "leaf_options",
    [{"ocsp_url": "http://127.0.0.1:9/ocsp"}, {"crl_url": "http://127.0.0.1:9/leaf.crl"}],
    ids=["ocsp", "crl"],
)
def test_a_declared_source_leaves_it_to_the_fetching_path(leaf_options: dict[str, str]) -> None:
    path = _path(**leaf_options)
    assert evaluate_without_fetching(path, policy=RevocationPolicy.SOFT_FAIL, at=NOW) is None


def test_must_staple_without_a_staple_is_still_refused() -> None:
    path = _path(must_staple=True)
    fast = evaluate_without_fetching(path, policy=RevocationPolicy.SOFT_FAIL, at=NOW)
    assert fast is not None
    assert not fast.accepted
    assert fast == _online(path, RevocationPolicy.SOFT_FAIL)


def test_a_garbage_staple_is_judged_not_ignored() -> None:
    path = _path()
    fast = evaluate_without_fetching(
        path, policy=RevocationPolicy.HARD_FAIL, at=NOW, staple=b"not ocsp"
    )
    assert fast is not None
    attempts = [a for c in fast.certificates for a in c.attempts]
    assert any(a.origin == "staple" for a in attempts)
    assert fast == _online(path, RevocationPolicy.HARD_FAIL, b"not ocsp")


def test_the_reused_verdict_follows_the_policy() -> None:
    """The per-certificate verdict reused across handshakes is keyed by the rules too."""
    path = _path()
    answers = [
        evaluate_without_fetching(path, policy=policy, at=NOW)
        for policy in ("soft-fail", "require", "soft-fail", "require")
    ]
    assert [a.accepted if a else None for a in answers] == [True, False, True, False]


def test_supplied_evidence_is_never_answered_from_the_reused_verdict() -> None:
    """Twin: once the no-evidence verdict is cached, a CRL listing the leaf still revokes it."""
    root = CA(common_name="fast root", ocsp_url=None, crl_url=None)
    inter = root.create_child_ca(common_name="fast inter", ocsp_url=None, crl_url=None)
    leaf = inter.issue_cert("example.test", ocsp_url=None, crl_url=None)
    path = (
        x509.load_der_x509_certificate(leaf.der),
        x509.load_der_x509_certificate(inter.cert_der),
        x509.load_der_x509_certificate(root.cert_der),
    )
    clean = check_module.evaluate_offline(path, policy="hard-fail", at=NOW)
    assert clean.accepted
    inter.revoke(path[0], at=NOW - dt.timedelta(hours=1))
    crl = inter.crl(at=NOW - dt.timedelta(minutes=30))
    revoked = check_module.evaluate_offline(path, policy="hard-fail", at=NOW, crls=[crl])
    assert not revoked.accepted
    assert revoked.certificates[0].decision.value == "revoked"
