"""`HttpFetcher`: the default CRL and OCSP fetcher (stdlib urllib in the default executor).

# Model
Each fetch runs urllib in a worker thread, so the event loop never blocks. The thread's socket
timeout bounds each read, and the coroutine waits at most the request's timeout; when that time
is up, or the coroutine is cancelled (the caller's overall deadline), the event loop shuts the
fetch's socket down, so a reply that drips slowly cannot keep a worker thread (a scarce, shared
resource: asyncio resolves host names on the same pool) busy after we stopped waiting. (A
name lookup that hangs cannot be cut: its thread waits for the resolver's own timeout.)

# Rules
- Only ``http://`` is fetched: ``https://`` would need its own revocation check (a loop) and
  ``ldap://`` etc. are not supported; both are refused with the reason, never fetched.
- A redirect may not change the scheme (urllib stops redirect loops after 10 hops).
- Every connection (the first request and each redirect hop) goes to an address the fetcher's
  `DestinationPolicy` allowed: the host is resolved once, each address judged, and the socket
  connected to the judged address itself (destinations.py; no second lookup to rebind).
- The body must be exactly as long as a valid Content-Length says (a shorter body is a cut
  connection, not a CRL), and no larger than `max_bytes`.
- Every failure (DNS, refused, timeout, HTTP status, malformed HTTP, too large, bad redirect) is a
  `FetchError` carrying the URL and the reason. Nothing else escapes a fetch.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import http.client
import ipaddress
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from functools import partial
from http.client import HTTPMessage
from typing import IO, Any

from ..exceptions import FetchError
from .destinations import ANY_DESTINATION, DestinationPolicy, DestinationsLike, both
from .destinations import destination_policy as _as_policy
from .ocsp import get_url


__all__ = ["DEFAULT_MAX_BYTES", "HttpFetcher", "scheme_problem"]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""Large enough for the biggest public CRLs (a 1,000,000-entry CRL is about 34 MiB)."""

_READ_CHUNK = 256 * 1024


def scheme_problem(url: str) -> str | None:
    """Why `url` will not be fetched, or None for a plain http URL."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme == "http":
        return None
    if scheme == "https":
        return "https is not fetched (checking its certificate would need revocation: a loop)"
    return f"unsupported scheme {scheme or '(none)'!r}"


class _Sockets:
    """The sockets one fetch opened, so the event loop can cut them when it stops waiting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._finished = False

    def track(self, sock: socket.socket) -> None:
        with self._lock:
            if self._finished:  # the fetch was abandoned while connecting
                sock.close()
                return
            self._open.append(sock)

    def cut(self) -> None:
        """Wake any blocked read in the worker thread (it then fails at once) and refuse new
        connections. Harmless when the fetch is already over."""
        with self._lock:
            self._finished = True
            for sock in self._open:
                with contextlib.suppress(OSError):  # already closed by urllib
                    sock.shutdown(socket.SHUT_RDWR)


class _DestinationRefusedError(Exception):
    """Every address of a host was refused by the policy (not an OSError: urllib lets it
    through unwrapped, and `_blocking` turns it into the FetchError)."""


def _connect_checked(
    host: str, port: int, timeout: object, policy: DestinationPolicy
) -> socket.socket:
    """A socket connected to the first address of `host` that `policy` allows.

    The host is resolved once and the socket connects to the very address that was judged.
    """
    refused: list[str] = []
    last_error: OSError | None = None
    for family, kind, proto, _name, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        address = ipaddress.ip_address(sockaddr[0])
        problem = policy.problem(address)
        if problem is not None:
            refused.append(f"{address} is {problem}")
            continue
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
                sock.settimeout(timeout)  # type: ignore[arg-type]
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        return sock
    if last_error is not None:
        raise last_error
    raise _DestinationRefusedError(
        f"destination {host} port {port} refused by the {policy.name} destination policy: "
        + "; ".join(refused)
    )


class _TrackedConnection(http.client.HTTPConnection):
    """Connects only where the policy allows, and registers the socket for `_Sockets.cut`."""

    def __init__(
        self, host: str, *, sockets: _Sockets, policy: DestinationPolicy, **kwargs: Any
    ) -> None:
        super().__init__(host, **kwargs)
        self._sockets = sockets
        self._policy = policy

    def connect(self) -> None:
        # What http.client's connect does, with the resolution checked (no proxy tunnel here).
        self.sock = _connect_checked(self.host, self.port, self.timeout, self._policy)
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sockets.track(self.sock)


class _TrackedHandler(urllib.request.HTTPHandler):
    def __init__(self, sockets: _Sockets, policy: DestinationPolicy) -> None:
        super().__init__()
        self._sockets = sockets
        self._policy = policy

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = partial(_TrackedConnection, sockets=self._sockets, policy=self._policy)
        return self.do_open(connection, req)


class _SameSchemeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to other http URLs."""

    def redirect_request(  # noqa: PLR0917 - urllib's signature
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        problem = scheme_problem(newurl)
        if problem:
            fp.close()  # urllib closes it only after a redirect is accepted
            raise FetchError(url=req.full_url, reason=f"redirect to {newurl} refused: {problem}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _declared_length(headers: HTTPMessage) -> int | None:
    """The Content-Length, None when absent; a FetchError reason when invalid (RFC 9112 §6.3:
    an invalid or conflicting length is an unrecoverable error, not "read to the end")."""
    values = {v.strip() for v in headers.get_all("Content-Length") or ()}
    if not values:
        return None
    if len(values) > 1:
        raise ValueError(f"conflicting Content-Length headers {sorted(values)}")
    (value,) = values
    if not value.isascii() or not value.isdigit():
        raise ValueError(f"invalid Content-Length {value[:40]!r}")
    return int(value)


class HttpFetcher:
    """The default fetcher: urllib (no proxies, http only) in the default executor.

    Args:
        max_bytes: the largest body accepted.
        user_agent: the User-Agent header.
        allow_destinations: which resolved addresses it may connect to: ``"any"`` (default),
            ``"public-only"``, a `DestinationPolicy` or a predicate over the address.
    """

    def __init__(
        self,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        user_agent: str = "securesocket",
        allow_destinations: DestinationsLike = ANY_DESTINATION,
    ) -> None:
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        self.destinations = _as_policy(allow_destinations)

    def narrowed(self, policy: DestinationPolicy) -> HttpFetcher:
        """This fetcher (self when nothing changes, else a copy) allowing only destinations
        both its own policy and `policy` allow."""
        combined = both(self.destinations, policy)
        if combined is self.destinations:
            return self
        narrower = copy.copy(self)
        narrower.destinations = combined
        return narrower

    async def fetch_crl(self, url: str, *, timeout: float) -> bytes:
        return await self._run(url, None, None, timeout)

    async def fetch_ocsp(self, url: str, request: bytes, *, timeout: float) -> bytes:
        small = get_url(url, request)
        if small is not None:
            return await self._run(small, None, None, timeout, shown_url=url)
        return await self._run(url, request, "application/ocsp-request", timeout)

    async def _run(
        self,
        url: str,
        body: bytes | None,
        content_type: str | None,
        timeout: float,
        *,
        shown_url: str | None = None,
    ) -> bytes:
        problem = scheme_problem(url)
        if problem:
            raise FetchError(url=url, reason=problem)
        sockets = _Sockets()
        loop = asyncio.get_running_loop()
        call = loop.run_in_executor(None, self._blocking, url, body, content_type, timeout, sockets)
        try:
            # The socket timeout bounds each read; this bounds the whole request (and DNS).
            return await asyncio.wait_for(call, timeout)
        except TimeoutError:
            raise FetchError(
                url=shown_url or url, reason=f"timed out after {timeout:g} s"
            ) from None
        finally:
            sockets.cut()  # we no longer wait: free the worker thread now

    def _blocking(
        self,
        url: str,
        body: bytes | None,
        content_type: str | None,
        timeout: float,
        sockets: _Sockets,
    ) -> bytes:
        headers = {"User-Agent": self.user_agent}
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 - http only
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            _SameSchemeRedirects(),
            _TrackedHandler(sockets, self.destinations),
        )
        try:
            with opener.open(request, timeout=timeout) as response:
                return self._read_body(url, response)
        except FetchError:
            raise
        except _DestinationRefusedError as exc:
            raise FetchError(url=url, reason=str(exc)) from None
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the connection open
            raise FetchError(url=url, reason=f"HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            raise FetchError(url=url, reason=_words(exc.reason)) from None
        except Exception as exc:  # OSError, ValueError, http.client oddities (BadStatusLine, ...)
            raise FetchError(url=url, reason=_words(exc)) from None

    def _read_body(self, url: str, response: http.client.HTTPResponse) -> bytes:
        try:
            declared = _declared_length(response.headers)
        except ValueError as exc:
            raise FetchError(url=url, reason=str(exc)) from None
        if declared is not None and declared > self.max_bytes:
            raise FetchError(
                url=url, reason=f"{declared} bytes exceeds the {self.max_bytes}-byte cap"
            )
        data = bytearray()
        while chunk := response.read(_READ_CHUNK):
            data += chunk
            if len(data) > self.max_bytes:
                raise FetchError(url=url, reason=f"body exceeds the {self.max_bytes}-byte cap")
        if declared is not None and len(data) != declared:
            raise FetchError(
                url=url,
                reason=f"the connection ended after {len(data)} of {declared} bytes "
                "(Content-Length)",
            )
        return bytes(data)


def _words(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__
    return str(reason)
