"""Rootless containers in a delegated cgroup v2 subtree, made here as systemd's
Delegate= makes one: a cgroup dir whose cgroup.procs, cgroup.subtree_control
and cgroup.threads belong to the user, with the user's shell started in it."""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hullbox.runtime.cgroup_delegation import v2_mount

from .rootless_kit import User, ordinary_user

pytestmark = pytest.mark.root

USER = f"hbxcg{os.getpid() % 100000}"


@pytest.fixture(scope="module")
def user(busybox_tar: Path) -> Iterator[User]:
    with ordinary_user(USER, busybox_tar) as made:
        yield made


def _remove_cgroup(directory: Path) -> None:
    """rmdir the tree bottom up; processes still in it go back to the root
    cgroup. A process of the test that is still exiting keeps a cgroup busy
    for a moment after it leaves cgroup.procs, so that is waited out."""
    root_procs = Path(v2_mount() or "/sys/fs/cgroup") / "cgroup.procs"
    for child in [p for p in directory.iterdir() if p.is_dir()]:
        _remove_cgroup(child)
    deadline = time.monotonic() + 10
    while True:
        for pid in (directory / "cgroup.procs").read_text().split():
            with contextlib.suppress(OSError):
                root_procs.write_text(pid)
        try:
            directory.rmdir()
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                raise
        time.sleep(0.1)


@pytest.fixture
def delegated(user: User) -> Iterator[Path]:
    """A v2 cgroup delegated to the user, its commands started in it; removed after."""
    mount = v2_mount()
    if mount is None:
        pytest.skip("no cgroup v2 mount here (/sys/fs/cgroup or /sys/fs/cgroup/unified)")
    directory = Path(mount) / f"hbx-delegated-{os.getpid()}"
    directory.mkdir()
    try:
        for path in (directory, *(directory / name for name in (
                "cgroup.procs", "cgroup.subtree_control", "cgroup.threads"))):
            os.chown(path, user.uid, user.uid)
        user.cgroup = directory
        yield directory
    finally:
        user.cgroup = None
        _remove_cgroup(directory)


def _children(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.is_dir())


def test_container_cgroup_is_a_child_of_the_delegated_one(user: User, delegated: Path) -> None:
    info = user.ok("info")
    assert "Cgroup Limits: delegated (v2: " in info
    cid = user.ok("run", "-d", "--name", "cg", "busybox", "sleep", "60").strip()
    try:
        pid = user.ok("inspect", "-f", "{{.State.Pid}}", "cg").strip()
        own = [line for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines()
               if line.startswith("0::")]
        assert own == [f"0::/{delegated.name}/hullbox-{cid}"]
        assert os.stat(delegated / f"hullbox-{cid}").st_uid == user.uid  # the user made it
        assert "sleep 60" in user.ok("top", "cg")  # found through that cgroup
        user.ok("pause", "cg")  # the v2 freezer of a cgroup the user made
        assert (delegated / f"hullbox-{cid}" / "cgroup.freeze").read_text() == "1\n"
        assert user.ok("inspect", "-f", "{{.State.Status}}", "cg").strip() == "paused"
        user.ok("unpause", "cg")
        assert (delegated / f"hullbox-{cid}" / "cgroup.freeze").read_text() == "0\n"
        # inside, a cgroup namespace rooted at its own cgroup
        assert "0::/" in user.ok("exec", "cg", "cat", "/proc/self/cgroup").splitlines()
    finally:
        user.ok("rm", "-f", "cg")
    assert _children(delegated) == []  # rm removed it
    out = user.ok("run", "--rm", "busybox", "cat", "/proc/self/cgroup")
    assert "0::/" in out.splitlines()
    assert _children(delegated) == []  # --rm removed it


def test_limit_of_an_undelegated_controller_warns_once(user: User, delegated: Path) -> None:
    available = (delegated / "cgroup.controllers").read_text().split()
    if "memory" in available:
        pytest.skip("the memory controller is delegated here: --memory applies")
    result = user.hullbox("run", "--rm", "--memory", "64m", "busybox", "true")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert ("hullbox: warning: rootless: the memory controller is not delegated to this "
            "user's cgroup, so --memory is ignored") in result.stderr
    assert _children(delegated) == []
    info = user.ok("info")
    assert "WARNING: rootless: the memory" in info and "--memory" in info
