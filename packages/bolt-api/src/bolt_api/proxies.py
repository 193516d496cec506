"""Trusted proxies: who the client is, and which scheme it used, behind a reverse proxy.

``X-Forwarded-For`` and ``X-Forwarded-Proto`` are only as trustworthy as whoever wrote them.
A client can send them itself, so they are honoured only when the TCP peer is one of the
configured proxies (``ServerConfig.trusted_proxies``, ``BOLT_TRUSTED_PROXIES``,
``bolt serve --trusted-proxy``): IP addresses and CIDR networks.

The rules, the same whichever engine serves (both engines' request objects call
:meth:`TrustedProxies.client` and :meth:`TrustedProxies.scheme`, lazily, on first access):

* **Client.** When the peer is trusted, ``X-Forwarded-For`` is read from the right — each
  proxy appends the address it received the request from — skipping addresses that are
  themselves trusted proxies. The first address that is not is the client; the entries left
  of it were written by the client and are ignored (so a spoofed left-most entry changes
  nothing). An entry that is not an IP address stops the walk: the client is then the last
  trusted hop seen (the peer, when nothing before it was trusted). When every entry is a
  trusted proxy, the left-most one is the client. Entries may carry a port (``1.2.3.4:80``,
  ``[2001:db8::1]:80``), which is dropped: a client resolved from the header has port ``0``.
* **Scheme.** When the peer is trusted, the right-most value of ``X-Forwarded-Proto`` (the one
  the peer set), if it is ``http`` or ``https`` (any case); otherwise ``http``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

__all__ = ["TrustedProxies", "parse_trusted_proxies"]

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_SCHEMES = {"http": "http", "https": "https"}


def parse_trusted_proxies(entries: Iterable[str]) -> tuple[_Network, ...]:
    """Parse IP addresses and CIDR networks; :class:`ValueError` with a clear message."""
    if isinstance(entries, (str, bytes)):
        raise ValueError(
            f"trusted proxies must be a list of IP addresses or CIDR networks, not a single "
            f"string: write [{entries!r}]"
        )
    networks: list[_Network] = []
    for entry in entries:
        if not isinstance(entry, str):
            raise ValueError(
                f"trusted proxy {entry!r} is not a string (an IP address or a "
                f"CIDR network such as '10.0.0.0/8')"
            )
        text = entry.strip()
        try:
            network = ipaddress.ip_network(text)
        except ValueError:
            try:
                loose = ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted proxy {entry!r} is not an IP address or a CIDR network (such as "
                    f"'127.0.0.1', '10.0.0.0/8' or '::1')"
                ) from None
            raise ValueError(
                f"trusted proxy {entry!r} has host bits set: did you mean '{loose}'?"
            ) from None
        networks.append(network)
    return tuple(networks)


def _address(text: str) -> _Address | None:
    """An ``X-Forwarded-For`` entry as an address (a port dropped), or ``None`` if invalid."""
    text = text.strip()
    if text.startswith("["):  # [v6] or [v6]:port
        end = text.find("]")
        rest = text[end + 1 :] if end > 0 else "x"
        if rest and not (rest[:1] == ":" and rest[1:].isdigit()):
            return None
        text = text[1:end]
    elif text.count(":") == 1:  # v4:port
        text, _, port = text.partition(":")
        if not port.isdigit():
            return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class TrustedProxies:
    """The configured proxies; resolves a request's client and scheme (module doc)."""

    __slots__ = ("_networks", "entries")

    def __init__(self, entries: Iterable[str]) -> None:
        self._networks = parse_trusted_proxies(entries)
        #: The networks, normalised (``"127.0.0.1/32"``), for display.
        self.entries: tuple[str, ...] = tuple(str(n) for n in self._networks)

    def __bool__(self) -> bool:
        return bool(self._networks)

    def __repr__(self) -> str:
        return f"TrustedProxies({list(self.entries)!r})"

    def _trusts(self, address: _Address) -> bool:
        mapped = getattr(address, "ipv4_mapped", None)
        if mapped is not None:
            address = mapped
        return any(address in network for network in self._networks)

    def is_trusted(self, host: str) -> bool:
        """Whether ``host`` (an IP address) is one of the trusted proxies."""
        address = _address(host)
        return address is not None and self._trusts(address)

    def client(
        self, peer: tuple[str, int] | None, forwarded_for: str | None
    ) -> tuple[str, int] | None:
        """The client: ``peer``, or the address ``X-Forwarded-For`` gives when it may."""
        if peer is None or not forwarded_for or not self.is_trusted(peer[0]):
            return peer
        resolved = peer
        for entry in reversed(forwarded_for.split(",")):
            address = _address(entry)
            if address is None:
                break
            resolved = (str(address), 0)
            if not self._trusts(address):
                break
        return resolved

    def scheme(self, peer: tuple[str, int] | None, forwarded_proto: str | None) -> str:
        """``"https"`` or ``"http"``: ``X-Forwarded-Proto`` when the peer is trusted."""
        if peer is None or not forwarded_proto or not self.is_trusted(peer[0]):
            return "http"
        return _SCHEMES.get(forwarded_proto.rpartition(",")[2].strip().lower(), "http")
