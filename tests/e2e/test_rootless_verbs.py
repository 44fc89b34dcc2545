"""top, stats, pause, cp and logs of a rootless container, as the ordinary user types them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .rootless_kit import User, ordinary_user, subids

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


def test_rootless_network_create_is_refused(user: User) -> None:
    result = user.hullbox("network", "create", "mine")
    assert result.returncode == 125
    assert result.stderr.count("\n") == 1 and "--network slirp4netns" in result.stderr
    assert "mine" not in user.ok("network", "ls")


def test_rootless_rmi_removes_layers_with_files_of_mapped_ids(user: User) -> None:
    if not subids(user.name):
        pytest.skip("useradd gave the user no /etc/subuid range here")
    layers = user.store / "layers"
    before = set(layers.iterdir())
    user.ok("run", "--name", "owner", "busybox", "sh", "-c",
            "mkdir -p /d/e; touch /d/e/f; chown -R 1000:1000 /d; chmod 700 /d /d/e")
    user.ok("commit", "owner", "owned:latest")
    user.ok("rm", "owner")
    made = set(layers.iterdir()) - before
    assert made, "commit made no layer"
    assert any(os.stat(p).st_uid != user.uid for layer in made for p in layer.rglob("d"))
    assert "owned:latest" in user.ok("rmi", "owned:latest")
    assert set(layers.iterdir()) == before  # the committed layer is gone, files and all


def test_rootless_userns_auto_is_refused(user: User) -> None:
    for flags in (["--userns", "auto"], ["--uidmap", "0:100:1"]):
        result = user.hullbox("run", "--rm", "--name", "auto", *flags, "busybox", "id")
        assert result.returncode == 125, result.stderr
        assert result.stderr.count("\n") == 1 and f"rootless: {flags[0]}" in result.stderr
        assert "or run as root" in result.stderr
    assert user.ok("ps", "-a", "-q") == ""  # nothing was made
    assert list((user.store / "containers").iterdir()) == []
