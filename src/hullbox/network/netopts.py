"""What ``network create`` takes beyond addresses: the bridge driver's
``-o/--opt`` options, ``--aux-address``, ``--ipam-opt``, ``--attachable``,
``--config-only`` and ``--config-from``; kept with the network as one JSON
column and read back by the bridge, the address allocator and inspect.

Docker's bridge driver keeps options it does not know and shows them in
``inspect``; the ones it knows are checked here, before anything is made.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from hullbox.errors import InvalidArgument

BRIDGE_NAME = "com.docker.network.bridge.name"
MTU = "com.docker.network.driver.mtu"
MASQUERADE = "com.docker.network.bridge.enable_ip_masquerade"
ICC = "com.docker.network.bridge.enable_icc"
HOST_BINDING = "com.docker.network.bridge.host_binding_ipv4"
#: the one endpoint option (connect --driver-opt) Docker's bridge driver reads
SYSCTLS = "com.docker.network.endpoint.sysctls"
_BOOLEANS = {"1": True, "t": True, "T": True, "true": True, "TRUE": True, "True": True,
             "0": False, "f": False, "F": False, "false": False, "FALSE": False,
             "False": False}  # Go's strconv.ParseBool, as Docker reads them
_IFNAME = re.compile(r"^[^\s/:]{1,15}$")


@dataclass
class NetworkSettings:
    """The network's options as the user gave them."""

    options: dict[str, str] = field(default_factory=dict)
    ipam_options: dict[str, str] = field(default_factory=dict)
    aux_addresses: dict[str, str] = field(default_factory=dict)
    attachable: bool = False
    config_only: bool = False
    config_from: str = ""  # the name of the config-only network it was made from

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> NetworkSettings:
        data = data or {}
        return cls(dict(data.get("options") or {}), dict(data.get("ipam_options") or {}),
                   dict(data.get("aux_addresses") or {}), bool(data.get("attachable")),
                   bool(data.get("config_only")), str(data.get("config_from") or ""))

    @property
    def bridge_name(self) -> str:
        return self.options.get(BRIDGE_NAME, "")

    @property
    def mtu(self) -> int:
        return int(self.options.get(MTU) or 0)

    @property
    def masquerade(self) -> bool:
        return _BOOLEANS[self.options.get(MASQUERADE, "true")]

    @property
    def icc(self) -> bool:
        return _BOOLEANS[self.options.get(ICC, "true")]

    @property
    def host_binding(self) -> str:
        return self.options.get(HOST_BINDING, "")


def key_values(items: tuple[str, ...] | list[str], flag: str) -> dict[str, str]:
    """``KEY=VALUE`` items of a repeated flag; a bare ``KEY`` is KEY='' as
    Docker's map options take it."""
    out: dict[str, str] = {}
    for item in items:
        key, _, value = item.partition("=")
        if not key:
            raise InvalidArgument(f"invalid {flag} {item!r}: use KEY=VALUE")
        out[key] = value
    return out


def check_options(options: dict[str, str]) -> None:
    """Refuse a value the bridge driver would refuse, naming the option."""
    name = options.get(BRIDGE_NAME)
    if name is not None and not _IFNAME.match(name):
        raise InvalidArgument(f"invalid -o {BRIDGE_NAME}={name}: an interface name of 1-15 "
                              "characters without spaces, '/' or ':'")
    mtu = options.get(MTU)
    if mtu is not None and (not mtu.isdigit() or not 68 <= int(mtu) <= 65535):
        raise InvalidArgument(f"invalid -o {MTU}={mtu}: an MTU from 68 to 65535")
    for key in (MASQUERADE, ICC):
        if key in options and options[key] not in _BOOLEANS:
            raise InvalidArgument(f"invalid -o {key}={options[key]}: use true or false")
    binding = options.get(HOST_BINDING)
    if binding is not None:
        from hullbox.network.ipam import ip_to_int

        try:
            ip_to_int(binding)
        except InvalidArgument:
            raise InvalidArgument(f"invalid -o {HOST_BINDING}={binding}: an IPv4 address "
                                  "of this host") from None


def check_aux(aux: dict[str, str], subnets: list[str]) -> None:
    """Each auxiliary address inside one of the subnets given with --subnet."""
    for name, address in aux.items():
        where = [s for s in subnets if (":" in s) == (":" in address)]
        try:
            inside = any(_inside(address, subnet) for subnet in where)
        except (InvalidArgument, ValueError):
            raise InvalidArgument(f"invalid --aux-address {name}={address}: not an IP "
                                  "address") from None
        if not inside:
            raise InvalidArgument(f"invalid --aux-address {name}={address}: no matching "
                                  "subnet; give the subnet it belongs to with --subnet")


def _inside(address: str, subnet: str) -> bool:
    from hullbox.network.addr6 import ip6_to_int, mask6, parse_cidr6
    from hullbox.network.ipam import in_subnet, ip_to_int

    if ":" not in subnet:
        return in_subnet(ip_to_int(address), subnet)
    base, prefix = parse_cidr6(subnet)
    return ip6_to_int(address) & mask6(prefix) == base


def reserved4(settings: NetworkSettings) -> set[int]:
    """The IPv4 auxiliary addresses, as integers: never handed out."""
    from hullbox.network.ipam import ip_to_int

    return {ip_to_int(a) for a in settings.aux_addresses.values() if ":" not in a}


def reserved6(settings: NetworkSettings) -> set[str]:
    """The IPv6 auxiliary addresses, spelled as the allocator spells them."""
    from hullbox.network.addr6 import int_to_ip6, ip6_to_int

    return {int_to_ip6(ip6_to_int(a)) for a in settings.aux_addresses.values() if ":" in a}


def sysctl_writes(value: str, ifname: str) -> list[tuple[str, str]]:
    """``net.ipv4.conf.IFNAME.forwarding=1,...`` as (/proc/sys path, value),
    IFNAME standing for the endpoint's interface, as in Docker."""
    writes = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        key, sep, setting = item.partition("=")
        parts = key.split(".")
        if not sep or len(parts) < 5 or parts[0] != "net" or parts[3] != "IFNAME":
            raise InvalidArgument(f"invalid {SYSCTLS} {item!r}: use "
                                  "net.ipv4.conf.IFNAME.NAME=VALUE (or net.ipv6...)")
        parts[3] = ifname
        writes.append(("/proc/sys/" + "/".join(parts), setting))
    return writes
