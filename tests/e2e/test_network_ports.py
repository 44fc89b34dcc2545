"""Published port ranges and -P, with real traffic from the host to
127.0.0.1, and a taken port refused with nothing left behind."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator

import pytest

from .conftest import Hullbox, until
from .netkit import free_port_block, http, leases, musl_store, nft_tagged, veths

pytestmark = [pytest.mark.root, pytest.mark.network]


@pytest.fixture(scope="module")
def net(hullbox: Hullbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hullbox]:
    yield from musl_store(hullbox, tmp_path_factory)


# Three web servers, each answering /i with its own port number.
_THREE_SERVERS = ("for p in 80 81 82; do mkdir -p /w/$p; echo $p > /w/$p/i;"
                  " httpd -p $p -h /w/$p; done;"
                  " nc -lk -u -p 53 -e echo udp-ok & exec sleep 300")


def _udp(port: int) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(b"ping\n", ("127.0.0.1", port))
        try:
            return sock.recvfrom(64)[0]
        except OSError:
            return b""


def test_port_ranges_map_port_to_port_and_a_host_range_takes_a_free_one(net: Hullbox) -> None:
    tcp = free_port_block(3)
    udp = free_port_block(2, socket.SOCK_DGRAM)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("0.0.0.0", udp))  # the range's first port is taken: the next is used
        cid = net.ok("run", "-d", "--name", "ranged", "-p", f"127.0.0.1:{tcp}-{tcp + 2}:80-82",
                     "-p", f"{udp}-{udp + 1}:53/udp", "bbmusl", "sh", "-c",
                     _THREE_SERVERS).strip()
    try:
        assert net.ok("port", "ranged").splitlines() == [
            f"53/udp -> 0.0.0.0:{udp + 1}", f"80/tcp -> 127.0.0.1:{tcp}",
            f"81/tcp -> 127.0.0.1:{tcp + 1}", f"82/tcp -> 127.0.0.1:{tcp + 2}"]
        assert net.ok("port", "ranged", "81") == f"127.0.0.1:{tcp + 1}\n"
        assert until(lambda: http("127.0.0.1", tcp + 2, "/i") == "82\n")
        assert [http("127.0.0.1", tcp + k, "/i") for k in range(3)] == ["80\n", "81\n", "82\n"]
        assert until(lambda: _udp(udp + 1) == b"udp-ok\n")
    finally:
        net.ok("rm", "-f", "ranged")
    assert (veths(cid), nft_tagged(cid), leases(net, [cid])) == ([], 0, 0)


def test_publish_all_puts_every_exposed_port_on_a_free_host_port(net: Hullbox) -> None:
    source = net.ok("create", "bbmusl", "true").strip()
    net.ok("commit", "-c", "EXPOSE 80 53/udp", source, "bbexpose")
    net.ok("rm", source)
    cid = net.ok("run", "-d", "-P", "--name", "exposer", "bbexpose", "sh", "-c",
                 "nc -lk -u -p 53 -e echo udp-ok & exec httpd -f -p 80 -h /etc").strip()
    try:
        lines = net.ok("port", "exposer").splitlines()
        assert [line.split(" -> ")[0] for line in lines] == ["53/udp", "80/tcp"]
        udp, tcp = (int(line.rsplit(":", 1)[1]) for line in lines)
        assert until(lambda: http("127.0.0.1", tcp) == cid[:12] + "\n")
        assert until(lambda: _udp(udp) == b"udp-ok\n")
        ps = net.ok("ps", "--filter", "name=exposer", "--format", "{{.Ports}}")
        assert f"0.0.0.0:{tcp}->80/tcp" in ps and f"0.0.0.0:{udp}->53/udp" in ps
    finally:
        net.ok("rm", "-f", "exposer")


def test_a_taken_port_in_a_range_refuses_the_whole_run_with_nothing_made(
        net: Hullbox) -> None:
    first = free_port_block(3)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", first + 1))
        taken.listen()
        result = net("run", "-d", "--name", "clashing", "-p",
                     f"127.0.0.1:{first}-{first + 2}:80-82", "bbmusl", "sleep", "60")
    assert result.returncode == 125
    assert result.stderr == (f"hullbox: cannot publish port 127.0.0.1:{first + 1}/tcp: it is "
                             "already in use on this host; choose another host port "
                             "(-p OTHER:81)\n")
    assert "clashing" not in net.ok("ps", "-a", "--format", "{{.Names}}")
    rules = subprocess.run(["nft", "list", "table", "ip", "hullbox"], capture_output=True,
                           text=True, check=False).stdout
    assert f" {first} " not in rules and f" {first + 2} " not in rules
    # The ports that were free are free again.
    with socket.socket() as again:
        again.bind(("127.0.0.1", first))


def test_a_port_left_published_by_a_killed_container_is_taken_over(net: Hullbox) -> None:
    """A container whose keeper was killed (kill -9, a crash) leaves its DNAT
    element behind. The host port is free again, so the next container that
    gets it must publish it, not fail on nft's "File exists"."""
    port = free_port_block(1)
    stale = "0" * 64
    net.ok("run", "--rm", "bbmusl", "true")  # the table and its maps exist
    subprocess.run(["nft", "add", "element", "ip", "hullbox", "ports_ip",
                    f'{{ 127.0.0.1 . tcp . {port} comment "hullbox:{stale}" : '
                    '10.255.255.254 . 80 }'], check=True)
    try:
        cid = net.ok("run", "-d", "-p", f"127.0.0.1:{port}:80", "bbmusl", "sh", "-c",
                     "mkdir /w; echo fresh > /w/i; httpd -p 80 -h /w; exec sleep 300").strip()
        assert nft_tagged(stale) == 0 and nft_tagged(cid) == 1
        assert until(lambda: http("127.0.0.1", port, "/i") == "fresh\n")
        net.ok("rm", "-f", cid)
        assert nft_tagged(cid) == 0
    finally:
        if nft_tagged(stale):
            subprocess.run(["nft", "delete", "element", "ip", "hullbox", "ports_ip",
                            f"{{ 127.0.0.1 . tcp . {port} }}"], check=False)
