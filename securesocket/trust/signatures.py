"""Signature checks, and the process-wide cache of checks already proven.

A path is re-verified on every connection, but its signatures do not change: once issuer I has
been proven to sign subject S, the same two certificates will verify again. The cache is keyed
by the exact DER of *both* certificates (the subject's DER includes its signature), so a
different signature, key or tbsCertificate is a different key: the cache can only remember a
true result, never turn a false one into a pass. Failures are not cached (they are rare and an
attacker could otherwise fill the cache). The cache is bounded (least recently used dropped).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from .._signatures import signature_problem
from ._der import tbs_der


__all__ = ["SignatureCache", "shared_cache", "signature_error"]


def signature_error(
    subject: x509.Certificate, issuer_key: object, subject_der: bytes | None = None
) -> str | None:
    """Why `issuer_key` did not sign `subject`, or None when it did.

    Unlike ``verify_directly_issued_by`` this does not compare names byte for byte (RFC 5280
    name chaining is checked separately, with normalisation), only the signature. With
    `subject_der`, the signed bytes are sliced from it instead of re-encoded.
    """
    try:
        hash_algorithm = subject.signature_hash_algorithm
        scheme = subject.signature_algorithm_parameters
    except (UnsupportedAlgorithm, ValueError, TypeError) as exc:
        return f"the signature cannot be checked ({exc})"
    return signature_problem(
        issuer_key,
        subject.signature,
        _signed_bytes(subject, subject_der),
        scheme,
        hash_algorithm,
        signer="issuer",
        bad_signature="the signature does not verify with the issuer's public key",
    )


def _signed_bytes(subject: x509.Certificate, subject_der: bytes | None) -> bytes:
    if subject_der is not None:
        try:
            return tbs_der(subject_der)
        except ValueError:
            pass  # unreadable outer structure (reported as malformed): let cryptography say
    return subject.tbs_certificate_bytes


class SignatureCache:
    """Remembers (issuer DER, subject DER) pairs whose signature verified."""

    def __init__(self, maxsize: int = 4096) -> None:
        self._proven: OrderedDict[tuple[bytes, bytes], None] = OrderedDict()
        self._maxsize = maxsize
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._proven)

    def check(
        self,
        subject: x509.Certificate,
        subject_der: bytes,
        issuer: x509.Certificate,
        issuer_der: bytes,
    ) -> str | None:
        """Why `issuer` did not sign `subject`, or None when it did (cached when it did)."""
        key = (issuer_der, subject_der)
        with self._lock:
            if key in self._proven:
                self._proven.move_to_end(key)
                return None
        try:
            issuer_key = issuer.public_key()
        except (ValueError, UnsupportedAlgorithm) as exc:
            return f"the issuer's public key cannot be loaded ({exc})"
        error = signature_error(subject, issuer_key, subject_der)
        if error is None:
            with self._lock:
                self._proven[key] = None
                if len(self._proven) > self._maxsize:
                    self._proven.popitem(last=False)
        return error


_SHARED = SignatureCache()


def shared_cache() -> SignatureCache:
    """The one cache shared by every verifier in the process."""
    return _SHARED
