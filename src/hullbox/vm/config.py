"""A machine's definition: what ``vm create`` and ``vm modify`` set, stored as
JSON in the machines table."""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from hullbox.errors import InvalidArgument

_PORT = re.compile(r"^(?:(?P<ip>\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(?P<host>\d+):(?P<guest>\d+)"
                   r"(?:/(?P<proto>tcp|udp))?$")


@dataclass(frozen=True)
class PortForward:
    """``-p [IP:]HOST:GUEST[/tcp|udp]``: a user-mode NAT (slirp) host forward."""

    host_ip: str
    host_port: int
    guest_port: int
    proto: str = "tcp"

    @classmethod
    def parse(cls, spec: str) -> PortForward:
        match = _PORT.match(spec.strip())
        if not match:
            raise InvalidArgument(f"invalid port forward {spec!r}: use [IP:]HOSTPORT:GUESTPORT"
                                  "[/tcp|udp], e.g. -p 2222:22")
        ip = (match.group("ip") or "0.0.0.0").strip("[]")
        try:
            ipaddress.IPv4Address(ip)
        except ValueError:
            raise InvalidArgument(f"invalid port forward {spec!r}: user-mode NAT forwards "
                                  "only IPv4 host addresses") from None
        host, guest = int(match.group("host")), int(match.group("guest"))
        for port in (host, guest):
            if not 1 <= port <= 65535:
                raise InvalidArgument(f"invalid port forward {spec!r}: port {port} is not 1-65535")
        return cls(ip, host, guest, match.group("proto") or "tcp")

    def clashes_with(self, other: PortForward) -> bool:
        """Both would bind the same host port (0.0.0.0 covers every address)."""
        wildcard = "0.0.0.0" in (self.host_ip, other.host_ip)
        return (self.proto == other.proto and self.host_port == other.host_port
                and (wildcard or self.host_ip == other.host_ip))

    def hostfwd(self) -> str:
        """QEMU's ``hostfwd=`` value."""
        return f"{self.proto}:{self.host_ip}:{self.host_port}-:{self.guest_port}"

    def __str__(self) -> str:
        return f"{self.host_ip}:{self.host_port}->{self.guest_port}/{self.proto}"


@dataclass
class MachineConfig:
    """Hardware and boot source of one machine."""

    cpus: int = 1
    memory_mib: int = 512
    disk_size: int = 0
    kernel: str = ""
    initrd: str = ""
    append: str = ""
    iso: str = ""
    image: str = ""                 # the image the system disk was copied from
    # frozen disks under the system disk, nearest first: clones and their
    # source are qcow2 overlays on a shared read-only base
    bases: list[str] = field(default_factory=list)
    disks: list[str] = field(default_factory=list)  # attached data disks
    ports: list[PortForward] = field(default_factory=list)
    cloud_init: str = ""            # the user-data file its NoCloud seed was made from
    network: str = ""               # a hullbox network; '' for user-mode NAT
    network_ip: str = ""            # its last address there, asked for again

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> MachineConfig:
        data: dict[str, Any] = json.loads(text)
        data["ports"] = [PortForward(**port) for port in data.get("ports", [])]
        known = cls.__dataclass_fields__
        return cls(**{key: value for key, value in data.items() if key in known})
