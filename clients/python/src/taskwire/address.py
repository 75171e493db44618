"""Server addresses: the ``host[:port][,host[:port]...]`` list syntax of the Node client and CLI."""
from __future__ import annotations

import ipaddress
import os
import re
from typing import List, Mapping, NamedTuple, Optional

from .errors import AddressError

__all__ = ["Address", "parse_address_list", "parse_address", "resolve_addresses", "DEFAULT_PORT"]

DEFAULT_PORT = 5000

# Host names and IPv4 addresses: letters, digits, ".", "-", "_".
_HOST_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?")
_DIGITS = re.compile(r"[0-9]+")
_PORT = re.compile(r"[0-9]{1,5}")


class Address(NamedTuple):
    """One server to connect to."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def _port(text: str) -> Optional[int]:
    if not _PORT.fullmatch(text):
        return None
    port = int(text)
    return port if 1 <= port <= 65535 else None


def _is_ipv6(host: str) -> bool:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def parse_address(item: str, default_port: int = DEFAULT_PORT) -> Address:
    """One item of an address list: ``host``, ``host:port``, ``[ipv6]`` or ``[ipv6]:port``."""

    def bad(why: str) -> AddressError:
        return AddressError(f"invalid server address '{item}': {why}")

    if "/" in item:
        raise bad("expected host[:port], not a URL")
    port_text: Optional[str] = None
    if item.startswith("["):
        close = item.find("]")
        if close == -1:
            raise bad("missing ']' after the IPv6 address")
        host = item[1:close]
        rest = item[close + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise bad("expected ':port' after ']'")
            port_text = rest[1:]
        if not _is_ipv6(host):
            raise bad(f"'{host}' is not an IPv6 address")
    else:
        if item.count(":") > 1:
            raise bad("an IPv6 address needs brackets, e.g. [::1]:5000")
        host, colon, after = item.partition(":")
        port_text = after if colon else None
        if host == "":
            raise bad("the host is empty")
        if not _HOST_NAME.fullmatch(host):
            raise bad(f"'{host}' is not a host name or IP address")
    if port_text is None:
        return Address(host, default_port)
    if port_text == "":
        raise bad("the port after ':' is empty")
    port = _port(port_text)
    if port is None:
        if _DIGITS.fullmatch(port_text):
            raise bad(f"port {port_text} is out of range (1-65535)")
        raise bad(f"port '{port_text}' is not a number")
    return Address(host, port)


def parse_address_list(text: str, default_port: int = DEFAULT_PORT) -> List[Address]:
    """Parses ``"a:5000,b,[::1]:7000"``; items without a port get ``default_port``.

    Blanks around items are ignored. Raises :class:`AddressError` on an empty list or
    item, a bad port or host, or an IPv6 address without brackets.
    """
    if _port(str(default_port)) is None:
        raise AddressError(f"invalid default port {default_port}: expected 1-65535")
    items = [item.strip() for item in text.split(",")]
    if items == [""]:
        raise AddressError("empty server address list: expected host[:port][,host[:port]...]")
    addresses = []
    for i, item in enumerate(items):
        if item == "":
            raise AddressError(
                f"invalid server address list '{text}': item {i + 1} is empty (expected host[:port])"
            )
        addresses.append(parse_address(item, default_port))
    return addresses


def resolve_addresses(
    address: Optional[str],
    port: Optional[int] = None,
    env: Optional[Mapping[str, str]] = None,
) -> List[Address]:
    """The servers to use: ``address``, else ``TASKWIRE_HOST``, else ``127.0.0.1``.

    Items without a port get ``port``, else ``TASKWIRE_PORT``, else 5000 (as the CLI's
    ``-H``/``-P``).
    """
    env = os.environ if env is None else env
    if port is None:
        port_text = env.get("TASKWIRE_PORT") or str(DEFAULT_PORT)
        parsed = _port(port_text.strip())
        if parsed is None:
            raise AddressError(f"invalid port '{port_text}' (TASKWIRE_PORT): expected 1-65535")
        port = parsed
    text = address if address is not None else (env.get("TASKWIRE_HOST") or "127.0.0.1")
    return parse_address_list(text, port)
