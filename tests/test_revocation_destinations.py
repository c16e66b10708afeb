"""The SSRF guard on revocation fetches: which resolved addresses a fetch may connect to.

The policies are first checked address by address (every refusal has an allowed twin), then for
real on loopback: an HTTP server on 127.0.0.1 is refused under ``public-only`` (directly, through
a host name, and as a redirect target from a server on 127.0.0.2 that the policy allows) and
reached under ``any``; a host whose DNS answer changes between lookups is connected to at the
address that was checked; and the policy travels through `Fetchers` into `check_revocation`
and, via the process-wide bundle, into `SecureSocket`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from securesocket import FetchError, SecureSocket, set_default_fetchers
from securesocket.exceptions import ArgumentError
from securesocket.exceptions import IOError as SocketIOError
from securesocket.revocation import (
    Fetchers,
    HttpFetcher,
    Outcome,
    check_revocation,
    default_fetchers,
)
from securesocket.revocation.destinations import (
    ANY_DESTINATION,
    PUBLIC_ONLY,
    DestinationPolicy,
    both,
    destination_policy,
    public_only_plus,
)
from securesocket.testing.crl_server import CRLServer
from securesocket.testing.hostile import ServerIdentity, TLSServer
from tests.counting_http import CountingHTTPServer
from tests.revocation_helpers import NOW, der, make_pki


pytestmark = pytest.mark.usefixtures("no_leftover_servers")

# --------------------------------------------------------------------------- the policies

NOT_PUBLIC = {
    "127.0.0.1": "loopback",
    "::1": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "link-local",  # cloud metadata services
    "fe80::1": "link-local",
    "100.64.0.1": "shared",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "fc00::1": "private",
    "192.0.2.1": "private",  # documentation
    "240.0.0.1": "private",  # reserved (is_private covers 240/4 in the stdlib's table)
    "::ffff:127.0.0.1": "loopback address (embedded IPv4 127.0.0.1)",
    "64:ff9b::a9fe:a9fe": "link-local address (embedded IPv4 169.254.169.254)",
    "2002:7f00:1::1": "loopback address (embedded IPv4 127.0.0.1)",
    "64:ff9b:1::1": "local-use NAT64",
    "fec0::1": "site-local",
}
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize(("address", "kind"), NOT_PUBLIC.items(), ids=list(NOT_PUBLIC))
def test_public_only_refuses_every_non_public_address(address: str, kind: str) -> None:
    problem = PUBLIC_ONLY.problem(ipaddress.ip_address(address))
    assert problem is not None
    assert kind in problem
    assert ANY_DESTINATION.problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_only_allows_public_addresses(address: str) -> None:
    assert PUBLIC_ONLY.problem(ipaddress.ip_address(address)) is None


def test_public_only_plus_allows_only_the_named_networks() -> None:
    policy = public_only_plus("10.20.0.0/16", "fd00::/8")
    assert policy.problem(ipaddress.ip_address("10.20.3.4")) is None
    assert policy.problem(ipaddress.ip_address("fd00::5")) is None
    assert policy.problem(ipaddress.ip_address("8.8.8.8")) is None
    assert policy.problem(ipaddress.ip_address("10.21.0.1")) is not None
    assert policy.problem(ipaddress.ip_address("127.0.0.1")) is not None
    assert "10.20.0.0/16" in policy.name
    with pytest.raises(ArgumentError, match="not-a-network"):
        public_only_plus("not-a-network")


def test_names_predicates_and_bad_values() -> None:
    assert destination_policy("any") is ANY_DESTINATION
    assert destination_policy("public-only") is PUBLIC_ONLY
    only_nine = destination_policy(lambda address: str(address) == "9.9.9.9")
    assert only_nine.problem(ipaddress.ip_address("9.9.9.9")) is None
    assert only_nine.problem(ipaddress.ip_address("8.8.8.8")) == "not allowed"
    with pytest.raises(ArgumentError, match="public-only"):
        destination_policy("public")
    with pytest.raises(ArgumentError, match="int"):
        destination_policy(42)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError):
        Fetchers(allow_destinations="nowhere")


def test_both_allows_only_what_each_allows() -> None:
    odd = DestinationPolicy.from_predicate(lambda a: int(a) % 2 == 1, name="odd")
    combined = both(PUBLIC_ONLY, odd)
    assert combined.problem(ipaddress.ip_address("8.8.8.9")) is None
    assert combined.problem(ipaddress.ip_address("8.8.8.8")) == "not allowed"
    assert combined.problem(ipaddress.ip_address("127.0.0.1")) is not None
    assert both(PUBLIC_ONLY, ANY_DESTINATION) is PUBLIC_ONLY
    assert both(ANY_DESTINATION, PUBLIC_ONLY) is PUBLIC_ONLY


def test_fetchers_narrow_never_widen_an_http_fetcher() -> None:
    strict = HttpFetcher(allow_destinations="public-only")
    widened = Fetchers(crl=strict, ocsp=strict, allow_destinations="any")
    assert isinstance(widened.crl, HttpFetcher)
    assert widened.crl.destinations is PUBLIC_ONLY
    narrowed = Fetchers(allow_destinations="public-only")
    assert isinstance(narrowed.crl, HttpFetcher)
    assert isinstance(narrowed.ocsp, HttpFetcher)
    assert narrowed.crl.destinations is PUBLIC_ONLY
    assert narrowed.ocsp.destinations is PUBLIC_ONLY
    assert narrowed.allow_destinations is PUBLIC_ONLY
    # the caller's own fetcher object is not changed behind its back
    lenient = HttpFetcher()
    Fetchers(crl=lenient, allow_destinations="public-only")
    assert lenient.destinations is ANY_DESTINATION


# --------------------------------------------------------------------------- on loopback


@pytest.fixture
def site() -> Iterator[CountingHTTPServer]:
    with CountingHTTPServer(body=b"CRL bytes") as served:
        yield served


def fetch(url: str, allow: Any) -> bytes:
    fetcher = HttpFetcher(allow_destinations=allow)
    return asyncio.run(fetcher.fetch_crl(url, timeout=10))


def test_public_only_refuses_loopback_and_sends_nothing(site: CountingHTTPServer) -> None:
    with pytest.raises(FetchError) as refused:
        fetch(site.url("ca.crl"), "public-only")
    assert refused.value.url == site.url("ca.crl")
    assert "127.0.0.1 is a loopback address" in refused.value.reason
    assert "public-only destination policy" in refused.value.reason
    assert site.requests == []


def test_any_reaches_loopback(site: CountingHTTPServer) -> None:
    assert fetch(site.url("ca.crl"), "any") == b"CRL bytes"
    assert site.requests == ["/ca.crl"]


@pytest.mark.parametrize("size", [8, 600], ids=["ocsp-get", "ocsp-post"])
def test_ocsp_requests_are_judged_too(site: CountingHTTPServer, size: int) -> None:
    """OCSP over GET (small request) and POST (large) go through the same guard."""
    request = b"\x30" + bytes(size)

    def ask(allow: str) -> bytes:
        fetcher = HttpFetcher(allow_destinations=allow)
        return asyncio.run(fetcher.fetch_ocsp(site.url("ocsp"), request, timeout=10))

    with pytest.raises(FetchError, match="public-only destination policy"):
        ask("public-only")
    assert site.requests == []
    assert ask("any") == b"CRL bytes"
    assert len(site.requests) == 1


def test_a_host_name_is_judged_by_the_address_it_resolves_to(site: CountingHTTPServer) -> None:
    """``localhost`` is not an IP literal: the check is on what it resolves to."""
    url = f"http://localhost:{site.port}/ca.crl"
    with pytest.raises(FetchError, match="loopback") as refused:
        fetch(url, "public-only")
    assert "destination localhost port" in refused.value.reason
    assert site.requests == []
    assert fetch(url, "any") == b"CRL bytes"


def test_a_redirect_to_loopback_is_refused(site: CountingHTTPServer) -> None:
    """The first hop (127.0.0.2) is allowed, the redirect to 127.0.0.1 is not: the target
    gets no request; the twin policy that allows 127.0.0.1 follows the redirect."""
    with CountingHTTPServer("127.0.0.2", redirect=site.url("ca.crl")) as front:
        with pytest.raises(FetchError) as refused:
            fetch(front.url("ca.crl"), public_only_plus("127.0.0.2/32"))
        assert front.requests == ["/ca.crl"]
        assert site.requests == []
        assert refused.value.url == front.url("ca.crl")
        assert f"destination 127.0.0.1 port {site.port}" in refused.value.reason
        assert "loopback" in refused.value.reason
        assert fetch(front.url("ca.crl"), public_only_plus("127.0.0.0/8")) == b"CRL bytes"
    assert site.requests == ["/ca.crl"]


def test_the_checked_address_is_the_one_connected_to(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: a name that answers 127.0.0.2 (allowed) to the first lookup and
    127.0.0.1 (refused) to any later one. The fetch looks it up once and connects to
    127.0.0.2; the internal server on 127.0.0.1 is never asked."""
    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        answer = "127.0.0.2" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with CountingHTTPServer("127.0.0.2", body=b"from the checked address") as checked:
        # the same port on both addresses, so only the address decides which one answers
        internal = _bind_same_port(checked.port)
        try:
            url = f"http://rebind.test:{checked.port}/ca.crl"
            assert fetch(url, public_only_plus("127.0.0.2/32")) == b"from the checked address"
        finally:
            internal.close()
    assert lookups == ["rebind.test"]
    assert checked.requests == ["/ca.crl"]


def _bind_same_port(port: int) -> socket.socket:
    """A listener on 127.0.0.1:`port` that would take any connection sent there (it is
    never served: the test shows nothing connects to it)."""
    listener = socket.create_server(("127.0.0.1", port))
    listener.setblocking(False)
    return listener


def test_a_name_with_no_allowed_address_names_every_refusal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_getaddrinfo = socket.getaddrinfo

    def two_answers(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "internal.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    with pytest.raises(FetchError) as refused:
        fetch("http://internal.test:9/x.crl", "public-only")
    assert "10.0.0.7 is a private" in refused.value.reason
    assert "::1 is a loopback address" in refused.value.reason


# --------------------------------------------------------------------------- through the layers


@pytest.mark.parametrize(
    ("allow", "outcome"), [("public-only", Outcome.ERROR), ("any", Outcome.GOOD)]
)
def test_check_revocation_honours_the_bundle_policy(allow: str, outcome: Outcome) -> None:
    with CRLServer() as crls:
        pki = make_pki(crl_url=crls.url("inter.crl"))
        crls.publish("inter.crl", pki.inter.crl(at=NOW))
        report = asyncio.run(
            check_revocation(
                pki.path,
                policy="hard-fail",
                at=NOW,
                crls=[der(pki.root.crl(at=NOW))],
                fetchers=Fetchers(allow_destinations=allow, timeout=5, deadline=10),
            )
        )
        served = list(crls.requests)
    leaf = report.certificates[0]
    assert [a.outcome for a in leaf.attempts] == [outcome]
    if outcome is Outcome.ERROR:
        assert report.accepted is False
        assert report.status == "invalid"
        assert "public-only destination policy" in leaf.attempts[0].detail
        assert served == []
    else:
        assert report.accepted is True
        assert served != []


def _connect_status(identity: ServerIdentity, anchor: bytes) -> tuple[str, bool]:
    async def body() -> tuple[str, bool]:
        sock = SecureSocket(trust="none", revocation="hard-fail")
        sock.add_binary_chain_building_certificate(anchor, True)
        with TLSServer(identity) as server:
            try:
                await sock.connect("localhost", server.port)
            except SocketIOError:
                return sock.server_certificate_status, False
            sock.close()
        return sock.server_certificate_status, True

    return asyncio.run(body())


@pytest.fixture
def restore_default_fetchers() -> Iterator[Callable[[Fetchers], None]]:
    previous = default_fetchers()
    yield set_default_fetchers
    set_default_fetchers(previous)


def test_secure_socket_uses_the_process_wide_policy(
    restore_default_fetchers: Callable[[Fetchers], None],
) -> None:
    """`set_default_fetchers(Fetchers(allow_destinations="public-only"))`: a hard-fail
    SecureSocket whose server's CRL is on 127.0.0.1 is refused (invalid); the twin with
    "any" connects."""
    with CRLServer() as crls:
        pki = make_pki(crl_url=crls.url("inter.crl"))
        crls.publish("inter.crl", pki.inter.crl())
        identity = ServerIdentity(
            (pki.leaf.certificate, pki.inter.certificate), pki.leaf.private_key
        )
        restore_default_fetchers(Fetchers(allow_destinations="public-only"))
        refused = _connect_status(identity, pki.root.cert_der)
        assert crls.requests == []
        restore_default_fetchers(Fetchers(allow_destinations="any"))
        allowed = _connect_status(identity, pki.root.cert_der)
    assert refused == ("invalid", False)
    assert allowed == ("trusted", True)


def test_set_default_fetchers_takes_only_a_bundle() -> None:
    with pytest.raises(ArgumentError):
        set_default_fetchers("public-only")  # type: ignore[arg-type]
