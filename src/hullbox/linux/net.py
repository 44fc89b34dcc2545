"""The one network step a runtime does itself: bring loopback up in a new netns."""

from __future__ import annotations

import fcntl
import socket
import struct

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
_IFREQ = "16sH22x"  # struct ifreq: name + flags, padded to 40 bytes


def set_link_up(name: str = "lo") -> None:
    """Set IFF_UP on interface ``name`` with SIOCSIFFLAGS (no netlink needed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        req = fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS, struct.pack(_IFREQ, name.encode(), 0))
        flags = struct.unpack(_IFREQ, req)[1]
        if not flags & IFF_UP:
            fcntl.ioctl(sock.fileno(), SIOCSIFFLAGS,
                        struct.pack(_IFREQ, name.encode(), flags | IFF_UP))
