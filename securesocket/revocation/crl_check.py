"""RFC 5280 §6.3: is this certificate revoked, according to the CRLs at hand?

Pure: certificates and parsed CRLs in, a `MethodResult` out. The steps follow §6.3.3:
for each distribution point of the certificate (or the implicit one, when it names none), each
complete CRL whose issuer and scope match is checked for freshness, its signer is found and
authorised (on the path, or outside it and validated to the same anchor by `issuer_validator`,
with cRLSign and its own revocation status), an applicable delta CRL is merged, and the reasons
it covers are added to the mask. The certificate is good only when the mask covers every reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization

from ._freshness import staleness
from .crl import CrlEntry, ParsedCrl, serial_of
from .policy import Method, RevocationRules
from .report import Attempt, Outcome


__all__ = ["ALL_REASONS", "CrlContext", "MethodResult", "check_crls", "is_ca"]

IssuerValidator = Callable[[x509.Certificate], bool]

ALL_REASONS = frozenset(
    {
        x509.ReasonFlags.key_compromise,
        x509.ReasonFlags.ca_compromise,
        x509.ReasonFlags.affiliation_changed,
        x509.ReasonFlags.superseded,
        x509.ReasonFlags.cessation_of_operation,
        x509.ReasonFlags.certificate_hold,
        x509.ReasonFlags.privilege_withdrawn,
        x509.ReasonFlags.aa_compromise,
    }
)


@dataclass(frozen=True)
class MethodResult:
    """What one method concluded about one certificate: `outcome` is None when nothing was
    available at all (no source, no data), which is different from a source that failed."""

    outcome: Outcome | None
    attempts: tuple[Attempt, ...]


@dataclass(frozen=True)
class CrlContext:
    """Everything CRL checking may use: the validated path (leaf → anchor), extra certificates
    that may have signed CRLs, the validator for those, the time, the rules and the CRLs."""

    path: tuple[x509.Certificate, ...]
    pool: tuple[x509.Certificate, ...]
    issuer_validator: IssuerValidator | None
    at: datetime
    rules: RevocationRules
    crls: tuple[ParsedCrl, ...]


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _fingerprint(cert: x509.Certificate) -> bytes:
    return cert.fingerprint(hashes.SHA256())


def _reason_names(reasons: frozenset[x509.ReasonFlags]) -> str:
    return ", ".join(sorted(r.value for r in reasons)) or "none"


def _distribution_points(cert: x509.Certificate) -> list[x509.DistributionPoint | None]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    except x509.ExtensionNotFound:
        return [None]
    return list(ext.value) or [None]


def _directory_names(names: Sequence[x509.GeneralName] | None) -> list[x509.Name]:
    return [n.value for n in names or () if isinstance(n, x509.DirectoryName)]


def _with_rdn(base: x509.Name, rdn: x509.RelativeDistinguishedName) -> x509.GeneralName:
    return x509.DirectoryName(x509.Name([*base.rdns, rdn]))


def _scope_problem(
    cert: x509.Certificate, ca: bool, dp: x509.DistributionPoint | None, crl: ParsedCrl
) -> str | None:
    """Why the CRL does not cover this certificate for this distribution point (§6.3.3 (b))."""
    idp = crl.idp
    if idp is None:
        return None
    if idp.full_name or idp.relative_name is not None:
        idp_names = set(idp.full_name or [_with_rdn(crl.issuer, idp.relative_name)])  # type: ignore[arg-type]
        if dp is None:
            return "the CRL covers only its distribution point and the certificate names none"
        if dp.full_name or dp.relative_name is not None:
            base = next(iter(_directory_names(dp.crl_issuer)), cert.issuer)
            dp_names = set(dp.full_name or [_with_rdn(base, dp.relative_name)])  # type: ignore[arg-type]
            if not idp_names & dp_names:
                return "the CRL's distribution point does not match the certificate's"
        elif dp.crl_issuer:
            if not idp_names & set(dp.crl_issuer):
                return "the CRL's distribution point does not match the certificate's cRLIssuer"
        else:
            return "the CRL covers only its distribution point and the certificate names none"
    if idp.only_contains_user_certs and ca:
        return "the CRL covers only end-entity certificates"
    if idp.only_contains_ca_certs and not ca:
        return "the CRL covers only CA certificates"
    if idp.only_contains_attribute_certs:
        return "the CRL covers only attribute certificates"
    return None


def _reasons(dp: x509.DistributionPoint | None, crl: ParsedCrl) -> frozenset[x509.ReasonFlags]:
    mask = ALL_REASONS
    if dp is not None and dp.reasons:
        mask &= frozenset(dp.reasons)
    if crl.idp is not None and crl.idp.only_some_reasons:
        mask &= frozenset(crl.idp.only_some_reasons)
    return mask


def _has_crl_sign(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value.crl_sign
    except x509.ExtensionNotFound:
        return True  # RFC 5280 §4.2.1.3: no keyUsage extension means no restriction


def _signed_by(crl: ParsedCrl, cert: x509.Certificate) -> bool:
    if crl.crl is None:
        return False
    key = cert.public_key()
    spki = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if spki in crl.verified_keys:
        return True
    try:
        valid = crl.crl.is_signature_valid(key)  # type: ignore[arg-type]
    except (TypeError, ValueError, UnsupportedAlgorithm):
        return False
    if valid:
        crl.verified_keys.add(spki)  # only a proof is remembered, never a failure
    return valid


def _crl_signer(
    crl: ParsedCrl,
    depth: int | None,
    cert: x509.Certificate,
    ctx: CrlContext,
    visiting: frozenset[bytes],
) -> tuple[x509.Certificate | None, str]:
    """The certificate whose key signed `crl`, authorised to, or None and why not (§6.3.3 (f))."""
    above = ctx.path[depth + 1 :] if depth is not None else ctx.path
    on_path = [c for c in above if c.subject == crl.issuer and c != cert]
    off_path = [c for c in ctx.pool if c.subject == crl.issuer and c not in ctx.path]
    why: list[str] = []
    for candidate in [*on_path, *off_path]:
        if not _signed_by(crl, candidate):
            continue
        who = candidate.subject.rfc4514_string()
        if not _has_crl_sign(candidate):
            why.append(f"the signer {who} lacks the cRLSign key usage")
            continue
        if candidate in on_path:
            return candidate, ""
        if candidate == cert:
            # A CRL issuer's certificate covered by its own indirect CRL (PKITS 4.14.30): its
            # path is validated below; its status can only come from its own CRL.
            return (candidate, "") if _validated(candidate, ctx) else (None, _unvalidated(who))
        if ctx.issuer_validator is None:
            why.append(f"signed by {who}, outside the path, and no issuer validator was given")
            continue
        if not ctx.issuer_validator(candidate):
            why.append(f"the signer {who} does not chain to the same trust anchor")
            continue
        problem = signer_revocation_problem(candidate, ctx, visiting)
        if problem:
            why.append(problem)
            continue
        return candidate, ""
    if not why:
        why.append(
            f"the signature does not verify with any known key of {crl.issuer.rfc4514_string()}"
        )
    return None, "; ".join(why)


def _validated(cert: x509.Certificate, ctx: CrlContext) -> bool:
    return ctx.issuer_validator is not None and ctx.issuer_validator(cert)


def _unvalidated(who: str) -> str:
    return f"the signer {who} is outside the path and not validated to the same trust anchor"


def signer_revocation_problem(
    signer: x509.Certificate, ctx: CrlContext, visiting: frozenset[bytes]
) -> str | None:
    """Why an off-path signer (CRL issuer, delegated OCSP responder) cannot be trusted for
    revocation, or None when a CRL says it is good. RFC 5280 §6.3.3 (f) checks its status too."""
    mark = _fingerprint(signer)
    if mark in visiting:
        return "a loop between CRL signers"
    result = check_crls(signer, None, ctx, visiting=visiting | {mark})
    who = signer.subject.rfc4514_string()
    if result.outcome is Outcome.GOOD:
        return None
    if result.outcome is Outcome.REVOKED:
        return f"the signer {who} is itself revoked"
    return f"the signer {who} has no CRL saying it is not revoked"


def _delta_for(
    base: ParsedCrl, signer: x509.Certificate, ctx: CrlContext
) -> tuple[ParsedCrl | None, str | None]:
    """The freshest delta CRL that extends `base` (§6.3.3 (c)), and why none can be used."""
    if not ctx.rules.use_deltas or base.number is None:
        return None, None
    deltas = [
        d
        for d in ctx.crls
        if d.is_delta
        and d.crl is not None
        and d.problem is None
        and d.issuer == base.issuer
        and d.idp_der == base.idp_der
        and d.delta_base is not None
        and d.delta_base <= base.number
        # A delta no newer than the base tells nothing new, and its removeFromCRL may be stale.
        and (d.number or 0) > base.number
        and _signed_by(d, signer)
    ]
    if not deltas:
        return None, None
    fresh = [d for d in deltas if d.this_update and not _stale(d, ctx)]
    if not fresh:
        return None, f"its delta CRL is stale ({_stale(deltas[0], ctx)})"
    return max(fresh, key=lambda d: d.number or 0), None


def _stale(crl: ParsedCrl, ctx: CrlContext) -> str | None:
    if crl.this_update is None:
        return "no thisUpdate"
    return staleness(crl.this_update, crl.next_update, ctx.at, ctx.rules)


def _attempt(
    crl: ParsedCrl, outcome: Outcome, detail: str, entry: CrlEntry | None = None
) -> Attempt:
    reason = None
    if entry is not None:
        reason = entry.reason.value if entry.reason is not None else "unspecified"
    return Attempt(
        Method.CRL,
        crl.origin,
        outcome,
        f"{crl.describe()}: {detail}",
        url=crl.url,
        revocation_reason=reason,
        revocation_time=entry.revoked_at if entry is not None else None,
    )


def check_crls(
    cert: x509.Certificate,
    depth: int | None,
    ctx: CrlContext,
    *,
    visiting: frozenset[bytes] = frozenset(),
    declared_urls: frozenset[str] = frozenset(),
) -> MethodResult:
    """The CRL verdict on `cert` (at `depth` on the path, or None for an off-path signer)."""
    ca = is_ca(cert)
    attempts: list[Attempt] = []
    done: set[int] = set()
    skipped: set[int] = set()
    covered: frozenset[x509.ReasonFlags] = frozenset()
    revoked = False
    considered: set[int] = set()
    for crl in ctx.crls:
        if crl.crl is None and (crl.origin == "supplied" or crl.url in declared_urls):
            attempts.append(_attempt(crl, Outcome.ERROR, crl.problem or "unusable"))
            done.add(id(crl))
    for dp in _distribution_points(cert):
        named_issuers = _directory_names(dp.crl_issuer) if dp is not None else []
        for crl in ctx.crls:
            if crl.crl is None or crl.is_delta or id(crl) in done:
                continue
            if named_issuers:
                if crl.issuer not in named_issuers:
                    continue
                if not crl.indirect:
                    done.add(id(crl))
                    attempts.append(
                        _attempt(
                            crl,
                            Outcome.ERROR,
                            "the certificate names it as cRLIssuer but it is not an indirect CRL",
                        )
                    )
                    continue
            elif crl.issuer != cert.issuer:
                continue
            considered.add(id(crl))
            if crl.problem:
                done.add(id(crl))
                attempts.append(_attempt(crl, Outcome.ERROR, crl.problem))
                continue
            scope = _scope_problem(cert, ca, dp, crl)
            if scope:
                if id(crl) not in skipped:  # once, even when several points name it
                    skipped.add(id(crl))
                    attempts.append(_attempt(crl, Outcome.SKIPPED, f"out of scope: {scope}"))
                continue
            interim = _reasons(dp, crl)
            if interim <= covered:
                continue
            done.add(id(crl))
            signer, why = _crl_signer(crl, depth, cert, ctx, visiting)
            if signer is None:
                attempts.append(_attempt(crl, Outcome.ERROR, why))
                continue
            stale = _stale(crl, ctx)
            delta, delta_problem = (None, None) if stale else _delta_for(crl, signer, ctx)
            stale = stale or delta_problem
            entry = delta.lookup(cert.issuer, serial_of(cert)) if delta else None
            if entry is None:
                entry = crl.lookup(cert.issuer, serial_of(cert))
            if entry is not None and entry.reason is x509.ReasonFlags.remove_from_crl:
                entry = None  # §6.3.3 (k): removeFromCRL in a delta un-revokes
            via = f" (with delta CRL #{delta.number})" if delta else ""
            if entry is not None and not (
                stale and entry.reason is x509.ReasonFlags.certificate_hold
            ):
                revoked = True
                note = f" (the CRL is stale: {stale})" if stale else ""
                attempts.append(_attempt(crl, Outcome.REVOKED, f"listed{via}{note}", entry))
                break
            if stale:
                attempts.append(_attempt(crl, Outcome.STALE, stale))
                continue
            covered |= interim
            scope_note = "" if interim == ALL_REASONS else f" for reasons {_reason_names(interim)}"
            attempts.append(_attempt(crl, Outcome.GOOD, f"not listed{via}{scope_note}"))
        if revoked:
            break
    if not revoked:
        attempts += _foreign(cert, ctx, declared_urls, considered | done)
    return MethodResult(_verdict(revoked, covered, attempts), tuple(attempts))


def _foreign(
    cert: x509.Certificate, ctx: CrlContext, declared_urls: frozenset[str], seen: set[int]
) -> list[Attempt]:
    """ERROR attempts for CRLs fetched from the certificate's own distribution points that
    turned out to be about someone else: the URL answered, but not with a usable CRL."""
    return [
        _attempt(
            crl,
            Outcome.ERROR,
            f"from another issuer than the certificate's ({cert.issuer.rfc4514_string()}) "
            "or a cRLIssuer it names",
        )
        for crl in ctx.crls
        if crl.url in declared_urls
        and crl.crl is not None
        and not crl.is_delta
        and id(crl) not in seen
    ]


def _verdict(
    revoked: bool, covered: frozenset[x509.ReasonFlags], attempts: list[Attempt]
) -> Outcome | None:
    if revoked:
        return Outcome.REVOKED
    if covered == ALL_REASONS:
        return Outcome.GOOD
    if covered:
        missing = _reason_names(ALL_REASONS - covered)
        attempts.append(
            Attempt(Method.CRL, "combined", Outcome.UNKNOWN, f"no CRL covers reasons {missing}")
        )
        return Outcome.UNKNOWN
    outcomes = {a.outcome for a in attempts}
    for outcome in (Outcome.STALE, Outcome.ERROR, Outcome.SKIPPED):
        if outcome in outcomes:
            return outcome
    return None
