"""The resource flags of `run`/`create` and the `update` verb, as a user types
them: the values are read back inside the container (its cgroup files under
/sys/fs/cgroup, /proc/self/oom_score_adj) and from `inspect`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root

V2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
MIB = 1024 * 1024


def _cat(hullbox: Hullbox, flags: list[str], v1: str, v2: str) -> str:
    """A cgroup file read inside a container run with ``flags``."""
    path = f"/sys/fs/cgroup/{v2 if V2 else v1}"
    return hullbox.ok("run", "--rm", *flags, "busybox", "cat", path).strip()


def _root_disk() -> tuple[str, str]:
    """(/dev path, MAJ:MIN) of the disk holding / (a partition's disk is fine)."""
    dev = os.stat("/").st_dev
    numbers = f"{os.major(dev)}:{os.minor(dev)}"
    uevent = Path(f"/sys/dev/block/{numbers}/uevent")
    if not uevent.exists():
        pytest.skip(f"/ is not on a block device ({numbers})")
    name = dict(line.split("=", 1) for line in uevent.read_text().split())["DEVNAME"]
    return f"/dev/{name}", numbers


def test_cpu_flags_reach_the_cgroup(hullbox: Hullbox) -> None:
    flags = ["-c", "512", "--cpu-period", "50000", "--cpu-quota", "25000",
             "--cpuset-cpus", "0"]
    if V2:
        assert _cat(hullbox, flags, "", "cpu.max") == "25000 50000"
        assert _cat(hullbox, flags, "", "cpuset.cpus") == "0"
        return
    script = ("cd /sys/fs/cgroup && cat cpu/cpu.shares cpu/cpu.cfs_period_us "
              "cpu/cpu.cfs_quota_us cpuset/cpuset.cpus")
    out = hullbox.ok("run", "--rm", *flags, "busybox", "sh", "-c", script)
    assert out.split() == ["512", "50000", "25000", "0"]


def test_memory_flags_reach_the_cgroup(hullbox: Hullbox) -> None:
    flags = ["--memory", "32m", "--memory-swap", "64m", "--memory-reservation", "16m"]
    if V2:
        assert _cat(hullbox, flags, "", "memory.low") == str(16 * MIB)
        return
    if not Path("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes").exists():
        pytest.skip("the kernel accounts no swap (swapaccount=0): no memsw files")
    script = ("cd /sys/fs/cgroup/memory && cat memory.limit_in_bytes "
              "memory.memsw.limit_in_bytes memory.soft_limit_in_bytes")
    out = hullbox.ok("run", "--rm", *flags, "--memory-swappiness", "10", "--oom-kill-disable",
                     "busybox", "sh", "-c", script + " memory.swappiness memory.oom_control")
    lines = out.splitlines()
    assert lines[:4] == [str(32 * MIB), str(64 * MIB), str(16 * MIB), "10"]
    assert "oom_kill_disable 1" in lines


def test_unlimited_swap_and_the_default_of_twice_memory(hullbox: Hullbox) -> None:
    if V2:
        assert _cat(hullbox, ["-m", "32m", "--memory-swap", "-1"], "", "memory.swap.max") \
            == "max"
        assert _cat(hullbox, ["-m", "32m"], "", "memory.swap.max") == str(32 * MIB)
        return
    memsw = "memory/memory.memsw.limit_in_bytes"
    if not Path(f"/sys/fs/cgroup/{memsw}").exists():
        pytest.skip("the kernel accounts no swap (swapaccount=0): no memsw files")
    unlimited = _cat(hullbox, ["-m", "32m", "--memory-swap", "-1"], memsw, "")
    assert int(unlimited) > 2**62  # the kernel's "no limit", page-aligned
    assert _cat(hullbox, ["-m", "32m"], memsw, "") == str(64 * MIB)


def test_oom_score_adj_is_the_containers_process(hullbox: Hullbox) -> None:
    out = hullbox.ok("run", "--rm", "--oom-score-adj", "300", "busybox", "sh", "-c",
                     "cat /proc/1/oom_score_adj /proc/self/oom_score_adj")
    assert out.split() == ["300", "300"]
    assert hullbox.ok("run", "--rm", "busybox", "cat", "/proc/1/oom_score_adj").strip() == "0"


def test_device_cgroup_rule_allows_a_device(hullbox: Hullbox) -> None:
    if V2:
        pytest.skip("hullbox's runtime filters devices only through the v1 devices cgroup")
    # A loop device node made inside: mknod is allowed for any device, opening
    # it only for the devices of the allow list (docker's defaults plus rules).
    script = ("mknod /tmp/loop0 b 7 0 && dd if=/tmp/loop0 of=/dev/null bs=512 count=1 "
              "2>/tmp/err; echo $?; cat /tmp/err")
    denied = hullbox.ok("run", "--rm", "busybox", "sh", "-c", script)
    assert denied.splitlines()[0] == "1" and "Operation not permitted" in denied
    allowed = hullbox.ok("run", "--rm", "--device-cgroup-rule", "b 7:* r", "busybox",
                         "sh", "-c", script + "; cat /sys/fs/cgroup/devices/devices.list")
    assert allowed.splitlines()[0] == "0"
    assert "b 7:* r" in allowed.splitlines()


def test_block_io_weight_and_throttles(hullbox: Hullbox) -> None:
    path, numbers = _root_disk()
    flags = ["--device-read-bps", f"{path}:1mb", "--device-write-iops", f"{path}:100"]
    if V2:
        assert f"{numbers} rbps=1048576" in _cat(hullbox, flags, "", "io.max")
        return
    script = ("cd /sys/fs/cgroup/blkio && cat blkio.throttle.read_bps_device "
              "blkio.throttle.write_iops_device")
    out = hullbox.ok("run", "--rm", *flags, "busybox", "sh", "-c", script)
    assert out.splitlines() == [f"{numbers} 1048576", f"{numbers} 100"]
    weight = hullbox("run", "--rm", "--blkio-weight", "300", "busybox", "sh", "-c",
                     "cat /sys/fs/cgroup/blkio/blkio.weight 2>/dev/null || "
                     "cat /sys/fs/cgroup/blkio/blkio.bfq.weight")
    if weight.returncode == 125:  # no weight file: refused in one line, as docker warns
        assert len(weight.stderr.splitlines()) == 1 and "Block I/O weight" in weight.stderr
    else:
        assert weight.stdout.split()[-1] == "300"


def test_realtime_budget(hullbox: Hullbox) -> None:
    flags = ["--cpu-rt-period", "500000", "--cpu-rt-runtime", "20000"]
    if V2 or not Path("/sys/fs/cgroup/cpu/cpu.rt_runtime_us").exists():
        result = hullbox("run", "--rm", *flags, "busybox", "true")
        assert result.returncode == 125
        assert "does not support CPU real-time scheduler" in result.stderr
        assert len(result.stderr.splitlines()) == 1
        return
    out = hullbox.ok("run", "--rm", *flags, "busybox", "sh", "-c",
                     "cat /sys/fs/cgroup/cpu/cpu.rt_period_us /sys/fs/cgroup/cpu/cpu.rt_runtime_us")
    assert out.split() == ["500000", "20000"]
    budget = int(Path("/sys/fs/cgroup/cpu/cpu.rt_runtime_us").read_text())
    if 0 <= budget < 1_000_000:  # the host keeps some of each second from real-time tasks
        greedy = hullbox("run", "--rm", "--cpu-rt-runtime", "1000000", "busybox", "true")
        assert greedy.returncode == 125 and len(greedy.stderr.splitlines()) == 1
        assert "more real-time CPU than the host allows" in greedy.stderr


def test_cgroup_parent_holds_the_container(hullbox: Hullbox) -> None:
    parent = f"hbtest-{uuid.uuid4().hex[:8]}"
    cid = hullbox.ok("run", "-d", "--cgroup-parent", parent, "-m", "32m", "busybox",
                     "sleep", "60").strip()
    try:
        where = Path("/sys/fs/cgroup") / ("" if V2 else "memory") / parent / cid
        assert where.is_dir()
        assert (where / ("memory.max" if V2 else "memory.limit_in_bytes")).read_text() \
            .strip() == str(32 * MIB)
        shown = json.loads(hullbox.ok("inspect", cid))[0]["HostConfig"]["CgroupParent"]
        assert shown == parent
    finally:
        hullbox.ok("rm", "-f", cid)
        for directory in Path("/sys/fs/cgroup").glob(f"**/{parent}"):
            directory.rmdir()  # the parent stays, as with docker; this test made it
    assert not list(Path("/sys/fs/cgroup").glob(f"*/{parent}/{cid}"))


def test_inspect_shows_docker_fields(hullbox: Hullbox) -> None:
    path, _ = _root_disk()
    cid = hullbox.ok("create", "-c", "300", "--cpuset-cpus", "0", "--cpuset-mems", "0",
                     "--cpu-period", "20000", "--cpu-quota", "10000", "-m", "32m",
                     "--memory-swap", "96m", "--memory-reservation", "8m",
                     "--memory-swappiness", "5", "--oom-kill-disable", "--oom-score-adj", "10",
                     "--device-cgroup-rule", "c 1:3 mr", "--device-read-bps", f"{path}:2mb",
                     "--device-write-iops", f"{path}:50", "--cpu-count", "2", "busybox",
                     "true").strip()
    try:
        host = json.loads(hullbox.ok("inspect", cid))[0]["HostConfig"]
    finally:
        hullbox.ok("rm", cid)
    expected = {
        "CpuShares": 300, "CpusetCpus": "0", "CpusetMems": "0", "CpuPeriod": 20000,
        "CpuQuota": 10000, "Memory": 32 * MIB, "MemorySwap": 96 * MIB,
        "MemoryReservation": 8 * MIB, "MemorySwappiness": None if V2 else 5,
        "OomKillDisable": not V2, "OomScoreAdj": 10, "CgroupParent": "",
        "DeviceCgroupRules": ["c 1:3 mr"], "CpuCount": 2, "BlkioWeight": 0,
        "BlkioDeviceReadBps": [{"Path": path, "Rate": 2 * MIB}],
        "BlkioDeviceWriteIOps": [{"Path": path, "Rate": 50}],
    }
    assert {key: host[key] for key in expected} == expected


def test_windows_and_deprecated_flags_as_docker_treats_them_on_linux(hullbox: Hullbox) -> None:
    warned = hullbox("run", "--rm", "--cpu-percent", "50", "--kernel-memory", "64m",
                     "busybox", "echo", "ran")
    assert warned.returncode == 0 and warned.stdout == "ran\n"
    assert "linux does not support CPU percent. Percent discarded." in warned.stderr
    assert "kernel memory limit is deprecated" in warned.stderr


@pytest.mark.parametrize(("flags", "text"), [
    (["-m", "32m", "--memory-swap", "16m"], "memoryswap limit should be larger"),
    (["--memory-swap", "64m"], "always set the memory limit"),
    (["--cpuset-cpus", "4096"], "requested CPUs are not available"),
    (["--cpuset-mems", "0-x"], "invalid --cpuset-mems"),
    (["--cpus", "1", "--cpu-quota", "50000"], "Nano CPUs (--cpus) and CPU Quota"),
    (["--cpu-period", "10"], "CPU cfs period can not be less than 1ms"),
    (["--cpu-rt-period", "1000", "--cpu-rt-runtime", "2000"], "cannot be higher"),
    (["--blkio-weight", "5"], "range of blkio weight is from 10 to 1000"),
    (["--memory-swappiness", "101"], "valid memory swappiness range is 0-100"),
    (["--oom-score-adj", "1001"], "range for oom score adj is [-1000, 1000]"),
    (["--device-cgroup-rule", "c 1:3 x"], "invalid --device-cgroup-rule"),
    (["--device-read-bps", "/dev/hullbox-none:1mb"], "no such file or directory"),
    (["--device-write-bps", "/dev/null:1mb"], "not a block device"),
    (["--storage-opt", "size=1G"], "xfs with the 'pquota' mount option"),
    (["--gpus", "all"], "could not select device driver"),
    (["--io-maxbandwidth", "1m"], "does not support Maximum IO Bandwidth"),
    (["--cgroup-parent", "../../escape"], "invalid --cgroup-parent"),
])
def test_bad_resource_flags_are_one_line_and_leave_nothing(hullbox: Hullbox, flags: list[str],
                                                           text: str) -> None:
    before = hullbox.ok("ps", "-aq")
    for verb in ("run", "create"):
        result = hullbox(verb, *flags, "busybox", "true")
        assert result.returncode == 125, result.stderr
        assert text in result.stderr
        assert len(result.stderr.splitlines()) == 1, result.stderr
    assert hullbox.ok("ps", "-aq") == before


def _limits(hullbox: Hullbox, cid: str) -> list[str]:
    if V2:
        script = "cd /sys/fs/cgroup && cat memory.max cpu.weight cpu.max pids.max"
    else:
        script = ("cd /sys/fs/cgroup && cat memory/memory.limit_in_bytes cpu/cpu.shares "
                  "cpu/cpu.cfs_quota_us pids/pids.max")
    return hullbox.ok("exec", cid, "sh", "-c", script).split()


def test_update_changes_a_running_container_and_survives_restart(hullbox: Hullbox) -> None:
    cid = hullbox.ok("run", "-d", "-m", "32m", "-c", "256", "--cpus", "0.5", "busybox",
                     "sleep", "300").strip()
    try:
        out = hullbox.ok("update", "-m", "48m", "--memory-swap", "96m", "-c", "700",
                         "--cpus", "0.25", "--pids-limit", "40", "--restart", "on-failure:2",
                         cid)
        assert out == f"{cid}\n"
        expected = ([str(48 * MIB), "27", "25000 100000", "40"] if V2
                    else [str(48 * MIB), "700", "25000", "40"])
        assert _limits(hullbox, cid) == expected
        host = json.loads(hullbox.ok("inspect", cid))[0]["HostConfig"]
        assert (host["Memory"], host["MemorySwap"], host["CpuShares"], host["NanoCpus"],
                host["PidsLimit"], host["RestartPolicy"]) == (
            48 * MIB, 96 * MIB, 700, 250_000_000, 40,
            {"Name": "on-failure", "MaximumRetryCount": 2})
        hullbox.ok("restart", "-t", "1", cid)
        assert _limits(hullbox, cid) == expected
    finally:
        hullbox.ok("rm", "-f", cid)


def test_update_a_stopped_container_stores_the_values(hullbox: Hullbox) -> None:
    cid = hullbox.ok("create", "busybox", "sleep", "300").strip()
    try:
        # no memory limit yet: MemorySwap is 0, so --memory needs --memory-swap (as dockerd)
        hullbox.ok("update", "--memory", "40m", "--memory-swap", "80m", "--cpuset-cpus", "0",
                   cid)
        host = json.loads(hullbox.ok("inspect", cid))[0]["HostConfig"]
        assert (host["Memory"], host["CpusetCpus"]) == (40 * MIB, "0")
        hullbox.ok("start", cid)
        limit = "memory.max" if V2 else "memory/memory.limit_in_bytes"
        assert hullbox.ok("exec", cid, "cat", f"/sys/fs/cgroup/{limit}").strip() == \
            str(40 * MIB)
    finally:
        hullbox.ok("rm", "-f", cid)


def test_update_memory_keeps_the_swap_docker_set(hullbox: Hullbox) -> None:
    """dockerd stores MemorySwap as twice --memory when it was not given; a
    later ``update --memory`` keeps it and is refused above it."""
    cid = hullbox.ok("run", "-d", "-m", "32m", "busybox", "sleep", "300").strip()
    plain = hullbox.ok("create", "busybox", "true").strip()
    try:
        def memory() -> tuple[int, int]:
            host = json.loads(hullbox.ok("inspect", cid))[0]["HostConfig"]
            return host["Memory"], host["MemorySwap"]

        assert memory() == (32 * MIB, 64 * MIB)
        hullbox.ok("update", "-m", "48m", cid)
        assert memory() == (48 * MIB, 64 * MIB)
        if V2:
            swap = hullbox.ok("exec", cid, "cat", "/sys/fs/cgroup/memory.swap.max").strip()
            assert swap == str(16 * MIB)  # memory.swap.max is the swap alone
        for container in (cid, plain):  # above 64m; and above an unlimited container's 0
            result = hullbox("update", "-m", "65m", container)
            assert result.returncode == 125, result
            assert result.stderr.splitlines() == [
                "hullbox: memory limit should be smaller than already set memoryswap limit, "
                "update the memoryswap (--memory-swap) at the same time"]
        assert memory() == (48 * MIB, 64 * MIB)
    finally:
        hullbox.ok("rm", "-f", cid, plain)


def test_update_bad_input(hullbox: Hullbox) -> None:
    cid = hullbox.ok("run", "-d", "-m", "32m", "--memory-swap", "64m", "busybox",
                     "sleep", "300").strip()
    try:
        for flags, text in (
            ([], "provide one or more flags"),
            (["--cpuset-cpus", "4096"], "requested CPUs are not available"),
            (["-m", "128m"], "update the memoryswap"),
            (["--blkio-weight", "2"], "range of blkio weight"),
        ):
            result = hullbox("update", *flags, cid)
            assert result.returncode == 125, (flags, result.stderr)
            assert text in result.stderr and len(result.stderr.splitlines()) == 1
        missing = hullbox("update", "-m", "64m", "hullbox-no-such-container")
        assert missing.returncode != 0 and "no-such-container" in missing.stderr
        host = json.loads(hullbox.ok("inspect", cid))[0]["HostConfig"]
        assert (host["Memory"], host["CpusetCpus"]) == (32 * MIB, "")
    finally:
        hullbox.ok("rm", "-f", cid)


def _compose(hullbox: Hullbox, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*hullbox_command(), "compose", "-p", "trflags", *args],
                          cwd=directory, capture_output=True, text=True, timeout=120,
                          env=hullbox.env(), check=False)


def test_compose_resource_attributes_reach_the_container(hullbox: Hullbox,
                                                         tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: busybox\n    command: sleep 300\n"
        "    stop_signal: SIGKILL\n    cpu_shares: 640\n    cpuset: '0'\n"
        "    mem_limit: 32m\n    memswap_limit: 64m\n    oom_score_adj: 250\n"
        "    deploy: {resources: {reservations: {memory: 12m}}}\n")
    try:
        up = _compose(hullbox, tmp_path, "up", "-d")
        assert up.returncode == 0, up.stderr
        adj = _compose(hullbox, tmp_path, "exec", "web", "cat", "/proc/1/oom_score_adj")
        assert adj.stdout.strip() == "250"
        low = "memory.low" if V2 else "memory/memory.soft_limit_in_bytes"
        shown = _compose(hullbox, tmp_path, "exec", "web", "cat", f"/sys/fs/cgroup/{low}")
        assert shown.stdout.strip() == str(12 * MIB)
        host = json.loads(hullbox.ok("inspect", "trflags-web-1"))[0]["HostConfig"]
        assert (host["CpuShares"], host["CpusetCpus"], host["MemorySwap"],
                host["MemoryReservation"]) == (640, "0", 64 * MIB, 12 * MIB)
    finally:
        _compose(hullbox, tmp_path, "down", "-t", "0")


def test_compose_gpus_are_refused_in_one_line(hullbox: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web: {image: busybox, command: sleep 300, gpus: all}\n")
    up = _compose(hullbox, tmp_path, "up", "-d")
    assert up.returncode == 125
    assert len(up.stderr.splitlines()) == 1 and "could not select device driver" in up.stderr
    assert hullbox.ok("ps", "-aq", "--filter",
                      "label=com.docker.compose.project=trflags") == ""


def test_rootless_drops_the_limits_it_cannot_set_with_one_warning(busybox_tar: Path) -> None:
    from .rootless_kit import ordinary_user

    with ordinary_user(f"hbxrf{os.getpid() % 100000}", busybox_tar) as user:
        result = user.hullbox("run", "--rm", "-c", "512", "--cpuset-cpus", "0",
                              "--oom-score-adj", "100", "busybox", "cat",
                              "/proc/self/oom_score_adj")
        assert result.returncode == 0, result.stderr
        assert result.stdout == "100\n"  # raising the score needs no privilege
        warnings = [line for line in result.stderr.splitlines() if "rootless: the cgroup" in line]
        assert len(warnings) == 1 and "run hullbox as root" in warnings[0]


def test_the_same_limits_on_runc(hullbox: Hullbox) -> None:
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed (apt-get install runc)")
    if V2:
        script = "cat /proc/1/oom_score_adj /sys/fs/cgroup/cpuset.cpus /sys/fs/cgroup/memory.low"
    else:
        script = ("cat /proc/1/oom_score_adj /sys/fs/cgroup/cpuset/cpuset.cpus "
                  "/sys/fs/cgroup/memory/memory.soft_limit_in_bytes")
    out = hullbox.ok("run", "--rm", "--runtime", "runc", "--oom-score-adj", "300",
                     "--cpuset-cpus", "0", "-m", "32m", "--memory-reservation", "16m",
                     "busybox", "sh", "-c", script)
    assert out.split() == ["300", "0", str(16 * MIB)]
