"""A SOCK_SEQPACKET socket pair with SCM_RIGHTS fd passing, straight on ``_socket``.

The runtime's init reports to its parent over such a pair on every container
start. The ``socket`` module wraps the same C objects but costs ~4 ms to import
(selectors, enum conversions, array); ``_socket`` alone costs ~0.3 ms.
"""

from __future__ import annotations

import _socket
import struct

Socket = _socket.socket
MSG_NOSIGNAL = _socket.MSG_NOSIGNAL
_INT = struct.Struct("i")


def socketpair() -> tuple[Socket, Socket]:
    """A connected AF_UNIX SOCK_SEQPACKET pair, both ends close-on-exec."""
    return _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET, 0)


def send_fds(sock: Socket, data: bytes, fds: list[int]) -> None:
    """Send one message carrying ``fds`` (socket.send_fds)."""
    sock.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS,
                           b"".join(_INT.pack(fd) for fd in fds))])


def recv_fds(sock: Socket, bufsize: int, maxfds: int) -> tuple[bytes, list[int]]:
    """Receive one message and the fds it carries (socket.recv_fds)."""
    data, ancdata, _flags, _addr = sock.recvmsg(bufsize, _socket.CMSG_LEN(maxfds * _INT.size))
    fds: list[int] = []
    for level, kind, payload in ancdata:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            usable = len(payload) - len(payload) % _INT.size
            fds.extend(v for (v,) in _INT.iter_unpack(payload[:usable]))
    return data, fds
