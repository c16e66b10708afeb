"""Revocation checking of a validated path: gather the evidence, then decide purely.

# Model
`evaluate_offline` uses only what the caller hands over (CRLs, OCSP responses, the staple) and
never touches the network: `verify_chain` calls it. `check_revocation` does the same, and when a
method gave no decisive answer it fetches (OCSP from the AIA URLs, CRLs from the distribution
points) through the injectable `Fetchers`, concurrently for every certificate, then decides with
the same pure functions. Methods are tried in `RevocationRules.order`; the first decisive
answer (good or revoked) for a certificate ends its search.

# Invariants
- The anchor (last element of the path) is never checked.
- Nothing raises for bad evidence or a failed fetch: each becomes an `Attempt` in the report.
- `check_revocation` never blocks the event loop (fetches run in the executor or are awaited).
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.x509 import ocsp as x509_ocsp

from ..exceptions import FetchError
from . import _arguments
from .crl import ParsedCrl, load_supplied_crl
from .crl_check import CrlContext, MethodResult, check_crls, signer_revocation_problem
from .decide import build_report, decide_certificate
from .fetch import Fetchers, FetchSession, default_fetchers, scheme_problem
from .ocsp import build_request, find_single, judge_response, must_staple, ocsp_urls
from .policy import Method, RevocationPolicy, RevocationRules
from .report import Attempt, CertificateRevocation, Outcome, RevocationReport


__all__ = ["check_revocation", "evaluate_offline", "evaluate_without_fetching"]

IssuerValidator = Callable[[x509.Certificate], bool]
CrlInput = bytes | x509.CertificateRevocationList
OcspInput = bytes | x509_ocsp.OCSPResponse


def _crl_urls(
    cert: x509.Certificate | x509.CertificateRevocationList,
    kind: type[x509.CRLDistributionPoints | x509.FreshestCRL] = x509.CRLDistributionPoints,
) -> tuple[list[str], list[tuple[str, str]]]:
    """(http URLs to fetch, (description, why not fetched) for every other distribution point)
    of the CRL distribution points, or (`kind=FreshestCRL`) of where delta CRLs are published."""
    try:
        dps = cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return [], []
    fetchable: list[str] = []
    other: list[tuple[str, str]] = []
    for dp in dps:
        for name in dp.full_name or ():
            if isinstance(name, x509.UniformResourceIdentifier):
                problem = scheme_problem(name.value)
                if problem:
                    other.append((name.value, problem))
                else:
                    fetchable.append(name.value)
            else:
                other.append((str(name.value), "not a URL: only supplied CRLs can match it"))
        if dp.relative_name is not None or (not dp.full_name and dp.crl_issuer):
            other.append(("a point relative to the CRL issuer", "only supplied CRLs can match it"))
    return fetchable, other


@dataclass(frozen=True, slots=True)
class _Sources:
    """What a certificate declares about its revocation, read from its extensions once."""

    ocsp: tuple[str, ...]
    crl: tuple[tuple[str, ...], tuple[tuple[str, str], ...]]
    delta: tuple[tuple[str, ...], tuple[tuple[str, str], ...]]
    must_staple: bool

    @property
    def none(self) -> bool:
        return not (self.ocsp or self.crl[0] or self.crl[1] or self.delta[0] or self.delta[1])


@functools.lru_cache(maxsize=256)
def _sources(cert: x509.Certificate) -> _Sources:
    """Cached per certificate (equal certificates hash alike: a server's leaf, parsed anew on
    every handshake, hits): each lookup otherwise walks the extensions in Python. Raises
    ValueError / UnsupportedAlgorithm for unreadable extensions (not cached)."""
    crl, other = _crl_urls(cert)
    deltas, other_deltas = _crl_urls(cert, x509.FreshestCRL)
    return _Sources(
        tuple(ocsp_urls(cert)),
        (tuple(crl), tuple(other)),
        (tuple(deltas), tuple(other_deltas)),
        must_staple(cert),
    )


def _declared(cert: x509.Certificate, depth: int) -> tuple[str, ...]:
    sources = _sources(cert)
    fetchable, other = sources.crl
    out = [f"ocsp {u}" for u in sources.ocsp]
    out += [f"crl {u}" for u in fetchable] + [f"crl {d} ({why})" for d, why in other]
    deltas, other_deltas = sources.delta
    out += [f"delta crl {u}" for u in deltas]
    out += [f"delta crl {d} ({why})" for d, why in other_deltas]
    if depth == 0 and sources.must_staple:
        out.append("must-staple")
    return tuple(out)


def _parse_ocsp(data: OcspInput) -> x509_ocsp.OCSPResponse | str:
    if isinstance(data, x509_ocsp.OCSPResponse):
        return data
    try:
        return x509_ocsp.load_der_ocsp_response(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        return f"not a DER OCSP response ({exc})"


@dataclass(frozen=True)
class _Evidence:
    """What is known before any fetch: the path, the rules, the supplied data."""

    path: tuple[x509.Certificate, ...]
    rules: RevocationRules
    at: datetime
    ctx: CrlContext
    ocsp: tuple[x509_ocsp.OCSPResponse | str, ...]
    staple: bytes | None

    @classmethod
    def build(  # noqa: PLR0917 - internal, called once per entry point
        cls,
        path: Sequence[x509.Certificate],
        policy: RevocationPolicy | RevocationRules | str | None,
        at: datetime,
        crls: Iterable[CrlInput],
        ocsp_responses: Iterable[OcspInput],
        staple: bytes | None,
        issuer_validator: IssuerValidator | None,
        signer_certs: Iterable[x509.Certificate],
    ) -> _Evidence:
        rules = RevocationRules.of(policy)
        path = _arguments.certificates("path", path, empty=False)
        pool = _arguments.certificates("signer_certs", signer_certs, empty=True)
        at = _arguments.moment(at)
        parsed = tuple(load_supplied_crl(c) for c in _arguments.crl_inputs(crls))
        ctx = CrlContext(path, pool, issuer_validator, at, rules, parsed)
        responses = tuple(_parse_ocsp(r) for r in _arguments.ocsp_inputs(ocsp_responses))
        return cls(path, rules, at, ctx, responses, _arguments.staple_bytes(staple))

    def with_crls(self, extra: Sequence[ParsedCrl]) -> CrlContext:
        return replace(self.ctx, crls=self.ctx.crls + tuple(extra)) if extra else self.ctx

    def responder_check(
        self,
        ctx: CrlContext,
        issuer: x509.Certificate,
        answers: Sequence[x509_ocsp.OCSPResponse] = (),
    ) -> Callable[[x509.Certificate], str | None]:
        """How a delegated responder without id-pkix-ocsp-nocheck is checked: a CRL that covers
        it decides; failing that, an OCSP answer about it (supplied, or fetched into `answers`)
        judged with no further delegation, so the recursion stops at one level (a responder
        vouching for itself is refused, never a loop)."""

        def check(delegate: x509.Certificate) -> str | None:
            crl = check_crls(delegate, None, ctx).outcome
            if crl is Outcome.GOOD:
                return None
            problem = signer_revocation_problem(delegate, ctx, frozenset())
            if crl is Outcome.REVOKED:
                return problem
            for response in (*self.ocsp, *answers):
                if isinstance(response, str) or not _concerns(response, delegate, issuer):
                    continue
                attempt = judge_response(response, delegate, issuer, at=self.at, rules=self.rules)
                if attempt.outcome is Outcome.GOOD:
                    return None
                who = delegate.subject.rfc4514_string()
                if attempt.outcome is Outcome.REVOKED:
                    return f"the responder {who} is itself revoked (OCSP)"
                problem = f"{problem}; OCSP about the responder: {attempt.detail}"
            return problem

        return check

    def staple_result(self, depth: int) -> MethodResult:
        if depth != 0 or not self.staple:
            return MethodResult(None, ())
        attempt = judge_response(
            self.staple,
            self.path[0],
            self.path[1],
            at=self.at,
            rules=self.rules,
            method=Method.STAPLE,
            origin="staple",
            responder_check=self.responder_check(self.ctx, self.path[1]),
        )
        return MethodResult(attempt.outcome, (attempt,))

    def supplied_ocsp(self, depth: int, ctx: CrlContext) -> MethodResult:
        cert, issuer = self.path[depth], self.path[depth + 1]
        attempts = []
        for response in self.ocsp:
            if isinstance(response, str):
                if depth == 0:  # unreadable: say so once, on the leaf
                    attempts.append(Attempt(Method.OCSP, "supplied", Outcome.ERROR, response))
                continue
            about = _concerns(response, cert, issuer)
            if about is False or (about is None and depth):
                continue  # not about it; what names no certificate is reported on the leaf
            attempt = judge_response(
                response,
                cert,
                issuer,
                at=self.at,
                rules=self.rules,
                responder_check=self.responder_check(ctx, issuer),
            )
            attempts.append(attempt)
            if attempt.outcome.decisive:
                break
        return _combine(attempts)

    def crl_result(self, depth: int, ctx: CrlContext, urls: Iterable[str] = ()) -> MethodResult:
        return check_crls(self.path[depth], depth, ctx, declared_urls=frozenset(urls))

    def has_source(self, depth: int, results: Sequence[MethodResult]) -> bool:
        sources = _sources(self.path[depth])
        if _fetchable(sources.ocsp) or sources.crl[0]:
            return True
        return any(a.outcome is not Outcome.SKIPPED for r in results for a in r.attempts)

    def decide(self, depth: int, results: Sequence[MethodResult]) -> CertificateRevocation:
        cert = self.path[depth]
        policy = self.rules.for_depth(depth)
        return decide_certificate(
            depth,
            cert,
            policy,
            _declared(cert, depth),
            results,
            has_source=self.has_source(depth, results),
            # Leaving STAPLE out of the order does not lift Must-Staple: only the flag does.
            staple_required=depth == 0
            and self.rules.enforce_must_staple
            and _sources(cert).must_staple,
        )


def _concerns(
    response: x509_ocsp.OCSPResponse, cert: x509.Certificate, issuer: x509.Certificate
) -> bool | None:
    """Whether a supplied response is about `cert`; None when it names no certificate (an
    error status) or is too damaged to tell."""
    try:
        if response.response_status is not _SUCCESSFUL:
            return None
        return find_single(response, cert, issuer) is not None
    except (ValueError, UnsupportedAlgorithm):
        return None


def _combine(attempts: Sequence[Attempt]) -> MethodResult:
    """One method's verdict from its attempts: revoked beats good beats the rest."""
    if not attempts:
        return MethodResult(None, ())
    outcomes = [a.outcome for a in attempts]
    for outcome in (Outcome.REVOKED, Outcome.GOOD, Outcome.UNKNOWN, Outcome.STALE, Outcome.ERROR):
        if outcome in outcomes:
            return MethodResult(outcome, tuple(attempts))
    return MethodResult(Outcome.SKIPPED, tuple(attempts))


_SUCCESSFUL = x509_ocsp.OCSPResponseStatus.SUCCESSFUL


def _unsupported(others: Iterable[tuple[str, str]]) -> list[Attempt]:
    """SKIPPED attempts for distribution point URLs whose scheme is not fetched."""
    return [
        Attempt(Method.CRL, "fetched", Outcome.SKIPPED, why, url=url)
        for url, why in others
        if "://" in url
    ]


def _fetchable(urls: Iterable[str]) -> list[str]:
    return [u for u in urls if scheme_problem(u) is None]


def _not_fetched(urls: Iterable[str], method: Method) -> list[Attempt]:
    """SKIPPED attempts for declared URLs `evaluate_offline` leaves alone, with the reason."""
    return [
        Attempt(
            method,
            "offline",
            Outcome.SKIPPED,
            scheme_problem(u) or "offline evaluation: not fetched",
            url=u,
        )
        for u in urls
    ]


def evaluate_offline(
    path: Sequence[x509.Certificate],
    *,
    policy: RevocationPolicy | RevocationRules | str | None,
    at: datetime | None,
    crls: Iterable[CrlInput] = (),
    ocsp_responses: Iterable[OcspInput] = (),
    staple: bytes | None = None,
    issuer_validator: IssuerValidator | None = None,
    signer_certs: Iterable[x509.Certificate] = (),
) -> RevocationReport:
    """Decide revocation for `path` (leaf → anchor) from supplied data only. Pure; no network.

    `at` is the validation time (None: now, the one impurity, for callers that validate now).

    `signer_certs` are certificates outside the path that may have signed a CRL (a separate
    CRL-signing key, an indirect CRL issuer); they count only when `issuer_validator` says they
    chain to the same anchors, and their own status is checked against the CRLs.
    """
    when = at if at is not None else datetime.now(UTC)
    ev = _Evidence.build(
        path, policy, when, crls, ocsp_responses, staple, issuer_validator, signer_certs
    )
    certificates = []
    for depth in range(len(ev.path) - 1):
        try:
            certificates.append(_offline_one(ev, depth))
        except (ValueError, UnsupportedAlgorithm) as exc:
            certificates.append(_unreadable(ev, depth, exc))
    return build_report(ev.rules, certificates, when)


def _offline_one(ev: _Evidence, depth: int) -> CertificateRevocation:
    if ev.staple or ev.ocsp or ev.ctx.crls:
        return _offline_verdict(ev, depth)
    # No evidence at all (the usual connect): the verdict is a function of the certificate,
    # its depth and the rules only (every method result is then empty or a pure "not
    # fetched"), so the frozen verdict is reused for the next handshake with the same server.
    return _verdict_without_evidence(ev.path[depth], depth, ev.rules, ev)


_NO_EVIDENCE_LIMIT = 256
_NO_EVIDENCE_VERDICTS: dict[
    tuple[x509.Certificate, int, RevocationRules], CertificateRevocation
] = {}


def _verdict_without_evidence(
    cert: x509.Certificate, depth: int, rules: RevocationRules, ev: _Evidence
) -> CertificateRevocation:
    key = (cert, depth, rules)
    found = _NO_EVIDENCE_VERDICTS.get(key)
    if found is None:
        found = _offline_verdict(ev, depth)
        if len(_NO_EVIDENCE_VERDICTS) >= _NO_EVIDENCE_LIMIT:
            _NO_EVIDENCE_VERDICTS.clear()  # bounded; a rebuild costs one evaluation each
        _NO_EVIDENCE_VERDICTS[key] = found
    return found


def _offline_verdict(ev: _Evidence, depth: int) -> CertificateRevocation:
    results: list[MethodResult] = []
    if ev.rules.for_depth(depth).checks:
        for method in ev.rules.order:
            if method is Method.STAPLE:
                result = ev.staple_result(depth)
            elif method is Method.OCSP:
                result = ev.supplied_ocsp(depth, ev.ctx)
                if not result.outcome or not result.outcome.decisive:
                    skipped = _not_fetched(_sources(ev.path[depth]).ocsp, Method.OCSP)
                    result = MethodResult(result.outcome, result.attempts + tuple(skipped))
            else:
                result = ev.crl_result(depth, ev.ctx)
                if not result.outcome or not result.outcome.decisive:
                    urls, others = _sources(ev.path[depth]).crl
                    skipped = _not_fetched(urls, Method.CRL) + _unsupported(others)
                    result = MethodResult(result.outcome, result.attempts + tuple(skipped))
            results.append(result)
            if result.outcome and result.outcome.decisive:
                break
    return ev.decide(depth, results)


def _unreadable(ev: _Evidence, depth: int, error: Exception) -> CertificateRevocation:
    """The verdict on a certificate whose extensions cannot be read: nothing it declares can be
    known, so the policy decides as for a source that gave no usable answer."""
    attempt = Attempt(
        Method.CRL,
        "supplied",
        Outcome.ERROR,
        f"the certificate's extensions cannot be read ({error})",
    )
    return decide_certificate(
        depth,
        ev.path[depth],
        ev.rules.for_depth(depth),
        (),
        [MethodResult(Outcome.ERROR, (attempt,))],
        has_source=True,
        staple_required=False,
    )


async def check_revocation(
    path: Sequence[x509.Certificate],
    *,
    policy: RevocationPolicy | RevocationRules | str | None,
    at: datetime | None = None,
    staple: bytes | None = None,
    crls: Iterable[CrlInput] = (),
    ocsp_responses: Iterable[OcspInput] = (),
    fetchers: Fetchers | None = None,
    issuer_validator: IssuerValidator | None = None,
    signer_certs: Iterable[x509.Certificate] = (),
) -> RevocationReport:
    """Decide revocation for `path` (leaf → anchor), fetching what the certificates declare.

    Supplied data is used first; fetching happens only for a certificate whose earlier methods
    gave no decisive answer. Failures end up in the report, never as exceptions.
    """
    when = at if at is not None else datetime.now(UTC)
    ev = _Evidence.build(
        path, policy, when, crls, ocsp_responses, staple, issuer_validator, signer_certs
    )
    ready = _report_without_fetching(ev)
    if ready is not None:
        return ready
    session = FetchSession(fetchers or default_fetchers(), when)
    certificates = await asyncio.gather(
        *(_check_one(ev, session, depth) for depth in range(len(ev.path) - 1))
    )
    return build_report(ev.rules, certificates, when)


def evaluate_without_fetching(
    path: Sequence[x509.Certificate],
    *,
    policy: RevocationPolicy | RevocationRules | str | None,
    at: datetime | None = None,
    staple: bytes | None = None,
    issuer_validator: IssuerValidator | None = None,
    signer_certs: Iterable[x509.Certificate] = (),
) -> RevocationReport | None:
    """`check_revocation`'s report, computed synchronously, when it would fetch nothing.

    That is when no certificate of the path (anchor excluded) declares a revocation source
    (no OCSP URL, no CRL distribution point, no Freshest CRL): the online and the offline
    evaluation then take the same steps. Returns None when something might be fetched (or
    an extension cannot be read): call `check_revocation` then. The connect fast path: no
    task, no gather, no fetch session per handshake.
    """
    when = at if at is not None else datetime.now(UTC)
    ev = _Evidence.build(path, policy, when, (), (), staple, issuer_validator, signer_certs)
    return _report_without_fetching(ev)


def _report_without_fetching(ev: _Evidence) -> RevocationReport | None:
    for cert in ev.path[:-1]:
        try:
            if not _sources(cert).none:
                return None
        except (ValueError, UnsupportedAlgorithm):
            return None  # the online path reports the damage per certificate
    certificates = []
    for depth in range(len(ev.path) - 1):
        try:
            certificates.append(_offline_one(ev, depth))
        except (ValueError, UnsupportedAlgorithm) as exc:
            certificates.append(_unreadable(ev, depth, exc))
    return build_report(ev.rules, certificates, ev.at)


async def _check_one(ev: _Evidence, session: FetchSession, depth: int) -> CertificateRevocation:
    try:
        return await _online_one(ev, session, depth)
    except (ValueError, UnsupportedAlgorithm) as exc:
        return _unreadable(ev, depth, exc)


async def _online_one(ev: _Evidence, session: FetchSession, depth: int) -> CertificateRevocation:
    results: list[MethodResult] = []
    if ev.rules.for_depth(depth).checks:
        for method in ev.rules.order:
            if method is Method.STAPLE:
                result = ev.staple_result(depth)
            elif method is Method.OCSP:
                result = await _ocsp(ev, session, depth)
            else:
                result = await _crls(ev, session, depth)
            results.append(result)
            if result.outcome and result.outcome.decisive:
                break
    return ev.decide(depth, results)


async def _ocsp(ev: _Evidence, session: FetchSession, depth: int) -> MethodResult:
    supplied = ev.supplied_ocsp(depth, ev.ctx)
    if supplied.outcome and supplied.outcome.decisive:
        return supplied
    attempts = list(supplied.attempts)
    cert, issuer = ev.path[depth], ev.path[depth + 1]
    for url in ocsp_urls(cert):
        problem = scheme_problem(url)
        if problem:
            attempts.append(Attempt(Method.OCSP, "fetched", Outcome.SKIPPED, problem, url=url))
            continue
        nonce = os.urandom(16) if ev.rules.ocsp_nonce else None
        request = build_request(cert, issuer, nonce=nonce)
        began = time.perf_counter()
        try:
            data, latency = await session.ocsp(url, request)
        except FetchError as exc:
            attempts.append(_fetch_failed(Method.OCSP, exc, url, began))
            continue
        attempt = judge_response(
            data,
            cert,
            issuer,
            at=ev.at,
            rules=ev.rules,
            origin="fetched",
            url=url,
            latency_ms=latency,
            nonce=nonce,
            responder_check=ev.responder_check(
                *await _responder_evidence(ev, session, data, issuer)
            ),
        )
        attempts.append(attempt)
        if attempt.outcome.decisive:
            break
    return _combine(attempts)


async def _responder_evidence(
    ev: _Evidence, session: FetchSession, data: bytes, issuer: x509.Certificate
) -> tuple[CrlContext, x509.Certificate, list[x509_ocsp.OCSPResponse]]:
    """What judging a fetched response needs beyond the supplied data: when it embeds a
    delegated responder without id-pkix-ocsp-nocheck, that responder's own CRLs and an OCSP
    answer about it from its AIA URL (one round, not recursive)."""
    response = _parse_ocsp(data)
    if isinstance(response, str) or response.response_status is not _SUCCESSFUL:
        return ev.ctx, issuer, []
    crl_urls: list[str] = []
    requests: list[tuple[str, bytes]] = []
    try:
        embedded = response.certificates
    except (ValueError, UnsupportedAlgorithm):
        embedded = []  # judge_response reports the damage
    for cert in embedded:
        try:
            if _has_nocheck(cert):
                continue
            urls, request = _crl_urls(cert)[0], build_request(cert, issuer)
            ocsp_at = _fetchable(ocsp_urls(cert))
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue  # a damaged responder certificate is refused by judge_response
        crl_urls += urls
        requests += [(u, request) for u in ocsp_at]
    crls = await asyncio.gather(*(_fetch_crl(session, u) for u in dict.fromkeys(crl_urls)))
    answers = await asyncio.gather(*(_fetch_ocsp_answer(session, u, r) for u, r in requests))
    ctx = ev.with_crls([f[0] for f in crls if not isinstance(f, Attempt)])
    return ctx, issuer, [a for a in answers if a is not None]


def _has_nocheck(cert: x509.Certificate) -> bool:
    try:
        cert.extensions.get_extension_for_class(x509.OCSPNoCheck)
    except x509.ExtensionNotFound:
        return False
    return True


async def _fetch_ocsp_answer(
    session: FetchSession, url: str, request: bytes
) -> x509_ocsp.OCSPResponse | None:
    try:
        data, _latency = await session.ocsp(url, request)
    except FetchError:
        return None  # the responder stays unproven; its check says so
    response = _parse_ocsp(data)
    return None if isinstance(response, str) else response


async def _crls(ev: _Evidence, session: FetchSession, depth: int) -> MethodResult:
    offline = ev.crl_result(depth, ev.ctx)
    if offline.outcome and offline.outcome.decisive:
        return offline
    urls, others = _crl_urls(ev.path[depth])
    skipped = tuple(_unsupported(others))
    if not urls:
        return MethodResult(
            offline.outcome or (Outcome.SKIPPED if skipped else None), offline.attempts + skipped
        )
    got = await _fetch_all(session, urls)
    deltas, signers = _related_urls(ev, ev.path[depth], got.crls, set(urls))
    got = got.merged(await _fetch_all(session, [*deltas, *signers]))
    # CRLs fetched for a signer are not the certificate's own: no "wrong issuer" complaint.
    result = ev.crl_result(depth, ev.with_crls(got.crls), [*urls, *deltas])
    attempts = [
        replace(a, latency_ms=got.latency.get(a.url)) if a.url in got.latency else a
        for a in result.attempts
    ]
    outcome = result.outcome
    if outcome is None and got.failures:
        outcome = Outcome.ERROR
    return MethodResult(outcome, skipped + tuple(got.failures) + tuple(attempts))


@dataclass(frozen=True)
class _Fetched:
    """What a round of CRL fetches produced."""

    urls: tuple[str, ...]
    crls: tuple[ParsedCrl, ...]
    failures: tuple[Attempt, ...]
    latency: dict[str | None, float | None]

    def merged(self, other: _Fetched) -> _Fetched:
        return _Fetched(
            self.urls + other.urls,
            self.crls + other.crls,
            self.failures + other.failures,
            {**self.latency, **other.latency},
        )


async def _fetch_all(session: FetchSession, urls: Sequence[str]) -> _Fetched:
    fetched = await asyncio.gather(*(_fetch_crl(session, u) for u in urls))
    crls = tuple(f[0] for f in fetched if not isinstance(f, Attempt))
    return _Fetched(
        tuple(urls),
        crls,
        tuple(f for f in fetched if isinstance(f, Attempt)),
        {f[0].url: f[1] for f in fetched if not isinstance(f, Attempt)},
    )


def _related_urls(
    ev: _Evidence, cert: x509.Certificate, crls: Sequence[ParsedCrl], seen: set[str]
) -> tuple[list[str], list[str]]:
    """One more round, never more (bounded): the delta CRLs named by Freshest CRL (in the
    certificate or in the base CRLs fetched, RFC 5280 §5.2.6 / §6.3.3 (c)), and the CRLs of
    off-path certificates that may have signed those CRLs (a separate CRL key, an indirect CRL
    issuer: their own status is part of §6.3.3 (f))."""
    deltas: list[str] = []
    if ev.rules.use_deltas:
        deltas += _crl_urls(cert, x509.FreshestCRL)[0]
        for crl in crls:
            if crl.crl is not None and crl.problem is None:
                deltas += _crl_urls(crl.crl, x509.FreshestCRL)[0]
    issuers = {crl.issuer for crl in crls if crl.crl is not None}
    signers: list[str] = []
    for signer in ev.ctx.pool:
        try:
            if signer.subject in issuers and signer not in ev.path:
                signers += _crl_urls(signer)[0]
        except ValueError:
            continue  # an unreadable candidate signer cannot be used anyway
    deltas = [u for u in dict.fromkeys(deltas) if u not in seen]
    seen = seen | set(deltas)
    return deltas, [u for u in dict.fromkeys(signers) if u not in seen]


async def _fetch_crl(session: FetchSession, url: str) -> tuple[ParsedCrl, float | None] | Attempt:
    began = time.perf_counter()
    try:
        return await session.crl(url)
    except FetchError as exc:
        return _fetch_failed(Method.CRL, exc, url, began)


def _fetch_failed(method: Method, error: FetchError, url: str, began: float) -> Attempt:
    latency = (time.perf_counter() - began) * 1000
    return Attempt(method, "fetched", Outcome.ERROR, error.reason, url=url, latency_ms=latency)
