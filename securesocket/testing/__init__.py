"""securesocket.testing: a fixture PKI with revocation, and loopback servers to test against.

Shipped in the wheel so that applications can test against it too::

    from securesocket.testing import CA

    ca = CA()                                    # a fresh root (ECDSA P-256)
    server = ca.issue_cert("localhost", "127.0.0.1")
    ca.revoke(server)
    crl = ca.crl()
    response = ca.ocsp_response(server)          # status "revoked"

Servers (each a context manager on 127.0.0.1 that leaves nothing behind)::

    with OCSPResponder([ca]) as ocsp, CRLServer() as crls:
        ca.ocsp_url, ca.crl_url = ocsp.url, crls.url("ca.crl")   # before issuing
        leaf = ca.issue_cert("localhost")
        crls.publish("ca.crl", ca.crl())
        ocsp.fault = OCSPFault.SLOW                               # or TRY_LATER, STALE, ...
        with OpenSSLServer(leaf, staple=None, tls_version="1.3") as tls:
            ...                                                   # connect to tls.port

Scenarios: ``SCENARIOS[name]`` states what a correct client reports under each revocation
policy; ``.materials()`` builds it offline (at `VERIFICATION_TIME`), ``with .start() as live``
runs it. pytest users get fixtures from the plugin (``securesocket_ca``, ``openssl_server``,
``ocsp_responder``, ``scenario_<name>``, ``no_leftover_servers``, ...).

Hostile peers (garbage, stalls, huge or malformed certificates, decoy issuers, truncation,
renegotiation, KeyUpdate, floods) live in their own namespace, with the outcome a correct client
reports for each: ``from securesocket.testing.hostile import SlowlorisServer, ThrowawayCA``.
"""

from __future__ import annotations

from ._blob import Blob
from ._http import ClosedPort
from ._keys import KeyType, fixed_key
from ._process import ServerStartError
from .ca import CA, DEFAULT_NOT_AFTER, DEFAULT_NOT_BEFORE, INHERIT, LeafCert, self_signed_cert
from .crl_server import CRLFault, CRLServer
from .ocsp_servers import OCSPFault, OCSPResponder
from .openssl_ocsp import OpenSSLOCSPResponder
from .scenarios import SCENARIOS, VERIFICATION_TIME, LiveScenario, Materials, Scenario
from .tls_servers import OpenSSLServer, PythonTLSServer


__all__ = [
    "CA",
    "DEFAULT_NOT_AFTER",
    "DEFAULT_NOT_BEFORE",
    "INHERIT",
    "SCENARIOS",
    "VERIFICATION_TIME",
    "Blob",
    "CRLFault",
    "CRLServer",
    "ClosedPort",
    "KeyType",
    "LeafCert",
    "LiveScenario",
    "Materials",
    "OCSPFault",
    "OCSPResponder",
    "OpenSSLOCSPResponder",
    "OpenSSLServer",
    "PythonTLSServer",
    "Scenario",
    "ServerStartError",
    "fixed_key",
    "self_signed_cert",
]
