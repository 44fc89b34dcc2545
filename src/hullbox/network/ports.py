"""Published ports: ``-p`` parsing, the host port reservation, and the
records behind ``hullbox port`` and the PORTS column of ``ps``.

While a container runs, its keeper (the monitor, or the foreground
``hullbox run``) holds a socket bound to each published host port, as
docker-proxy does: a port taken on the host is refused at start, a free port
(``-p 80``) is the kernel's choice, and no host program can take the port
while it is published. The sockets close with the keeper, so a killed one
leaks no reservation.
"""

from __future__ import annotations

import _socket
import contextlib
import errno
from dataclasses import dataclass

from hullbox.errors import Conflict, InvalidArgument
from hullbox.network import nft
from hullbox.network.ipam import ip_to_int
from hullbox.store.store import Store

PROTOCOLS = ("tcp", "udp")


@dataclass(frozen=True)
class PortSpec:
    """One ``-p`` value: host address and port (0: any free one) to container port."""

    container_port: int
    proto: str = "tcp"
    host_ip: str = "0.0.0.0"
    host_port: int = 0


@dataclass(frozen=True)
class PublishedPort:
    """A port published now: what ``hullbox port`` prints."""

    proto: str
    host_ip: str
    host_port: int
    container_ip: str
    container_port: int

    def __str__(self) -> str:
        return f"{self.host_ip}:{self.host_port}->{self.container_port}/{self.proto}"


def _port(text: str, spec: str, what: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise InvalidArgument(f"invalid -p {spec!r}: {what} {text!r} is not a port "
                              "number from 1 to 65535; use [HOST_IP:][HOST_PORT:]PORT[/udp]")
    return int(text)


def parse_publish(spec: str) -> PortSpec:
    """Docker's ``-p`` forms: ``80``, ``8080:80``, ``127.0.0.1:8080:80``,
    ``127.0.0.1::80``, each with an optional ``/tcp`` or ``/udp``."""
    body, _, proto = spec.partition("/")
    proto = proto or "tcp"
    if proto not in PROTOCOLS:
        raise InvalidArgument(f"invalid -p {spec!r}: protocol {proto!r} is not supported; "
                              "use tcp or udp")
    parts = body.rsplit(":", 2)
    host_ip = "0.0.0.0"
    if len(parts) == 3:
        host_ip = parts[0].strip("[]") or "0.0.0.0"
        ip_to_int(host_ip) if host_ip.count(".") == 3 else _bad_ip(spec, host_ip)
    container = _port(parts[-1], spec, "container port")
    host_port = 0
    if len(parts) >= 2 and parts[-2]:
        host_port = _port(parts[-2], spec, "host port")
    return PortSpec(container, proto, host_ip, host_port)


def _bad_ip(spec: str, host_ip: str) -> None:
    raise InvalidArgument(f"invalid -p {spec!r}: {host_ip!r} is not an IPv4 address of "
                          "this host")


def exposed(exposed_ports: dict[str, object]) -> list[PortSpec]:
    """``-P``: every port the image EXPOSEs, each on a free host port."""
    specs = []
    for key in sorted(exposed_ports):
        port, _, proto = key.partition("/")
        if port.isdigit() and (proto or "tcp") in PROTOCOLS:
            specs.append(PortSpec(int(port), proto or "tcp"))
    return specs


def reserve(spec: PortSpec) -> tuple[_socket.socket, int]:
    """Bind the host port (a free one when 0); Conflict naming the port when
    the host already uses it."""
    kind = _socket.SOCK_STREAM if spec.proto == "tcp" else _socket.SOCK_DGRAM
    sock = _socket.socket(_socket.AF_INET, kind | _socket.SOCK_CLOEXEC)
    try:
        sock.bind((spec.host_ip, spec.host_port))
    except OSError as exc:
        sock.close()
        where = f"{spec.host_ip}:{spec.host_port}/{spec.proto}"
        if exc.errno == errno.EADDRINUSE:
            raise Conflict(f"cannot publish port {where}: it is already in use on this host; "
                           f"choose another host port (-p OTHER:{spec.container_port})") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise InvalidArgument(f"cannot publish port {where}: {spec.host_ip} is not an "
                                  "address of this host") from None
        raise Conflict(f"cannot publish port {where}: {exc.strerror}") from None
    return sock, int(sock.getsockname()[1])


def check_free(specs: list[PortSpec]) -> None:
    """Fail now, before anything is made, when a fixed host port is taken."""
    with contextlib.ExitStack() as held:
        for spec in specs:
            if spec.host_port:
                sock, _ = reserve(spec)
                held.callback(sock.close)


def tag(container_id: str) -> str:
    """The comment on a container's nftables elements."""
    return f"hullbox:{container_id}"


def record(store: Store, container_id: str, published: list[PublishedPort]) -> None:
    with store.transaction() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO published_ports(container_id, proto, host_ip, host_port,"
            " container_ip, container_port) VALUES (?,?,?,?,?,?)",
            [(container_id, p.proto, p.host_ip, p.host_port, p.container_ip, p.container_port)
             for p in published])


def published(store: Store, container_id: str) -> list[PublishedPort]:
    rows = store.db.execute(
        "SELECT proto, host_ip, host_port, container_ip, container_port FROM published_ports"
        " WHERE container_id=? ORDER BY container_port, proto, host_ip", (container_id,))
    return [PublishedPort(*row) for row in rows]


def publish(store: Store, container_id: str, ports: list[PublishedPort]) -> None:
    """Record the ports and add their DNAT elements (one nft batch)."""
    record(store, container_id, ports)
    nft.add_ports([(p.proto, p.host_ip, p.host_port, p.container_ip, p.container_port)
                   for p in ports], tag(container_id),
                  f"publish the ports of container {container_id[:12]}")


def unpublish(store: Store, container_id: str) -> None:
    """Remove the container's DNAT elements and records; nothing when none."""
    ports = published(store, container_id)
    if ports:
        keys = [nft.port_key(p.proto, p.host_ip, p.host_port) for p in ports]
        nft.delete_ports(keys, tag(container_id),
                         f"unpublish the ports of container {container_id[:12]}")
    with store.transaction() as conn:
        conn.execute("DELETE FROM published_ports WHERE container_id=?", (container_id,))
