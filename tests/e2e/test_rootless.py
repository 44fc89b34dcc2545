"""Rootless mode: an ordinary user (made for the test) runs `hullbox run --rm busybox id`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import REPO_ROOT, hullbox_command

pytestmark = pytest.mark.root

USER = f"hbxrl{os.getpid() % 100000}"


@dataclass
class User:
    name: str
    uid: int
    home: Path

    def hullbox(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {"HOME": str(self.home), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
               "PYTHONPATH": str(REPO_ROOT / "src")}
        return subprocess.run(["runuser", "-u", self.name, "--", "env", "-i",
                               *(f"{k}={v}" for k, v in env.items()),
                               *hullbox_command(), *args],
                              capture_output=True, text=True, timeout=timeout, check=False,
                              cwd="/")


def _subids(name: str) -> list[str]:
    try:
        return [line for line in Path("/etc/subuid").read_text().splitlines()
                if line.startswith(name + ":")]
    except OSError:
        return []


@pytest.fixture(scope="module")
def user(tmp_path_factory: pytest.TempPathFactory, busybox_tar: Path) -> Iterator[User]:
    if os.geteuid() != 0:
        pytest.skip("needs root to make a user for the test")
    for tool in ("useradd", "userdel", "runuser", "newuidmap"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (passwd, util-linux, uidmap)")
    for part in Path(sys.executable).resolve().parents:
        if not os.access(part, os.X_OK):  # pragma: no cover - depends on the checkout
            pytest.skip(f"{part} is not enterable by other users: the user cannot run hullbox")
    subprocess.run(["useradd", "-m", "-s", "/bin/sh", USER], check=True)
    try:
        home = Path(os.path.expanduser(f"~{USER}"))
        uid = int(subprocess.run(["id", "-u", USER], capture_output=True, text=True,
                                 check=True).stdout)
        tar = home / "busybox.tar"
        shutil.copy(busybox_tar, tar)
        os.chown(tar, uid, -1)
        made = User(USER, uid, home)
        result = made.hullbox("import", str(tar), "busybox:latest")
        assert result.returncode == 0, result.stderr
        yield made
    finally:
        subprocess.run(["userdel", "-r", "-f", USER], check=False, capture_output=True)


def test_rootless_run_with_subordinate_ids(user: User) -> None:
    if not _subids(user.name):
        pytest.skip("useradd gave the user no /etc/subuid range here")
    result = user.hullbox("run", "--rm", "busybox", "sh", "-c",
                          "id; cat /proc/self/uid_map; touch /f; chown 1000 /f && echo chowned")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("uid=0(root) gid=0(root)")
    assert lines[1].split() == ["0", str(user.uid), "1"]
    start, count = (int(n) for n in _subids(user.name)[0].split(":")[1:])
    assert lines[2].split() == ["1", str(start), str(count)]
    assert lines[3] == "chowned"  # uid 1000 exists inside: the subordinate range
    store = user.home / ".local" / "share" / "hullbox"
    assert (store / "hullbox.db").is_file()
    assert os.stat(store).st_uid == user.uid
    assert list((store / "containers").iterdir()) == []  # --rm left nothing


def test_rootless_run_with_a_single_id(user: User) -> None:
    ranges = _subids(user.name)
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
    if "Cgroup Limits: applied" in info.stdout:
        assert "warning" not in result.stderr
    else:
        assert result.stderr.count("warning: rootless: cgroups are not delegated") == 1
