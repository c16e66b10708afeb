"""The pytest plugin's fixtures (the plugin is registered through the ``pytest11`` entry point)."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import urllib.request
from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from securesocket import CertificateStatus
from securesocket.testing import CA, CRLServer, OCSPResponder, OpenSSLServer, PythonTLSServer
from securesocket.testing.pytest_plugin import FixturePKI
from securesocket.testing.scenarios import LiveScenario


def roundtrip(host: str, port: int, cafile_pem: bytes, server_name: str = "localhost") -> bytes:
    context = ssl.create_default_context(cadata=cafile_pem.decode())
    with (
        socket.create_connection((host, port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as conn,
    ):
        conn.sendall(b"abc\n")
        return conn.recv(100)


def test_the_plugin_is_registered(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("securesocket")


def test_pki_and_server_factories(
    no_leftover_servers: None,
    securesocket_pki: FixturePKI,
    openssl_server: Callable[..., OpenSSLServer],
    python_tls_server: Callable[..., PythonTLSServer],
) -> None:
    root_pem = securesocket_pki.root.cert_pem.bytes()
    rev = openssl_server(securesocket_pki.leaf, tls_version="1.2")
    echo = python_tls_server(securesocket_pki.leaf)
    assert roundtrip(rev.host, rev.port, root_pem) == b"cba\n"
    assert roundtrip(echo.host, echo.port, root_pem) == b"abc\n"
    with pytest.raises(ssl.SSLCertVerificationError):
        roundtrip(echo.host, echo.port, CA().cert_pem.bytes())


def test_ocsp_and_crl_servers(
    no_leftover_servers: None,
    securesocket_ca: CA,
    ocsp_responder: OCSPResponder,
    crl_server: CRLServer,
) -> None:
    leaf = securesocket_ca.issue_cert("localhost")
    securesocket_ca.revoke(leaf)
    ocsp_responder.add_ca(securesocket_ca)
    url = crl_server.publish("ca.crl", securesocket_ca.crl())
    with urllib.request.urlopen(url, timeout=10) as reply:
        crl = x509.load_der_x509_crl(reply.read())
    assert crl.issuer == securesocket_ca.subject
    assert crl.get_revoked_certificate_by_serial_number(leaf.certificate.serial_number)
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(leaf.certificate, securesocket_ca.certificate, hashes.SHA1())  # noqa: S303
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    post = urllib.request.Request(ocsp_responder.url, data=request)
    with urllib.request.urlopen(post, timeout=10) as reply:
        answer = ocsp.load_der_ocsp_response(reply.read())
    assert answer.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert ocsp_responder.cas == [securesocket_ca]


@pytest.mark.parametrize("live_scenario", ["good", "wrong-host"], indirect=True)
def test_live_scenario_by_indirect_parametrization(
    no_leftover_servers: None, live_scenario: LiveScenario
) -> None:
    pem = b"".join(
        c.public_bytes(serialization.Encoding.PEM) for c in live_scenario.materials.trusted
    )
    if live_scenario.expected["off"] is CertificateStatus.TRUSTED:
        assert roundtrip(live_scenario.host, live_scenario.port, pem) == b"cba\n"
    else:
        with pytest.raises(ssl.SSLCertVerificationError):
            roundtrip(live_scenario.host, live_scenario.port, pem)


def test_named_scenario_fixture(scenario_revoked_by_crl: LiveScenario) -> None:
    live = scenario_revoked_by_crl
    assert live.scenario.name == "revoked-by-crl"
    assert live.expected["soft-fail"] is CertificateStatus.REVOKED


def test_no_leftover_servers_notices_a_leaked_thread(
    request: pytest.FixtureRequest,
) -> None:
    """Run the fixture's generator by hand around a deliberately leaked thread."""
    from securesocket.testing import pytest_plugin

    generator = pytest_plugin.no_leftover_servers.__wrapped__()  # type: ignore[attr-defined]
    next(generator)
    release = threading.Event()
    leak = threading.Thread(target=release.wait, name="leaked on purpose")
    leak.start()
    try:
        with pytest.raises(pytest.fail.Exception, match="leaked on purpose"):
            next(generator)
    finally:
        release.set()
        leak.join()


def test_live_scenario_without_a_scenario_name_is_a_usage_error() -> None:
    from securesocket.testing import pytest_plugin

    class Unparametrized:
        param = "no-such-scenario"

    fixture = pytest_plugin.live_scenario.__wrapped__  # type: ignore[attr-defined]
    with pytest.raises(pytest.UsageError, match="parametrize live_scenario"):
        next(fixture(Unparametrized()))
    with pytest.raises(pytest.UsageError, match="good"):  # it lists the names it knows
        next(fixture(object()))


def test_no_leftover_servers_notices_a_leaked_child_process() -> None:
    """The twin of the thread check: a child process left running fails the test."""
    from securesocket.testing import pytest_plugin

    generator = pytest_plugin.no_leftover_servers.__wrapped__()  # type: ignore[attr-defined]
    next(generator)
    child = subprocess.Popen(["sleep", "30"])
    try:
        with pytest.raises(pytest.fail.Exception, match=rf"processes \[{child.pid}\]"):
            next(generator)
    finally:
        child.kill()
        child.wait()
