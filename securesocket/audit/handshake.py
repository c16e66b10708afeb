"""Connect and handshake as an observer: see what the server sends, judge nothing.

An auditor must see the certificates even when they are bad, so this handshake verifies nothing
(VERIFY_NONE) and never sends application data; the verdict is the trust and revocation layers'
job (`verdict.py`), the same code `SecureSocket` runs. It is blocking, with one deadline for the
whole exchange (a non-blocking socket and `select`), so `audit_host` stays a plain function that
threads and Dask workers can call.
"""

from __future__ import annotations

import ipaddress
import select
import socket
import threading
import time
from dataclasses import dataclass

from OpenSSL import SSL, crypto

from .model import ErrorReason, Target


@dataclass(frozen=True)
class Handshake:
    """What the server showed.

    Attributes:
        address: the IP address connected to.
        protocol: the negotiated TLS version.
        cipher: the negotiated cipher suite.
        chain: the certificates as sent (DER), server certificate first.
        staple: the stapled OCSP response (DER), if the server sent one.
    """

    address: str
    protocol: str
    cipher: str
    chain: tuple[bytes, ...]
    staple: bytes | None


class HandshakeFailedError(Exception):
    """No certificate could be seen; `reason` says whose fault class it is."""

    def __init__(self, reason: ErrorReason, message: str) -> None:
        super().__init__(reason, message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return self.message


_context_lock = threading.Lock()
_context: SSL.Context | None = None


def _staple_callback(conn: SSL.Connection, staple: bytes, _data: object) -> bool:
    # Keep the staple for the revocation layer; never reject here (the policy decides later).
    conn.get_app_data()["staple"] = staple or None
    return True


def _shared_context() -> SSL.Context:
    """One client Context per process: building one per host costs more than the handshake."""
    global _context  # noqa: PLW0603 - a process-wide cache, built once under the lock
    with _context_lock:
        if _context is None:
            ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
            ctx.set_verify(SSL.VERIFY_NONE)
            # Security level 0: an auditor must still see a server with a weak key or a SHA-1
            # chain, so the verdict (not the handshake) can say what is wrong with it.
            ctx.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
            ctx.set_ocsp_client_callback(_staple_callback)
            _context = ctx
        return _context


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise HandshakeFailedError(ErrorReason.TIMEOUT, "timed out")
    return left


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _connect(target: Target, deadline: float) -> socket.socket:
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise HandshakeFailedError(
            ErrorReason.NAME_NOT_RESOLVED, f"cannot resolve {target.host!r}: {exc}"
        ) from exc
    last: HandshakeFailedError | None = None
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        where = f"{address[0]!s} port {target.port}"
        try:
            sock.settimeout(_remaining(deadline))
            sock.connect(address)
        except HandshakeFailedError:
            sock.close()
            raise
        except TimeoutError as exc:
            sock.close()
            raise HandshakeFailedError(
                ErrorReason.TIMEOUT, f"connecting to {where} timed out"
            ) from exc
        except ConnectionRefusedError as exc:
            sock.close()
            last = HandshakeFailedError(
                ErrorReason.CONNECTION_REFUSED,
                f"{where} refused the connection",
            )
            last.__cause__ = exc
        except OSError as exc:
            sock.close()
            last = HandshakeFailedError(
                ErrorReason.NETWORK_ERROR, f"cannot connect to {where}: {exc}"
            )
            last.__cause__ = exc
        else:
            return sock
    assert last is not None  # noqa: S101 - getaddrinfo never returns an empty list
    raise last


def _wait(sock: socket.socket, *, for_write: bool, deadline: float) -> None:
    # poll, not select.select: select fails for descriptors above FD_SETSIZE (1024), which a
    # run with a high --concurrency in a busy process can reach. (select only where no poll.)
    left = _remaining(deadline)
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLOUT if for_write else select.POLLIN)
        ready = bool(poller.poll(left * 1000))
    else:  # pragma: no cover - platforms without poll
        watched = [sock]
        readable, writable, _ = select.select(
            [] if for_write else watched, watched if for_write else [], [], left
        )
        ready = bool(readable or writable)
    if not ready:
        raise HandshakeFailedError(ErrorReason.TIMEOUT, "the TLS handshake timed out")


def fetch_handshake(target: Target, *, timeout: float) -> Handshake:
    """Connect to `target`, complete a TLS handshake, and return what the server showed.

    Raises HandshakeFailedError (never anything else for the target's faults).
    """
    deadline = time.monotonic() + timeout
    sock = _connect(target, deadline)
    try:
        sock.setblocking(False)
        address = str(sock.getpeername()[0])
        conn = SSL.Connection(_shared_context(), sock)
        conn.set_app_data({"staple": None})
        if not _is_ip(target.server_name):
            try:
                sni = target.server_name.encode("idna")
            except UnicodeError as exc:
                raise HandshakeFailedError(
                    ErrorReason.NAME_NOT_RESOLVED,
                    f"{target.server_name!r} cannot be sent as a server name: {exc}",
                ) from exc
            conn.set_tlsext_host_name(sni)
        conn.request_ocsp()
        conn.set_connect_state()
        while True:
            try:
                conn.do_handshake()
                break
            except SSL.WantReadError:
                _wait(sock, for_write=False, deadline=deadline)
            except SSL.WantWriteError:
                _wait(sock, for_write=True, deadline=deadline)
            except SSL.Error as exc:
                raise HandshakeFailedError(
                    ErrorReason.TLS_HANDSHAKE_FAILED, f"TLS handshake failed: {_describe(exc)}"
                ) from exc
        # The DER exactly as OpenSSL holds it: converting to cryptography here would raise for
        # a certificate cryptography refuses (an X.509 v2 version, say), losing the chain.
        chain = conn.get_peer_cert_chain() or []
        if not chain:
            raise HandshakeFailedError(ErrorReason.NO_CERTIFICATE, "the server sent no certificate")
        return Handshake(
            address=address,
            protocol=conn.get_protocol_version_name(),
            cipher=conn.get_cipher_name() or "",
            chain=tuple(crypto.dump_certificate(crypto.FILETYPE_ASN1, cert) for cert in chain),
            staple=conn.get_app_data()["staple"],
        )
    finally:
        sock.close()


def _describe(exc: SSL.Error) -> str:
    if isinstance(exc, SSL.SysCallError):
        return "the server closed the connection"
    if isinstance(exc, SSL.ZeroReturnError):
        return "the server closed the TLS session"
    reasons = [str(part[2]) for part in (exc.args[0] if exc.args else []) if len(part) == 3]
    return "; ".join(reasons) or exc.__class__.__name__
