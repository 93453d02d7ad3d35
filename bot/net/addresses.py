"""Which addresses the bot may fetch from: public ones, plus what the operator allows."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def ip_of(address: str) -> IPAddress:
    """An address as resolved, without its IPv6 scope, IPv4-mapped IPv6 read as IPv4."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_public_address(address: str) -> bool:
    """Whether an IP address is on the public internet (not loopback, private, reserved...)."""
    ip = ip_of(address)
    flags = (
        ip.is_private,
        ip.is_loopback,
        ip.is_link_local,
        ip.is_multicast,
        ip.is_reserved,
        ip.is_unspecified,
    )
    return ip.is_global and not any(flags)


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Public addresses always; `networks` besides, or every address when `any_address`."""

    any_address: bool = False
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def allowing(cls, entries: str) -> AddressPolicy:
        """Public addresses and the comma-separated addresses and networks; ValueError if bad."""
        parts = [part.strip() for part in entries.split(",") if part.strip()]
        if not parts:
            raise ValueError("no address or network given")
        return cls(networks=tuple(_network(part) for part in parts))

    def allows(self, address: str) -> bool:
        """Whether a fetch may connect to this resolved address."""
        if self.any_address or is_public_address(address):
            return True
        ip = ip_of(address)
        return any(ip in network for network in self.networks)


PUBLIC_ONLY = AddressPolicy()


def _network(entry: str) -> IPNetwork:
    try:
        # "10.20.0.5/16" means the network around it, as `ip route` reads it.
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        raise ValueError(f"not an address or network: {entry!r}") from None
    mapped = getattr(network.network_address, "ipv4_mapped", None)
    if mapped is not None and network.prefixlen >= 96:
        # Resolved addresses are compared as IPv4 when IPv4-mapped: compare the entry so too.
        return ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
    return network
