"""The audit's results as data, and their two views: JSON (validated by the schema) and console."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import pickle
import types
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from securesocket import CertificateStatus
from securesocket.audit.describe import describe_certificate, describe_der
from securesocket.audit.jsonio import (
    JSONFormatError,
    dumps,
    field_types,
    from_jsonable,
    loads_result,
)
from securesocket.audit.model import (
    AuditResult,
    CertificateRevocationInfo,
    ConnectionInfo,
    ErrorInfo,
    ErrorReason,
    MatrixCell,
    MatrixReport,
    MatrixRow,
    Outcome,
    ProblemInfo,
    RevocationAttemptInfo,
    RevocationInfo,
    Settings,
    Target,
)
from securesocket.audit.render import render_matrix, render_result
from securesocket.audit.schema import audit_schema, schema_text


SCHEMA_PATH = Path(__file__).parent.parent / "securesocket" / "audit" / "schema.json"


def _cert(cn: str, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0xABCDEF)
        .not_valid_before(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
        .sign(key, hashes.SHA256())
    )


EC_CERT = _cert("ec.example", ec.generate_private_key(ec.SECP256R1()))
RSA_CERT = _cert("rsa.example", rsa.generate_private_key(public_exponent=65537, key_size=2048))
RSA_DER = RSA_CERT.public_bytes(Encoding.DER)


def _result(status: CertificateStatus = CertificateStatus.REVOKED) -> AuditResult:
    info = describe_certificate(EC_CERT)
    revocation = RevocationInfo(
        policy="hard-fail",
        accepted=False,
        status=status,
        summary="hard-fail: leaf revoked",
        certificates=(
            CertificateRevocationInfo(
                depth=0,
                subject=info.subject,
                serial=info.serial,
                policy="hard-fail",
                declared=("ocsp http://127.0.0.1:1/",),
                attempts=(
                    RevocationAttemptInfo(
                        method="ocsp",
                        origin="fetched",
                        url="http://127.0.0.1:1/",
                        latency_ms=1.5,
                        outcome="revoked",
                        detail="signed by the issuer",
                        revocation_reason="keyCompromise",
                        revocation_time="2025-06-01T00:00:00+00:00",
                    ),
                ),
                decision="revoked",
                accepted=False,
                reason="revoked by OCSP",
            ),
        ),
    )
    return AuditResult(
        target=Target("127.0.0.1", 4433, "ec.example"),
        settings=Settings("hard-fail", "none", None, 5.0, 1, 0),
        outcome=Outcome.TRUSTED if status is CertificateStatus.TRUSTED else Outcome.NOT_TRUSTED,
        status=status,
        connection=ConnectionInfo("127.0.0.1", "TLSv1.3", "TLS_AES_128_GCM_SHA256", False),
        chain_sent=(info,),
        path_built=(info,),
        problems=(ProblemInfo("revoked", "the leaf is revoked", status, 0),),
        rejected_paths=(),
        revocation=revocation,
        error=None,
        started_at="2026-11-26T00:00:00+00:00",
        duration_ms=12.5,
    )


def _unreachable() -> AuditResult:
    return dataclasses.replace(
        _result(),
        outcome=Outcome.UNREACHABLE,
        status=CertificateStatus.INVALID,
        connection=None,
        chain_sent=(),
        path_built=(),
        problems=(),
        revocation=None,
        error=ErrorInfo(ErrorReason.CONNECTION_REFUSED, "refused", None),
    )


def _matrix() -> MatrixReport:
    def cell(policy: str, expected: CertificateStatus, actual: CertificateStatus) -> MatrixCell:
        return MatrixCell(policy, expected, actual, expected is actual, "detail", None)

    t, r = CertificateStatus.TRUSTED, CertificateStatus.REVOKED
    revoked_row = MatrixRow(
        "revoked-crl",
        "leaf revoked by CRL",
        (cell("off", t, t), cell("soft-fail", r, r), cell("hard-fail", r, t)),
        None,
        None,
    )
    good_row = MatrixRow(
        "good",
        "",
        (cell("off", t, t), cell("soft-fail", t, t), cell("hard-fail", t, t)),
        None,
        None,
    )
    broken_row = MatrixRow("broken", "", (), "RuntimeError: s_server did not start", None)
    return MatrixReport(
        ("off", "soft-fail", "hard-fail"), (revoked_row, good_row, broken_row), False, 10.0
    )


class TestJSON:
    def test_committed_schema_is_current(self) -> None:
        """The committed schema.json is exactly what `make schema` generates from the model."""
        assert schema_text() == SCHEMA_PATH.read_text(encoding="utf-8")

    @pytest.mark.parametrize("result", [_result(), _unreachable()], ids=["revoked", "unreachable"])
    def test_result_round_trips_and_validates(self, result: AuditResult) -> None:
        """A result's JSON validates against the schema and decodes back to an equal result."""
        data = json.loads(dumps(result))
        jsonschema.validate(data, audit_schema())
        assert result == loads_result(dumps(result, indent=None))

    def test_matrix_validates(self) -> None:
        """A matrix report's JSON validates against the schema and round-trips."""
        report = _matrix()
        data = json.loads(dumps(report))
        jsonschema.validate(data, audit_schema())
        assert report == from_jsonable(MatrixReport, data)

    def test_schema_rejects_a_wrong_status(self) -> None:
        """The schema is not vacuous: a status outside CertificateStatus fails validation."""
        data = json.loads(dumps(_result()))
        data["status"] = "fine"
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(data, audit_schema())

    def test_schema_rejects_a_missing_field(self) -> None:
        """Every field is required: dropping one fails validation."""
        data = json.loads(dumps(_result()))
        del data["target"]["port"]
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(data, audit_schema())

    @pytest.mark.parametrize(
        ("text", "match"),
        [("{", "not JSON"), ("[]", "expected an object"), ('{"target": 1}', "missing")],
    )
    def test_decoding_garbage_raises_format_error(self, text: str, match: str) -> None:
        """Text that is not a result raises JSONFormatError saying why, never another error."""
        with pytest.raises(JSONFormatError, match=match):
            loads_result(text)

    def test_decoding_a_wrong_enum_value_names_the_field(self) -> None:
        """A bad enum value is reported with its JSON path."""
        data = json.loads(dumps(_result()))
        data["outcome"] = "great"
        with pytest.raises(JSONFormatError, match=r"\$\.outcome"):
            from_jsonable(AuditResult, data)

    def test_results_pickle(self) -> None:
        """Results pickle unchanged (they travel back from Dask workers)."""
        result = _result()
        assert result == pickle.loads(pickle.dumps(result))  # noqa: S301 - our own bytes

    def test_every_model_class_is_a_frozen_dataclass(self) -> None:
        """The layer rule (ARCHITECTURE.md): every result class is a frozen dataclass."""
        import enum
        import inspect

        from securesocket.audit import model

        classes = [
            cls
            for _, cls in inspect.getmembers(model, inspect.isclass)
            if cls.__module__ == model.__name__ and not issubclass(cls, enum.Enum)
        ]
        assert len(classes) >= 10
        for cls in classes:
            assert dataclasses.is_dataclass(cls), cls
            assert cls.__dataclass_params__.frozen, cls  # type: ignore[attr-defined]

    def test_results_are_frozen(self) -> None:
        """Results are immutable data."""
        with pytest.raises(dataclasses.FrozenInstanceError):
            _result().status = CertificateStatus.TRUSTED  # type: ignore[misc]


def _strategy(kind: Any) -> st.SearchStrategy[Any]:
    """A Hypothesis strategy for any model type, walking the same type hints as the schema
    (finite floats and no lone surrogates: what JSON can carry)."""
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        return st.one_of([_strategy(option) for option in typing.get_args(kind)])
    if origin is tuple:
        return st.lists(_strategy(typing.get_args(kind)[0]), max_size=2).map(tuple)
    if kind is type(None):
        return st.none()
    if dataclasses.is_dataclass(kind):
        fields = {name: _strategy(hint) for name, hint in field_types(kind).items()}
        return st.builds(kind, **fields)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return st.sampled_from(kind)
    return {
        str: st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
        int: st.integers(min_value=-(2**63), max_value=2**63),
        float: st.floats(allow_nan=False, allow_infinity=False),
        bool: st.booleans(),
    }[kind]


_VALIDATOR = jsonschema.Draft202012Validator(audit_schema())


class TestJSONProperties:
    @given(_strategy(AuditResult))
    def test_any_result_round_trips_and_validates(self, result: AuditResult) -> None:
        """For any result the model can hold, the JSON validates and decodes to an equal result."""
        text = dumps(result, indent=None)
        _VALIDATOR.validate(json.loads(text))
        assert loads_result(text) == result

    @given(_strategy(MatrixReport))
    def test_any_matrix_round_trips_and_validates(self, report: MatrixReport) -> None:
        """The same for matrix reports."""
        text = dumps(report, indent=None)
        _VALIDATOR.validate(json.loads(text))
        assert from_jsonable(MatrixReport, json.loads(text)) == report


class TestDescribe:
    def test_ec_certificate(self) -> None:
        """An EC certificate shows its curve, serial in hex and signature algorithm."""
        info = describe_certificate(EC_CERT)
        assert (
            info.subject,
            info.key,
            info.serial,
            info.signature_algorithm,
        ) == ("CN=ec.example", "EC secp256r1", "ABCDEF", "ecdsa-with-SHA256")
        assert info.not_after.startswith("2030-01-01")

    def test_rsa_certificate(self) -> None:
        """An RSA certificate shows its key size."""
        assert describe_certificate(RSA_CERT).key == "RSA 2048"

    def test_a_name_that_does_not_parse_is_shown_field_by_field(self) -> None:
        """cryptography parses names only when read: an unparsable subject is marked as such
        and every other field is still described (its well-formed twin: test_ec_certificate)."""
        from test_audit_support import _unparsable_subject

        key = ec.generate_private_key(ec.SECP256R1())
        issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "issuer.example")])
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "MALFORMED-NAME!")])
        good = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(0x1234)
            .not_valid_before(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
            .not_valid_after(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
            .sign(key, hashes.SHA256())
        )
        assert describe_certificate(good).subject == "CN=MALFORMED-NAME!"
        info = describe_certificate(_unparsable_subject(good))
        assert info.subject.startswith("(unparsable: ")
        assert (info.issuer, info.serial, info.key) == ("CN=issuer.example", "1234", "EC secp256r1")
        assert info.not_after.startswith("2030-01-01")

    def test_an_unknown_key_algorithm_and_a_v2_version_are_described(self) -> None:
        """Two certificates a server can send that cryptography cannot fully read: a key
        algorithm it does not know (the key says so, the rest is shown) and an X.509 v2
        version (it does not load at all: shown as unparsable, with its fingerprint)."""
        from test_audit_support import version_2

        rsa_oid = b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"
        assert RSA_DER.count(rsa_oid) == 1
        unknown_key = describe_der(RSA_DER.replace(rsa_oid, b"\x06\x09\x00" + rsa_oid[3:]))
        assert unknown_key.key.startswith("unparsable (Unknown key type")
        assert unknown_key.subject == "CN=rsa.example"
        v2 = describe_der(version_2(RSA_CERT))
        assert v2.subject.startswith("(unparsable: ")
        assert len(v2.sha256) == 64

    # A mutated name attribute may make cryptography warn (its length); that is not a failure.
    @pytest.mark.filterwarnings("ignore:Attribute's length must be:UserWarning")
    @settings(max_examples=400, deadline=None)
    @given(position=st.integers(0, len(RSA_DER) - 1), value=st.integers(0, 255))
    def test_any_one_byte_mutation_is_described_not_raised(self, position: int, value: int) -> None:
        """Whatever a server sends, describing it never raises: found this way were an unknown
        key algorithm (UnsupportedAlgorithm) and an X.509 v2 version (InvalidVersion)."""
        mutated = bytearray(RSA_DER)
        mutated[position] = value
        info = describe_der(bytes(mutated))
        assert len(info.sha256) == 64

    def test_unparsable_der_is_shown_not_raised(self) -> None:
        """Bytes that are not a certificate are described as unparsable, with a fingerprint."""
        info = describe_der(b"\x30\x03\x02\x01\x00")
        assert info.subject.startswith("(unparsable")
        assert len(info.sha256) == 64


class TestConsole:
    def test_not_trusted_result_shows_everything(self) -> None:
        """The console view shows protocol, cipher, the chain, the path, problems and revocation."""
        text = render_result(_result())
        for expected in (
            "TLSv1.3",
            "TLS_AES_128_GCM_SHA256",
            "Chain as sent (1)",
            "Path as built (1)",
            "EC secp256r1",
            "ecdsa-with-SHA256",
            "the leaf is revoked",
            "policy hard-fail",
            "http://127.0.0.1:1/",
            "1.5 ms",
            "keyCompromise",
            "NOT-TRUSTED",
        ):
            assert expected in text

    def test_path_points_at_sent_certificates_and_details_the_others(self) -> None:
        """A path certificate the server sent points at its entry in the chain; one it did not
        send (an anchor, an added certificate) is shown in full."""
        anchor = describe_certificate(RSA_CERT)
        result = dataclasses.replace(_result(), path_built=(*_result().path_built, anchor))
        text = render_result(result)
        path = text[text.index("Path as built (2)") : text.index("Problems")]
        assert "[0] CN=ec.example  (sent [0])" in path
        assert "[1] CN=rsa.example\n" in path
        assert "key        RSA 2048" in path
        assert "EC secp256r1" not in path

    def test_unreachable_result_shows_the_error(self) -> None:
        """An unreachable host shows why, and no chain."""
        text = render_result(_unreachable())
        assert "connection-refused: refused" in text
        assert "Chain as sent" not in text

    def test_colour_only_when_asked(self) -> None:
        """ANSI colour codes appear with colour on and never with colour off."""
        assert "\033[" in render_result(_result(), colour=True)
        assert "\033[" not in render_result(_result(), colour=False)

    def test_matrix_marks_the_soft_fail_hole_and_mismatches(self) -> None:
        """The table marks a revoked certificate accepted, names mismatches and broken rows."""
        text = render_matrix(_matrix())
        assert "soft-fail (AIR)" in text
        assert "trusted !" in text
        assert "a revoked certificate accepted (2 cells: off 1, hard-fail 1)" in text
        assert "MISMATCH revoked-crl under hard-fail: expected revoked, got trusted" in text
        assert "broken: could not run: RuntimeError" in text
        assert "outcomes differ" in text

    def test_matrix_without_holes_has_no_mark(self) -> None:
        """A row where no policy reports revoked gets no accepted-revoked mark."""
        report = _matrix()
        only_good = dataclasses.replace(report, rows=report.rows[1:2], all_match=True)
        text = render_matrix(only_good)
        assert " !" not in text
        assert "every outcome matches the catalogue" in text

    @pytest.mark.parametrize("revoked_by_ca", [True, False, None])
    def test_a_revoked_certificate_no_policy_can_see_is_marked_from_the_ca(
        self, revoked_by_ca: bool | None
    ) -> None:
        """Sources down: every policy says trusted or invalid, none says revoked. Only the CA's
        own record (`revoked_by_ca`) can tell, and then off and soft-fail are marked "!"; the
        same outcomes for a certificate that is not revoked (or unknown) get no "!"."""
        t, inv = CertificateStatus.TRUSTED, CertificateStatus.INVALID
        outcomes = {"off": t, "soft-fail": t, "hard-fail": inv, "require": inv}
        cells = tuple(MatrixCell(p, s, s, True, "d", None) for p, s in outcomes.items())
        row = MatrixRow("source-down", "", cells, None, revoked_by_ca)
        text = render_matrix(MatrixReport(tuple(outcomes), (row,), True, 1.0))
        table_row = next(line for line in text.splitlines() if line.startswith("source-down"))
        if revoked_by_ca:
            cells = ["trusted", "!", "trusted", "!", "invalid", "invalid"]
            assert table_row.split() == ["source-down", *cells]
            assert "a revoked certificate accepted (2 cells: off 1, soft-fail 1)" in text
        else:
            assert "!" not in text
