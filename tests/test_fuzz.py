"""Fuzzing with Hypothesis: hostile bytes at every place they enter the library.

The invariant everywhere: our result or one of our errors (a `SecureSocketError`, or the
documented `ValueError` family where the API says so), never another exception, never a hang
(pytest-timeout catches one), and never ``trusted`` for a chain, CRL or OCSP response whose
signed bytes were changed.

Each fuzz test runs twice: a short, derandomized run in ``make test``, and a long random run
under ``-m slow`` (``make fuzz``; ``SECURESOCKET_FUZZ=long`` raises the example count further).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import struct
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from OpenSSL import SSL

from securesocket._amf import decode_value, encode_value
from securesocket._bytearray import ByteArray
from securesocket._context import ContextOptions, client_context
from securesocket._engine import EngineState, TLSEngine
from securesocket.exceptions import (
    ArgumentError,
    EOFError,
    RangeError,
    TLSError,
)
from securesocket.revocation.crl import load_crl
from securesocket.testing.ca import CA, LeafCert
from securesocket.trust import verify_chain


# No test may leave a thread or a child process behind (the kit's pytest plugin).
pytestmark = pytest.mark.usefixtures("no_leftover_servers")

LONG = os.environ.get("SECURESOCKET_FUZZ") == "long"
SHORT_EXAMPLES = 60
SLOW_EXAMPLES = 5000 if LONG else 500

MODES = [
    pytest.param("short", id="short"),
    # The long run gets more than the suite's 120 s per test: it is meant to be long.
    pytest.param("slow", id="slow", marks=[pytest.mark.slow, pytest.mark.timeout(900)]),
]


def fuzz(mode: str, strategy: st.SearchStrategy[Any], check: Callable[[Any], None]) -> None:
    """Run `check` on examples from `strategy`: few and reproducible, or many and random."""
    short = mode == "short"
    runner = settings(
        max_examples=SHORT_EXAMPLES if short else SLOW_EXAMPLES,
        deadline=None,
        derandomize=short,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )(given(strategy)(check))
    runner()


Mutation = Callable[[bytes], bytes]


@st.composite
def mutation_plans(draw: st.DrawFn) -> Mutation:
    """A way to damage bytes: flip 1-4 bytes, cut a slice, insert bytes, or truncate.

    Positions are drawn as fractions, so one plan applies to data of any length (for data
    that only exists inside the test, such as a fresh server flight).
    """
    kind = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
    fractions = draw(st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=4))
    xors = draw(st.lists(st.integers(1, 255), min_size=len(fractions), max_size=len(fractions)))
    span = draw(st.integers(1, 16))
    insert = draw(st.binary(min_size=1, max_size=8))

    def apply(data: bytes) -> bytes:
        out = bytearray(data)
        spots = [int(f * len(data)) for f in fractions]
        if kind == "flip":
            for at, xor in zip(spots, xors, strict=True):
                out[at] ^= xor
        elif kind == "cut":
            del out[spots[0] : spots[0] + span]
        elif kind == "insert":
            out[spots[0] : spots[0]] = insert
        else:
            del out[spots[0] :]
        return bytes(out)

    return apply


def mutations(data: bytes) -> st.SearchStrategy[bytes]:
    """`data` damaged by one mutation plan; never `data` itself."""
    return mutation_plans().map(lambda plan: plan(data)).filter(lambda out: out != data)


# --------------------------------------------------------------------------- codecs and AMF

_READS: list[tuple[str, Callable[[ByteArray], Any]]] = [
    ("boolean", lambda b: b.read_boolean()),
    ("byte", lambda b: b.read_byte()),
    ("unsigned_byte", lambda b: b.read_unsigned_byte()),
    ("short", lambda b: b.read_short()),
    ("unsigned_short", lambda b: b.read_unsigned_short()),
    ("int", lambda b: b.read_int()),
    ("unsigned_int", lambda b: b.read_unsigned_int()),
    ("float", lambda b: b.read_float()),
    ("double", lambda b: b.read_double()),
    ("utf", lambda b: b.read_utf()),
    ("utf_bytes_3", lambda b: b.read_utf_bytes(3)),
    ("multi_byte_4_latin1", lambda b: b.read_multi_byte(4, "iso-8859-1")),
    ("multi_byte_2_shift_jis", lambda b: b.read_multi_byte(2, "shift_jis")),
    ("object", lambda b: b.read_object()),
    ("bytes_5", lambda b: b.read_bytes(bytearray(), 0, 5)),
]


class TestCodecs:
    """IDataInput on a ByteArray: every read returns or raises our error, and a failed read
    consumes nothing."""

    @pytest.mark.parametrize("mode", MODES)
    def test_random_reads_on_random_bytes(self, mode: str) -> None:
        """Any sequence of reads over any bytes, in both endians and both AMF versions."""

        def check(case: tuple[bytes, str, int, list[int]]) -> None:
            data, endian, encoding, ops = case
            buffer = ByteArray()
            buffer.write_bytes(data)
            buffer.position = 0
            buffer.endian = endian
            buffer.object_encoding = encoding
            for op in ops:
                before = buffer.position
                try:
                    _READS[op][1](buffer)
                except (EOFError, RangeError):
                    assert before == buffer.position, f"failed {_READS[op][0]} consumed bytes"

        strategy = st.tuples(
            st.binary(max_size=64),
            st.sampled_from(["bigEndian", "littleEndian"]),
            st.sampled_from([0, 3]),
            st.lists(st.integers(0, len(_READS) - 1), max_size=12),
        )
        fuzz(mode, strategy, check)

    @pytest.mark.parametrize("mode", MODES)
    @pytest.mark.parametrize("encoding", [0, 3], ids=["amf0", "amf3"])
    def test_amf_decode_random_bytes(self, mode: str, encoding: int) -> None:
        """Arbitrary bytes decode to a value or raise EOFError/RangeError, using no more bytes
        than given."""

        def check(data: bytes) -> None:
            try:
                _value, used = decode_value(data, encoding)
            except (EOFError, RangeError):
                return
            assert 0 < used <= len(data)

        fuzz(mode, st.binary(max_size=256), check)

    @pytest.mark.parametrize("mode", MODES)
    @pytest.mark.parametrize("encoding", [0, 3], ids=["amf0", "amf3"])
    def test_amf_decode_mutated_encodings(self, mode: str, encoding: int) -> None:
        """Valid encodings of nested values, mutated: a value or our error, never a crash."""

        def check(case: tuple[Any, int, int]) -> None:
            value, at, xor = case
            data = bytearray(encode_value(value, encoding))
            data[at % len(data)] ^= xor
            with contextlib.suppress(EOFError, RangeError):
                decode_value(bytes(data), encoding)

        fuzz(mode, st.tuples(amf_values(), st.integers(0, 1 << 16), st.integers(1, 255)), check)

    @pytest.mark.parametrize("mode", MODES)
    @pytest.mark.parametrize("encoding", [0, 3], ids=["amf0", "amf3"])
    def test_amf_round_trip(self, mode: str, encoding: int) -> None:
        """Every representable value survives writeObject → readObject unchanged."""

        def check(value: Any) -> None:
            buffer = ByteArray()
            buffer.object_encoding = encoding
            buffer.write_object(value)
            buffer.position = 0
            assert value == buffer.read_object()
            assert buffer.bytes_available == 0

        fuzz(mode, amf_values(), check)

    @pytest.mark.parametrize("mode", MODES)
    def test_random_writes_read_back(self, mode: str) -> None:
        """IDataOutput: any sequence of writes, in either endian and AMF version, each either
        writes or raises our error (RangeError, ArgumentError) having written nothing; reading
        back gives every successful write's value as AS3 defines it (wrapped integers, float
        rounding, a UTF string over 65535 bytes refused)."""

        def check(case: tuple[str, int, list[tuple[int, Any]]]) -> None:
            endian, encoding, plan = case
            buffer = ByteArray()
            buffer.endian = endian
            buffer.object_encoding = encoding
            written: list[tuple[int, Any]] = []
            for index, value in plan:
                before = (buffer.length, buffer.position)
                try:
                    _write(buffer, _WRITES[index][0], value)
                except (RangeError, ArgumentError):
                    assert (buffer.length, buffer.position) == before, "a failed write wrote"
                    continue
                written.append((index, value))
            buffer.position = 0
            for index, value in written:
                name, _strategy, read, expected = _WRITES[index]
                got = read(buffer, value)
                assert _same(expected(value), got), f"{name}({value!r}) read back as {got!r}"
            assert buffer.bytes_available == 0

        one_write = st.integers(0, len(_WRITES) - 1).flatmap(
            lambda i: st.tuples(st.just(i), _WRITES[i][1])
        )
        strategy = st.tuples(
            st.sampled_from(["bigEndian", "littleEndian"]),
            st.sampled_from([0, 3]),
            st.lists(one_write, max_size=8),
        )
        fuzz(mode, strategy, check)

    @pytest.mark.parametrize("mode", MODES)
    def test_amf_encode_unrepresentable(self, mode: str) -> None:
        """Values with no AMF form raise ArgumentError, never another exception."""

        def check(value: Any) -> None:
            with pytest.raises(ArgumentError):
                encode_value(value, 3)

        bad = st.one_of(
            st.builds(object),
            st.complex_numbers(allow_nan=False),
            st.sets(st.integers(), max_size=3),
            st.dictionaries(st.integers(), st.integers(), min_size=1, max_size=3),
        )
        fuzz(mode, bad, check)


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _as_float32(value: float) -> float:
    try:
        return float(struct.unpack("<f", struct.pack("<f", value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


def _as3_text(value: str) -> str:
    """What readUTF / readUTFBytes give back for `value`: AS3 drops a leading BOM and stops
    at the first NUL."""
    value = value.removeprefix("\ufeff")
    return value.split("\x00", 1)[0]


def _same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to NaN (a float written and read back keeps being NaN)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


# One IDataOutput write: (name, value strategy, how to read it back, what the read gives).
_WRITES: list[tuple[str, st.SearchStrategy[Any], Callable[[ByteArray, Any], Any], Any]] = [
    ("boolean", st.booleans(), lambda b, v: b.read_boolean(), bool),
    ("byte", st.integers(-(2**40), 2**40), lambda b, v: b.read_byte(), lambda v: _signed(v, 8)),
    ("short", st.integers(-(2**40), 2**40), lambda b, v: b.read_short(), lambda v: _signed(v, 16)),
    ("int", st.integers(-(2**40), 2**40), lambda b, v: b.read_int(), lambda v: _signed(v, 32)),
    (
        "unsigned_int",
        st.integers(-(2**40), 2**40),
        lambda b, v: b.read_unsigned_int(),
        lambda v: v % 2**32,
    ),
    ("float", st.floats(), lambda b, v: b.read_float(), _as_float32),
    ("double", st.floats(), lambda b, v: b.read_double(), lambda v: v),
    (
        "utf",
        st.one_of(
            st.text(max_size=40),
            # around the 65535-byte limit: 1-, 2- and 3-byte characters
            st.builds(lambda n, c: c * n, st.integers(21_840, 21_850), st.just("\u20ac")),
            st.builds(lambda n, c: c * n, st.integers(65_530, 65_540), st.just("a")),
        ),
        lambda b, v: b.read_utf(),
        _as3_text,
    ),
    (
        "utf_bytes",
        st.text(max_size=40),
        lambda b, v: b.read_utf_bytes(len(v.encode())),
        _as3_text,
    ),
    (
        "object",
        st.deferred(lambda: amf_values()),  # noqa: PLW0108 - amf_values is defined below
        lambda b, v: b.read_object(),
        lambda v: v,
    ),
    (
        "bytes",
        st.tuples(st.binary(max_size=16), st.integers(-2, 20), st.integers(-2, 20)),
        lambda b, v: _read_n(b, len(_slice(*v))),
        lambda v: _slice(*v),
    ),
]


def _slice(data: bytes, offset: int, length: int) -> bytes:
    return data[offset:] if length == 0 else data[offset : offset + length]


def _read_n(buffer: ByteArray, count: int) -> bytes:
    target = bytearray()
    if count:
        buffer.read_bytes(target, 0, count)
    return bytes(target)


def _write(buffer: ByteArray, name: str, value: Any) -> None:
    if name == "bytes":
        buffer.write_bytes(*value)
    else:
        getattr(buffer, f"write_{name}")(value)


def amf_values() -> st.SearchStrategy[Any]:
    """Values both AMF versions represent exactly (no NaN: it never equals itself)."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**28), 2**28 - 1),
        st.floats(allow_nan=False),
        st.text(max_size=20),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4),
        ),
        max_leaves=12,
    )


# --------------------------------------------------------------------------- the TLS engine


def plaintext_buffer() -> Any:
    """What the engine decrypts into: a ByteQueue where the engine has one, else a bytearray."""
    try:
        from securesocket._bytequeue import ByteQueue
    except ImportError:
        return bytearray()
    return ByteQueue()


def fresh_handshake() -> tuple[TLSEngine, bytes]:
    """A client engine that has sent its ClientHello, and a real server's answering flight."""
    ca = CA()
    server_ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    server = SSL.Connection(server_ctx, None)
    server.set_accept_state()
    engine = TLSEngine(client_context(ContextOptions()), "localhost", plaintext_buffer())
    engine.start()
    server.bio_write(engine.data_to_send())
    with contextlib.suppress(SSL.WantReadError):
        server.do_handshake()
    return engine, server.bio_read(1 << 20)


def feed(engine: TLSEngine, chunks: list[bytes]) -> None:
    """Feed chunks to `engine`; only events or TLSError may come out, and an error latches."""
    for chunk in chunks:
        try:
            engine.receive_data(chunk)
        except TLSError:
            engine.data_to_send()  # the alert is still there to flush
            with pytest.raises(TLSError):  # latched: every later call raises too
                engine.receive_data(b"x")
            return
        engine.data_to_send()


def feed_fresh_engine(chunks: list[bytes]) -> None:
    engine = TLSEngine(client_context(ContextOptions()), "localhost", plaintext_buffer())
    engine.start()
    engine.data_to_send()
    feed(engine, chunks)


class TestEngineInput:
    """The engine fed hostile bytes: events or `TLSError`, never another exception."""

    @pytest.mark.parametrize("mode", MODES)
    def test_random_bytes(self, mode: str) -> None:
        """Arbitrary chunks, then EOF."""
        chunks = st.lists(st.binary(max_size=300), max_size=4).map(lambda c: [*c, b""])
        fuzz(mode, chunks, feed_fresh_engine)

    @pytest.mark.parametrize("mode", MODES)
    def test_mutated_server_flight(self, mode: str) -> None:
        """A real server's answer with bytes changed, fed in pieces of a drawn size (one byte
        at a time up to all at once), then EOF: events or TLSError, and (no trust hooks
        installed) never a completed handshake."""

        def check(case: tuple[Mutation, int]) -> None:
            plan, piece = case
            engine, flight = fresh_handshake()
            data = plan(flight)
            pieces = [data[i : i + piece] for i in range(0, len(data), piece)]
            feed(engine, [*pieces, b""])
            assert engine.state is not EngineState.OPEN

        sizes = st.one_of(st.just(1), st.integers(1, 64), st.integers(64, 1 << 16))
        fuzz(mode, st.tuples(mutation_plans(), sizes), check)

    def test_control_untouched_flight_reaches_the_certificate_check(self) -> None:
        """The twin: the unmutated flight is parsed up to the certificate check, which (no
        trust hooks installed) fails as a certificate failure, not as a parse error."""
        engine, flight = fresh_handshake()
        with pytest.raises(TLSError, match="certificate verify failed"):
            engine.receive_data(flight)


# --------------------------------------------------------------------------- certificates


class _PKI:
    """A fixture PKI with revocation data: root → intermediate → leaves (one revoked)."""

    def __init__(self) -> None:
        self.at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.root = CA(common_name="fuzz root")
        self.intermediate = self.root.create_child_ca(
            common_name="fuzz intermediate",
            crl_url="http://127.0.0.1:9/fuzz.crl",
            ocsp_url="http://127.0.0.1:9/ocsp",
        )
        self.good: LeafCert = self.intermediate.issue_cert("localhost")
        self.revoked: LeafCert = self.intermediate.issue_cert("localhost")
        self.intermediate.revoke(self.revoked, at=self.at - dt.timedelta(hours=1))
        self.crl = self.intermediate.crl(at=self.at - dt.timedelta(minutes=5))
        self.ocsp_revoked = self.intermediate.ocsp_response(
            self.revoked, at=self.at - dt.timedelta(minutes=5)
        )
        self.ocsp_good = self.intermediate.ocsp_response(
            self.good, at=self.at - dt.timedelta(minutes=5)
        )

    @property
    def root_der(self) -> bytes:
        return self.root.cert_der

    @property
    def intermediate_der(self) -> bytes:
        return self.intermediate.cert_der

    def verify(self, leaf: bytes, intermediates: list[bytes], **kwargs: Any) -> Any:
        return verify_chain(
            leaf,
            intermediates,
            anchors=[self.root_der],
            trust="none",
            host="localhost",
            at=self.at,
            **kwargs,
        )


@pytest.fixture(scope="module")
def pki() -> _PKI:
    return _PKI()


def der_of(value: Any) -> bytes:
    return bytes(value.public_bytes(serialization.Encoding.DER))


class TestCertificatesEnteringVerifyChain:
    """Mutated DER from the fixture PKI through `verify_chain`: a `Verification` or
    `ArgumentError`, and never trusted."""

    def test_control_untouched_chain_is_trusted(self, pki: _PKI) -> None:
        """The twin: the unmutated chain verifies as trusted with revocation off."""
        result = pki.verify(pki.good.der, [pki.intermediate_der], revocation="off")
        assert result.trusted

    @pytest.mark.parametrize("mode", MODES)
    def test_mutated_leaf(self, mode: str, pki: _PKI) -> None:
        """A leaf with changed bytes is never trusted."""

        def check(leaf: bytes) -> None:
            try:
                result = pki.verify(leaf, [pki.intermediate_der], revocation="off")
            except ArgumentError:
                return
            assert not result.trusted, "a mutated leaf was trusted"
            assert result.status != "trusted"

        fuzz(mode, mutations(pki.good.der), check)

    @pytest.mark.parametrize("mode", MODES)
    def test_mutated_intermediate(self, mode: str, pki: _PKI) -> None:
        """An intermediate with changed bytes never yields a trusted path (it is the only way
        from the leaf to the root)."""

        def check(intermediate: bytes) -> None:
            result = pki.verify(pki.good.der, [intermediate], revocation="off")
            assert not result.trusted, "a mutated intermediate was trusted"

        fuzz(mode, mutations(pki.intermediate_der), check)

    @pytest.mark.parametrize("mode", MODES)
    def test_random_bytes_as_certificates(self, mode: str, pki: _PKI) -> None:
        """Random bytes as a leaf: ArgumentError; as intermediates: ignored, not trusted."""

        def check(junk: bytes) -> None:
            with pytest.raises(ArgumentError):
                pki.verify(junk, [], revocation="off")
            assert not pki.verify(pki.good.der, [junk], revocation="off").trusted

        fuzz(mode, st.binary(max_size=200), check)


class TestRevocationDataEnteringOurCode:
    """Mutated CRLs and OCSP responses: never an unexpected exception, and a revoked leaf is
    never trusted under hard-fail whatever the bytes say."""

    def test_control_genuine_crl_and_ocsp_decide(self, pki: _PKI) -> None:
        """The twins: the genuine CRL and OCSP response say good and revoked as issued."""
        inter = [pki.intermediate_der]
        crl = der_of(pki.crl)
        assert pki.verify(pki.good.der, inter, revocation="hard-fail", crls=[crl]).trusted
        assert (
            pki.verify(pki.revoked.der, inter, revocation="hard-fail", crls=[crl]).status
            == "revoked"
        )
        assert (
            pki.verify(
                pki.revoked.der,
                inter,
                revocation="hard-fail",
                ocsp_responses=[der_of(pki.ocsp_revoked)],
            ).status
            == "revoked"
        )

    @pytest.mark.parametrize("mode", MODES)
    def test_mutated_crl(self, mode: str, pki: _PKI) -> None:
        """A mutated CRL never hides the leaf's revocation and never crashes."""

        def check(crl: bytes) -> None:
            result = pki.verify(
                pki.revoked.der, [pki.intermediate_der], revocation="hard-fail", crls=[crl]
            )
            assert not result.trusted, "a mutated CRL hid a revocation"
            good = pki.verify(
                pki.good.der, [pki.intermediate_der], revocation="soft-fail", crls=[crl]
            )
            assert good.status == "trusted", "a mutated CRL changed a good answer"

        fuzz(mode, mutations(der_of(pki.crl)), check)

    @pytest.mark.parametrize("mode", MODES)
    def test_mutated_ocsp_response(self, mode: str, pki: _PKI) -> None:
        """A mutated OCSP response never turns "revoked" into trusted and never crashes."""

        def check(response: bytes) -> None:
            result = pki.verify(
                pki.revoked.der,
                [pki.intermediate_der],
                revocation="hard-fail",
                ocsp_responses=[response],
            )
            assert not result.trusted, "a mutated OCSP response hid a revocation"

        fuzz(mode, mutations(der_of(pki.ocsp_revoked)), check)

    @pytest.mark.parametrize("mode", MODES)
    def test_mutated_good_ocsp_is_not_proof_under_hard_fail(self, mode: str, pki: _PKI) -> None:
        """A "good" OCSP response whose signed bytes changed is no proof: hard-fail, with
        nothing else to go on, does not trust."""

        def check(response: bytes) -> None:
            try:
                parsed = x509.ocsp.load_der_ocsp_response(response)
                unchanged = parsed.tbs_response_bytes == pki.ocsp_good.tbs_response_bytes and (
                    parsed.signature == pki.ocsp_good.signature
                )
            except ValueError:
                unchanged = False
            result = pki.verify(
                pki.good.der,
                [pki.intermediate_der],
                revocation="hard-fail",
                ocsp_responses=[response],
            )
            if not unchanged:
                assert not result.trusted, "a mutated OCSP response was accepted as proof"

        fuzz(mode, mutations(der_of(pki.ocsp_good)), check)

    @pytest.mark.parametrize("mode", MODES)
    def test_load_crl_never_raises(self, mode: str) -> None:
        """Arbitrary bytes into the CRL parser: a parsed CRL or a stated problem."""

        def check(data: bytes) -> None:
            parsed = load_crl(data, origin="fuzz")
            assert parsed.crl is not None or parsed.problem

        fuzz(mode, st.binary(max_size=300), check)


def known_crl_crash(data: bytes) -> bool:
    """Whether cryptography itself raises on `data` beyond a plain parse error (the inputs
    that once crashed `load_crl`)."""
    try:
        crl = x509.load_der_x509_crl(data)
    except x509.InvalidVersion:
        return True
    except ValueError:
        return False
    try:
        _ = crl.issuer
    except ValueError:
        return True
    return False


def known_ocsp_crash(data: bytes) -> bool:
    """Whether cryptography raises UnsupportedAlgorithm on `data` (the inputs that once
    crashed the OCSP check)."""
    try:
        response = x509.ocsp.load_der_ocsp_response(data)
        if response.response_status is not x509.ocsp.OCSPResponseStatus.SUCCESSFUL:
            return False
        _ = response.signature_hash_algorithm
        _ = [single.hash_algorithm for single in response.responses]
    except UnsupportedAlgorithm:
        return True
    except ValueError:
        return False
    return False


ECDSA_WITH_SHA256 = b"\x2a\x86\x48\xce\x3d\x04\x03\x02"
UNKNOWN_SIGNATURE_OID = b"\x2a\x86\x49\xce\x3d\x04\x03\x02"
SHA1 = b"\x2b\x0e\x03\x02\x1a"
UNKNOWN_HASH_OID = b"\x2b\x0f\x03\x02\x1a"


class TestParserCrashRegressions:
    """Crashes the fuzz tests above found (each once escaped `verify_chain`; fixed in the
    revocation package): one hand-made input each, so a regression fails on every run, not
    only when the fuzzer happens to draw it."""

    def test_ocsp_response_with_unknown_signature_algorithm(self, pki: _PKI) -> None:
        """An OCSP response whose signature OID is unknown → not proof, not a crash."""
        data = der_of(pki.ocsp_good).replace(ECDSA_WITH_SHA256, UNKNOWN_SIGNATURE_OID, 1)
        assert known_ocsp_crash(data)
        result = pki.verify(
            pki.good.der, [pki.intermediate_der], revocation="hard-fail", ocsp_responses=[data]
        )
        assert not result.trusted

    def test_ocsp_response_with_unknown_certid_hash(self, pki: _PKI) -> None:
        """An OCSP response whose CertID hash OID is unknown → not proof, not a crash."""
        data = der_of(pki.ocsp_good).replace(SHA1, UNKNOWN_HASH_OID, 1)
        assert known_ocsp_crash(data)
        result = pki.verify(
            pki.good.der, [pki.intermediate_der], revocation="hard-fail", ocsp_responses=[data]
        )
        assert not result.trusted

    def test_control_the_unmutated_ocsp_response_is_proof(self, pki: _PKI) -> None:
        """The twin: the same response, untouched, makes hard-fail trust the good leaf."""
        result = pki.verify(
            pki.good.der,
            [pki.intermediate_der],
            revocation="hard-fail",
            ocsp_responses=[der_of(pki.ocsp_good)],
        )
        assert result.trusted

    def test_crl_with_bad_version_is_a_problem_not_a_crash(self, pki: _PKI) -> None:
        """A CRL whose version INTEGER says 0 (an invalid v1 encoding) → a stated problem."""
        data = der_of(pki.crl).replace(b"\x02\x01\x01", b"\x02\x01\x00", 1)
        assert known_crl_crash(data)
        assert load_crl(data, origin="fuzz").problem

    def test_crl_with_malformed_issuer_is_a_problem_not_a_crash(self, pki: _PKI) -> None:
        """A CRL whose issuer CN has an invalid string tag → a stated problem."""
        oid_cn_utf8 = b"\x55\x04\x03\x0c"
        data = der_of(pki.crl).replace(oid_cn_utf8, b"\x55\x04\x03\x0d", 1)
        assert known_crl_crash(data)
        assert load_crl(data, origin="fuzz").problem

    def test_verify_chain_survives_a_crl_with_malformed_issuer(self, pki: _PKI) -> None:
        """verify_chain with that CRL under hard-fail → a Verification (not trusted)."""
        data = der_of(pki.crl).replace(b"\x55\x04\x03\x0c", b"\x55\x04\x03\x0d", 1)
        result = pki.verify(
            pki.good.der, [pki.intermediate_der], revocation="hard-fail", crls=[data]
        )
        assert not result.trusted

    def test_control_the_unmutated_crl_loads(self, pki: _PKI) -> None:
        """The twin: the same CRL, untouched, loads with no problem and the issuer's name."""
        parsed = load_crl(der_of(pki.crl), origin="fuzz")
        assert parsed.problem is None
        assert parsed.crl is not None
        assert parsed.crl.issuer == pki.intermediate.subject


# --------------------------------------------------------------------------- atheris

ATHERIS_AMF_HARNESS = textwrap.dedent(
    """
    import os, sys
    import atheris

    # Instrument only the codec: instrumenting every import (cryptography, ...) costs seconds.
    CODEC = ["securesocket._amf", "securesocket._datacodec", "securesocket._bytearray"]
    with atheris.instrument_imports(include=CODEC):
        from securesocket._amf import decode_value
        from securesocket._bytearray import ByteArray
        from securesocket.exceptions import EOFError, RangeError

    SELF_TEST = os.environ.get("SECURESOCKET_ATHERIS_SELF_TEST") == "1"

    def one_input(data):
        if not data:
            return
        if SELF_TEST and data[0] == 0x42:
            raise RuntimeError("planted bug: the harness must report this")
        encoding = 3 if data[0] & 1 else 0
        body = data[1:]
        try:
            _value, used = decode_value(body, encoding)
        except (EOFError, RangeError):
            buffer = ByteArray()
            buffer.write_bytes(body)
            buffer.position = 0
            buffer.object_encoding = encoding
            try:
                buffer.read_object()
            except (EOFError, RangeError):
                assert buffer.position == 0, "a failed readObject consumed bytes"
                return
            raise AssertionError("readObject succeeded where decode_value failed")
        assert 0 < used <= len(body)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
    """
)


def run_atheris(
    runs: int, artifacts: Path, *, self_test: bool = False
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-c", ATHERIS_AMF_HARNESS, f"-runs={runs}", "-max_len=1024"]
    argv += [f"-artifact_prefix={artifacts}/", "-seed=1"]
    env = {**os.environ, "SECURESOCKET_ATHERIS_SELF_TEST": "1" if self_test else "0"}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=800, check=False)


class TestAtherisAMF:
    """Coverage-guided fuzzing (atheris/libFuzzer) of the AMF decoder behind readObject:
    a value or EOFError/RangeError, and a failed readObject consumes nothing."""

    @pytest.mark.parametrize("mode", MODES)
    def test_amf_decoder(self, mode: str, tmp_path: Path) -> None:
        """libFuzzer-driven inputs, both AMF versions: no other exception, no failed check."""
        pytest.importorskip("atheris", reason="atheris has wheels for Linux x86_64 only")
        runs = 4_000 if mode == "short" else (2_000_000 if LONG else 200_000)
        result = run_atheris(runs, tmp_path)
        assert result.returncode == 0, result.stderr[-4000:]
        assert f"Done {runs} runs" in result.stderr

    def test_control_the_harness_reports_a_planted_bug(self, tmp_path: Path) -> None:
        """The twin: with a bug planted behind one easy byte, the run fails and says why."""
        pytest.importorskip("atheris", reason="atheris has wheels for Linux x86_64 only")
        result = run_atheris(50_000, tmp_path, self_test=True)
        assert result.returncode != 0
        assert "planted bug" in result.stdout + result.stderr
