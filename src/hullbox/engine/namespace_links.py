"""Docker's legacy ``--link NAME[:ALIAS]``: the alias and the name resolve to
the linked container through the linker's /etc/hosts, and the linker gets
the environment variables Docker gives it (ALIAS_NAME, ALIAS_PORT_80_TCP...)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from hullbox.engine.options import ContainerOptions
from hullbox.errors import HullboxError
from hullbox.store.store import Store

if TYPE_CHECKING:
    from hullbox.network.ipam import Lease
    from hullbox.store.containers import ContainerRecord


def _split(link: str) -> tuple[str, str]:
    name, _, alias = link.partition(":")
    return name, alias or name


def _target(store: Store, name: str) -> tuple[ContainerRecord, Lease] | None:
    """The linked container and its first address, when it has one now."""
    from hullbox.network import ipam
    from hullbox.store import containers as container_db

    found = container_db.find(store, name)
    if not found:
        return None
    leases = ipam.leases_of(store, found[0].id)
    return (found[0], leases[0]) if leases else None


def link_hosts(store: Store, options: ContainerOptions) -> list[tuple[str, str]]:
    """(name, address) lines of the linker's /etc/hosts: alias, name and short ID."""
    lines: list[tuple[str, str]] = []
    for link in options.namespaces.links:
        name, alias = _split(link)
        found = _target(store, name)
        if found is None:
            continue
        record, lease = found
        for host in dict.fromkeys((alias, record.name, record.id[:12])):
            lines.append((host, lease.address))
    return lines


def _env_prefix(alias: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", alias.upper())


def _ports(store: Store, record: ContainerRecord) -> list[tuple[int, str]]:
    """The linked container's exposed ports, lowest first, as (port, proto)."""
    from hullbox.engine.images import ImageService

    try:
        exposed = ImageService(store).get(record.image_id).config.config.exposed_ports
    except HullboxError:  # its image is gone: no port variables, as for none exposed
        return []
    ports = []
    for key in exposed:
        port, _, proto = str(key).partition("/")
        if port.isdigit():
            ports.append((int(port), proto or "tcp"))
    return sorted(ports)


def link_env(store: Store, options: ContainerOptions, linker: str) -> list[str]:
    """Docker's link variables for the linker named ``linker``."""
    env: list[str] = []
    for link in options.namespaces.links:
        name, alias = _split(link)
        found = _target(store, name)
        if found is None:
            continue
        record, lease = found
        prefix = _env_prefix(alias)
        env.append(f"{prefix}_NAME=/{linker}/{alias}")
        ports = _ports(store, record)
        if ports:
            port, proto = ports[0]
            env.append(f"{prefix}_PORT={proto}://{lease.address}:{port}")
        for port, proto in ports:
            key = f"{prefix}_PORT_{port}_{proto.upper()}"
            env += [f"{key}={proto}://{lease.address}:{port}", f"{key}_ADDR={lease.address}",
                    f"{key}_PORT={port}", f"{key}_PROTO={proto}"]
    return env
