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
from hullbox.network.portspec import PortSpec
from hullbox.store.store import Store

#: Ports on this address go through a relay process, not nftables (portmap.py).
RELAYED = "::1"


@dataclass(frozen=True)
class PublishedPort:
    """A port published now: what ``hullbox port`` prints."""

    proto: str
    host_ip: str
    host_port: int
    container_ip: str
    container_port: int

    def __str__(self) -> str:
        host = f"[{self.host_ip}]" if ":" in self.host_ip else self.host_ip
        return f"{host}:{self.host_port}->{self.container_port}/{self.proto}"


def reserve(spec: PortSpec) -> tuple[_socket.socket, int]:
    """Bind the host port (a free one when 0, the first free one of a host
    range); Conflict naming the port when the host already uses it."""
    ports = spec.host_ports()
    for port in ports:
        try:
            sock = _bind(spec, port)
            return sock, int(sock.getsockname()[1])
        except _Taken:
            if port == ports[-1]:
                break
    host = f"[{spec.host_ip}]" if spec.family == _socket.AF_INET6 else spec.host_ip
    if len(ports) > 1:
        raise Conflict(f"cannot publish port {spec.container_port}/{spec.proto}: every host "
                       f"port of {host}:{ports[0]}-{ports[-1]} is already in use on this "
                       "host; choose another range")
    raise Conflict(f"cannot publish port {host}:{ports[0]}/{spec.proto}: it is already in use "
                   f"on this host; choose another host port (-p OTHER:{spec.container_port})")


class _Taken(Exception):
    """The host port is in use."""


def _bind(spec: PortSpec, port: int) -> _socket.socket:
    kind = _socket.SOCK_STREAM if spec.proto == "tcp" else _socket.SOCK_DGRAM
    sock = _socket.socket(spec.family, kind | _socket.SOCK_CLOEXEC)
    try:
        if spec.family == _socket.AF_INET6:
            # [::] beside 0.0.0.0: each family holds its own reservation.
            sock.setsockopt(_socket.IPPROTO_IPV6, _socket.IPV6_V6ONLY, 1)
        sock.bind((spec.host_ip, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise _Taken from None
        where = f"{spec.host_ip} port {port}/{spec.proto}"
        if exc.errno == errno.EADDRNOTAVAIL:
            raise InvalidArgument(f"cannot publish {where}: {spec.host_ip} is not an "
                                  "address of this host") from None
        raise Conflict(f"cannot publish {where}: {exc.strerror}") from None
    return sock


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
                   for p in ports if p.host_ip != RELAYED], tag(container_id),
                  f"publish the ports of container {container_id[:12]}")


def unpublish(store: Store, container_id: str) -> None:
    """Remove the container's DNAT elements and records; nothing when none."""
    ports = published(store, container_id)
    if ports:
        keys = [nft.port_key(p.proto, p.host_ip, p.host_port) for p in ports
                if p.host_ip != RELAYED]
        nft.delete_ports(keys, tag(container_id),
                         f"unpublish the ports of container {container_id[:12]}")
    with store.transaction() as conn:
        conn.execute("DELETE FROM published_ports WHERE container_id=?", (container_id,))
