"""Shared peers for the audit tests (no tests here): a port that refuses, a listener that never
answers, a server that speaks something other than TLS. All bind to 127.0.0.1 and are context
managers that leave nothing running."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port with nothing listening (bound, then closed: connecting is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    yield port


@contextlib.contextmanager
def silent_listener() -> Iterator[int]:
    """A port that accepts TCP connections (in the kernel backlog) and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]


@contextlib.contextmanager
def plaintext_server(reply: bytes = b"HTTP/1.0 400 Bad Request\r\n\r\n") -> Iterator[int]:
    """A port that answers every connection with `reply` and hangs up: not TLS."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.recv(4096)
                conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


@dataclass(frozen=True)
class LiveTLS:
    """A running fixture-PKI TLS server and the files an audit needs to trust it."""

    port: int
    anchor_pem: Path
    name: str


@contextlib.contextmanager
def fixture_tls_server(tmp_path: Path, name: str = "127.0.0.1") -> Iterator[LiveTLS]:
    """`openssl s_server` with a root → intermediate → leaf chain for `name` (no revocation
    sources declared), and the root's PEM written to a file for ``--add-cert FILE:trusted``."""
    from securesocket.testing.ca import CA
    from securesocket.testing.tls_servers import OpenSSLServer

    root = CA(common_name="Audit Test Root")
    intermediate = root.create_child_ca(common_name="Audit Test Intermediate")
    leaf = intermediate.issue_cert(name)
    anchor = tmp_path / "root.pem"
    root.cert_pem.write_to_path(anchor)
    with OpenSSLServer(leaf) as server:
        yield LiveTLS(server.port, anchor, name)


#: The leaf's common name in `malformed_name_server`; its DER encoding is rewritten in place.
_MARKER = "MALFORMED-NAME!"


def _unparsable_subject(cert: x509.Certificate) -> x509.Certificate:
    """`cert` with its subject CN re-encoded as a SEQUENCE instead of a string: well-formed DER
    that OpenSSL loads (any type is allowed there) but whose names cryptography refuses to parse.
    The signature no longer matches; nothing gets that far with a name that does not parse."""
    der = cert.public_bytes(Encoding.DER)
    value = b"\x0c" + bytes([len(_MARKER)]) + _MARKER.encode()
    assert der.count(value) == 1
    inner = b"\x0c" + bytes([len(_MARKER) - 2]) + _MARKER.encode()[:-2]
    return x509.load_der_x509_certificate(der.replace(value, b"\x30" + bytes([len(inner)]) + inner))


@contextlib.contextmanager
def malformed_name_server(tmp_path: Path) -> Iterator[LiveTLS]:
    """Like `fixture_tls_server`, but the leaf's subject does not parse (see above)."""
    from securesocket.testing.ca import CA
    from securesocket.testing.leaf import LeafCert
    from securesocket.testing.tls_servers import OpenSSLServer

    root = CA(common_name="Audit Test Root")
    intermediate = root.create_child_ca(common_name="Audit Test Intermediate")
    good = intermediate.issue_cert("127.0.0.1", common_name=_MARKER)
    leaf = LeafCert(good.private_key, _unparsable_subject(good.certificate), good.intermediates)
    anchor = tmp_path / "root.pem"
    root.cert_pem.write_to_path(anchor)
    with OpenSSLServer(leaf) as server:
        yield LiveTLS(server.port, anchor, "127.0.0.1")


def version_2(cert: x509.Certificate) -> bytes:
    """`cert`'s DER with its version field set to v2 (value 1): OpenSSL loads and sends it;
    cryptography refuses to load it at all (InvalidVersion). Signature left as it was."""
    der = cert.public_bytes(Encoding.DER)
    v3 = b"\xa0\x03\x02\x01\x02"
    assert der.count(v3) == 1
    return der.replace(v3, b"\xa0\x03\x02\x01\x01")
