"""Reading a host list: one ``host[:port]`` a line, with a clear error for each line that is not.

Blank lines and ``#`` comments are skipped. IPv6 addresses are written ``[::1]:443`` (or bare,
without a port). A bad line never stops the others from being audited; it is reported with its
line number and why.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .model import Target


# RFC 1123 labels (letters, digits, hyphen; underscore tolerated, as real host lists contain it).
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
_BRACKETED = re.compile(r"^\[(?P<host>[^\]]+)\](?::(?P<port>[^:]*))?$")


@dataclass(frozen=True)
class HostLineError:
    """A line of a host list that could not be read.

    Attributes:
        line_number: 1-based.
        line: the line as read (without its newline).
        message: what is wrong with it.
    """

    line_number: int
    line: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line_number}: {self.message}: {self.line!r}"


class HostSyntaxError(ValueError):
    """A ``host[:port]`` string that is not one."""


def check_host(host: str) -> str:
    """`host` if it is an IP address or a host name (IDNA allowed); HostSyntaxError if not."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    name = host.rstrip(".")
    if not name or len(name) > 253:
        raise HostSyntaxError("not a host name or IP address")
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise HostSyntaxError(f"not a host name or IP address ({exc})") from exc
    if not all(_LABEL.match(label) for label in ascii_name.split(".")):
        raise HostSyntaxError("not a host name or IP address")
    return name


def _check_port(text: str) -> int:
    if not text.isdigit():
        raise HostSyntaxError(f"port {text!r} is not a number")
    port = int(text)
    if not 1 <= port <= 65535:
        raise HostSyntaxError(f"port {port} is outside 1-65535")
    return port


def parse_host(text: str, *, default_port: int = 443) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address → (host, port)."""
    text = text.strip()
    if not text:
        raise HostSyntaxError("empty host")
    if any(ch.isspace() for ch in text):
        raise HostSyntaxError("spaces inside a host")
    bracketed = _BRACKETED.match(text)
    if bracketed:
        host = bracketed.group("host")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise HostSyntaxError(f"[{host}] is not an IPv6 address") from None
        port_text = bracketed.group("port")
        return host, default_port if port_text is None else _check_port(port_text)
    if text.count(":") > 1:
        try:
            return str(ipaddress.IPv6Address(text)), default_port
        except ValueError:
            raise HostSyntaxError("too many colons (write IPv6 as [addr]:port)") from None
    host, colon, port_text = text.partition(":")
    port = _check_port(port_text) if colon else default_port
    return check_host(host), port


def read_host_list(
    lines: Iterable[str], *, default_port: int = 443
) -> tuple[list[Target], list[HostLineError]]:
    """Every target in `lines` (duplicates dropped, order kept) and an error per bad line."""
    targets: dict[str, Target] = {}
    errors: list[HostLineError] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        try:
            host, port = parse_host(content, default_port=default_port)
        except HostSyntaxError as exc:
            errors.append(HostLineError(number, line, str(exc)))
            continue
        target = Target(host=host, port=port, server_name=host)
        targets.setdefault(target.key, target)
    return list(targets.values()), errors
