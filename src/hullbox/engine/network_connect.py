"""``network connect``'s endpoint settings (--ip, --ip6, --alias,
--link-local-ip, --link, --driver-opt): checked here, kept in the
container's ``connected`` entry for the network, used at once when the
container runs and at each later start."""

from __future__ import annotations

from typing import Any

from hullbox.errors import ContainerNotFound, InvalidArgument
from hullbox.network.ipam import Network
from hullbox.network.netopts import SYSCTLS, sysctl_writes
from hullbox.store import containers as container_db
from hullbox.store.store import Store


def endpoint_config(store: Store, network: Network, *, aliases: list[str], ip: str, ip6: str,
                    link_local: list[str], links: list[str], driver_opts: list[str],
                    gw_priority: int = 0) -> dict[str, Any]:
    """The ``connected`` entry, every value checked (one line for the first
    bad one)."""
    from hullbox.network.addr6 import ip6_to_int
    from hullbox.network.ipam import ip_to_int

    if ip:
        ip_to_int(ip)
    if ip6:
        ip6_to_int(ip6)
        if not network.subnet6:
            raise InvalidArgument(f"--ip6 {ip6}: network {network.name} has no IPv6; create "
                                  "one with hullbox network create --ipv6")
    for address in link_local:
        _check_link_local(address)
    opts: dict[str, str] = {}
    for item in driver_opts:
        key, sep, value = item.partition("=")
        if not key or not sep:
            raise InvalidArgument(f"invalid --driver-opt {item!r}: use KEY=VALUE")
        opts[key] = value
    if SYSCTLS in opts:
        sysctl_writes(opts[SYSCTLS], "eth1")  # checked now, applied when attached
    return {"aliases": aliases, "ip": ip, "ip6": ip6, "link_local": link_local,
            "links": [_link(store, link) for link in links], "driver_opts": opts,
            "gw_priority": gw_priority}


def gateway_index(networks: list[Network], entries: list[dict[str, Any] | None]) -> int:
    """Which of a container's networks gives its default route: of those not
    --internal, the highest --gw-priority, the first of equals (the one it
    was created on has priority 0); -1 when every one is internal."""
    best, chosen = 0, -1
    for index, (network, entry) in enumerate(zip(networks, entries, strict=True)):
        priority = int((entry or {}).get("gw_priority") or 0)
        if not network.internal and (chosen < 0 or priority > best):
            best, chosen = priority, index
    return chosen


def _check_link_local(address: str) -> None:
    from hullbox.network.addr6 import ip6_to_int, mask6
    from hullbox.network.ipam import ip_to_int, mask

    if ":" in address:
        local = ip6_to_int(address) & mask6(10) == ip6_to_int("fe80::")
    else:
        local = ip_to_int(address) & mask(16) == ip_to_int("169.254.0.0")
    if not local:
        raise InvalidArgument(f"--link-local-ip {address}: not a link-local address "
                              "(169.254.0.0/16 or fe80::/10)")


def _link(store: Store, link: str) -> str:
    """``NAME[:ALIAS]`` with NAME an existing container; ``NAME:ALIAS`` back."""
    name, _, alias = link.partition(":")
    found = container_db.find(store, name) if name else []
    if len(found) != 1:
        raise ContainerNotFound(f"--link {link}: no such container {name!r}")
    return f"{found[0].name}:{alias or found[0].name}"


def link_aliases(entry: dict[str, Any]) -> dict[str, list[str]]:
    """container name -> the aliases this container knows it by on the network."""
    out: dict[str, list[str]] = {}
    for link in entry.get("links") or []:
        name, _, alias = str(link).partition(":")
        out.setdefault(name, []).append(alias or name)
    return out


def networking_extra(entry: dict[str, Any]) -> dict[str, Any]:
    """endpoint.attach's keywords for a ``connected`` entry's --ip6,
    --link-local-ip and --driver-opt."""
    return {"address6": str(entry.get("ip6") or ""),
            "link_local": list(entry.get("link_local") or []),
            "sysctls": str((entry.get("driver_opts") or {}).get(SYSCTLS, ""))}
