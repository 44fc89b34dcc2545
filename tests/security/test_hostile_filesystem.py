"""Attacks on /proc, /sys, devices and the root filesystem from a default
container: each fails with the error a user would see, and the host is unchanged."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import Hullbox, Isolation

pytestmark = pytest.mark.root


def _sh(hullbox: Hullbox, isolation: Isolation, script: str,
        *flags: str) -> tuple[int, str, str]:
    result = hullbox("run", "--rm", *isolation, *flags, "busybox", "sh", "-c", script)
    return result.returncode, result.stdout, result.stderr

# Every attack runs twice (the isolation fixture): in a default container and
# in one with --userns auto.


def test_proc_sysrq_trigger_and_kernel_sysctls_are_read_only(hullbox: Hullbox,
                                                             isolation: Isolation) -> None:
    core_pattern = Path("/proc/sys/kernel/core_pattern").read_text()
    code, out, _ = _sh(hullbox, isolation,
                       "echo '|/tmp/pwn' > /proc/sys/kernel/core_pattern || echo refused1;"
                       "echo c > /proc/sysrq-trigger || echo refused2")
    assert code == 0 and out.split() == ["refused1", "refused2"]
    assert Path("/proc/sys/kernel/core_pattern").read_text() == core_pattern


def test_sys_is_read_only(hullbox: Hullbox, isolation: Isolation) -> None:
    target = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    if not target.exists():
        pytest.skip(f"{target} does not exist on this kernel")
    before = target.read_text()
    chosen = before.split("[")[1].split("]")[0]  # write the current value: harmless if it lands
    code, _, err = _sh(hullbox, isolation, f"echo {chosen} > {target}")
    assert code != 0 and "Read-only file system" in err
    assert target.read_text() == before


def test_proc_kcore_gives_nothing(hullbox: Hullbox, isolation: Isolation) -> None:
    code, out, _ = _sh(hullbox, isolation, "head -c 64 /proc/kcore 2>/dev/null | wc -c")
    assert (code, out.strip()) == (0, "0")


def _host_disk() -> tuple[int, int]:
    """major, minor of a block device of this host (the first in /proc/partitions)."""
    for line in Path("/proc/partitions").read_text().splitlines()[2:]:
        major, minor, _blocks, _name = line.split()
        return int(major), int(minor)
    return 8, 0


def test_mknod_of_a_host_disk_cannot_be_read(hullbox: Hullbox, isolation: Isolation) -> None:
    major, minor = _host_disk()
    code, out, err = _sh(hullbox, isolation, f"mknod /tmp/disk b {major} {minor} && echo made; "
                                  "head -c 512 /tmp/disk | wc -c")
    if isolation:  # no device nodes at all in a user namespace other than the host's
        assert out.split() == ["0"]
    else:  # the node exists; the device cgroup refuses it
        assert out.split() == ["made", "0"]
    assert "Operation not permitted" in err


def test_host_processes_are_invisible_and_unreachable(hullbox: Hullbox,
                                                      isolation: Isolation) -> None:
    me = os.getpid()
    code, out, err = _sh(hullbox, isolation,
                         f"ls /proc | grep -c '^[0-9]'; kill -0 {me} || echo refused")
    assert code == 0
    count, verdict = out.split()
    assert int(count) <= 3 and verdict == "refused"  # sh, ls and grep: nothing of the host's


def test_read_only_root_cannot_be_made_writable(hullbox: Hullbox, isolation: Isolation) -> None:
    code, out, err = _sh(hullbox, isolation, "touch /pwned || echo refused1; "
                                  "mount -o remount,rw / || echo refused2; "
                                  "touch /pwned || echo refused3", "--read-only")
    assert out.split() == ["refused1", "refused2", "refused3"]
    assert "Read-only file system" in err


def test_kernel_modules_cannot_be_loaded(hullbox: Hullbox, isolation: Isolation) -> None:
    code, _, err = _sh(hullbox, isolation, "insmod /bin/busybox")
    assert code != 0 and "Operation not permitted" in err


def test_a_size_limited_tmpfs_cannot_fill_the_host(hullbox: Hullbox, isolation: Isolation) -> None:
    code, out, err = _sh(hullbox, isolation, "df -k /tmp | tail -1; "
                                  "dd if=/dev/zero of=/tmp/fill bs=1k count=8192 2>&1; "
                                  "ls -l /tmp/fill", "--tmpfs", "/tmp:size=1m")
    size_kb = int(out.splitlines()[0].split()[1])
    assert size_kb == 1024  # the container's /tmp is its own 1 MiB tmpfs
    assert "No space left on device" in out
    written = int(out.splitlines()[-1].split()[4])
    assert written <= 1024 * 1024  # the write stopped at the limit, in memory, not on the host
