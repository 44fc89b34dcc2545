"""Networks as a user types them, with real traffic: published TCP and UDP
ports from the host, container to container by name, isolation between user
networks, bad input refused with nothing left behind.

Traffic goes only to 127.0.0.1 and to addresses on the bridges these tests
make. The containers run busybox built against musl (from the corpora): the
Debian static busybox's wget crashes without NSS modules and its nc has no -u.
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox
from .conftest import until as _until
from .netkit import free_port as _free_port
from .netkit import free_subnet, musl_store
from .netkit import http as _http
from .netkit import inspect as _inspect
from .netkit import leases as _leases
from .netkit import nft_tagged as _nft_tagged
from .netkit import veths as _veths

pytestmark = [pytest.mark.root, pytest.mark.network]


@pytest.fixture(scope="module")
def net(hullbox: Hullbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hullbox]:
    yield from musl_store(hullbox, tmp_path_factory)


def test_published_ports_reach_the_container_from_the_host(net: Hullbox) -> None:
    tcp, local, udp = _free_port(), _free_port(), _free_port(socket.SOCK_DGRAM)
    web = net.ok("run", "-d", "--name", "web", "-p", f"{tcp}:80", "-p", f"127.0.0.1:{local}:80",
                 "-p", f"{udp}:53/udp", "-p", "80", "bbmusl", "sh", "-c",
                 "nc -lk -u -p 53 -e echo udp-ok & exec httpd -f -p 80 -h /etc").strip()
    try:
        lines = net.ok("port", "web").splitlines()
        assert f"80/tcp -> 0.0.0.0:{tcp}" in lines
        assert f"80/tcp -> 127.0.0.1:{local}" in lines
        assert f"53/udp -> 0.0.0.0:{udp}" in lines
        free = [line for line in lines if line.startswith("80/tcp -> 0.0.0.0:")
                and not line.endswith(f":{tcp}")]
        assert len(free) == 1
        any_port = int(free[0].rsplit(":", 1)[1])
        assert f"0.0.0.0:{tcp}->80/tcp" in net.ok("ps", "--format", "{{.Ports}}")

        hostname = web[:12] + "\n"
        assert _until(lambda: _http("127.0.0.1", tcp) == hostname), _http("127.0.0.1", tcp)
        assert _http("127.0.0.1", local) == hostname
        assert _http("127.0.0.1", any_port) == hostname
        gateway = str(_inspect(net, "web")["NetworkSettings"]["Gateway"])  # type: ignore[index]
        assert _http(gateway, tcp) == hostname  # the host's other address

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(3)
            sock.sendto(b"ping\n", ("127.0.0.1", udp))
            assert sock.recvfrom(64)[0] == b"udp-ok\n"

        # Hairpin: another container on the default bridge, through the host port.
        out = net.ok("run", "--rm", "bbmusl", "wget", "-qO-", "-T", "3",
                     f"http://{gateway}:{tcp}/hostname")
        assert out == hostname
    finally:
        net.ok("rm", "-f", "web")
    assert _http("127.0.0.1", tcp).startswith("error")
    assert (_veths(web), _nft_tagged(web), _leases(net, [web])) == ([], 0, 0)


def test_a_port_taken_on_the_host_is_refused_with_nothing_made(net: Hullbox) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = net("run", "-d", "--name", "clash", "-p", f"{port}:80", "bbmusl", "true")
    assert result.returncode == 125
    assert result.stderr == (f"hullbox: cannot publish port 0.0.0.0:{port}/tcp: it is already "
                             "in use on this host; choose another host port (-p OTHER:80)\n")
    assert "clash" not in net.ok("ps", "-a", "--format", "{{.Names}}")


def test_bad_network_input_is_one_line_and_exit_125(net: Hullbox) -> None:
    cases = [
        (["run", "--rm", "--network", "nosuchnet", "bbmusl", "true"],
         "network nosuchnet not found"),
        (["run", "--rm", "-p", "80:x", "bbmusl", "true"], "container port 'x'"),
        (["run", "--rm", "--network", "none", "-p", "80", "bbmusl", "true"],
         "-p and -P need a bridge network"),
        (["network", "create", "bad", "--subnet", "10.1.2.3/24"], "host bits are set"),
        (["network", "rm", "bridge"], "predefined network"),
    ]
    for args, message in cases:
        result = net(*args)
        assert result.returncode == 125, (args, result.stderr)
        assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_user_networks_resolve_names_and_are_isolated(net: Hullbox) -> None:
    net.ok("network", "create", "appnet")
    net.ok("network", "create", "othernet")
    subnet = json.loads(net.ok("network", "inspect", "appnet"))[0]["IPAM"]["Config"][0]
    overlap = net("network", "create", "clashnet", "--subnet", subnet["Subnet"])
    assert overlap.returncode == 125 and "overlaps" in overlap.stderr
    net.ok("run", "-d", "--name", "db", "--network", "appnet", "--network-alias", "database",
           "bbmusl", "httpd", "-f", "-p", "80", "-h", "/etc")
    db_ip = _inspect(net, "db")["NetworkSettings"]["Networks"]["appnet"]["IPAddress"]  # type: ignore[index]
    fetch = "wget -qO- -T 3 http://db/hostname && wget -qO- -T 3 http://database/hostname"
    out = net.ok("run", "--rm", "--network", "appnet", "bbmusl", "sh", "-c", fetch)
    db_id = _inspect(net, "db")["Id"]
    assert out == f"{str(db_id)[:12]}\n" * 2

    # No way from othernet to appnet, by address; no name either.
    cross = net("run", "--rm", "--network", "othernet", "bbmusl", "wget", "-qO-", "-T", "2",
                f"http://{db_ip}/hostname")
    assert cross.returncode != 0
    nameless = net("run", "--rm", "--network", "othernet", "bbmusl", "wget", "-qO-", "-T", "2",
                   "http://db/hostname")
    assert nameless.returncode != 0
    # The default bridge has no name resolution, as in Docker.
    assert net("run", "--rm", "bbmusl", "wget", "-qO-", "-T", "2",
               "http://db/hostname").returncode != 0

    # Joining othernet's container to appnet makes db reachable, by name too.
    net.ok("run", "-d", "--name", "roamer", "--network", "othernet", "bbmusl", "sh", "-c",
           "until wget -qO- -T 1 http://db/hostname; do sleep 0.2; done; sleep 60")
    net.ok("network", "connect", "--alias", "wanderer", "appnet", "roamer")
    assert _until(lambda: net.ok("logs", "roamer") == f"{str(db_id)[:12]}\n")
    hosts = (net.root / "containers" / str(db_id) / "hosts").read_text()
    assert "wanderer" in hosts  # db's hosts file was rewritten when roamer joined
    net.ok("network", "disconnect", "appnet", "roamer")
    assert "wanderer" not in (net.root / "containers" / str(db_id) / "hosts").read_text()

    refused = net("network", "rm", "appnet")
    assert refused.returncode == 125 and "containers use it (db)" in refused.stderr
    net.ok("rm", "-f", "db", "roamer")
    assert net.ok("network", "rm", "appnet", "othernet") == "appnet\nothernet\n"


def test_ip_mac_hosts_dns_and_container_mode(net: Hullbox) -> None:
    subnet, prefix = free_subnet()
    net.ok("network", "create", "fixednet", "--subnet", subnet, "--gateway", prefix + "254")
    script = ("ip -4 addr show eth0 | grep -o 'inet [0-9./]*'; cat /sys/class/net/eth0/address;"
              " grep -w h /etc/hosts; grep nameserver /etc/resolv.conf; ip route | grep default")
    out = net.ok("run", "--rm", "--network", "fixednet", "--ip", prefix + "9",
                 "--mac-address", "02:42:aa:bb:cc:dd", "--add-host", "h:1.2.3.4",
                 "--dns", prefix + "53", "bbmusl", "sh", "-c", script)
    assert out.splitlines() == [f"inet {prefix}9/24", "02:42:aa:bb:cc:dd", "1.2.3.4\th",
                                f"nameserver {prefix}53",
                                f"default via {prefix}254 dev eth0 "]
    net.ok("run", "-d", "--name", "keeper", "--network", "fixednet", "--ip", prefix + "9",
           "bbmusl", "httpd", "-f", "-p", "80", "-h", "/etc")
    taken = net("run", "--rm", "--network", "fixednet", "--ip", prefix + "9", "bbmusl", "true")
    assert taken.returncode == 125 and f"{prefix}9 is already in use" in taken.stderr
    shared = net.ok("run", "--rm", "--network", "container:keeper", "bbmusl", "wget", "-qO-",
                    "-T", "3", "http://127.0.0.1/hostname")
    assert shared == str(_inspect(net, "keeper")["Id"])[:12] + "\n"
    assert net.ok("run", "--rm", "--network", "none", "bbmusl", "ls",
                  "/sys/class/net") == "lo\n"
    net.ok("rm", "-f", "keeper")
    net.ok("network", "rm", "fixednet")


@pytest.mark.slow
def test_fifty_parallel_containers_get_distinct_addresses_and_leave_nothing(
        net: Hullbox) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def start(index: int) -> subprocess.CompletedProcess[str]:
        return net("run", "-d", "--name", f"many{index}", "-p", "80", "bbmusl",
                   "sleep", "300", timeout=300)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(start, range(50)))
    ids = [r.stdout.strip() for r in results if r.returncode == 0]
    assert len(ids) == 50, [r.stderr for r in results if r.returncode]
    addresses = [json.loads(net.ok("inspect", i))[0]["NetworkSettings"]["IPAddress"]
                 for i in ids]
    assert len(set(addresses)) == 50
    assert sum(len(_veths(i)) for i in ids) == 50
    net.ok("rm", "-f", *ids, timeout=600)
    assert sum(len(_veths(i)) for i in ids) == 0
    assert sum(_nft_tagged(i) for i in ids) == 0
    assert _leases(net, ids) == 0
    assert not any(Path(f"/run/hullbox/netns/{i}").exists() for i in ids)
