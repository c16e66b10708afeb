"""Classification: the documented precedence, and the AS3-shaped views of a result."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from securesocket import CertificateStatus, verify_chain
from securesocket.testing.ca import CA
from securesocket.trust.classify import PRECEDENCE, PROBLEM_STATUS, classify, status_for
from securesocket.x509 import X509Certificate


S = CertificateStatus
NOW = datetime(2030, 6, 1, tzinfo=UTC)


def test_precedence_is_the_documented_order() -> None:
    """revoked > untrustedSigners > invalidChain > invalid > expired > notYetValid >
    principalMismatch, and trusted only when nothing is wrong."""
    assert PRECEDENCE[:7] == (
        S.REVOKED,
        S.UNTRUSTED_SIGNERS,
        S.INVALID_CHAIN,
        S.INVALID,
        S.EXPIRED,
        S.NOT_YET_VALID,
        S.PRINCIPAL_MISMATCH,
    )
    assert set(PRECEDENCE) == set(S)
    assert classify([]) == S.TRUSTED
    assert classify([S.PRINCIPAL_MISMATCH, S.EXPIRED]) == S.EXPIRED
    assert classify([S.EXPIRED, S.INVALID_CHAIN, S.PRINCIPAL_MISMATCH]) == S.INVALID_CHAIN


@pytest.mark.parametrize("code", sorted(PROBLEM_STATUS))
def test_every_problem_code_is_a_failure(code: str) -> None:
    """No problem code can ever classify as trusted or unknown, at any depth."""
    for depth in (None, 0, 1, 5):
        assert status_for(code, depth) not in (S.TRUSTED, S.UNKNOWN)


def test_ca_dates_are_chain_problems() -> None:
    """An expired server certificate is "expired"; an expired CA is "invalidChain"."""
    assert status_for("expired", 0) == S.EXPIRED
    assert status_for("expired", 1) == S.INVALID_CHAIN
    assert status_for("not_yet_valid", 0) == S.NOT_YET_VALID
    assert status_for("not_yet_valid", 2) == S.INVALID_CHAIN


def test_chain_view_and_x509_input() -> None:
    """`chain` holds AS3 X509Certificates for the same path; X509Certificate is accepted in."""
    root = CA(common_name="View Root")
    inter = root.create_child_ca(common_name="View Intermediate")
    leaf = inter.issue_cert("example.test").certificate
    result = verify_chain(
        X509Certificate(leaf),
        [X509Certificate(inter.certificate)],
        anchors=[X509Certificate(root.certificate)],
        trust="none",
        revocation="off",
        host="example.test",
        at=NOW,
    )
    assert result.trusted
    assert [c.certificate for c in result.chain] == list(result.path)
    assert [type(c) for c in result.chain] == [X509Certificate] * 3
    untrusted = verify_chain(leaf, [], trust="none", revocation="off", at=NOW)
    assert [c.certificate for c in untrusted.chain] == [leaf]
