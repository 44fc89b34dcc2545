"""A user-space relay for ports published on IPv6 loopback ([::1]), run as
``python -m hullbox.network.relay PARENT_PID CONTAINER_ID FD PROTO ADDRESS PORT ...``.

Linux routes no packet with a loopback source out of the host (IPv6 has no
route_localnet), so a DNAT of [::1]:PORT to a container can never leave;
Docker's docker-proxy is the same answer. The keeper hands over its bound
sockets (TCP ones listening) and the relay copies bytes to the container's
IPv6 address until the keeper dies (PR_SET_PDEATHSIG) or kills it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading

_BUFFER = 1 << 16
_UDP_IDLE = 120.0  # seconds a UDP client's upstream socket lives unused


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy one direction until EOF, then pass the EOF on."""
    try:
        while data := source.recv(_BUFFER):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _tcp_session(client: socket.socket, target: tuple[str, int]) -> None:
    with client:
        try:
            upstream = socket.create_connection(target, timeout=10)
        except OSError:
            return
        with upstream:
            upstream.settimeout(None)
            back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
            back.start()
            _pump(client, upstream)
            back.join()


def serve_tcp(listener: socket.socket, target: tuple[str, int]) -> None:
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_tcp_session, args=(client, target), daemon=True).start()


def _udp_replies(upstream: socket.socket, listener: socket.socket,
                 client: tuple[str, int], clients: dict[tuple[str, int], socket.socket]) -> None:
    upstream.settimeout(_UDP_IDLE)
    try:
        while True:
            listener.sendto(upstream.recv(_BUFFER), client)
    except OSError:
        clients.pop(client, None)
        upstream.close()


def serve_udp(listener: socket.socket, target: tuple[str, int]) -> None:
    clients: dict[tuple[str, int], socket.socket] = {}
    while True:
        data, client = listener.recvfrom(_BUFFER)
        upstream = clients.get(client)
        if upstream is None:
            upstream = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            upstream.connect(target)
            clients[client] = upstream
            threading.Thread(target=_udp_replies, args=(upstream, listener, client, clients),
                             daemon=True).start()
        with contextlib.suppress(OSError):
            upstream.send(data)


def main(argv: list[str]) -> int:
    from hullbox.linux.caps import PR_SET_PDEATHSIG, prctl

    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != int(argv[0]):
        return 0  # the keeper is gone already
    workers = []
    for at in range(2, len(argv), 4):
        fd, proto, address, port = argv[at:at + 4]
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        listener = socket.socket(socket.AF_INET6, kind, fileno=int(fd))
        serve = serve_tcp if proto == "tcp" else serve_udp
        workers.append(threading.Thread(target=serve, args=(listener, (address, int(port))),
                                        daemon=True))
    for worker in workers:
        worker.start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    return 0


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    sys.exit(main(sys.argv[1:]))
