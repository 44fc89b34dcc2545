"""``network create --internal`` and ``--ip-range``, with real traffic.

"Outside" is a network namespace this test makes, joined to the host by a
veth pair on a free subnet, with a web server in it: a container on an
ordinary network reaches it (forwarded and masqueraded by the host); one on
an internal network has no route out, and still none when it adds one.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, until
from .netkit import free_subnet, http, musl_store

pytestmark = [pytest.mark.root, pytest.mark.network]


@pytest.fixture(scope="module")
def net(hullbox: Hullbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hullbox]:
    yield from musl_store(hullbox, tmp_path_factory)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture
def outside(tmp_path: Path) -> Iterator[str]:
    """The address of a web server in a namespace of this test's own,
    routed from the host; /hostname answers "outside"."""
    if not Path("/bin/busybox").exists():
        pytest.skip("busybox-static is not installed (apt-get install busybox-static)")
    tag = uuid.uuid4().hex[:8]
    ns, host_side = f"hbt-out-{tag}", f"hbto{tag}"
    _subnet, prefix = free_subnet()
    (tmp_path / "hostname").write_text("outside\n")
    _ip("netns", "add", ns)
    server = None
    try:
        _ip("link", "add", host_side, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _ip("addr", "add", f"{prefix}1/24", "dev", host_side)
        _ip("link", "set", host_side, "up")
        _ip("-n", ns, "addr", "add", f"{prefix}2/24", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        server = subprocess.Popen(["ip", "netns", "exec", ns, "/bin/busybox", "httpd", "-f",
                                   "-p", "80", "-h", str(tmp_path)])
        assert until(lambda: http(f"{prefix}2", 80) == "outside\n")
        yield f"{prefix}2"
    finally:
        if server is not None:
            server.kill()
            server.wait()
        subprocess.run(["ip", "link", "del", host_side], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


def test_an_internal_network_has_no_way_out_and_publishes_nothing(
        net: Hullbox, outside: str) -> None:
    fetch = f"wget -qO- -T 3 http://{outside}/hostname"
    net.ok("network", "create", "opennet")
    assert net.ok("run", "--rm", "--network", "opennet", "bbmusl", "sh", "-c",
                  fetch) == "outside\n"

    net.ok("network", "create", "--internal", "closednet")
    assert net.ok("network", "inspect", "-f", "{{.Internal}}", "closednet") == "true\n"
    routes = net.ok("run", "--rm", "--network", "closednet", "bbmusl", "ip", "route")
    assert "default" not in routes
    blocked = net("run", "--rm", "--network", "closednet", "bbmusl", "sh", "-c", fetch)
    assert blocked.returncode != 0
    # A route added from inside changes nothing: the host forwards nothing out.
    gateway = json.loads(net.ok("network", "inspect", "closednet"))[0]["IPAM"]["Config"][0][
        "Gateway"]
    forced = net("run", "--rm", "--cap-add", "NET_ADMIN", "--network", "closednet", "bbmusl",
                 "sh", "-c", f"ip route add default via {gateway} && {fetch}")
    assert forced.returncode != 0 and "outside" not in forced.stdout
    # Inside the network containers still talk to each other.
    net.ok("run", "-d", "--name", "inner", "--network", "closednet", "bbmusl", "httpd", "-f",
           "-p", "80", "-h", "/etc")
    inner = net.ok("inspect", "-f", "{{.Id}}", "inner").strip()
    assert net.ok("run", "--rm", "--network", "closednet", "bbmusl", "wget", "-qO-", "-T", "3",
                  "http://inner/hostname") == inner[:12] + "\n"

    refused = net("run", "--rm", "--network", "closednet", "-p", "80", "bbmusl", "true")
    assert refused.returncode == 125
    assert refused.stderr == ("hullbox: network closednet is internal: it publishes no ports; "
                              "drop -p/-P, or also connect a network that is not --internal\n")
    net.ok("rm", "-f", "inner")
    net.ok("network", "rm", "opennet", "closednet")


def test_ip_range_hands_out_addresses_from_its_part_of_the_subnet(net: Hullbox) -> None:
    subnet, prefix = free_subnet()
    net.ok("network", "create", "--subnet", subnet, "--ip-range", f"{prefix}128/26",
           "rangenet")
    config = net.ok("network", "inspect", "-f", "{{json .IPAM.Config}}", "rangenet")
    assert f'"IPRange":"{prefix}128/26"' in config  # compact, as Go's json
    script = "ip -4 addr show eth0 | grep -o 'inet [0-9.]*'"
    assert net.ok("run", "--rm", "--network", "rangenet", "bbmusl", "sh", "-c",
                  script) == f"inet {prefix}128\n"
    # --ip may still pick any address of the subnet.
    assert net.ok("run", "--rm", "--network", "rangenet", "--ip", f"{prefix}7", "bbmusl",
                  "sh", "-c", script) == f"inet {prefix}7\n"
    for args, message in [
        (["--ip-range", f"{prefix}0/25"], "--ip-range needs --subnet"),
        (["--subnet", "10.1.2.0/24", "--ip-range", "10.1.0.0/25"],
         "--ip-range 10.1.0.0/25 is not inside subnet 10.1.2.0/24"),
    ]:
        result = net("network", "create", *args, "badrange")
        assert result.returncode == 125 and result.stderr == f"hullbox: {message}\n"
    assert "badrange" not in net.ok("network", "ls")
    net.ok("network", "rm", "rangenet")
