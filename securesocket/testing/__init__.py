"""securesocket.testing: a fixture PKI with revocation, and loopback servers to test against.

Shipped in the wheel so that applications can test against it too::

    from securesocket.testing import CA

    ca = CA()
    server = ca.issue_cert("localhost", "127.0.0.1")
    ca.revoke(server)
    crl = ca.crl()
    response = ca.ocsp_response(server)   # status "revoked"
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
