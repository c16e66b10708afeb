"""Every fixture-PKI scenario through a real `SecureSocket` against its loopback server, and the
``ioError`` text: it names the status and the first (deciding) problem.

The offline twin of each case is `verify_chain` on the scenario's materials
(tests/test_trust_scenarios.py); here the same verdict must come out of a real handshake, with
the server's chain as the pool, before any ``connect`` event.
"""

from __future__ import annotations

import asyncio

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from securesocket import CertificateStatus, verify_chain
from securesocket._secure_socket import SecureSocket
from securesocket.exceptions import IOError as SocketIOError
from securesocket.revocation.fetch import Fetchers, default_fetchers, set_default_fetchers
from securesocket.testing import SCENARIOS


DER = Encoding.DER


# Chain scenarios: policy "off" and the default "soft-fail" give the same verdict (checked
# offline); "soft-fail" here also shows revocation never masks a chain problem. Revocation
# scenarios: "hard-fail", where most of them differ from AIR's "trusted".
CASES = [(n, "soft-fail" if s.kind == "chain" else "hard-fail") for n, s in SCENARIOS.items()]
SLOW_RESPONDER = "ocsp-responder-slow"


@pytest.fixture
def short_fetch_timeout(request: pytest.FixtureRequest):
    """The slow responder's case with a 1 s per-request timeout instead of the default 5 s
    (the verdict is the same, the suite is faster); every other case keeps the defaults."""
    if SLOW_RESPONDER not in request.node.name:
        yield
        return
    saved = default_fetchers()
    set_default_fetchers(Fetchers(timeout=1.0))
    try:
        yield
    finally:
        set_default_fetchers(saved)


async def _attempt(
    sock: SecureSocket, host: str, port: int
) -> tuple[list[tuple[str, str]], object]:
    """Connect; the events up to the first decisive one (type, text) and the connect error."""
    events: list[tuple[str, str]] = []
    done = asyncio.Event()

    def record(event: object) -> None:
        events.append((str(getattr(event, "type", "")), str(getattr(event, "text", ""))))
        done.set()

    for kind in ("connect", "ioError", "securityError"):
        sock.add_event_listener(kind, record)
    error: object = None
    try:
        await sock.connect(host, port)
    except SocketIOError as exc:
        error = exc
    await asyncio.wait_for(done.wait(), timeout=30)
    sock.close()
    return events, error


@pytest.mark.parametrize(("name", "policy"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
@pytest.mark.usefixtures("short_fetch_timeout")
def test_every_scenario_through_a_real_secure_socket(name: str, policy: str) -> None:
    scenario = SCENARIOS[name]
    expected = scenario.expected[policy]
    with scenario.start() as live:

        async def body() -> tuple[list[tuple[str, str]], object, str]:
            sock = SecureSocket(trust="none", revocation=policy)
            live.configure(sock)
            events, error = await _attempt(sock, live.server_name, live.port)
            return events, error, str(sock.server_certificate_status)

        events, error, status = asyncio.run(body())
    assert status == expected.value
    if expected is CertificateStatus.TRUSTED:
        assert [kind for kind, _ in events] == ["connect"]
        assert error is None
        return
    # Refused before any connect event, with one ioError whose text names the status and the
    # first problem of the socket's own verification.
    assert [kind for kind, _ in events] == ["ioError"]
    verification = getattr(error, "verification", None)
    assert verification is not None, f"no verification on {error!r}"
    assert verification.status is expected
    # Exactly AS3's #2031 text for the host, then "certificate <status>: <first problem>".
    want = f"Error #2031: Socket Error. URL: {live.server_name} (certificate {expected.value}"
    first = verification.first_problem
    if scenario.kind == "chain":
        assert first is not None
        assert first.status is expected  # the first problem is the deciding one
        want += f": {first.message}"
    else:
        # A revocation refusal: the path itself was clean, the report says why.
        assert verification.revocation is not None
        assert {p.code for p in verification.problems} <= {"revocation"}
        want += f": {verification.revocation.summary}"
    assert events[0][1] == want + ")"
    if scenario.kind == "chain":
        # The handshake's verdict is the offline one, down to the deciding problem.
        made = scenario.materials()
        offline = verify_chain(**made.verify_chain_arguments(policy))
        assert offline.status is expected
        assert first is not None
        assert offline.first_problem is not None
        assert first.code == offline.first_problem.code


@pytest.mark.parametrize("trusted", [False, True], ids=["not-added", "added-as-trusted"])
def test_io_error_text_is_the_summary_of_the_rejection(trusted: bool) -> None:
    """The exact text: AS3's #2031 prefix, the status, then the first problem's message; and
    its twin: with the issuer added as trusted the same server connects and there is none."""
    scenario = SCENARIOS["untrusted-root"]
    with scenario.start() as live:

        async def body() -> tuple[list[tuple[str, str]], object]:
            sock = SecureSocket(trust="none", revocation="off")
            live.configure(sock)
            if trusted:
                # The root the server's chain really leads to (the one the scenario withholds).
                other_root = live.materials.cas["other-root"].certificate
                sock.add_binary_chain_building_certificate(other_root.public_bytes(DER), True)
            return await _attempt(sock, live.server_name, live.port)

        events, error = asyncio.run(body())
    if trusted:
        assert [kind for kind, _ in events] == ["connect"]
        assert error is None
        return
    verification = getattr(error, "verification", None)
    assert verification is not None
    first = verification.first_problem
    assert first is not None
    assert first.code == "no_anchor"
    want = f"Error #2031: Socket Error. URL: {live.server_name} (certificate untrustedSigners: "
    assert events == [("ioError", f"{want}{first.message})")]


def test_socket_revocation_refusal_carries_the_same_problem_as_verify_chain() -> None:
    scenario = SCENARIOS["revoked-by-crl"]
    with scenario.start() as live:

        async def body() -> tuple[list[tuple[str, str]], object]:
            sock = SecureSocket(trust="none", revocation="hard-fail")
            live.configure(sock)
            return await _attempt(sock, live.server_name, live.port)

        events, error = asyncio.run(body())
    verification = getattr(error, "verification", None)
    assert verification is not None
    assert [p.code for p in verification.problems] == ["revocation"]
    assert events[0][1].endswith(f"(certificate {verification.summary()})")
