"""From ``-p`` values to ports published on a running container: the host
ports reserved (IPv4, and IPv6 beside it on an IPv6 network, the same port
number in both as Docker does), the container address each one leads to,
and the relay for ports on [::1] (relay.py)."""

from __future__ import annotations

import _socket
import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from hullbox.errors import InvalidArgument
from hullbox.network.ipam import Lease, Network
from hullbox.network.ports import RELAYED, PublishedPort, reserve
from hullbox.network.portspec import ANY_IPV4, ANY_IPV6, PortSpec

Reserved = tuple[PortSpec, int, _socket.socket]


def check_family(specs: list[PortSpec], network: str, ipv6: bool) -> None:
    """An IPv6 host address needs a container with an IPv6 address."""
    for spec in specs:
        if spec.family == _socket.AF_INET6 and not ipv6:
            raise InvalidArgument(
                f"cannot publish port {spec.container_port}/{spec.proto} on [{spec.host_ip}]: "
                f"network {network} has no IPv6; create one with "
                "hullbox network create --ipv6")


def reserve_all(specs: list[PortSpec], network: Network,
                stack: contextlib.ExitStack) -> list[Reserved]:
    """Bind every host port; the sockets close with ``stack``."""
    check_family(specs, network.name, bool(network.subnet6))
    if network.settings.host_binding:  # -o ...host_binding_ipv4: the default host address
        specs = [replace(s, host_ip=network.settings.host_binding)
                 if s.host_ip == ANY_IPV4 else s for s in specs]
    reserved: list[Reserved] = []
    for spec in specs:
        sock, port = reserve(spec)
        stack.callback(sock.close)
        reserved.append((spec, port, sock))
        if spec.host_ip == ANY_IPV4 and network.subnet6:
            twin = PortSpec(spec.container_port, spec.proto, ANY_IPV6, port)
            sock6, _ = reserve(twin)
            stack.callback(sock6.close)
            reserved.append((twin, port, sock6))
    return reserved


def published_ports(reserved: list[Reserved], lease: Lease) -> list[PublishedPort]:
    return [PublishedPort(spec.proto, spec.host_ip, port,
                          lease.address6 if spec.family == _socket.AF_INET6 else lease.address,
                          spec.container_port) for spec, port, _sock in reserved]


def start_relay(published: list[PublishedPort], reserved: list[Reserved], container_id: str,
                pid_file: Path) -> None:
    """Start the relay for the [::1] ports, if any; its pid goes to
    ``pid_file`` for stop_relay. It outlives this process's exec (the
    monitor's phases) and dies with it (PR_SET_PDEATHSIG)."""
    args: list[str] = []
    fds = []
    for port, (_spec, _number, sock) in zip(published, reserved, strict=True):
        if port.host_ip == RELAYED:
            if port.proto == "tcp":
                sock.listen(128)
            fds.append(sock.fileno())
            args += [str(sock.fileno()), port.proto, port.container_ip,
                     str(port.container_port)]
    if not args:
        return
    relay = subprocess.Popen([sys.executable, "-m", "hullbox.network.relay", str(os.getpid()),
                              container_id, *args], pass_fds=fds, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL)
    pid_file.write_text(str(relay.pid))


def stop_relay(container_id: str, pid_file: Path) -> None:
    """Kill the container's relay, if it runs (checked by its command line,
    so a recycled pid is left alone)."""
    try:
        pid = int(pid_file.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        pid, cmdline = 0, []
    if b"hullbox.network.relay" in cmdline and container_id.encode() in cmdline:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
