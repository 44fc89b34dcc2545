"""docker's network flags as typed: create -o (bridge name, MTU, masquerade,
ICC, host binding), --aux-address, --ipam-opt, --attachable,
--config-only/--config-from, the swarm-only flags refused; ls --filter,
prune --filter, rm -f, inspect -v; connect --ip6, --link-local-ip, --link,
--driver-opt. Traffic only inside the bridges the tests make."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, until
from .netkit import free_port, free_subnet, free_subnet6, musl_store
from .netkit import inspect as inspect_container

pytestmark = [pytest.mark.root, pytest.mark.network]


@pytest.fixture(scope="module")
def net(hullbox: Hullbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hullbox]:
    yield from musl_store(hullbox, tmp_path_factory)


def _network(hullbox: Hullbox, name: str) -> dict[str, object]:
    return dict(json.loads(hullbox.ok("network", "inspect", name))[0])


def _own_bridges(hullbox: Hullbox) -> list[str]:
    """The bridges of this store (their alias names its database)."""
    found = []
    for link in Path("/sys/class/net").iterdir():
        try:
            alias = (link / "ifalias").read_text()
        except OSError:
            continue
        if str(hullbox.root) in alias:
            found.append(link.name)
    return sorted(found)


def _bad(hullbox: Hullbox, *args: str) -> str:
    """One line, exit 125, and no network or bridge left by it."""
    before = hullbox.ok("network", "ls", "-q"), _own_bridges(hullbox)
    result = hullbox(*args)
    assert result.returncode == 125, (args, result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hullbox: "), result.stderr
    assert (hullbox.ok("network", "ls", "-q"), _own_bridges(hullbox)) == before
    return lines[0]


def test_bridge_name_and_mtu_are_what_the_host_and_container_see(net: Hullbox) -> None:
    device = "hbt" + secrets.token_hex(4)
    subnet, _prefix = free_subnet()
    net.ok("network", "create", "-o", f"com.docker.network.bridge.name={device}",
           "--opt", "com.docker.network.driver.mtu=1400", "--subnet", subnet, "nf-mtu")
    try:
        assert Path(f"/sys/class/net/{device}/bridge").is_dir()
        assert Path(f"/sys/class/net/{device}/mtu").read_text().strip() == "1400"
        options = _network(net, "nf-mtu")["Options"]
        assert options == {"com.docker.network.bridge.name": device,
                           "com.docker.network.driver.mtu": "1400"}
        out = net.ok("run", "--rm", "--network", "nf-mtu", "bbmusl",
                     "cat", "/sys/class/net/eth0/mtu")
        assert out.strip() == "1400"
    finally:
        net.ok("network", "rm", "nf-mtu")
    assert not Path(f"/sys/class/net/{device}").exists()


def test_icc_false_keeps_containers_apart_but_not_from_the_gateway(net: Hullbox) -> None:
    subnet, prefix = free_subnet()
    net.ok("network", "create", "-o", "com.docker.network.bridge.enable_icc=false",
           "--subnet", subnet, "nf-icc")
    net.ok("network", "create", "--subnet", free_subnet()[0], "nf-open")
    try:
        for network, name in (("nf-icc", "icc-a"), ("nf-open", "open-a")):
            net.ok("run", "-d", "--name", name, "--network", network, "bbmusl",
                   "sleep", "600")
        apart = net("run", "--rm", "--network", "nf-icc", "bbmusl", "ping", "-c", "1",
                    "-W", "2", f"{prefix}2")
        assert apart.returncode == 1, apart
        assert "0 packets received" in apart.stdout
        gateway = net.ok("run", "--rm", "--network", "nf-icc", "bbmusl", "ping", "-c", "1",
                         "-W", "2", f"{prefix}1")
        assert "1 packets received" in gateway
        # the same on a network without the option: they reach each other
        open_ip = str(inspect_container(net, "open-a")["NetworkSettings"]  # type: ignore[index]
                      ["Networks"]["nf-open"]["IPAddress"])
        together = net.ok("run", "--rm", "--network", "nf-open", "bbmusl", "ping", "-c", "1",
                          "-W", "2", open_ip)
        assert "1 packets received" in together
    finally:
        net.ok("rm", "-f", "icc-a", "open-a")
        net.ok("network", "rm", "nf-icc", "nf-open")


def _postrouting_accepts(subnet: str) -> int:
    listing = json.loads(subprocess.run(["nft", "-j", "list", "chain", "ip", "hullbox",
                                         "postrouting"], capture_output=True, text=True,
                                        check=True).stdout)
    base = subnet.partition("/")[0]
    return sum(1 for item in listing["nftables"] if "rule" in item
               and any("accept" in e for e in item["rule"]["expr"])
               and base in json.dumps(item["rule"]["expr"]))


def test_masquerade_false_exempts_the_subnet_until_the_network_goes(net: Hullbox) -> None:
    subnet, _ = free_subnet()
    net.ok("network", "create", "-o", "com.docker.network.bridge.enable_ip_masquerade=false",
           "--subnet", subnet, "nf-nomasq")
    try:
        assert _postrouting_accepts(subnet) == 1
    finally:
        net.ok("network", "rm", "nf-nomasq")
    assert _postrouting_accepts(subnet) == 0


def test_host_binding_ipv4_is_the_default_host_address(net: Hullbox) -> None:
    net.ok("network", "create", "-o", "com.docker.network.bridge.host_binding_ipv4=127.0.0.1",
           "--subnet", free_subnet()[0], "nf-bind")
    port = free_port()
    try:
        net.ok("run", "-d", "--name", "bound", "--network", "nf-bind", "-p", f"{port}:80",
               "bbmusl", "httpd", "-f", "-p", "80", "-h", "/etc")
        assert net.ok("port", "bound").strip() == f"80/tcp -> 127.0.0.1:{port}"
    finally:
        net.ok("rm", "-f", "bound")
        net.ok("network", "rm", "nf-bind")


def test_aux_addresses_are_never_handed_out(net: Hullbox) -> None:
    subnet, prefix = free_subnet()
    net.ok("network", "create", "--subnet", subnet, "--aux-address", f"router={prefix}2",
           "--aux-address", f"printer={prefix}3", "--ipam-opt", "foo=bar", "nf-aux")
    try:
        ipam = _network(net, "nf-aux")["IPAM"]
        assert ipam == {"Driver": "default", "Options": {"foo": "bar"}, "Config": [
            {"Subnet": subnet, "Gateway": f"{prefix}1",
             "AuxiliaryAddresses": {"router": f"{prefix}2", "printer": f"{prefix}3"}}]}
        out = net.ok("run", "--rm", "--network", "nf-aux", "bbmusl", "ip", "-4", "-o",
                     "addr", "show", "eth0")
        assert f"inet {prefix}4/24" in out
        taken = net("run", "--rm", "--network", "nf-aux", "--ip", f"{prefix}2", "bbmusl",
                    "true")
        assert taken.returncode == 125 and f"{prefix}2 is already in use" in taken.stderr
    finally:
        net.ok("network", "rm", "nf-aux")


def test_config_only_then_config_from(net: Hullbox) -> None:
    subnet, prefix = free_subnet()
    net.ok("network", "create", "--config-only", "--subnet", subnet, "--aux-address",
           f"r={prefix}2", "nf-conf")
    try:
        shown = _network(net, "nf-conf")
        assert (shown["ConfigOnly"], shown["Driver"]) == (True, "null")
        refused = net("run", "--rm", "--network", "nf-conf", "bbmusl", "true")
        assert refused.returncode == 125
        assert "config-only network: nothing can join it" in refused.stderr
        net.ok("network", "create", "--config-from", "nf-conf", "--attachable", "nf-made")
        made = _network(net, "nf-made")
        assert made["ConfigFrom"] == {"Network": "nf-conf"} and made["Attachable"] is True
        assert made["IPAM"]["Config"][0]["Subnet"] == subnet  # type: ignore[index]
        out = net.ok("run", "--rm", "--network", "nf-made", "bbmusl", "ip", "-4", "-o",
                     "addr", "show", "eth0")
        assert f"inet {prefix}3/24" in out
        busy = net("network", "rm", "nf-conf")
        assert busy.returncode == 125 and "network nf-made was made from it" in busy.stderr
    finally:
        net("network", "rm", "nf-made")
        net("network", "rm", "nf-conf")


def test_bad_create_input_is_one_line_with_nothing_made(net: Hullbox) -> None:
    subnet, prefix = free_subnet()
    cases = {
        ("--ingress",): "swarm",
        ("--scope", "swarm"): "swarm",
        ("--ipv4=false",): "IPv6-only",
        ("--ipam-driver", "dhcp"): "only the default IPAM driver",
        ("-o", "com.docker.network.driver.mtu=abc"): "an MTU from 68 to 65535",
        ("-o", "com.docker.network.bridge.enable_icc=maybe"): "use true or false",
        ("-o", "com.docker.network.bridge.name=has space"): "an interface name",
        ("-o", "com.docker.network.bridge.name=lo"): "lo already exists",
        ("-o", "com.docker.network.bridge.host_binding_ipv4=nope"): "an IPv4 address",
        ("--aux-address", f"a={prefix}5"): "no matching subnet",
        ("--subnet", subnet, "--aux-address", "a=10.1.2.3"): "no matching subnet",
        ("--subnet", subnet, "--aux-address", "a"): "not an IP address",
        ("--config-from", "nf-none", "--subnet", subnet): "drop --subnet",
        ("--config-from", "nf-none"): "nf-none not found",
        ("--ipv6=maybe",): "use true or false",
    }
    for args, expected in cases.items():
        line = _bad(net, "network", "create", *args, "nf-bad")
        assert expected in line, (args, line)


def test_boolean_flags_take_docker_values(net: Hullbox) -> None:
    net.ok("network", "create", "--internal=true", "--attachable=false",
           "--subnet", free_subnet()[0], "nf-bool")
    try:
        shown = _network(net, "nf-bool")
        assert (shown["Internal"], shown["Attachable"]) == (True, False)
    finally:
        net.ok("network", "rm", "nf-bool")


def test_ls_filters(net: Hullbox) -> None:
    net.ok("network", "create", "--label", "team=blue", "--subnet", free_subnet()[0],
           "nf-ls-blue")
    net.ok("network", "create", "--label", "team=red", "--subnet", free_subnet()[0],
           "nf-ls-red")
    net.ok("run", "-d", "--name", "ls-user", "--network", "nf-ls-red", "bbmusl",
           "sleep", "600")
    try:
        def names(*filters: str) -> list[str]:
            args = [arg for f in filters for arg in ("--filter", f)]
            return sorted(net.ok("network", "ls", *args, "--format", "{{.Name}}").split())

        assert names("name=nf-ls") == ["nf-ls-blue", "nf-ls-red"]
        assert names("label=team=blue") == ["nf-ls-blue"]
        assert names("label=team") == ["nf-ls-blue", "nf-ls-red"]
        assert names("name=nf-ls", "dangling=true") == ["nf-ls-blue"]
        assert names("name=nf-ls", "dangling=false") == ["nf-ls-red"]
        assert names("type=builtin") == ["bridge"]
        assert "bridge" not in names("type=custom")
        assert "nf-ls-red" in names("driver=bridge", "scope=local")
        assert names("driver=overlay") == []
        red_id = _network(net, "nf-ls-red")["Id"]
        assert names(f"id={str(red_id)[:10]}") == ["nf-ls-red"]
        for bad, expected in (("colour=red", "invalid filter 'colour'"),
                              ("dangling=maybe", "use true or false"),
                              ("type=other", "use custom or builtin")):
            result = net("network", "ls", "--filter", bad)
            assert result.returncode == 125 and expected in result.stderr, result
    finally:
        net.ok("rm", "-f", "ls-user")
        net.ok("network", "rm", "nf-ls-blue", "nf-ls-red")


def test_prune_filters_rm_force_and_inspect_verbose(net: Hullbox) -> None:
    net.ok("network", "create", "--label", "keep=yes", "--subnet", free_subnet()[0],
           "nf-pr-keep")
    net.ok("network", "create", "--subnet", free_subnet()[0], "nf-pr-go")
    try:
        assert net.ok("network", "prune", "-f", "--filter", "until=1h").strip() == ""
        out = net.ok("network", "prune", "-f", "--filter", "label!=keep")
        assert out.splitlines() == ["Deleted Networks:", "nf-pr-go"]
        assert net.ok("network", "inspect", "-v", "-f", "{{.Name}}", "nf-pr-keep").strip() \
            == "nf-pr-keep"
        bad = net("network", "prune", "-f", "--filter", "until=yesterday")
        assert bad.returncode == 125 and "invalid filter 'until'" in bad.stderr
    finally:
        net("network", "rm", "nf-pr-go")
        net.ok("network", "rm", "nf-pr-keep")
    missing = net("network", "rm", "nf-never")
    assert missing.returncode == 125 and "not found" in missing.stderr
    forced = net("network", "rm", "-f", "nf-never")
    assert forced.returncode == 0 and forced.stderr == ""


def test_connect_ip6_link_local_link_and_sysctls(net: Hullbox) -> None:
    subnet6 = free_subnet6()
    net.ok("network", "create", "--ipv6", "--subnet", free_subnet()[0], "--subnet", subnet6,
           "nf-conn")
    net.ok("run", "-d", "--name", "peer", "--network", "nf-conn", "bbmusl", "sleep", "600")
    # on a network of its own: the store's default bridge may meet a subnet
    # another store took meanwhile (not what this test is about)
    net.ok("network", "create", "--subnet", free_subnet()[0], "nf-home")
    net.ok("run", "-d", "--name", "joiner", "--network", "nf-home", "bbmusl", "sleep", "600")
    want6 = subnet6.replace("::/64", "::77")
    try:
        net.ok("network", "connect", "--ip6", want6, "--link-local-ip", "169.254.9.9",
               "--link", "peer:buddy", "--driver-opt",
               "com.docker.network.endpoint.sysctls=net.ipv4.conf.IFNAME.log_martians=1",
               "nf-conn", "joiner")
        addresses = net.ok("exec", "joiner", "ip", "-o", "addr", "show", "eth1")
        assert f"inet6 {want6}/64" in addresses
        assert "inet 169.254.9.9/16" in addresses
        assert net.ok("exec", "joiner", "cat",
                      "/proc/sys/net/ipv4/conf/eth1/log_martians").strip() == "1"
        hosts = net.ok("exec", "joiner", "cat", "/etc/hosts")
        assert any("buddy" in line.split() and "peer" in line.split()
                   for line in hosts.splitlines()), hosts
        # only the container that linked sees the alias
        assert "buddy" not in net.ok("exec", "peer", "cat", "/etc/hosts")
        # after a restart the endpoint comes back the same
        net.ok("restart", "-t", "1", "joiner")
        assert until(lambda: want6 in net.ok("exec", "joiner", "ip", "-o", "addr"))
    finally:
        net.ok("rm", "-f", "peer", "joiner")
        net.ok("network", "rm", "nf-conn", "nf-home")


def test_bad_connect_input_is_one_line(net: Hullbox) -> None:
    net.ok("network", "create", "--subnet", free_subnet()[0], "nf-conn4")
    net.ok("network", "create", "--subnet", free_subnet()[0], "nf-home4")
    net.ok("run", "-d", "--name", "lonely", "--network", "nf-home4", "bbmusl", "sleep", "600")
    try:
        for args, expected in (
                (("--ip6", "fd00::5"), "has no IPv6"),
                (("--link-local-ip", "10.0.0.1"), "not a link-local address"),
                (("--link", "nobody:x"), "no such container 'nobody'"),
                (("--driver-opt", "novalue"), "use KEY=VALUE"),
                (("--driver-opt", "com.docker.network.endpoint.sysctls=kernel.x=1"),
                 "net.ipv4.conf.IFNAME")):
            result = net("network", "connect", *args, "nf-conn4", "lonely")
            assert result.returncode == 125, (args, result)
            assert len(result.stderr.strip().splitlines()) == 1
            assert expected in result.stderr, (args, result.stderr)
        networks = inspect_container(net, "lonely")["NetworkSettings"]["Networks"]  # type: ignore[index]
        assert list(networks) == ["nf-home4"]
    finally:
        net.ok("rm", "-f", "lonely")
        net.ok("network", "rm", "nf-conn4", "nf-home4")


def _default_via(net: Hullbox, name: str) -> str:
    routes = net.ok("exec", name, "ip", "route").splitlines()
    return next(line.split()[2] for line in routes if line.startswith("default via"))


def test_connect_gw_priority_chooses_the_default_route(net: Hullbox) -> None:
    (subnet_a, prefix_a), (subnet_b, prefix_b) = free_subnet(), free_subnet()
    net.ok("network", "create", "--subnet", subnet_a, "nf-gw-a")
    net.ok("network", "create", "--subnet", subnet_b, "nf-gw-b")
    net.ok("network", "create", "--subnet", free_subnet()[0], "nf-gw-low")
    net.ok("run", "-d", "--name", "routed", "--network", "nf-gw-a", "bbmusl", "sleep", "600")
    try:
        net.ok("network", "connect", "--gw-priority", "-1", "nf-gw-low", "routed")
        assert _default_via(net, "routed") == f"{prefix_a}1"
        net.ok("network", "connect", "--gw-priority", "10", "nf-gw-b", "routed")
        assert _default_via(net, "routed") == f"{prefix_b}1"
        net.ok("restart", "-t", "1", "routed")
        assert until(lambda: net("exec", "routed", "true").returncode == 0)
        assert _default_via(net, "routed") == f"{prefix_b}1"
    finally:
        net.ok("rm", "-f", "routed")
        net.ok("network", "rm", "nf-gw-a", "nf-gw-b", "nf-gw-low")
