"""Hostile TLS servers on 127.0.0.1: peers that misbehave on purpose, for testing clients.

Each server is a context manager. Entering it binds a fresh port on 127.0.0.1 and starts an
accept thread; leaving it stops every thread (and the one subprocess, for `KeyUpdateServer`),
closes every socket and removes every temporary file. Nothing is left behind.

Theory of operation (one module per piece)
------------------------------------------
- `_server`: one `HostileServer` base runs a polling accept loop and one handler thread per
  connection. Every blocking call polls a stop flag at `POLL_INTERVAL`, so `__exit__` returns
  promptly even while a handler is stalling a client on purpose (half of them do).
- `_tls`: the TLS-speaking servers use a pyOpenSSL `Connection` on memory BIOs over a blocking
  socket (`_TLSPeer`), so the server side controls exactly which bytes leave and when; that is
  how `TruncatingServer` cuts a record in half and `RenegotiatingServer` swaps its certificate.
- `_records` and `_raw`: servers that must say something no correct TLS stack would say (a
  10 MB Certificate message, undecodable DER) craft TLS 1.2 records by hand: a ServerHello that
  echoes a suite the client offered, then the hostile Certificate message. No key exchange is
  needed to get that far.
- `_keyupdate`: `KeyUpdateServer` drives `openssl s_server`: pyOpenSSL has no API for a TLS 1.3
  KeyUpdate, and s_server's interactive ``K`` command sends one (and asks for one back).
- `_identity`: `ThrowawayCA` issues what the TLS servers present, with no other dependency.
- A peer hanging up is not a server error. Anything else a handler raises is recorded in
  `errors`, so a test can assert the hostile server really did what it claims
  (``assert server.errors == []``).

Expected outcome for a correct client (what this project's own tests assert):

============================  ===================================================
server                        client outcome
============================  ===================================================
GarbageServer                 ``ioError``, status ``invalid``
MidRecordServer(stall=False)  ``ioError``, status ``invalid``
MidRecordServer(stall=True)   ``securityError`` when the connect timeout expires
SlowlorisServer               ``securityError`` when the connect timeout expires
LongChainServer               ``ioError``, never ``trusted``
DecoyIssuersServer            one outcome; ``trusted`` only through the real issuer
HugeCertificateServer         ``ioError``, status ``invalid``
MalformedCertificateServer    ``ioError``, status ``invalid``
TLSServer with another name   ``ioError``, status ``principalMismatch``
TruncatingServer              ``connect``, the data, then ``close`` flagged truncated
RenegotiatingServer           same certificate: refused (``ioError``) or transparent;
                              another certificate: ``ioError``
KeyUpdateServer               transparent: data before and after the KeyUpdate
FloodingServer                every byte, in order; while the application does not read,
                              a bounded amount buffered (not yet: SECURITY.md, gaps)
============================  ===================================================
"""

from __future__ import annotations

from ._identity import ServerIdentity, ServerKey, ThrowawayCA
from ._keyupdate import KeyUpdateServer
from ._raw import (
    GarbageServer,
    HugeCertificateServer,
    MalformedCertificateServer,
    MidRecordServer,
    SlowlorisServer,
)
from ._records import malformed_der_variants
from ._server import HostileServer
from ._tls import (
    DecoyIssuersServer,
    FloodingServer,
    LongChainServer,
    RenegotiatingServer,
    TLSServer,
    TruncatingServer,
)


__all__ = [
    "DecoyIssuersServer",
    "FloodingServer",
    "GarbageServer",
    "HostileServer",
    "HugeCertificateServer",
    "KeyUpdateServer",
    "LongChainServer",
    "MalformedCertificateServer",
    "MidRecordServer",
    "RenegotiatingServer",
    "ServerIdentity",
    "ServerKey",
    "SlowlorisServer",
    "TLSServer",
    "ThrowawayCA",
    "TruncatingServer",
    "malformed_der_variants",
]
