"""Checking one complete path (leaf → anchor) against RFC 5280 §6.1 and the chosen profile.

Pure: certificates, a time and settings in; every problem found out (never only the first), so
the report can say everything that is wrong.

The anchor: under "rfc5280" it is only a name and a key (RFC 5280 §6.1.1 (d)), as PKITS expects.
Under "webpki" a trusted certificate still constrains what it issues, as cryptography's
verifier, OpenSSL, Chrome and NSS all apply it: its validity, CA flag, keyCertSign, EKU,
pathLenConstraint, name constraints and unknown critical extensions are checked (RFC 5937
§3), and its key size, since it signs the next certificate. Its self-signature, version,
serial and basicConstraints criticality are not (some platform roots have non-critical ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from .certinfo import CertInfo
from .classify import problem
from .distinguished_names import subject_text
from .name_constraints import name_constraint_error
from .policy_tree import PolicyInputs, process_policies
from .result import Problem
from .signatures import SignatureCache


__all__ = ["PathReport", "Profile", "Purpose", "Settings", "validate_path"]

Profile = Literal["webpki", "rfc5280"]
Purpose = Literal["server", "any"]


@dataclass(frozen=True)
class Settings:
    """How to check a path: when, under which profile, for what, with which policy inputs."""

    at: datetime
    profile: Profile = "webpki"
    purpose: Purpose = "server"
    policy: PolicyInputs = field(default_factory=PolicyInputs)


@dataclass(frozen=True)
class PathReport:
    """Problems found on a path, and the RFC 5280 user-constrained policy set when valid."""

    problems: tuple[Problem, ...]
    policies: frozenset[str]


def _who(info: CertInfo) -> str:
    return repr(subject_text(info.cert) or "<empty subject>")


def _validity(info: CertInfo, depth: int, at: datetime) -> list[Problem]:
    cert = info.cert
    not_before, not_after = info.validity or (cert.not_valid_before_utc, cert.not_valid_after_utc)
    if at < not_before:
        when = not_before.isoformat()
        return [problem("not_yet_valid", f"{_who(info)} is not valid before {when}", depth)]
    if at > not_after:
        when = not_after.isoformat()
        return [problem("expired", f"{_who(info)} expired at {when}", depth)]
    return []


def _extension_problems(info: CertInfo, depth: int) -> list[Problem]:
    return [
        problem("unknown_critical_extension", f"{_who(info)} has unknown critical {oid}", depth)
        for oid in info.unknown_critical
    ]


def _profile_problems(info: CertInfo, depth: int, *, is_anchor: bool) -> list[Problem]:
    found: list[Problem] = []
    if info.weak_key:
        found.append(problem("weak_key", f"{_who(info)}: {info.weak_key}", depth))
    if is_anchor:
        return found  # an anchor's self-signature, version and serial are not ours to judge
    if info.weak_signature:
        message = f"{_who(info)} is {info.weak_signature}"
        found.append(problem("weak_signature_algorithm", message, depth))
    if info.cert.version is not x509.Version.v3:
        found.append(problem("bad_version", f"{_who(info)} is not a v3 certificate", depth))
    if info.bad_serial:
        found.append(problem("bad_serial", f"{_who(info)}: {info.bad_serial}", depth))
    return found


def _usable_for_tls(usage: x509.KeyUsage) -> bool:
    return usage.digital_signature or usage.key_encipherment or usage.key_agreement


def _leaf_problems(info: CertInfo, settings: Settings, *, is_anchor: bool) -> list[Problem]:
    found: list[Problem] = []
    if settings.purpose == "server":
        eku = info.extended_key_usage
        allowed = {ExtendedKeyUsageOID.SERVER_AUTH}
        if settings.profile == "rfc5280":
            allowed.add(ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE)
        if eku is not None and not allowed.intersection(eku):
            message = f"{_who(info)} is not for TLS servers (no serverAuth extended key usage)"
            found.append(problem("extended_key_usage", message, 0))
        usage = info.key_usage
        if usage is not None and not _usable_for_tls(usage):
            # OpenSSL's rule for a TLS server certificate: the key must be allowed to sign or
            # to carry the key exchange.
            message = f"{_who(info)} may not be used for TLS (keyUsage)"
            found.append(problem("key_usage", message, 0))
    if settings.profile == "webpki" and settings.purpose == "server" and not is_anchor:
        usage = info.key_usage
        if info.is_ca or (usage is not None and usage.key_cert_sign):
            found.append(problem("leaf_is_ca", f"{_who(info)} is a CA certificate", 0))
    return found


def _ca_problems(
    info: CertInfo, depth: int, settings: Settings, max_path_length: int
) -> tuple[list[Problem], int]:
    """§6.1.4 (k)-(n) and the CA-side profile rules; returns the new max_path_length."""
    found = _issuer_problems(info, depth, settings)
    if not info.self_issued:
        if max_path_length <= 0:
            message = f"{_who(info)} exceeds the path length allowed above it"
            found.append(problem("path_length", message, depth))
        max_path_length -= 1
    constraints = info.basic_constraints
    if constraints is not None and constraints.path_length is not None:
        max_path_length = min(max_path_length, constraints.path_length)
    if (
        settings.profile == "webpki"
        and info.is_ca
        and not info.is_critical(ExtensionOID.BASIC_CONSTRAINTS)
    ):
        # RFC 5280 §4.2.1.9 and BR §7.1.2: a CA's basicConstraints MUST be critical.
        message = f"{_who(info)} has a non-critical basicConstraints extension"
        found.append(problem("not_a_ca", message, depth))
    if settings.profile == "webpki" and info.key_usage is None:
        # RFC 5280 §4.2.1.3 and BR §7.1.2: a CA certificate MUST carry keyUsage. (Not asked of
        # anchors: some platform roots have none.)
        message = f"{_who(info)} is a CA certificate without keyUsage"
        found.append(problem("key_usage", message, depth))
    return found, max_path_length


def _issuer_problems(info: CertInfo, depth: int, settings: Settings) -> list[Problem]:
    """What disqualifies a certificate from issuing others (for a CA and a webpki anchor)."""
    found: list[Problem] = []
    v3_or_strict = info.cert.version is x509.Version.v3 or settings.profile == "webpki"
    if v3_or_strict and not info.is_ca:
        found.append(problem("not_a_ca", f"{_who(info)} is not a CA (basicConstraints)", depth))
    if info.key_usage is not None and not info.key_usage.key_cert_sign:
        message = f"{_who(info)} may not sign certificates (keyUsage lacks keyCertSign)"
        found.append(problem("key_usage", message, depth))
    eku = info.extended_key_usage
    if settings.profile == "webpki" and settings.purpose == "server" and eku is not None:
        allowed = {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE}
        if not allowed.intersection(eku):
            message = f"{_who(info)} may not issue TLS server certificates (extended key usage)"
            found.append(problem("extended_key_usage", message, depth))
    return found


def _anchor_problems(anchor: CertInfo, depth: int, settings: Settings) -> tuple[list[Problem], int]:
    """The webpki checks on an anchor that issues the next certificate (see the module
    docstring); returns the max_path_length its pathLenConstraint allows below it."""
    found = _validity(anchor, depth, settings.at)
    found += _extension_problems(anchor, depth)
    found += _issuer_problems(anchor, depth, settings)
    constraints = anchor.basic_constraints
    limit = depth
    if constraints is not None and constraints.path_length is not None:
        limit = min(limit, constraints.path_length)
    return found, limit


def _subject_problems(info: CertInfo, depth: int) -> list[Problem]:
    """RFC 5280 §4.2.1.6: with an empty subject the names live in a critical subjectAltName."""
    # `info.subject` is the parsed name key (no RDNs: empty), cheaper than len(cert.subject).
    if info.subject or info.is_critical(ExtensionOID.SUBJECT_ALTERNATIVE_NAME):
        return []
    message = f"{_who(info)}: empty subject without a critical subjectAltName"
    return [problem("malformed", message, depth)]


def validate_path(
    path: tuple[CertInfo, ...], settings: Settings, cache: SignatureCache
) -> PathReport:
    """Every problem on `path` (leaf first, anchor last)."""
    anchor = path[-1]
    below_anchor = path[:-1]
    n = len(below_anchor)
    found: list[Problem] = []
    if settings.profile == "webpki":
        found += _profile_problems(anchor, len(path) - 1, is_anchor=True)
    if n == 0:
        # The server certificate is itself the anchor: only its dates and purpose matter.
        found += _validity(anchor, 0, settings.at)
        found += _leaf_problems(anchor, settings, is_anchor=True)
        return PathReport(tuple(found), settings.policy.initial_policy_set)

    max_path_length = n
    if settings.profile == "webpki":
        anchor_found, max_path_length = _anchor_problems(anchor, n, settings)
        found += anchor_found
    for depth in range(n - 1, -1, -1):  # anchor side first, as RFC 5280 §6.1.3 processes
        info = path[depth]
        issuer = path[depth + 1]
        if info.malformed:
            found.append(problem("malformed", f"{_who(info)}: {info.malformed}", depth))
        error = cache.check(info.cert, info.der, issuer.cert, issuer.der)
        if error:
            found.append(problem("bad_signature", f"{_who(info)}: {error}", depth))
        found += _validity(info, depth, settings.at)
        found += _extension_problems(info, depth)
        if settings.profile == "webpki":
            found += _profile_problems(info, depth, is_anchor=False)
            found += _subject_problems(info, depth)
        if depth > 0:
            ca_found, max_path_length = _ca_problems(info, depth, settings, max_path_length)
            found += ca_found
        else:
            found += _leaf_problems(info, settings, is_anchor=False)

    top_down = tuple(reversed(below_anchor))
    # A webpki anchor's name constraints bind everything below it (see the module docstring).
    constraining_anchor = anchor if settings.profile == "webpki" else None
    violation = name_constraint_error(top_down, anchor=constraining_anchor)
    if violation is not None:
        index, message = violation
        found.append(problem("name_constraints", message, n - 1 - index))
    outcome = process_policies(top_down, settings.policy)
    if outcome.error is not None:
        depth = n - 1 - (outcome.error_index or 0)
        found.append(problem("policy", outcome.error, depth))
    return PathReport(tuple(found), outcome.user_constrained_policy_set)
