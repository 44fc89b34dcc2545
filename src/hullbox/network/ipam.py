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
from hullbox.network.netopts import NetworkSettings, reserved4, reserved6
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
    ip_range: str = ""   # --ip-range: where addresses are handed out from
    subnet6: str = ""    # --ipv6: the IPv6 subnet, '' on an IPv4-only network
    gateway6: str = ""
    settings: NetworkSettings = field(default_factory=NetworkSettings)  # -o, --aux-address...

    @property
    def prefix(self) -> int:
        return int(self.subnet.partition("/")[2])

    @property
    def prefix6(self) -> int:
        return int(self.subnet6.partition("/")[2] or 0)


@dataclass
class Lease:
    """A container's address on one network while it runs."""

    network_id: str
    container_id: str
    address: str
    mac: str
    host_ifname: str
    aliases: list[str] = field(default_factory=list)
    address6: str = ""


def _network(row: sqlite3.Row) -> Network:
    return Network(id=row["id"], name=row["name"], bridge=row["bridge"], subnet=row["subnet"],
                   gateway=row["gateway"], driver=row["driver"], internal=bool(row["internal"]),
                   labels=json.loads(row["labels"]), created=row["created"],
                   ip_range=row["ip_range"], subnet6=row["subnet6"], gateway6=row["gateway6"],
                   settings=NetworkSettings.from_json(json.loads(row["settings"])))


def _lease(row: sqlite3.Row) -> Lease:
    return Lease(network_id=row["network_id"], container_id=row["container_id"],
                 address=row["address"], mac=row["mac"], host_ifname=row["host_ifname"],
                 aliases=json.loads(row["aliases"]), address6=row["address6"])


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
                " labels, created, ip_range, subnet6, gateway6, settings)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (network.id, network.name, network.driver, network.bridge, network.subnet,
                 network.gateway, int(network.internal), json.dumps(network.labels),
                 network.created or time.time(), network.ip_range, network.subnet6,
                 network.gateway6, json.dumps(network.settings.to_json())))
    except sqlite3.IntegrityError:
        raise Conflict(f"network with name {network.name} already exists; choose another "
                       "name or remove it: hullbox network rm " + network.name) from None


def delete_network(store: Store, network_id: str) -> None:
    with store.transaction() as conn:
        conn.execute("DELETE FROM networks WHERE id=?", (network_id,))


def allocate(store: Store, network: Network, container_id: str, host_ifname: str, *,
             address: str = "", mac: str = "", aliases: list[str] | None = None,
             address6: str = "") -> Lease:
    """Give the container an address on ``network``: ``address`` if asked
    (anywhere in the subnet; Conflict when another holds it), else the
    lowest free one of the --ip-range (the subnet without one); on an IPv6
    network an IPv6 address beside it (``address6`` if asked: --ip6)."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM network_leases WHERE network_id=? AND container_id=?",
                     (network.id, container_id))
        rows = conn.execute("SELECT address, address6 FROM network_leases WHERE network_id=?",
                            (network.id,)).fetchall()
        used = {ip_to_int(r[0]) for r in rows} | reserved4(network.settings)
        chosen = _choose4(network, used, address)
        text = int_to_ip(chosen)
        used6 = {r[1] for r in rows if r[1]} | reserved6(network.settings)
        text6 = _choose6(network, used6, address6) if network.subnet6 or address6 else ""
        lease = Lease(network.id, container_id, text, mac or mac_for(text), host_ifname,
                      list(aliases or []), text6)
        conn.execute(
            "INSERT INTO network_leases(network_id, container_id, address, mac, host_ifname,"
            " aliases, address6) VALUES (?,?,?,?,?,?,?)",
            (lease.network_id, lease.container_id, lease.address, lease.mac,
             lease.host_ifname, json.dumps(lease.aliases), lease.address6))
    return lease


def usable_range(subnet: str) -> tuple[int, int]:
    """First and last host address of an IPv4 subnet."""
    base, prefix = parse_cidr(subnet)
    return base + 1, base + (1 << (32 - prefix)) - 2


def _choose4(network: Network, used: set[int], address: str) -> int:
    first, last = usable_range(network.subnet)
    gateway = ip_to_int(network.gateway)
    if address:
        wanted = ip_to_int(address)
        if not first <= wanted <= last or wanted == gateway:
            raise InvalidArgument(f"--ip {address}: not a usable address of network "
                                  f"{network.name} ({network.subnet}, gateway "
                                  f"{network.gateway})")
        if wanted in used:
            raise Conflict(f"address {address} is already in use on network "
                           f"{network.name}; choose another --ip")
        return wanted
    if network.ip_range:
        base, prefix = parse_cidr(network.ip_range)
        first, last = max(first, base), min(last, base + (1 << (32 - prefix)) - 1)
    chosen = next((a for a in range(first, last + 1) if a not in used and a != gateway), 0)
    if not chosen:
        raise Conflict(f"no free address left on network {network.name} "
                       f"({network.ip_range or network.subnet})")
    return chosen


def _choose6(network: Network, used: set[str], address: str = "") -> str:
    from hullbox.network.addr6 import int_to_ip6, parse_cidr6

    if address:
        from hullbox.network.addr6 import check_requested6

        return check_requested6(network.name, network.subnet6, network.gateway6, used,
                                address)
    base, prefix = parse_cidr6(network.subnet6)
    taken = {network.gateway6, *used}
    last = base + min((1 << (128 - prefix)) - 1, 1 << 20)
    for value in range(base + 1, last):
        text = int_to_ip6(value)
        if text not in taken:
            return text
    raise Conflict(f"no free IPv6 address left on network {network.name} ({network.subnet6})")


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
    config: dict[str, str] = {"Subnet": network.subnet, "Gateway": network.gateway}
    if network.ip_range:
        config["IPRange"] = network.ip_range
    aux = network.settings.aux_addresses
    configs: list[dict[str, Any]] = [config] if network.subnet else []
    if network.subnet6:
        configs.append({"Subnet": network.subnet6, "Gateway": network.gateway6})
    for entry in configs:
        family = {k: v for k, v in aux.items() if (":" in v) == (":" in entry["Subnet"])}
        if family:
            entry["AuxiliaryAddresses"] = family
    return {"Driver": "default", "Options": dict(network.settings.ipam_options),
            "Config": configs}
