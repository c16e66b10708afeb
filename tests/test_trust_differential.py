"""Differential tests of the trust core against cryptography's verifier and `openssl verify`.

A false accept is the worst bug the library can ship, so the main properties are one-way:
whenever `verify_chain` (webpki profile, no revocation, a fixed time) says trusted, cryptography's
`PolicyBuilder` server verifier and `openssl verify -x509_strict -purpose sslserver` must accept
the same chain for the same host. Chains come from `differential_pki` specs: a good web-PKI
chain with randomised deviations (validity, basicConstraints and pathLen, keyUsage, EKU on
leaf and CAs, name constraints, SANs with wildcards and IPs, critical unknown extensions,
hashes, key types and sizes, key identifiers, cross-signs, look-alike issuers, pool order, junk).

Where a reference rejects and we accept on purpose, the divergence is documented below with its
reason and pinned by a test of its own (`TestDocumentedDivergences`), and the random generators
leave that one feature out of the comparison with that reference. Bugs the comparison found are
fixed in securesocket/trust/ and pinned by `TestRegressions` (each with a negative twin).

Budget: derandomised, modest example counts (the "ci" Hypothesis profile), a few seconds. The
larger, randomised comparison is opt-in:
``SECURESOCKET_FUZZ=long .venv/bin/python -m pytest -m slow tests/test_trust_differential.py``.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from differential_pki import (
    AT,
    Built,
    CASpec,
    ChainSpec,
    LeafSpec,
    build,
    general_name,
    openssl,
    ours,
    pyca,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from securesocket import CertificateStatus, ChainVerifier, verify_chain
from securesocket.testing import fixed_key
from securesocket.testing.ca import CA, sign_builder
from securesocket.trust import Problem
from securesocket.trust.signatures import SignatureCache


S = CertificateStatus
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
LONG = os.environ.get("SECURESOCKET_FUZZ") == "long"

HOSTS = (
    "example.com",
    "www.example.com",
    "a.b.example.com",
    "sub.example.com",
    "EXAMPLE.COM",
    "xn--bcher-kva.example",
    "foo.co.uk",
    "other.test",
    "127.0.0.1",
    "::1",
    "10.1.2.3",
)
SANS = (
    "example.com",
    "www.example.com",
    "*.example.com",
    "sub.example.com",
    "a.b.example.com",
    "*.sub.example.com",
    "EXAMPLE.com",
    "xn--bcher-kva.example",
    "*.co.uk",
    "*.com",
    "127.0.0.1",
    "::1",
    "10.1.2.3",
    "email:a@example.com",
    "email:a@evil.test",
    "uri:https://www.example.com/",
    "uri:https://evil.test/",
)
SUBTREES = (
    "example.com",
    ".example.com",
    "sub.example.com",
    "www.example.com",
    "other.test",
    "co.uk",
    "10.0.0.0/8",
    "127.0.0.0/8",
    "::/0",
    "::1/128",
    "email:example.com",
    "email:.example.com",
    "email:a@example.com",
    "uri:.example.com",
    "uri:example.com",
    "dir:securesocket differential",
    "dir:Other",
)


# What each certificate may deviate in, beyond the good baseline. Left out, each a documented
# divergence (see TestDocumentedDivergences): Ed25519 keys (cryptography refuses them), an
# absent AKI (both references demand one), an anchor's non-critical basicConstraints or
# missing keyUsage (real platform roots have them); and, against OpenSSL only, anyEKU on a CA
# (OpenSSL ignores it), a wrong AKI (OpenSSL filters issuers by it) and cross-signed or
# look-alike issuers (OpenSSL's builder does not backtrack out of them), and a window that
# ends at the validation time (OpenSSL treats notAfter as exclusive).
def _subtree_sets() -> list[tuple[str, ...]]:
    singles: list[tuple[str, ...]] = [(n,) for n in SUBTREES]
    pairs: list[tuple[str, ...]] = [(a, b) for a in SUBTREES for b in SUBTREES if a < b]
    return singles + pairs[::7]


CA_DEVIATIONS: dict[str, tuple[Any, ...]] = {
    "key": ("p384", "p521", "rsa2048", "rsa1024"),
    "hash": ("sha384", "sha512", "sha1", "pss", "pss_mgf1_sha512", "pss_salt0"),
    "validity": (
        "expired",
        "not_yet",
        "ends_now",
        "starts_now",
        "ended_a_second_ago",
        "starts_in_a_second",
    ),
    "ca_flag": ("not_ca", "absent"),
    "bc_critical": (False,),
    "path_len": (0, 1, 2),
    "key_usage": ("no_cert_sign", "absent"),
    "eku": (("server",), ("client",), ("server", "client"), ("any",), ("client", "any")),
    "permitted": tuple(_subtree_sets()),
    "excluded": tuple(_subtree_sets()),
    "unknown_critical": (True,),
    "self_issued": (True,),  # for intermediates: a key rollover certificate
}
LEAF_DEVIATIONS: dict[str, tuple[Any, ...]] = {
    "key": ("p384", "p521", "rsa2048", "rsa1024"),
    "hash": ("sha384", "sha512", "sha1", "pss", "pss_mgf1_sha512", "pss_salt0"),
    "validity": (
        "expired",
        "not_yet",
        "ends_now",
        "starts_now",
        "ended_a_second_ago",
        "starts_in_a_second",
    ),
    "sans": (
        (),
        *((n,) for n in SANS),
        *[(a, b) for a in SANS for b in SANS if a < b][::5],
    ),
    "common_name": ("",),  # an empty subject, with a critical SAN or not (drawn with it)
    "eku": (None, ("client",), ("any",), ("server", "client"), ("server", "any")),
    "key_usage": ("ke", "ds_cert_sign", "crl_only", "absent"),
    "basic": ("absent", "ca"),
    "unknown_critical": (True,),
    "aki": ("wrong",),
}
POOL_DEVIATIONS: dict[str, tuple[Any, ...]] = {
    "reverse_pool": (True,),
    "junk": (True,),
    "send_root": (True,),
    "cross_sign": (True,),
    "cross_expired": (True,),
    "trust_root": (False,),
    "trust_other_root": (True,),
    "lookalike": (True,),
    "trust_intermediate": (True,),
}
_OPENSSL_ONLY_POOL = ("reverse_pool", "junk", "send_root")


def _allowed(field: str, value: Any, *, where: str, with_openssl: bool) -> bool:
    if where == "root" and (field, value) in {("bc_critical", False), ("key_usage", "absent")}:
        return False
    if with_openssl and where in ("root", "inter") and field == "eku" and "any" in value:
        return False
    if with_openssl and where == "leaf" and field == "aki":
        return False
    if with_openssl and (field, value) == ("validity", "ends_now"):
        return False  # OpenSSL's notAfter is exclusive (documented divergence)
    return not (with_openssl and where == "pool" and field not in _OPENSSL_ONLY_POOL)


@st.composite
def chain_specs(draw: st.DrawFn, *, with_openssl: bool) -> ChainSpec:
    """The good baseline chain with a few deviations (none shrinks back to the baseline)."""
    intermediates = [CASpec() for _ in range(draw(st.sampled_from((1, 0, 2, 3))))]
    parts: dict[str, Any] = {"root": CASpec(), "leaf": LeafSpec()}
    pool: dict[str, Any] = {}
    host: str | None = None
    targets = ["leaf", "root", "pool", "host", *(["inter"] if intermediates else [])]
    for _ in range(draw(st.integers(0, 4))):
        where = draw(st.sampled_from(targets))
        if where == "host":
            host = draw(st.sampled_from(HOSTS))
            continue
        table = {
            "leaf": LEAF_DEVIATIONS,
            "pool": POOL_DEVIATIONS,
            "root": CA_DEVIATIONS,
            "inter": CA_DEVIATIONS,
        }[where]
        field = draw(st.sampled_from(sorted(table)))
        value = draw(st.sampled_from(table[field]))
        if not _allowed(field, value, where=where, with_openssl=with_openssl):
            continue
        if where == "pool":
            pool[field] = value
        elif where == "inter":
            index = draw(st.integers(0, len(intermediates) - 1))
            intermediates[index] = replace(intermediates[index], **{field: value})
        else:
            parts[where] = replace(parts[where], **{field: value})
        if where == "leaf" and field == "common_name":
            # A critical SAN only goes with an empty subject: beside a subject it is a
            # documented divergence (TestDocumentedDivergences).
            parts["leaf"] = replace(parts["leaf"], san_critical=draw(st.booleans()))
    leaf: LeafSpec = parts["leaf"]
    if host is None:
        # Ask for a name the leaf has, so that most chains can pass and deviations count.
        named = [n.replace("*", "www", 1) for n in leaf.sans if ":" not in n or "::" in n]
        host = named[0] if named else "example.com"
    return ChainSpec(
        root=parts["root"],
        intermediates=tuple(intermediates),
        leaf=leaf,
        host=host,
        **pool,
    )


def _not_comparable_with_cryptography(spec: ChainSpec) -> bool:
    """Documented divergences (TestDocumentedDivergences) cryptography's verdict cannot be
    compared under: an anchor's non-critical basicConstraints or missing keyUsage (ours are
    not judged), it refuses every leading-dot DNS subtree as malformed (we read it) and
    every URI or directoryName constraint (we check them, as OpenSSL does), and it
    counts key-rollover (self-issued) certificates against pathLenConstraint (RFC 5280 does
    not)."""
    cas = (spec.root, *spec.intermediates)
    subtrees = [n for ca in cas for n in (*ca.permitted, *ca.excluded)]
    if any(n.startswith((".", "uri:", "dir:")) for n in subtrees):
        return True  # also: it supports no URI or directoryName constraints at all
    if spec.trust_intermediate and spec.intermediates:
        # An anchor's basicConstraints criticality and keyUsage presence are not judged.
        first = spec.intermediates[0]
        if not first.bc_critical or first.key_usage == "absent":
            return True
    rollover = any(ca.self_issued for ca in spec.intermediates)
    return rollover and any(ca.path_len is not None for ca in cas)


def _explain(spec: ChainSpec, verdict: Any, reference: str, reason: str | None) -> str:
    return (
        f"we said trusted, {reference} rejected: {reason}\n  spec: {spec}\n"
        f"  our path: {[c.subject.rfc4514_string() for c in verdict.path]}"
    )


def _stricter_on_purpose(problem: Problem) -> bool:
    """Whether `problem` is one we report although cryptography accepts, on purpose (each is
    pinned in TestDocumentedDivergences)."""
    if problem.code == "weak_key":
        # RSA keys under 2048 bits (CA/B Forum BR §6.1.5); OpenSSL's default security level
        # and cryptography's verifier both still take a 1024-bit end-entity key.
        return True
    if problem.code == "host_mismatch":
        # service-identity refuses the whole subjectAltName when one DNS-ID is an invalid
        # pattern ("*.com": a wildcard needs three labels), rather than skipping that entry.
        return True
    # A leaf keyUsage allowing neither signing nor key exchange (cRLSign only) cannot do TLS;
    # OpenSSL's sslserver purpose refuses it too, cryptography does not look.
    return problem.code == "key_usage" and problem.depth == 0


def _compare(spec: ChainSpec, *, with_openssl: bool) -> None:
    built = build(spec)
    verdict = ours(built, spec.host)
    theirs = pyca(built, spec.host)
    event(f"ours: {verdict.status.value}")  # --hypothesis-show-statistics: the mix tested
    skip_pyca = _not_comparable_with_cryptography(spec)
    if verdict.trusted and not skip_pyca:
        assert theirs is None, _explain(spec, verdict, "cryptography", theirs)
    if theirs is None and not verdict.trusted:
        unexpected = [p for p in verdict.problems if not _stricter_on_purpose(p)]
        assert not unexpected, f"only we rejected {spec}: {verdict.summary()}"
    if with_openssl:
        reason = openssl(built, spec.host)
        if verdict.trusted:
            assert reason is None, _explain(spec, verdict, "openssl", reason)


def budget(examples: int) -> settings:
    """`examples` examples (each builds a chain and runs up to three verifiers)."""
    return settings(
        max_examples=examples,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@budget(300)
@given(spec=chain_specs(with_openssl=False))
def test_trusted_implies_cryptography_accepts(spec: ChainSpec) -> None:
    """Never trusted where cryptography's webpki server verifier rejects (pool attacks too);
    and where it accepts and we do not, only for a stricter rule on purpose."""
    _compare(spec, with_openssl=False)


@needs_openssl
@budget(100)
@given(spec=chain_specs(with_openssl=True))
def test_trusted_implies_both_references_accept(spec: ChainSpec) -> None:
    """Never trusted where cryptography or `openssl verify -x509_strict` rejects."""
    _compare(spec, with_openssl=True)


@pytest.mark.slow
@pytest.mark.skipif(not LONG, reason="long differential run: SECURESOCKET_FUZZ=long")
@needs_openssl
@budget(2_000)
@given(spec=chain_specs(with_openssl=True), pool_spec=chain_specs(with_openssl=False))
def test_long_differential_run(spec: ChainSpec, pool_spec: ChainSpec) -> None:
    """The same two properties with many more examples (opt-in)."""
    _compare(spec, with_openssl=True)
    _compare(pool_spec, with_openssl=False)


def test_the_generators_reach_acceptance() -> None:
    """The comparison means something only if good chains are generated too: the baseline
    spec is trusted by all three, and one deviation flips all three."""
    good = build(ChainSpec())
    assert ours(good, "example.com").trusted
    assert pyca(good, "example.com") is None
    bad = build(ChainSpec(intermediates=(CASpec(validity="expired"),)))
    assert ours(bad, "example.com").status == S.INVALID_CHAIN
    assert pyca(bad, "example.com") is not None


def verdicts(spec: ChainSpec, host: str | None = None) -> tuple[CertificateStatus, bool, bool]:
    """(our status, cryptography accepts, openssl accepts) for `spec`."""
    built = build(spec)
    name = host if host is not None else spec.host
    return ours(built, name).status, pyca(built, name) is None, openssl(built, name) is None


I = CASpec  # noqa: E741 - reads as "intermediate" in the tables below


@needs_openssl
class TestRegressions:
    """False accepts the comparison found, now rejected; each with the twin still trusted."""

    @pytest.mark.parametrize(
        ("bad", "good"),
        [
            # An anchor's own validity (cryptography, OpenSSL and NSS all check it).
            (I(validity="expired"), I()),
            (I(validity="not_yet"), I()),
            # Its pathLenConstraint limits the CAs below it (RFC 5937 §3).
            (I(path_len=0), I(path_len=1)),
            # It must be a CA allowed to sign certificates, for TLS servers.
            (I(ca_flag="not_ca"), I()),
            (I(ca_flag="absent"), I()),
            (I(key_usage="no_cert_sign"), I()),
            (I(eku=("client",)), I(eku=("server",))),
            # Its name constraints bind what it issues, and its critical extensions count.
            (I(permitted=("other.test",)), I(permitted=("example.com",))),
            (I(excluded=("example.com",)), I(excluded=("other.test",))),
            (I(unknown_critical=True), I()),
        ],
    )
    def test_a_webpki_anchor_constrains_what_it_issues(self, bad: CASpec, good: CASpec) -> None:
        assert verdicts(ChainSpec(root=bad)) == (S.INVALID_CHAIN, False, False)
        assert verdicts(ChainSpec(root=good)) == (S.TRUSTED, True, True)

    def test_rfc5280_profile_keeps_the_anchor_a_name_and_a_key(self) -> None:
        """RFC 5280 §6.1.1 (d), what PKITS expects: the anchor's own fields are not checked."""
        built = build(ChainSpec(root=I(validity="expired", path_len=0, eku=("client",))))
        strict = ours(built, "example.com")
        lenient = verify_chain(
            built.leaf,
            built.pool,
            anchors=built.anchors,
            host="example.com",
            at=AT,
            trust="none",
            profile="rfc5280",
            revocation="off",
        )
        assert strict.status == S.INVALID_CHAIN
        assert lenient.status == S.TRUSTED

    @pytest.mark.parametrize(
        ("bad", "good"),
        [
            # RFC 5280 §4.2.1.9 and BR §7.1.2: a CA's basicConstraints MUST be critical.
            (I(bc_critical=False), I()),
            # RFC 5280 §4.2.1.3 and BR §7.1.2: a CA certificate MUST carry keyUsage.
            (I(key_usage="absent"), I()),
        ],
    )
    def test_intermediate_profile_rules(self, bad: CASpec, good: CASpec) -> None:
        assert verdicts(ChainSpec(intermediates=(bad,))) == (S.INVALID_CHAIN, False, False)
        assert verdicts(ChainSpec(intermediates=(good,))) == (S.TRUSTED, True, True)

    @pytest.mark.parametrize("variant", ["pss_mgf1_sha512", "pss_salt0"])
    def test_rsa_pss_only_with_the_baseline_parameters(self, variant: str) -> None:
        """BR §7.1.3.2.1 allows RSASSA-PSS only in three exact encodings (MGF1 over the same
        hash, salt as long as the hash); cryptography refuses the rest too (OpenSSL does not)."""
        rsa = I(key="rsa2048")
        odd = ChainSpec(root=rsa, intermediates=(replace(rsa, hash=variant),))
        assert verdicts(odd) == (S.INVALID_CHAIN, False, True)
        usual = ChainSpec(root=rsa, intermediates=(replace(rsa, hash="pss"),))
        assert verdicts(usual) == (S.TRUSTED, True, True)

    def test_empty_subject_needs_a_critical_san(self) -> None:
        """RFC 5280 §4.2.1.6: with an empty subject the subjectAltName MUST be critical."""
        loose = ChainSpec(leaf=LeafSpec(common_name="", san_critical=False))
        strict = ChainSpec(leaf=LeafSpec(common_name="", san_critical=True))
        assert verdicts(loose) == (S.INVALID, False, False)
        assert verdicts(strict) == (S.TRUSTED, True, True)

    def test_wildcard_san_inside_an_excluded_subtree(self) -> None:
        """ "*.example.com" would match "sub.example.com", which the CA may not name: the
        certificate is refused, for every host (OpenSSL compares the pattern as a plain name
        and accepts it, a false accept we do not copy; Chrome refuses it too)."""
        spec = ChainSpec(
            intermediates=(I(excluded=("sub.example.com",)),),
            leaf=LeafSpec(sans=("*.example.com",)),
            host="sub.example.com",
        )
        assert verdicts(spec) == (S.INVALID_CHAIN, False, True)
        assert verdicts(spec, "www.example.com")[:2] == (S.INVALID_CHAIN, False)
        # Twin: subtrees the wildcard cannot reach (two labels below it, or elsewhere) leave
        # it trusted, as cryptography agrees.
        for far in ("a.sub.example.com", "other.test"):
            deeper = replace(spec, intermediates=(I(excluded=(far,)),))
            assert verdicts(deeper, "www.example.com") == (S.TRUSTED, True, True)
        dotted = replace(spec, intermediates=(I(excluded=(".sub.example.com",)),))
        # An excluded ".sub.example.com" is read as covering sub.example.com too.
        assert verdicts(dotted, "www.example.com")[0] == S.INVALID_CHAIN
        # And one label further up the wildcard is excluded outright.
        assert verdicts(replace(spec, intermediates=(I(excluded=("example.com",)),)))[0] == (
            S.INVALID_CHAIN
        )

    def test_excluded_leading_dot_covers_the_name_itself(self) -> None:
        """An excluded ".example.com" (no such dNSName form in RFC 5280) is read the way that
        excludes more: example.com too. OpenSSL reads it as subdomains only and accepts."""
        spec = ChainSpec(intermediates=(I(excluded=(".example.com",)),))
        assert verdicts(spec) == (S.INVALID_CHAIN, False, True)
        elsewhere = ChainSpec(intermediates=(I(excluded=(".other.test",)),))
        assert verdicts(elsewhere)[0] == S.TRUSTED

    def test_network_san_inside_an_excluded_range(self) -> None:
        """An 8-byte iPAddress SAN parses as a network (10.1.0.0/16); one overlapping an
        excluded range is excluded (it was compared as an address, matched nothing, passed)."""
        root = CA(common_name="IP Root", key=fixed_key("ip-root"))
        inter = root.create_child_ca(
            common_name="IP CA", key=fixed_key("ip-ca"), excluded_names=["10.0.0.0/8"]
        )
        for network, status in (("10.1.0.0/16", S.INVALID_CHAIN), ("11.0.0.0/8", S.TRUSTED)):
            name = x509.IPAddress(ipaddress.ip_network(network))
            leaf = _leaf_with_names([name], issuer=inter)
            result = verify_chain(
                leaf,
                [inter.certificate],
                anchors=[root.certificate],
                host=None,
                at=AT,
                trust="none",
                revocation="off",
            )
            assert result.status == status, result.summary()

    def test_ipv4_mapped_address_under_an_ipv4_exclusion(self) -> None:
        """A SAN ::ffff:127.0.0.1 reaches 127.0.0.1, which the CA excluded: refused. Stricter
        than both references (they compare IPv6 with IPv6 constraints only, as RFC 5280's
        byte lengths suggest): a connection to ::ffff:127.0.0.1 lands on 127.0.0.1."""
        mapped = LeafSpec(sans=("::ffff:127.0.0.1",))
        spec = ChainSpec(
            intermediates=(I(excluded=("127.0.0.0/8",)),), leaf=mapped, host="::ffff:127.0.0.1"
        )
        assert verdicts(spec) == (S.INVALID_CHAIN, True, True)
        elsewhere = replace(spec, intermediates=(I(excluded=("10.0.0.0/8",)),))
        assert verdicts(elsewhere) == (S.TRUSTED, True, True)
        # Not the other way round: excluding all of IPv6 leaves IPv4 addresses alone.
        v4 = ChainSpec(
            intermediates=(I(excluded=("::/0",)),),
            leaf=LeafSpec(sans=("127.0.0.1",)),
            host="127.0.0.1",
        )
        assert verdicts(v4) == (S.TRUSTED, True, True)

    def test_name_constraint_work_is_bounded(self) -> None:
        """A leaf with thousands of names under a CA with a thousand subtrees fails closed
        (too much to check) instead of stalling; the same CA with a few names is checked."""
        root = CA(common_name="NC Budget Root", key=fixed_key("nc-budget-root"))
        excluded = [f"blocked{i}.test" for i in range(1100)]
        inter = root.create_child_ca(
            common_name="NC Budget CA", key=fixed_key("nc-budget-ca"), excluded_names=excluded
        )
        many = [f"host{i}.example.com" for i in range(1000)]
        key = fixed_key("nc-budget-leaf")
        crowded = inter.issue_cert(*many, key=key, not_before=datetime(2025, 1, 1, tzinfo=UTC))
        few = inter.issue_cert(*many[:10], key=key, not_before=datetime(2025, 1, 1, tzinfo=UTC))
        for leaf, status in ((crowded, S.INVALID_CHAIN), (few, S.TRUSTED)):
            result = verify_chain(
                leaf.certificate,
                [inter.certificate],
                anchors=[root.certificate],
                host="host1.example.com",
                at=AT,
                trust="none",
                revocation="off",
            )
            assert result.status == status
        assert "too many names" in result.summary() or status == S.TRUSTED


@needs_openssl
class TestDocumentedDivergences:
    """Where a reference and we disagree on purpose; each pins all three verdicts, so a
    change on either side shows up here."""

    def test_ed25519_is_allowed(self) -> None:
        """The issue's webpki key list includes Ed25519; cryptography's verifier refuses it."""
        spec = ChainSpec(root=I(key="ed25519"), leaf=LeafSpec(key="ed25519"))
        assert verdicts(spec) == (S.TRUSTED, False, True)

    def test_missing_authority_key_identifier(self) -> None:
        """RFC 5280 §4.2.1.1 tells CAs to include it; it is a path-building hint, not a
        security property (we match names and verify signatures), and Chrome and Firefox do
        not require it either. Both references do."""
        assert verdicts(ChainSpec(leaf=LeafSpec(aki="absent"))) == (S.TRUSTED, False, False)

    def test_wrong_authority_key_identifier(self) -> None:
        """A mismatching AKI is tried last, not refused (cryptography agrees); OpenSSL treats
        it as "not the issuer". The signature still has to verify."""
        assert verdicts(ChainSpec(leaf=LeafSpec(aki="wrong"))) == (S.TRUSTED, True, False)

    def test_anchor_with_non_critical_basic_constraints(self) -> None:
        """Trusted by configuration: Debian's bundle has roots like this. Below the anchor a
        non-critical basicConstraints is refused (TestRegressions)."""
        assert verdicts(ChainSpec(root=I(bc_critical=False))) == (S.TRUSTED, False, False)

    def test_anchor_without_key_usage(self) -> None:
        """Likewise: Debian's bundle has roots without keyUsage (absent means unrestricted)."""
        assert verdicts(ChainSpec(root=I(key_usage="absent"))) == (S.TRUSTED, False, False)

    def test_any_extended_key_usage_on_a_ca(self) -> None:
        """RFC 5280 §4.2.1.12: anyExtendedKeyUsage restricts nothing (cryptography and Chrome
        agree); OpenSSL's sslserver purpose does not count it."""
        spec = ChainSpec(intermediates=(I(eku=("any",)),))
        assert verdicts(spec) == (S.TRUSTED, True, False)

    def test_cross_signed_path_through_the_other_root(self) -> None:
        """Only the cross-signing root is trusted: we and cryptography back out of the first
        issuer and find it; OpenSSL's builder does not."""
        spec = ChainSpec(cross_sign=True, trust_root=False, trust_other_root=True)
        assert verdicts(spec) == (S.TRUSTED, True, False)
        # Twin: the cross-certificate expired, so no path is good.
        expired = replace(spec, cross_expired=True)
        assert verdicts(expired)[:2] == (S.INVALID_CHAIN, False)

    def test_cn_is_never_a_name(self) -> None:
        """A certificate naming its host only in the CN is refused: the BRs require the names
        in the SAN, RFC 9525 (which replaces RFC 6125) drops the CN fallback, and
        service-identity never reads the CN; OpenSSL still falls back to it."""
        spec = ChainSpec(leaf=LeafSpec(sans=(), common_name="example.com"))
        assert verdicts(spec) == (S.PRINCIPAL_MISMATCH, False, True)
        # Twin: the same name in a SAN.
        assert verdicts(replace(spec, leaf=LeafSpec(common_name="example.com")))[0] == S.TRUSTED

    def test_cn_outside_name_constraints_is_not_a_name_either(self) -> None:
        """Without a DNS SAN, OpenSSL checks a host-like CN against DNS constraints; since we
        never use the CN as a name, a CN outside them names nothing (cryptography agrees)."""
        spec = ChainSpec(
            intermediates=(I(permitted=("example.com",)),),
            leaf=LeafSpec(sans=("127.0.0.1",), common_name="evil.test"),
            host="127.0.0.1",
        )
        assert verdicts(spec) == (S.TRUSTED, True, False)
        assert verdicts(spec, "evil.test")[0] == S.PRINCIPAL_MISMATCH

    def test_leading_dot_dns_subtree(self) -> None:
        """RFC 5280 has no ".example.com" form for dNSName; cryptography calls it malformed
        and refuses the chain. We read it the cautious way each time: permitted, it allows
        only subdomains; excluded, it excludes the name itself too (see TestRegressions)."""
        permitted = ChainSpec(intermediates=(I(permitted=(".example.com",)),))
        www = replace(permitted, leaf=LeafSpec(sans=("www.example.com",)))
        assert verdicts(www, "www.example.com")[:2] == (S.TRUSTED, False)
        assert verdicts(permitted)[:2] == (S.INVALID_CHAIN, False)  # example.com: not permitted

    def test_invalid_wildcard_spoils_the_san(self) -> None:
        """ "*.com" is no valid pattern (service-identity: three labels at least; OpenSSL
        agrees; cryptography matches it). service-identity then refuses the whole SAN."""
        assert verdicts(ChainSpec(leaf=LeafSpec(sans=("*.com",)))) == (
            S.PRINCIPAL_MISMATCH,
            True,
            False,
        )
        alongside = ChainSpec(leaf=LeafSpec(sans=("example.com", "*.com")))
        assert verdicts(alongside)[0] == S.PRINCIPAL_MISMATCH

    def test_one_root_dot_is_the_same_host(self) -> None:
        """ "example.com." is the absolute form of the same name (browsers accept it); both
        references compare it literally. Two dots are an empty label: refused."""
        assert verdicts(ChainSpec(), "example.com.") == (S.TRUSTED, False, False)
        assert verdicts(ChainSpec(), "example.com..")[0] == S.PRINCIPAL_MISMATCH

    def test_wildcard_never_stands_for_an_internationalised_label(self) -> None:
        """service-identity's rule: "*.example.com" does not match "xn--bcher-kva.example.com"
        (stricter than RFC 6125 §6.4.3, which forbids only a wildcard inside an A-label; a
        reverse divergence, fail-closed); both references match it."""
        spec = ChainSpec(leaf=LeafSpec(sans=("*.example.com",)), host="xn--bcher-kva.example.com")
        assert verdicts(spec) == (S.PRINCIPAL_MISMATCH, True, True)
        assert verdicts(spec, "www.example.com") == (S.TRUSTED, True, True)

    def test_labels_outside_letters_digits_hyphens(self) -> None:
        """An underscore or an edge hyphen breaks RFC 1123 host syntax; such names exist on
        private networks, so a SAN naming exactly that string matches it (service-identity,
        OpenSSL); cryptography refuses to take such a host at all."""
        spec = ChainSpec(leaf=LeafSpec(sans=("_svc.example.com",)), host="_svc.example.com")
        assert verdicts(spec) == (S.TRUSTED, False, True)
        assert verdicts(spec, "svc.example.com")[0] == S.PRINCIPAL_MISMATCH

    def test_weak_keys_and_hashes(self) -> None:
        """RSA-1024 (BR §6.1.5) and SHA-1 (BR §7.1.3) are refused; OpenSSL 3.0 at its
        default level takes both, cryptography takes the 1024-bit leaf key."""
        weak_key = ChainSpec(leaf=LeafSpec(key="rsa1024"))
        assert verdicts(weak_key) == (S.INVALID, True, True)
        sha1 = ChainSpec(root=I(key="rsa2048"), intermediates=(I(key="rsa2048", hash="sha1"),))
        assert verdicts(sha1) == (S.INVALID_CHAIN, False, True)

    def test_critical_san_beside_a_subject(self) -> None:
        """RFC 5280 §4.2.1.6 says SHOULD NOT (and the BRs' subscriber profile likewise): a CA-side
        encoding rule with no effect on what the names mean; cryptography refuses it."""
        spec = ChainSpec(leaf=LeafSpec(san_critical=True))
        assert verdicts(spec)[:2] == (S.TRUSTED, False)

    def test_leaf_key_usage_that_cannot_do_tls(self) -> None:
        """keyUsage cRLSign only: refused (as OpenSSL does); cryptography does not look."""
        spec = ChainSpec(leaf=LeafSpec(key_usage="crl_only"))
        assert verdicts(spec) == (S.INVALID, True, False)
        assert verdicts(ChainSpec(leaf=LeafSpec(key_usage="ke")))[0] == S.TRUSTED

    @pytest.mark.parametrize(
        ("subtree", "inside", "outside"),
        [
            ("uri:.example.com", "uri:https://www.example.com/", "uri:https://evil.test/"),
            ("dir:securesocket differential", None, None),
        ],
    )
    def test_uri_and_directory_name_constraints(
        self, subtree: str, inside: str | None, outside: str | None
    ) -> None:
        """cryptography refuses every chain with a URI or directoryName constraint; we check
        them, and agree with OpenSSL on both sides of the subtree."""
        sans = ("example.com", inside) if inside else ("example.com",)
        spec = ChainSpec(intermediates=(I(permitted=(subtree,)),), leaf=LeafSpec(sans=sans))
        assert verdicts(spec) == (S.TRUSTED, False, True)
        if outside:
            out = replace(spec, leaf=LeafSpec(sans=("example.com", outside)))
        else:  # the subject (O=securesocket differential) outside another directory subtree
            out = replace(spec, intermediates=(I(permitted=("dir:Other",)),))
        assert verdicts(out) == (S.INVALID_CHAIN, False, False)

    def test_key_rollover_certificate_and_path_length(self) -> None:
        """RFC 5280 §6.1.4 (l): a self-issued certificate (the CA's own name, a new key) does
        not count against pathLenConstraint; OpenSSL agrees, cryptography counts it."""
        spec = ChainSpec(root=I(path_len=0), intermediates=(I(self_issued=True),))
        assert verdicts(spec) == (S.TRUSTED, False, True)
        # Twin: an intermediate that is not self-issued does count.
        assert verdicts(replace(spec, intermediates=(I(),))) == (S.INVALID_CHAIN, False, False)

    def test_validity_window_includes_both_ends(self) -> None:
        """RFC 5280 §4.1.2.5: valid from notBefore *through* notAfter, inclusive (cryptography
        agrees); OpenSSL calls a certificate expired at its notAfter second."""
        for where in ("root", "leaf"):
            ends = ChainSpec(**{where: _with(where, validity="ends_now")})
            starts = ChainSpec(**{where: _with(where, validity="starts_now")})
            assert verdicts(ends) == (S.TRUSTED, True, False)
            assert verdicts(starts) == (S.TRUSTED, True, True)
            # Twins: one second outside the window on either side.
            gone = ChainSpec(**{where: _with(where, validity="ended_a_second_ago")})
            early = ChainSpec(**{where: _with(where, validity="starts_in_a_second")})
            assert verdicts(gone)[0] == (S.EXPIRED if where == "leaf" else S.INVALID_CHAIN)
            assert verdicts(early)[0] == (S.NOT_YET_VALID if where == "leaf" else S.INVALID_CHAIN)

    def test_wildcard_on_a_public_suffix(self) -> None:
        """Known gap: "*.co.uk" matches "foo.co.uk" here as in both references (no public
        suffix list at verification; Chrome has one). BR §3.2.2.6 forbids CAs to issue it."""
        spec = ChainSpec(leaf=LeafSpec(sans=("*.co.uk",)), host="foo.co.uk")
        assert verdicts(spec) == (S.TRUSTED, True, True)


_LABELS = (
    "a",
    "A",
    "www",
    "xn--bcher-kva",
    "xn--",
    "-a",
    "a-",
    "0",
    "*",
    "w*",
    "_x",
    "com",
    "uk",
    "",
)
_LDH = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE)


@st.composite
def names_and_hosts(draw: st.DrawFn) -> tuple[str, str]:
    """A DNS-ID pattern and a host: often the pattern with its wildcard filled in."""
    pattern = ".".join(draw(st.lists(st.sampled_from(_LABELS), min_size=1, max_size=4)))
    pattern += draw(st.sampled_from(("", "", ".")))
    if draw(st.booleans()):
        host = pattern.replace("*", draw(st.sampled_from(("x", "", "xn--bcher-kva"))), 1)
    else:
        host = ".".join(draw(st.lists(st.sampled_from(_LABELS), min_size=1, max_size=4)))
    if draw(st.booleans()):
        host = host.upper()
    return pattern, host + draw(st.sampled_from(("", "", ".", "..")))


@budget(200)
@given(case=names_and_hosts())
def test_host_names_never_match_where_cryptography_refuses(case: tuple[str, str]) -> None:
    """Host matching against cryptography's, on odd labels, wildcards, case and dots: never
    a match it refuses, except for two documented divergences (one root dot is the same host;
    labels outside letters, digits and hyphens are compared literally)."""
    pattern, host = case
    result = _host_check([x509.DNSName(pattern)])(host)
    event(f"ours: {result.status.value}")
    if not result.trusted:
        return
    name = host[:-1] if host.endswith(".") else host
    assert name, (pattern, host)
    assert "" not in name.split("."), (pattern, host)
    if not all(_LDH.fullmatch(label) for label in name.split(".")):
        return  # cryptography refuses such a host outright (documented divergence)
    built = Built(_leaf_with_names([x509.DNSName(pattern)]), [], [_names_root().certificate])
    assert pyca(built, name) is None, (pattern, host, pyca(built, name))


def _with(where: str, **changes: Any) -> Any:
    """The baseline root or leaf spec with `changes`."""
    return replace(CASpec() if where == "root" else LeafSpec(), **changes)


class TestNames:
    """Host names and addresses: what matches, what must never match."""

    @pytest.mark.parametrize(
        ("sans", "host", "trusted"),
        [
            # Case and IDNA: a U-label host is encoded before comparing.
            (("EXAMPLE.com",), "example.COM", True),
            (("xn--bcher-kva.example",), "bücher.example", True),
            (("xn--bcher-kva.example",), "xn--bcher-kva.example", True),
            (("xn--bcher-kva.example",), "bucher.example", False),
            # Wildcards: one whole left-most label, never the apex, never deeper, never inside.
            (("*.example.com",), "www.example.com", True),
            (("*.example.com",), "example.com", False),
            (("*.example.com",), "a.b.example.com", False),
            (("w*.example.com",), "www.example.com", False),
            (("www.*.com",), "www.example.com", False),
            (("*",), "example", False),
            # A wildcard never stands for an internationalised label (service-identity).
            (("*.example.com",), "xn--bcher-kva.example.com", False),
            # IP addresses: only an iPAddress SAN, in any spelling of the same address.
            (("::1",), "::1", True),
            (("::1",), "0:0:0:0:0:0:0:1", True),
            (("::1",), "[::1]", True),
            (("::1",), "::2", False),
            (("127.0.0.1",), "127.0.0.1", True),
            (("127.0.0.1",), "::ffff:127.0.0.1", False),
            (("::ffff:127.0.0.1",), "127.0.0.1", False),
            (("127.0.0.1",), "127.1", False),
            (("127.0.0.1",), "0177.0.0.1", False),
            # Hosts that are not what was asked for.
            (("example.com",), " example.com", False),
            (("example.com",), "example.com\x00.evil.test", False),
            (("example.com",), "", False),
            # Empty labels name no host, even beside a SAN that ends in a dot itself.
            (("www.example.com.",), "www.example.com..", False),
            (("example.com",), ".example.com", False),
            (("example.com",), "example..com", False),
        ],
    )
    def test_host_matching(self, sans: tuple[str, ...], host: str, trusted: bool) -> None:
        result = ours(build(ChainSpec(leaf=LeafSpec(sans=sans))), host)
        assert result.trusted is trusted, result.summary()
        if not trusted:
            assert result.status == S.PRINCIPAL_MISMATCH

    def test_dns_san_spelling_an_address_is_no_address(self) -> None:
        """A dNSName "127.0.0.1" does not vouch for the address 127.0.0.1 (nor for the name)."""
        leaf = _host_check([x509.DNSName("127.0.0.1")])
        assert not leaf("127.0.0.1").trusted
        assert _host_check([x509.IPAddress(general_name("127.0.0.1").value)])("127.0.0.1").trusted

    def test_nul_inside_a_san(self) -> None:
        """ "example.com\\0.evil.test" in a SAN matches neither name around the NUL."""
        leaf = _host_check([x509.DNSName("example.com\x00.evil.test")])
        for host in ("example.com", "example.com\x00.evil.test", "evil.test"):
            assert leaf(host).status == S.PRINCIPAL_MISMATCH
        assert _host_check([x509.DNSName("example.com")])("example.com").trusted


def _leaf_with_names(names: list[x509.GeneralName], issuer: CA | None = None) -> x509.Certificate:
    """A leaf (empty subject) carrying exactly `names` in a critical SAN, issued by `issuer`
    (default: a fixed "Names Root")."""
    ca = issuer if issuer is not None else _names_root()
    leaf_key = fixed_key("names-leaf")
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(ca.subject)
        .public_key(leaf_key.public_key())
        .serial_number(4242)
        .not_valid_before(datetime(2025, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2035, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()),
            critical=False,
        )
    )
    cert = sign_builder(builder, ca.private_key, hashes.SHA256())
    assert isinstance(cert, x509.Certificate)
    return cert


@functools.cache
def _names_root() -> CA:
    return CA(common_name="Names Root", key=fixed_key("names-root"))


def _host_check(names: list[x509.GeneralName]) -> Any:
    """A verifier function (host → Verification) for a leaf carrying exactly `names`."""
    cert = _leaf_with_names(names)
    verifier = ChainVerifier(trust="none", anchors=[_names_root().certificate])
    return lambda host: verifier.verify(cert, [], host=host, at=AT)


class _CountingCache(SignatureCache):
    """A signature cache that counts the checks asked of it (the cost of a verification)."""

    def __init__(self) -> None:
        super().__init__()
        self.checks = 0

    def check(self, *args: Any) -> str | None:
        self.checks += 1
        return super().check(*args)


@pytest.fixture(scope="module")
def real() -> tuple[CA, CA, x509.Certificate]:
    """A root, an intermediate with a popular name, and a leaf for example.com."""
    root = CA(common_name="Attack Root", key=fixed_key("attack-root"))
    inter = root.create_child_ca(common_name="Popular CA", key=fixed_key("attack-inter"))
    leaf = inter.issue_cert(
        "example.com", key=fixed_key("attack-leaf"), not_before=datetime(2025, 1, 1, tzinfo=UTC)
    )
    return root, inter, leaf.certificate


class TestPathBuildingUnderAttack:
    """Hostile pools: bounded work, fail closed, never a path through a decoy."""

    def _decoys(self, root: CA, inter: CA, count: int, *, same_ski: bool) -> list[x509.Certificate]:
        """Certificates with the real intermediate's name, signed by the real root, with other
        keys (optionally claiming the real key's identifier)."""
        real_ski = x509.SubjectKeyIdentifier.from_public_key(inter.private_key.public_key())
        decoys = []
        for i in range(count):
            key = fixed_key(f"decoy-{i}")
            ski = (
                real_ski
                if same_ski
                else x509.SubjectKeyIdentifier.from_public_key(key.public_key())
            )
            builder = (
                x509.CertificateBuilder()
                .subject_name(inter.subject)
                .issuer_name(root.subject)
                .public_key(key.public_key())
                .serial_number(1000 + i)
                .not_valid_before(datetime(2025, 1, 1, tzinfo=UTC))
                .not_valid_after(datetime(2035, 1, 1, tzinfo=UTC))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(ski, critical=False)
            )
            cert = sign_builder(builder, root.private_key, hashes.SHA256())
            assert isinstance(cert, x509.Certificate)
            decoys.append(cert)
        return decoys

    @pytest.mark.parametrize("same_ski", [False, True])
    def test_many_same_name_issuers(self, real: Any, same_ski: bool) -> None:
        """300 look-alike issuers: the verdict is the real path or a refusal, never a decoy,
        and the signature checks stay bounded (the verifier's path and step limits)."""
        root, inter, leaf = real
        decoys = self._decoys(root, inter, 300, same_ski=same_ski)
        cache = _CountingCache()
        verifier = ChainVerifier(trust="none", anchors=[root.certificate], cache=cache)
        result = verifier.verify(leaf, [*decoys, inter.certificate], host="example.com", at=AT)
        assert cache.checks <= 32 * 2  # at most 32 complete paths, two signatures each
        if result.trusted:
            assert result.path == (leaf, inter.certificate, root.certificate)
        else:  # refused through a decoy (whose signature over the leaf fails)
            assert result.path[1] in decoys
            assert "bad_signature" in {p.code for p in result.problems}
        # Twin: the decoys alone never make a path.
        alone = verifier.verify(leaf, decoys, host="example.com", at=AT)
        assert not alone.trusted

    def test_real_issuer_found_by_key_identifier_among_decoys(self, real: Any) -> None:
        """With honest key identifiers the real issuer is tried first, wherever it sits."""
        root, inter, leaf = real
        decoys = self._decoys(root, inter, 300, same_ski=False)
        cache = _CountingCache()
        verifier = ChainVerifier(trust="none", anchors=[root.certificate], cache=cache)
        result = verifier.verify(leaf, [*decoys, inter.certificate], host="example.com", at=AT)
        assert result.trusted
        assert cache.checks <= 3

    def test_long_cycle_without_an_anchor(self) -> None:
        """Fifty CAs certifying each other in a ring, none trusted: untrustedSigners, bounded."""
        ring = [CA(common_name=f"Ring {i}", key=fixed_key(f"ring-{i}")) for i in range(50)]
        links = [ring[(i + 1) % 50].cross_sign(ring[i]) for i in range(50)]
        leaf = ring[0].issue_cert("example.com", not_before=datetime(2025, 1, 1, tzinfo=UTC))
        cache = _CountingCache()
        verifier = ChainVerifier(trust="none", anchors=[], cache=cache)
        result = verifier.verify(leaf.certificate, links, host="example.com", at=AT)
        assert result.status == S.UNTRUSTED_SIGNERS
        assert cache.checks == 0  # no complete path, so not one signature was checked
        # Twin: anchor one ring member, and the way out is found.
        exit_verifier = ChainVerifier(trust="none", anchors=[ring[3].certificate])
        found = exit_verifier.verify(leaf.certificate, links, host="example.com", at=AT)
        assert found.trusted
        assert found.path[-1] == ring[3].certificate

    def test_huge_pool_of_strangers_and_junk(self, real: Any) -> None:
        """Two thousand unrelated certificates and junk bytes beside the real chain."""
        root, inter, leaf = real
        stranger = CA(common_name="Stranger", key=fixed_key("stranger"))
        others = [
            stranger.issue_cert(
                f"s{i}.test", key=fixed_key("stranger-leaf"), serial=i + 1
            ).certificate
            for i in range(2000)
        ]
        pool: list[Any] = [*others, b"\x30\x03\x02\x01\x00", inter.certificate, b"junk"]
        result = verify_chain(
            leaf,
            pool,
            anchors=[root.certificate],
            host="example.com",
            at=AT,
            trust="none",
            revocation="off",
        )
        assert result.trusted
        missing = verify_chain(
            leaf,
            pool[:-2],
            anchors=[root.certificate],
            host="example.com",
            at=AT,
            trust="none",
            revocation="off",
        )
        assert missing.status == S.UNTRUSTED_SIGNERS
