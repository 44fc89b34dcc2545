"""What ``network create`` accepts for addresses, IPv6 arithmetic, and the
hosts file of a dual-stack container. No root, no kernel (the host's routes
are read, and the subnets used here are kept off them)."""

from __future__ import annotations

import pytest

from hullbox.engine.netplan import Addressing, choose, sort_by_family
from hullbox.errors import Conflict, InvalidArgument
from hullbox.network import addr6, hosts
from hullbox.network.ipam import Network


def _network(subnet: str, subnet6: str = "") -> Network:
    return Network(id="n", name="other", bridge="hb-x", subnet=subnet, gateway="",
                   subnet6=subnet6)


def test_repeated_flags_are_sorted_by_family() -> None:
    asked = sort_by_family(["fd00:5::/64", "10.251.0.0/24"], ["10.251.0.254"],
                           ["10.251.0.128/25"], ipv6=False)
    assert asked == Addressing(subnet="10.251.0.0/24", gateway="10.251.0.254",
                               ip_range="10.251.0.128/25", subnet6="fd00:5::/64")
    with pytest.raises(InvalidArgument, match="--subnet given twice for one address family"):
        sort_by_family(["10.1.0.0/24", "10.2.0.0/24"], [], [], ipv6=False)
    with pytest.raises(InvalidArgument, match="IPv6 ranges are not supported"):
        sort_by_family([], [], ["fd00::/80"], ipv6=True)


def test_choose_checks_what_was_asked_and_fills_in_the_rest() -> None:
    chosen = choose(Addressing(subnet="10.251.7.0/24", subnet6="fd00:0077:0::/64"), [])
    assert (chosen.gateway, chosen.ipv6, chosen.subnet6, chosen.gateway6) == (
        "10.251.7.1", True, "fd00:77::/64", "fd00:77::1")
    ula = choose(Addressing(subnet="10.251.7.0/24", ipv6=True), []).subnet6
    assert ula.startswith("fd") and ula.endswith("::/64")
    assert not choose(Addressing(subnet="10.251.7.0/24"), []).ipv6
    with pytest.raises(Conflict, match="overlaps subnet fd00:77::/64 of another network"):
        choose(Addressing(subnet="10.251.8.0/24", subnet6="fd00:77::/96"),
               [_network("10.251.7.0/24", "fd00:77::/64")])
    with pytest.raises(InvalidArgument,
                       match="--gateway fd00:78::1 is not a host address of subnet fd00:77::/64"):
        choose(Addressing(subnet="10.251.8.0/24", subnet6="fd00:77::/64",
                          gateway6="fd00:78::1"), [])
    with pytest.raises(InvalidArgument, match="--gateway needs --subnet"):
        choose(Addressing(gateway="10.0.0.1"), [])


def test_ipv6_subnets_are_strict_and_canonical() -> None:
    assert addr6.normal6("fd00:0:0:0::/64") == "fd00::/64"
    with pytest.raises(InvalidArgument, match="host bits are set; did you mean fd00::/64"):
        addr6.parse_cidr6("fd00::1/64")
    with pytest.raises(InvalidArgument, match="from /48 to /120"):
        addr6.parse_cidr6("fd00::/32")
    assert addr6.overlaps6("fd00::/64", "fd00::/96")
    assert not addr6.overlaps6("fd00::/64", "fd00:0:0:1::/64")


def test_a_dual_stack_peer_has_a_line_per_family() -> None:
    text = hosts.render("web", "10.89.0.2", [("10.89.0.3", ["db"]), ("fd00::3", ["db"]),
                                              ("10.89.0.4", ["db", "x"])],
                        [], own_address6="fd00::2")
    assert text.splitlines()[-5:] == ["10.89.0.2\tweb", "fd00::2\tweb", "10.89.0.3\tdb",
                                      "fd00::3\tdb", "10.89.0.4\tx"]
