"""Network use cases: ``hullbox network create/ls/inspect/rm/prune/connect/
disconnect`` and the port listings of ``hullbox port`` and ``ps``."""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Callable
from typing import Any

from hullbox.engine import events, networking
from hullbox.engine.netplan import Addressing
from hullbox.engine.options import ContainerOptions
from hullbox.errors import Conflict, HullboxError, InvalidArgument
from hullbox.network import bridge, ipam
from hullbox.network.ipam import Network
from hullbox.network.netopts import NetworkSettings
from hullbox.network.ports import PublishedPort
from hullbox.store import containers as container_db
from hullbox.store.store import Store

PREDEFINED = ("bridge", "host", "none")


class NetworkService:
    """``Engine().networks``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, name: str, *, subnet: str = "", gateway: str = "", driver: str = "bridge",
               labels: dict[str, str] | None = None, internal: bool = False,
               addressing: Addressing | None = None,
               settings: NetworkSettings | None = None) -> Network:
        """A user-defined bridge network, its bridge made at once; ``subnet``
        and ``gateway`` (IPv4) are short for an ``addressing`` of just those.
        ``settings``: -o, --aux-address, --config-only... (network/netopts)."""
        from hullbox.engine.network_create import create_network

        network = create_network(self.store, name, driver=driver, labels=dict(labels or {}),
                                 internal=internal,
                                 addressing=addressing or Addressing(subnet=subnet,
                                                                     gateway=gateway),
                                 settings=settings or NetworkSettings())
        events.network(self.store, network.id, network.name, "create")
        return network

    def list(self) -> builtins.list[Network]:
        networking.default_network(self.store)
        return ipam.list_networks(self.store)

    def get(self, name_or_id: str) -> Network:
        if name_or_id == ipam.DEFAULT_NETWORK:
            return networking.default_network(self.store)
        return ipam.get_network(self.store, name_or_id)

    def inspect(self, name_or_id: str) -> dict[str, Any]:
        """Docker's ``network inspect`` object."""
        from hullbox.engine.inspect import rfc3339
        from hullbox.vm.bridged import machine_names

        network = self.get(name_or_id)
        members = {}
        machines = machine_names(self.store)
        for lease in ipam.leases_on(self.store, network.id):
            record = container_db.get(self.store, lease.container_id)
            members[lease.container_id] = {
                "Name": record.name if record else machines.get(lease.container_id, ""),
                "EndpointID": lease.host_ifname,
                "MacAddress": lease.mac,
                "IPv4Address": f"{lease.address}/{network.prefix}",
                "IPv6Address": f"{lease.address6}/{network.prefix6}" if lease.address6 else "",
            }
        settings = network.settings
        options = dict(settings.options) if settings.config_only else {
            "com.docker.network.bridge.name": network.bridge, **settings.options}
        return {
            "Name": network.name, "Id": network.id, "Created": rfc3339(network.created),
            "Scope": "local", "Driver": network.driver,
            "EnableIPv4": bool(network.subnet) or not settings.config_only,
            "EnableIPv6": bool(network.subnet6),
            "IPAM": ipam.as_json(network), "Internal": network.internal,
            "Attachable": settings.attachable, "Ingress": False,
            "ConfigFrom": {"Network": settings.config_from},
            "ConfigOnly": settings.config_only, "Containers": members,
            "Options": options, "Labels": network.labels,
        }

    def users(self, network: Network) -> builtins.list[str]:
        """Names of containers (and of VMs, as "VM NAME") that run on the
        network or are set to join it."""
        from hullbox.vm.bridged import machines_on

        found = [f"network {n.name}" for n in ipam.list_networks(self.store)
                 if n.settings.config_from == network.name]  # made --config-from it
        running = {lease.container_id for lease in ipam.leases_on(self.store, network.id)}
        for record in container_db.list_all(self.store):
            options = ContainerOptions.from_json(record.config)
            joined = [name for name, _a, _i in networking.endpoints(options)]
            if record.id in running or network.name in joined or network.id in joined:
                found.append(record.name)
        return found + [f"VM {machine.name}" for machine in machines_on(self.store, network)]

    def remove(self, name_or_id: str) -> Network:
        """``network rm``: refused for the default network and while used."""
        if name_or_id in PREDEFINED:
            raise Conflict(f"{name_or_id} is a predefined network and cannot be removed")
        network = ipam.get_network(self.store, name_or_id)
        users = self.users(network)
        if users and network.settings.config_only:
            raise Conflict(f"cannot remove config-only network {network.name}: "
                           f"{', '.join(users)} was made from it; remove that first")
        if users:
            vms = any(user.startswith("VM ") for user in users)
            raise Conflict(f"cannot remove network {network.name}: "
                           f"{'VMs or containers' if vms else 'containers'} use it "
                           f"({', '.join(users)}); remove them or disconnect them first "
                           f"(hullbox network disconnect {network.name} CONTAINER"
                           f"{'; hullbox vm rm VM' if vms else ''})")
        if not network.settings.config_only:  # it has no bridge
            bridge.remove_bridge(network.id, network.bridge, bridge.subnets(network))
        ipam.delete_network(self.store, network.id)
        events.network(self.store, network.id, network.name, "destroy")
        return network

    def prune(self, selected: Callable[[Network], bool] | None = None) -> builtins.list[str]:
        """Remove every user-defined network no container uses; their names.
        The bridges of deleted stores and nftables entries of vanished
        bridges go too (bridge.sweep_orphans), whichever store made them."""
        bridge.sweep_orphans()
        removed = []
        for network in ipam.list_networks(self.store):
            if network.name in PREDEFINED or self.users(network):
                continue
            if selected is not None and not selected(network):
                continue
            with contextlib.suppress(HullboxError):
                self.remove(network.id)
                removed.append(network.name)
        return removed

    def connect(self, name_or_id: str, container: str, *, aliases: builtins.list[str] | None = None,
                ip: str = "", ip6: str = "", link_local: builtins.list[str] | None = None,
                links: builtins.list[str] | None = None,
                driver_opts: builtins.list[str] | None = None, gw_priority: int = 0) -> None:
        """Join a container to a network: at once if it runs, else at its next start."""
        from hullbox.engine import netfiles
        from hullbox.engine.network_connect import endpoint_config, networking_extra
        from hullbox.network import endpoint

        network = self.get(name_or_id)
        record = _container(self.store, container)
        options = ContainerOptions.from_json(record.config)
        networking.check_connectable(options, network.name)
        options.isolation.refuse_live_network_change(record.state, record.name, "connect")
        if network.name in [name for name, _a, _i in networking.endpoints(options)]:
            raise Conflict(f"container {record.name} is already connected to network "
                           f"{network.name}")
        entry = endpoint_config(self.store, network, aliases=list(aliases or []), ip=ip,
                                ip6=ip6, link_local=list(link_local or []),
                                links=list(links or []), driver_opts=list(driver_opts or []),
                                gw_priority=gw_priority)
        before = [self.get(name) for name, _a, _i in networking.endpoints(options)]
        was = networking.gateway_choice(before, options)
        options.networking.connected[network.name] = entry
        if record.state == "running":
            now = networking.gateway_choice([*before, network], options)
            takes_route = now == len(before)  # --gw-priority above the others
            taken = {lease.host_ifname[-1] for lease in ipam.leases_of(self.store, record.id)}
            index = next(i for i in range(1, 16) if f"{i:x}" not in taken)
            endpoint.attach(self.store, network, record.id,
                            str(networking.netns_path(record.id)), index, address=ip,
                            aliases=list(aliases or []), default_route=takes_route,
                            replace_route=takes_route and was >= 0,
                            **networking_extra(entry))
            events.network(self.store, network.id, network.name, "connect", container=record.id)
            container_db.update(self.store, record.id, config=options.to_json())
            with networking.hosts_lock(self.store):
                netfiles.refresh_hosts(self.store, {network.id}, also=record.id)
            return
        container_db.update(self.store, record.id, config=options.to_json())

    def disconnect(self, name_or_id: str, container: str) -> None:
        """Leave a network joined with ``connect``."""
        from hullbox.engine import netfiles
        from hullbox.network import endpoint

        network = self.get(name_or_id)
        record = _container(self.store, container)
        options = ContainerOptions.from_json(record.config)
        options.isolation.refuse_live_network_change(record.state, record.name, "disconnect")
        if network.name not in options.networking.connected:
            if networking.mode_of(options) == network.name:
                raise InvalidArgument(f"container {record.name} was created on network "
                                      f"{network.name} (--network); only networks joined "
                                      "with `network connect` can be left")
            raise Conflict(f"container {record.name} is not connected to network "
                           f"{network.name}")
        for lease in ipam.leases_of(self.store, record.id):
            if lease.network_id == network.id:
                endpoint.detach(self.store, lease)
                events.network(self.store, network.id, network.name, "disconnect",
                               container=record.id)
                with networking.hosts_lock(self.store):
                    netfiles.refresh_hosts(self.store, {network.id}, also=record.id)
        del options.networking.connected[network.name]
        container_db.update(self.store, record.id, config=options.to_json())


def published(store: Store, container_id: str) -> builtins.list[PublishedPort]:
    """The ports a running container publishes now."""
    from hullbox.network.ports import published as rows

    return rows(store, container_id)


def network_settings(store: Store, container_id: str, running: bool) -> dict[str, Any]:
    """``NetworkSettings`` of Docker's container inspect."""
    from hullbox.network.ports import published as rows

    ports: dict[str, Any] = {}
    for p in rows(store, container_id) if running else []:
        ports.setdefault(f"{p.container_port}/{p.proto}", []).append(
            {"HostIp": p.host_ip, "HostPort": str(p.host_port)})
    networks: dict[str, Any] = {}
    by_id = {n.id: n for n in ipam.list_networks(store)}
    for lease in ipam.leases_of(store, container_id) if running else []:
        net = by_id.get(lease.network_id)
        if net is None:
            continue
        networks[net.name] = {
            "NetworkID": net.id, "EndpointID": lease.host_ifname, "Gateway": net.gateway,
            "IPAddress": lease.address, "IPPrefixLen": net.prefix, "MacAddress": lease.mac,
            "Aliases": lease.aliases or None, "IPv6Gateway": net.gateway6,
            "GlobalIPv6Address": lease.address6,
            "GlobalIPv6PrefixLen": net.prefix6 if lease.address6 else 0,
        }
    first: dict[str, Any] = next(iter(networks.values()), {})
    return {
        "Bridge": "", "SandboxKey": str(networking.netns_path(container_id)) if networks else "",
        "Ports": ports, "IPAddress": first.get("IPAddress", ""),
        "IPPrefixLen": first.get("IPPrefixLen", 0), "Gateway": first.get("Gateway", ""),
        "MacAddress": first.get("MacAddress", ""), "Networks": networks,
        "GlobalIPv6Address": first.get("GlobalIPv6Address", ""),
        "GlobalIPv6PrefixLen": first.get("GlobalIPv6PrefixLen", 0),
        "IPv6Gateway": first.get("IPv6Gateway", ""),
    }


def _container(store: Store, name: str) -> Any:
    from hullbox.errors import ContainerNotFound

    found = container_db.find(store, name)
    if len(found) != 1:
        raise ContainerNotFound(f"no such container: {name}")
    return found[0]
