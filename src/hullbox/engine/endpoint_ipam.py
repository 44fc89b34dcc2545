"""``IPAMConfig`` of each network in a container's inspect: the addresses
the user asked for on that network (--ip, --ip6, --link-local-ip, ``network
connect --ip...``, compose's ipv4_address/ipv6_address/link_local_ips), null
when none was asked, as docker prints it."""

from __future__ import annotations

from typing import Any

from hullbox.engine.networking import mode_of
from hullbox.engine.options import ContainerOptions


def requested(options: ContainerOptions, network: str) -> dict[str, Any] | None:
    """docker's EndpointIPAMConfig (its fields are omitempty), or None."""
    first = network == mode_of(options)
    entry = options.networking.connected.get(network) or {}
    names = options.namespaces
    ipv4 = str(entry.get("ip") or (options.networking.ip if first else ""))
    ipv6 = str(entry.get("ip6") or names.network_ip6.get(network)
               or (names.ip6 if first else ""))
    link_local = list(entry.get("link_local") or names.network_link_local.get(network)
                      or (names.link_local_ips if first else []))
    config: dict[str, Any] = {}
    if ipv4:
        config["IPv4Address"] = ipv4
    if ipv6:
        config["IPv6Address"] = ipv6
    if link_local:
        config["LinkLocalIPs"] = link_local
    return config or None


def add_ipam_config(networks: dict[str, dict[str, Any]], options: ContainerOptions) -> None:
    """Puts IPAMConfig first in each network's entry, where docker has it."""
    for name, entry in networks.items():
        networks[name] = {"IPAMConfig": requested(options, name), **entry}
