"""The exception hierarchy: one root, AS3 IDs, builtin compatibility, pickling."""

from __future__ import annotations

import builtins
import pickle

import pytest

import securesocket
from securesocket import exceptions


ALL_ERRORS = [getattr(exceptions, name) for name in exceptions.__all__]


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_every_error_has_one_root_and_pickles(cls: type[exceptions.SecureSocketError]) -> None:
    """Every error derives from SecureSocketError and survives a pickle round trip."""
    error = cls("some text", 1234)
    assert issubclass(cls, exceptions.SecureSocketError)
    copy = pickle.loads(  # noqa: S301 - our own bytes
        pickle.dumps(error)
    )
    assert type(copy) is cls
    assert str(copy) == "some text"
    assert copy.error_id == 1234


def test_eof_error_is_an_io_error_and_an_os_error() -> None:
    """AS3's EOFError extends IOError; ours also is a builtin OSError."""
    error = exceptions.EOFError("End of file was encountered.")
    assert isinstance(error, exceptions.IOError)
    assert isinstance(error, builtins.OSError)
    assert error.error_id == 2030


def test_argument_error_default_id_and_value_error() -> None:
    """ArgumentError is #2004 by default and catchable as ValueError."""
    with pytest.raises(ValueError, match="bad"):
        raise exceptions.ArgumentError("bad")
    assert exceptions.ArgumentError("x").error_id == 2004


def test_certificate_error_keeps_status_through_pickle() -> None:
    """The status and extra fields of a certificate error survive pickling."""
    error = exceptions.CertificateVerificationError("expired leaf", status="expired")
    copy = pickle.loads(  # noqa: S301 - our own bytes
        pickle.dumps(error)
    )
    assert copy.status == "expired"
    fetch = pickle.loads(  # noqa: S301 - our own bytes
        pickle.dumps(exceptions.FetchError(url="http://x/", reason="HTTP 404"))
    )
    assert (fetch.url, fetch.reason) == ("http://x/", "HTTP 404")


def test_status_values_are_the_as3_strings() -> None:
    """CertificateStatus has exactly the nine AS3 constants with their AS3 values."""
    expected = {
        "TRUSTED": "trusted",
        "UNKNOWN": "unknown",
        "INVALID": "invalid",
        "EXPIRED": "expired",
        "NOT_YET_VALID": "notYetValid",
        "PRINCIPAL_MISMATCH": "principalMismatch",
        "UNTRUSTED_SIGNERS": "untrustedSigners",
        "REVOKED": "revoked",
        "INVALID_CHAIN": "invalidChain",
    }
    assert expected == {m.name: m.value for m in securesocket.CertificateStatus}
    assert securesocket.CertificateStatus.EXPIRED == "expired"
