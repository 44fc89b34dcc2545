"""Networking beyond the mode: published ports, aliases, DNS, hosts (issue 7)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from hullbox.errors import InvalidArgument

#: Docker's network modes besides a network's name.
BUILTIN_MODES = ("none", "host", "default", "bridge")
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


@dataclass
class NetworkSettings:
    """Stored with the container (inside ContainerOptions) so `start` repeats it."""

    ports: list[str] = field(default_factory=list)        # -p, as typed
    publish_all: bool = False                             # -P
    ip: str = ""                                          # --ip (first network)
    mac_address: str = ""                                 # --mac-address
    aliases: list[str] = field(default_factory=list)      # --network-alias
    dns: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    dns_options: list[str] = field(default_factory=list)
    add_hosts: list[str] = field(default_factory=list)    # --add-host name:ip
    #: name:alias, as --link: the alias names peer ``name`` in this container only
    links: list[str] = field(default_factory=list)
    #: networks joined with `network connect`: name -> {"aliases": [...], "ip": ""}
    connected: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> NetworkSettings:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def validate(self, mode: str) -> None:
        """Check the values alone (no store): one line naming the bad one."""
        from hullbox.network.hosts import parse_add_host
        from hullbox.network.ipam import ip_to_int
        from hullbox.network.portspec import parse_publish

        for spec in self.ports:
            parse_publish(spec)
        for value in self.add_hosts:
            try:
                name, address = parse_add_host(value)
            except ValueError:
                raise InvalidArgument(f"invalid --add-host {value!r}: use NAME:IP") from None
            if address != "host-gateway":
                ip_to_int(address)
        for server in self.dns:
            ip_to_int(server)
        if self.ip:
            ip_to_int(self.ip)
        if self.mac_address and not re.fullmatch(r"([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}",
                                                 self.mac_address):
            raise InvalidArgument(f"invalid --mac-address {self.mac_address!r}: use six "
                                  "hex bytes, e.g. 02:42:ac:11:00:02")
        bridged = mode not in ("none", "host") and not mode.startswith("container:")
        if not bridged and (self.ports or self.publish_all):
            raise InvalidArgument(f"-p and -P need a bridge network; --network {mode} "
                                  "has no ports of its own")
        if mode in ("default", "bridge") and self.aliases:
            raise InvalidArgument("--network-alias works only on user-defined networks "
                                  "(hullbox network create)")
        if mode in ("default", "bridge") and self.ip:
            raise InvalidArgument("--ip works only on user-defined networks with a subnet "
                                  "(hullbox network create --subnet)")


def validate_mode(mode: str) -> None:
    """none, host, default/bridge, container:NAME, or a network's name."""
    if mode in BUILTIN_MODES:
        return
    if mode.startswith("slirp4netns"):
        from hullbox.engine.slirp import parse_mode

        parse_mode(mode)
        return
    if mode.startswith("container:"):
        if not mode.partition(":")[2]:
            raise InvalidArgument("--network container: needs a container, e.g. "
                                  "--network container:web")
        return
    if not _NAME.match(mode):
        raise InvalidArgument(f"invalid --network {mode!r}: use none, host, bridge, "
                              "slirp4netns, container:NAME or a network's name")
