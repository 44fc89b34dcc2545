"""run_container end to end, asked from inside the container (crun's style)."""
# ruff: noqa: F811  (pytest fixtures imported from runtime_fixtures)

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest
from runtime_fixtures import MakeBundle, busybox_rootfs, make_bundle  # noqa: F401

from hullbox.errors import CommandNotFound, CommandNotInvokable
from hullbox.runtime.run import ExitStatus, run_container

pytestmark = pytest.mark.root

DOCKER_CAPS = "00000000a80425fb"


def run(bundle: Path, tmp_path: Path, cid: str = "t1", stdin: int | None = None,
        **kwargs: Any) -> tuple[ExitStatus, str]:
    """Run to the end; output (stdout+stderr) as bytes decoded, \r kept."""
    out = tmp_path / f"{cid}.out"
    with open(out, "wb") as f:
        status = run_container(bundle, cid, state_root=tmp_path / "state", stdin=stdin,
                               stdout=f.fileno(), stderr=f.fileno(), **kwargs)
    assert not (tmp_path / "state" / cid).exists()
    assert not list(Path("/sys/fs/cgroup").glob(f"*/hullbox/{cid}"))
    return status, out.read_bytes().decode()


def sh(script: str) -> list[str]:
    return ["sh", "-c", script]


def test_output_and_exit_code(make_bundle: MakeBundle, tmp_path: Path) -> None:
    status, out = run(make_bundle(sh("echo hello; echo err >&2; exit 3")), tmp_path)
    assert out == "hello\nerr\n"
    assert status == ExitStatus(3, None, False)


def test_killed_by_signal_is_128_plus_n(make_bundle: MakeBundle, tmp_path: Path) -> None:
    status, _ = run(make_bundle(["sleep", "30"]), tmp_path,
                    on_start=lambda pid: os.kill(pid, signal.SIGKILL))
    assert status == ExitStatus(137, signal.SIGKILL, False)


def test_identity_inside(make_bundle: MakeBundle, tmp_path: Path) -> None:
    bundle = make_bundle(sh("echo $$; hostname; grep -E 'Cap(Eff|Bnd|Inh|Amb)' "
                            "/proc/self/status; id; pwd"), hostname="box")
    status, out = run(bundle, tmp_path)
    assert status.exit_code == 0
    assert out.splitlines() == ["1", "box", "CapInh:\t0000000000000000",
                                f"CapEff:\t{DOCKER_CAPS}", f"CapBnd:\t{DOCKER_CAPS}",
                                "CapAmb:\t0000000000000000",
                                "uid=0(root) gid=0(root)", "/"]


def test_non_root_user(make_bundle: MakeBundle, tmp_path: Path) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [100]}
        spec["process"]["cwd"] = "/home/u"

    status, out = run(make_bundle(sh("id; grep CapEff /proc/self/status; pwd"), edit),
                      tmp_path)
    lines = out.splitlines()
    assert lines[0].startswith("uid=1000 gid=1000 groups=100")
    assert lines[1:] == ["CapEff:\t0000000000000000", "/home/u"]
    assert status.exit_code == 0


def test_readonly_root_and_paths(make_bundle: MakeBundle, tmp_path: Path) -> None:
    bundle = make_bundle(sh("touch /x 2>&1; echo 1 > /proc/sys/kernel/hostname 2>&1; "
                            "wc -c < /proc/keys; ls /proc/acpi | wc -l; touch /dev/shm/ok && "
                            "echo shm-ok"), readonly=True)
    status, out = run(bundle, tmp_path)
    lines = out.splitlines()
    assert lines[0] == "touch: /x: Read-only file system"
    assert "Read-only file system" in lines[1]
    assert lines[2:] == ["0", "0", "shm-ok"]
    assert status.exit_code == 0


def test_limits_visible_and_enforced(make_bundle: MakeBundle, tmp_path: Path) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["linux"]["cgroupsPath"] = "/hullbox/limits"
        spec["linux"]["resources"]["memory"] = {"limit": 64 << 20}
        spec["linux"]["resources"]["pids"] = {"limit": 5}

    seen: dict[str, str] = {}
    r, w = os.pipe()

    def on_start(pid: int) -> None:
        # the container blocks reading its stdin until we have looked
        for name in ("memory/hullbox/limits/memory.limit_in_bytes",
                     "pids/hullbox/limits/pids.max"):
            seen[name] = Path("/sys/fs/cgroup", name).read_text().strip()
        seen["procs"] = Path("/sys/fs/cgroup/pids/hullbox/limits/cgroup.procs").read_text()
        seen["pid"] = str(pid)
        os.close(w)

    script = ("read x; cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
              "/sys/fs/cgroup/pids/pids.max; "
              "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1 & done")
    try:
        status, out = run(make_bundle(sh(script), edit), tmp_path, cid="limits", stdin=r,
                          on_start=on_start)
    finally:
        os.close(r)
    assert seen["memory/hullbox/limits/memory.limit_in_bytes"] == str(64 << 20)
    assert seen["pids/hullbox/limits/pids.max"] == "5"
    assert seen["procs"].split() == [seen["pid"]]
    lines = out.splitlines()
    assert lines[:2] == [str(64 << 20), "5"], out
    assert status.exit_code != 0
    assert "can't fork" in out  # the pids limit stopped the fork bomb


def test_network_namespace_has_only_lo_up(make_bundle: MakeBundle, tmp_path: Path) -> None:
    status, out = run(make_bundle(sh("ls /sys/class/net; cat /sys/class/net/lo/flags")),
                      tmp_path)
    assert out.splitlines() == ["lo", "0x9"]  # IFF_UP | IFF_LOOPBACK


def test_command_not_found(make_bundle: MakeBundle, tmp_path: Path) -> None:
    with pytest.raises(CommandNotFound, match=r'exec "nosuch": executable file not found'):
        run(make_bundle(["nosuch"]), tmp_path)
    with pytest.raises(CommandNotFound, match=r'exec "/nosuch": no such file or directory'):
        run(make_bundle(["/nosuch"]), tmp_path)
    with pytest.raises(CommandNotInvokable, match=r'exec "/etc": permission denied'):
        run(make_bundle(["/etc"]), tmp_path)
    assert not (tmp_path / "state" / "t1").exists()
    assert not list(Path("/sys/fs/cgroup").glob("*/hullbox/t1"))


def test_no_mounts_left_behind(make_bundle: MakeBundle, tmp_path: Path,
                               busybox_rootfs: Path) -> None:
    bundle = make_bundle(["true"])

    def ours() -> list[str]:
        # Only mounts of this test's own paths: other stores' containers may
        # come and go on the machine meanwhile.
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
        return [line for line in lines
                if str(tmp_path) in line or str(bundle) in line or str(busybox_rootfs) in line]

    before = ours()
    run(bundle, tmp_path)
    assert ours() == before
    assert not any(str(busybox_rootfs) in line for line in ours())


def test_terminal_mode(make_bundle: MakeBundle, tmp_path: Path) -> None:
    bundle = make_bundle(sh("tty; echo $TERM; ls -l /dev/console | cut -c1"), terminal=True)
    status, out = run(bundle, tmp_path)
    assert out.split("\n") == ["/dev/pts/0\r", "xterm\r", "c\r", ""]
    assert status.exit_code == 0


def test_ctrl_c_reaches_the_container_through_the_pty(make_bundle: MakeBundle,
                                                      tmp_path: Path) -> None:
    r, w = os.pipe()
    done = threading.Event()

    def press_ctrl_c() -> None:
        while not done.wait(0.1):
            os.write(w, b"\x03")

    bundle = make_bundle(sh("trap 'echo got INT; exit 7' INT; while :; do sleep 0.05; done"),
                         terminal=True)
    out = tmp_path / "out"
    thread = threading.Thread(target=press_ctrl_c)
    try:
        with open(out, "wb") as f:
            status = run_container(bundle, "ctrlc", state_root=tmp_path / "state", stdin=r,
                                   stdout=f.fileno(), on_start=lambda _pid: thread.start())
    finally:
        done.set()
        thread.join()
        os.close(r)
        os.close(w)
    assert "got INT" in out.read_text()
    assert status.exit_code == 7
