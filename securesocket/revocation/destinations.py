"""Which addresses a revocation fetch may connect to: the SSRF guard's address policy.

# Model
A `DestinationPolicy` judges one resolved IP address: ``None`` (allowed) or the reason it is
refused. `HttpFetcher` resolves each host once, asks the policy about every address the
resolver returned, and connects only to an address the policy allowed, on the first request and
on every redirect hop. The address checked is the address connected to: no second lookup, so a
DNS answer that changes in between (DNS rebinding) cannot slip past the check.

# Presets
- ``"any"`` (`ANY_DESTINATION`, the default): every address. Private PKIs run their OCSP and
  CRL servers on private addresses, and the fixture PKI on 127.0.0.1; fetches start only after
  the chain has been verified, so the URLs come from certificates a trusted CA signed.
- ``"public-only"`` (`PUBLIC_ONLY`): globally routable unicast addresses only. Refused:
  loopback, private (RFC 1918, unique-local), link-local (which holds cloud metadata services),
  shared address space (RFC 6598), unspecified, multicast, reserved and documentation ranges.
  An IPv6 address that embeds an IPv4 one (IPv4-mapped, NAT64, 6to4) is judged by that address.
- `public_only_plus` (public-only, plus the networks a private PKI's servers live on) and
  `DestinationPolicy.from_predicate` (any ``address -> bool``) for everything else.

Policies combine with `both` (an address must pass each): `Fetchers(allow_destinations=...)`
narrows the fetchers it holds this way, so it can never widen what an `HttpFetcher` allows.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from ..exceptions import ArgumentError


__all__ = [
    "ANY_DESTINATION",
    "PUBLIC_ONLY",
    "DestinationPolicy",
    "DestinationsLike",
    "IPAddress",
    "both",
    "destination_policy",
    "public_only_plus",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class DestinationPolicy:
    """A named rule over resolved addresses.

    Attributes:
        name: shown in every refusal ("refused by the public-only destination policy").
        judge: the reason an address is refused, or None when it is allowed.
    """

    name: str
    judge: Callable[[IPAddress], str | None]

    def problem(self, address: IPAddress) -> str | None:
        """Why `address` may not be connected to, or None."""
        return self.judge(address)

    @classmethod
    def from_predicate(
        cls, allows: Callable[[IPAddress], bool], name: str = "custom"
    ) -> DestinationPolicy:
        """A policy from a predicate: True allows the address."""
        return cls(name, lambda address: None if allows(address) else "not allowed")


DestinationsLike = DestinationPolicy | str | Callable[[IPAddress], bool]
"""What `allow_destinations=` accepts: a policy, a preset's name, or a predicate."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64 well-known prefix, 6to4)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: reaches the embedded IPv4 address
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: local use
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # RFC 6598 carrier-grade NAT


def _not_public(address: IPAddress) -> str | None:
    """Why `address` is not a public unicast address, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = _not_public(embedded)
            return f"{reason} (embedded IPv4 {embedded})" if reason else None
        if address in _NAT64_LOCAL:
            return "a local-use NAT64 address"
        if address.is_site_local:
            return "a site-local address"
    checks = (
        (address.is_unspecified, "the unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (isinstance(address, ipaddress.IPv4Address) and address in _SHARED, "shared (CGNAT)"),
        (address.is_private, "a private or special-purpose address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a globally routable address"),
    )
    return next((reason for refused, reason in checks if refused), None)


ANY_DESTINATION = DestinationPolicy("any", lambda _address: None)
"""Every address (the default)."""

PUBLIC_ONLY = DestinationPolicy("public-only", _not_public)
"""Globally routable unicast addresses only."""

_PRESETS = {policy.name: policy for policy in (ANY_DESTINATION, PUBLIC_ONLY)}


def public_only_plus(
    *networks: str | ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> DestinationPolicy:
    """Public addresses, plus these networks (e.g. ``"10.20.0.0/16"`` where a private PKI's
    responders live). A bad network is an `ArgumentError`."""
    try:
        allowed = tuple(ipaddress.ip_network(n) for n in networks)
    except ValueError as exc:
        raise ArgumentError(f"allow_destinations: {exc}") from None

    def judge(address: IPAddress) -> str | None:
        if any(address in network for network in allowed):
            return None
        return _not_public(address)

    shown = ", ".join(str(n) for n in allowed)
    return DestinationPolicy(f"public-only plus {shown}" if shown else "public-only", judge)


def both(first: DestinationPolicy, second: DestinationPolicy) -> DestinationPolicy:
    """A policy that allows only what `first` and `second` both allow."""
    if first is second or second is ANY_DESTINATION:
        return first
    if first is ANY_DESTINATION:
        return second

    def judge(address: IPAddress) -> str | None:
        return first.problem(address) or second.problem(address)

    return DestinationPolicy(f"{first.name} and {second.name}", judge)


def destination_policy(value: DestinationsLike) -> DestinationPolicy:
    """`value` as a policy: a policy as is, a preset by name, a predicate wrapped.

    Raises `ArgumentError` for an unknown name or anything else.
    """
    if isinstance(value, DestinationPolicy):
        return value
    if isinstance(value, str):
        try:
            return _PRESETS[value]
        except KeyError:
            raise ArgumentError(
                f"allow_destinations must be one of {sorted(_PRESETS)}, a DestinationPolicy "
                f"or a predicate, not {value!r}"
            ) from None
    if callable(value):
        return DestinationPolicy.from_predicate(value)
    raise ArgumentError(
        f"allow_destinations must be a preset name, a DestinationPolicy or a predicate, "
        f"not {type(value).__name__}"
    )
