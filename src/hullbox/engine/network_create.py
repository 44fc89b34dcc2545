"""``network create``: the checks and choices before a bridge is made, the
record, then the bridge; or, for ``--config-only``, the record alone (a
configuration other networks are made from with ``--config-from``)."""

from __future__ import annotations

import re
import time
from dataclasses import replace

from hullbox.engine import netplan
from hullbox.engine.netplan import Addressing
from hullbox.errors import Conflict, InvalidArgument
from hullbox.network import bridge, ipam
from hullbox.network.ipam import Network
from hullbox.network.netopts import NetworkSettings, check_aux, check_options
from hullbox.store.store import Store

_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
PREDEFINED = ("bridge", "host", "none")


def create_network(store: Store, name: str, *, driver: str, labels: dict[str, str],
                   internal: bool, addressing: Addressing,
                   settings: NetworkSettings) -> Network:
    from hullbox.engine.names import new_id
    from hullbox.engine.rootless import refuse_bridge

    if not settings.config_only:
        refuse_bridge(f"network create {name}")
    if not _NAME.match(name):
        raise InvalidArgument(f"invalid network name {name!r}: use letters, digits, "
                              "'_', '.' and '-', starting with a letter or digit")
    if name in PREDEFINED:
        raise Conflict(f"network name {name} is reserved for the predefined network")
    if driver != "bridge":
        raise InvalidArgument(f"network driver {driver!r} is not supported; use bridge")
    if ipam.find_network(store, name) is not None:
        raise Conflict(f"network with name {name} already exists")
    if settings.config_from:
        addressing, settings, internal = _from_config(store, settings, internal)
    check_options(settings.options)
    check_aux(settings.aux_addresses,
              [s for s in (addressing.subnet, addressing.subnet6) if s])
    network_id = new_id()
    if settings.config_only:
        return _config_only(store, network_id, name, labels, internal, addressing, settings)
    bridge.sweep_orphans()
    with bridge.host_lock():
        device = settings.bridge_name or f"hb-{network_id[:12]}"
        others = [n for n in ipam.list_networks(store) if not n.settings.config_only]
        if settings.bridge_name and (bridge.exists(device)
                                     or any(n.bridge == device for n in others)):
            raise Conflict(f"a network interface named {device} already exists on this "
                           "host; choose another -o com.docker.network.bridge.name")
        chosen = netplan.choose(addressing, others)
        network = Network(id=network_id, name=name, bridge=device, subnet=chosen.subnet,
                          gateway=chosen.gateway, internal=internal, labels=labels,
                          created=time.time(), ip_range=chosen.ip_range,
                          subnet6=chosen.subnet6, gateway6=chosen.gateway6,
                          settings=settings)
        ipam.insert_network(store, network)
        try:  # under the same hold: the subnet is on the host before another store chooses
            bridge.ensure_bridge(network, store.root / "hullbox.db")
        except BaseException:
            ipam.delete_network(store, network.id)
            raise
    return network


def _from_config(store: Store, settings: NetworkSettings,
                 internal: bool) -> tuple[Addressing, NetworkSettings, bool]:
    """``--config-from NAME``: the addresses and options of that config-only
    network, for a network that is really made."""
    source = ipam.get_network(store, settings.config_from)
    if not source.settings.config_only:
        raise InvalidArgument(f"--config-from {source.name}: it is not a config-only network "
                              "(make one with: hullbox network create --config-only)")
    addressing = Addressing(subnet=source.subnet, gateway=source.gateway,
                            ip_range=source.ip_range, ipv6=bool(source.subnet6),
                            subnet6=source.subnet6, gateway6=source.gateway6)
    merged = replace(source.settings, config_only=False, config_from=source.name,
                     attachable=settings.attachable)
    return addressing, merged, internal or source.internal


def _config_only(store: Store, network_id: str, name: str, labels: dict[str, str],
                 internal: bool, addressing: Addressing, settings: NetworkSettings) -> Network:
    """Checked as a network's would be, but no subnet is taken: nothing runs
    on it; the networks made from it take theirs when they are created."""
    if addressing.subnet:
        ipam.parse_cidr(addressing.subnet)
    if addressing.gateway:
        if not addressing.subnet:
            raise InvalidArgument("--gateway needs --subnet")
        ipam.ip_to_int(addressing.gateway)
    if addressing.ip_range:
        ipam.parse_cidr(addressing.ip_range)
    network = Network(id=network_id, name=name, bridge=f"config-{network_id[:12]}",
                      subnet=addressing.subnet, gateway=addressing.gateway, driver="null",
                      internal=internal, labels=labels, created=time.time(),
                      ip_range=addressing.ip_range, subnet6=addressing.subnet6,
                      gateway6=addressing.gateway6, settings=settings)
    ipam.insert_network(store, network)
    return network
