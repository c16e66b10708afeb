"""The scenario catalogue: its table follows the contract, its materials say what it claims."""

from __future__ import annotations

import datetime as dt
import re
import socket
import ssl
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from securesocket import CertificateStatus
from securesocket.revocation.fetch import Fetchers
from securesocket.testing import scenarios as catalogue
from securesocket.testing.ocsp_servers import OCSPFault
from securesocket.testing.scenarios import SCENARIOS, Materials, crl_urls, ocsp_url


S = CertificateStatus
CONTRACTS = Path(__file__).resolve().parent.parent / "docs" / "CONTRACTS.md"

REQUIRED = {
    "good", "expired-leaf", "expired-intermediate", "not-yet-valid", "wrong-host",
    "ip-address-host", "self-signed", "untrusted-root", "missing-intermediate",
    "self-signed-trusted", "cross-signed", "intermediate-not-ca", "path-length-exceeded",
    "name-constraint-violation", "sha1-signature", "rsa-1024-key", "leaf-without-server-auth",
    "revoked-by-crl", "revoked-by-ocsp", "revoked-via-staple", "no-revocation-info",
    "ocsp-responder-down", "crl-server-down", "stale-crl", "must-staple-without-staple",
    "revoked-responder-down", "revoked-no-revocation-info", "ocsp-responder-slow",
}  # fmt: skip


def contract_rows() -> dict[str, Mapping[str, S]]:
    """The "Which status each revocation outcome gives" table, read from docs/CONTRACTS.md."""
    text = CONTRACTS.read_text()
    section = text.split("## Which status each revocation outcome gives", 1)[1]
    rows: dict[str, Mapping[str, S]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("outcome on the validated path", "---"):
            continue
        statuses = [S(cell.split()[0]) for cell in cells[1:]]
        rows[cells[0]] = dict(zip(catalogue.POLICIES, statuses, strict=True))
    return rows


def test_the_expectation_rows_are_the_contract_table() -> None:
    rows = contract_rows()
    by_words = {
        "every declared source": catalogue.ALL_GOOD,
        "a certificate is revoked": catalogue.REVOKED,
        "no revocation information": catalogue.NO_INFO,
        "declared source down": catalogue.UNAVAILABLE,
        "only stale data": catalogue.STALE,
        "Must-Staple leaf": catalogue.MUST_STAPLE_MISSING,
    }
    assert len(rows) == len(by_words)
    for words, row in by_words.items():
        (label,) = [label for label in rows if words in label]
        assert dict(row) == rows[label], label


def test_every_required_scenario_exists_with_a_full_table() -> None:
    assert set(SCENARIOS) >= REQUIRED
    for scenario in SCENARIOS.values():
        assert tuple(scenario.expected) == catalogue.POLICIES
        assert scenario.description
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", scenario.name)


def test_every_status_but_unknown_is_some_scenarios_outcome() -> None:
    seen = {status for s in SCENARIOS.values() for status in s.expected.values()}
    assert seen == set(S) - {S.UNKNOWN}


def test_chain_scenarios_are_policy_independent_and_revocation_ones_use_a_contract_row() -> None:
    rows = [dict(r) for r in contract_rows().values()]
    for scenario in SCENARIOS.values():
        if scenario.kind == "chain":
            assert len(set(scenario.expected.values())) == 1, scenario.name
        else:
            assert dict(scenario.expected) in rows, scenario.name


def issued_path(m: Materials) -> list[x509.Certificate]:
    return [c for c in m.path_certificates if c.issuer != c.subject]


@pytest.mark.parametrize("name", [n for n, s in SCENARIOS.items() if s.kind == "chain"])
def test_chain_scenarios_carry_working_revocation_sources(name: str) -> None:
    """So that "require" means something for them: OCSP and a reachable CRL on every
    certificate below the anchor (self-signed leaves have no issuer to ask)."""
    m = SCENARIOS[name].materials()
    reachable = {f"{m.endpoints.crl_base}/{p}" for p in m.reachable_crl_paths}
    for cert in issued_path(m):
        assert ocsp_url(cert) == m.endpoints.ocsp_url, (name, cert.subject)
        assert set(crl_urls(cert)) <= reachable, (name, cert.subject)
        assert crl_urls(cert), (name, cert.subject)


def leaf_serial_in_crls(m: Materials) -> bool:
    serial = m.leaf.certificate.serial_number
    return any(c.get_revoked_certificate_by_serial_number(serial) is not None for c in m.crls)


def leaf_answers(m: Materials) -> list[ocsp.OCSPCertStatus]:
    serial = m.leaf.certificate.serial_number
    return [
        r.certificate_status
        for r in m.ocsp_responses
        if r.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL and r.serial_number == serial
    ]


class TestOfflineMaterials:
    """Each scenario's materials show its situation, and its twin shows the opposite."""

    def test_revoked_by_crl_is_listed_and_good_is_not(self) -> None:
        assert leaf_serial_in_crls(SCENARIOS["revoked-by-crl"].materials())
        assert ocsp_url(SCENARIOS["revoked-by-crl"].materials().leaf.certificate) is None
        assert not leaf_serial_in_crls(SCENARIOS["good"].materials())

    def test_revoked_by_ocsp_answers_revoked_and_good_answers_good(self) -> None:
        revoked = SCENARIOS["revoked-by-ocsp"].materials()
        assert leaf_answers(revoked) == [ocsp.OCSPCertStatus.REVOKED]
        assert crl_urls(revoked.leaf.certificate) == ()
        assert leaf_answers(SCENARIOS["good"].materials()) == [ocsp.OCSPCertStatus.GOOD]

    def test_revoked_intermediate_is_on_the_roots_crl(self) -> None:
        m = SCENARIOS["revoked-intermediate"].materials()
        serial = m.sent[0].serial_number
        assert any(c.get_revoked_certificate_by_serial_number(serial) for c in m.crls)
        assert not leaf_serial_in_crls(m)

    @pytest.mark.parametrize(
        ("name", "status"),
        [("revoked-via-staple", ocsp.OCSPCertStatus.REVOKED),
         ("must-staple-with-staple", ocsp.OCSPCertStatus.GOOD)],
    )  # fmt: skip
    def test_staples_are_about_the_leaf(self, name: str, status: ocsp.OCSPCertStatus) -> None:
        m = SCENARIOS[name].materials()
        assert m.staple is not None
        staple = ocsp.load_der_ocsp_response(m.staple)
        assert staple.serial_number == m.leaf.certificate.serial_number
        assert staple.certificate_status is status
        assert SCENARIOS["must-staple-without-staple"].materials().staple is None

    def test_must_staple_is_marked_only_where_it_belongs(self) -> None:
        def must_staple(name: str) -> bool:
            cert = SCENARIOS[name].materials().leaf.certificate
            try:
                feature = cert.extensions.get_extension_for_class(x509.TLSFeature).value
            except x509.ExtensionNotFound:
                return False
            return x509.TLSFeatureType.status_request in feature

        assert must_staple("must-staple-without-staple")
        assert must_staple("must-staple-with-staple")
        assert not must_staple("good")

    def test_stale_crl_is_past_next_update_and_a_fresh_one_is_not(self) -> None:
        stale = SCENARIOS["stale-crl"].materials()
        (leaf_crl,) = [c for c in stale.crls if c.issuer == stale.leaf.certificate.issuer]
        assert leaf_crl.next_update_utc is not None
        assert leaf_crl.next_update_utc < stale.verification_time
        good = SCENARIOS["good"].materials()
        (fresh,) = [c for c in good.crls if c.issuer == good.leaf.certificate.issuer]
        assert fresh.next_update_utc is not None
        assert fresh.last_update_utc < good.verification_time < fresh.next_update_utc

    def test_stale_ocsp_is_past_next_update(self) -> None:
        m = SCENARIOS["stale-ocsp"].materials()
        (answer,) = [
            r for r in m.ocsp_responses if r.serial_number == m.leaf.certificate.serial_number
        ]
        assert answer.next_update_utc is not None
        assert answer.next_update_utc < m.verification_time

    def test_unavailable_sources_give_nothing_usable_for_the_leaf(self) -> None:
        for name in ("crl-server-down", "crl-garbage", "ocsp-responder-down"):
            m = SCENARIOS[name].materials()
            issuer = m.leaf.certificate.issuer
            assert not [c for c in m.crls if c.issuer == issuer], name
            assert leaf_answers(m) == [], name
        try_later = SCENARIOS["ocsp-try-later"].materials()
        assert [r.response_status for r in try_later.ocsp_responses] == [
            ocsp.OCSPResponseStatus.TRY_LATER
        ]

    @pytest.mark.parametrize(
        ("name", "twin"),
        [("revoked-responder-down", "ocsp-responder-down"),
         ("revoked-no-revocation-info", "no-revocation-info")],
    )  # fmt: skip
    def test_revoked_where_no_client_can_learn_it(self, name: str, twin: str) -> None:
        """The CA's own CRL lists the leaf, yet nothing the leaf declares leads to it; the
        twin is the same situation without the revocation."""
        m = SCENARIOS[name].materials()
        serial = m.leaf.certificate.serial_number
        cas_crl = x509.load_der_x509_crl(m.crl_files["intermediate.crl"])
        assert cas_crl.get_revoked_certificate_by_serial_number(serial) is not None
        assert not leaf_serial_in_crls(m)  # not among the CRLs a client can reach
        assert leaf_answers(m) == []
        assert crl_urls(m.leaf.certificate) == ()
        declared = ocsp_url(m.leaf.certificate)
        if name == "revoked-responder-down":
            assert declared is not None
            assert declared.startswith(m.endpoints.down_base)
        else:
            assert declared is None
        t = SCENARIOS[twin].materials()
        twin_crl = x509.load_der_x509_crl(t.crl_files["intermediate.crl"])
        assert twin_crl.get_revoked_certificate_by_serial_number(
            t.leaf.certificate.serial_number
        ) is None  # fmt: skip
        assert ocsp_url(t.leaf.certificate) == declared  # the same sources, the same fate

    def test_a_slow_responder_gives_nothing_offline(self) -> None:
        m = SCENARIOS["ocsp-responder-slow"].materials()
        assert m.ocsp_fault is OCSPFault.SLOW
        assert ocsp_url(m.leaf.certificate) == m.endpoints.ocsp_url
        assert crl_urls(m.leaf.certificate) == ()
        assert leaf_answers(m) == []  # the answer never arrives in time
        assert leaf_answers(SCENARIOS["ocsp-delegated-responder"].materials()) == [
            ocsp.OCSPCertStatus.GOOD
        ]

    def test_no_revocation_info_declares_nothing_and_good_declares_both(self) -> None:
        bare = SCENARIOS["no-revocation-info"].materials().leaf.certificate
        assert ocsp_url(bare) is None
        assert crl_urls(bare) == ()
        good = SCENARIOS["good"].materials().leaf.certificate
        assert ocsp_url(good) is not None
        assert crl_urls(good) != ()

    def test_unauthorised_signer_lacks_ocsp_signing(self) -> None:
        m = SCENARIOS["ocsp-unauthorised-signer"].materials()
        (answer,) = m.ocsp_responses
        (signer,) = answer.certificates
        eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING not in eku

    def test_delegated_responder_is_authorised_by_the_issuer(self) -> None:
        m = SCENARIOS["ocsp-delegated-responder"].materials()
        (answer,) = [
            r for r in m.ocsp_responses if r.serial_number == m.leaf.certificate.serial_number
        ]
        (signer,) = answer.certificates
        eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING in eku
        assert signer.issuer == m.leaf.certificate.issuer
        assert answer.certificate_status is ocsp.OCSPCertStatus.GOOD

    def test_validity_scenarios_straddle_the_validation_time(self) -> None:
        expired = SCENARIOS["expired-leaf"].materials()
        assert expired.leaf.certificate.not_valid_after_utc < expired.verification_time
        early = SCENARIOS["not-yet-valid"].materials()
        assert early.leaf.certificate.not_valid_before_utc > early.verification_time
        inter = SCENARIOS["expired-intermediate"].materials().sent[0]
        assert inter.not_valid_after_utc < catalogue.VERIFICATION_TIME
        good = SCENARIOS["good"].materials().leaf.certificate
        assert good.not_valid_before_utc < catalogue.VERIFICATION_TIME < good.not_valid_after_utc

    def test_weak_scenarios_are_weak(self) -> None:
        sha1 = SCENARIOS["sha1-signature"].materials().leaf.certificate
        assert isinstance(sha1.signature_hash_algorithm, hashes.SHA1)
        weak = SCENARIOS["rsa-1024-key"].materials().leaf.certificate.public_key()
        assert weak.key_size == 1024  # type: ignore[union-attr]
        assert SCENARIOS["sha1-signature"].weak
        assert not SCENARIOS["good"].weak

    def test_trusted_and_untrusted_additions(self) -> None:
        missing = SCENARIOS["missing-intermediate"].materials()
        assert missing.sent == ()
        assert missing.untrusted == (missing.cas["intermediate"].certificate,)
        unresolved = SCENARIOS["missing-intermediate-not-added"].materials()
        assert unresolved.untrusted == ()
        trusted_self = SCENARIOS["self-signed-trusted"].materials()
        assert trusted_self.trusted == (trusted_self.leaf.certificate,)
        assert trusted_self.leaf.certificate not in SCENARIOS["self-signed"].materials().trusted

    def test_cross_signed_has_an_expired_path_and_a_good_one(self) -> None:
        m = SCENARIOS["cross-signed"].materials()
        cross = m.sent[1]
        assert cross.not_valid_after_utc < m.verification_time
        assert cross.subject == m.cas["new-root"].subject
        assert cross.issuer == m.cas["old-root"].subject
        assert m.cas["new-root"].certificate in m.anchors

    def test_verify_chain_arguments(self) -> None:
        m = SCENARIOS["missing-intermediate"].materials()
        args = m.verify_chain_arguments("require")
        assert args["revocation"] == "require"
        assert args["at"] == catalogue.VERIFICATION_TIME
        assert args["extra"] == m.untrusted
        assert args["anchors"] == m.trusted
        assert args["host"] == "localhost"

    def test_materials_can_be_built_for_another_time(self) -> None:
        later = catalogue.VERIFICATION_TIME + dt.timedelta(days=400)
        m = SCENARIOS["expired-leaf"].materials(at=later)
        assert m.verification_time == later
        assert m.leaf.certificate.not_valid_after_utc < later
        assert m.leaf.certificate.not_valid_after_utc > catalogue.VERIFICATION_TIME


class TestLive:
    def test_good_scenario_serves_tls_crls_and_ocsp_on_loopback(self) -> None:
        with SCENARIOS["good"].start() as live:
            assert live.host == "127.0.0.1"
            assert live.server_name == "localhost"
            context = ssl.create_default_context(cadata="".join(
                c.public_bytes(serialization.Encoding.PEM).decode() for c in live.materials.trusted
            ))  # fmt: skip
            with (
                socket.create_connection((live.host, live.port), timeout=10) as raw,
                context.wrap_socket(raw, server_hostname=live.server_name) as conn,
            ):
                conn.sendall(b"ping\n")
                assert conn.recv(100) == b"gnip\n"
            for url in crl_urls(live.materials.leaf.certificate):
                with urllib.request.urlopen(url, timeout=10) as reply:
                    crl = x509.load_der_x509_crl(reply.read())
                assert crl.issuer == live.materials.leaf.certificate.issuer
            assert ocsp_url(live.materials.leaf.certificate) == live.ocsp_responder.url
            assert live.expected is SCENARIOS["good"].expected
            assert len(live.anchors) == 1
            assert live.extra == ()

    def test_live_certificates_are_valid_now(self) -> None:
        with SCENARIOS["expired-leaf"].start() as live:
            now = dt.datetime.now(dt.UTC)
            assert live.materials.leaf.certificate.not_valid_after_utc < now
            assert live.materials.sent[0].not_valid_after_utc > now

    def test_untrusted_client_is_refused_by_the_live_server(self) -> None:
        with SCENARIOS["untrusted-root"].start() as live:
            context = ssl.create_default_context(cadata="".join(
                c.public_bytes(serialization.Encoding.PEM).decode() for c in live.materials.trusted
            ))  # fmt: skip
            with (
                socket.create_connection((live.host, live.port), timeout=10) as raw,
                pytest.raises(ssl.SSLCertVerificationError),
            ):
                context.wrap_socket(raw, server_hostname=live.server_name)

    def test_configure_adds_anchors_as_trusted_and_extras_as_not(self) -> None:
        added: list[tuple[bytes, bool]] = []

        class FakeSocket:
            def add_binary_chain_building_certificate(self, der: bytes, trusted: bool) -> None:
                added.append((der, trusted))

        with SCENARIOS["missing-intermediate"].start(server="python") as live:
            live.configure(FakeSocket())
        assert added == [(d, True) for d in live.anchors] + [(d, False) for d in live.extra]
        assert [t for _d, t in added] == [True, False]

    def test_slow_responder_answers_after_the_clients_timeout_and_stops_quietly(
        self, capfd: pytest.CaptureFixture[str], no_leftover_servers: None
    ) -> None:
        client_timeout = Fetchers().timeout  # what SecureSocket waits for one OCSP answer
        for name, answers in (("ocsp-responder-slow", False), ("ocsp-delegated-responder", True)):
            with SCENARIOS[name].start() as live:
                leaf, issuer = live.materials.leaf.certificate, live.materials.sent[0]
                request = (
                    ocsp.OCSPRequestBuilder()
                    .add_certificate(leaf, issuer, hashes.SHA1())  # noqa: S303 - CertID hash
                    .build()
                    .public_bytes(serialization.Encoding.DER)
                )
                post = urllib.request.Request(live.ocsp_responder.url, data=request)
                if answers:
                    with urllib.request.urlopen(post, timeout=10) as reply:
                        answer = ocsp.load_der_ocsp_response(reply.read())
                    assert answer.certificate_status is ocsp.OCSPCertStatus.GOOD
                else:
                    assert live.ocsp_responder.delay > client_timeout
                    with pytest.raises(TimeoutError):
                        urllib.request.urlopen(post, timeout=0.2)
        assert capfd.readouterr().err == ""

    def test_python_server_refuses_staple_scenarios(self) -> None:
        with (
            pytest.raises(ValueError, match="cannot"),
            SCENARIOS["revoked-via-staple"].start(server="python"),
        ):
            pass  # pragma: no cover - start() raises before yielding
