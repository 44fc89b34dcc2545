"""``-p`` and ``-P`` as values: what the user typed, turned into one
PortSpec per container port, without touching the host.

Docker's forms, each with an optional ``/tcp`` or ``/udp``::

    80            8080:80            127.0.0.1:8080:80        127.0.0.1::80
    80-82         8000-8002:80-82    [::1]:8080:80            8000-8010:80

A host range as long as the container range maps port to port; a host range
with one container port publishes it on the first free port of the range.
"""

from __future__ import annotations

import _socket
from dataclasses import dataclass

from hullbox.errors import InvalidArgument

PROTOCOLS = ("tcp", "udp")
ANY_IPV4, ANY_IPV6 = "0.0.0.0", "::"
_FORMS = "use [HOST_IP:][HOST_PORT[-END]:]PORT[-END][/udp]"


@dataclass(frozen=True)
class PortSpec:
    """One container port to publish: host address and port (0: any free
    one; with ``host_port_end``, the first free one up to it)."""

    container_port: int
    proto: str = "tcp"
    host_ip: str = ANY_IPV4
    host_port: int = 0
    host_port_end: int = 0

    @property
    def family(self) -> int:
        return _socket.AF_INET6 if ":" in self.host_ip else _socket.AF_INET

    def host_ports(self) -> range:
        """The host ports to try, in order (port 0: the kernel's choice)."""
        return range(self.host_port, max(self.host_port, self.host_port_end) + 1)


def _bad(spec: str, why: str) -> InvalidArgument:
    return InvalidArgument(f"invalid -p {spec!r}: {why}; {_FORMS}")


def _port(text: str, spec: str, what: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise _bad(spec, f"{what} {text!r} is not a port number from 1 to 65535")
    return int(text)


def _range(text: str, spec: str, what: str) -> tuple[int, int]:
    start, dash, end = text.partition("-")
    first = _port(start, spec, what)
    last = _port(end, spec, what) if dash else first
    if last < first:
        raise _bad(spec, f"{what} range {text!r} ends before it starts")
    return first, last


def _host_ip(text: str, spec: str) -> str:
    """The address part: IPv4, or IPv6 in brackets; empty means every address."""
    if text.startswith("[") and text.endswith("]"):
        address, family = text[1:-1], _socket.AF_INET6
    else:
        address, family = text, _socket.AF_INET
    if not address:
        return ANY_IPV4
    try:
        packed = _socket.inet_pton(family, address)
    except OSError:
        hint = "an IPv4 address, or IPv6 in brackets ([::1])"
        raise _bad(spec, f"{address!r} is not {hint}") from None
    return str(_socket.inet_ntop(family, packed))


def _split(body: str) -> tuple[str, str, str]:
    """(host ip, host ports, container ports), brackets kept around IPv6."""
    if body.startswith("["):
        address, bracket, rest = body.partition("]")
        if not bracket or not rest.startswith(":"):
            return body, "", ""  # rejected by _host_ip
        host_ports, _, container = rest[1:].rpartition(":")
        return address + "]", host_ports, container
    parts = body.rsplit(":", 2)
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return "", "", parts[0]


def parse_publish(spec: str) -> list[PortSpec]:
    """One ``-p`` value as PortSpecs, one per container port."""
    body, _, proto = spec.partition("/")
    proto = proto or "tcp"
    if proto not in PROTOCOLS:
        raise InvalidArgument(f"invalid -p {spec!r}: protocol {proto!r} is not supported; "
                              "use tcp or udp")
    address, host_text, container_text = _split(body)
    host_ip = _host_ip(address, spec)
    first, last = _range(container_text, spec, "container port")
    if not host_text:
        return [PortSpec(port, proto, host_ip) for port in range(first, last + 1)]
    host_first, host_last = _range(host_text, spec, "host port")
    if first == last:
        return [PortSpec(first, proto, host_ip, host_first,
                         host_last if host_last != host_first else 0)]
    if host_last - host_first != last - first:
        raise _bad(spec, f"host range {host_text} and container range {container_text} "
                         "differ in length")
    return [PortSpec(port, proto, host_ip, host_first + offset)
            for offset, port in enumerate(range(first, last + 1))]


def exposed(exposed_ports: dict[str, object]) -> list[PortSpec]:
    """``-P``: every port the image EXPOSEs (ranges too), each on a free host port."""
    specs = []
    for key in exposed_ports:
        ports, _, proto = key.partition("/")
        start, _, end = ports.partition("-")
        if not start.isdigit() or (end and not end.isdigit()) or (proto or "tcp") not in PROTOCOLS:
            continue
        for port in range(int(start), int(end or start) + 1):
            specs.append(PortSpec(port, proto or "tcp"))
    return sorted(specs, key=lambda s: (s.container_port, s.proto))
