"""Parsing and rendering of the network layer: -p, --add-host, subnets,
hosts and resolv.conf files. No root, no kernel."""

from __future__ import annotations

import pytest

from hullbox.engine.options import ContainerOptions
from hullbox.engine.settings.network import NetworkSettings
from hullbox.errors import InvalidArgument
from hullbox.network import hosts, ipam
from hullbox.network.portspec import PortSpec, exposed, parse_publish


@pytest.mark.parametrize(("spec", "expected"), [
    ("80", PortSpec(80, "tcp", "0.0.0.0", 0)),
    ("8080:80", PortSpec(80, "tcp", "0.0.0.0", 8080)),
    ("127.0.0.1:8081:80", PortSpec(80, "tcp", "127.0.0.1", 8081)),
    ("127.0.0.1::80", PortSpec(80, "tcp", "127.0.0.1", 0)),
    ("5353:53/udp", PortSpec(53, "udp", "0.0.0.0", 5353)),
    ("53/udp", PortSpec(53, "udp", "0.0.0.0", 0)),
    ("[::1]:8080:80", PortSpec(80, "tcp", "::1", 8080)),
    ("[::]::80/udp", PortSpec(80, "udp", "::", 0)),
    ("8000-8010:80", PortSpec(80, "tcp", "0.0.0.0", 8000, 8010)),
])
def test_publish_forms(spec: str, expected: PortSpec) -> None:
    assert parse_publish(spec) == [expected]


def test_publish_ranges_map_port_to_port() -> None:
    assert parse_publish("127.0.0.1:8000-8002:80-82") == [
        PortSpec(80, "tcp", "127.0.0.1", 8000), PortSpec(81, "tcp", "127.0.0.1", 8001),
        PortSpec(82, "tcp", "127.0.0.1", 8002)]
    assert parse_publish("8080-8081:80-81/udp") == [
        PortSpec(80, "udp", "0.0.0.0", 8080), PortSpec(81, "udp", "0.0.0.0", 8081)]
    assert parse_publish("80-81") == [PortSpec(80), PortSpec(81)]


@pytest.mark.parametrize(("spec", "message"), [
    ("80/sctp", "protocol 'sctp' is not supported"),
    ("x:80", "host port 'x' is not a port number"),
    ("8080:70000", "container port '70000'"),
    ("localhost:8080:80", "'localhost' is not an IPv4 address"),
    ("1.2.3:8080:80", "'1.2.3' is not an IPv4 address"),
    ("::1:8080:80", "'::1' is not an IPv4 address, or IPv6 in brackets"),
    ("[::1:8080:80", "'\\[::1:8080:80' is not an IPv4 address"),
    ("", "container port ''"),
    ("8000-8002:80-81", "host range 8000-8002 and container range 80-81 differ in length"),
    ("82-80", "container port range '82-80' ends before it starts"),
    ("8000-:80", "host port '' is not a port number"),
])
def test_malformed_publish_is_one_clear_line(spec: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message) as info:
        parse_publish(spec)
    assert "\n" not in str(info.value)


def test_publish_all_takes_the_images_exposed_ports() -> None:
    assert exposed({"80/tcp": {}, "53/udp": {}, "9000": {}, "1/sctp": {}, "7-8/udp": {}}) == [
        PortSpec(7, "udp"), PortSpec(8, "udp"), PortSpec(53, "udp"), PortSpec(80, "tcp"),
        PortSpec(9000, "tcp")]


def test_settings_are_checked_when_parsed() -> None:
    with pytest.raises(InvalidArgument, match="--add-host 'nocolon'"):
        ContainerOptions.parse(networking=NetworkSettings(add_hosts=["nocolon"]))
    with pytest.raises(InvalidArgument, match="invalid IPv4 address '1.1.1'"):
        ContainerOptions.parse(networking=NetworkSettings(dns=["1.1.1"]))
    with pytest.raises(InvalidArgument, match="--mac-address"):
        ContainerOptions.parse(networking=NetworkSettings(mac_address="02:42"))
    with pytest.raises(InvalidArgument, match="-p and -P need a bridge network"):
        ContainerOptions.parse(network="host", networking=NetworkSettings(ports=["80"]))
    with pytest.raises(InvalidArgument, match="--network-alias works only on user-defined"):
        ContainerOptions.parse(networking=NetworkSettings(aliases=["db"]))
    with pytest.raises(InvalidArgument, match="--network container: needs a container"):
        ContainerOptions.parse(network="container:")
    ok = ContainerOptions.parse(network="appnet", networking=NetworkSettings(
        aliases=["db"], ip="10.90.0.9", add_hosts=["h:1.2.3.4", "gw=host-gateway"]))
    assert ContainerOptions.from_json(ok.to_json()) == ok


def test_subnets_are_strict_cidrs() -> None:
    assert ipam.parse_cidr("10.90.0.0/24") == (ipam.ip_to_int("10.90.0.0"), 24)
    with pytest.raises(InvalidArgument, match="host bits are set; did you mean 10.90.0.0/24"):
        ipam.parse_cidr("10.90.0.5/24")
    with pytest.raises(InvalidArgument, match="invalid subnet '10.90.0.0'"):
        ipam.parse_cidr("10.90.0.0")
    assert ipam.in_subnet(ipam.ip_to_int("10.90.0.9"), "10.90.0.0/24")
    assert not ipam.in_subnet(ipam.ip_to_int("10.90.1.9"), "10.90.0.0/24")
    assert ipam.mac_for("10.88.0.2") == "02:42:0a:58:00:02"


def test_hosts_file_lists_peers_once_each() -> None:
    text = hosts.render("web", "10.89.0.2",
                        [("10.89.0.3", ["db", "database", "3f2a"]), ("10.89.0.4", ["db", "x"])],
                        [("h", "1.2.3.4")])
    lines = text.splitlines()
    assert "1.2.3.4\th" in lines
    assert "10.89.0.2\tweb" in lines
    assert "10.89.0.3\tdb database 3f2a" in lines
    assert "10.89.0.4\tx" in lines  # "db" already names the first peer
    assert lines[0] == "127.0.0.1\tlocalhost"


def test_resolv_conf_takes_dns_flags_and_falls_back_as_docker_does() -> None:
    host = "nameserver 10.0.0.1\nsearch example.org\noptions ndots:2\n"
    assert hosts.resolv_conf(host, [], [], []) == (
        "nameserver 10.0.0.1\nsearch example.org\noptions ndots:2\n")
    assert hosts.resolv_conf(host, ["1.1.1.1"], ["a.test"], ["rotate"]) == (
        "nameserver 1.1.1.1\nsearch a.test\noptions rotate\n")
    assert hosts.resolv_conf("", [], [], []) == "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
