"""Fetching revocation data: the injectable fetcher protocols and the default HTTP fetcher.

# Model
`CRLFetcher` and `OCSPFetcher` are Protocols with one coroutine each; tests inject fakes that
count calls and raise faults. `HttpFetcher` implements both with the standard library's urllib,
run in the default executor so the event loop never blocks. `Fetchers` bundles the two with the
limits (per-request timeout, overall deadline), the CRL cache and the in-flight table.

# Rules
- Only ``http://`` is fetched: ``https://`` would need its own revocation check (a loop) and
  ``ldap://`` etc. are not supported; both are skipped with the reason, never fetched.
- A redirect may not change the scheme; a body larger than `max_bytes` is refused.
- Every failure (DNS, refused, timeout, HTTP status, too large, bad redirect) is a `FetchError`
  carrying the URL and the reason. Nothing else escapes a fetch.
- Concurrent fetches of the same URL (or the same OCSP request) share one request.
"""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from http.client import HTTPMessage
from typing import IO, Protocol, runtime_checkable

from ..exceptions import FetchError
from .crl import ParsedCrl, load_crl
from .ocsp import get_url


__all__ = [
    "CRLFetcher",
    "CrlCache",
    "FetchSession",
    "Fetchers",
    "HttpFetcher",
    "OCSPFetcher",
    "default_fetchers",
    "scheme_problem",
]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""Large enough for the biggest public CRLs (a 1,000,000-entry CRL is about 34 MiB)."""


@runtime_checkable
class CRLFetcher(Protocol):
    """Gets the bytes of a CRL. Raises `FetchError` (with URL and reason) on any failure."""

    async def fetch_crl(self, url: str, *, timeout: float) -> bytes: ...


@runtime_checkable
class OCSPFetcher(Protocol):
    """Sends a DER OCSP request, returns the DER response. Raises `FetchError` on any failure."""

    async def fetch_ocsp(self, url: str, request: bytes, *, timeout: float) -> bytes: ...


def scheme_problem(url: str) -> str | None:
    """Why `url` will not be fetched, or None for a plain http URL."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme == "http":
        return None
    if scheme == "https":
        return "https is not fetched (checking its certificate would need revocation: a loop)"
    return f"unsupported scheme {scheme or '(none)'!r}"


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


class HttpFetcher:
    """The default fetcher: urllib (no proxies, http only) in the default executor."""

    def __init__(
        self, *, max_bytes: int = DEFAULT_MAX_BYTES, user_agent: str = "securesocket"
    ) -> None:
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), _SameSchemeRedirects()
        )

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
        loop = asyncio.get_running_loop()
        call = loop.run_in_executor(None, self._blocking, url, body, content_type, timeout)
        try:
            # The socket timeout bounds the thread; wait_for bounds us even if DNS hangs.
            return await asyncio.wait_for(call, timeout + 0.5)
        except TimeoutError:
            raise FetchError(
                url=shown_url or url, reason=f"timed out after {timeout:g} s"
            ) from None

    def _blocking(
        self, url: str, body: bytes | None, content_type: str | None, timeout: float
    ) -> bytes:
        headers = {"User-Agent": self.user_agent}
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 - http only
        try:
            with self._opener.open(request, timeout=timeout) as response:
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(
                        url=url, reason=f"{declared} bytes exceeds the {self.max_bytes}-byte cap"
                    )
                data: bytes = response.read(self.max_bytes + 1)
        except FetchError:
            raise
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the connection open
            raise FetchError(url=url, reason=f"HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            raise FetchError(url=url, reason=_words(exc.reason)) from None
        except (TimeoutError, OSError, ValueError) as exc:
            raise FetchError(url=url, reason=_words(exc)) from None
        except Exception as exc:  # http.client oddities (BadStatusLine, IncompleteRead, ...)
            raise FetchError(url=url, reason=_words(exc)) from None
        if len(data) > self.max_bytes:
            raise FetchError(url=url, reason=f"body exceeds the {self.max_bytes}-byte cap")
        return data


def _words(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__
    return str(reason)


class CrlCache:
    """Parsed CRLs by URL, kept until their nextUpdate.

    Only usable CRLs with a nextUpdate are kept. A cached CRL still goes through every §6.3
    check on use (issuer, scope, signer, freshness), so the URL is key enough. Bounded (least
    recently used dropped) and thread-safe: one bundle may serve several event loops."""

    def __init__(self, maxsize: int = 64) -> None:
        self._entries: OrderedDict[str, ParsedCrl] = OrderedDict()
        self._maxsize = maxsize
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, url: str, at: datetime) -> ParsedCrl | None:
        with self._lock:
            crl = self._entries.get(url)
            if crl is None:
                return None
            if crl.next_update is None or at >= crl.next_update:
                del self._entries[url]
                return None
            self._entries.move_to_end(url)
        return replace(crl, origin="cache")

    def put(self, url: str, crl: ParsedCrl) -> None:
        if crl.crl is None or crl.problem is not None or crl.next_update is None:
            return  # only usable CRLs with a known expiry are kept
        with self._lock:
            self._entries[url] = crl
            self._entries.move_to_end(url)
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)


@dataclass(frozen=True)
class Fetchers:
    """The fetchers and limits `check_revocation` uses.

    Attributes:
        crl / ocsp: the implementations (`HttpFetcher` by default; inject fakes in tests).
        timeout: seconds allowed for each request.
        deadline: seconds allowed for all the fetching of one `check_revocation` call.
        cache: parsed CRLs, shared by every call that uses this bundle.
    """

    crl: CRLFetcher = field(default_factory=HttpFetcher)
    ocsp: OCSPFetcher = field(default_factory=HttpFetcher)
    timeout: float = 5.0
    deadline: float = 15.0
    cache: CrlCache = field(default_factory=CrlCache)
    # Keyed by event loop too: a future can only be awaited on the loop that runs it.
    _inflight: dict[tuple[asyncio.AbstractEventLoop, str, str, bytes], asyncio.Future[bytes]] = (
        field(default_factory=dict, repr=False)
    )


_default: Fetchers | None = None


def default_fetchers() -> Fetchers:
    """The process-wide bundle used when a caller passes none (so its CRL cache is shared)."""
    global _default  # noqa: PLW0603 - one lazily built shared instance
    if _default is None:
        _default = Fetchers()
    return _default


class FetchSession:
    """One `check_revocation` call's view of the fetchers: the deadline and de-duplication."""

    def __init__(self, fetchers: Fetchers, at: datetime) -> None:
        self.fetchers = fetchers
        self.at = at
        self._ends = asyncio.get_running_loop().time() + fetchers.deadline

    def _budget(self, url: str) -> float:
        left = self._ends - asyncio.get_running_loop().time()
        if left <= 0:
            raise FetchError(url=url, reason="the overall revocation deadline has passed")
        return min(self.fetchers.timeout, left)

    async def _shared(
        self, key: tuple[str, str, bytes], start: Callable[[float], Awaitable[bytes]]
    ) -> bytes:
        inflight = self.fetchers._inflight
        scoped = (asyncio.get_running_loop(), *key)
        future = inflight.get(scoped)
        if future is None:
            budget = self._budget(key[1])
            future = asyncio.ensure_future(_guarded(key[1], start(budget), budget))
            inflight[scoped] = future
            future.add_done_callback(lambda _f: inflight.pop(scoped, None))
        return await asyncio.shield(future)

    async def crl(self, url: str) -> tuple[ParsedCrl, float | None]:
        """The parsed CRL at `url` (from the cache when fresh) and the fetch latency in ms."""
        cached = self.fetchers.cache.get(url, self.at)
        if cached is not None:
            return cached, None
        began = time.perf_counter()
        data = await self._shared(
            ("crl", url, b""), lambda t: self.fetchers.crl.fetch_crl(url, timeout=t)
        )
        latency = (time.perf_counter() - began) * 1000
        parsed = load_crl(data, origin="fetched", url=url)
        self.fetchers.cache.put(url, parsed)
        return parsed, latency

    async def ocsp(self, url: str, request: bytes) -> tuple[bytes, float]:
        """The raw OCSP response for `request` from `url`, and the latency in ms."""
        began = time.perf_counter()
        data = await self._shared(
            ("ocsp", url, request),
            lambda t: self.fetchers.ocsp.fetch_ocsp(url, request, timeout=t),
        )
        return data, (time.perf_counter() - began) * 1000


async def _guarded(url: str, call: Awaitable[bytes], budget: float) -> bytes:
    """Run an injected fetcher under the budget; anything it raises becomes a `FetchError`."""
    try:
        return await asyncio.wait_for(call, budget)
    except FetchError:
        raise
    except TimeoutError:
        raise FetchError(url=url, reason=f"timed out after {budget:g} s") from None
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        raise FetchError(url=url, reason=_words(exc)) from None
