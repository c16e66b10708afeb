"""Host name and IP address checks: the only module that calls service-identity.

service-identity implements RFC 6125 matching (SAN only, no common-name fallback, one
left-most wildcard label, IDNA) so we do not hand-write any of it.
"""

from __future__ import annotations

import ipaddress
import threading
from collections import OrderedDict

from cryptography import x509
from service_identity import CertificateError, VerificationError
from service_identity.cryptography import (
    verify_certificate_hostname,
    verify_certificate_ip_address,
)


__all__ = ["HostCheckCache", "host_mismatch", "parse_ip"]


def parse_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address `host` spells (``[::1]`` brackets allowed), or None for a DNS name."""
    candidate = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        return None


class HostCheckCache:
    """Remembers host-check verdicts by (exact DER, host): the check is a pure function of
    the two, and a socket reconnecting to the same server asks the same question each time."""

    def __init__(self, maxsize: int = 1024) -> None:
        self._verdicts: OrderedDict[tuple[bytes, str], str | None] = OrderedDict()
        self._maxsize = maxsize
        self._lock = threading.Lock()

    def mismatch(self, cert: x509.Certificate, der: bytes, host: str) -> str | None:
        """`host_mismatch(cert, host)`, from the cache when this pair was seen."""
        key = (der, host)
        with self._lock:
            if key in self._verdicts:
                self._verdicts.move_to_end(key)
                return self._verdicts[key]
        verdict = host_mismatch(cert, host)
        with self._lock:
            self._verdicts[key] = verdict
            if len(self._verdicts) > self._maxsize:
                self._verdicts.popitem(last=False)
        return verdict


def host_mismatch(cert: x509.Certificate, host: str) -> str | None:
    """Why `cert` is not valid for `host`, or None when it is."""
    if host != host.strip():
        # service-identity would strip it and match; a host with blanks around it is not the
        # name that was asked for.
        return f"{host!r} is not a valid host name (surrounding blanks)"
    ip = parse_ip(host)
    try:
        if ip is not None:
            verify_certificate_ip_address(cert, str(ip))
        else:
            name = _without_root_dot(host)
            if "" in name.split("."):
                # "www.." or ".example.com": an empty label names no host (and would meet a
                # SAN that itself ends in a dot).
                return f"{host!r} is not a valid host name (empty label)"
            verify_certificate_hostname(cert, name)
    except VerificationError:
        return f"the certificate is not valid for {host!r} (it names {_names_in(cert)})"
    except CertificateError as exc:
        return f"the certificate names no subjectAltName matching {host!r} ({exc})"
    except (x509.DuplicateExtension, x509.UnsupportedGeneralNameType, TypeError) as exc:
        return f"the certificate's names cannot be read ({exc})"
    except ImportError as exc:  # an international name without the idna package installed
        return f"{host!r} cannot be checked: {exc}"
    except (ValueError, UnicodeError) as exc:  # an unencodable host, or unparseable names
        return f"{host!r} cannot be checked against the certificate ({exc})"
    return None


def _without_root_dot(host: str) -> str:
    """An absolute name ("example.com.") is the same host: drop its one root dot (as browsers
    do). Only one: "example.com.." has an empty label and must not match anything."""
    return host[:-1] if host.endswith(".") else host


def _names_in(cert: x509.Certificate) -> str:
    """The DNS names and IP addresses the certificate is for, for a message."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, x509.DuplicateExtension, ValueError, TypeError):
        return "no subjectAltName"
    names = [str(n) for n in san.get_values_for_type(x509.DNSName)]
    names += [str(n) for n in san.get_values_for_type(x509.IPAddress)]
    return ", ".join(names[:8]) + (", ..." if len(names) > 8 else "") if names else "no DNS/IP name"
