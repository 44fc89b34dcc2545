"""Rootless mode: an ordinary user (made for the test) runs `hullbox run --rm busybox id`."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .rootless_kit import User, ordinary_user, subids

pytestmark = pytest.mark.root

USER = f"hbxrl{os.getpid() % 100000}"


@pytest.fixture(scope="module")
def user(busybox_tar: Path) -> Iterator[User]:
    with ordinary_user(USER, busybox_tar) as made:
        yield made


def test_rootless_run_with_subordinate_ids(user: User) -> None:
    if not subids(user.name):
        pytest.skip("useradd gave the user no /etc/subuid range here")
    result = user.hullbox("run", "--rm", "busybox", "sh", "-c",
                          "id; cat /proc/self/uid_map; touch /f; chown 1000 /f && echo chowned")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("uid=0(root) gid=0(root)")
    assert lines[1].split() == ["0", str(user.uid), "1"]
    start, count = (int(n) for n in subids(user.name)[0].split(":")[1:])
    assert lines[2].split() == ["1", str(start), str(count)]
    assert lines[3] == "chowned"  # uid 1000 exists inside: the subordinate range
    store = user.home / ".local" / "share" / "hullbox"
    assert (store / "hullbox.db").is_file()
    assert os.stat(store).st_uid == user.uid
    assert list((store / "containers").iterdir()) == []  # --rm left nothing


def test_rootless_run_with_a_single_id(user: User) -> None:
    ranges = subids(user.name)
    for line in ranges:  # as on a host where the user has no range
        _, start, count = line.split(":")
        last = int(start) + int(count) - 1
        subprocess.run(["usermod", "--del-subuids", f"{start}-{last}",
                        "--del-subgids", f"{start}-{last}", user.name], check=True)
    try:
        result = user.hullbox("run", "--rm", "busybox", "sh", "-c",
                              "id -u; cat /proc/self/uid_map; touch /f; chown 1000 /f")
        lines = result.stdout.splitlines()
        assert lines[0] == "0" and lines[1].split() == ["0", str(user.uid), "1"]
        assert len(lines) == 2  # nothing else is mapped
        assert result.returncode == 1 and "Invalid argument" in result.stderr  # 1000 unmapped
        info = user.hullbox("info")
        assert "Rootless: yes" in info.stdout
        assert f"single id: root is uid {user.uid}" in info.stdout
    finally:
        for line in ranges:
            _, start, count = line.split(":")
            last = int(start) + int(count) - 1
            subprocess.run(["usermod", "--add-subuids", f"{start}-{last}",
                            "--add-subgids", f"{start}-{last}", user.name], check=True)


def test_rootless_limits_warn_once_and_info(user: User) -> None:
    result = user.hullbox("run", "--rm", "--memory", "64m", "--pids-limit", "50",
                          "busybox", "true")
    assert result.returncode == 0, result.stderr
    info = user.hullbox("info")
    assert "Rootless: yes" in info.stdout
    if "Cgroup Limits: delegated" in info.stdout:
        pytest.skip("the user's cgroup is delegated here: test_rootless_cgroups.py covers it")
    # Podman's behaviour on a cgroup v1 host: one warning, the limits dropped, exit 0
    assert result.stderr.count("\n") == 1
    assert "warning: rootless: cgroups are not delegated" in result.stderr
    assert "--memory and --pids-limit are ignored" in result.stderr
    assert info.stdout.count("WARNING: rootless: cgroups are not delegated") == 1
    detached = user.hullbox("run", "-d", "--name", "limited", "--cpus", "0.5", "busybox", "true")
    try:  # run -d warns too (from the command, not the monitor), and shows no limit
        assert detached.returncode == 0 and "--cpus is ignored" in detached.stderr
        assert user.ok("inspect", "-f", "{{.HostConfig.NanoCpus}}", "limited").strip() == "0"
    finally:
        user.hullbox("rm", "-f", "limited")


def test_rootless_exec_joins_the_container(user: User) -> None:
    cid = user.ok("run", "-d", "--name", "ex", "--hostname", "inside", "busybox",
                  "sleep", "60").strip()
    try:
        out = user.ok("exec", "ex", "sh", "-c", "id -u; hostname; cat /proc/self/uid_map; "
                      "ps -o pid,args").splitlines()
        assert out[0] == "0" and out[1] == "inside"
        assert out[2].split() == ["0", str(user.uid), "1"]  # the container's user namespace
        assert "1 sleep 60" in " ".join(out[3:])  # its pid namespace: sleep is PID 1
        if subids(user.name):  # uid 1000 exists inside only through the subordinate ids
            assert user.ok("exec", "-u", "1000", "ex", "id", "-u").strip() == "1000"
        user.ok("exec", "-d", "ex", "touch", "/detached")
        assert user.hullbox("exec", "ex", "test", "-e", "/detached").returncode == 0 or \
            user.hullbox("exec", "ex", "sh", "-c", "sleep 1; test -e /detached").returncode == 0
        missing = user.hullbox("exec", "ex", "no-such-command")
        assert missing.returncode == 127 and missing.stderr.count("\n") == 1
    finally:
        user.ok("rm", "-f", cid)
    gone = user.hullbox("exec", "ex", "true")
    assert gone.returncode == 125 and gone.stderr.startswith("hullbox: ")


def test_rootless_rm_removes_files_of_mapped_ids(user: User) -> None:
    if not subids(user.name):
        pytest.skip("useradd gave the user no /etc/subuid range here")
    cid = user.ok("run", "--name", "owned", "busybox", "sh", "-c",
                  "mkdir -p /d/e; touch /d/e/f; chown -R 1000:1000 /d; chmod 700 /d /d/e").strip()
    container_dir = user.store / "containers" / user.ok("inspect", "-f", "{{.Id}}", "owned"
                                                        ).strip()
    assert os.stat(container_dir / "upper" / "d").st_uid != user.uid  # a subordinate id
    assert cid == ""  # run in the foreground prints only the container's output
    assert user.ok("rm", "owned").strip() == "owned"
    assert not container_dir.exists()
    assert list((user.store / "containers").iterdir()) == []


def test_rootless_volume_rm_removes_files_of_mapped_ids(user: User) -> None:
    if not subids(user.name):
        pytest.skip("useradd gave the user no /etc/subuid range here")
    user.ok("run", "--rm", "-v", "owned:/data", "busybox", "sh", "-c",
            "mkdir /data/d; touch /data/d/f; chown -R 1000 /data/d; chmod 700 /data/d")
    assert user.ok("volume", "rm", "owned").strip() == "owned"
    assert not (user.store / "volumes" / "owned").exists()
    assert not any((user.store / "tmp").glob(".volume-*"))
