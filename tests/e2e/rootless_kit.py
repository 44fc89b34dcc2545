"""An ordinary user made for a test module, to run hullbox rootless as typed."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import REPO_ROOT, hullbox_command


@dataclass
class User:
    name: str
    uid: int
    home: Path
    #: a cgroup v2 dir the user's commands start in (a delegated one), else root's
    cgroup: Path | None = None

    def hullbox(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {"HOME": str(self.home), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
               "PYTHONPATH": str(REPO_ROOT / "src")}
        # as a login in a delegated cgroup: the shell is moved in, then becomes the user
        enter = [] if self.cgroup is None else [
            "sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(self.cgroup)]
        return subprocess.run([*enter, "runuser", "-u", self.name, "--", "env", "-i",
                               *(f"{k}={v}" for k, v in env.items()),
                               *hullbox_command(), *args],
                              capture_output=True, text=True, timeout=timeout, check=False,
                              cwd="/")

    def ok(self, *args: str, timeout: float = 60) -> str:
        result = self.hullbox(*args, timeout=timeout)
        assert result.returncode == 0, f"hullbox {' '.join(args)}: {result.stderr}"
        return result.stdout

    def give(self, source: Path, name: str) -> Path:
        """A copy of ``source`` in the user's home, owned by the user."""
        target = self.home / name
        shutil.copy(source, target)
        os.chown(target, self.uid, -1)
        return target

    @property
    def store(self) -> Path:
        return self.home / ".local" / "share" / "hullbox"


def subids(name: str) -> list[str]:
    try:
        return [line for line in Path("/etc/subuid").read_text().splitlines()
                if line.startswith(name + ":")]
    except OSError:
        return []


@contextlib.contextmanager
def ordinary_user(name: str, busybox_tar: Path) -> Iterator[User]:
    """The user, with busybox:latest imported into its store; removed after."""
    if os.geteuid() != 0:
        pytest.skip("needs root to make a user for the test")
    for tool in ("useradd", "userdel", "runuser", "newuidmap"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (passwd, util-linux, uidmap)")
    for part in Path(sys.executable).resolve().parents:
        if not os.access(part, os.X_OK):  # pragma: no cover - depends on the checkout
            pytest.skip(f"{part} is not enterable by other users: the user cannot run hullbox")
    subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True)
    try:
        home = Path(os.path.expanduser(f"~{name}"))
        uid = int(subprocess.run(["id", "-u", name], capture_output=True, text=True,
                                 check=True).stdout)
        made = User(name, uid, home)
        made.ok("import", str(made.give(busybox_tar, "busybox.tar")), "busybox:latest")
        yield made
    finally:
        subprocess.run(["userdel", "-r", "-f", name], check=False, capture_output=True)
