"""``-p`` of a machine on a hullbox network: the host port leads to the
machine's address on that network through the same nftables DNAT elements a
container's published port is (network/ports.py), instead of user-mode NAT.

The host port is reserved as a container's is, by a socket bound to it; the
socket is handed to QEMU, which holds it as long as it runs (as a container's
keeper does), so nothing else on the host takes the port meanwhile and a
QEMU that dies lets it go with everything else it held.
"""

from __future__ import annotations

import _socket
import contextlib
from collections.abc import Sequence

from hullbox.network import nft, ports
from hullbox.network.portspec import PortSpec
from hullbox.store.store import Store
from hullbox.vm.config import PortForward


def reserve(forwards: Sequence[PortForward], held: contextlib.ExitStack) -> list[_socket.socket]:
    """Bind each forward's host port (Conflict naming a taken one); the
    sockets close with ``held``, once QEMU has its own copies."""
    sockets = []
    for forward in forwards:
        sock, _port = ports.reserve(PortSpec(forward.guest_port, forward.proto,
                                             forward.host_ip, forward.host_port))
        held.callback(sock.close)
        sockets.append(sock)
    return sockets


def publish(store: Store, machine_id: str, forwards: Sequence[PortForward],
            address: str) -> None:
    """The DNAT elements to ``address`` (one nft batch) and their rows."""
    ports.publish(store, machine_id, [
        ports.PublishedPort(forward.proto, forward.host_ip, forward.host_port, address,
                            forward.guest_port) for forward in forwards])


def unpublish(store: Store, machine_id: str) -> None:
    """Remove the machine's elements; only those still tagged as its own, since
    a QEMU found dead late may have had its ports taken over since (nft.add_ports
    replaces elements whose owner no longer holds the port)."""
    if not ports.published(store, machine_id):
        return
    tag = ports.tag(machine_id)
    nft.delete_ports(nft.tagged_port_keys(tag), tag,
                     f"unpublish the ports of VM {machine_id[:12]}")
    with store.transaction() as conn:
        conn.execute("DELETE FROM published_ports WHERE container_id=?", (machine_id,))
