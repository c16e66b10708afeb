"""`verify_chain` end to end on fixture-CA chains: each accepted case has a rejected twin."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from securesocket import ArgumentError, CertificateStatus, verify_chain
from securesocket.testing._keys import KeyType, fixed_key
from securesocket.testing.ca import CA


S = CertificateStatus
NOW = datetime(2030, 6, 1, tzinfo=UTC)


def check(leaf: x509.Certificate, pool=(), anchors=(), host: str | None = "example.test", **kw):
    """verify_chain with only the given anchors, revocation off, at a fixed time."""
    kw.setdefault("at", NOW)
    return verify_chain(
        leaf, pool, anchors=anchors, trust="none", revocation="off", host=host, **kw
    )


@pytest.fixture(scope="module")
def root() -> CA:
    return CA(common_name="Trust Test Root", not_before=datetime(2020, 1, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def inter(root: CA) -> CA:
    return root.create_child_ca(common_name="Trust Test Intermediate")


def issue(ca: CA, *names: str, **kw) -> x509.Certificate:
    kw.setdefault("not_before", datetime(2025, 1, 1, tzinfo=UTC))
    return ca.issue_cert(*names, **kw).certificate


class TestBasicChain:
    def test_good_chain_is_trusted(self, root: CA, inter: CA) -> None:
        """A leaf for the host, its intermediate and an anchored root: trusted, leaf → root."""
        leaf = issue(inter, "example.test")
        result = check(leaf, [inter.certificate], [root.certificate])
        assert result.status == S.TRUSTED
        assert result.trusted
        assert (leaf, inter.certificate, root.certificate) == result.path
        assert result.problems == ()

    def test_missing_anchor_is_untrusted_signers(self, inter: CA) -> None:
        """The same chain without its root anchored: untrustedSigners."""
        result = check(issue(inter, "example.test"), [inter.certificate], [])
        assert result.status == S.UNTRUSTED_SIGNERS
        assert not result.trusted
        assert result.problems[0].code == "no_anchor"

    def test_missing_intermediate_is_untrusted_signers(self, root: CA, inter: CA) -> None:
        """The server did not send its intermediate and nobody supplied it: untrustedSigners."""
        result = check(issue(inter, "example.test"), [], [root.certificate])
        assert result.status == S.UNTRUSTED_SIGNERS

    def test_extra_certificate_completes_the_chain(self, root: CA, inter: CA) -> None:
        """An intermediate given as `extra` (addBinaryChainBuildingCertificate false) is used."""
        leaf = issue(inter, "example.test")
        result = check(leaf, [], [root.certificate], extra=[inter.certificate])
        assert result.status == S.TRUSTED

    def test_der_and_pem_inputs(self, root: CA, inter: CA) -> None:
        """DER and PEM bytes are accepted wherever certificates are."""
        leaf = issue(inter, "example.test")
        result = check(
            leaf.public_bytes(Encoding.DER),
            [inter.certificate.public_bytes(Encoding.PEM)],
            [root.certificate.public_bytes(Encoding.DER)],
        )
        assert result.status == S.TRUSTED

    def test_shuffled_pool_with_junk(self, root: CA, inter: CA) -> None:
        """An unordered pool with unrelated certificates and garbage still yields the path."""
        stranger = CA(common_name="Stranger")
        leaf = issue(inter, "example.test")
        pool = [b"\x30\x03junk", stranger.certificate, root.certificate, inter.certificate]
        result = check(leaf, pool, [root.certificate])
        assert result.status == S.TRUSTED
        assert (leaf, inter.certificate, root.certificate) == result.path

    def test_junk_alone_is_untrusted(self, root: CA, inter: CA) -> None:
        """Only garbage and strangers in the pool: untrustedSigners, no crash."""
        pool = [b"\x00" * 10, CA(common_name="Stranger").certificate]
        result = check(issue(inter, "example.test"), pool, [root.certificate])
        assert result.status == S.UNTRUSTED_SIGNERS


class TestHost:
    def test_wrong_host_is_principal_mismatch(self, root: CA, inter: CA) -> None:
        """A valid chain for another name: principalMismatch, naming the host."""
        leaf = issue(inter, "example.test")
        result = check(leaf, [inter.certificate], [root.certificate], host="other.test")
        assert result.status == S.PRINCIPAL_MISMATCH
        assert "other.test" in result.problems[0].message

    def test_wildcard_matches_one_label(self, root: CA, inter: CA) -> None:
        """*.example.test matches www.example.test but not a.b.example.test."""
        leaf = issue(inter, "*.example.test")
        good = check(leaf, [inter.certificate], [root.certificate], host="www.example.test")
        bad = check(leaf, [inter.certificate], [root.certificate], host="a.b.example.test")
        assert good.status == S.TRUSTED
        assert bad.status == S.PRINCIPAL_MISMATCH

    def test_ip_address_host(self, root: CA, inter: CA) -> None:
        """An IP SAN matches that address, not a neighbour, and not as a DNS name."""
        leaf = issue(inter, "127.0.0.1")
        pool, anchors = [inter.certificate], [root.certificate]
        assert check(leaf, pool, anchors, host="127.0.0.1").status == S.TRUSTED
        assert check(leaf, pool, anchors, host="127.0.0.2").status == S.PRINCIPAL_MISMATCH
        dns_only = issue(inter, "localhost")
        assert check(dns_only, pool, anchors, host="127.0.0.1").status == S.PRINCIPAL_MISMATCH

    def test_ipv6_host_with_brackets(self, root: CA, inter: CA) -> None:
        """[::1] is checked as the IPv6 address ::1."""
        leaf = issue(inter, "::1")
        pool, anchors = [inter.certificate], [root.certificate]
        assert check(leaf, pool, anchors, host="[::1]").status == S.TRUSTED
        assert check(leaf, pool, anchors, host="::2").status == S.PRINCIPAL_MISMATCH

    def test_no_host_skips_the_name_check(self, root: CA, inter: CA) -> None:
        """host=None verifies the chain only (what the audit does for a bare chain)."""
        leaf = issue(inter, "example.test")
        assert check(leaf, [inter.certificate], [root.certificate], host=None).status == S.TRUSTED


class TestValidity:
    def test_expired_leaf(self, root: CA, inter: CA) -> None:
        """Past the leaf's notAfter: expired; the day before: trusted."""
        end = datetime(2029, 1, 1, tzinfo=UTC)
        leaf = issue(inter, "example.test", not_after=end)
        pool, anchors = [inter.certificate], [root.certificate]
        after = check(leaf, pool, anchors, at=end + timedelta(seconds=1))
        before = check(leaf, pool, anchors, at=end - timedelta(days=1))
        assert after.status == S.EXPIRED
        assert before.status == S.TRUSTED

    def test_not_yet_valid_leaf(self, root: CA, inter: CA) -> None:
        """Before the leaf's notBefore: notYetValid; just after: trusted."""
        start = datetime(2031, 1, 1, tzinfo=UTC)
        leaf = issue(inter, "example.test", not_before=start)
        pool, anchors = [inter.certificate], [root.certificate]
        assert check(leaf, pool, anchors, at=start - timedelta(1)).status == S.NOT_YET_VALID
        assert check(leaf, pool, anchors, at=start + timedelta(1)).status == S.TRUSTED

    def test_expired_intermediate_is_invalid_chain(self, root: CA) -> None:
        """An expired CA on the only path: invalidChain (expired is for the server cert)."""
        old = root.create_child_ca(not_after=datetime(2029, 1, 1, tzinfo=UTC))
        leaf = issue(old, "example.test")
        late = check(leaf, [old.certificate], [root.certificate])
        early = check(
            leaf, [old.certificate], [root.certificate], at=datetime(2028, 1, 1, tzinfo=UTC)
        )
        assert late.status == S.INVALID_CHAIN
        assert late.problems[0].code == "expired"
        assert late.problems[0].depth == 1
        assert early.status == S.TRUSTED

    def test_naive_time_is_rejected(self, root: CA, inter: CA) -> None:
        """A naive datetime is an ArgumentError, not a guess at the time zone."""
        with pytest.raises(ArgumentError, match="timezone"):
            check(issue(inter, "example.test"), [], [root.certificate], at=datetime(2030, 1, 1))


class TestPrecedence:
    def test_expired_and_wrong_host_reports_expired(self, root: CA, inter: CA) -> None:
        """Several problems: all are listed and the status follows the precedence."""
        leaf = issue(inter, "example.test", not_after=datetime(2029, 1, 1, tzinfo=UTC))
        result = check(leaf, [inter.certificate], [root.certificate], host="other.test")
        assert result.status == S.EXPIRED
        assert {"expired", "host_mismatch"} == {p.code for p in result.problems}

    def test_untrusted_beats_expired(self, inter: CA) -> None:
        """No anchor and expired: untrustedSigners, the more decisive."""
        leaf = issue(inter, "example.test", not_after=datetime(2029, 1, 1, tzinfo=UTC))
        assert check(leaf, [inter.certificate], []).status == S.UNTRUSTED_SIGNERS


class TestCAConstraints:
    def test_not_a_ca_intermediate(self, root: CA) -> None:
        """An intermediate with CA:false cannot issue: invalidChain; with CA:true: trusted."""
        fake = root.create_child_ca(is_ca=False)
        real = root.create_child_ca()
        bad = check(issue(fake, "example.test"), [fake.certificate], [root.certificate])
        good = check(issue(real, "example.test"), [real.certificate], [root.certificate])
        assert bad.status == S.INVALID_CHAIN
        assert "not_a_ca" in {p.code for p in bad.problems}
        assert good.status == S.TRUSTED

    def test_path_length(self, root: CA) -> None:
        """pathLen 0 allows a leaf below, not another CA: invalidChain; pathLen 1 allows it."""
        tight = root.create_child_ca(path_length=0)
        sub = tight.create_child_ca()
        loose = root.create_child_ca(path_length=1)
        sub_ok = loose.create_child_ca()
        bad = check(
            issue(sub, "example.test"), [tight.certificate, sub.certificate], [root.certificate]
        )
        good = check(
            issue(sub_ok, "example.test"),
            [loose.certificate, sub_ok.certificate],
            [root.certificate],
        )
        direct = check(issue(tight, "example.test"), [tight.certificate], [root.certificate])
        assert bad.status == S.INVALID_CHAIN
        assert "path_length" in {p.code for p in bad.problems}
        assert good.status == S.TRUSTED
        assert direct.status == S.TRUSTED


class TestLeafRules:
    def test_leaf_without_server_auth(self, root: CA, inter: CA) -> None:
        """An EKU without serverAuth: invalid; without any EKU: trusted."""
        client = issue(inter, "example.test", extended_key_usage=[ExtendedKeyUsageOID.CLIENT_AUTH])
        no_eku = issue(inter, "example.test", extended_key_usage=None)
        bad = check(client, [inter.certificate], [root.certificate])
        good = check(no_eku, [inter.certificate], [root.certificate])
        assert bad.status == S.INVALID
        assert bad.problems[0].code == "extended_key_usage"
        assert good.status == S.TRUSTED

    def test_unknown_critical_extension(self, root: CA, inter: CA) -> None:
        """An unknown extension marked critical: invalid; the same one non-critical: trusted."""
        ext = x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00")
        crit = issue(inter, "example.test", extra_extensions=[(ext, True)])
        plain = issue(inter, "example.test", extra_extensions=[(ext, False)])
        bad = check(crit, [inter.certificate], [root.certificate])
        assert bad.status == S.INVALID
        assert bad.problems[0].code == "unknown_critical_extension"
        assert check(plain, [inter.certificate], [root.certificate]).status == S.TRUSTED

    def test_rsa_1024_leaf(self, root: CA, inter: CA) -> None:
        """RSA-1024: invalid under webpki, accepted under rfc5280; RSA-2048: trusted."""
        weak = issue(inter, "example.test", key_type=KeyType.RSA_1024)
        strong = issue(inter, "example.test", key=fixed_key("spare-1", KeyType.RSA_2048))
        pool, anchors = [inter.certificate], [root.certificate]
        bad = check(weak, pool, anchors)
        assert bad.status == S.INVALID
        assert bad.problems[0].code == "weak_key"
        assert check(weak, pool, anchors, profile="rfc5280").status == S.TRUSTED
        assert check(strong, pool, anchors).status == S.TRUSTED

    def test_leaf_is_a_ca(self, root: CA, inter: CA) -> None:
        """A CA certificate used as a server certificate: invalid under webpki."""
        sub = inter.create_child_ca()
        sub_leaf = issue(sub, "example.test")
        subject_is_ca = check(sub.certificate, [inter.certificate], [root.certificate], host=None)
        assert subject_is_ca.status == S.INVALID
        assert "leaf_is_ca" in {p.code for p in subject_is_ca.problems}
        assert (
            check(sub_leaf, [inter.certificate, sub.certificate], [root.certificate]).status
            == S.TRUSTED
        )


class TestSelfSigned:
    def test_pinned_self_signed_server(self) -> None:
        """A self-signed server certificate added as an anchor is trusted on its own."""
        pinned = CA(common_name="pinned").certificate
        result = check(pinned, [], [pinned], host=None)
        assert result.status == S.TRUSTED
        assert (pinned,) == result.path

    def test_self_signed_not_pinned(self) -> None:
        """The same self-signed certificate, not added: untrustedSigners."""
        own = CA(common_name="pinned")
        assert check(own.certificate, [], [], host=None).status == S.UNTRUSTED_SIGNERS

    def test_pinned_leaf_still_checks_host_and_dates(self) -> None:
        """Pinning trusts the key, not the name or the dates."""
        own = CA(common_name="pinned", not_after=datetime(2029, 1, 1, tzinfo=UTC))
        pinned = own.certificate
        assert check(pinned, [], [pinned], host=None).status == S.EXPIRED
        early = check(
            pinned, [], [pinned], host="example.test", at=datetime(2028, 1, 1, tzinfo=UTC)
        )
        assert early.status == S.PRINCIPAL_MISMATCH


class TestNameConstraints:
    def test_permitted_dns(self, root: CA) -> None:
        """A CA limited to example.test: a subdomain is trusted, another domain invalidChain."""
        limited = root.create_child_ca(permitted_names=["example.test"])
        pool, anchors = [limited.certificate], [root.certificate]
        ok = check(issue(limited, "www.example.test"), pool, anchors, host="www.example.test")
        bad = check(issue(limited, "evil.test"), pool, anchors, host="evil.test")
        assert ok.status == S.TRUSTED
        assert bad.status == S.INVALID_CHAIN
        assert bad.problems[0].code == "name_constraints"

    def test_suffix_is_not_a_label_boundary(self, root: CA) -> None:
        """Permitted example.test does not allow badexample.test."""
        limited = root.create_child_ca(permitted_names=["example.test"])
        result = check(
            issue(limited, "badexample.test"),
            [limited.certificate],
            [root.certificate],
            host="badexample.test",
        )
        assert result.status == S.INVALID_CHAIN

    def test_excluded_ip_network(self, root: CA) -> None:
        """An excluded 10.0.0.0/8: 10.1.2.3 is invalidChain, 192.0.2.1 trusted."""
        limited = root.create_child_ca(excluded_names=["10.0.0.0/8"])
        pool, anchors = [limited.certificate], [root.certificate]
        bad = check(issue(limited, "10.1.2.3"), pool, anchors, host="10.1.2.3")
        ok = check(issue(limited, "192.0.2.1"), pool, anchors, host="192.0.2.1")
        assert bad.status == S.INVALID_CHAIN
        assert ok.status == S.TRUSTED

    def test_constraints_apply_through_lower_cas(self, root: CA) -> None:
        """A constraint on a higher CA binds leaves issued by CAs below it."""
        limited = root.create_child_ca(permitted_names=["example.test"])
        lower = limited.create_child_ca()
        pool, anchors = [limited.certificate, lower.certificate], [root.certificate]
        bad = check(issue(lower, "evil.test"), pool, anchors, host="evil.test")
        ok = check(issue(lower, "a.example.test"), pool, anchors, host="a.example.test")
        assert bad.status == S.INVALID_CHAIN
        assert ok.status == S.TRUSTED


class TestArguments:
    def test_unparseable_leaf(self, root: CA) -> None:
        """A leaf that is not a certificate: ArgumentError."""
        with pytest.raises(ArgumentError, match="leaf"):
            check(b"not a certificate", [], [root.certificate])

    def test_unparseable_anchor(self, root: CA, inter: CA) -> None:
        """An anchor that is not a certificate is a configuration error, not ignored."""
        with pytest.raises(ArgumentError, match="anchors"):
            check(issue(inter, "example.test"), [], [b"garbage"])

    def test_bad_profile_and_trust(self, root: CA, inter: CA) -> None:
        """Unknown profile or trust values are ArgumentErrors."""
        leaf = issue(inter, "example.test")
        with pytest.raises(ArgumentError, match="profile"):
            check(leaf, [], [root.certificate], profile="lenient")
        with pytest.raises(ArgumentError, match="trust"):
            verify_chain(leaf, trust="everything", revocation="off")

    def test_bad_policy_settings(self, root: CA, inter: CA) -> None:
        """A policy mapping with unknown keys or non-OIDs is an ArgumentError."""
        leaf = issue(inter, "example.test")
        with pytest.raises(ArgumentError, match="unknown policy"):
            check(leaf, [], [root.certificate], policy={"initial_policy": []})
        with pytest.raises(ArgumentError, match="OID"):
            check(leaf, [], [root.certificate], policy={"initial_policy_set": ["nope"]})

    def test_single_certificate_as_pool(self, root: CA, inter: CA) -> None:
        """Passing one certificate where a sequence is expected is caught, not iterated."""
        with pytest.raises(ArgumentError, match="sequence"):
            check(issue(inter, "example.test"), inter.certificate, [root.certificate])


class TestRevocation:
    """verify_chain hands the validated path to the revocation layer (offline data only)."""

    @pytest.fixture
    def revocable(self):
        root = CA(common_name="Revocation Root")
        inter = root.create_child_ca(common_name="Revocation Intermediate")
        leaf = issue(inter, "example.test")
        return root, inter, leaf

    def run(self, revocable, policy: str, *, crls=(), ocsp=()):
        root, inter, leaf = revocable
        return verify_chain(
            leaf,
            [inter.certificate],
            anchors=[root.certificate],
            trust="none",
            host="example.test",
            at=NOW,
            revocation=policy,
            crls=crls,
            ocsp_responses=ocsp,
        )

    def test_off_checks_nothing(self, revocable) -> None:
        """revocation="off": trusted even when revoked, and no report (AIR's hole, on purpose)."""
        _root, inter, leaf = revocable
        inter.revoke(leaf, at=NOW - timedelta(days=1))
        result = self.run(revocable, "off", crls=[inter.crl(at=NOW - timedelta(hours=1))])
        assert result.status == S.TRUSTED
        assert result.revocation is None

    def test_revoked_leaf_by_crl(self, revocable) -> None:
        """A CRL listing the leaf: revoked under hard-fail; a CRL that does not: trusted."""
        root, inter, leaf = revocable
        clean_inter = inter.crl(at=NOW - timedelta(hours=1))
        clean_root = root.crl(at=NOW - timedelta(hours=1))
        good = self.run(revocable, "hard-fail", crls=[clean_inter, clean_root])
        assert good.status == S.TRUSTED
        assert good.revocation is not None
        assert good.revocation.accepted
        inter.revoke(leaf, at=NOW - timedelta(days=1))
        revoked_crl = inter.crl(at=NOW - timedelta(hours=1))
        bad = self.run(revocable, "hard-fail", crls=[revoked_crl, clean_root])
        assert bad.status == S.REVOKED
        assert not bad.trusted
        assert bad.to_dict()["revocation"] is not None
        assert [p.code for p in bad.problems] == ["revocation"]
        assert bad.summary().startswith("revoked: ")

    def test_require_without_data_is_invalid(self, revocable) -> None:
        """Under require, no revocation data at all: invalid; under soft-fail: trusted."""
        required = self.run(revocable, "require")
        assert required.status == S.INVALID
        assert required.problems[0].status == S.INVALID
        assert self.run(revocable, "soft-fail").status == S.TRUSTED

    def test_chain_problems_come_first(self, revocable) -> None:
        """A chain problem gives the same status under every policy (revocation not run)."""
        root, _inter, leaf = revocable
        for policy in ("off", "soft-fail", "hard-fail", "require"):
            result = verify_chain(
                leaf, [], anchors=[root.certificate], trust="none", revocation=policy, at=NOW
            )
            assert result.status == S.UNTRUSTED_SIGNERS
            assert result.revocation is None

    def test_unknown_policy(self, revocable) -> None:
        """An unknown revocation value is an ArgumentError."""
        with pytest.raises(ArgumentError, match="revocation"):
            self.run(revocable, "maybe")


class TestReport:
    def test_to_dict_is_json(self, root: CA, inter: CA) -> None:
        """to_dict() serialises with json and names the path and the problems."""
        leaf = issue(inter, "example.test")
        bad = check(leaf, [inter.certificate], [root.certificate], host="other.test")
        data = json.loads(json.dumps(bad.to_dict()))
        assert data["status"] == "principalMismatch"
        assert data["trusted"] is False
        assert len(data["path"]) == 3
        assert data["problems"][0]["code"] == "host_mismatch"
        assert bad.summary().startswith("principalMismatch: ")


CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


class TestCAExtendedKeyUsage:
    def test_ca_eku_must_allow_server_auth(self) -> None:
        """Under webpki an intermediate whose EKU lists only clientAuth cannot vouch for a TLS
        server (invalidChain); with serverAuth listed it can; rfc5280 does not judge CA EKUs."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        root = CA(common_name="EKU Root")

        def intermediate(usages):
            key = ec.generate_private_key(ec.SECP256R1())
            name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "EKU CA")])
            cert = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(root.certificate.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(datetime(2025, 1, 1, tzinfo=UTC))
                .not_valid_after(datetime(2040, 1, 1, tzinfo=UTC))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(CA_KEY_USAGE, critical=True)  # webpki: a CA must have keyUsage
                .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
                .sign(root.private_key, hashes.SHA256())
            )
            leaf = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "leaf")]))
                .issuer_name(name)
                .public_key(ec.generate_private_key(ec.SECP256R1()).public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(datetime(2025, 1, 1, tzinfo=UTC))
                .not_valid_after(datetime(2040, 1, 1, tzinfo=UTC))
                .add_extension(
                    x509.SubjectAlternativeName([x509.DNSName("example.test")]), critical=False
                )
                .sign(key, hashes.SHA256())
            )
            return cert, leaf

        client_ca, client_leaf = intermediate([ExtendedKeyUsageOID.CLIENT_AUTH])
        server_ca, server_leaf = intermediate([ExtendedKeyUsageOID.SERVER_AUTH])
        bad = check(client_leaf, [client_ca], [root.certificate])
        assert bad.status == S.INVALID_CHAIN
        assert [p.code for p in bad.problems] == ["extended_key_usage"]
        assert check(server_leaf, [server_ca], [root.certificate]).status == S.TRUSTED
        lenient = check(client_leaf, [client_ca], [root.certificate], profile="rfc5280")
        assert lenient.status == S.TRUSTED


class TestLeafKeyUsage:
    def test_key_usage_must_allow_tls(self) -> None:
        """A leaf whose keyUsage is only contentCommitment cannot serve TLS (invalid); with
        digitalSignature it can."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        root = CA(common_name="KU Root")
        flags = dict.fromkeys(
            (
                "digital_signature", "content_commitment", "key_encipherment",
                "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign",
                "encipher_only", "decipher_only",
            ),
            False,
        )  # fmt: skip

        def leaf_with(**usage: bool) -> x509.Certificate:
            return (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "ku")]))
                .issuer_name(root.certificate.subject)
                .public_key(ec.generate_private_key(ec.SECP256R1()).public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(datetime(2025, 1, 1, tzinfo=UTC))
                .not_valid_after(datetime(2040, 1, 1, tzinfo=UTC))
                .add_extension(x509.KeyUsage(**{**flags, **usage}), critical=True)
                .add_extension(
                    x509.SubjectAlternativeName([x509.DNSName("example.test")]), critical=False
                )
                .sign(root.private_key, hashes.SHA256())
            )

        bad = check(leaf_with(content_commitment=True), [], [root.certificate])
        assert bad.status == S.INVALID
        assert [p.code for p in bad.problems] == ["key_usage"]
        good = check(leaf_with(digital_signature=True), [], [root.certificate])
        assert good.status == S.TRUSTED


class TestArgumentShapes:
    @pytest.mark.parametrize("bad", [None, "certs.pem", 42])
    def test_pool_that_is_not_a_sequence(self, root: CA, inter: CA, bad) -> None:
        """None, a string or a number where a sequence of certificates belongs: ArgumentError."""
        leaf = issue(inter, "example.test")
        with pytest.raises(ArgumentError, match="sequence"):
            verify_chain(leaf, bad, anchors=[root.certificate], trust="none", revocation="off")
        with pytest.raises(ArgumentError, match="sequence"):
            verify_chain(leaf, [], anchors=bad, trust="none", revocation="off")

    @pytest.mark.parametrize("bad", [None, "leaf", 3.5])
    def test_leaf_of_the_wrong_type(self, root: CA, bad) -> None:
        """A leaf that is neither bytes nor a certificate: ArgumentError naming the leaf."""
        with pytest.raises(ArgumentError, match="leaf"):
            verify_chain(bad, anchors=[root.certificate], trust="none", revocation="off")

    def test_generators_are_accepted(self, root: CA, inter: CA) -> None:
        """Any iterable works for the pool and the anchors (a generator, a tuple)."""
        leaf = issue(inter, "example.test")
        result = verify_chain(
            leaf,
            (c for c in [inter.certificate]),
            anchors=(root.certificate,),
            trust="none",
            revocation="off",
            host="example.test",
            at=NOW,
        )
        assert result.status == S.TRUSTED
