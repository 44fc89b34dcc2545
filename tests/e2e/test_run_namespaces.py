"""--ipc, --pid, --uts, --cgroupns and --shm-size as a user types them,
checked from inside the container (/proc, /dev/shm, hostname) and in
``inspect``; bad values refused in one line with nothing left behind."""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, refused
from .storecheck import mounts_under

pytestmark = pytest.mark.root


@pytest.fixture
def ns(hullbox: Hullbox) -> Iterator[Hullbox]:
    """The session store; the containers a test names ``ns-*`` are removed after it."""
    yield hullbox
    for name in hullbox.ok("ps", "-a", "--format", "{{.Names}}").split():
        if name.startswith("ns-"):
            hullbox("rm", "-f", name)


def _inspect(hullbox: Hullbox, name: str) -> dict[str, object]:
    return json.loads(hullbox.ok("inspect", name))[0]  # type: ignore[no-any-return]


def _host_config(hullbox: Hullbox, name: str) -> dict[str, object]:
    return _inspect(hullbox, name)["HostConfig"]  # type: ignore[return-value]


def test_pid_host_sees_the_hosts_processes(ns: Hullbox) -> None:
    script = f"test -d /proc/{os.getpid()} && echo sees-pytest; cat /proc/1/comm; echo"
    out = ns.ok("run", "--rm", "--pid", "host", "busybox", "sh", "-c", script)
    assert out.split() == ["sees-pytest", Path("/proc/1/comm").read_text().strip()]
    own = ns.ok("run", "--rm", "busybox", "sh", "-c", script)
    assert own.split() == ["sh"]  # its own namespace: PID 1 is the shell


def test_pid_container_shares_the_process_list(ns: Hullbox) -> None:
    ns.ok("run", "-d", "--name", "ns-pida", "busybox", "sleep", "300")
    out = ns.ok("run", "--rm", "--name", "ns-pidb", "--pid", "container:ns-pida", "busybox",
                "ps", "-o", "pid,args")
    assert "1 sleep 300" in " ".join(out.split())
    ns.ok("create", "--name", "ns-pidc", "--pid", "container:ns-pida", "busybox", "true")
    assert _host_config(ns, "ns-pidc")["PidMode"] == "container:ns-pida"
    assert _host_config(ns, "ns-pida")["PidMode"] == ""


def test_ipc_container_shares_sysv_namespace_and_dev_shm(ns: Hullbox) -> None:
    store = ns.root
    ns.ok("run", "-d", "--name", "ns-ipca", "--ipc", "shareable", "busybox", "sh", "-c",
          "echo from-a > /dev/shm/note; touch /dev/mqueue/queue-a; exec sleep 300")
    donor = ns.ok("exec", "ns-ipca", "readlink", "/proc/self/ns/ipc").strip()
    out = ns.ok("run", "--rm", "--ipc", "container:ns-ipca", "busybox", "sh", "-c",
                "cat /dev/shm/note; ls /dev/mqueue; readlink /proc/self/ns/ipc; "
                "echo from-b > /dev/shm/reply")
    assert out.split() == ["from-a", "queue-a", donor]
    assert ns.ok("exec", "ns-ipca", "cat", "/dev/shm/reply").strip() == "from-b"
    assert _host_config(ns, "ns-ipca")["IpcMode"] == "shareable"
    shm = [m for m in mounts_under(store) if m.endswith("/shm")]
    assert len(shm) == 1  # the shareable /dev/shm lives on the host while a runs
    ns.ok("stop", "-t", "0", "ns-ipca")
    assert not [m for m in mounts_under(store) if m.endswith("/shm")]


def test_ipc_host_none_and_private(ns: Hullbox) -> None:
    mark = f"ns-{uuid.uuid4().hex[:8]}"
    Path("/dev/shm", mark).write_text("host")
    try:
        out = ns.ok("run", "--rm", "--ipc", "host", "busybox", "sh", "-c",
                    f"readlink /proc/self/ns/ipc; cat /dev/shm/{mark}")
    finally:
        Path("/dev/shm", mark).unlink()
    assert out.split() == [os.readlink("/proc/self/ns/ipc"), "host"]
    private = ns.ok("run", "--rm", "busybox", "readlink", "/proc/self/ns/ipc").strip()
    assert private != os.readlink("/proc/self/ns/ipc")
    result = ns("run", "--rm", "--ipc", "none", "busybox", "ls", "/dev/shm")
    assert result.returncode == 1 and "No such file or directory" in result.stderr


def test_shm_size(ns: Hullbox) -> None:
    out = ns.ok("run", "--rm", "--name", "ns-shm", "--shm-size", "10m", "busybox",
                "df", "-k", "/dev/shm")
    assert out.splitlines()[1].split()[1] == "10240"
    for default in ([], ["--shm-size", "0"]):  # 0 is Docker's "the default"
        out = ns.ok("run", "--rm", *default, "busybox", "df", "-k", "/dev/shm")
        assert out.splitlines()[1].split()[1] == "65536"
    ns.ok("create", "--name", "ns-shm2", "--shm-size", "1g", "busybox", "true")
    assert _host_config(ns, "ns-shm2")["ShmSize"] == 1 << 30


def test_uts_host_has_the_hosts_name(ns: Hullbox) -> None:
    assert ns.ok("run", "--rm", "--uts", "host", "busybox", "hostname").strip() == \
        socket.gethostname()
    ns.ok("create", "--name", "ns-uts", "--uts", "host", "busybox", "true")
    assert _host_config(ns, "ns-uts")["UTSMode"] == "host"


def test_cgroupns_private_and_host(ns: Hullbox) -> None:
    lines = ns.ok("run", "--rm", "--cgroupns", "private", "busybox", "cat",
                  "/proc/self/cgroup").split()
    assert lines and all(line.endswith(":/") for line in lines)
    container = ns.ok("create", "--name", "ns-cg", "--cgroupns", "host", "busybox",
                      "cat", "/proc/self/cgroup").strip()
    out = ns.ok("start", "-a", "ns-cg")
    assert f"/hullbox/{container}" in out
    assert _host_config(ns, "ns-cg")["CgroupnsMode"] == "host"


def _refused(hullbox: Hullbox, *args: str) -> str:
    """Exit 125, one line, and no container row or mount left."""
    rows = hullbox.ok("ps", "-aq")
    mounts = mounts_under(hullbox.root)
    line = refused(hullbox, *args)
    assert hullbox.ok("ps", "-aq") == rows
    assert mounts_under(hullbox.root) == mounts
    return line


def test_bad_input(ns: Hullbox) -> None:
    ns.ok("run", "-d", "--name", "ns-private", "busybox", "sleep", "300")
    ns.ok("create", "--name", "ns-stopped", "busybox", "true")
    cases = {
        ("--ipc", "bogus"): "invalid --ipc 'bogus': use none, private, shareable, host",
        ("--ipc", "container:"): "name the container",
        ("--ipc", "container:ns-nope"): "--ipc container:ns-nope: no such container",
        ("--ipc", "container:ns-private"): "IPC is private, not shareable; run ns-private "
                                           "with --ipc shareable",
        ("--ipc", "container:ns-stopped"): "container ns-stopped is not running",
        ("--pid", "private"): "invalid --pid 'private': use host or container:NAME",
        ("--pid", "container:ns-stopped"): "container ns-stopped is not running; start it",
        ("--uts", "private"): "invalid --uts 'private': use host",
        ("--uts", "host", "-h", "x"): "conflicting options: --uts host",
        ("--cgroupns", "shared"): "invalid --cgroupns 'shared': use host, private",
        ("--shm-size", "lots"): "invalid --shm-size 'lots'",
        ("--shm-size", "10m", "--ipc", "host"): "with --ipc host it has none",
    }
    for flags, message in cases.items():
        assert message in _refused(ns, "run", "--rm", *flags, "busybox", "true")
    assert "is not running" in _refused(ns, "create", "--pid", "container:ns-stopped",
                                        "busybox", "true")
