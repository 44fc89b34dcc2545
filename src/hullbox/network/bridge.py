"""The Linux bridge of each network, its gateway address and its nftables
rules: made when the network is created (or first used after a reboot),
removed with it.

Bridges, subnets and the nftables table belong to the host, not to a store,
so they are chosen and made under one host-wide lock, and a subnet is only
taken when no route of the host overlaps it. Each bridge carries an alias
naming its network, subnet and store database, so the bridges of a store that
was deleted (a test's private root) are found and removed later
(``sweep_orphans``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from hullbox.errors import Conflict, HullboxError, InvalidArgument, RuntimeFailure
from hullbox.linux.netlink import Netlink, link_index
from hullbox.network import nft
from hullbox.network.ipam import Network, int_to_ip, ip_to_int, mask, parse_cidr

DEFAULT_BRIDGE = "hullbox0"
ALIAS_PREFIX = "hullbox "
SYS_NET = Path("/sys/class/net")
#: Where subnets are taken from: the default network first (Podman's choice),
#: then /24s for user networks and private stores.
DEFAULT_POOL = ("10.88.0.0/16",)
USER_POOL_START, USER_POOL_END = ip_to_int("10.89.0.0"), ip_to_int("10.127.255.0")


def run_dir() -> Path:
    """Host-wide state of hullbox's networking (a tmpfs, gone at reboot)."""
    return Path("/run/hullbox")


# host_lock() taken again inside itself by the same thread: flock on a new
# descriptor would wait on itself. Per thread: another thread of the process
# (compose starts services side by side) must wait for the lock like anyone.
_held = threading.local()


@contextlib.contextmanager
def host_lock() -> Iterator[None]:
    """One command at a time choosing subnets or making bridges on this host.
    A subnet is chosen, recorded and its bridge given its address under one
    hold, so that the choice is visible to every other store before the lock
    is let go; taken again inside itself (ensure_bridge under the holder), it
    is already held."""
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    run_dir().mkdir(parents=True, exist_ok=True)
    fd = os.open(run_dir() / "network.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0
    finally:
        os.close(fd)


def host_routes() -> list[tuple[int, int, str]]:
    """(destination, netmask, device) of the host's IPv4 routes, default route left out."""
    routes = []
    with open("/proc/net/route") as table:
        next(table, None)  # the header; a namespace without a main table prints nothing
        for line in table:
            fields = line.split()
            # Printed as the bytes in memory, network order: read back as little-endian.
            dest, netmask = (struct.unpack("<I", bytes.fromhex(f))[0] for f in (fields[1],
                                                                                fields[7]))
            if netmask:
                routes.append((dest, netmask, fields[0]))
    return routes


def overlapping_route(subnet: str, *, ignore_device: str = "") -> str | None:
    """The device of a host route that overlaps ``subnet``, if any."""
    base, prefix = parse_cidr(subnet)
    for dest, netmask, device in host_routes():
        if device == ignore_device:
            continue
        common = netmask & mask(prefix)
        if dest & common == base & common:
            return device
    return None


def host_addresses() -> list[tuple[int, int]]:
    """(address, prefix length) of every IPv4 address of the host, on links
    up or down: a bridge that is down (or being made) has no route yet."""
    try:
        with Netlink() as nl:
            listed = nl.ipv4_addresses()
    except OSError as exc:
        raise RuntimeFailure(f"list the host's addresses: {exc.strerror}") from exc
    return [(ip_to_int(address), prefix) for address, prefix, _ in listed]


def _free_of(taken: list[str]) -> Callable[[str], bool]:
    """Whether an IPv4 subnet overlaps none of ``taken``, no host route, no
    host interface address, and no subnet a hullbox bridge of any store names."""
    used = [(dest, netmask) for dest, netmask, _ in host_routes()]
    used += [(address, mask(prefix)) for address, prefix in host_addresses()]
    named = [s for _b, _i, listed, _d in owned_bridges() for s in listed.split(",")
             if "/" in s and ":" not in s]
    used += [(base, mask(prefix)) for base, prefix in
             (parse_cidr(s) for s in [*taken, *named] if s)]

    def free(subnet: str) -> bool:
        base, prefix = parse_cidr(subnet)
        return not any(base & netmask & mask(prefix) == address & netmask & mask(prefix)
                       for address, netmask in used)
    return free


def subnet_free(subnet: str) -> bool:
    """No host route, interface or hullbox bridge uses any of ``subnet``."""
    return _free_of([])(subnet)


def choose_subnet(taken: list[str], *, default: bool) -> str:
    """A free subnet: 10.88.0.0/16 for the default network of the default
    store, else the first free /24 from 10.89.0.0 on. Free means no network
    of the store (``taken``), no host route and no host interface address
    overlaps it, nor a subnet a hullbox bridge of any store names; the
    caller holds host_lock() until the chosen subnet is on its bridge."""
    free = _free_of(taken)
    if default:
        for subnet in DEFAULT_POOL:
            if free(subnet):
                return subnet
    for base in range(USER_POOL_START, USER_POOL_END + 1, 256):
        subnet = f"{int_to_ip(base)}/24"
        if free(subnet):
            return subnet
    raise Conflict("no free subnet left in 10.88.0.0-10.127.255.0; remove unused networks "
                   "(hullbox network prune) or give one with --subnet")


def overlaps(a: str, b: str) -> bool:
    (base_a, len_a), (base_b, len_b) = parse_cidr(a), parse_cidr(b)
    common = mask(min(len_a, len_b))
    return base_a & common == base_b & common


def exists(name: str) -> bool:
    return (SYS_NET / name).exists()


def ensure_bridge(network: Network, db_path: Path) -> None:
    """Make the network's bridge if it is missing: a stat on every start,
    the work only on first use (or after a reboot)."""
    if network.settings.config_only:
        raise InvalidArgument(f"network {network.name} is a config-only network: nothing "
                              "can join it; create one from it with: hullbox network create "
                              f"--config-from {network.name} NAME")
    if exists(network.bridge):
        return
    with host_lock():
        if exists(network.bridge):
            return
        for subnet in subnets(network):
            device = overlapping(subnet)
            if device is not None:
                raise Conflict(f"network {network.name}: subnet {subnet} overlaps a route "
                               f"of this host (device {device}); remove the network and "
                               "create it with another --subnet")
        _make_bridge(network, db_path)


def subnets(network: Network) -> list[str]:
    """The network's IPv4 subnet, and its IPv6 one if it has one."""
    return [network.subnet, *([network.subnet6] if network.subnet6 else [])]


def overlapping(subnet: str) -> str | None:
    """The device of a host route overlapping an IPv4 or IPv6 subnet."""
    if ":" in subnet:
        from hullbox.network.addr6 import overlapping_route6

        return overlapping_route6(subnet)
    return overlapping_route(subnet)


def _make_bridge(network: Network, db_path: Path) -> None:
    name = network.bridge
    with Netlink() as nl, contextlib.ExitStack() as undo:
        try:
            nl.add_bridge(name)
            undo.callback(nl.delete_link, name)
            _write(SYS_NET / name / "ifalias",
                   f"{ALIAS_PREFIX}{network.id} {','.join(subnets(network))} {db_path}")
            index = link_index(name)
            if network.settings.mtu:
                nl.set_mtu(index, network.settings.mtu)
            nl.add_address(index, network.gateway, network.prefix)
            if network.subnet6:
                nl.add_address(index, network.gateway6, network.prefix6)
            # The host reaching 127.0.0.1:PORT of a published port: after DNAT
            # the packet leaves through the bridge with a loopback source.
            _write(Path(f"/proc/sys/net/ipv4/conf/{name}/route_localnet"), "1")
            nl.set_up(index)
        except OSError as exc:
            raise RuntimeFailure(f"create bridge {name} for network {network.name}: "
                                 f"{exc.strerror}") from exc
        forward = Path("/proc/sys/net/ipv4/ip_forward")
        if forward.read_text().strip() != "1":
            _write(forward, "1")  # as Docker does: containers reach out through the host
        for subnet in subnets(network):
            nft.ensure_base(nft.family_of(subnet))
            nft.remove_network(network.id, name, subnet)  # left from before a reboot
            nft.run(nft.network_commands(network.id, name, subnet, internal=network.internal,
                                         masquerade=network.settings.masquerade),
                    f"add the nftables rules of network {network.name}")
            undo.callback(nft.remove_network, network.id, name, subnet)
        undo.pop_all()


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError as exc:
        raise RuntimeFailure(f"write {path}: {exc.strerror}") from exc


def remove_bridge(network_id: str, bridge: str, subnets: list[str]) -> None:
    """Delete the bridge and the network's nftables rules (of each subnet)."""
    with host_lock():
        with Netlink() as nl:
            try:
                nl.delete_link(bridge)
            except OSError as exc:
                raise RuntimeFailure(f"delete bridge {bridge}: {exc.strerror}") from exc
        for subnet in subnets:
            nft.remove_network(network_id, bridge, subnet)


def owned_bridges() -> list[tuple[str, str, str, str]]:
    """(bridge, network id, subnets joined by ',', store db path) of every
    hullbox bridge."""
    found = []
    for device in SYS_NET.iterdir() if SYS_NET.exists() else []:
        try:
            alias = (device / "ifalias").read_text().strip()
        except OSError:
            continue
        if alias.startswith(ALIAS_PREFIX):
            parts = alias[len(ALIAS_PREFIX):].split(" ", 2)
            if len(parts) == 3:
                found.append((device.name, parts[0], parts[1], parts[2]))
    return found


def sweep_orphans() -> None:
    """Remove the bridges (and rules) of stores that no longer exist, then
    the nftables entries of bridges that are gone (network/leftovers.py).
    A bridge whose store database exists is left alone: another store,
    maybe another user's test run, owns it."""
    for bridge, network_id, subnet_list, db_path in owned_bridges():
        if not os.path.exists(db_path):
            with contextlib.suppress(RuntimeFailure):
                remove_bridge(network_id, bridge, subnet_list.split(","))
    from hullbox.network import leftovers

    with host_lock(), contextlib.suppress(RuntimeFailure):
        live = {subnets for _b, _i, subnets, _d in owned_bridges()}
        links = set(os.listdir(SYS_NET)) if SYS_NET.exists() else set()
        leftovers.sweep(links, sorted(live), _routed)


def _routed(subnet: str) -> bool:
    """A host route reaches ``subnet`` (kept when unsure)."""
    try:
        return overlapping(subnet) is not None
    except HullboxError:
        return True
