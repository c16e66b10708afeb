"""Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)-(c), §6.1.4 (g)).

Rather than intersect subtrees into one permitted set (error-prone), each CA's constraints stay
a separate layer and a name must satisfy every layer above it; that is the same set of names the
RFC's intersection allows. Supported forms: dNSName, rfc822Name (also the subject's
emailAddress attributes), iPAddress, directoryName (the subject DN and directoryName SANs) and
uniformResourceIdentifier (its host). A layer that constrains any other form fails a
certificate that carries a name of that form: we never pass what we cannot check.

Where the RFC leaves room, the cautious reading: an excluded DNS subtree also catches a wildcard
SAN that could match a name inside it, and a leading-dot DNS subtree (no such form in RFC 5280)
excludes the name itself too while permitting only subdomains; a network-valued iPAddress SAN
is excluded when it overlaps, and an IPv4-mapped IPv6 address by its IPv4 address's exclusions
too (::ffff:127.0.0.1 reaches 127.0.0.1). The work per path is bounded (names times subtrees).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.x509.oid import NameOID

from .certinfo import CertInfo
from .distinguished_names import is_within, name_key, subject_text


__all__ = ["name_constraint_error"]

_SUPPORTED = (
    x509.DNSName,
    x509.RFC822Name,
    x509.IPAddress,
    x509.DirectoryName,
    x509.UniformResourceIdentifier,
)


def _names(info: CertInfo) -> Iterator[x509.GeneralName]:
    """Every name the certificate asserts, as GeneralNames (subject DN and emails included)."""
    subject = info.cert.subject
    if len(subject) > 0:
        yield x509.DirectoryName(subject)
        for attr in subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS):
            if isinstance(attr.value, str):
                yield x509.RFC822Name(attr.value)
    yield from info.subject_alt_names


def _dns_matches(name: str, base: str) -> bool:
    name = name.lower().rstrip(".")
    base = base.lower().rstrip(".")
    if not base:
        return True
    if base.startswith("."):
        return name.endswith(base)
    return name == base or name.endswith("." + base)


def _host_matches(host: str, base: str) -> bool:
    host = host.lower()
    base = base.lower()
    if base.startswith("."):
        return host.endswith(base)
    return host == base


def _email_matches(address: str, base: str) -> bool:
    if "@" in base:
        local, _, domain = base.rpartition("@")
        a_local, _, a_domain = address.rpartition("@")
        return a_local == local and a_domain.lower() == domain.lower()
    _, _, a_domain = address.rpartition("@")
    return _host_matches(a_domain, base)


def _uri_matches(uri: str, base: str) -> bool:
    try:
        host = urlsplit(uri).hostname
    except ValueError:
        return False
    return host is not None and _host_matches(host, base)


def _ip_matches(address: object, base: object) -> bool:
    if not isinstance(base, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return False
    if not isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return False
    return address.version == base.version and address in base


def _matches(name: x509.GeneralName, base: x509.GeneralName) -> bool:
    """Whether `name` lies within the subtree `base` (both of the same form)."""
    if isinstance(name, x509.DNSName) and isinstance(base, x509.DNSName):
        return _dns_matches(name.value, base.value)
    if isinstance(name, x509.RFC822Name) and isinstance(base, x509.RFC822Name):
        return _email_matches(name.value, base.value)
    if isinstance(name, x509.UniformResourceIdentifier) and isinstance(
        base, x509.UniformResourceIdentifier
    ):
        return _uri_matches(name.value, base.value)
    if isinstance(name, x509.IPAddress) and isinstance(base, x509.IPAddress):
        return _ip_matches(name.value, base.value)
    if isinstance(name, x509.DirectoryName) and isinstance(base, x509.DirectoryName):
        return is_within(name_key(name.value), name_key(base.value))
    return False


def _wildcard_reaches(name: str, base: str) -> bool:
    """Whether some host the wildcard DNS-ID `name` ("*.example.com") matches lies in the
    DNS subtree `base`: the host is one more label in front of the wildcard's tail."""
    if not name.startswith("*."):
        return False
    tail = name[2:].lower().rstrip(".")
    base = base.lower().rstrip(".")
    label, dot, rest = base.partition(".")
    return _dns_matches(tail, base) or (bool(dot) and bool(label) and rest == tail)


def _excluded(name: x509.GeneralName, base: x509.GeneralName) -> bool:
    if type(name) is not type(base):
        return False
    if not isinstance(base, _SUPPORTED):
        return True  # a form we cannot compare: never pass what we cannot check
    if isinstance(name, x509.DNSName) and isinstance(base, x509.DNSName):
        # RFC 5280 has no leading-dot form for dNSName subtrees (".example.com" is the URI and
        # e-mail spelling): excluded, it is read as covering the name itself too, the reading
        # that excludes more. "*.example.com" would match "sub.example.com": excluding that
        # must catch the wildcard too.
        suffix = base.value.lstrip(".")
        return _dns_matches(name.value, suffix) or _wildcard_reaches(name.value, suffix)
    if isinstance(name, x509.IPAddress) and isinstance(base, x509.IPAddress):
        value, network = name.value, base.value
        if not isinstance(network, ipaddress.IPv4Network | ipaddress.IPv6Network):
            return False
        if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
            # An 8- or 32-byte iPAddress SAN parses as a network; any overlap is excluded.
            return value.version == network.version and value.overlaps(network)
        # ::ffff:127.0.0.1 reaches 127.0.0.1: excluding 127.0.0.0/8 must catch it too.
        return any(a.version == network.version and a in network for a in _spellings(value))
    return _matches(name, base)


def _spellings(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]:
    """An address, and for an IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2) the IPv4 address
    it reaches. (Not the other way: excluding IPv6 does not exclude every IPv4 address.)"""
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return (address,) if mapped is None else (address, mapped)


def _check_layer(names: Sequence[x509.GeneralName], layer: x509.NameConstraints) -> str | None:
    for base in layer.excluded_subtrees or ():
        for name in names:
            if _excluded(name, base):
                return f"{_show(name)} is in an excluded subtree ({_show(base)})"
    permitted = layer.permitted_subtrees
    if permitted is None:
        return None
    for kind in {type(base) for base in permitted}:
        bases = [b for b in permitted if type(b) is kind]
        for name in names:
            if type(name) is not kind:
                continue
            if not isinstance(name, _SUPPORTED) or not any(_matches(name, b) for b in bases):
                return f"{_show(name)} is outside the permitted subtrees"
    return None


def _show(name: x509.GeneralName) -> str:
    if isinstance(name, x509.DirectoryName):
        return f"DirName:{name.value.rfc4514_string()}"
    return f"{type(name).__name__}:{getattr(name, 'value', name)}"


def name_constraint_error(
    top_down: Sequence[CertInfo], anchor: CertInfo | None = None
) -> tuple[int, str] | None:
    """The first name-constraint violation on the path below the anchor (`top_down`, anchor
    side first), as (index from the top, message), or None. `anchor`, when given, is a trust
    anchor whose own constraints bind the whole path too.

    The work (names checked times subtrees) is bounded: a path that would need more fails,
    since a hostile leaf with thousands of names under a CA with many subtrees must not
    stall verification, and we never pass what we did not check."""
    layers: list[tuple[CertInfo, x509.NameConstraints]] = []
    if anchor is not None and anchor.name_constraints is not None:
        layers.append((anchor, anchor.name_constraints))
    last = len(top_down) - 1
    budget = _MAX_CHECKS
    for index, info in enumerate(top_down):
        if layers and (index == last or not info.self_issued):
            names = list(_names(info))
            for owner, layer in layers:
                budget -= len(names) * _size(layer)
                if budget < 0:
                    return index, "too many names and name constraints to check"
                error = _check_layer(names, layer)
                if error is not None:
                    who = subject_text(owner.cert)
                    return index, f"{error}, by the name constraints of {who!r}"
        if index != last and info.name_constraints is not None:
            layers.append((info, info.name_constraints))
    return None


#: Most (name, subtree) comparisons one path may need (Chromium allows about a million too).
_MAX_CHECKS = 1 << 20


def _size(layer: x509.NameConstraints) -> int:
    return len(layer.permitted_subtrees or ()) + len(layer.excluded_subtrees or ())
