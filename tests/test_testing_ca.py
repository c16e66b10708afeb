"""The fixture CA kit: strict-verifier-clean leaves, key types, determinism, revocation, outputs."""

from __future__ import annotations

import contextlib
import datetime as dt
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError
from OpenSSL import SSL

from securesocket.testing import CA, KeyType, LeafCert, fixed_key


AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def verify(ca: CA, leaf: LeafCert, host: str = "localhost") -> list[x509.Certificate]:
    """cryptography's own web-PKI verifier: the strict reference our leaves must satisfy."""
    verifier = (
        PolicyBuilder()
        .store(Store([ca.root.certificate]))
        .time(AT)
        .build_server_verifier(x509.DNSName(host))
    )
    return verifier.verify(leaf.certificate, list(leaf.intermediates))


class TestStrictLeaves:
    def test_no_argument_ca_issues_a_leaf_a_strict_verifier_accepts(self) -> None:
        ca = CA()
        leaf = ca.issue_cert("localhost", not_before=AT - dt.timedelta(days=1))
        assert len(verify(ca, leaf)) == 2

    def test_strict_verifier_rejects_the_leaf_for_another_host(self) -> None:
        ca = CA()
        leaf = ca.issue_cert("localhost", not_before=AT - dt.timedelta(days=1))
        with pytest.raises(VerificationError):
            verify(ca, leaf, host="example.com")

    def test_strict_verifier_rejects_a_leaf_from_another_ca(self) -> None:
        ca, other = CA(), CA()
        leaf = other.issue_cert("localhost", not_before=AT - dt.timedelta(days=1))
        with pytest.raises(VerificationError):
            verify(ca, leaf)

    def test_intermediate_chain_verifies_and_breaks_without_the_intermediate(self) -> None:
        root = CA()
        inter = root.create_child_ca(path_length=0)
        leaf = inter.issue_cert("localhost", not_before=AT - dt.timedelta(days=1))
        assert leaf.intermediates == (inter.certificate,)
        assert len(verify(inter, leaf)) == 3
        bare = LeafCert(leaf.private_key, leaf.certificate, ())
        with pytest.raises(VerificationError):
            verify(inter, bare)

    def test_leaf_extensions_have_the_strict_shape(self) -> None:
        ca = CA(ocsp_url="http://127.0.0.1:1/", crl_url="http://127.0.0.1:1/ca.crl")
        cert = ca.issue_cert("localhost", "127.0.0.1").certificate
        ext = {e.oid: e for e in cert.extensions}
        assert ext[ExtensionOID.SUBJECT_ALTERNATIVE_NAME].critical is False
        san = ext[ExtensionOID.SUBJECT_ALTERNATIVE_NAME].value
        assert isinstance(san, x509.SubjectAlternativeName)
        assert san.get_values_for_type(x509.DNSName) == ["localhost"]
        assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
        assert ext[ExtensionOID.EXTENDED_KEY_USAGE].critical is False
        assert list(ext[ExtensionOID.EXTENDED_KEY_USAGE].value) == [ExtendedKeyUsageOID.SERVER_AUTH]
        usage = ext[ExtensionOID.KEY_USAGE]
        assert usage.critical is True
        assert isinstance(usage.value, x509.KeyUsage)
        assert usage.value.digital_signature
        assert not usage.value.key_cert_sign
        constraints = ext[ExtensionOID.BASIC_CONSTRAINTS]
        assert constraints.critical is True
        assert isinstance(constraints.value, x509.BasicConstraints)
        assert constraints.value.ca is False
        aki = ext[ExtensionOID.AUTHORITY_KEY_IDENTIFIER].value
        ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        assert isinstance(aki, x509.AuthorityKeyIdentifier)
        assert aki.key_identifier == ski.digest
        aia = ext[ExtensionOID.AUTHORITY_INFORMATION_ACCESS].value
        assert isinstance(aia, x509.AuthorityInformationAccess)
        assert [d.access_location.value for d in aia] == ["http://127.0.0.1:1/"]
        assert ExtensionOID.CRL_DISTRIBUTION_POINTS in ext
        assert ExtensionOID.TLS_FEATURE not in ext

    def test_urls_can_be_left_out_and_must_staple_added(self) -> None:
        ca = CA(ocsp_url="http://127.0.0.1:1/", crl_url="http://127.0.0.1:1/ca.crl")
        cert = ca.issue_cert("localhost", ocsp_url=None, crl_url=None, must_staple=True).certificate
        oids = {e.oid for e in cert.extensions}
        assert ExtensionOID.AUTHORITY_INFORMATION_ACCESS not in oids
        assert ExtensionOID.CRL_DISTRIBUTION_POINTS not in oids
        feature = cert.extensions.get_extension_for_class(x509.TLSFeature).value
        assert list(feature) == [x509.TLSFeatureType.status_request]

    def test_ca_extra_extensions_and_ca_issuers_url(self) -> None:
        policy = x509.ObjectIdentifier("1.3.6.1.4.1.99999.1")
        root = CA(ca_issuers_url="http://127.0.0.1:1/root.der")
        inter = root.create_child_ca(
            extra_extensions=[
                (x509.CertificatePolicies([x509.PolicyInformation(policy, None)]), False)
            ]
        )
        policies = inter.certificate.extensions.get_extension_for_class(x509.CertificatePolicies)
        assert [p.policy_identifier for p in policies.value] == [policy]
        aia = inter.certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
        assert [d.access_location.value for d in aia.value] == ["http://127.0.0.1:1/root.der"]
        with pytest.raises(x509.ExtensionNotFound):
            root.certificate.extensions.get_extension_for_class(x509.CertificatePolicies)

    def test_identities_are_required(self) -> None:
        with pytest.raises(ValueError, match="identity"):
            CA().issue_cert()

    @pytest.mark.parametrize("bad", ["", " localhost", "a..b", "x" * 64 + ".example", "bad name"])
    def test_bad_identities_are_clear_errors(self, bad: str) -> None:
        with pytest.raises(ValueError, match=r"identity|DNS name"):
            CA().issue_cert(bad)

    def test_a_long_name_lives_in_the_san_only(self) -> None:
        name = "a" * 60 + ".example.com"
        cert = CA().issue_cert(name).certificate
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME) == []
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == [name]

    def test_wildcards_ips_emails_and_uris_are_accepted(self) -> None:
        cert = (
            CA()
            .issue_cert("*.example.com", "::1", "a@example.com", "https://x.example/")
            .certificate
        )
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == ["*.example.com"]
        assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["::1"]
        assert san.get_values_for_type(x509.RFC822Name) == ["a@example.com"]
        assert san.get_values_for_type(x509.UniformResourceIdentifier) == ["https://x.example/"]

    def test_not_a_ca_intermediate_says_so(self) -> None:
        inter = CA().create_child_ca(is_ca=False)
        bc = inter.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        assert bc.ca is False
        leaf = inter.issue_cert("localhost", not_before=AT - dt.timedelta(days=1))
        with pytest.raises(VerificationError):
            verify(inter, leaf)


@pytest.mark.parametrize(
    ("key_type", "expected_class", "size"),
    [
        (KeyType.ECDSA_P256, ec.EllipticCurvePrivateKey, 256),
        (KeyType.ECDSA_P384, ec.EllipticCurvePrivateKey, 384),
        (KeyType.RSA_1024, rsa.RSAPrivateKey, 1024),
        (KeyType.RSA_2048, rsa.RSAPrivateKey, 2048),
        (KeyType.RSA_3072, rsa.RSAPrivateKey, 3072),
        (KeyType.ED25519, ed25519.Ed25519PrivateKey, None),
    ],
)
def test_key_types_issue_and_sign(
    key_type: KeyType, expected_class: type, size: int | None
) -> None:
    ca = CA(key_type=key_type)
    leaf = ca.issue_cert("localhost", key_type=key_type)
    assert isinstance(leaf.private_key, expected_class)
    if size is not None:
        assert leaf.private_key.key_size == size  # type: ignore[union-attr]
    leaf.certificate.verify_directly_issued_by(ca.certificate)
    impostor = CA(key_type=key_type, common_name="Impostor")
    impostor_leaf = impostor.issue_cert("localhost", key_type=key_type)
    renamed = CA(key=ca.private_key, common_name="Impostor")  # the right name, the wrong key
    with pytest.raises(InvalidSignature):
        impostor_leaf.certificate.verify_directly_issued_by(renamed.certificate)


def test_rsa_4096_is_available() -> None:
    assert KeyType.RSA_4096.rsa_bits == 4096
    assert KeyType.RSA.rsa_bits == 2048
    assert KeyType.ECDSA.value == KeyType.ECDSA_P256.value


def test_an_rsa_4096_ca_issues_a_leaf_a_strict_verifier_accepts() -> None:
    """One real 4096-bit key (generation is slow: the other key sizes are covered above)."""
    ca = CA(key_type=KeyType.RSA_4096)
    assert ca.private_key.key_size == 4096  # type: ignore[union-attr]
    leaf = ca.issue_cert("localhost", not_before=AT - dt.timedelta(days=1))
    assert verify(ca, leaf)[-1] == ca.certificate
    with pytest.raises(VerificationError):  # the twin: a 4096-bit CA nobody trusts
        verify(CA(key=fixed_key("root", KeyType.RSA_2048)), leaf)


class TestCrossSigning:
    """``cross_sign``: the other CA's subject and key, signed by this CA, so that a chain under
    the other CA reaches this one's root too."""

    def chain(self, cross_not_after: dt.datetime) -> tuple[CA, CA, x509.Certificate, LeafCert]:
        old, new = CA(common_name="Old root"), CA(common_name="New root")
        cross = old.cross_sign(new, not_after=cross_not_after)
        inter = new.create_child_ca(path_length=0)
        return old, new, cross, inter.issue_cert("localhost", not_before=AT - dt.timedelta(days=1))

    def verify_to(self, anchor: CA, leaf: LeafCert, cross: x509.Certificate) -> int:
        verifier = (
            PolicyBuilder()
            .store(Store([anchor.certificate]))
            .time(AT)
            .build_server_verifier(x509.DNSName("localhost"))
        )
        return len(verifier.verify(leaf.certificate, [*leaf.intermediates, cross]))

    def test_the_cross_certificate_is_the_other_ca_signed_by_this_one(self) -> None:
        old, new, cross, leaf = self.chain(AT + dt.timedelta(days=365))
        assert cross.subject == new.subject
        assert cross.public_key() == new.certificate.public_key()
        cross.verify_directly_issued_by(old.certificate)
        impostor = CA(key=new.private_key, common_name="Old root")  # right name, wrong key
        with pytest.raises(InvalidSignature):
            cross.verify_directly_issued_by(impostor.certificate)
        assert self.verify_to(new, leaf, cross) == 3  # the direct path
        assert self.verify_to(old, leaf, cross) == 4  # leaf → inter → cross → old root

    def test_an_expired_cross_certificate_leaves_only_the_direct_path(self) -> None:
        old, new, cross, leaf = self.chain(AT - dt.timedelta(days=1))
        assert self.verify_to(new, leaf, cross) == 3
        with pytest.raises(VerificationError):
            self.verify_to(old, leaf, cross)


class TestDeterminism:
    def build(self) -> tuple[bytes, bytes, bytes]:
        root = CA(key=fixed_key("root", KeyType.RSA_2048), serial=1, common_name="Root")
        inter = root.create_child_ca(
            key=fixed_key("inter", KeyType.ECDSA_P256), serial=2, common_name="Inter"
        )
        leaf = inter.issue_cert("localhost", key=fixed_key("leaf"), serial=3, not_before=AT)
        inter.revoke(leaf, at=AT)
        crl = inter.crl(at=AT, number=1)
        # RSA PKCS#1 v1.5 signatures are deterministic, so the root's OCSP answers are too.
        response = root.ocsp_response(inter, at=AT)
        return leaf.der, crl.public_bytes(Encoding.DER), response.public_bytes(Encoding.DER)

    def test_fixed_keys_and_times_give_the_same_bytes(self) -> None:
        assert self.build() == self.build()

    def test_fixed_keys_differ_by_label_and_repeat_by_label(self) -> None:
        a, b = fixed_key("a"), fixed_key("b")
        assert isinstance(a, ec.EllipticCurvePrivateKey)
        assert isinstance(b, ec.EllipticCurvePrivateKey)
        assert a.private_numbers() != b.private_numbers()
        assert fixed_key("a") is a

    def test_unknown_rsa_label_is_a_clear_error(self) -> None:
        with pytest.raises(KeyError, match="no committed rsa-2048 key"):
            fixed_key("nope", KeyType.RSA_2048)


class TestRevocation:
    def setup_method(self) -> None:
        self.ca = CA()
        self.leaf = self.ca.issue_cert("localhost")
        self.other = self.ca.issue_cert("other.localhost")

    def test_revoked_certificate_is_on_the_crl_and_revoked_in_ocsp(self) -> None:
        self.ca.revoke(self.leaf, reason=x509.ReasonFlags.key_compromise, at=AT)
        crl = self.ca.crl(at=AT + dt.timedelta(hours=1))
        entry = crl.get_revoked_certificate_by_serial_number(self.leaf.certificate.serial_number)
        assert entry is not None
        assert entry.revocation_date_utc == AT
        assert crl.is_signature_valid(self.ca.private_key.public_key())
        response = self.ca.ocsp_response(self.leaf, at=AT + dt.timedelta(hours=1))
        assert response.certificate_status is ocsp.OCSPCertStatus.REVOKED
        assert response.revocation_reason is x509.ReasonFlags.key_compromise

    def test_unrevoked_certificate_is_absent_and_good(self) -> None:
        self.ca.revoke(self.leaf, at=AT)
        crl = self.ca.crl(at=AT + dt.timedelta(hours=1))
        assert (
            crl.get_revoked_certificate_by_serial_number(self.other.certificate.serial_number)
            is None
        )
        response = self.ca.ocsp_response(self.other, at=AT)
        assert response.certificate_status is ocsp.OCSPCertStatus.GOOD

    def test_revocation_in_the_future_is_not_yet_listed(self) -> None:
        self.ca.revoke(self.leaf, at=AT + dt.timedelta(days=1))
        assert len(self.ca.crl(at=AT)) == 0
        assert (
            self.ca.ocsp_response(self.leaf, at=AT).certificate_status is ocsp.OCSPCertStatus.GOOD
        )

    def test_certificate_the_ca_did_not_issue_is_unknown_or_refused(self) -> None:
        stranger = CA().issue_cert("localhost")
        with pytest.raises(ValueError, match="not issued by this CA"):
            self.ca.revoke(stranger)
        with pytest.raises(ValueError, match="not issued by this CA"):
            self.ca.ocsp_response(stranger)
        forced = self.ca.ocsp_response(self.leaf, status="unknown")
        assert forced.certificate_status is ocsp.OCSPCertStatus.UNKNOWN
        with pytest.raises(ValueError, match="good, revoked or unknown"):
            self.ca.ocsp_response(self.leaf, status="fine")

    def test_crl_numbers_increase_and_delta_lists_only_new_revocations(self) -> None:
        self.ca.revoke(self.leaf, at=AT)
        base = self.ca.crl(at=AT)
        self.ca.revoke(self.other, at=AT + dt.timedelta(hours=2))
        delta = self.ca.crl(
            at=AT + dt.timedelta(hours=3), delta_base=1, changed_since=AT + dt.timedelta(hours=1)
        )
        assert base.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1
        assert delta.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 2
        indicator = delta.extensions.get_extension_for_class(x509.DeltaCRLIndicator)
        assert indicator.critical
        assert indicator.value.crl_number == 1
        assert [e.serial_number for e in delta] == [self.other.certificate.serial_number]

    def test_delegated_responder_signs_and_ships_its_certificate(self) -> None:
        responder = self.ca.issue_ocsp_responder()
        response = self.ca.ocsp_response(self.leaf, responder=responder, nonce=b"n" * 16)
        assert response.certificates == [responder.certificate]
        eku = responder.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert list(eku) == [ExtendedKeyUsageOID.OCSP_SIGNING]
        assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"n" * 16
        assert (
            response.responder_key_hash
            == responder.certificate.extensions.get_extension_for_class(
                x509.SubjectKeyIdentifier
            ).value.digest
        )

    def test_no_next_update_on_request(self) -> None:
        assert self.ca.ocsp_response(self.leaf, next_update=None).next_update_utc is None
        assert self.ca.ocsp_response(self.leaf).next_update_utc is not None


class TestOutputs:
    def test_pem_der_and_files(self, tmp_path: Path) -> None:
        ca = CA()
        leaf = ca.issue_cert("localhost")
        assert ca.cert_pem.bytes().startswith(b"-----BEGIN CERTIFICATE-----")
        assert x509.load_der_x509_certificate(ca.cert_der) == ca.certificate
        assert leaf.private_key_pem.bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
        combined = leaf.private_key_and_cert_chain_pem.bytes()
        assert combined.count(b"BEGIN CERTIFICATE") == 1
        target = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(target)
        ca.cert_pem.write_to_path(target, append=True)
        assert target.read_bytes() == ca.cert_pem.bytes() * 2
        with leaf.cert_chain_pems[0].tempfile() as name:
            assert Path(name).read_bytes() == leaf.cert_chain_pems[0].bytes()
        assert not Path(name).exists()

    def test_write_to_folder(self, tmp_path: Path) -> None:
        root = CA()
        leaf = root.create_child_ca().issue_cert("localhost")
        ca_files = root.write_to_folder(tmp_path / "out")
        leaf_files = leaf.write_to_folder(tmp_path / "out", name="server")
        assert sorted(ca_files) == ["ca.der", "ca.key.pem", "ca.pem"]
        assert x509.load_der_x509_certificate(ca_files["ca.der"].read_bytes()) == root.certificate
        chain = x509.load_pem_x509_certificates(leaf_files["server.chain.pem"].read_bytes())
        assert chain == [leaf.certificate, *leaf.intermediates]
        assert leaf_files["server.key.pem"].read_bytes() == leaf.private_key_pem.bytes()

    def test_configure_secure_socket_adds_a_trusted_der_certificate(self) -> None:
        added: list[tuple[bytes, bool]] = []

        class FakeSocket:
            def add_binary_chain_building_certificate(
                self, certificate: bytes, trusted: bool
            ) -> None:
                added.append((certificate, trusted))

        ca = CA()
        ca.configure_secure_socket(FakeSocket())
        assert added == [(ca.cert_der, True)]


def _handshake(server_ctx: SSL.Context, client_ctx: SSL.Context, host: bytes) -> None:
    """A TLS handshake over memory BIOs (no sockets), raising SSL.Error on failure."""
    server = SSL.Connection(server_ctx, None)
    server.set_accept_state()
    client = SSL.Connection(client_ctx, None)
    client.set_connect_state()
    client.set_tlsext_host_name(host)
    done = {id(client): False, id(server): False}
    for _ in range(20):
        for conn in (client, server):
            if not done[id(conn)]:
                try:
                    conn.do_handshake()
                    done[id(conn)] = True
                except SSL.WantReadError:
                    pass
        for src, dst in ((client, server), (server, client)):
            with contextlib.suppress(SSL.WantReadError):
                dst.bio_write(src.bio_read(65536))
        if all(done.values()):
            return
    raise AssertionError("handshake did not finish")


class TestPyOpenSSLContexts:
    def contexts(self, trusted: CA, issuer: CA) -> tuple[SSL.Context, SSL.Context]:
        leaf = issuer.issue_cert("localhost")
        server_ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
        leaf.configure_cert(server_ctx)
        client_ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
        client_ctx.set_verify(SSL.VERIFY_PEER)
        trusted.configure_trust(client_ctx)
        return server_ctx, client_ctx

    def test_client_trusting_the_ca_completes_a_handshake(self) -> None:
        root = CA()
        inter = root.create_child_ca()
        _handshake(*self.contexts(root, inter), b"localhost")

    def test_client_trusting_another_ca_fails_the_handshake(self) -> None:
        root = CA()
        with pytest.raises(SSL.Error):
            _handshake(*self.contexts(CA(), root.create_child_ca()), b"localhost")


class TestStdlibContexts:
    """trustme's other half: the same helpers configure stdlib ``ssl`` contexts."""

    def handshake(self, trusted: CA, issuer: CA) -> str | None:
        leaf = issuer.issue_cert("localhost")
        server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        leaf.configure_cert(server_ctx)
        client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        trusted.configure_trust(client_ctx)
        client_in, client_out, server_in, server_out = (ssl.MemoryBIO() for _ in range(4))
        client = client_ctx.wrap_bio(client_in, client_out, server_hostname="localhost")
        server = server_ctx.wrap_bio(server_in, server_out, server_side=True)
        done: set[int] = set()
        for _ in range(20):
            for index, conn in enumerate((client, server)):
                if index not in done:
                    try:
                        conn.do_handshake()
                        done.add(index)
                    except ssl.SSLWantReadError:
                        pass
            server_in.write(client_out.read())
            client_in.write(server_out.read())
            if len(done) == 2:
                return client.version()
        raise AssertionError("handshake did not finish")

    def test_client_trusting_the_root_completes_a_handshake_through_the_intermediate(self) -> None:
        root = CA()
        assert self.handshake(root, root.create_child_ca()) is not None

    def test_client_trusting_another_ca_fails(self) -> None:
        with pytest.raises(ssl.SSLCertVerificationError):
            self.handshake(CA(), CA().create_child_ca())

    def test_anything_else_is_a_clear_type_error(self) -> None:
        ca = CA()
        with pytest.raises(TypeError, match="SSL context"):
            ca.configure_trust(object())  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="SSL context"):
            ca.issue_cert("localhost").configure_cert(object())  # type: ignore[arg-type]


class TestFromPem:
    def test_a_ca_loaded_from_pem_issues_what_its_certificate_verifies(self) -> None:
        original = CA()
        loaded = CA.from_pem(original.cert_pem.bytes(), original.private_key_pem.bytes())
        assert loaded.certificate == original.certificate
        leaf = loaded.issue_cert("localhost", not_before=AT - dt.timedelta(days=1))
        assert len(verify(original, leaf)) == 2
        loaded.revoke(leaf, at=AT)
        assert loaded.ocsp_response(leaf, at=AT).certificate_status is ocsp.OCSPCertStatus.REVOKED

    def test_a_key_that_is_not_the_certificates_is_refused(self) -> None:
        with pytest.raises(ValueError, match="does not belong"):
            CA.from_pem(CA().cert_pem.bytes(), CA().private_key_pem.bytes())
