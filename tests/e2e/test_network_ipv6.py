"""IPv6 networks as a user types them: ``network create --ipv6``, a
container's IPv6 address, container to container over IPv6, ports published
on [::1] (through the relay) and on [::] (nftables), with real traffic to ::1
and to the bridge this test made."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, until
from .netkit import free_port_block, free_subnet6, http, leases, musl_store, nft_tagged

pytestmark = [pytest.mark.root, pytest.mark.network]


@pytest.fixture(scope="module")
def net(hullbox: Hullbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hullbox]:
    if not Path("/proc/net/if_inet6").exists():
        pytest.skip("the kernel has IPv6 disabled")
    yield from musl_store(hullbox, tmp_path_factory)


def _udp6(port: int) -> bytes:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(b"ping\n", ("::1", port))
        try:
            return sock.recvfrom(64)[0]
        except OSError:
            return b""


def _relays(container_id: str) -> int:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True,
                         check=False).stdout
    return sum("hullbox.network.relay" in line and container_id in line
               for line in out.splitlines())


def test_ipv6_addresses_container_traffic_and_ports_on_loopback(net: Hullbox) -> None:
    subnet6 = free_subnet6()
    net.ok("network", "create", "--ipv6", "--subnet", subnet6, "v6net")
    info = json.loads(net.ok("network", "inspect", "v6net"))[0]
    assert info["EnableIPv6"] is True
    gateway6 = info["IPAM"]["Config"][1]["Gateway"]
    assert info["IPAM"]["Config"][1]["Subnet"] == subnet6
    assert gateway6 == subnet6.replace("::/64", "::1")

    tcp = free_port_block(2)
    udp = free_port_block(1, socket.SOCK_DGRAM)
    cid = net.ok("run", "-d", "--name", "web6", "--network", "v6net",
                 "-p", f"[::1]:{tcp}:80", "-p", f"{tcp + 1}:80", "-p", f"[::1]:{udp}:53/udp",
                 "bbmusl", "sh", "-c",
                 "nc -lk -u -p 53 -e echo udp-ok & exec httpd -f -p [::]:80 -h /etc").strip()
    try:
        settings = json.loads(net.ok("inspect", "web6"))[0]["NetworkSettings"]
        address6 = settings["Networks"]["v6net"]["GlobalIPv6Address"]
        assert address6 == subnet6.replace("::/64", "::2")
        assert settings["Networks"]["v6net"]["IPv6Gateway"] == gateway6
        assert net.ok("port", "web6").splitlines() == [
            f"53/udp -> [::1]:{udp}", f"80/tcp -> 0.0.0.0:{tcp + 1}",
            f"80/tcp -> [::]:{tcp + 1}", f"80/tcp -> [::1]:{tcp}"]

        hostname = cid[:12] + "\n"
        # Container to container over IPv6, by address; the name has its IPv6 line.
        script = (f"wget -qO- -T 3 http://[{address6}]/hostname && "
                  "grep -w web6 /etc/hosts | cut -f1")
        assert net.ok("run", "--rm", "--network", "v6net", "bbmusl", "sh", "-c",
                      script) == f"{hostname}{settings['IPAddress']}\n{address6}\n"
        # From the host: [::1] through the relay, TCP and UDP; [::] by DNAT.
        assert until(lambda: http("::1", tcp) == hostname), http("::1", tcp)
        assert until(lambda: _udp6(udp) == b"udp-ok\n")
        assert http(gateway6, tcp + 1) == hostname
        assert http("127.0.0.1", tcp + 1) == hostname
        assert _relays(cid) == 1
    finally:
        net.ok("rm", "-f", "web6")
    assert (_relays(cid), nft_tagged(cid), leases(net, [cid])) == (0, 0, 0)
    assert http("::1", tcp).startswith("error")
    net.ok("network", "rm", "v6net")


def test_bad_ipv6_input_is_one_line_and_exit_125(net: Hullbox) -> None:
    cases = [
        (["network", "create", "--subnet", "fd00:1::5/64", "bad6"], "host bits are set"),
        (["network", "create", "--subnet", "fd00:1::/64", "--subnet", "fd00:2::/64", "bad6"],
         "--subnet given twice for one address family"),
        (["run", "--rm", "-p", "[::1]:8080:80", "bbmusl", "true"],
         "network bridge has no IPv6; create one with hullbox network create --ipv6"),
    ]
    for args, message in cases:
        result = net(*args)
        assert result.returncode == 125, (args, result.stderr)
        assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert "bad6" not in net.ok("network", "ls")
