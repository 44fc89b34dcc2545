"""A machine on a hullbox network (``--network NAME``): its NIC is a tap
device on the network's bridge, with an address leased from the network's
IPAM as a container's is, so containers on that network and the machine
reach each other.

QEMU makes the tap itself (``-netdev tap``), so the tap lives exactly as
long as that QEMU: a machine that dies leaves none behind. QEMU starts
paused (``-S``) while hullbox puts the tap on the bridge, then runs. The
lease is held while the machine runs; the next start asks for the same
address again, so a guest that keeps its configuration keeps working. The
guest learns its address from the kernel's ``ip=`` parameter (for
``--kernel`` boots: the kernel, Debian's initramfs-tools and dracut read it)
and from a cloud-init network-config on its seed (``--cloud-init``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import yaml

from hullbox.errors import Conflict, InvalidArgument, RuntimeFailure
from hullbox.linux.netlink import Netlink, link_index
from hullbox.network import bridge, ipam
from hullbox.network.ipam import Lease, Network
from hullbox.store.store import Store
from hullbox.vm.cmdline import BridgedNic
from hullbox.vm.records import MachineRecord, MachineRecords

#: ``--network user``: QEMU's user-mode NAT, the default
USER_NETWORK = "user"


def tap_name(machine_id: str) -> str:
    """Named after the machine, as a container's veth is; 15 characters."""
    return f"hbvm{machine_id[:11]}"


def machine_mac(machine_id: str) -> str:
    """QEMU's locally administered prefix and three bytes of the machine's ID:
    the same NIC at every start, another one in a clone."""
    return "52:54:00:" + ":".join(machine_id[i:i + 2] for i in (0, 2, 4))


@dataclass(frozen=True)
class Endpoint:
    """The machine's lease on its network."""

    network: Network
    lease: Lease

    def nic(self, hostname: str) -> BridgedNic:
        netmask = ipam.int_to_ip(ipam.mask(self.network.prefix))
        kernel_ip = (f"ip={self.lease.address}::{self.network.gateway}:{netmask}:"
                     f"{hostname}::off")
        return BridgedNic(self.lease.host_ifname, self.lease.mac, kernel_ip)

    def network_config(self) -> bytes:
        """cloud-init's network-config (version 2) for the NIC with this MAC."""
        config = {"version": 2, "ethernets": {"hullbox0": {
            "match": {"macaddress": self.lease.mac},
            "addresses": [f"{self.lease.address}/{self.network.prefix}"],
            "routes": [{"to": "default", "via": self.network.gateway}]}}}
        return yaml.safe_dump(config, sort_keys=False).encode()


def check_network(store: Store, name: str) -> None:
    """The network exists (NetworkNotFound naming it)."""
    if name not in ("", USER_NETWORK):
        ipam.get_network(store, name)


def lease(store: Store, record: MachineRecord) -> Endpoint:
    """An address on the machine's network: the one it had before if free."""
    network = ipam.get_network(store, record.config.network)
    bridge.ensure_bridge(network, store.root / "hullbox.db")
    tap, mac = tap_name(record.id), machine_mac(record.id)
    taken: Lease | None = None
    if record.config.network_ip:
        with contextlib.suppress(Conflict, InvalidArgument):
            taken = ipam.allocate(store, network, record.id, tap, mac=mac,
                                  address=record.config.network_ip, aliases=[record.name])
    if taken is None:
        taken = ipam.allocate(store, network, record.id, tap, mac=mac, aliases=[record.name])
    return Endpoint(network, taken)


def plug(endpoint: Endpoint) -> None:
    """Put the tap QEMU made on the network's bridge, up."""
    tap = endpoint.lease.host_ifname
    try:
        with Netlink() as netlink:
            netlink.set_master(link_index(tap), link_index(endpoint.network.bridge))
    except OSError as exc:
        raise RuntimeFailure(f"connect {tap} to network {endpoint.network.name}: "
                             f"{exc.strerror or exc}") from exc


def release(store: Store, machine_id: str) -> None:
    """Give the address back (the tap went with QEMU)."""
    ipam.release(store, machine_id)


def settings(store: Store, machine_id: str) -> dict[str, Any]:
    """The running machine's addresses, as a container's NetworkSettings.Networks."""
    networks = {network.id: network for network in ipam.list_networks(store)}
    found: dict[str, Any] = {}
    for held in ipam.leases_of(store, machine_id):
        network = networks.get(held.network_id)
        if network is not None:
            found[network.name] = {"NetworkID": network.id, "EndpointID": held.host_ifname,
                                   "IPAddress": held.address, "IPPrefixLen": network.prefix,
                                   "Gateway": network.gateway, "MacAddress": held.mac}
    return found


def machines_on(store: Store, network: Network) -> list[MachineRecord]:
    """The machines holding an address on the network, or defined to start on
    it (a stopped one would fail its next start without it)."""
    leased = {held.container_id for held in ipam.leases_on(store, network.id)}
    found = []
    for record in MachineRecords(store).all():
        named = record.config.network
        defined = bool(named) and (named in (network.name, network.id) or getattr(
            ipam.find_network(store, named), "id", "") == network.id)
        if record.id in leased or defined:
            found.append(record)
    return found


def machine_names(store: Store) -> dict[str, str]:
    """Machine IDs to names, to name a machine's lease in ``network inspect``."""
    return {record.id: record.name for record in MachineRecords(store).all()}
