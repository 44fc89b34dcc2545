"""A container's /etc/hosts and /etc/resolv.conf as its networks make them:
its own address, its peers on user-defined networks (name, aliases, short
ID), ``--add-host``, ``--dns*``. Rewritten in place (network/hosts.py)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from hullbox.engine.options import ContainerOptions
from hullbox.store.store import Store

if TYPE_CHECKING:
    from hullbox.engine.rootfs import ContainerPaths
    from hullbox.network.ipam import Lease, Network
    from hullbox.store.containers import ContainerRecord


def _extra_hosts(options: ContainerOptions, gateway: str) -> list[tuple[str, str]]:
    from hullbox.network.hosts import parse_add_host

    extra = []
    for value in options.networking.add_hosts:
        name, address = parse_add_host(value)
        extra.append((name, gateway if address == "host-gateway" else address))
    return extra


def _linked(options: ContainerOptions, peer_names: list[str]) -> list[str]:
    """The aliases this container's links give a peer known by ``peer_names``:
    as Docker scopes a link alias, only the linking container resolves it."""
    found = []
    for link in options.networking.links:
        target, _, alias = link.partition(":")
        if target in peer_names and alias and alias not in peer_names:
            found.append(alias)
    return found


def write_resolv_conf(options: ContainerOptions, paths: ContainerPaths) -> None:
    from hullbox.engine.rootfs import resolv_conf
    from hullbox.network.hosts import resolv_conf as render
    from hullbox.network.hosts import write_in_place

    settings = options.networking
    write_in_place(paths.etc_file("resolv.conf"),
                   render(resolv_conf(False), settings.dns, settings.dns_search,
                          settings.dns_options))


def write_unbridged(store: Store, record: ContainerRecord, options: ContainerOptions,
                    paths: ContainerPaths, mode: str) -> None:
    """none, host, container:X: no address of its own. container:X shares X's
    files; the others get only what --add-host and --dns* ask for."""
    from hullbox.network.hosts import render, write_in_place

    if mode.startswith("container:"):
        from hullbox.store import containers as container_db

        target = container_db.find(store, mode.partition(":")[2])
        if target:
            import shutil

            source = store.container_dir(target[0].id)
            for name in ("hosts", "resolv.conf"):
                with contextlib.suppress(OSError):
                    shutil.copyfile(source / name, paths.etc_file(name))
        return
    hostname = options.hostname or record.id[:12]
    if options.networking.add_hosts:
        write_in_place(paths.etc_file("hosts"),
                       render(hostname, "", [], _extra_hosts(options, "")))
    settings = options.networking
    if settings.dns or settings.dns_search or settings.dns_options:
        write_resolv_conf(options, paths)


def refresh_hosts(store: Store, network_ids: set[str], also: str | None = None) -> None:
    """Rewrite the hosts file of every container on these networks (and of
    ``also``) from the leases held now. Hold ``hosts_lock``."""
    from hullbox.network import ipam

    networks = {n.id: n for n in ipam.list_networks(store)}
    user = {i for i, n in networks.items() if n.name != ipam.DEFAULT_NETWORK}
    members: dict[str, list[Lease]] = {}
    for network_id in network_ids:
        for lease in ipam.leases_on(store, network_id):
            members.setdefault(lease.container_id, [])
    if also:
        members.setdefault(also, [])
    for container_id in members:
        members[container_id] = ipam.leases_of(store, container_id)
    for container_id, own in members.items():
        _write_hosts(store, container_id, own, networks, user)


def _links(options: ContainerOptions, network: str) -> dict[str, list[str]]:
    """``network connect --link NAME:ALIAS``: aliases only this container sees."""
    from hullbox.engine.network_connect import link_aliases

    return link_aliases(options.networking.connected.get(network) or {})


def _write_hosts(store: Store, container_id: str, own: list[Lease],
                 networks: dict[str, Network], user: set[str]) -> None:
    from hullbox.network import ipam
    from hullbox.network.hosts import render, write_in_place
    from hullbox.store import containers as container_db

    record = container_db.get(store, container_id)
    path = store.container_dir(container_id) / "hosts"
    if record is None or not path.parent.exists():
        return
    options = ContainerOptions.from_json(record.config)
    from hullbox.engine.namespace_links import link_hosts

    peers: list[tuple[str, list[str]]] = []
    for lease in own:
        if lease.network_id not in user:
            continue
        links = _links(options, networks[lease.network_id].name)
        for peer in ipam.leases_on(store, lease.network_id):
            if peer.container_id == container_id:
                continue
            peer_record = container_db.get(store, peer.container_id)
            names = [peer_record.name] if peer_record else []
            peer_names = [*names, *peer.aliases, peer.container_id[:12],
                          *links.get(names[0] if names else "", [])]
            peer_names += _linked(options, peer_names)
            peers.append((peer.address, peer_names))
            if peer.address6:
                peers.append((peer.address6, peer_names))
    gateway = networks[own[0].network_id].gateway if own else ""
    write_in_place(path, render(options.hostname or container_id[:12],
                                own[0].address if own else "", peers,
                                _extra_hosts(options, gateway) + link_hosts(store, options),
                                own[0].address6 if own else ""))
