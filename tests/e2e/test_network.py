"""Networks as a user types them, with real traffic: published TCP and UDP
ports from the host, container to container by name, isolation between user
networks, bad input refused with nothing left behind.

Traffic goes only to 127.0.0.1 and to addresses on the bridges these tests
make. The containers run busybox built against musl (from the corpora): the
Debian static busybox's wget crashes without NSS modules and its nc has no -u.
"""

from __future__ import annotations

import gzip
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import REPO_ROOT, Hullbox

pytestmark = [pytest.mark.root, pytest.mark.network]

MUSL_ROOTFS = REPO_ROOT.parent / "shared" / "corpora" / "rootfs" / \
    "busybox-1.38.0-musl-amd64-rootfs.tar.gz"


@pytest.fixture(scope="module")
def net(hullbox: Hullbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hullbox]:
    """The session store with ``bbmusl`` imported; what a test leaves is removed."""
    if shutil.which("nft") is None:
        pytest.skip("nft is not installed (apt-get install nftables)")
    if not MUSL_ROOTFS.exists():
        pytest.skip(f"{MUSL_ROOTFS} is missing (the shared corpora)")
    tar = tmp_path_factory.mktemp("musl") / "bbmusl.tar"
    tar.write_bytes(gzip.decompress(MUSL_ROOTFS.read_bytes()))
    hullbox.ok("import", str(tar), "bbmusl:latest")
    yield hullbox
    for container in hullbox("ps", "-aq", "--no-trunc").stdout.split():
        hullbox("rm", "-f", container)
    for name in hullbox.ok("network", "ls", "--format", "{{.Name}}").split():
        if name != "bridge":
            hullbox("network", "rm", name)


def _free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("0.0.0.0", 0))
        return int(sock.getsockname()[1])


def _until(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _http(address: str, port: int, path: str = "/hostname") -> str:
    try:
        with urllib.request.urlopen(f"http://{address}:{port}{path}", timeout=3) as answer:
            return str(answer.read().decode())
    except OSError as exc:
        return f"error: {exc}"


def _inspect(hullbox: Hullbox, name: str) -> dict[str, object]:
    return dict(json.loads(hullbox.ok("inspect", name))[0])


def _veths(container_id: str) -> list[str]:
    return [p.name for p in Path("/sys/class/net").iterdir()
            if p.name.startswith(f"veth{container_id[:9]}")]


def _nft_tagged(container_id: str) -> int:
    listing = subprocess.run(["nft", "-j", "list", "table", "ip", "hullbox"],
                             capture_output=True, text=True, check=False).stdout
    return listing.count(f"hullbox:{container_id}")


def _leases(hullbox: Hullbox, container_ids: list[str]) -> int:
    import sqlite3

    with sqlite3.connect(hullbox.root / "hullbox.db") as db:
        marks = ",".join("?" * len(container_ids))
        leases = db.execute(f"SELECT COUNT(*) FROM network_leases WHERE container_id IN "
                            f"({marks})", container_ids).fetchone()[0]
        ports = db.execute(f"SELECT COUNT(*) FROM published_ports WHERE container_id IN "
                           f"({marks})", container_ids).fetchone()[0]
    return int(leases) + int(ports)


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
    net.ok("network", "create", "fixednet", "--subnet", "10.126.77.0/24",
           "--gateway", "10.126.77.254")
    script = ("ip -4 addr show eth0 | grep -o 'inet [0-9./]*'; cat /sys/class/net/eth0/address;"
              " grep -w h /etc/hosts; grep nameserver /etc/resolv.conf; ip route | grep default")
    out = net.ok("run", "--rm", "--network", "fixednet", "--ip", "10.126.77.9",
                 "--mac-address", "02:42:aa:bb:cc:dd", "--add-host", "h:1.2.3.4",
                 "--dns", "10.126.77.53", "bbmusl", "sh", "-c", script)
    assert out.splitlines() == ["inet 10.126.77.9/24", "02:42:aa:bb:cc:dd", "1.2.3.4\th",
                                "nameserver 10.126.77.53",
                                "default via 10.126.77.254 dev eth0 "]
    net.ok("run", "-d", "--name", "keeper", "--network", "fixednet", "--ip", "10.126.77.9",
           "bbmusl", "httpd", "-f", "-p", "80", "-h", "/etc")
    taken = net("run", "--rm", "--network", "fixednet", "--ip", "10.126.77.9", "bbmusl", "true")
    assert taken.returncode == 125 and "10.126.77.9 is already in use" in taken.stderr
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
