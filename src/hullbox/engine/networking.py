"""When a container's network is made and unmade.

The runtime never sets up networking (DESIGN.md): for a bridge network the
engine makes a named network namespace (/run/hullbox/netns/ID), plugs a veth
from each network's bridge into it, publishes its ports, writes its hosts
and resolv.conf, and points config.json's network namespace at it; the
runtime only joins it. The container's keeper (the monitor, or a foreground
``run``) undoes all of it when the container ends; ``disconnect_all`` is the
same undo driven by the store alone, for a keeper that was killed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hullbox.engine import events
from hullbox.engine.options import ContainerOptions
from hullbox.errors import ContainerNotFound, InvalidArgument
from hullbox.store.store import Store

if TYPE_CHECKING:
    from hullbox.engine.images import ImageService
    from hullbox.engine.rootfs import ContainerPaths
    from hullbox.network.ipam import Lease, Network
    from hullbox.network.portspec import PortSpec
    from hullbox.store.containers import ContainerRecord

DEFAULT_ROOT = Path("/var/lib/hullbox")


def mode_of(options: ContainerOptions) -> str:
    """The network mode: none, host, container:X, or a network's name
    (``bridge`` for the default network)."""
    return "bridge" if options.network in ("default", "bridge") else options.network


def is_bridged(mode: str) -> bool:
    from hullbox.engine.slirp import is_slirp

    return mode not in ("none", "host") and not mode.startswith("container:") \
        and not is_slirp(mode)


def netns_path(container_id: str) -> Path:
    from hullbox.engine.launch import runtime_state_root

    return runtime_state_root() / "netns" / container_id


def relay_pid_file(container_id: str) -> Path:
    """Where the pid of the container's [::1] relay is kept (network/portmap.py)."""
    return netns_path(container_id).with_name(f"{container_id}.relay")


def endpoints(options: ContainerOptions) -> list[tuple[str, list[str], str]]:
    """(network, aliases, requested address) of every network the container
    joins at start, the first (--network) first."""
    settings = options.networking
    found = [(mode_of(options), list(settings.aliases), settings.ip)]
    for name, config in settings.connected.items():
        found.append((name, list(config.get("aliases", [])), str(config.get("ip", ""))))
    return found


def default_network(store: Store) -> Network:
    """The store's ``bridge`` network, recorded and its bridge made on first
    use: hullbox0 on 10.88.0.0/16 for the default store, a /24 of its own
    for any other."""
    from hullbox.engine.names import new_id
    from hullbox.engine.rootless import is_rootless
    from hullbox.network import bridge, ipam

    network = ipam.find_network(store, ipam.DEFAULT_NETWORK)
    rootless = is_rootless()  # a user has no bridges: only the record is made
    if network is not None and (rootless or bridge.exists(network.bridge)):
        return network
    if not rootless:  # first use (or first since a reboot): what deleted stores left goes
        bridge.sweep_orphans()
    with contextlib.nullcontext() if rootless else bridge.host_lock():
        network = ipam.find_network(store, ipam.DEFAULT_NETWORK)
        if network is not None and not rootless:
            return _rebridged(store, network)
        if network is None:
            network_id = new_id()
            default = store.root.resolve() == DEFAULT_ROOT
            taken = [n.subnet for n in ipam.list_networks(store) if n.subnet]
            subnet = bridge.choose_subnet(taken, default=default)
            base, _ = ipam.parse_cidr(subnet)
            network = ipam.Network(
                id=network_id, name=ipam.DEFAULT_NETWORK,
                bridge=bridge.DEFAULT_BRIDGE if default else f"hb-{network_id[:12]}",
                subnet=subnet, gateway=ipam.int_to_ip(base + 1))
            ipam.insert_network(store, network)
            if not rootless:  # on the host before the lock goes: no other store takes it
                try:
                    bridge.ensure_bridge(network, store.root / "hullbox.db")
                except BaseException:
                    ipam.delete_network(store, network.id)
                    raise
    return network


def _rebridged(store: Store, network: Network) -> Network:
    """The default network recorded earlier, its bridge gone (a reboot) or
    never made: made again on its subnet; or, when something of the host
    took that subnet meanwhile and no container holds an address on it,
    recorded afresh on a free one (a user cannot remove the default network
    to fix it, as the error for a user network says). Under host_lock()."""
    from hullbox.network import bridge, ipam

    if not bridge.exists(network.bridge) and not bridge.subnet_free(network.subnet) \
            and not ipam.leases_on(store, network.id):
        ipam.delete_network(store, network.id)
        return default_network(store)  # the lock is this thread's already
    bridge.ensure_bridge(network, store.root / "hullbox.db")
    return network


def resolve_network(store: Store, name: str) -> Network:
    from hullbox.network import ipam

    if name == ipam.DEFAULT_NETWORK:
        return default_network(store)
    return ipam.get_network(store, name)


def port_specs(options: ContainerOptions, exposed: dict[str, Any]) -> list[PortSpec]:
    from hullbox.network.portspec import exposed as exposed_specs
    from hullbox.network.portspec import parse_publish

    specs = [spec for text in options.networking.ports for spec in parse_publish(text)]
    if options.networking.publish_all:
        taken = {(s.container_port, s.proto) for s in specs}
        specs += [s for s in exposed_specs(exposed) if (s.container_port, s.proto) not in taken]
    return specs


def validate_create(store: Store, options: ContainerOptions, exposed: dict[str, Any]) -> None:
    """What ``create`` can check before anything is made: the networks and
    the container to share exist, fixed host ports are free."""
    from hullbox.network import ipam
    from hullbox.store import containers as container_db

    mode = mode_of(options)
    if mode.startswith("container:"):
        target = mode.partition(":")[2]
        if not container_db.find(store, target):
            raise ContainerNotFound(f"--network {mode}: no such container: {target}")
        return
    from hullbox.engine import slirp

    if slirp.is_slirp(mode):
        slirp.validate_create(options, port_specs(options, exposed))
        return
    if not is_bridged(mode):
        return
    from hullbox.network.portmap import check_family
    from hullbox.network.ports import check_free  # nft, subprocess: not for none/host

    # None: the default bridge, not recorded before its first use (IPv4 only).
    joined = [None if name == ipam.DEFAULT_NETWORK else ipam.get_network(store, name)
              for name, _aliases, _ip in endpoints(options)]
    outward = [n for n in joined if n is None or not n.internal]
    specs = port_specs(options, exposed)
    if specs and not outward:
        raise InvalidArgument(f"network {mode} is internal: it publishes no ports; drop "
                              "-p/-P, or also connect a network that is not --internal")
    if specs:
        check_family(specs, outward[0].name if outward[0] else ipam.DEFAULT_NETWORK,
                     bool(outward[0] and outward[0].subnet6))
    check_free([s for s in specs if s.host_port])


def apply_to_spec(spec: dict[str, Any], store: Store, options: ContainerOptions,
                  container_id: str) -> None:
    """Point config.json's network namespace where the container joins one."""
    mode = mode_of(options)
    if mode.startswith("container:"):
        path = f"/proc/{_running_pid(store, mode.partition(':')[2])}/ns/net"
    elif is_bridged(mode) or mode.startswith("slirp4netns"):
        path = str(netns_path(container_id))
    else:
        return
    for namespace in spec["linux"]["namespaces"]:
        if namespace["type"] == "network":
            namespace["path"] = path


def _running_pid(store: Store, name: str) -> int:
    from hullbox.engine.namespace_ipc import running_target

    return running_target(store, f"--network container:{name}", name).pid


@contextlib.contextmanager
def hosts_lock(store: Store) -> Iterator[None]:
    """Joins and leaves on one store rewrite the hosts files one at a time."""
    fd = os.open(store.root / "network.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def setup(store: Store, images: ImageService, record: ContainerRecord,
          paths: ContainerPaths) -> Callable[[], None]:
    """Make the container's network before its process starts; returns the
    undo, for the container's end. On failure nothing is left."""
    from hullbox.engine import netfiles

    options = ContainerOptions.from_json(record.config)
    mode = mode_of(options)
    if mode.startswith("slirp4netns"):
        from hullbox.engine import slirp

        return slirp.setup(store, images, record, paths)
    if not is_bridged(mode):
        netfiles.write_unbridged(store, record, options, paths, mode)
        return _nothing
    from hullbox.linux import netns
    from hullbox.network import bridge, endpoint, portmap, ports

    exposed: dict[str, Any] = {}
    if options.networking.publish_all:
        from hullbox.engine.settings.behaviour import exposed_ports

        exposed = exposed_ports(images.get(record.image_id).config.config.exposed_ports,
                                options.behaviour)
    networks = [resolve_network(store, name) for name, _a, _i in endpoints(options)]
    outward = next((n for n in networks if not n.internal), networks[0])
    with contextlib.ExitStack() as undo:
        reserved = portmap.reserve_all(port_specs(options, exposed), outward, undo)
        path = netns_path(record.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        netns.remove(str(path))  # left by a keeper that was killed
        netns.create(str(path))
        undo.callback(disconnect_all, store, record.id)
        leases: list[tuple[Network, Lease]] = []
        routed = False  # the first network that is not internal gives the default route
        gateway = gateway_choice(networks, options)  # ... unless connect --gw-priority
        for index, (network, (name, aliases, address)) in enumerate(
                zip(networks, endpoints(options), strict=True)):
            bridge.ensure_bridge(network, store.root / "hullbox.db")
            lease = endpoint.attach(
                store, network, record.id, str(path), index, address=address,
                mac=options.networking.mac_address if index == 0 else "",
                aliases=aliases if name != "bridge" else [],
                default_route=index == gateway if gateway >= 0 else (
                    not routed and not network.internal),
                **_endpoint_extra(options, index, name))
            routed = routed or not network.internal
            leases.append((network, lease))
            events.network(store, network.id, network.name, "connect", container=record.id)
        if reserved:
            outward_lease = next(lease for network, lease in leases if network is outward)
            published = portmap.published_ports(reserved, outward_lease)
            ports.publish(store, record.id, published)
            portmap.start_relay(published, reserved, record.id, relay_pid_file(record.id))
        netfiles.write_resolv_conf(options, paths)
        with hosts_lock(store):
            netfiles.refresh_hosts(store, {n.id for n, _ in leases}, also=record.id)
        keep = undo.pop_all()
    return keep.close


def gateway_choice(networks: list[Network], options: ContainerOptions) -> int:
    """The index of the network that gives the default route (network_connect)."""
    from hullbox.engine.network_connect import gateway_index

    entries = [None, *(options.networking.connected.get(name)
                       for name, _a, _i in endpoints(options)[1:])]
    return gateway_index(networks, entries)


def _endpoint_extra(options: ContainerOptions, index: int, name: str) -> dict[str, Any]:
    """run's --ip6/--link-local-ip (the first network) and each network's
    fixed addresses, overridden by what network connect gave that network."""
    extra = options.namespaces.endpoint_addresses(index, name)
    joined = connected_extra(options.networking.connected.get(name) if index else None)
    return {**extra, **{key: value for key, value in joined.items() if value}}


def connected_extra(entry: dict[str, Any] | None) -> dict[str, Any]:
    """--ip6, --link-local-ip, --driver-opt of a network joined with connect."""
    from hullbox.engine.network_connect import networking_extra

    return networking_extra(entry) if entry else {}


def _nothing() -> None:
    return None


def disconnect_all(store: Store, container_id: str) -> None:
    """Unplug every endpoint, unpublish the ports, drop the namespace, and
    tell the peers; each step skips what is gone already."""
    from hullbox.network import ipam

    leases = ipam.leases_of(store, container_id)
    if not leases and not _traces_left(store, container_id):
        return  # never networked (--network none/host...): skip importing the rest
    from hullbox.engine import netfiles
    from hullbox.linux import netns
    from hullbox.network import endpoint, portmap, ports

    portmap.stop_relay(container_id, relay_pid_file(container_id))
    from hullbox.engine.slirp import stop as stop_slirp

    stop_slirp(store, container_id)  # before unpublish: its forwards have no nft rules
    ports.unpublish(store, container_id)
    for lease in leases:
        endpoint.detach(store, lease)
        events.network_left(store, lease.network_id, container_id)
    netns.remove(str(netns_path(container_id)))
    if leases:
        with hosts_lock(store):
            netfiles.refresh_hosts(store, {lease.network_id for lease in leases})


def _traces_left(store: Store, container_id: str) -> bool:
    """A namespace, relay or published port of the container is left (by a
    keeper killed half-way through its undo), though it holds no lease."""
    if netns_path(container_id).exists() or relay_pid_file(container_id).exists():
        return True
    return store.db.execute("SELECT 1 FROM published_ports WHERE container_id=? LIMIT 1",
                            (container_id,)).fetchone() is not None


def check_connectable(options: ContainerOptions, name: str) -> None:
    mode = mode_of(options)
    if not is_bridged(mode):
        raise InvalidArgument(f"cannot connect a container with --network {mode} to network "
                              f"{name}; it has no network of its own")
