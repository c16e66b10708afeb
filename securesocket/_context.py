"""Client `SSL.Context` objects: one per option set, built once, shared by every connection.

# Why shared

Building a Context costs several handshakes' worth of CPU, and since pyOpenSSL 26.2 a used
Context can no longer be changed. So nothing per connection lives on the Context: the
Context-level callbacks find the connection's own state through ``conn.get_app_data()``
(a `ConnectionHooks` object). Trust is not on the Context either: OpenSSL gets no roots, and
the chain and the name are checked in Python by the hooks' ``verify_peer`` at depth 0.

The verify callback is set on the Context (never with ``Connection.set_verify``) because only
the Context-level callback's exception is re-raised by ``do_handshake``; a per-connection
callback's exception is swallowed into "certificate verify failed".

pyOpenSSL keeps a raised callback exception on the Context until ``do_handshake`` re-raises
it, so connections sharing a Context must run on one thread: the cache is per thread (one
event loop per thread), which costs one cheap Context (no CA bundle) per thread and option set.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final, Protocol

from OpenSSL import SSL, crypto

from .exceptions import ArgumentError


__all__ = ["TLS_VERSIONS", "ConnectionHooks", "ContextOptions", "client_context"]

#: Accepted ``min_version`` spellings. SSLv3 and older are never offered.
TLS_VERSIONS: Final[dict[str, int]] = {
    "TLSv1": SSL.TLS1_VERSION,
    "TLSv1.1": SSL.TLS1_1_VERSION,
    "TLSv1.2": SSL.TLS1_2_VERSION,
    "TLSv1.3": SSL.TLS1_3_VERSION,
}


class ConnectionHooks(Protocol):
    """Per-connection state the shared Context's callbacks call into (via app data)."""

    def verify_peer(self, conn: SSL.Connection) -> bool:
        """Check the chain the peer sent; return True to accept, raise to reject."""
        ...

    def store_staple(self, ocsp_der: bytes) -> None:
        """Keep the stapled OCSP response (``b""`` when the server stapled nothing)."""
        ...


@dataclass(frozen=True)
class ContextOptions:
    """The options that select a Context. Equal options share one Context.

    Attributes:
        min_version: the lowest protocol version offered ("TLSv1.2" by default; TLS 1.3 is
            always preferred). "TLSv1"/"TLSv1.1" work where the OpenSSL build still has them
            (their Context runs at OpenSSL security level 0); SSLv3 is never accepted.
    """

    min_version: str = "TLSv1.2"

    def __post_init__(self) -> None:
        if self.min_version not in TLS_VERSIONS:
            accepted = ", ".join(TLS_VERSIONS)
            raise ArgumentError(
                f"Error #2008: Parameter min_version must be one of the accepted values "
                f"({accepted}), not {self.min_version!r}.",
                2008,
            )


def _verify_callback(
    conn: SSL.Connection, cert: crypto.X509, errnum: int, depth: int, preverify_ok: int
) -> bool:
    hooks = conn.get_app_data()
    if hooks is None:
        return bool(preverify_ok)  # not one of ours: OpenSSL (with no roots) decides: fail.
    if depth > 0:
        # OpenSSL has no roots, so it flags the upper chain; the whole chain is judged
        # in Python at depth 0, which is always reached (and is re-checked after the
        # handshake in case it was not).
        return True
    return bool(hooks.verify_peer(conn))


def _ocsp_callback(conn: SSL.Connection, ocsp_der: bytes, data: object) -> bool:
    hooks = conn.get_app_data()
    if hooks is not None:
        hooks.store_staple(ocsp_der)
    return True  # the staple is judged later, by the revocation policy.


_per_thread = threading.local()


def client_context(options: ContextOptions = ContextOptions()) -> SSL.Context:
    """The shared client Context for ``options`` on this thread (built once, then reused)."""
    cache: dict[ContextOptions, SSL.Context] | None = getattr(_per_thread, "contexts", None)
    if cache is None:
        cache = _per_thread.contexts = {}
    ctx = cache.get(options)
    if ctx is None:
        ctx = cache[options] = _build(options)
    return ctx


def _build(options: ContextOptions) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    minimum = TLS_VERSIONS[options.min_version]
    ctx.set_min_proto_version(minimum)
    if minimum < SSL.TLS1_2_VERSION:
        # OpenSSL 3+ refuses TLS 1.0/1.1 at security level 1 (their PRF and signatures use
        # SHA-1/MD5); an explicit legacy minimum is a request for exactly that, so only these
        # Contexts drop to level 0. Certificates are still judged by the trust layer's profile.
        ctx.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
    ctx.set_options(SSL.OP_NO_COMPRESSION)
    ctx.set_verify(SSL.VERIFY_PEER, _verify_callback)
    ctx.set_ocsp_client_callback(_ocsp_callback)
    return ctx
