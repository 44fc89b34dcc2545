"""IPv6 addresses and subnets as integers, and the host's IPv6 routes: what
IPAM and the bridge need for ``network create --ipv6``."""

from __future__ import annotations

import _socket

from hullbox.errors import InvalidArgument

ALL_ONES = (1 << 128) - 1


def ip6_to_int(address: str) -> int:
    """An IPv6 address as an integer; InvalidArgument when it is not one."""
    try:
        return int.from_bytes(_socket.inet_pton(_socket.AF_INET6, address), "big")
    except OSError:
        raise InvalidArgument(f"invalid IPv6 address {address!r}") from None


def int_to_ip6(value: int) -> str:
    return str(_socket.inet_ntop(_socket.AF_INET6, value.to_bytes(16, "big")))


def mask6(prefix: int) -> int:
    return (ALL_ONES << (128 - prefix)) & ALL_ONES


def parse_cidr6(text: str) -> tuple[int, int]:
    """``fd00:1::/64`` -> (network as int, prefix length), host bits zero;
    /64 to /120, so there is room for containers and a route of its own."""
    addr, sep, length = text.partition("/")
    if not sep or not length.isdigit() or not 48 <= int(length) <= 120 or ":" not in addr:
        raise InvalidArgument(f"invalid IPv6 subnet {text!r}: use a CIDR from /48 to /120, "
                              "e.g. fd00:90::/64")
    base, prefix = ip6_to_int(addr), int(length)
    if base & ~mask6(prefix) & ALL_ONES:
        raise InvalidArgument(f"invalid IPv6 subnet {text!r}: host bits are set; did you mean "
                              f"{int_to_ip6(base & mask6(prefix))}/{prefix}?")
    return base, prefix


def normal6(text: str) -> str:
    """The subnet in its canonical spelling."""
    base, prefix = parse_cidr6(text)
    return f"{int_to_ip6(base)}/{prefix}"


def overlaps6(a: str, b: str) -> bool:
    (base_a, len_a), (base_b, len_b) = parse_cidr6(a), parse_cidr6(b)
    common = mask6(min(len_a, len_b))
    return base_a & common == base_b & common


def host_routes6() -> list[tuple[int, int, str]]:
    """(destination, prefix length, device) of the host's IPv6 routes, but
    the default route, link-local, multicast and single addresses."""
    routes = []
    try:
        with open("/proc/net/ipv6_route") as table:
            for line in table:
                fields = line.split()
                dest, prefix, device = int(fields[0], 16), int(fields[1], 16), fields[-1]
                if 0 < prefix < 128 and dest >> 118 != 0x3FA and dest >> 120 != 0xFF:
                    routes.append((dest, prefix, device))
    except OSError:
        pass
    return routes


def overlapping_route6(subnet: str) -> str | None:
    """The device of a host IPv6 route that overlaps ``subnet``, if any."""
    base, prefix = parse_cidr6(subnet)
    for dest, length, device in host_routes6():
        common = mask6(min(prefix, length))
        if dest & common == base & common:
            return device
    return None


def check_requested6(network: str, subnet: str, gateway: str, used: set[str],
                     address: str) -> str:
    """--ip6 ``address`` on ``network``, in its canonical spelling: inside its
    IPv6 subnet, not its gateway, not held by another container."""
    from hullbox.errors import Conflict

    if not subnet:
        raise InvalidArgument(f"--ip6 {address}: network {network} has no IPv6 subnet; "
                              "create it with --ipv6 --subnet ...")
    wanted = ip6_to_int(address)
    base, prefix = parse_cidr6(subnet)
    text = int_to_ip6(wanted)
    if wanted & mask6(prefix) != base or wanted == base or text == gateway:
        raise InvalidArgument(f"--ip6 {address}: not a usable address of network {network} "
                              f"({subnet}, gateway {gateway})")
    if text in used:
        raise Conflict(f"address {text} is already in use on network {network}; "
                       "choose another --ip6")
    return text
