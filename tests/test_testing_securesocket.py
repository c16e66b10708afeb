"""The kit's SecureSocket helpers against the real SecureSocket: `LiveScenario.configure` and
`CA.configure_secure_socket` give it exactly the trust the scenario describes."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from securesocket import CertificateStatus
from securesocket._secure_socket import SecureSocket
from securesocket.exceptions import IOError as SocketIOError
from securesocket.testing import CA, SCENARIOS, OpenSSLServer


async def attempt(sock: SecureSocket, host: str, port: int) -> list[str]:
    """Connect, and return the event types up to the first decisive one (a failed
    ``await connect()`` also raises; the event is what AS3 code sees)."""
    events: list[str] = []
    done = asyncio.Event()

    def record(event: object) -> None:
        events.append(str(getattr(event, "type", event)))
        done.set()

    for kind in ("connect", "ioError", "securityError"):
        sock.add_event_listener(kind, record)
    with contextlib.suppress(SocketIOError):
        await sock.connect(host, port)
    await asyncio.wait_for(done.wait(), timeout=30)
    sock.close()
    return events


@pytest.mark.parametrize(
    ("name", "policy"),
    [("good", "require"), ("untrusted-root", "off"), ("missing-intermediate", "off"),
     ("missing-intermediate-not-added", "off"), ("self-signed-trusted", "require"),
     ("revoked-by-crl", "soft-fail"),
     # AIR's hole through the real socket: revoked by its CA, accepted where the policy lets
     # an unreachable or undeclared source pass, refused where it does not.
     ("revoked-responder-down", "soft-fail"), ("revoked-responder-down", "hard-fail"),
     ("revoked-no-revocation-info", "hard-fail"), ("revoked-no-revocation-info", "require")],
)  # fmt: skip
def test_configured_secure_socket_reports_the_catalogues_status(name: str, policy: str) -> None:
    scenario = SCENARIOS[name]
    with scenario.start() as live:

        async def body() -> tuple[list[str], str]:
            sock = SecureSocket(trust="none", revocation=policy)
            live.configure(sock)
            events = await attempt(sock, live.server_name, live.port)
            return events, str(sock.server_certificate_status)

        events, status = asyncio.run(body())
    expected = scenario.expected[policy]
    assert status == expected.value
    assert events == (["connect"] if expected is CertificateStatus.TRUSTED else ["ioError"])


@pytest.mark.parametrize("trusting_the_issuer", [True, False])
def test_configure_secure_socket(trusting_the_issuer: bool) -> None:
    root = CA()
    leaf = root.create_child_ca().issue_cert("localhost")
    with OpenSSLServer(leaf) as server:

        async def body() -> tuple[list[str], str]:
            sock = SecureSocket(trust="none", revocation="off")
            (root if trusting_the_issuer else CA()).configure_secure_socket(sock)
            events = await attempt(sock, "localhost", server.port)
            return events, str(sock.server_certificate_status)

        events, status = asyncio.run(body())
    if trusting_the_issuer:
        assert (events, status) == (["connect"], "trusted")
    else:
        assert (events, status) == (["ioError"], "untrustedSigners")
