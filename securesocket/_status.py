"""`CertificateStatus`: the nine AS3 ``flash.security.CertificateStatus`` strings."""

from __future__ import annotations

import enum


class CertificateStatus(enum.StrEnum):
    """The outcome of validating a server certificate, spelled exactly as in AS3.

    Members compare equal to their AS3 strings (``CertificateStatus.TRUSTED == "trusted"``),
    so code ported from ActionScript that compares against string literals keeps working.
    """

    TRUSTED = "trusted"
    """Valid now, not revoked (as far as the revocation policy checked), chains to an anchor."""
    UNKNOWN = "unknown"
    """No validation result yet: before ``connect()`` produced an outcome."""
    INVALID = "invalid"
    """Generic failure: TCP or TLS failure, malformed certificate, nothing more specific known."""
    EXPIRED = "expired"
    """The server certificate is past its ``notAfter``."""
    NOT_YET_VALID = "notYetValid"
    """The server certificate is before its ``notBefore``."""
    PRINCIPAL_MISMATCH = "principalMismatch"
    """The certificate is not valid for the host name or IP address that was connected to."""
    UNTRUSTED_SIGNERS = "untrustedSigners"
    """No path from the certificate to a trust anchor could be built."""
    REVOKED = "revoked"
    """A certificate on the path is revoked (or a required revocation check failed)."""
    INVALID_CHAIN = "invalidChain"
    """A path to an anchor exists, but a CA on it (or the path itself) breaks the rules."""
