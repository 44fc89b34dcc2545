"""The few rtnetlink requests a container's network needs: make a bridge or a
veth pair, add an address or a route, delete a link.

Why not pyroute2 here: importing it costs 45 ms even with its package
``__init__`` bypassed and 200-600 ms through its public API, against a
`run` whose whole budget for networking is 30 ms; these five requests
are a stable kernel ABI of a few structs. The tests check what this module
does with pyroute2 (tests/integration/test_network_netlink.py).
"""

from __future__ import annotations

# _socket, not socket: see linux/net.py (import time on every container start).
import _socket
import errno
import os
import struct

NETLINK_ROUTE = 0
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
RTM_NEWLINK = 16
RTM_DELLINK = 17
RTM_NEWADDR = 20
RTM_GETADDR = 22
RTM_NEWROUTE = 24
IFLA_ADDRESS = 1
IFLA_IFNAME = 3
IFLA_MTU = 4
IFLA_MASTER = 10
IFLA_LINKINFO = 18
IFLA_NET_NS_FD = 28
IFLA_INFO_KIND = 1
IFLA_INFO_DATA = 2
VETH_INFO_PEER = 1
IFA_ADDRESS = 1
IFA_LOCAL = 2
IFA_F_NODAD = 0x02
RTA_GATEWAY = 5
RTA_OIF = 4
RT_TABLE_MAIN = 254
RTPROT_BOOT = 3
RTN_UNICAST = 1
IFF_UP = 0x1

_NLMSGHDR = struct.Struct("=IHHII")
_IFINFOMSG = struct.Struct("=BxHiII")
_IFADDRMSG = struct.Struct("=BBBBI")
_RTMSG = struct.Struct("=BBBBBBBBI")


def _attr(kind: int, payload: bytes) -> bytes:
    """One rtattr, padded to 4 bytes."""
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def _name(name: str) -> bytes:
    return name.encode() + b"\0"


def _ifinfo(index: int = 0, up: bool = False) -> bytes:
    return _IFINFOMSG.pack(_socket.AF_UNSPEC, 0, index, IFF_UP if up else 0,
                           IFF_UP if up else 0)


def mac_bytes(mac: str) -> bytes:
    """``02:42:0a:58:00:02`` as 6 bytes."""
    return bytes(int(part, 16) for part in mac.split(":"))


class Netlink:
    """A NETLINK_ROUTE socket of the network namespace it was opened in: the
    socket keeps talking to that namespace after the thread leaves it."""

    def __init__(self) -> None:
        self._sock = _socket.socket(_socket.AF_NETLINK,
                                    _socket.SOCK_RAW | _socket.SOCK_CLOEXEC, NETLINK_ROUTE)
        self._sock.bind((0, 0))
        self._seq = 0

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> Netlink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, kind: int, flags: int, body: bytes, what: str) -> None:
        """Send one request and wait for its acknowledgement; a refusal is an
        OSError with the kernel's errno and ``what`` in its message."""
        self._seq += 1
        header = _NLMSGHDR.pack(_NLMSGHDR.size + len(body), kind,
                                flags | NLM_F_REQUEST | NLM_F_ACK, self._seq, 0)
        self._sock.send(header + body)
        while True:
            data = self._sock.recv(65536)
            offset = 0
            while offset + _NLMSGHDR.size <= len(data):
                length, msg_type, _flags, seq, _pid = _NLMSGHDR.unpack_from(data, offset)
                if msg_type == NLMSG_ERROR and seq == self._seq:
                    code = -struct.unpack_from("=i", data, offset + _NLMSGHDR.size)[0]
                    if code:
                        raise OSError(code, f"{what}: {os.strerror(code)}")
                    return
                offset += max(length + (-length % 4), _NLMSGHDR.size)

    # -- links ---------------------------------------------------------------
    def add_bridge(self, name: str) -> None:
        """A new Linux bridge, down."""
        linkinfo = _attr(IFLA_INFO_KIND, b"bridge")
        body = _ifinfo() + _attr(IFLA_IFNAME, _name(name)) + _attr(IFLA_LINKINFO, linkinfo)
        self.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, body, f"create bridge {name}")

    def add_veth(self, name: str, *, master: int, peer: str, peer_netns_fd: int,
                 peer_mac: str, mtu: int = 0) -> None:
        """A veth pair: ``name`` here, up and enslaved to bridge ``master``
        (an ifindex); ``peer`` in the namespace of ``peer_netns_fd``; both
        ends of ``mtu`` when one is given (else the kernel's 1500)."""
        mtu_attr = _attr(IFLA_MTU, struct.pack("=I", mtu)) if mtu else b""
        peer_msg = (_ifinfo() + _attr(IFLA_IFNAME, _name(peer))
                    + _attr(IFLA_ADDRESS, mac_bytes(peer_mac)) + mtu_attr
                    + _attr(IFLA_NET_NS_FD, struct.pack("=I", peer_netns_fd)))
        linkinfo = (_attr(IFLA_INFO_KIND, b"veth")
                    + _attr(IFLA_INFO_DATA, _attr(VETH_INFO_PEER, peer_msg)))
        body = (_ifinfo(up=True) + _attr(IFLA_IFNAME, _name(name)) + mtu_attr
                + _attr(IFLA_MASTER, struct.pack("=I", master))
                + _attr(IFLA_LINKINFO, linkinfo))
        self.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, body, f"create veth {name}")

    def set_master(self, index: int, master: int) -> None:
        """Enslave the link with this ifindex to bridge ``master`` and set it up
        (a VM's tap, which QEMU made)."""
        body = _ifinfo(index, up=True) + _attr(IFLA_MASTER, struct.pack("=I", master))
        self.request(RTM_NEWLINK, 0, body, f"attach link {index} to bridge {master}")

    def set_mtu(self, index: int, mtu: int) -> None:
        """The MTU of the link with this ifindex."""
        body = _ifinfo(index) + _attr(IFLA_MTU, struct.pack("=I", mtu))
        self.request(RTM_NEWLINK, 0, body, f"set the MTU of link {index} to {mtu}")

    def set_up(self, index: int) -> None:
        """Set IFF_UP on the link with this ifindex."""
        self.request(RTM_NEWLINK, 0, _ifinfo(index, up=True), f"set link {index} up")

    def delete_link(self, name: str) -> bool:
        """Delete a link by name (its veth peer goes with it); False when absent."""
        try:
            index = _socket.if_nametoindex(name)
        except OSError:
            return False
        try:
            self.request(RTM_DELLINK, 0, _ifinfo(index), f"delete link {name}")
        except OSError as exc:
            if exc.errno == errno.ENODEV:
                return False
            raise
        return True

    # -- addresses and routes -------------------------------------------------
    def add_address(self, index: int, address: str, prefix: int) -> None:
        """An IPv4 or IPv6 address with its prefix length on link ``index``;
        an IPv6 one usable at once (no duplicate address detection: the
        bridge's IPAM already made it unique)."""
        family = _family(address)
        packed = _socket.inet_pton(family, address)
        flags = IFA_F_NODAD if family == _socket.AF_INET6 else 0
        body = (_IFADDRMSG.pack(family, prefix, flags, 0, index)
                + _attr(IFA_LOCAL, packed) + _attr(IFA_ADDRESS, packed))
        self.request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, body,
                     f"add address {address}/{prefix}")

    def ipv4_addresses(self) -> list[tuple[str, int, int]]:
        """(address, prefix length, ifindex) of every IPv4 address of this
        namespace, on links up or down (a down link has no route to show it)."""
        self._seq += 1
        body = _IFADDRMSG.pack(_socket.AF_INET, 0, 0, 0, 0)
        self._sock.send(_NLMSGHDR.pack(_NLMSGHDR.size + len(body), RTM_GETADDR,
                                       NLM_F_REQUEST | NLM_F_DUMP, self._seq, 0) + body)
        found: list[tuple[str, int, int]] = []
        while True:
            data = self._sock.recv(65536)
            offset = 0
            while offset + _NLMSGHDR.size <= len(data):
                length, msg_type, _flags, seq, _pid = _NLMSGHDR.unpack_from(data, offset)
                if seq == self._seq:
                    if msg_type == NLMSG_DONE:
                        return found
                    if msg_type == NLMSG_ERROR:
                        code = -struct.unpack_from("=i", data, offset + _NLMSGHDR.size)[0]
                        raise OSError(code, f"list addresses: {os.strerror(code)}")
                    if msg_type == RTM_NEWADDR:
                        found.append(_ipv4_address(data[offset + _NLMSGHDR.size:
                                                        offset + length]))
                offset += max(length + (-length % 4), _NLMSGHDR.size)

    def add_default_route(self, gateway: str, index: int, *, replace: bool = False) -> None:
        """The default IPv4 or IPv6 route through ``gateway`` on link ``index``
        (with ``replace``, instead of the one there is)."""
        family = _family(gateway)
        body = (_RTMSG.pack(family, 0, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, 0,
                            RTN_UNICAST, 0)
                + _attr(RTA_GATEWAY, _socket.inet_pton(family, gateway))
                + _attr(RTA_OIF, struct.pack("=I", index)))
        self.request(RTM_NEWROUTE, NLM_F_CREATE | (NLM_F_REPLACE if replace else NLM_F_EXCL),
                     body, f"add default route via {gateway}")


def _ipv4_address(message: bytes) -> tuple[str, int, int]:
    """(address, prefix, ifindex) of one RTM_NEWADDR message: its local
    address (IFA_LOCAL), else IFA_ADDRESS."""
    _family_, prefix, _flags, _scope, index = _IFADDRMSG.unpack_from(message)
    attrs: dict[int, bytes] = {}
    offset = _IFADDRMSG.size
    while offset + 4 <= len(message):
        length, kind = struct.unpack_from("=HH", message, offset)
        if length < 4:
            break
        attrs[kind] = message[offset + 4:offset + length]
        offset += length + (-length % 4)
    packed = attrs.get(IFA_LOCAL) or attrs.get(IFA_ADDRESS, b"\0" * 4)
    return _socket.inet_ntop(_socket.AF_INET, packed), prefix, index


def _family(address: str) -> int:
    return _socket.AF_INET6 if ":" in address else _socket.AF_INET


def link_index(name: str) -> int:
    """The ifindex of a link of the caller's namespace; OSError when absent."""
    return int(_socket.if_nametoindex(name))
