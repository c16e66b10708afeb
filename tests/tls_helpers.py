"""Test helpers for the engine and socket tests: a small web-PKI-conformant PKI built with
cryptography, and TLS peers on 127.0.0.1 (``openssl s_server -rev``, a Python ``ssl`` server,
a listener that never answers). Every peer is a context manager that leaves nothing running.

(The fixture PKI kit in ``securesocket.testing`` is the richer, shared version of this.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import select
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID


NOW = dt.datetime.now(dt.UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass(frozen=True)
class Issued:
    """A certificate and its key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def make_ca(cn: str, issuer: Issued | None = None) -> Issued:
    """A CA certificate (self-signed when ``issuer`` is None)."""
    key = ec.generate_private_key(ec.SECP256R1())
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer.cert.subject if issuer else _name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    return Issued(builder.sign(signer_key, hashes.SHA256()), key)


def make_leaf(
    issuer: Issued,
    names: tuple[str, ...] = ("localhost", "127.0.0.1"),
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    ocsp_url: str | None = None,
) -> Issued:
    """A web-PKI-conformant server certificate for ``names`` (DNS names and IP literals),
    declaring ``ocsp_url`` as its OCSP responder when given."""
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    builder = x509.CertificateBuilder()
    if ocsp_url:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                        x509.UniformResourceIdentifier(ocsp_url))]
            ),
            critical=False,
        )  # fmt: skip
    cert = (
        builder.subject_name(_name(names[0]))
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - dt.timedelta(days=1))
        .not_valid_after(not_after or NOW + dt.timedelta(days=10))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
        .sign(issuer.key, hashes.SHA256())
    )
    return Issued(cert, key)


def ocsp_response(leaf: Issued, issuer: Issued, *, revoked: bool) -> bytes:
    """A DER OCSP response for ``leaf`` signed by its issuer: good, or revoked yesterday."""
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert=leaf.cert,
        issuer=issuer.cert,
        algorithm=hashes.SHA256(),
        cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
        this_update=NOW - dt.timedelta(hours=1),
        next_update=NOW + dt.timedelta(days=1),
        revocation_time=NOW - dt.timedelta(days=1) if revoked else None,
        revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
    )
    response = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.cert).sign(
        issuer.key, hashes.SHA256()
    )
    return response.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class PKI:
    """Root → intermediate → leaf, written as PEM files under ``directory``."""

    root: Issued
    intermediate: Issued
    leaf: Issued
    directory: Path

    @property
    def cert_file(self) -> Path:
        return self.directory / "leaf.pem"

    @property
    def key_file(self) -> Path:
        return self.directory / "leaf.key"

    @property
    def chain_file(self) -> Path:
        return self.directory / "chain.pem"


def make_pki(
    directory: Path, names: tuple[str, ...] = ("localhost", "127.0.0.1"), **kw: object
) -> PKI:
    """A fresh three-level PKI whose leaf serves ``names``."""
    root = make_ca("securesocket test root")
    inter = make_ca("securesocket test intermediate", root)
    leaf = make_leaf(inter, names, **kw)  # type: ignore[arg-type]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "leaf.pem").write_bytes(leaf.pem)
    (directory / "leaf.key").write_bytes(leaf.key_pem)
    (directory / "chain.pem").write_bytes(inter.pem)
    (directory / "fullchain.pem").write_bytes(leaf.pem + inter.pem)
    return PKI(root, inter, leaf, directory)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes] | None, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                f"server exited early: {proc.stderr.read() if proc.stderr else ''!r}"
            )
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listening on {port}")


@contextlib.contextmanager
def openssl_rev_server(
    pki: PKI, *, version: str = "-tls1_3", send_chain: bool = True, staple: Path | None = None
) -> Iterator[int]:
    """``openssl s_server -rev`` on 127.0.0.1 (echoes each line reversed); yields its port.

    ``send_chain=False`` makes it send its leaf alone, without the intermediate."""
    port = free_port()
    chain = ["-cert_chain", str(pki.chain_file)] if send_chain else []
    if staple is not None:
        chain += ["-status_file", str(staple)]
    proc = subprocess.Popen(
        [
            "openssl", "s_server", "-rev", "-quiet", version,
            "-accept", f"127.0.0.1:{port}", "-naccept", "1000",
            "-cert", str(pki.cert_file), "-key", str(pki.key_file), *chain,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        # The readiness probe is a bare TCP connect; s_server just logs the failed handshake.
        _wait_listening(port, proc, time.monotonic() + 10)
        yield port
    finally:
        proc.kill()
        proc.wait()
        if proc.stderr:
            proc.stderr.close()


class PythonTLSServer:
    """A stdlib ``ssl`` server in a thread, one connection at a time.

    ``mode`` decides what it does with a connection:
    - "echo": echo every byte back until the client closes;
    - "greet-close": send ``greeting`` then close_notify (a clean remote close);
    - "greet-truncate": send ``greeting`` then drop TCP without close_notify;
    - "stream": send ``stream_bytes`` of data, then close_notify.
    """

    def __init__(
        self,
        pki: PKI,
        mode: str = "echo",
        *,
        greeting: bytes = b"hello\n",
        stream_bytes: int = 0,
        tls_max: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3,
    ) -> None:
        self.mode = mode
        self.greeting = greeting
        self.stream_bytes = stream_bytes
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.maximum_version = tls_max
        self.ctx.num_tickets = 0
        self.ctx.load_cert_chain(pki.directory / "fullchain.pem", pki.key_file)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.handshakes = 0
        self.errors: list[str] = []

    def __enter__(self) -> PythonTLSServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.listener.close()
        self._thread.join(10)

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.listener], [], [], 0.05)
            if not ready:
                continue
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            raw.settimeout(10)
            try:
                tls = self.ctx.wrap_socket(raw, server_side=True)
            except (OSError, ssl.SSLError) as error:
                self.errors.append(repr(error))
                raw.close()
                continue
            self.handshakes += 1
            try:
                self._handle(tls)
            except (OSError, ssl.SSLError) as error:
                self.errors.append(repr(error))
            finally:
                tls.close()

    def _handle(self, tls: ssl.SSLSocket) -> None:
        if self.mode == "echo":
            while data := tls.recv(65536):
                tls.sendall(data)
        elif self.mode == "greet-close":
            tls.sendall(self.greeting)
            tls.unwrap()
        elif self.mode == "greet-truncate":
            tls.sendall(self.greeting)
            tls.shutdown(socket.SHUT_RDWR)
        elif self.mode == "stream":
            block = b"x" * 65536
            left = self.stream_bytes
            while left > 0:
                tls.sendall(block[: min(left, len(block))])
                left -= len(block)
            tls.unwrap()


@contextlib.contextmanager
def silent_listener() -> Iterator[int]:
    """A socket that listens on 127.0.0.1 but never accepts or answers: the TCP connect
    completes in the kernel and then nothing ever arrives. Yields its port."""
    with socket.create_server(("127.0.0.1", 0), backlog=8) as listener:
        yield int(listener.getsockname()[1])
