"""Networking flags: --network, -p, -P, --ip, --mac-address, --network-alias,
--dns, --dns-search, --dns-option, --add-host (issue 7)."""

from __future__ import annotations

from typing import Any

import click

FLAGS = [
    click.option("--network", "--net", "network", default="default",
                 help="bridge (default), none, host, container:NAME or a network's name."),
    click.option("-p", "--publish", multiple=True, metavar="[IP:][HOST[-END]:]PORT[-END][/udp]",
                 help="Publish a container port on the host."),
    click.option("-P", "--publish-all", is_flag=True,
                 help="Publish every EXPOSEd port on a free host port."),
    click.option("--ip", help="IPv4 address on a user-defined network."),
    click.option("--mac-address", help="MAC address of the first interface."),
    click.option("--network-alias", multiple=True, help="Extra name on the network."),
    click.option("--dns", multiple=True, help="DNS server for resolv.conf."),
    click.option("--dns-search", multiple=True, help="DNS search domain."),
    click.option("--dns-option", multiple=True, help="resolv.conf option."),
    click.option("--add-host", multiple=True, metavar="NAME:IP",
                 help="Add a line to /etc/hosts."),
]


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    from hullbox.engine.settings.network import NetworkSettings

    network = params.get("network") or "default"
    settings = NetworkSettings(
        ports=list(params.get("publish") or ()),
        publish_all=bool(params.get("publish_all")),
        ip=params.get("ip") or "",
        mac_address=params.get("mac_address") or "",
        aliases=list(params.get("network_alias") or ()),
        dns=list(params.get("dns") or ()),
        dns_search=list(params.get("dns_search") or ()),
        dns_options=list(params.get("dns_option") or ()),
        add_hosts=list(params.get("add_host") or ()),
    )
    return {"network": "default" if network == "bridge" else network, "networking": settings}
