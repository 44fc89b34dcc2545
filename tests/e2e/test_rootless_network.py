"""Rootless networking: an ordinary user's containers get slirp4netns (as with
Podman): 10.0.2.100 behind 10.0.2.2, ``-p`` forwarded from the host, the
host's loopback reachable only when asked for. Traffic goes to 127.0.0.1
and inside the slirp network only. The containers run the musl busybox of
the corpora (Debian's static busybox's wget crashes without NSS modules)."""

from __future__ import annotations

import gzip
import http.server
import os
import shutil
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import until
from .netkit import MUSL_ROOTFS, free_port
from .netkit import http as fetch
from .rootless_kit import User, ordinary_user

pytestmark = [pytest.mark.root, pytest.mark.network]

USER = f"hbxrn{os.getpid() % 100000}"


@pytest.fixture(scope="module")
def user(busybox_tar: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[User]:
    if shutil.which("slirp4netns") is None:
        pytest.skip("slirp4netns is not installed (scripts/install-system-deps.sh)")
    if stat.S_IMODE(os.stat("/dev/net/tun").st_mode) & 0o006 != 0o006:
        pytest.skip("/dev/net/tun is not open to ordinary users "
                    "(scripts/install-system-deps.sh makes it 0666, as udev does)")
    if not MUSL_ROOTFS.exists():
        pytest.skip(f"{MUSL_ROOTFS} is missing (the shared corpora)")
    tar = tmp_path_factory.mktemp("musl") / "bbmusl.tar"
    tar.write_bytes(gzip.decompress(MUSL_ROOTFS.read_bytes()))
    with ordinary_user(USER, busybox_tar) as made:
        made.ok("import", str(made.give(tar, "bbmusl.tar")), "bbmusl:latest")
        yield made
        for container in made.hullbox("ps", "-aq").stdout.split():
            made.hullbox("rm", "-f", container)


@pytest.fixture
def host_server(tmp_path: Path) -> Iterator[int]:
    """An HTTP server on the host's 127.0.0.1 only; its port."""
    (tmp_path / "index.html").write_text("hello from the host\n")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def _slirp_processes(container_id: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv[0].endswith(b"slirp4netns") and any(container_id.encode() in a
                                                        for a in argv):
                found.append(int(entry.name))
    return found


def test_default_network_is_slirp4netns(user: User) -> None:
    out = user.ok("run", "--rm", "bbmusl", "sh", "-c",
                  "ip -4 -o addr show tap0; ip route; cat /etc/resolv.conf")
    assert "inet 10.0.2.100/24" in out
    assert "default via 10.0.2.2 dev tap0" in out
    assert "nameserver 10.0.2.3" in out
    user.ok("create", "--name", "mode", "bbmusl", "true")
    mode = user.ok("inspect", "-f", "{{.HostConfig.NetworkMode}}", "mode")
    user.ok("rm", "mode")
    assert mode.strip() == "slirp4netns"


def test_host_loopback_only_when_allowed(user: User, host_server: int) -> None:
    url = f"http://10.0.2.2:{host_server}/index.html"
    closed = user.hullbox("run", "--rm", "bbmusl", "wget", "-q", "-T", "3", "-O-", url)
    assert closed.returncode == 1 and "unreachable" in closed.stderr, closed.stderr
    opened = user.ok("run", "--rm", "--network", "slirp4netns:allow_host_loopback=true",
                     "bbmusl", "wget", "-q", "-T", "3", "-O-", url)
    assert opened == "hello from the host\n"


def test_published_port_reaches_the_container(user: User) -> None:
    port = free_port()
    cid = user.ok("run", "-d", "--name", "web", "-p", f"127.0.0.1:{port}:80", "bbmusl",
                  "sh", "-c", "echo served > /www; exec httpd -f -p 80 -h /").strip()
    try:
        assert until(lambda: fetch("127.0.0.1", port, "/www") == "served\n"), \
            fetch("127.0.0.1", port, "/www")
        assert user.ok("port", "web").strip() == f"80/tcp -> 127.0.0.1:{port}"
        assert len(_slirp_processes(cid)) == 1
        # a second container cannot take the port while it is published
        taken = user.hullbox("run", "--rm", "-p", f"127.0.0.1:{port}:80", "bbmusl", "true")
        assert taken.returncode == 125 and "already in use" in taken.stderr
        assert taken.stderr.count("\n") == 1
    finally:
        user.ok("rm", "-f", "web")
    assert _slirp_processes(cid) == []
    assert not list(Path(f"/tmp/hullbox-{user.uid}/hullbox/netns").glob(f"{cid}*"))
    with socket.socket() as sock:  # free again (REUSEADDR: the test's own TIME_WAITs)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen()


def test_bad_network_input_is_one_line(user: User) -> None:
    cases = [("--network", "slirp4netns:speed=fast"), ("--network", "mynet"),
             ("-p", "[::1]:8080:80"), ("--network", "slirp4netns", "--ip", "10.0.2.5")]
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
        if int(f.read()) > 80:
            cases.append(("-p", "80:80"))
    for args in cases:
        result = user.hullbox("run", "--rm", *args, "bbmusl", "true")
        assert result.returncode == 125, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("hullbox: ")
    assert user.ok("ps", "-aq") == ""
