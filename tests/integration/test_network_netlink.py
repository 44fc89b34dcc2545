"""hullbox's own rtnetlink requests and named namespaces, checked with
pyroute2 (the reference netlink library) against the real kernel."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hullbox.linux import netns
from hullbox.linux.netlink import Netlink, link_index

pytestmark = [pytest.mark.root, pytest.mark.network]

pyroute2 = pytest.importorskip("pyroute2")


@pytest.fixture
def names(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """A bridge name, a veth name and a netns path owned by this test only."""
    if os.geteuid() != 0:
        pytest.skip("needs root: network namespaces and links")
    tag = uuid.uuid4().hex[:8]
    bridge, veth, path = f"hbt{tag}", f"hbv{tag}", tmp_path / "ns"
    yield bridge, veth, path
    with Netlink() as nl:
        nl.delete_link(veth)
        nl.delete_link(bridge)
    netns.remove(str(path))


def test_bridge_veth_address_and_route_as_pyroute2_sees_them(
        names: tuple[str, str, Path]) -> None:
    bridge, veth, path = names
    netns.create(str(path))
    with Netlink() as nl:
        nl.add_bridge(bridge)
        nl.add_address(link_index(bridge), "10.250.99.1", 24)
        nl.set_up(link_index(bridge))
        fd = os.open(path, os.O_RDONLY)
        try:
            nl.add_veth(veth, master=link_index(bridge), peer="eth0", peer_netns_fd=fd,
                        peer_mac="02:42:0a:fa:63:02")
        finally:
            os.close(fd)
    with netns.entered(str(path)), Netlink() as inside:
        eth0 = link_index("eth0")
        inside.add_address(eth0, "10.250.99.2", 24)
        inside.set_up(eth0)
        inside.set_up(1)
        inside.add_default_route("10.250.99.1", eth0)
        inside.add_address(eth0, "fdfa:63::2", 64)
        inside.add_default_route("fdfa:63::1", eth0)

    with pyroute2.IPRoute() as ipr:
        (br,) = ipr.get_links(ifname=bridge)
        (host_side,) = ipr.get_links(ifname=veth)
        assert br.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND") == "bridge"
        assert host_side.get("IFLA_MASTER") == br["index"]
        assert host_side["flags"] & 1  # IFF_UP
        addrs = [a.get("IFA_LOCAL") for a in ipr.get_addr(index=br["index"])]
        assert "10.250.99.1" in addrs
    with pyroute2.NetNS(str(path)) as ns:
        (eth,) = ns.get_links(ifname="eth0")
        assert eth.get("IFLA_ADDRESS") == "02:42:0a:fa:63:02"
        ipv4 = ns.get_addr(index=eth["index"], family=2)
        assert [a.get("IFA_LOCAL") for a in ipv4] == ["10.250.99.2"]
        (default,) = [r for r in ns.get_routes(family=2, table=254) if r["dst_len"] == 0]
        assert default.get("RTA_GATEWAY") == "10.250.99.1"
        assert {link.get("IFLA_IFNAME") for link in ns.get_links()} == {"lo", "eth0"}
        ipv6 = [a for a in ns.get_addr(index=eth["index"], family=10)
                if a.get("IFA_ADDRESS") == "fdfa:63::2"]
        assert [(a["prefixlen"], a["flags"] & 0x02) for a in ipv6] == [(64, 0x02)]  # NODAD
        (default6,) = [r for r in ns.get_routes(family=10, table=254) if r["dst_len"] == 0]
        assert default6.get("RTA_GATEWAY") == "fdfa:63::1"

    # Deleting the host side takes the peer with it; the namespace stays empty.
    with Netlink() as nl:
        assert nl.delete_link(veth) is True
        assert nl.delete_link(veth) is False
    with pyroute2.NetNS(str(path)) as ns:
        assert {link.get("IFLA_IFNAME") for link in ns.get_links()} == {"lo"}


def test_refusals_carry_the_kernels_errno(names: tuple[str, str, Path]) -> None:
    bridge, _veth, _path = names
    with Netlink() as nl:
        nl.add_bridge(bridge)
        with pytest.raises(OSError, match=f"create bridge {bridge}: File exists"):
            nl.add_bridge(bridge)
