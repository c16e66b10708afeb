"""Path building: from a server certificate to trust anchors, through an unordered pool.

Model: a depth-first search from the leaf. At each step the candidate issuers of the certificate
on top are the anchors and pool certificates whose subject equals its issuer (RFC 5280 name
comparison), anchors first, and within each group the ones whose subjectKeyIdentifier matches
its authorityKeyIdentifier first, mismatching identifiers last (an identifier is a hint, not a
rule, so they are still tried). Every candidate is tried in turn (backtracking), so several
issuers per certificate (cross-signs, re-keyed CAs) each give their own path.

Invariants:
- A certificate appears at most once per path, and so does a (subject, key identifier) pair:
  cross-signing loops end instead of spinning.
- Depth is bounded (`max_depth` certificates below the anchor) and so is total work
  (`max_steps` candidate issuers examined over the whole search), so a hostile pool cannot make
  verification slow. Hitting either bound yields an incomplete path that says so.
- Paths come out lazily; the verifier stops at the first one that validates, so a bad path
  (an expired cross-sign) costs one evaluation and never hides a good one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .certinfo import CertInfo
from .distinguished_names import NameKey, issuer_text


__all__ = ["Candidate", "CertificateIndex", "build_paths"]


class CertificateIndex:
    """Certificates by subject name, without duplicates (same DER once)."""

    def __init__(
        self, infos: Iterable[CertInfo] = (), *, base: CertificateIndex | None = None
    ) -> None:
        # `base` is a shared index (the platform roots) consulted before this one, never copied.
        self._base = base
        self._by_subject: dict[NameKey, list[CertInfo]] = {}
        self._ders: set[bytes] = set()
        for info in infos:
            self.add(info)

    def add(self, info: CertInfo) -> None:
        """Index one more certificate (a repeat is ignored)."""
        if info in self:
            return
        self._ders.add(info.der)
        self._by_subject.setdefault(info.subject, []).append(info)

    def __contains__(self, info: CertInfo) -> bool:
        return info.der in self._ders or (self._base is not None and info in self._base)

    def __len__(self) -> int:
        return len(self._ders) + (len(self._base) if self._base is not None else 0)

    def with_subject(self, subject: NameKey) -> list[CertInfo]:
        """Every certificate whose subject is `subject`."""
        own = self._by_subject.get(subject, [])
        if self._base is None:
            return own
        return self._base.with_subject(subject) + own


@dataclass(frozen=True)
class Candidate:
    """One path out of the builder: leaf first; `complete` when the last one is an anchor."""

    path: tuple[CertInfo, ...]
    complete: bool
    reason: str = ""
    #: For an incomplete path, the problem code: "no_anchor" or "path_too_long" (a bound hit).
    code: str = "no_anchor"


def _key_id_order(child: CertInfo, issuer: CertInfo) -> int:
    if child.authority_key_id is None or issuer.subject_key_id is None:
        return 1
    return 0 if child.authority_key_id == issuer.subject_key_id else 2


def _issuers(child: CertInfo, anchors: CertificateIndex, pool: CertificateIndex) -> list[CertInfo]:
    from_anchors = list(anchors.with_subject(child.issuer))
    from_pool = [i for i in pool.with_subject(child.issuer) if i not in anchors]
    for group in (from_anchors, from_pool):
        if len(group) > 1:  # (the usual single candidate needs no ordering)
            group.sort(key=lambda i: _key_id_order(child, i))
    return from_anchors + from_pool


def _identity(info: CertInfo) -> tuple[NameKey, bytes]:
    return info.subject, info.subject_key_id or info.der


def build_paths(
    leaf: CertInfo,
    anchors: CertificateIndex,
    pool: CertificateIndex,
    *,
    max_depth: int = 10,
    max_steps: int = 200,
) -> Iterator[Candidate]:
    """Every path from `leaf` towards an anchor, complete ones as soon as they are found."""
    if leaf in anchors:
        # The server certificate itself is trusted (AS3: a pinned self-signed certificate).
        yield Candidate((leaf,), complete=True)
        return
    steps = 0
    # Explicit stack of (path so far, its remaining issuer candidates) instead of recursion.
    stack: list[tuple[tuple[CertInfo, ...], Iterator[CertInfo]]] = [
        ((leaf,), iter(_issuers(leaf, anchors, pool)))
    ]
    extended: dict[int, bool] = {}
    while stack:
        path, remaining = stack[-1]
        issuer = next(remaining, None)
        if issuer is None:
            stack.pop()
            if not extended.pop(len(stack), False):
                top = path[-1]
                yield Candidate(path, complete=False, reason=_dead_end(top))
            continue
        steps += 1
        if steps > max_steps:
            reason = "path building gave up (work limit)"
            yield Candidate(path, complete=False, reason=reason, code="path_too_long")
            return
        identity = _identity(issuer)
        if any(c.der == issuer.der or _identity(c) == identity for c in path):
            continue  # a loop: this issuer is already on the path
        extended[len(stack) - 1] = True
        new_path = (*path, issuer)
        if issuer in anchors:
            yield Candidate(new_path, complete=True)
            continue
        if len(new_path) > max_depth:
            reason = "path longer than the depth limit"
            yield Candidate(new_path, complete=False, reason=reason, code="path_too_long")
            continue
        stack.append((new_path, iter(_issuers(issuer, anchors, pool))))


def _dead_end(top: CertInfo) -> str:
    issuer = issuer_text(top.cert)
    return f"no certificate for issuer {issuer!r} among the anchors or the supplied certificates"
