"""Helpers for the revocation tests: a small PKI from the fixture kit, and DER shortcuts."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp

from securesocket.testing import CA, LeafCert
from securesocket.testing.crl_server import CRLServer


NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def der(item: x509.CertificateRevocationList | ocsp.OCSPResponse | x509.Certificate) -> bytes:
    return item.public_bytes(serialization.Encoding.DER)


@dataclass
class Pki:
    """root → intermediate → leaf; the intermediate publishes `ocsp_url` / `crl_url`."""

    root: CA
    inter: CA
    leaf: LeafCert

    @property
    def path(self) -> tuple[x509.Certificate, ...]:
        return (self.leaf.certificate, self.inter.certificate, self.root.certificate)

    def path_for(self, leaf: LeafCert) -> tuple[x509.Certificate, ...]:
        return (leaf.certificate, self.inter.certificate, self.root.certificate)

    def good_crls(self) -> tuple[bytes, bytes]:
        """Fresh CRLs from both CAs (what `require` needs for the whole path)."""
        return der(self.root.crl(at=NOW)), der(self.inter.crl(at=NOW))


def make_pki(
    *,
    ocsp_url: str | None = None,
    crl_url: str | None = None,
    root_crl_url: str | None = None,
    must_staple: bool = False,
) -> Pki:
    root = CA(crl_url=root_crl_url)
    inter = root.create_child_ca(ocsp_url=ocsp_url, crl_url=crl_url)
    leaf = inter.issue_cert("localhost", must_staple=must_staple)
    return Pki(root, inter, leaf)


class RawHTTPServer:
    """A loopback TCP server that answers every connection with scripted raw bytes: for
    malformed HTTP (bad status lines, lying lengths, chunked garbage, slow drips).

    `script(path)` returns the chunks to send for a request line's path, each chunk a `bytes`
    or a float (seconds to pause; the pause ends early when the server stops). The connection is
    closed after the script. Requests are recorded as their first line."""

    def __init__(self, script: Callable[[str], Sequence[bytes | float]]) -> None:
        self.script = script
        self.requests: list[str] = []
        self.stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)  # so the accept loop sees `stopping`
        self.cut_off = 0
        """Connections the client closed before the script ended."""
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> RawHTTPServer:
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._accepter.join(10)
        self._listener.close()
        for thread in self._threads:
            thread.join(10)

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                head = b""
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                self.requests.append(line)
                path = line.split(" ")[1] if line.count(" ") >= 2 else "/"
                for step in self.script(path):
                    if isinstance(step, float):
                        if self.stopping.wait(step):
                            return
                    else:
                        conn.sendall(step)
            except OSError:
                self.cut_off += 1


def crl_from(
    ca: CA,
    *,
    at: dt.datetime,
    number: int,
    delta_base: int | None = None,
    changed_since: dt.datetime | None = None,
    extensions: Sequence[x509.ExtensionType] = (),
    issuer: x509.Name | None = None,
    key: ec.EllipticCurvePrivateKey | None = None,
) -> bytes:
    """A DER CRL of `ca`'s revocations with extra (non-critical) extensions, optionally in
    another issuer's name and signed with another key (a separate CRL-signing key)."""
    signing_key = key if key is not None else ca.private_key
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer if issuer is not None else ca.subject)
        .last_update(at)
        .next_update(at + dt.timedelta(days=7))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if delta_base is not None:
        builder = builder.add_extension(x509.DeltaCRLIndicator(delta_base), critical=True)
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    for entry in ca.ledger.revoked(by=at, since=changed_since):
        builder = builder.add_revoked_certificate(entry.to_crl_entry())
    return der(builder.sign(signing_key, hashes.SHA256()))  # type: ignore[arg-type]


def freshest(url: str) -> x509.FreshestCRL:
    return x509.FreshestCRL(
        [x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)]
    )


def separate_crl_signer(
    issuer: CA, name: x509.Name, *, crl_url: str | None
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """An end-entity certificate for `name` (another CA's name) with only cRLSign, issued by
    `issuer`: that CA signs its CRLs with this separate key (PKITS 4.4.19's design)."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, False, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.private_key.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if crl_url is not None:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    cert = builder.sign(issuer.private_key, hashes.SHA256())  # type: ignore[arg-type]
    issuer.ledger.record_issued(cert)
    return cert, key


def _tlv(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + content


def _children(der_bytes: bytes) -> list[bytes]:
    """The encoded TLVs inside the outermost TLV of `der_bytes`."""

    def header(at: int) -> tuple[int, int]:
        first = der_bytes[at + 1]
        if first < 0x80:
            return at + 2, first
        count = first & 0x7F
        return at + 2 + count, int.from_bytes(der_bytes[at + 2 : at + 2 + count], "big")

    start, size = header(0)
    out, at = [], start
    while at < start + size:
        body, length = header(at)
        out.append(der_bytes[at : body + length])
        at = body + length
    return out


def pss_signed(
    response: ocsp.OCSPResponse,
    key: rsa.RSAPrivateKey,
    *,
    hash_algorithm: hashes.HashAlgorithm,
    mgf_hash: hashes.HashAlgorithm,
    salt_length: int,
) -> bytes:
    """`response` re-signed with RSASSA-PSS (cryptography's OCSP builder signs PKCS#1 v1.5 only):
    the signatureAlgorithm comes from a throwaway PSS-signed certificate, so its parameters are
    encoded by cryptography, not by hand."""
    pss = padding.PSS(mgf=padding.MGF1(mgf_hash), salt_length=salt_length)
    throwaway = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(x509.Name([]))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(key, hash_algorithm, rsa_padding=pss)
    )
    algorithm_id = _children(der(throwaway))[1]
    tbs = response.tbs_response_bytes
    signature = key.sign(tbs, pss, hash_algorithm)
    outer = _children(der(response))  # responseStatus, [0] responseBytes
    response_bytes = _children(outer[1])[0]  # SEQUENCE { responseType, response OCTET STRING }
    response_type, wrapped = _children(response_bytes)
    basic = _children(wrapped)[0]
    rest = b"".join(_children(basic)[3:])  # [0] certs, when present
    new_basic = _tlv(0x30, tbs + algorithm_id + _tlv(0x03, b"\x00" + signature) + rest)
    new_bytes = _tlv(0x30, response_type + _tlv(0x04, new_basic))
    return _tlv(0x30, outer[0] + _tlv(0xA0, new_bytes))


def signer_pki(
    server: CRLServer, *, signer_issuer: CA | None = None
) -> tuple[Pki, x509.Certificate]:
    """inter signs its CRL with a separate key whose certificate (cRLSign only, inter's name)
    is issued by the root (or `signer_issuer`) and names its own CRL at signer-status.crl."""
    root = CA(crl_url=server.url("root.crl"))
    inter = root.create_child_ca(crl_url=server.url("inter.crl"))
    leaf = inter.issue_cert("localhost")
    by = signer_issuer or root
    signer, key = separate_crl_signer(by, inter.subject, crl_url=server.url("signer-status.crl"))
    server.publish("inter.crl", crl_from(inter, at=NOW, number=1, key=key))
    server.publish("root.crl", root.crl(at=NOW))
    server.publish("signer-status.crl", by.crl(at=NOW))
    return Pki(root, inter, leaf), signer
