"""Fetching revocation data: the injectable fetcher protocols, the limits, the CRL cache.

# Model
`CRLFetcher` and `OCSPFetcher` are Protocols with one coroutine each; tests inject fakes that
count calls and raise faults. `HttpFetcher` (http_fetcher.py) implements both. `Fetchers`
bundles the two with the limits (per-request timeout, overall deadline), the CRL cache and the
in-flight table; `FetchSession` applies them to one `check_revocation` call.

# Rules
- Every failure, whatever an injected fetcher raises, becomes a `FetchError` carrying the URL
  and the reason (`_guarded`). Nothing else escapes a fetch.
- Concurrent fetches of the same URL (or the same OCSP request) share one request.
- `allow_destinations` (the SSRF guard, destinations.py) narrows the `HttpFetcher`s the bundle
  holds; an injected fetcher of another kind makes its own connections and its own rules.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol, runtime_checkable

from ..exceptions import ArgumentError, FetchError
from .crl import ParsedCrl, load_crl
from .destinations import ANY_DESTINATION, DestinationsLike, destination_policy
from .http_fetcher import DEFAULT_MAX_BYTES, HttpFetcher, scheme_problem


__all__ = [
    "DEFAULT_MAX_BYTES",
    "CRLFetcher",
    "CrlCache",
    "FetchSession",
    "Fetchers",
    "HttpFetcher",
    "OCSPFetcher",
    "default_fetchers",
    "scheme_problem",
    "set_default_fetchers",
]


@runtime_checkable
class CRLFetcher(Protocol):
    """Gets the bytes of a CRL. Raises `FetchError` (with URL and reason) on any failure."""

    async def fetch_crl(self, url: str, *, timeout: float) -> bytes: ...


@runtime_checkable
class OCSPFetcher(Protocol):
    """Sends a DER OCSP request, returns the DER response. Raises `FetchError` on any failure."""

    async def fetch_ocsp(self, url: str, request: bytes, *, timeout: float) -> bytes: ...


def _words(reason: BaseException) -> str:
    return f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__


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
        allow_destinations: which resolved addresses the fetches may connect to, on every
            request and redirect hop: ``"any"`` (the default), ``"public-only"``, a
            `DestinationPolicy` (e.g. `public_only_plus("10.0.0.0/8")`) or a predicate over
            the address. Refusals are `FetchError`s that name the address and the policy.
            It narrows each `HttpFetcher` given (never widens one's own policy); stored as
            the `DestinationPolicy` it names.
    """

    crl: CRLFetcher = field(default_factory=HttpFetcher)
    ocsp: OCSPFetcher = field(default_factory=HttpFetcher)
    timeout: float = 5.0
    deadline: float = 15.0
    cache: CrlCache = field(default_factory=CrlCache)
    allow_destinations: DestinationsLike = ANY_DESTINATION
    # Keyed by event loop too: a future can only be awaited on the loop that runs it.
    _inflight: dict[tuple[asyncio.AbstractEventLoop, str, str, bytes], asyncio.Future[bytes]] = (
        field(default_factory=dict, repr=False)
    )

    def __post_init__(self) -> None:
        policy = destination_policy(self.allow_destinations)
        object.__setattr__(self, "allow_destinations", policy)  # frozen: normalise once
        for role in ("crl", "ocsp"):
            fetcher = getattr(self, role)
            if isinstance(fetcher, HttpFetcher):
                object.__setattr__(self, role, fetcher.narrowed(policy))


_default: Fetchers | None = None


def default_fetchers() -> Fetchers:
    """The process-wide bundle used when a caller passes none (so its CRL cache is shared)."""
    global _default  # noqa: PLW0603 - one lazily built shared instance
    if _default is None:
        _default = Fetchers()
    return _default


def set_default_fetchers(fetchers: Fetchers) -> None:
    """Replace the process-wide bundle: how an application gives `SecureSocket` (which
    passes none) its limits or a destination policy, e.g.
    ``set_default_fetchers(Fetchers(allow_destinations="public-only"))``."""
    global _default  # noqa: PLW0603
    if not isinstance(fetchers, Fetchers):
        raise ArgumentError(f"set_default_fetchers takes a Fetchers, not {type(fetchers).__name__}")
    _default = fetchers


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
    """Run an injected fetcher under the budget; anything it raises, or returns that is not
    bytes, becomes a `FetchError`."""
    try:
        data: object = await asyncio.wait_for(call, budget)
        if not isinstance(data, bytes | bytearray | memoryview):
            raise FetchError(
                url=url, reason=f"the fetcher returned {type(data).__name__}, not bytes"
            )
        return bytes(data)
    except FetchError:
        raise
    except TimeoutError:
        raise FetchError(url=url, reason=f"timed out after {budget:g} s") from None
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        raise FetchError(url=url, reason=_words(exc)) from None
