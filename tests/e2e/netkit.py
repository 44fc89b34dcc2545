"""What the network tests share: an image of musl busybox, free host ports
and subnets, and counters of what a container leaves behind.

Subnets are picked at random outside hullbox's own pool (10.89-10.127) and
checked against the host's routes, so parallel runs and other stores do not
collide on a fixed one.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import random
import shutil
import socket
import sqlite3
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import REPO_ROOT, Hullbox

MUSL_ROOTFS = REPO_ROOT.parent / "shared" / "corpora" / "rootfs" / \
    "busybox-1.38.0-musl-amd64-rootfs.tar.gz"


def musl_store(hullbox: Hullbox,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hullbox]:
    """The body of each network test module's ``net`` fixture: the session
    store with ``bbmusl`` imported; what the module's tests leave is removed."""
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


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("0.0.0.0", 0))
        return int(sock.getsockname()[1])


def free_port_block(count: int, kind: int = socket.SOCK_STREAM) -> int:
    """The first of ``count`` consecutive host ports free right now."""
    for _ in range(200):
        first = random.randrange(20000, 30000)
        socks = []
        try:
            for port in range(first, first + count):
                sock = socket.socket(socket.AF_INET, kind)
                socks.append(sock)
                sock.bind(("0.0.0.0", port))
            return first
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise AssertionError(f"no {count} consecutive free ports")


def _routes() -> list[tuple[int, int]]:
    found = []
    with open("/proc/net/route") as table:
        next(table)
        for line in table:
            fields = line.split()
            dest, mask = (int.from_bytes(bytes.fromhex(f), "little") for f in (fields[1],
                                                                               fields[7]))
            if mask:
                found.append((dest, mask))
    return found


def free_subnet() -> tuple[str, str]:
    """A /24 no route of the host overlaps, and its ``a.b.c.`` prefix."""
    for _ in range(200):
        second, third = random.randrange(128, 250), random.randrange(0, 256)
        base = (10 << 24) | (second << 16) | (third << 8)
        if all(base & mask & 0xFFFFFF00 != dest & mask & 0xFFFFFF00
               for dest, mask in _routes()):
            return f"10.{second}.{third}.0/24", f"10.{second}.{third}."
    raise AssertionError("no free /24 in 10.128.0.0/9")


def free_subnet6() -> str:
    """A random unique-local /64 (fdXX:...)."""
    a, b, c, d = (random.randrange(n) for n in (256, 65536, 65536, 65536))
    return str(ipaddress.IPv6Network(f"fd{a:02x}:{b:04x}:{c:04x}:{d:04x}::/64"))


def http(address: str, port: int, path: str = "/hostname") -> str:
    host = f"[{address}]" if ":" in address else address
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=3) as answer:
            return str(answer.read().decode())
    except OSError as exc:
        return f"error: {exc}"


def inspect(hullbox: Hullbox, name: str) -> dict[str, object]:
    return dict(json.loads(hullbox.ok("inspect", name))[0])


def veths(container_id: str) -> list[str]:
    return [p.name for p in Path("/sys/class/net").iterdir()
            if p.name.startswith(f"veth{container_id[:9]}")]


def nft_tagged(container_id: str) -> int:
    count = 0
    for family in ("ip", "ip6"):
        listing = subprocess.run(["nft", "-j", "list", "table", family, "hullbox"],
                                 capture_output=True, text=True, check=False).stdout
        count += listing.count(f"hullbox:{container_id}")
    return count


def leases(hullbox: Hullbox, container_ids: list[str]) -> int:
    with sqlite3.connect(hullbox.root / "hullbox.db") as db:
        marks = ",".join("?" * len(container_ids))
        held = db.execute(f"SELECT COUNT(*) FROM network_leases WHERE container_id IN "
                          f"({marks})", container_ids).fetchone()[0]
        ports = db.execute(f"SELECT COUNT(*) FROM published_ports WHERE container_id IN "
                           f"({marks})", container_ids).fetchone()[0]
    return int(held) + int(ports)
