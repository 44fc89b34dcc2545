"""The network steps a runtime does itself: bring loopback up in a new netns, set the
host and domain names."""

from __future__ import annotations

# _socket, not socket: the wrapper module costs ~4 ms to import on every container
# start, and these two calls need nothing from it.
import _socket
import fcntl
import struct

from hullbox.linux.libc import check, libc

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
_IFREQ = "16sH22x"  # struct ifreq: name + flags, padded to 40 bytes


def set_link_up(name: str = "lo") -> None:
    """Set IFF_UP on interface ``name`` with SIOCSIFFLAGS (no netlink needed)."""
    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    try:
        req = fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS, struct.pack(_IFREQ, name.encode(), 0))
        flags = struct.unpack(_IFREQ, req)[1]
        if not flags & IFF_UP:
            fcntl.ioctl(sock.fileno(), SIOCSIFFLAGS,
                        struct.pack(_IFREQ, name.encode(), flags | IFF_UP))
    finally:
        sock.close()


def sethostname(name: str) -> None:
    """sethostname(2) for the calling process's UTS namespace."""
    _socket.sethostname(name)


def setdomainname(name: str) -> None:
    """setdomainname(2) for the calling process's UTS namespace (Python has no wrapper)."""
    data = name.encode()
    check(libc().setdomainname(data, len(data)), "setdomainname", name)
