"""The audit against the fixture kit's hostile servers (`securesocket.testing.hostile`): every
one gives a result with a clear reason, within the per-host timeout; never an internal error.
The well-behaved twin (`TLSServer` with the same identity) is trusted."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from test_audit_support import refused_port

from securesocket.audit import audit_host
from securesocket.audit.model import AuditResult
from securesocket.testing import hostile


CA = hostile.ThrowawayCA()
IDENTITY = CA.issue("localhost", intermediates=1)
ROOT = CA.root.public_bytes(Encoding.DER)
LEAF = IDENTITY.leaf.public_bytes(Encoding.DER)


def _audit(server: hostile.HostileServer, anchor: bytes = ROOT) -> AuditResult:
    with server:
        result = audit_host(
            "127.0.0.1",
            server.port,
            server_name="localhost",
            trust="none",
            anchors=[anchor],
            timeout=1.0,
        )
        assert server.errors == []
    return result


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (hostile.GarbageServer, "tls-handshake-failed"),
        (hostile.MidRecordServer, "tls-handshake-failed"),
        (lambda: hostile.MidRecordServer(stall=True), "timeout"),
        (hostile.HugeCertificateServer, "tls-handshake-failed"),
        *[
            (lambda der=der: hostile.MalformedCertificateServer(der), "tls-handshake-failed")
            for der in hostile.malformed_der_variants(LEAF).values()
        ],
    ],
)
def test_a_broken_handshake_is_unreachable_with_its_reason(
    make: Callable[[], hostile.HostileServer], reason: str
) -> None:
    """No certificate could be seen: outcome unreachable (exit 3), status invalid, the reason."""
    result = _audit(make())
    assert result.outcome.value == "unreachable"
    assert result.status.value == "invalid"
    assert result.error is not None
    assert result.error.reason.value == reason


def test_a_chain_past_the_depth_limit_is_not_trusted() -> None:
    """100 certificates, all real: shown, judged (not trusted), no internal error."""
    server = hostile.LongChainServer(100)
    result = _audit(server, server.ca.root.public_bytes(Encoding.DER))
    assert result.outcome.value == "not-trusted"
    assert len(result.chain_sent) == 100
    assert result.problems


@pytest.mark.parametrize(("policy", "status"), [("soft-fail", "trusted"), ("hard-fail", "invalid")])
def test_a_garbage_staple_is_no_answer(policy: str, status: str) -> None:
    """The leaf's OCSP responder is down and the server staples bytes that are not OCSP (as
    SecureSocket's hostile-staple test): no answer, so soft-fail trusts and hard-fail refuses."""
    from securesocket.testing.ca import CA

    with refused_port() as dead:
        root = CA(ocsp_url=f"http://127.0.0.1:{dead}/ocsp")
        leaf = root.issue_cert("localhost")
        identity = hostile.ServerIdentity((leaf.certificate,), leaf.private_key)
        with hostile.TLSServer(identity, staple=b"\x30\x03not ocsp") as server:
            result = audit_host(
                "127.0.0.1",
                server.port,
                server_name="localhost",
                trust="none",
                anchors=[root.cert_der],
                revocation=policy,
                timeout=5.0,
            )
            assert server.staples_sent >= 1
    assert result.status.value == status
    assert result.error is None


def test_the_well_behaved_twin_is_trusted() -> None:
    result = _audit(hostile.TLSServer(IDENTITY))
    assert (result.outcome.value, result.status.value) == ("trusted", "trusted")
