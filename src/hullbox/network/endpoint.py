"""A container's endpoint on a network: a veth pair from the network's bridge
into the container's namespace, its address, and (on its first network) the
default route."""

from __future__ import annotations

import contextlib
import os

from hullbox.errors import RuntimeFailure
from hullbox.linux import netns
from hullbox.linux.netlink import Netlink, link_index
from hullbox.network import ipam
from hullbox.network.ipam import Lease, Network
from hullbox.store.store import Store

LOOPBACK_INDEX = 1  # lo is always the first link of a new namespace


def host_ifname(container_id: str, index: int) -> str:
    """The host side of the veth: named after the container, so it is found
    (and counted by the tests) without a lookup; 15 characters at most."""
    return f"veth{container_id[:9]}{index:x}"


def attach(store: Store, network: Network, container_id: str, netns_path: str, index: int, *,
           address: str = "", mac: str = "", aliases: list[str] | None = None,
           default_route: bool = True, address6: str = "",
           link_local: tuple[str, ...] | list[str] | None = None, sysctls: str = "",
           replace_route: bool = False) -> Lease:
    """Lease an address and plug the container in as ``eth<index>``; on any
    failure nothing is left (no veth, no lease)."""
    ifname = host_ifname(container_id, index)
    lease = ipam.allocate(store, network, container_id, ifname, address=address, mac=mac,
                          aliases=aliases, address6=address6)
    try:
        with Netlink() as host:
            host.delete_link(ifname)  # left by a keeper that was killed
            ns_fd = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                host.add_veth(ifname, master=link_index(network.bridge), peer=f"eth{index}",
                              peer_netns_fd=ns_fd, peer_mac=lease.mac,
                              mtu=network.settings.mtu)
            finally:
                os.close(ns_fd)
        try:
            if not network.settings.icc:  # -o ...enable_icc=false
                isolate_port(ifname)
            with netns.entered(netns_path), Netlink() as inside:
                eth = link_index(f"eth{index}")
                inside.add_address(eth, lease.address, network.prefix)
                if lease.address6:
                    inside.add_address(eth, lease.address6, network.prefix6)
                for extra in link_local or []:  # --link-local-ip, connect --link-local-ip
                    inside.add_address(eth, extra, 64 if ":" in extra else 16)
                if sysctls:  # --driver-opt com.docker.network.endpoint.sysctls=...
                    _write_sysctls(sysctls, f"eth{index}")
                inside.set_up(eth)
                inside.set_up(LOOPBACK_INDEX)
                if default_route:  # replace_route: connect --gw-priority above the rest
                    inside.add_default_route(network.gateway, eth, replace=replace_route)
                    if network.gateway6:
                        inside.add_default_route(network.gateway6, eth,
                                                 replace=replace_route)
        except BaseException:
            with contextlib.suppress(OSError), Netlink() as host:
                host.delete_link(ifname)
            raise
    except BaseException as exc:
        ipam.release(store, container_id, network.id)
        if isinstance(exc, OSError):
            raise RuntimeFailure(f"connect container {container_id[:12]} to network "
                                 f"{network.name}: {exc.strerror}") from exc
        raise
    return lease


def _write_sysctls(value: str, ifname: str) -> None:
    """In the container's namespace: /proc/sys/net follows the writer's."""
    from hullbox.network.netopts import sysctl_writes

    for path, setting in sysctl_writes(value, ifname):
        with open(path, "w") as knob:
            knob.write(setting)


def isolate_port(ifname: str) -> None:
    """The bridge forwards nothing between two isolated ports: containers of
    the network cannot reach each other, while the bridge's own address (the
    gateway, the host) stays reachable."""
    with open(f"/sys/class/net/{ifname}/brport/isolated", "w") as flag:
        flag.write("1")


def detach(store: Store, lease: Lease) -> None:
    """Unplug one endpoint and give its address back; what is gone already is skipped."""
    with contextlib.suppress(OSError), Netlink() as host:
        host.delete_link(lease.host_ifname)
    ipam.release(store, lease.container_id, lease.network_id)
