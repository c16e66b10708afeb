"""Issue 4's requirements that had no direct test: where the platform roots come from and that
they are parsed once per process (also across real SecureSocket connections), `trust="none"`,
every pair of statuses that can co-occur on one path, and the accepted `revocation=` values.

Each accepting case has a refusing twin.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from securesocket import ArgumentError, CertificateStatus, ChainVerifier, verify_chain
from securesocket._secure_socket import SecureSocket
from securesocket.exceptions import IOError as SocketIOError
from securesocket.testing import CA, OpenSSLServer
from securesocket.testing._keys import KeyType
from securesocket.trust import roots


S = CertificateStatus
NOW = datetime(2030, 6, 1, tzinfo=UTC)
PAST = datetime(2029, 1, 1, tzinfo=UTC)
FUTURE = datetime(2031, 1, 1, tzinfo=UTC)
HOST = "example.test"


@pytest.fixture
def fresh_roots(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An environment without SSL_CERT_FILE/DIR and an empty roots cache, restored after."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    roots.clear_cache()
    yield
    roots.clear_cache()


@pytest.fixture(scope="module")
def world() -> tuple[CA, CA, x509.Certificate]:
    root = CA(common_name="Requirements Root")
    inter = root.create_child_ca(common_name="Requirements Intermediate")
    return root, inter, inter.issue_cert(HOST).certificate


def _bundle(path: Path, *cas: CA) -> Path:
    path.write_bytes(b"".join(ca.certificate.public_bytes(Encoding.PEM) for ca in cas))
    return path


def _no_ssl_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python's own ssl build paths out of the way, so only LINUX_BUNDLES is consulted."""
    empty = SimpleNamespace(cafile=None, openssl_cafile=None)
    monkeypatch.setattr(roots.ssl, "get_default_verify_paths", lambda: empty)


@pytest.mark.usefixtures("fresh_roots")
class TestPlatformRoots:
    def test_the_first_linux_bundle_that_has_certificates_wins(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, world
    ) -> None:
        root, inter, leaf = world
        first = _bundle(tmp_path / "first.pem", root)
        second = _bundle(tmp_path / "second.pem", CA(common_name="Second bundle root"))
        empty = tmp_path / "empty.pem"
        empty.write_text("no certificates here\n")
        locations = (str(tmp_path / "missing.pem"), str(empty), str(first), str(second))
        monkeypatch.setattr(roots, "LINUX_BUNDLES", locations)
        _no_ssl_defaults(monkeypatch)
        assert roots.platform_roots("platform") == (root.certificate,)
        verdict = ChainVerifier(trust="platform").verify(
            leaf, [inter.certificate], host=HOST, at=NOW
        )
        assert verdict.status is S.TRUSTED
        # Twin: certifi ignores the system locations, so the same root is unknown there.
        certifi_verdict = ChainVerifier(trust="certifi").verify(
            leaf, [inter.certificate], host=HOST, at=NOW
        )
        assert certifi_verdict.status is S.UNTRUSTED_SIGNERS

    def test_certifi_when_no_system_location_has_certificates(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(roots, "LINUX_BUNDLES", (str(tmp_path / "missing.pem"),))
        _no_ssl_defaults(monkeypatch)
        found = roots.platform_roots("platform")
        assert found == roots.load_pem_file(certifi.where())
        assert len(found) > 50

    def test_this_machines_platform_is_its_debian_bundle(self) -> None:
        debian = Path("/etc/ssl/certs/ca-certificates.crt")
        if not roots.load_pem_file(debian):
            pytest.skip("no Debian bundle on this machine")
        assert roots.platform_roots("platform") == roots.load_pem_file(debian)
        # ...and it is not merely certifi under another name (the Debian bundle differs).
        assert ssl.get_default_verify_paths().openssl_cafile is not None

    def test_trust_none_uses_only_the_added_anchors(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, world
    ) -> None:
        """The root is a platform root (SSL_CERT_FILE): trusted under "platform", unknown under
        "none" unless it is added as an anchor."""
        root, inter, leaf = world
        monkeypatch.setenv("SSL_CERT_FILE", str(_bundle(tmp_path / "env.pem", root)))
        pool = [inter.certificate]
        platform = verify_chain(leaf, pool, host=HOST, at=NOW, trust="platform", revocation="off")
        bare = verify_chain(leaf, pool, host=HOST, at=NOW, trust="none", revocation="off")
        added = verify_chain(
            leaf, pool, anchors=[root.certificate], host=HOST, at=NOW, trust="none",
            revocation="off",
        )  # fmt: skip
        assert platform.status is S.TRUSTED
        assert bare.status is S.UNTRUSTED_SIGNERS
        assert [p.code for p in bare.problems] == ["no_anchor"]
        assert added.status is S.TRUSTED
        assert added.path[-1] == root.certificate


@contextlib.contextmanager
def counting_parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every bundle file the roots module parses, in order."""
    parsed: list[str] = []
    real: Callable[..., tuple[x509.Certificate, ...]] = roots.load_pem_file

    def counted(path):  # type: ignore[no-untyped-def]
        parsed.append(str(path))
        return real(path)

    monkeypatch.setattr(roots, "load_pem_file", counted)
    yield parsed


async def _connect(sock: SecureSocket, port: int) -> list[str]:
    events: list[str] = []
    done = asyncio.Event()

    def record(event: object) -> None:
        events.append(str(getattr(event, "type", event)))
        done.set()

    for kind in ("connect", "ioError", "securityError"):
        sock.add_event_listener(kind, record)
    with contextlib.suppress(SocketIOError):
        await sock.connect("localhost", port)
    await asyncio.wait_for(done.wait(), timeout=30)
    sock.close()
    return events


@pytest.mark.usefixtures("fresh_roots")
def test_roots_are_parsed_once_per_process_across_verifiers_and_connections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One parse of the SSL_CERT_FILE bundle for two verifiers, verify_chain calls and two
    real SecureSocket connections; the twin: clearing the cache (a changed environment) does
    parse again, so the counter can see a parse."""
    root = CA(common_name="Parse Count Root")
    server_leaf = root.create_child_ca(common_name="Parse Count Intermediate").issue_cert(
        "localhost"
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(_bundle(tmp_path / "count.pem", root)))
    with counting_parses(monkeypatch) as parsed, OpenSSLServer(server_leaf) as server:
        index = roots.platform_index("platform")
        for _ in range(2):
            verifier = ChainVerifier(trust="platform")
            # No intermediate in this pool, so no path: the point is which roots were read.
            verdict = verifier.verify(server_leaf.certificate, [], host=None, at=NOW)
            assert verdict.status is S.UNTRUSTED_SIGNERS
        verify_chain(server_leaf.certificate, [], host="localhost", revocation="off")

        async def two_connections() -> list[list[str]]:
            return [
                await _connect(SecureSocket(trust="platform", revocation="off"), server.port)
                for _ in range(2)
            ]

        outcomes = asyncio.run(two_connections())
        assert outcomes == [["connect"], ["connect"]]
        assert parsed == [str(tmp_path / "count.pem")]
        assert roots.platform_index("platform") is index
        roots.clear_cache()
        roots.platform_index("platform")
        assert parsed == [str(tmp_path / "count.pem")] * 2


# --- Status precedence: every pair of statuses that can occur together on one path --------
#
# Each case builds one chain with both defects, asserts both problems are reported (so the
# pair really co-occurs) and that the status is the one higher in classify.PRECEDENCE.


def _chain(
    *,
    ca_expired: bool = False,
    leaf: dict[str, object] | None = None,
    anchored: bool = True,
) -> tuple[x509.Certificate, list[x509.Certificate], list[x509.Certificate]]:
    root = CA(common_name="Precedence Root")
    inter_kw: dict[str, object] = {"common_name": "Precedence Intermediate"}
    if ca_expired:
        inter_kw["not_after"] = PAST
    inter = root.create_child_ca(**inter_kw)
    kw: dict[str, object] = {"not_before": datetime(2025, 1, 1, tzinfo=UTC)}
    kw.update(leaf or {})
    names = kw.pop("names", (HOST,))
    cert = inter.issue_cert(*names, **kw).certificate  # type: ignore[arg-type]
    return cert, [inter.certificate], [root.certificate] if anchored else []


WRONG_HOST = {"names": ("other.test",)}
EXPIRED = {"not_after": PAST}
NOT_YET = {"not_before": FUTURE}
WEAK = {"key_type": KeyType.RSA_1024}

PAIRS = [
    # (higher, lower, chain arguments, problem codes that must both be present)
    (S.UNTRUSTED_SIGNERS, S.PRINCIPAL_MISMATCH, {"anchored": False, "leaf": WRONG_HOST},
     {"no_anchor", "host_mismatch"}),
    (S.INVALID_CHAIN, S.INVALID, {"ca_expired": True, "leaf": WEAK}, {"expired", "weak_key"}),
    (S.INVALID_CHAIN, S.EXPIRED, {"ca_expired": True, "leaf": EXPIRED}, {"expired"}),
    (S.INVALID_CHAIN, S.NOT_YET_VALID, {"ca_expired": True, "leaf": NOT_YET},
     {"expired", "not_yet_valid"}),
    (S.INVALID_CHAIN, S.PRINCIPAL_MISMATCH, {"ca_expired": True, "leaf": WRONG_HOST},
     {"expired", "host_mismatch"}),
    (S.INVALID, S.EXPIRED, {"leaf": {**WEAK, **EXPIRED}}, {"weak_key", "expired"}),
    (S.INVALID, S.NOT_YET_VALID, {"leaf": {**WEAK, **NOT_YET}}, {"weak_key", "not_yet_valid"}),
    (S.INVALID, S.PRINCIPAL_MISMATCH, {"leaf": {**WEAK, **WRONG_HOST}},
     {"weak_key", "host_mismatch"}),
    (S.EXPIRED, S.PRINCIPAL_MISMATCH, {"leaf": {**EXPIRED, **WRONG_HOST}},
     {"expired", "host_mismatch"}),
    (S.NOT_YET_VALID, S.PRINCIPAL_MISMATCH, {"leaf": {**NOT_YET, **WRONG_HOST}},
     {"not_yet_valid", "host_mismatch"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("higher", "lower", "chain", "codes"),
    PAIRS,
    ids=[f"{h.value}-over-{lo.value}" for h, lo, _, _ in PAIRS],
)
def test_precedence_pair(higher: S, lower: S, chain: dict, codes: set[str]) -> None:
    leaf, pool, anchors = _chain(**chain)
    result = verify_chain(
        leaf, pool, anchors=anchors, trust="none", revocation="off", host=HOST, at=NOW
    )
    assert codes <= {p.code for p in result.problems}, result.problems
    statuses = {p.status for p in result.problems}
    assert {higher, lower} <= statuses
    assert result.status is higher
    deciding = result.first_problem
    assert deciding is not None
    assert deciding.status is higher
    assert result.summary() == f"{higher.value}: {deciding.message}"


def test_expired_ca_and_expired_leaf_keep_both_problems() -> None:
    """The one pair where both defects have the same code: one problem per certificate."""
    leaf, pool, anchors = _chain(ca_expired=True, leaf=EXPIRED)
    result = verify_chain(leaf, pool, anchors=anchors, trust="none", revocation="off", at=NOW)
    expired = [(p.depth, p.status) for p in result.problems if p.code == "expired"]
    assert sorted(expired, key=lambda d: d[0] or 0) == [(0, S.EXPIRED), (1, S.INVALID_CHAIN)]


@pytest.mark.parametrize("chain", [{"leaf": EXPIRED}, {"leaf": WRONG_HOST}, {"anchored": False}])
def test_revocation_never_runs_on_a_path_with_problems(chain: dict) -> None:
    """revoked sits first in the precedence, but revocation only runs on an otherwise valid
    path (docs/CONTRACTS.md): under "require" with no data, a chain problem is still reported
    as itself; the twin, a clean path with no data, is invalid under "require"."""
    leaf, pool, anchors = _chain(**chain)
    off = verify_chain(
        leaf, pool, anchors=anchors, trust="none", revocation="off", host=HOST, at=NOW
    )
    required = verify_chain(
        leaf, pool, anchors=anchors, trust="none", revocation="require", host=HOST, at=NOW
    )
    assert required.status is off.status is not S.TRUSTED
    assert required.revocation is None
    clean, clean_pool, clean_anchors = _chain()
    strict = verify_chain(
        clean, clean_pool, anchors=clean_anchors, trust="none", revocation="require", host=HOST,
        at=NOW,
    )  # fmt: skip
    assert strict.status is S.INVALID
    assert [p.code for p in strict.problems] == ["revocation"]


# --- revocation= values ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["off", "soft-fail", "hard-fail", "require"])
def test_every_documented_revocation_value_is_accepted_and_acts(value: str, world) -> None:
    root, inter, leaf = world
    result = verify_chain(
        leaf, [inter.certificate], anchors=[root.certificate], trust="none", revocation=value,
        host=HOST, at=NOW,
    )  # fmt: skip
    # The fixture leaf declares no revocation source: only "require" refuses it, and every
    # policy but "off" produced a report (it really ran).
    assert result.status is (S.INVALID if value == "require" else S.TRUSTED)
    assert (result.revocation is None) == (value == "off")


@pytest.mark.parametrize("value", ["on", "OFF", "soft_fail", "", None, True, "strict"])
def test_any_other_revocation_value_is_refused(value: object, world) -> None:
    root, inter, leaf = world
    with pytest.raises(ArgumentError, match="revocation"):
        verify_chain(
            leaf, [inter.certificate], anchors=[root.certificate], trust="none",
            revocation=value,  # type: ignore[arg-type]
            at=NOW,
        )  # fmt: skip
