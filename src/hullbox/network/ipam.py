"""Networks and address leases in the store's database.

A lease is a running endpoint: it is taken when a container starts on a
network and given back when it stops, is removed, or is found dead after a
crash (as Docker does, an address may differ from one start to the next
unless ``--ip`` asks for one). Leases are handed out inside one IMMEDIATE
transaction, so parallel starts never get the same address.
"""

from __future__ import annotations

import _socket
import json
import sqlite3
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from hullbox.errors import Conflict, InvalidArgument, NetworkNotFound
from hullbox.store.store import Store

DEFAULT_NETWORK = "bridge"


def ip_to_int(address: str) -> int:
    """Dotted IPv4 to an integer; InvalidArgument when it is not one."""
    try:
        return int(struct.unpack("!I", _socket.inet_pton(_socket.AF_INET, address))[0])
    except (OSError, struct.error):
        raise InvalidArgument(f"invalid IPv4 address {address!r}") from None


def int_to_ip(value: int) -> str:
    return str(_socket.inet_ntoa(struct.pack("!I", value)))


def parse_cidr(text: str) -> tuple[int, int]:
    """``10.89.0.0/24`` -> (network as int, prefix length); strict: host bits
    must be zero, as Docker requires."""
    addr, sep, length = text.partition("/")
    if not sep or not length.isdigit() or not 8 <= int(length) <= 30 or addr.count(".") != 3:
        raise InvalidArgument(f"invalid subnet {text!r}: use an IPv4 CIDR from /8 to /30, "
                              "e.g. 10.90.0.0/24")
    base, prefix = ip_to_int(addr), int(length)
    if base & ~mask(prefix) & 0xFFFFFFFF:
        raise InvalidArgument(f"invalid subnet {text!r}: host bits are set; did you mean "
                              f"{int_to_ip(base & mask(prefix))}/{prefix}?")
    return base, prefix


def mask(prefix: int) -> int:
    return (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF


def in_subnet(address: int, subnet: str) -> bool:
    base, prefix = parse_cidr(subnet)
    return address & mask(prefix) == base


def mac_for(address: str) -> str:
    """Docker's MAC for an address: 02:42 then the four bytes of the IPv4."""
    return "02:42:" + ":".join(f"{b:02x}" for b in _socket.inet_aton(address))


@dataclass
class Network:
    """One network as the store knows it."""

    id: str
    name: str
    bridge: str
    subnet: str
    gateway: str
    driver: str = "bridge"
    internal: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    created: float = 0.0

    @property
    def prefix(self) -> int:
        return int(self.subnet.partition("/")[2])


@dataclass
class Lease:
    """A container's address on one network while it runs."""

    network_id: str
    container_id: str
    address: str
    mac: str
    host_ifname: str
    aliases: list[str] = field(default_factory=list)


def _network(row: sqlite3.Row) -> Network:
    return Network(id=row["id"], name=row["name"], bridge=row["bridge"], subnet=row["subnet"],
                   gateway=row["gateway"], driver=row["driver"], internal=bool(row["internal"]),
                   labels=json.loads(row["labels"]), created=row["created"])


def _lease(row: sqlite3.Row) -> Lease:
    return Lease(network_id=row["network_id"], container_id=row["container_id"],
                 address=row["address"], mac=row["mac"], host_ifname=row["host_ifname"],
                 aliases=json.loads(row["aliases"]))


def find_network(store: Store, name_or_id: str) -> Network | None:
    """The network of this name, full ID or unique ID prefix."""
    rows = store.db.execute("SELECT * FROM networks WHERE name=?", (name_or_id,)).fetchall()
    if not rows and name_or_id:
        rows = store.db.execute("SELECT * FROM networks WHERE id >= ? AND id < ?",
                                (name_or_id, name_or_id + "\uffff")).fetchall()
    return _network(rows[0]) if len(rows) == 1 else None


def get_network(store: Store, name_or_id: str) -> Network:
    """Like find_network, but NetworkNotFound with what to do."""
    network = find_network(store, name_or_id)
    if network is None:
        raise NetworkNotFound(f"network {name_or_id} not found; list them with: "
                              "hullbox network ls")
    return network


def list_networks(store: Store) -> list[Network]:
    rows = store.db.execute("SELECT * FROM networks ORDER BY created").fetchall()
    return [_network(r) for r in rows]


def insert_network(store: Store, network: Network) -> None:
    """Record a network; Conflict when the name is taken."""
    try:
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO networks(id, name, driver, bridge, subnet, gateway, internal,"
                " labels, created) VALUES (?,?,?,?,?,?,?,?,?)",
                (network.id, network.name, network.driver, network.bridge, network.subnet,
                 network.gateway, int(network.internal), json.dumps(network.labels),
                 network.created or time.time()))
    except sqlite3.IntegrityError:
        raise Conflict(f"network with name {network.name} already exists; choose another "
                       "name or remove it: hullbox network rm " + network.name) from None


def delete_network(store: Store, network_id: str) -> None:
    with store.transaction() as conn:
        conn.execute("DELETE FROM networks WHERE id=?", (network_id,))


def allocate(store: Store, network: Network, container_id: str, host_ifname: str, *,
             address: str = "", mac: str = "", aliases: list[str] | None = None) -> Lease:
    """Give the container an address on ``network``: ``address`` if asked
    (Conflict when another holds it), else the lowest free one."""
    base, prefix = parse_cidr(network.subnet)
    first, last = base + 1, base + (1 << (32 - prefix)) - 2
    gateway = ip_to_int(network.gateway)
    with store.transaction() as conn:
        conn.execute("DELETE FROM network_leases WHERE network_id=? AND container_id=?",
                     (network.id, container_id))
        used = {ip_to_int(r[0]) for r in conn.execute(
            "SELECT address FROM network_leases WHERE network_id=?", (network.id,))}
        if address:
            wanted = ip_to_int(address)
            if not first <= wanted <= last or wanted == gateway:
                raise InvalidArgument(f"--ip {address}: not a usable address of network "
                                      f"{network.name} ({network.subnet}, gateway "
                                      f"{network.gateway})")
            if wanted in used:
                raise Conflict(f"address {address} is already in use on network "
                               f"{network.name}; choose another --ip")
            chosen = wanted
        else:
            chosen = next((a for a in range(first, last + 1)
                           if a not in used and a != gateway), 0)
            if not chosen:
                raise Conflict(f"no free address left on network {network.name} "
                               f"({network.subnet})")
        text = int_to_ip(chosen)
        lease = Lease(network.id, container_id, text, mac or mac_for(text), host_ifname,
                      list(aliases or []))
        conn.execute(
            "INSERT INTO network_leases(network_id, container_id, address, mac, host_ifname,"
            " aliases) VALUES (?,?,?,?,?,?)",
            (lease.network_id, lease.container_id, lease.address, lease.mac,
             lease.host_ifname, json.dumps(lease.aliases)))
    return lease


def release(store: Store, container_id: str, network_id: str | None = None) -> None:
    """Give back the container's leases (on one network, or all)."""
    with store.transaction() as conn:
        if network_id is None:
            conn.execute("DELETE FROM network_leases WHERE container_id=?", (container_id,))
        else:
            conn.execute("DELETE FROM network_leases WHERE container_id=? AND network_id=?",
                         (container_id, network_id))


def leases_of(store: Store, container_id: str) -> list[Lease]:
    rows = store.db.execute("SELECT * FROM network_leases WHERE container_id=?",
                            (container_id,)).fetchall()
    return [_lease(r) for r in rows]


def leases_on(store: Store, network_id: str) -> list[Lease]:
    rows = store.db.execute("SELECT * FROM network_leases WHERE network_id=? ORDER BY address",
                            (network_id,)).fetchall()
    return [_lease(r) for r in rows]


def as_json(network: Network) -> dict[str, Any]:
    """The fields of a network for ``network inspect``'s IPAM block."""
    return {"Driver": "default", "Options": {},
            "Config": [{"Subnet": network.subnet, "Gateway": network.gateway}]}
