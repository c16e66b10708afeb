"""Explicit trust: path building, RFC 5280 / CA-B Forum checks, names, classification.

Pure: cryptography certificates in, a `Verification` out; no I/O, and no clock unless `at` is
omitted. Module map: `roots` (platform anchors), `builder` (candidate paths), `validate` (the
checks on one path, with `policy_tree`, `name_constraints`, `profile`, `signatures`), `names`
(host checks via service-identity), `classify` (status precedence), `verifier` (ChainVerifier),
`api` (verify_chain), `result` (what comes out).
"""

from __future__ import annotations

from .api import load_certificate as load_certificate
from .api import verify_chain as verify_chain
from .classify import PRECEDENCE as PRECEDENCE
from .policy_tree import PolicyInputs as PolicyInputs
from .result import Problem as Problem
from .result import RejectedPath as RejectedPath
from .result import Verification as Verification
from .verifier import ChainVerifier as ChainVerifier


__all__ = [
    "PRECEDENCE",
    "ChainVerifier",
    "PolicyInputs",
    "Problem",
    "RejectedPath",
    "Verification",
    "load_certificate",
    "verify_chain",
]
