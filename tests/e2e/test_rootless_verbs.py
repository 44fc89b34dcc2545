"""top, stats, pause, cp and logs of a rootless container, as the ordinary user types them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .rootless_kit import User, ordinary_user

pytestmark = pytest.mark.root

USER = f"hbxvb{os.getpid() % 100000}"


@pytest.fixture(scope="module")
def user(busybox_tar: Path) -> Iterator[User]:
    with ordinary_user(USER, busybox_tar) as made:
        yield made


@pytest.fixture
def running(user: User) -> Iterator[str]:
    user.ok("run", "-d", "--name", "verbs", "busybox", "sh", "-c",
            "echo started; echo oops >&2; exec sleep 300")
    yield "verbs"
    user.hullbox("rm", "-f", "verbs")


def test_rootless_top(user: User, running: str) -> None:
    lines = user.ok("top", running).splitlines()
    assert lines[0].split()[:3] == ["UID", "PID", "PPID"]
    assert [line for line in lines[1:] if line.endswith("sleep 300")], lines


def test_rootless_stats_no_stream(user: User, running: str) -> None:
    lines = user.ok("stats", "--no-stream", running).splitlines()
    assert lines[0].split()[:2] == ["CONTAINER", "ID"]
    assert len(lines) == 2 and running in lines[1], lines
    # without a cgroup of its own, counted from its processes: sleep, 1 process
    usage, pids = lines[1].split()[3], lines[1].split()[-1]
    assert pids == "1" and usage != "0B", lines


def test_rootless_pause_needs_a_delegated_freezer(user: User, running: str) -> None:
    result = user.hullbox("pause", running)
    assert result.returncode == 125
    assert result.stderr.count("\n") == 1, result.stderr
    assert "needs a cgroup v2 freezer delegated to the user" in result.stderr
    assert user.ok("inspect", "-f", "{{.State.Status}}", running).strip() == "running"
    unpause = user.hullbox("unpause", running)
    assert unpause.returncode == 125 and unpause.stderr.count("\n") == 1, unpause.stderr


def test_rootless_cp_both_ways(user: User, running: str) -> None:
    source = user.home / "to-container.txt"
    source.write_text("hello from the host\n")
    os.chown(source, user.uid, -1)
    user.ok("cp", str(source), f"{running}:/tmp/in.txt")
    assert user.ok("exec", running, "cat", "/tmp/in.txt") == "hello from the host\n"
    user.ok("exec", running, "sh", "-c", "mkdir /made && echo inside > /made/f")
    target = user.home / "out"
    user.ok("cp", f"{running}:/made", str(target))
    assert (target / "f").read_text() == "inside\n"
    assert os.stat(target / "f").st_uid == user.uid  # the user's file, not root's


def test_rootless_logs(user: User, running: str) -> None:
    result = user.hullbox("logs", running)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "started\n" and result.stderr == "oops\n"
