"""``hullbox-runtime exec``: a process joins a running container, asked from
inside; and the same exec requests through runc give the same answers."""
# ruff: noqa: F811  (pytest fixtures imported from runtime_fixtures)

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from runtime_fixtures import REPO, MakeBundle, busybox_rootfs, make_bundle, runc  # noqa: F401

pytestmark = pytest.mark.root

HULLBOX_RUNTIME = [sys.executable, "-c", "import sys; from hullbox.runtime.cli import main; "
                   "main(sys.argv[1:])"]
NAMESPACES = "for n in cgroup ipc mnt net pid uts; do readlink /proc/$n/ns/$n; done"

Runtime = Callable[..., subprocess.CompletedProcess[str]]


def _runtime(cmd: list[str], root: Path, bundle: Path) -> Runtime:
    def call(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        # a detached container (and exec -d) keeps the stdio it was given:
        # a pipe would never reach EOF
        detached = "-d" in args
        output = subprocess.DEVNULL if detached else subprocess.PIPE
        return subprocess.run([*cmd, "--root", str(root), *args], cwd=bundle,
                              stdin=subprocess.DEVNULL, stdout=output, stderr=output, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO / "src")},
                              timeout=timeout, check=False)
    return call


@pytest.fixture
def container(make_bundle: MakeBundle, tmp_path: Path) -> Iterator[Runtime]:
    """A running container (sleep as PID 1) under hullbox-runtime."""
    bundle = make_bundle(["sleep", "60"], hostname="box")
    hr = _runtime(HULLBOX_RUNTIME, tmp_path / "hb", bundle)
    assert hr("run", "-d", "c1").returncode == 0
    yield hr
    hr("delete", "--force", "c1")


def test_exec_joins_every_namespace_and_the_cgroup(container: Runtime) -> None:
    parts = ["hostname", "cat /proc/1/cmdline", "cat /proc/self/cgroup", "cat /proc/1/cgroup",
             NAMESPACES.replace("/proc/$n/", "/proc/self/"),
             NAMESPACES.replace("/proc/$n/", "/proc/1/")]
    result = container("exec", "c1", "sh", "-c", "; echo ==; ".join(parts))
    assert result.returncode == 0, result.stderr
    hostname, init_cmd, own_cgroup, init_cgroup, own_ns, init_ns = result.stdout.split("==")
    assert hostname.strip() == "box"  # the container's uts namespace
    assert init_cmd.strip().startswith("sleep")  # pid 1 is the container's
    assert own_cgroup.strip() == init_cgroup.strip() != ""
    assert own_ns.split() == init_ns.split() and len(own_ns.split()) == 6


def test_exit_codes_user_env_cwd(container: Runtime) -> None:
    assert container("exec", "c1", "sh", "-c", "exit 7").returncode == 7
    missing = container("exec", "c1", "nosuch")
    assert missing.returncode == 127
    assert 'exec "nosuch": executable file not found in $PATH' in missing.stderr
    assert container("exec", "c1", "/etc/passwd").returncode == 126
    out = container("exec", "-u", "1000:100", "-e", "X=1", "--cwd", "/tmp", "c1",
                    "sh", "-c", "id -u; id -g; echo $X; pwd").stdout
    assert out.split() == ["1000", "100", "1", "/tmp"]


def test_exec_with_a_process_file(container: Runtime, tmp_path: Path) -> None:
    process = {"args": ["sh", "-c", "echo $GREETING from $(pwd) as $(id -u)"],
               "env": ["PATH=/bin", "GREETING=hi"], "cwd": "/etc", "user": {"uid": 33, "gid": 33},
               "terminal": False}
    path = tmp_path / "process.json"
    path.write_text(json.dumps(process))
    result = container("exec", "--process", str(path), "c1")
    assert (result.returncode, result.stdout) == (0, "hi from /etc as 33\n")


def test_detached_exec_runs_inside(container: Runtime, tmp_path: Path) -> None:
    pid_file = tmp_path / "exec.pid"
    result = container("exec", "-d", "--pid-file", str(pid_file), "c1", "sleep", "30")
    assert result.returncode == 0, result.stderr
    pid = int(pid_file.read_text())
    with open(f"/proc/{pid}/status") as status:
        nspid = next(line for line in status if line.startswith("NSpid:")).split()
    assert len(nspid) >= 3 and nspid[-1] != nspid[1]  # a pid inside the container too
    listing = container("exec", "c1", "ps").stdout
    assert "sleep 30" in listing


def test_stopped_container_is_refused(container: Runtime) -> None:
    container("kill", "c1", "KILL")
    deadline = time.monotonic() + 10
    while "stopped" not in container("state", "c1").stdout and time.monotonic() < deadline:
        time.sleep(0.05)
    result = container("exec", "c1", "true")
    assert result.returncode != 0
    assert "is not running" in result.stderr


DENY_MKDIR = {"defaultAction": "SCMP_ACT_ALLOW",
              "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}


def test_exec_is_confined_by_the_container_seccomp_profile(make_bundle: MakeBundle,
                                                         runc: str, tmp_path: Path) -> None:
    def edit(spec: dict[str, object]) -> None:
        spec["linux"]["seccomp"] = DENY_MKDIR  # type: ignore[index]

    bundle = make_bundle(["sleep", "60"], edit=edit)
    outputs = []
    for name, cmd in (("runc", [runc]), ("hb", HULLBOX_RUNTIME)):
        rt = _runtime(cmd, tmp_path / name, bundle)
        assert rt("run", "-d", "s1").returncode == 0
        try:
            result = rt("exec", "s1", "sh", "-c",
                        "grep Seccomp: /proc/self/status; mkdir /made; echo $?")
            outputs.append((result.returncode, result.stdout))
        finally:
            rt("delete", "--force", "s1")
    assert outputs[1][1].split()[:2] == ["Seccomp:", "2"]  # filtered
    assert outputs[1][1].split()[-1] == "1"  # mkdir refused
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("probe", [
    "hostname; id; pwd; echo $PATH",
    "grep -E 'Cap(Eff|Bnd|Prm|Inh|Amb)|NoNewPrivs|Seccomp' /proc/self/status",
    "ls /sys/class/net; mount | grep -v cgroup | sort",
    "nosuch",
])
def test_same_as_runc_exec(probe: str, make_bundle: MakeBundle, runc: str,
                           tmp_path: Path) -> None:
    bundle = make_bundle(["sleep", "60"], hostname="probe", cgroupns=False)
    outputs = []
    for name, cmd in (("runc", [runc]), ("hb", HULLBOX_RUNTIME)):
        rt = _runtime(cmd, tmp_path / name, bundle)
        assert rt("run", "-d", "p1").returncode == 0
        try:
            result = rt("exec", "p1", "sh", "-c", probe)
            outputs.append((result.returncode, result.stdout))
        finally:
            rt("delete", "--force", "p1")
    assert outputs[0] == outputs[1]
