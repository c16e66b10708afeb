"""Fetching: the default HTTP fetcher against loopback servers, the scheme guard, redirects, the
size cap, timeouts and the overall deadline, de-duplication and the CRL cache (with injected
fetchers that count calls), and that nothing raw ever escapes into the caller."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import ClassVar

import pytest

from securesocket import FetchError
from securesocket.revocation import (
    CrlCache,
    Fetchers,
    HttpFetcher,
    Method,
    Outcome,
    RevocationPolicy,
    RevocationReport,
    RevocationRules,
    check_revocation,
    evaluate_offline,
)
from securesocket.revocation.ocsp import build_request
from securesocket.testing._http import ClosedPort, LoopbackHTTPServer, QuietHandler
from securesocket.testing.crl_server import CRLFault, CRLServer
from securesocket.testing.ocsp_servers import OCSPResponder
from tests.revocation_helpers import NOW, Pki, der, make_pki


@pytest.fixture
def crl_server() -> Iterator[CRLServer]:
    with CRLServer(delay=5.0) as server:
        yield server


class _Redirector(QuietHandler):
    def do_GET(self) -> None:
        owner = self.server.owner
        assert isinstance(owner, RedirectServer)
        self.send_response(302)
        self.send_header("Location", owner.target)
        self.send_header("Content-Length", "0")
        self.end_headers()


class RedirectServer(LoopbackHTTPServer):
    handler_class: ClassVar[type[QuietHandler]] = _Redirector

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target


def fetch(url: str, *, timeout: float = 10.0, fetcher: HttpFetcher | None = None) -> bytes:
    return asyncio.run((fetcher or HttpFetcher()).fetch_crl(url, timeout=timeout))


def test_http_fetch_returns_the_published_bytes(crl_server: CRLServer) -> None:
    pki = make_pki()
    body = der(pki.inter.crl(at=NOW))
    url = crl_server.publish("inter.crl", body)
    assert fetch(url) == body
    assert crl_server.requests == ["/inter.crl"]


@pytest.mark.parametrize(
    ("fault", "words"), [(CRLFault.NOT_FOUND, "HTTP 404"), (CRLFault.HTTP_ERROR, "HTTP 500")]
)
def test_http_errors_become_fetch_errors(
    crl_server: CRLServer, fault: CRLFault, words: str
) -> None:
    url = crl_server.publish("x.crl", b"irrelevant")
    crl_server.set_fault("x.crl", fault)
    with pytest.raises(FetchError) as caught:
        fetch(url)
    assert caught.value.url == url
    assert words in caught.value.reason


def test_refused_connection_is_a_fetch_error() -> None:
    with ClosedPort() as port:
        url = port.base_url + "/x.crl"
        with pytest.raises(FetchError) as caught:
            fetch(url)
    assert caught.value.url == url
    assert "refused" in caught.value.reason.lower()


def test_slow_server_times_out(crl_server: CRLServer) -> None:
    url = crl_server.publish("slow.crl", b"x")
    crl_server.set_fault("slow.crl", CRLFault.SLOW)
    with pytest.raises(FetchError) as caught:
        fetch(url, timeout=0.3)
    assert "timed out" in caught.value.reason


def test_size_cap(crl_server: CRLServer) -> None:
    url = crl_server.publish("big.crl", b"\x00" * 5000)
    assert len(fetch(url, fetcher=HttpFetcher(max_bytes=5000))) == 5000
    with pytest.raises(FetchError) as caught:
        fetch(url, fetcher=HttpFetcher(max_bytes=4999))
    assert "cap" in caught.value.reason


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://127.0.0.1:1/x.crl", "https is not fetched"),
        ("ldap://127.0.0.1/cn=x", "unsupported scheme 'ldap'"),
        ("file:///etc/passwd", "unsupported scheme 'file'"),
    ],
)
def test_scheme_guard(url: str, words: str) -> None:
    with pytest.raises(FetchError) as caught:
        fetch(url)
    assert words in caught.value.reason


def test_redirect_within_http_is_followed(crl_server: CRLServer) -> None:
    target = crl_server.publish("moved.crl", b"moved here")
    with RedirectServer(target) as redirector:
        assert fetch(redirector.base_url + "/old.crl") == b"moved here"


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("https://127.0.0.1:1/x.crl", "redirect to https://127.0.0.1:1/x.crl refused"),
        ("ftp://127.0.0.1:1/x.crl", "redirect to ftp://127.0.0.1:1/x.crl refused"),
        ("file:///etc/passwd", "file:///etc/passwd' is not allowed"),  # urllib's own guard
    ],
)
def test_redirect_to_another_scheme_is_refused(target: str, words: str) -> None:
    with RedirectServer(target) as redirector, pytest.raises(FetchError) as caught:
        fetch(redirector.base_url + "/x.crl")
    assert words in caught.value.reason


def test_ocsp_uses_get_for_small_requests_and_post_for_large() -> None:
    with OCSPResponder() as responder:
        pki = make_pki()
        responder.add_ca(pki.inter)
        request = build_request(pki.leaf.certificate, pki.inter.certificate)
        fetcher = HttpFetcher()
        small = asyncio.run(fetcher.fetch_ocsp(responder.url, request, timeout=10))
        long_url = responder.url + "p" * 250
        large = asyncio.run(fetcher.fetch_ocsp(long_url, request, timeout=10))
        methods = [r.method for r in responder.requests]
    assert methods == ["GET", "POST"]
    assert small[:1] == large[:1] == b"\x30"


class CountingFetcher:
    """Serves fixed bytes per URL, counts calls, and can hold every call until released."""

    def __init__(
        self, bodies: dict[str, bytes], *, hold: bool = False, error: Exception | None = None
    ):
        self.bodies = bodies
        self.calls: list[str] = []
        self.release = asyncio.Event() if hold else None
        self.error = error

    async def fetch_crl(self, url: str, *, timeout: float) -> bytes:
        self.calls.append(url)
        if self.release is not None:
            await self.release.wait()
        if self.error is not None:
            raise self.error
        return self.bodies[url]

    async def fetch_ocsp(self, url: str, request: bytes, *, timeout: float) -> bytes:
        return await self.fetch_crl(url, timeout=timeout)


def crl_pki() -> tuple[Pki, dict[str, bytes]]:
    pki = make_pki(crl_url="http://crl.test/inter.crl", root_crl_url="http://crl.test/root.crl")
    bodies = {
        "http://crl.test/inter.crl": der(pki.inter.crl(at=NOW)),
        "http://crl.test/root.crl": der(pki.root.crl(at=NOW)),
    }
    return pki, bodies


def test_concurrent_checks_share_one_fetch_then_the_cache() -> None:
    pki, bodies = crl_pki()
    fake = CountingFetcher(bodies, hold=True)
    fetchers = Fetchers(crl=fake, ocsp=fake, timeout=5, deadline=10)

    async def both() -> list[RevocationReport]:
        tasks = [
            asyncio.ensure_future(
                check_revocation(pki.path, policy="require", at=NOW, fetchers=fetchers)
            )
            for _ in range(3)
        ]
        while len(fake.calls) < 2:  # both URLs requested once, the other checks wait on them
            await asyncio.sleep(0)
        assert fake.release is not None
        fake.release.set()
        return list(await asyncio.gather(*tasks))

    reports = asyncio.run(both())
    assert sorted(fake.calls) == sorted(bodies)  # one request per URL for three checks
    assert all(r.accepted for r in reports)
    again = asyncio.run(check_revocation(pki.path, policy="require", at=NOW, fetchers=fetchers))
    assert again.accepted
    assert len(fake.calls) == 2  # served from the cache
    assert {a.origin for c in again.certificates for a in c.attempts} == {"cache"}
    later = NOW + dt.timedelta(days=8)  # past the CRLs' nextUpdate: refetched, not reused
    asyncio.run(check_revocation(pki.path, policy="soft-fail", at=later, fetchers=fetchers))
    assert len(fake.calls) == 4


def test_cache_keeps_only_usable_crls_until_next_update() -> None:
    from securesocket.revocation.crl import load_crl

    pki = make_pki()
    cache = CrlCache(maxsize=2)
    good = load_crl(der(pki.inter.crl(at=NOW)), origin="fetched", url="http://a/")
    cache.put("http://a/", good)
    cache.put("http://bad/", load_crl(b"junk", origin="fetched", url="http://bad/"))
    hit = cache.get("http://a/", NOW)
    assert hit is not None
    assert hit.origin == "cache"
    assert cache.get("http://bad/", NOW) is None
    assert cache.get("http://a/", NOW + dt.timedelta(days=7)) is None  # at nextUpdate: dropped
    assert len(cache) == 0


def test_overall_deadline_bounds_all_fetching() -> None:
    pki, bodies = crl_pki()
    never = CountingFetcher(bodies, hold=True)
    fetchers = Fetchers(crl=never, ocsp=never, timeout=5, deadline=0.3)
    report = asyncio.run(check_revocation(pki.path, policy="hard-fail", at=NOW, fetchers=fetchers))
    assert not report.accepted
    details = [a.detail for c in report.certificates for a in c.attempts]
    assert details
    assert all("timed out" in d or "deadline" in d for d in details)


@pytest.mark.parametrize(
    "error",
    [RuntimeError("boom"), ConnectionResetError("reset"), FetchError(url="u", reason="custom")],
)
def test_injected_fetcher_errors_never_escape(error: Exception) -> None:
    pki, bodies = crl_pki()
    broken = CountingFetcher(bodies, error=error)
    fetchers = Fetchers(crl=broken, ocsp=broken, timeout=1, deadline=2)
    report = asyncio.run(check_revocation(pki.path, policy="require", at=NOW, fetchers=fetchers))
    assert not report.accepted
    leaf = report.certificates[0]
    assert leaf.attempts[0].method is Method.CRL
    assert leaf.attempts[0].outcome is Outcome.ERROR
    assert leaf.attempts[0].url == "http://crl.test/inter.crl"
    words = "custom" if isinstance(error, FetchError) else type(error).__name__
    assert words in leaf.attempts[0].detail


@pytest.mark.parametrize("returned", [None, "text", 42])
def test_an_injected_fetcher_returning_no_bytes_is_an_error(returned: object) -> None:
    pki, _bodies = crl_pki()
    wrong = CountingFetcher(dict.fromkeys(_bodies, returned))  # type: ignore[arg-type]
    fetchers = Fetchers(crl=wrong, ocsp=wrong, timeout=1, deadline=2)
    report = asyncio.run(check_revocation(pki.path, policy="require", at=NOW, fetchers=fetchers))
    first = report.certificates[0].attempts[0]
    assert (first.outcome, first.url) == (Outcome.ERROR, "http://crl.test/inter.crl")
    assert first.detail == f"the fetcher returned {type(returned).__name__}, not bytes"
    assert not report.accepted
    # The twin: a bytearray is bytes enough.
    right = CountingFetcher({u: bytearray(b) for u, b in _bodies.items()})  # type: ignore[misc]
    fine = Fetchers(crl=right, ocsp=right, timeout=1, deadline=2)
    assert asyncio.run(check_revocation(pki.path, policy="require", at=NOW, fetchers=fine)).accepted


def test_policy_off_fetches_nothing() -> None:
    pki, bodies = crl_pki()
    fake = CountingFetcher(bodies)
    fetchers = Fetchers(crl=fake, ocsp=fake)
    report = asyncio.run(check_revocation(pki.path, policy="off", at=NOW, fetchers=fetchers))
    assert report.accepted
    assert fake.calls == []


def test_supplied_data_is_used_before_fetching() -> None:
    pki, bodies = crl_pki()
    fake = CountingFetcher(bodies)
    fetchers = Fetchers(crl=fake, ocsp=fake)
    report = asyncio.run(
        check_revocation(
            pki.path,
            policy="require",
            at=NOW,
            fetchers=fetchers,
            crls=list(bodies.values()),
        )
    )
    assert report.accepted
    assert fake.calls == []


def test_the_event_loop_keeps_running_while_fetching(crl_server: CRLServer) -> None:
    pki = make_pki(crl_url=crl_server.url("slow.crl"))
    crl_server.publish("slow.crl", der(pki.inter.crl(at=NOW)))
    crl_server.set_fault("slow.crl", CRLFault.SLOW)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def main() -> None:
        task = asyncio.ensure_future(ticker())
        await check_revocation(
            pki.path, policy="soft-fail", at=NOW, fetchers=Fetchers(timeout=0.4, deadline=1)
        )
        task.cancel()

    asyncio.run(main())
    assert ticks >= 3  # a blocked loop would not have ticked at all during the 0.4 s fetch


def test_one_bundle_serves_event_loops_in_several_threads() -> None:
    """Each loop fetches for itself (a future cannot cross loops); the cache is shared."""
    import threading

    pki, bodies = crl_pki()
    both_inside = threading.Barrier(2, timeout=5)
    calls: list[str] = []

    class MeetingFetcher:
        async def fetch_crl(self, url: str, *, timeout: float) -> bytes:
            calls.append(url)
            if url.endswith("inter.crl"):
                both_inside.wait()  # both loops are fetching the same URL at the same time
            return bodies[url]

        async def fetch_ocsp(self, url: str, request: bytes, *, timeout: float) -> bytes:
            raise AssertionError("no OCSP here")

    fetcher = MeetingFetcher()
    fetchers = Fetchers(crl=fetcher, ocsp=fetcher, timeout=10, deadline=10)
    reports: list[RevocationReport] = []

    def check() -> None:
        reports.append(
            asyncio.run(check_revocation(pki.path, policy="require", at=NOW, fetchers=fetchers))
        )

    threads = [threading.Thread(target=check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(reports) == 2
    assert all(r.accepted for r in reports), [r.summary for r in reports]
    assert calls.count("http://crl.test/inter.crl") == 2


@pytest.mark.parametrize(("policy", "accepted"), [("hard-fail", True), ("require", False)])
def test_unsupported_schemes_are_skipped_with_the_reason(policy: str, accepted: bool) -> None:
    pki = make_pki(ocsp_url="https://ocsp.test/", crl_url="ldap://ldap.test/cn=CA?crl")
    fake = CountingFetcher({})
    leaf_only = dataclasses.replace(RevocationRules.of(policy), ca=RevocationPolicy.OFF)
    for report in (
        asyncio.run(
            check_revocation(
                pki.path, policy=leaf_only, at=NOW, fetchers=Fetchers(crl=fake, ocsp=fake)
            )
        ),
        evaluate_offline(pki.path, policy=leaf_only, at=NOW),
    ):
        leaf = report.certificates[0]
        assert report.accepted is accepted, leaf.reason
        details = {a.url: a.detail for a in leaf.attempts if a.outcome is Outcome.SKIPPED}
        assert "unsupported scheme 'ldap'" in details["ldap://ldap.test/cn=CA?crl"]
        if "https://ocsp.test/" in details:
            assert "https is not fetched" in details["https://ocsp.test/"]
        if accepted:
            assert "no revocation source that can be consulted" in leaf.reason
    assert fake.calls == []  # nothing was fetched
