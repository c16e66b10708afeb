"""X509Certificate / X500DistinguishedName: every AS3 member, the chosen formats, bad input."""

from __future__ import annotations

import datetime
import pathlib
import warnings
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from securesocket import ArgumentError, ByteArray, X500DistinguishedName, X509Certificate
from securesocket.x509 import _serial_hex


NOT_BEFORE = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
NOT_AFTER = datetime.datetime(2034, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
EC_KEY = ec.derive_private_key(123456789, ec.SECP256R1())


def name(*pairs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs])


SUBJECT = name(
    (NameOID.COUNTRY_NAME, "US"),
    (NameOID.STATE_OR_PROVINCE_NAME, "California"),
    (NameOID.LOCALITY_NAME, "San Jose"),
    (NameOID.ORGANIZATION_NAME, "Example, Inc."),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "First Unit"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "Second Unit"),
    (NameOID.COMMON_NAME, "example.org"),
)
ISSUER = name((NameOID.COMMON_NAME, "Test CA"))


def build(
    key: Any = EC_KEY,
    *,
    serial: int = 255,
    algorithm: hashes.HashAlgorithm | None = None,
    **sign: Any,
) -> x509.Certificate:
    """A certificate for ``key``, signed by itself, with fixed names and dates."""
    if algorithm is None and not isinstance(key, ed25519.Ed25519PrivateKey):
        algorithm = hashes.SHA256()
    return (
        x509.CertificateBuilder()
        .subject_name(SUBJECT)
        .issuer_name(ISSUER)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .sign(key, algorithm, **sign)
    )


def der_of(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


# -- a tiny DER toolkit, independent of the module under test, to craft odd certificates ------


def tlv(tag: int, body: bytes) -> bytes:
    if len(body) < 0x80:
        return bytes((tag, len(body))) + body
    size = len(body).to_bytes((len(body).bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + body


def split(data: bytes) -> list[tuple[int, bytes, bytes]]:
    """Top-level TLVs of ``data``: (tag, whole TLV, contents)."""
    items = []
    index = 0
    while index < len(data):
        tag, first = data[index], data[index + 1]
        start = index + 2
        length = first
        if first & 0x80:
            count = first & 0x7F
            length = int.from_bytes(data[start : start + count], "big")
            start += count
        items.append((tag, data[index : start + length], data[start : start + length]))
        index = start + length
    return items


def rebuild(der: bytes, edit: Any) -> bytes:
    """Re-encode a certificate after ``edit`` maps the TBS field TLVs to new ones."""
    ((_, _, body),) = split(der)
    tbs, algorithm, signature = split(body)
    fields = [whole for _, whole, _ in split(tbs[2])]
    return tlv(0x30, tlv(0x30, b"".join(edit(fields))) + algorithm[1] + signature[1])


class TestConstruction:
    """DER, ByteArray, PEM or a cryptography object give the same certificate."""

    def test_every_input_form_is_equal(self) -> None:
        """All four constructors agree, and .certificate is the cryptography object."""
        certificate = build()
        der = der_of(certificate)
        pem = certificate.public_bytes(serialization.Encoding.PEM)
        forms = [
            X509Certificate(certificate),
            X509Certificate(der),
            X509Certificate(ByteArray(der)),
            X509Certificate(bytearray(der)),
            X509Certificate.from_pem(pem),
            X509Certificate.from_pem(pem.decode()),
        ]
        assert all(form == forms[0] for form in forms)
        assert len({hash(form) for form in forms}) == 1
        assert forms[0].certificate == certificate
        assert forms[1].der == der

    def test_different_certificates_are_not_equal(self) -> None:
        """The twin: another serial is another certificate."""
        assert X509Certificate(build(serial=1)) != X509Certificate(build(serial=2))
        assert X509Certificate(build()) != "not a certificate"

    @pytest.mark.parametrize(
        "data",
        [b"", b"\x30\x03\x02\x01\x01", b"-----BEGIN CERTIFICATE-----", b"\x00" * 50],
        ids=["empty", "not-a-cert", "pem-as-der", "zeros"],
    )
    def test_malformed_der_is_argument_error(self, data: bytes) -> None:
        """Anything that is not one DER certificate is ArgumentError."""
        with pytest.raises(ArgumentError, match=r"not a DER X\.509 certificate"):
            X509Certificate(data)

    def test_truncated_der_is_argument_error(self) -> None:
        """Every truncation of a valid certificate is rejected."""
        der = der_of(build())
        for cut in (1, 10, len(der) // 2, len(der) - 1):
            with pytest.raises(ArgumentError):
                X509Certificate(der[:cut])

    def test_wrong_type_is_argument_error(self) -> None:
        """A number or a string is not a certificate."""
        with pytest.raises(ArgumentError):
            X509Certificate(42)  # type: ignore[arg-type]
        with pytest.raises(ArgumentError):
            X509Certificate("MIIB...")  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "text",
        ["", "hello", "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"],
        ids=["empty", "no-block", "bad-base64"],
    )
    def test_text_without_a_pem_block_is_argument_error(self, text: str) -> None:
        """No block, or a block that is not base64, is ArgumentError."""
        with pytest.raises(ArgumentError, match="PEM"):
            X509Certificate.from_pem(text)

    def test_pem_among_other_text(self) -> None:
        """The twin: a certificate block surrounded by other text is found."""
        pem = build().public_bytes(serialization.Encoding.PEM)
        assert X509Certificate.from_pem(b"subject=...\n" + pem + b"trailer").serial_number == "FF"

    def test_bad_pem_is_argument_error(self) -> None:
        """from_pem rejects text that holds no certificate."""
        with pytest.raises(ArgumentError, match="PEM"):
            X509Certificate.from_pem(
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
            )

    def test_x509_v2_is_refused(self) -> None:
        """cryptography cannot load X.509 v2, so it is ArgumentError, not a crash."""
        v2 = rebuild(der_of(build()), lambda f: [tlv(0xA0, tlv(0x02, b"\x01")), *f[1:7]])
        with pytest.raises(ArgumentError):
            X509Certificate(v2)

    def test_malformed_country_code_is_passed_on_as_a_warning(self) -> None:
        """cryptography warns about a 3-letter country; the certificate still loads."""
        with warnings.catch_warnings():  # building it warns too; only loading is under test
            warnings.simplefilter("ignore", UserWarning)
            country = x509.NameAttribute(NameOID.COUNTRY_NAME, "USA", _validate=False)
            subject = x509.Name([country, x509.NameAttribute(NameOID.COMMON_NAME, "x")])
            certificate = (
                x509.CertificateBuilder()
                .subject_name(subject)
                .issuer_name(ISSUER)
                .public_key(EC_KEY.public_key())
                .serial_number(7)
                .not_valid_before(NOT_BEFORE)
                .not_valid_after(NOT_AFTER)
                .sign(EC_KEY, hashes.SHA256())
            )
        der = der_of(certificate)
        with pytest.warns(UserWarning, match="length must be"):
            loaded = X509Certificate(der)
        assert loaded.subject.country_name == "USA"

    # cryptography warns (UserWarning) on malformed name attributes such as a 3-letter
    # country; that warning is information for the user and is passed on, not an error.
    @pytest.mark.filterwarnings("ignore:Attribute's length must be:UserWarning")
    @given(position=st.integers(0, 10_000), value=st.integers(0, 255))
    def test_mutated_der_parses_or_is_argument_error(self, position: int, value: int) -> None:
        """Flipping any byte yields a certificate or ArgumentError, never another exception."""
        der = bytearray(der_of(build()))
        der[position % len(der)] = value
        try:
            certificate = X509Certificate(bytes(der))
        except ArgumentError:
            return
        # Whatever parsed must answer every AS3 member without raising.
        for member in ("serialNumber", "subjectPublicKey", "version", "issuerUniqueID"):
            getattr(certificate, member)
        str(certificate.subject)
        str(certificate.issuer)


class TestMembers:
    """Each §4 member, with the documented formats."""

    def test_ec_certificate(self) -> None:
        """EC P-256: OIDs dotted, no signature parameters, key bits are the X9.62 point."""
        certificate = X509Certificate(build())
        point = EC_KEY.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        assert certificate.serial_number == "FF"
        assert certificate.signature_algorithm_oid == "1.2.840.10045.4.3.2"
        assert certificate.signature_algorithm_params is None
        assert certificate.subject_public_key == point.hex()
        assert certificate.subject_public_key_algorithm_oid == "1.2.840.10045.2.1"
        assert certificate.version == 2
        assert certificate.issuer_unique_id is None
        assert certificate.subject_unique_id is None

    def test_rsa_certificate(self) -> None:
        """RSA PKCS#1 v1.5: NULL parameters (05 00); the key bits are the RSAPublicKey DER."""
        key = rsa.generate_private_key(65537, 2048)
        certificate = X509Certificate(build(key))
        params = certificate.signature_algorithm_params
        assert params is not None
        assert params.to_bytes() == b"\x05\x00"
        assert certificate.signature_algorithm_oid == "1.2.840.113549.1.1.11"
        assert certificate.subject_public_key_algorithm_oid == "1.2.840.113549.1.1.1"
        pkcs1 = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.PKCS1
        )
        assert certificate.subject_public_key == pkcs1.hex()

    def test_rsa_pss_parameters_are_the_der_sequence(self) -> None:
        """RSA-PSS carries real parameters: a DER SEQUENCE, returned whole."""
        key = rsa.generate_private_key(65537, 2048)
        pss = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
        certificate = X509Certificate(build(key, rsa_padding=pss))
        params = certificate.signature_algorithm_params
        assert certificate.signature_algorithm_oid == "1.2.840.113549.1.1.10"
        assert params is not None
        raw = params.to_bytes()
        assert raw[0] == 0x30
        assert len(split(raw)) == 1
        assert b"\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01" in raw  # SHA-256 inside

    def test_ed25519_certificate(self) -> None:
        """Ed25519: the key bits are the 32 raw bytes."""
        key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
        certificate = X509Certificate(build(key))
        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        assert certificate.subject_public_key == raw.hex()
        assert certificate.subject_public_key_algorithm_oid == "1.3.101.112"
        assert certificate.signature_algorithm_params is None

    @pytest.mark.parametrize(
        ("serial", "expected"),
        [
            (1, "01"),
            (255, "FF"),
            (256, "0100"),
            (0xABCDEF, "ABCDEF"),
            (2**158 + 1, "4" + "0" * 38 + "1"),
        ],
    )
    def test_serial_number_format(self, serial: int, expected: str) -> None:
        """Uppercase hex, even length, no separators or 0x."""
        assert X509Certificate(build(serial=serial)).serialNumber == expected

    @pytest.mark.parametrize(
        ("content", "expected"), [("00", "00"), ("ff", "FF"), ("80", "80"), ("ff7f", "FF7F")]
    )
    def test_zero_and_negative_serials_load_without_warning(
        self, content: str, expected: str
    ) -> None:
        """Serial 0 or negative (seen on home-made certificates) loads; no warning escapes."""
        raw = bytes.fromhex(content)
        crafted = rebuild(der_of(build()), lambda f: [f[0], tlv(0x02, raw), *f[2:]])
        assert X509Certificate(crafted).serial_number == expected

    @pytest.mark.parametrize(("serial", "expected"), [(-1, "FF"), (-128, "80"), (-129, "FF7F")])
    def test_negative_serial_format(self, serial: int, expected: str) -> None:
        """A negative serial shows its two's-complement DER octets."""
        assert _serial_hex(serial) == expected

    def test_validity_is_aware_utc(self) -> None:
        """validNotBefore/After are timezone-aware UTC datetimes."""
        certificate = X509Certificate(build())
        assert certificate.valid_not_before == NOT_BEFORE
        assert certificate.validNotAfter == NOT_AFTER
        assert certificate.valid_not_before.tzinfo is not None
        assert certificate.valid_not_before.utcoffset() == datetime.timedelta(0)

    def test_encoded_is_a_fresh_byte_array(self) -> None:
        """encoded holds the DER; changing the copy does not change the certificate."""
        certificate = X509Certificate(build())
        encoded = certificate.encoded
        assert isinstance(encoded, ByteArray)
        assert encoded.to_bytes() == certificate.der
        encoded[0] = 0
        assert certificate.encoded.to_bytes() == certificate.der

    def test_unique_ids_when_present(self) -> None:
        """issuerUniqueID/subjectUniqueID read from [1]/[2]: uppercase hex of their bits."""

        def add_ids(fields: list[bytes]) -> list[bytes]:
            return [*fields[:7], tlv(0x81, b"\x00\xab\xcd"), tlv(0x82, b"\x00\xef"), *fields[7:]]

        certificate = X509Certificate(rebuild(der_of(build()), add_ids))
        assert (certificate.issuer_unique_id, certificate.subjectUniqueID) == ("ABCD", "EF")
        assert certificate.version == 2

    def test_version_1_certificate(self) -> None:
        """Without the [0] field the raw version is 0 (X.509 v1)."""
        v1 = rebuild(der_of(build()), lambda f: f[1:7])
        certificate = X509Certificate(v1)
        assert certificate.version == 0
        assert certificate.serial_number == "FF"

    def test_repr_is_short(self) -> None:
        """repr names the subject and serial."""
        assert repr(X509Certificate(build())).startswith("<X509Certificate subject='CN=example.org")


class TestDistinguishedName:
    """§5: six attributes, first occurrence wins, None when absent, RFC 4514 string."""

    def test_attributes(self) -> None:
        """Each AS3 attribute reads its DN component; repeated OU gives the first."""
        subject = X509Certificate(build()).subject
        assert (subject.common_name, subject.countryName) == ("example.org", "US")
        assert (subject.localityName, subject.state_or_province_name) == ("San Jose", "California")
        assert subject.organizationName == "Example, Inc."
        assert subject.organizational_unit_name == "First Unit"

    def test_absent_attributes_are_none(self) -> None:
        """An issuer with only a CN has None for the other five."""
        issuer = X509Certificate(build()).issuer
        assert issuer.commonName == "Test CA"
        assert [
            issuer.country_name,
            issuer.locality_name,
            issuer.organization_name,
            issuer.organizational_unit_name,
            issuer.state_or_province_name,
        ] == [None] * 5

    def test_to_string_is_rfc4514(self) -> None:
        """Most specific first, comma-separated, with RFC 4514 escaping."""
        subject = X509Certificate(build()).subject
        expected = (
            "CN=example.org,OU=Second Unit,OU=First Unit,O=Example\\, Inc.,"
            "L=San Jose,ST=California,C=US"
        )
        assert subject.to_string() == expected
        assert str(subject) == expected
        assert subject.toString() == expected

    def test_equality_and_wrapped_name(self) -> None:
        """Two DNs over equal names are equal; .name is the cryptography Name."""
        first = X500DistinguishedName(SUBJECT)
        assert first == X509Certificate(build()).subject
        assert first != X500DistinguishedName(ISSUER)
        assert hash(first) == hash(X500DistinguishedName(SUBJECT))
        assert first.name is SUBJECT

    def test_not_a_name_is_argument_error(self) -> None:
        """Only a cryptography Name is accepted."""
        with pytest.raises(ArgumentError):
            X500DistinguishedName("CN=example.org")  # type: ignore[arg-type]


def certifi_blocks() -> list[str]:
    import certifi

    text = pathlib.Path(certifi.where()).read_text(encoding="ascii")
    marker = "-----END CERTIFICATE-----"
    return [block + marker for block in text.split(marker) if "BEGIN CERTIFICATE" in block]


class TestRealRoots:
    """Every root in certifi's bundle: real-world encodings, read like cryptography reads them."""

    def test_every_certifi_root(self) -> None:
        """Each member agrees with cryptography's view of the same certificate."""
        blocks = certifi_blocks()
        assert len(blocks) > 100
        for block in blocks:
            ours = X509Certificate.from_pem(block)  # must not warn (filterwarnings=error)
            with warnings.catch_warnings():
                # Only cryptography's own view may warn: certifi holds a root whose serial is
                # not positive, exactly the case X509Certificate must load quietly.
                warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                theirs = x509.load_pem_x509_certificate(block.encode())
                serial = theirs.serial_number
            assert (
                int.from_bytes(bytes.fromhex(ours.serial_number), "big", signed=serial < 0)
                == serial
            )
            assert len(ours.serial_number) % 2 == 0
            assert ours.serial_number == ours.serial_number.upper()
            assert ours.version in (0, 2)
            assert ours.signature_algorithm_oid == theirs.signature_algorithm_oid.dotted_string
            assert ours.valid_not_before == theirs.not_valid_before_utc
            assert ours.subject.to_string() == theirs.subject.rfc4514_string()
            common_names = theirs.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            expected_cn = common_names[0].value if common_names else None
            assert ours.subject.common_name == expected_cn
            key = theirs.public_key()
            if isinstance(key, rsa.RSAPublicKey):
                bits = key.public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.PKCS1
                )
            elif isinstance(key, ec.EllipticCurvePublicKey):
                bits = key.public_bytes(
                    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
                )
            else:
                continue
            assert ours.subject_public_key == bits.hex()
