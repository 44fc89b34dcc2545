"""--group-add, --domainname, --annotation, --init, --link, --ip6 and
--link-local-ip as a user types them: ``id``, /proc, /etc/hosts, ``ip addr``
inside the container and ``inspect`` outside; bad values refused in one line."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox
from .netkit import free_subnet6
from .test_run_namespaces import _refused

pytestmark = pytest.mark.root


@pytest.fixture
def ident(hullbox: Hullbox) -> Iterator[Hullbox]:
    """The session store; the containers (``id-*``) and networks a test makes go after it."""
    yield hullbox
    for name in hullbox.ok("ps", "-a", "--format", "{{.Names}}").split():
        if name.startswith("id-"):
            hullbox("rm", "-f", name)
    for name in hullbox.ok("network", "ls", "--format", "{{.Name}}").split():
        if name.startswith("id-"):
            hullbox("network", "rm", name)


def _inspect(hullbox: Hullbox, name: str) -> dict[str, object]:
    return json.loads(hullbox.ok("inspect", name))[0]  # type: ignore[no-any-return]


def test_group_add_by_name_and_number(ident: Hullbox) -> None:
    out = ident.ok("run", "--name", "id-groups", "--group-add", "users", "--group-add", "1234",
                   "busybox", "id")
    assert out.strip() == "uid=0(root) gid=0(root) groups=0(root),100(users),1234"
    assert _inspect(ident, "id-groups")["HostConfig"]["GroupAdd"] == ["users", "1234"]  # type: ignore[index]
    as_user = ident.ok("run", "--rm", "-u", "33", "--group-add", "users", "busybox", "id", "-G")
    assert as_user.split() == ["33", "100"]


def test_domainname(ident: Hullbox) -> None:
    out = ident.ok("run", "--name", "id-domain", "-h", "web", "--domainname", "example.org",
                   "busybox", "sh", "-c", "hostname; cat /proc/sys/kernel/domainname")
    assert out.split() == ["web", "example.org"]
    assert _inspect(ident, "id-domain")["Config"]["Domainname"] == "example.org"  # type: ignore[index]


def test_annotation_in_inspect(ident: Hullbox) -> None:
    ident.ok("create", "--name", "id-annot", "--annotation", "org.example.team=storage",
             "--annotation", "empty=", "busybox", "true")
    host = _inspect(ident, "id-annot")["HostConfig"]
    assert host["Annotations"] == {"org.example.team": "storage", "empty": ""}  # type: ignore[index]
    plain = ident.ok("create", "--name", "id-plain", "busybox", "true").strip()
    assert "Annotations" not in _inspect(ident, plain)["HostConfig"]  # type: ignore[operator]


def test_init_runs_as_pid_1_and_forwards_signals(ident: Hullbox) -> None:
    if not any(Path(p).exists() for p in ("/usr/bin/docker-init", "/usr/bin/catatonit")):
        pytest.skip("no static init on this host (apt-get install catatonit)")
    out = ident.ok("run", "--rm", "--init", "busybox", "ps", "-o", "pid,args")
    assert "1 /sbin/docker-init -- ps -o pid,args" in " ".join(out.split())
    ident.ok("run", "-d", "--name", "id-init", "--init", "busybox", "sleep", "300")
    host = _inspect(ident, "id-init")["HostConfig"]
    assert host["Init"] is True  # type: ignore[index]
    # sleep as PID 1 ignores SIGTERM and would be killed (137); under the init it dies of it.
    ident.ok("stop", "-t", "30", "id-init")
    assert _inspect(ident, "id-init")["State"]["ExitCode"] == 143  # type: ignore[index]
    assert _inspect(ident, "id-init")["Path"] == "sleep"  # the command, not the init


@pytest.mark.network
def test_link_resolves_alias_and_name(ident: Hullbox) -> None:
    ident.ok("run", "-d", "--name", "id-db", "busybox", "sleep", "300")
    address = _inspect(ident, "id-db")["NetworkSettings"]["IPAddress"]  # type: ignore[index]
    out = ident.ok("run", "--name", "id-app", "--link", "id-db:db", "busybox", "sh", "-c",
                   "ping -c1 -W3 db >/dev/null && echo reached; "
                   "awk '$2 == \"db\" || $2 == \"id-db\"' /etc/hosts; echo $DB_NAME")
    lines = out.splitlines()
    assert lines[0] == "reached"
    assert lines[1].split() == [address, "db"]
    assert lines[2].split() == [address, "id-db"]
    assert lines[3] == "/id-app/db"
    assert _inspect(ident, "id-app")["HostConfig"]["Links"] == ["/id-db:/id-app/db"]  # type: ignore[index]


@pytest.mark.network
def test_ip6_and_link_local_ip(ident: Hullbox) -> None:
    if not Path("/proc/net/if_inet6").exists():
        pytest.skip("the kernel has IPv6 disabled")
    if shutil.which("nft") is None:
        pytest.skip("nft is not installed (apt-get install nftables)")
    subnet = free_subnet6()
    wanted = subnet.replace("::/64", "::42")
    ident.ok("network", "create", "--ipv6", "--subnet", subnet, "id-v6")
    out = ident.ok("run", "--rm", "--network", "id-v6", "--ip6", wanted,
                   "--link-local-ip", "169.254.20.20", "--link-local-ip", "fe80::2020",
                   "busybox", "ip", "addr", "show", "eth0")
    assert f"inet6 {wanted}/64 scope global" in out
    assert "inet 169.254.20.20/16" in out
    assert "inet6 fe80::2020/64 scope link" in out
    assert "not a usable address of network id-v6" in _refused(
        ident, "run", "--rm", "--network", "id-v6", "--ip6", "fd00:dead::1", "busybox", "true")


def test_bad_input(ident: Hullbox) -> None:
    ident.ok("create", "--name", "id-stopped", "busybox", "true")
    cases = {
        ("--group-add", "wheel"): "unable to find group wheel",
        ("--group-add", "a:b"): "invalid --group-add 'a:b'",
        ("--domainname", "bad_name!"): "invalid --domainname 'bad_name!'",
        ("--annotation", "novalue"): "invalid --annotation 'novalue': use KEY=VALUE",
        ("--link", "id-missing:db"): "--link id-missing:db: no such container: id-missing",
        ("--link", "id-stopped"): "container id-stopped is not running",
        ("--link", "a b"): "invalid --link 'a b'",
        ("--network", "none", "--link", "id-stopped"): "--link needs a bridge network",
        ("--ip6", "fd00::5"): "--ip6 works only on user-defined IPv6 networks",
        ("--ip6", "10.0.0.1"): "invalid --ip6 '10.0.0.1'",
        ("--link-local-ip", "10.0.0.1"): "not a link-local address",
        ("--link-local-ip", "nope"): "invalid --link-local-ip 'nope'",
        ("--network", "host", "--link-local-ip", "169.254.1.1"): "needs a bridge network",
    }
    for flags, message in cases.items():
        assert message in _refused(ident, "run", "--rm", *flags, "busybox", "true")
