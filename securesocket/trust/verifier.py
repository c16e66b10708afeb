"""`ChainVerifier`: build candidate paths, check each, pick the best, classify.

Model: a verifier holds what does not change between connections (the anchors, the extra
chain-building certificates, the profile and policy inputs) already parsed and indexed; each
`verify` call adds only what the server presented. Signature checks already proven are shared by
every verifier in the process (`signatures.shared_cache`), so re-verifying a known chain costs no
public-key operation.

Rules:
- Candidate paths come from `builder.build_paths` lazily; the first complete path with no
  problem wins at once. Otherwise the best path is the one whose status comes latest in
  `classify.PRECEDENCE` (it got furthest), then the one with fewest problems; every other path
  is reported as a `RejectedPath`.
- The host check runs once, on the leaf (it is the same certificate on every path).
- `verify` raises nothing but `securesocket` errors: a certificate that cannot be parsed gives a
  problem, not an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from ..exceptions import ArgumentError
from .builder import Candidate, CertificateIndex, build_paths
from .certinfo import CertInfo, cert_info
from .classify import classify, problem, rank
from .names import HostCheckCache
from .policy_tree import PolicyInputs
from .result import Problem, RejectedPath, Verification
from .roots import platform_index
from .signatures import SignatureCache, shared_cache
from .validate import Profile, Settings, validate_path


__all__ = ["ChainVerifier"]

_PROFILES = ("webpki", "rfc5280")
_MAX_REJECTED = 16
_MAX_CHECKED_PATHS = 32
_HOST_CHECKS = HostCheckCache()  # shared by every verifier, like the signature cache


def _aware(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if not isinstance(at, datetime):
        raise ArgumentError(f"at must be a datetime, not {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ArgumentError("at must be timezone-aware (for example datetime.now(UTC))")
    return at


def _infos(certs: Iterable[x509.Certificate], what: str) -> list[CertInfo]:
    infos = []
    for cert in certs:
        if not isinstance(cert, x509.Certificate):
            raise ArgumentError(f"{what} must be cryptography certificates, not {cert!r}")
        infos.append(cert_info(cert))
    return infos


class _Scored:
    """A checked candidate with its status, ready to be compared."""

    def __init__(self, candidate: Candidate, problems: tuple[Problem, ...], policies: Any) -> None:
        self.candidate = candidate
        self.problems = problems
        self.policies: frozenset[str] = policies
        self.status = classify(p.status for p in problems)

    def sort_key(self) -> tuple[int, int, int]:
        # Most advanced status first (a higher rank got further), then fewest problems.
        return (-rank(self.status), len(self.problems), len(self.candidate.path))

    def rejected(self) -> RejectedPath:
        return RejectedPath(
            tuple(i.cert for i in self.candidate.path),
            self.candidate.complete,
            self.status,
            self.problems,
        )


class ChainVerifier:
    """Verifies server certificates against fixed anchors and settings (reusable, thread-safe).

    Args:
        trust: platform roots to use: "platform" (OS bundle, else certifi), "certifi", "none".
        anchors: extra trust anchors (AS3 ``addBinaryChainBuildingCertificate(der, true)``).
        extra: extra untrusted certificates for path building (``..., false``).
        profile: "webpki" (CA/B Forum rules, the default) or "rfc5280".
        policy: RFC 5280 §6.1.1 initial policy inputs (`PolicyInputs` or a mapping).
        max_depth: most certificates below the anchor a path may have.
        max_steps: most candidate issuers examined per verification.
    """

    def __init__(
        self,
        *,
        trust: str = "platform",
        anchors: Sequence[x509.Certificate] = (),
        extra: Sequence[x509.Certificate] = (),
        profile: str = "webpki",
        policy: PolicyInputs | Mapping[str, Any] | None = None,
        max_depth: int = 10,
        max_steps: int = 200,
        cache: SignatureCache | None = None,
    ) -> None:
        if profile not in _PROFILES:
            raise ArgumentError(f"profile must be 'webpki' or 'rfc5280', not {profile!r}")
        self.profile: Profile = "webpki" if profile == "webpki" else "rfc5280"
        self.policy = PolicyInputs.coerce(policy)
        self._anchors = CertificateIndex(_infos(anchors, "anchors"), base=platform_index(trust))
        self._extra = tuple(_infos(extra, "extra certificates"))
        self._max_depth = max_depth
        self._max_steps = max_steps
        self._cache = cache if cache is not None else shared_cache()

    def verify(
        self,
        leaf: x509.Certificate,
        presented: Sequence[x509.Certificate] = (),
        *,
        host: str | None,
        at: datetime | None = None,
    ) -> Verification:
        """Verify `leaf` for `host` using the presented chain as an unordered pool (no
        revocation checking; see `securesocket.verify_chain` for that)."""
        if host is not None and not isinstance(host, str):
            raise ArgumentError(f"host must be a string or None, not {host!r}")
        settings = Settings(_aware(at), self.profile, "server", self.policy)
        leaf_info = _infos([leaf], "the server certificate")[0]
        verification = self._verify(leaf_info, presented, settings)
        if host is None or leaf_info.malformed:
            # A corrupt certificate is already rejected; its names are not worth parsing.
            return verification
        mismatch = _HOST_CHECKS.mismatch(leaf, leaf_info.der, host)
        if mismatch is None:
            return verification
        problems = (*verification.problems, problem("host_mismatch", mismatch, 0))
        return Verification(
            classify(p.status for p in problems),
            verification.path,
            problems,
            verification.rejected_paths,
            None,
            frozenset() if problems else verification.user_constrained_policy_set,
        )

    def issuer_validator(
        self, at: datetime | None = None, presented: Sequence[x509.Certificate] = ()
    ) -> Callable[[x509.Certificate], bool]:
        """A check for revocation signers: does this certificate chain, validly at `at`, to
        the same anchors, through the extra certificates and `presented` (what the server
        sent)? Purpose-neutral: no host and no serverAuth requirement; the caller checks
        cRLSign / OCSPSigning itself."""
        settings = Settings(_aware(at), self.profile, "any", self.policy)
        pool = tuple(presented)

        def validates(cert: x509.Certificate) -> bool:
            try:
                return self._verify(_infos([cert], "signer")[0], pool, settings).trusted
            except ArgumentError:
                return False

        return validates

    def _verify(
        self, leaf_info: CertInfo, presented: Sequence[x509.Certificate], settings: Settings
    ) -> Verification:
        leaf = leaf_info.cert
        if not leaf_info.names_parse:
            # Its names do not even parse: no path can be built, and "untrusted" would hide
            # that the certificate itself is corrupt.
            bad = problem("malformed", f"the certificate is corrupt: {leaf_info.malformed}", 0)
            return Verification(bad.status, (leaf,), (bad,))
        pool = CertificateIndex(_infos(presented, "presented certificates"))
        for info in self._extra:
            pool.add(info)
        scored: list[_Scored] = []
        candidates = build_paths(
            leaf_info,
            self._anchors,
            pool,
            max_depth=self._max_depth,
            max_steps=self._max_steps,
        )
        checked = 0
        for candidate in candidates:
            if candidate.complete:
                if checked == _MAX_CHECKED_PATHS:
                    # Each complete path costs signature checks: a hostile pool of look-alike
                    # issuers must not turn one verification into thousands of them.
                    break
                checked += 1
                report = validate_path(candidate.path, settings, self._cache)
                entry = _Scored(candidate, report.problems, report.policies)
            else:
                found = (problem(candidate.code, candidate.reason, None),)
                entry = _Scored(candidate, found, frozenset())
            scored.append(entry)
            if not entry.problems:
                break
        if not scored:  # the builder always yields a path; this guards the invariant
            reason = "no certification path could be built"
            empty = Candidate((leaf_info,), complete=False, reason=reason)
            scored.append(_Scored(empty, (problem("no_anchor", reason, None),), frozenset()))
        scored.sort(key=_Scored.sort_key)
        best, others = scored[0], scored[1 : 1 + _MAX_REJECTED]
        return Verification(
            best.status,
            tuple(i.cert for i in best.candidate.path),
            best.problems,
            tuple(o.rejected() for o in others),
            None,
            best.policies if not best.problems else frozenset(),
        )
