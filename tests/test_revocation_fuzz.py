"""Parsers under arbitrary and mutated input: a bad CRL or OCSP response becomes an ERROR
attempt (or a CRL with a `problem`), never an exception and never a "good"."""

from __future__ import annotations

import asyncio
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from securesocket.revocation import (
    Fetchers,
    Outcome,
    RevocationRules,
    check_revocation,
    evaluate_offline,
)
from securesocket.revocation.crl import load_crl
from securesocket.revocation.ocsp import judge_response
from tests.revocation_helpers import NOW, der, make_pki


PKI = make_pki()
PKI.inter.revoke(PKI.leaf, at=NOW - dt.timedelta(hours=1))
REVOKED_RESPONSE = der(PKI.inter.ocsp_response(PKI.leaf, at=NOW))
REVOKING_CRL = der(PKI.inter.crl(at=NOW))
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mutate(data: bytes, flips: list[tuple[int, int]], cut: int | None) -> bytes:
    buffer = bytearray(data)
    for position, mask in flips:
        buffer[position % len(buffer)] ^= mask or 1
    return bytes(buffer[:cut] if cut is not None else buffer)


@FUZZ
@given(st.binary(max_size=600))
def test_arbitrary_bytes_as_ocsp_response(data: bytes) -> None:
    attempt = judge_response(
        data, PKI.leaf.certificate, PKI.inter.certificate, at=NOW, rules=RevocationRules()
    )
    assert attempt.outcome is Outcome.ERROR


@FUZZ
@given(st.binary(max_size=600))
def test_arbitrary_bytes_as_crl(data: bytes) -> None:
    parsed = load_crl(data, origin="supplied")
    assert parsed.problem is not None or parsed.crl is not None


@FUZZ
@given(
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
    st.one_of(st.none(), st.integers(0, 2_000)),
)
def test_mutated_revoked_answers_never_turn_good(
    flips: list[tuple[int, int]], cut: int | None
) -> None:
    """A damaged "revoked" answer may become unusable, but it can never say "good"."""
    response = mutate(REVOKED_RESPONSE, flips, cut)
    crl = mutate(REVOKING_CRL, flips, cut)
    for evidence in ({"ocsp_responses": [response]}, {"crls": [crl]}):
        report = evaluate_offline(PKI.path, policy="soft-fail", at=NOW, **evidence)  # type: ignore[arg-type]
        leaf = report.certificates[0]
        assert all(a.outcome is not Outcome.GOOD for a in leaf.attempts)


DELEGATED = make_pki(ocsp_url="http://ocsp.test/")
RESPONDER = DELEGATED.inter.issue_ocsp_responder(nocheck=False, crl_url="http://crl.test/r.crl")
DELEGATED_ANSWER = der(DELEGATED.inter.ocsp_response(DELEGATED.leaf, at=NOW, responder=RESPONDER))
RESPONDER_AT = DELEGATED_ANSWER.index(der(RESPONDER.certificate))


class Serving:
    """An injected fetcher: fixed bytes for OCSP; CRLs are down."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def fetch_ocsp(self, url: str, request: bytes, *, timeout: float) -> bytes:
        return self.data

    async def fetch_crl(self, url: str, *, timeout: float) -> bytes:
        raise ConnectionRefusedError("down")


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=3))
def test_a_damaged_embedded_responder_certificate_is_an_error_with_the_url(
    edits: list[tuple[int, int]],
) -> None:
    """Damage inside the delegated responder's certificate (which the check reads to fetch the
    responder's own status) ends as an ERROR attempt naming the URL, never an exception."""
    data = bytearray(DELEGATED_ANSWER)
    size = len(der(RESPONDER.certificate))
    for position, value in edits:
        data[RESPONDER_AT + position % size] = value
    fetcher = Serving(bytes(data))
    report = asyncio.run(
        check_revocation(
            DELEGATED.path,
            policy=RevocationRules.of("soft-fail").with_order("ocsp"),
            at=NOW,
            fetchers=Fetchers(crl=fetcher, ocsp=fetcher, timeout=5, deadline=10),
        )
    )
    leaf = report.certificates[0]
    assert [(a.outcome, a.url) for a in leaf.attempts] == [(Outcome.ERROR, "http://ocsp.test/")]
