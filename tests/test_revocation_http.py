"""The HTTP layer under hostile servers: malformed status lines and headers, chunked garbage,
lying Content-Length, redirect loops and scheme changes, slow drips past the deadline, and
mutated raw responses. Each must become our `FetchError` with the URL and the reason (and, through
`check_revocation`, an ERROR attempt naming the URL), never a raw exception, never "good"."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from securesocket import FetchError
from securesocket.revocation import Fetchers, HttpFetcher, Outcome, check_revocation
from tests.revocation_helpers import NOW, RawHTTPServer, der, make_pki


def response(body: bytes, *headers: bytes, status: bytes = b"200 OK") -> list[bytes | float]:
    head = b"HTTP/1.1 " + status + b"\r\n" + b"".join(h + b"\r\n" for h in headers)
    return [head + b"\r\n" + body]


def redirect(location: bytes) -> list[bytes | float]:
    return response(b"", b"Location: " + location, b"Content-Length: 0", status=b"302 Found")


def drip(head: bytes, count: int) -> list[bytes | float]:
    """`head`, then one byte every 0.1 s, `count` times (far longer than any timeout here)."""
    return [head, *(step for _ in range(count) for step in (b"a", 0.1))]


# name: (the script for every request, words the FetchError reason must contain)
MALFORMED: dict[str, tuple[list[bytes | float], str]] = {
    "bad status line": ([b"HTTP/1.1 abc\r\n\r\n"], "BadStatusLine"),
    "binary status line": ([b"\x00\x01\xff garbage\r\n\r\n"], "BadStatusLine"),
    "not HTTP at all": ([b"a CRL without any headers"], "BadStatusLine"),
    "closed without a reply": ([], "RemoteDisconnected"),
    "a 100 KiB header line": (response(b"x", b"X-Big: " + b"a" * 100_000), "LineTooLong"),
    "200 header lines": (response(b"x", *[b"X-Many: a"] * 200), "more than 100 headers"),
    "chunk size not hex": (
        response(b"zz\r\nabc\r\n", b"Transfer-Encoding: chunked"),
        "IncompleteRead",
    ),
    "chunked body cut short": (
        response(b"10\r\nabc", b"Transfer-Encoding: chunked"),
        "IncompleteRead",
    ),
    "Content-Length longer than the body": (
        response(b"abc", b"Content-Length: 100"),
        "ended after 3 of 100 bytes",
    ),
    "negative Content-Length": (response(b"abcdef", b"Content-Length: -5"), "invalid Content"),
    "Content-Length not a number": (response(b"abc", b"Content-Length: 3x"), "invalid Content"),
    "conflicting Content-Lengths": (
        response(b"abc", b"Content-Length: 3", b"Content-Length: 2"),
        "conflicting Content-Length",
    ),
    "Content-Length over the cap": (
        response(b"abc", b"Content-Length: 999999999999"),
        "exceeds the 67108864-byte cap",
    ),
    "redirect loop": (redirect(b"/again"), "infinite loop"),
    "redirect without Location": (
        response(b"", b"Content-Length: 0", status=b"302 Found"),
        "HTTP 302",
    ),
    "redirect to file://": (redirect(b"file:///etc/passwd"), "is not allowed"),
    "redirect to https://": (redirect(b"https://127.0.0.1:1/x.crl"), "https is not fetched"),
    "redirect to ldap://": (redirect(b"ldap://127.0.0.1/cn=x"), "is not allowed"),
    "HTTP 404": (response(b"no", b"Content-Length: 2", status=b"404 Not Found"), "HTTP 404"),
}


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[RawHTTPServer, dict[str, list[bytes | float]]]]:
    """One server for the module; each test sets the script its requests get."""
    scripts: dict[str, list[bytes | float]] = {"now": []}
    with RawHTTPServer(lambda _path: scripts["now"]) as raw:
        yield raw, scripts


def fetch_crl(url: str, timeout: float = 10.0) -> bytes:
    return asyncio.run(HttpFetcher().fetch_crl(url, timeout=timeout))


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_http_is_a_fetch_error_with_url_and_reason(
    server: tuple[RawHTTPServer, dict[str, list[bytes | float]]], case: str
) -> None:
    raw, scripts = server
    scripts["now"], words = MALFORMED[case]
    url = raw.base_url + "/x.crl"
    with pytest.raises(FetchError) as caught:
        fetch_crl(url)
    assert caught.value.url == url
    assert words in caught.value.reason


def test_a_well_formed_reply_is_read_exactly(
    server: tuple[RawHTTPServer, dict[str, list[bytes | float]]],
) -> None:
    """The twin of the malformed cases: the same server, a correct reply, the exact body;
    bytes sent after a valid Content-Length are not part of the body."""
    raw, scripts = server
    scripts["now"] = response(b"abc", b"Content-Length: 3")
    assert fetch_crl(raw.base_url + "/x.crl") == b"abc"
    scripts["now"] = response(b"abcdef", b"Content-Length: 2")
    assert fetch_crl(raw.base_url + "/x.crl") == b"ab"
    scripts["now"] = response(b"3\r\nabc\r\n0\r\n\r\n", b"Transfer-Encoding: chunked")
    assert fetch_crl(raw.base_url + "/x.crl") == b"abc"


@pytest.mark.parametrize(
    "script",
    [
        drip(b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n", 600),
        drip(b"HTTP/1.1 200 OK\r\nX-Slow: ", 600),
    ],
    ids=["body", "headers"],
)
def test_a_slow_drip_is_cut_off_at_the_timeout(script: list[bytes | float]) -> None:
    """Each byte arrives well within the socket timeout, so only the request's own limit can
    stop it: the fetch fails with "timed out" and the connection is closed from our side while
    the server still has a minute of bytes to send (asyncio.run also waits for the worker
    thread, so returning at all shows the thread was freed)."""
    with RawHTTPServer(lambda _path: script) as raw:
        with pytest.raises(FetchError) as caught:
            fetch_crl(raw.base_url + "/x.crl", timeout=0.5)
        assert "timed out" in caught.value.reason
        assert caught.value.url == raw.base_url + "/x.crl"
        for _ in range(100):  # the server notices on its next write (0.1 s apart)
            if raw.cut_off:
                break
            threading.Event().wait(0.05)
        assert raw.cut_off == 1


def test_the_overall_deadline_cuts_a_drip_through_check_revocation() -> None:
    """The deadline (not the per-request timeout) ends it: the fetch is cancelled, the socket
    shut, and the report says why with the URL."""
    script = drip(b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n", 600)
    with RawHTTPServer(lambda _path: script) as raw:
        url = raw.base_url + "/inter.crl"
        pki = make_pki(crl_url=url)
        report = asyncio.run(
            check_revocation(
                pki.path,
                policy="hard-fail",
                at=NOW,
                fetchers=Fetchers(timeout=30, deadline=0.5),
            )
        )
        for _ in range(100):
            if raw.cut_off:
                break
            threading.Event().wait(0.05)
        assert raw.cut_off == 1
    leaf = report.certificates[0]
    assert not report.accepted
    assert [(a.url, a.outcome) for a in leaf.attempts] == [(url, Outcome.ERROR)]
    assert "timed out" in leaf.attempts[0].detail


def _mutate(data: bytes, edits: Sequence[tuple[int, int]], cut: int | None) -> bytes:
    buffer = bytearray(data)
    for position, value in edits:
        buffer[position % len(buffer)] = value
    return bytes(buffer if cut is None else buffer[:cut])


PKI_URL = "http://placeholder.invalid/inter.crl"
PKI = make_pki(crl_url=PKI_URL)
PKI.inter.revoke(PKI.leaf, at=NOW - dt.timedelta(hours=1))
REVOKING = der(PKI.inter.crl(at=NOW))
CHUNKED = b"%x\r\n%s\r\n0\r\n\r\n" % (len(REVOKING), REVOKING)
OCSP_PKI = make_pki(ocsp_url=PKI_URL)
OCSP_PKI.inter.revoke(OCSP_PKI.leaf, at=NOW - dt.timedelta(hours=1))
REVOKED_ANSWER = der(OCSP_PKI.inter.ocsp_response(OCSP_PKI.leaf, at=NOW))
REPLIES = {
    "crl-length": b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(REVOKING), REVOKING),
    "crl-chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + CHUNKED,
    "ocsp-length": b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
    % (len(REVOKED_ANSWER), REVOKED_ANSWER),
}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from(sorted(REPLIES)),
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=3),
    st.one_of(st.none(), st.integers(0, 600)),
)
def test_mutated_http_replies_never_raise_and_never_say_good(
    server: tuple[RawHTTPServer, dict[str, list[bytes | float]]],
    kind: str,
    edits: list[tuple[int, int]],
    cut: int | None,
) -> None:
    """Mutations land in the status line, headers, chunk framing and the start of the CRL or
    OCSP answer; both revoke the leaf, so whatever arrives may be unusable or "revoked", never
    "good"."""
    raw, scripts = server
    scripts["now"] = [_mutate(REPLIES[kind], edits, cut)]

    class Here(HttpFetcher):
        async def fetch_crl(self, url: str, *, timeout: float) -> bytes:
            return await super().fetch_crl(raw.base_url + "/inter.crl", timeout=timeout)

        async def fetch_ocsp(self, url: str, request: bytes, *, timeout: float) -> bytes:
            return await super().fetch_ocsp(raw.base_url + "/", request, timeout=timeout)

    fetcher = Here()
    pki = OCSP_PKI if kind.startswith("ocsp") else PKI
    report = asyncio.run(
        check_revocation(
            pki.path,
            policy="soft-fail",
            at=NOW,
            crls=[der(pki.root.crl(at=NOW))],
            fetchers=Fetchers(crl=fetcher, ocsp=fetcher, timeout=5, deadline=10),
        )
    )
    leaf = report.certificates[0]
    assert leaf.attempts, leaf.reason
    assert all(a.outcome is not Outcome.GOOD for a in leaf.attempts)
    assert all(a.url == PKI_URL for a in leaf.attempts)
    assert all(a.detail for a in leaf.attempts)


def test_the_size_cap_holds_without_a_content_length(
    server: tuple[RawHTTPServer, dict[str, list[bytes | float]]],
) -> None:
    """A chunked body carries no length up front: the cap is enforced while reading."""
    raw, scripts = server
    body = b"\x00" * 5000
    scripts["now"] = response(
        b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body), b"Transfer-Encoding: chunked"
    )
    url = raw.base_url + "/big.crl"
    assert asyncio.run(HttpFetcher(max_bytes=5000).fetch_crl(url, timeout=10)) == body
    with pytest.raises(FetchError) as caught:
        asyncio.run(HttpFetcher(max_bytes=4999).fetch_crl(url, timeout=10))
    assert caught.value.reason == "body exceeds the 4999-byte cap"
    assert caught.value.url == url
