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
from ._keys import KeyType, fixed_key
from .ca import CA, DEFAULT_NOT_AFTER, DEFAULT_NOT_BEFORE, INHERIT, LeafCert


__all__ = [
    "CA",
    "DEFAULT_NOT_AFTER",
    "DEFAULT_NOT_BEFORE",
    "INHERIT",
    "Blob",
    "KeyType",
    "LeafCert",
    "fixed_key",
]
