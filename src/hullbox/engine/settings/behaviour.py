"""What ``run``/``create`` flags about the CLI's behaviour leave on the
container: the ports it EXPOSEs beyond its image's (``--expose``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from hullbox.errors import InvalidArgument

_PROTOCOLS = ("tcp", "udp", "sctp")


@dataclass
class BehaviourSettings:
    """Stored with the container (inside ContainerOptions)."""

    expose: list[str] = field(default_factory=list)  # "80/tcp", one entry per port

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> BehaviourSettings:
        data = data or {}
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def parse_expose(values: list[str] | tuple[str, ...]) -> list[str]:
    """``--expose PORT[/PROTO]`` or ``START-END[/PROTO]``, as Docker takes
    them, one ``port/proto`` key per port (a range is spelled out)."""
    out: list[str] = []
    for value in values:
        ports, _, proto = value.strip().partition("/")
        proto = (proto or "tcp").lower()
        first, _, last = ports.partition("-")
        if (proto not in _PROTOCOLS or not first.isdigit() or (last and not last.isdigit())
                or not 1 <= int(first) <= int(last or first) <= 65535):
            raise InvalidArgument(f"invalid --expose {value!r}: use PORT[/PROTO] or "
                                  "START-END[/PROTO], ports 1-65535, PROTO tcp, udp or sctp")
        for port in range(int(first), int(last or first) + 1):
            key = f"{port}/{proto}"
            if key not in out:
                out.append(key)
    return out


def exposed_ports(image_exposed: dict[str, Any], settings: BehaviourSettings) -> dict[str, Any]:
    """Config.ExposedPorts: the image's ports and the container's --expose."""
    return {**image_exposed, **{key: {} for key in settings.expose}}
