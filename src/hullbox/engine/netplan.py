"""What ``network create`` checks and chooses before a bridge is made: the
IPv4 subnet, gateway and --ip-range, and for ``--ipv6`` the IPv6 subnet and
gateway; each free of the host's routes and of the other networks."""

from __future__ import annotations

import random
from dataclasses import dataclass

from hullbox.errors import Conflict, InvalidArgument
from hullbox.network import bridge, ipam
from hullbox.network.addr6 import (
    int_to_ip6,
    ip6_to_int,
    normal6,
    overlapping_route6,
    overlaps6,
    parse_cidr6,
)
from hullbox.network.ipam import Network


@dataclass
class Addressing:
    """The addresses a user asked for; '' where the choice is hullbox's."""

    subnet: str = ""
    gateway: str = ""
    ip_range: str = ""
    ipv6: bool = False
    subnet6: str = ""
    gateway6: str = ""


def choose(asked: Addressing, others: list[Network]) -> Addressing:
    """The addressing of a new network: what was asked, checked, and the
    rest chosen free. Hold bridge.host_lock()."""
    taken = [n.subnet for n in others]
    if asked.gateway and not asked.subnet:
        raise InvalidArgument("--gateway needs --subnet")
    if asked.ip_range and not asked.subnet:
        raise InvalidArgument("--ip-range needs --subnet")
    subnet = asked.subnet or bridge.choose_subnet(taken, default=False)
    base, prefix = ipam.parse_cidr(subnet)
    gateway = asked.gateway or ipam.int_to_ip(base + 1)
    if asked.gateway:
        _check_gateway(ipam.ip_to_int(asked.gateway), base, 32 - prefix, gateway, subnet)
    if asked.ip_range:
        ipam.parse_cidr(asked.ip_range)
        if not bridge.overlaps(asked.ip_range, subnet) or \
                int(asked.ip_range.partition("/")[2]) < prefix:
            raise InvalidArgument(f"--ip-range {asked.ip_range} is not inside subnet {subnet}")
    if asked.subnet:  # the input is sound: now whether the host has room for it
        _check_free(subnet, taken)
    chosen = Addressing(subnet, gateway, asked.ip_range)
    if asked.ipv6 or asked.subnet6:
        chosen.ipv6 = True
        chosen.subnet6, chosen.gateway6 = _choose6(asked, [n.subnet6 for n in others
                                                           if n.subnet6])
    elif asked.gateway6:
        raise InvalidArgument("an IPv6 --gateway needs an IPv6 --subnet")
    return chosen


def _check_gateway(address: int, base: int, bits: int, gateway: str, subnet: str) -> None:
    if not base < address < base + (1 << bits) - 1:
        raise InvalidArgument(f"--gateway {gateway} is not a host address of subnet {subnet}")


def _choose6(asked: Addressing, taken: list[str]) -> tuple[str, str]:
    if asked.subnet6:
        subnet = normal6(asked.subnet6)
        _check_free6(subnet, taken)
    else:
        subnet = _random_ula(taken)
    base, prefix = parse_cidr6(subnet)
    if asked.gateway6:
        address = ip6_to_int(asked.gateway6)
        _check_gateway(address, base, 128 - prefix, asked.gateway6, subnet)
        return subnet, int_to_ip6(address)
    return subnet, int_to_ip6(base + 1)


def _random_ula(taken: list[str]) -> str:
    """A unique-local /64 (RFC 4193: fd00::/8 and 40 random bits), as Docker
    and Podman pick one."""
    for _ in range(64):
        head = random.getrandbits(40)
        subnet = normal6(f"fd{head >> 32:02x}:{(head >> 16) & 0xFFFF:x}:{head & 0xFFFF:x}::/64")
        if overlapping_route6(subnet) is None and not any(overlaps6(subnet, t) for t in taken):
            return subnet
    raise Conflict("no free IPv6 subnet found; give one with --subnet fdXX:...::/64")


def _check_free6(subnet: str, taken: list[str]) -> None:
    device = overlapping_route6(subnet)
    if device is not None:
        raise Conflict(f"subnet {subnet} overlaps a route of this host (device {device}); "
                       "choose another --subnet")
    for other in taken:
        if overlaps6(subnet, other):
            raise Conflict(f"subnet {subnet} overlaps subnet {other} of another network; "
                           "choose another --subnet")


def _check_free(subnet: str, taken: list[str]) -> None:
    device = bridge.overlapping_route(subnet)
    if device is not None:
        raise Conflict(f"subnet {subnet} overlaps a route of this host (device {device}); "
                       "choose another --subnet")
    for other in taken:
        if bridge.overlaps(subnet, other):
            raise Conflict(f"subnet {subnet} overlaps subnet {other} of another network; "
                           "choose another --subnet")


def sort_by_family(subnets: list[str], gateways: list[str], ip_ranges: list[str],
                   ipv6: bool) -> Addressing:
    """Docker's repeatable --subnet/--gateway/--ip-range, one per family."""
    asked = Addressing(ipv6=ipv6)
    for kind, values in (("subnet", subnets), ("gateway", gateways), ("ip_range", ip_ranges)):
        for value in values:
            field = kind + ("6" if ":" in value else "")
            if field == "ip_range6":
                raise InvalidArgument(f"--ip-range {value}: IPv6 ranges are not supported; "
                                      "give an IPv4 range")
            if getattr(asked, field):
                raise InvalidArgument(f"--{kind.replace('_', '-')} given twice for one "
                                      f"address family ({getattr(asked, field)}, {value})")
            setattr(asked, field, value)
    return asked
