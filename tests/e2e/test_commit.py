"""``hullbox commit`` and ``hullbox export`` as a user types them."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root


def mounts_under(root: Path) -> list[str]:
    """Mount points inside the store root (this test's own store only)."""
    with open("/proc/self/mountinfo") as info:
        return [line.split()[4] for line in info if line.split()[4].startswith(str(root))]


@pytest.fixture(scope="module")
def changed(hullbox: Hullbox) -> Iterator[str]:
    """A stopped container that added, removed and replaced files (removed
    after this module: the store is shared with other tests)."""
    name = "commit-src"
    hullbox.ok("run", "--name", name, "-e", "FROM_RUN=1", "-w", "/data", "busybox", "sh", "-c",
               "echo hi > /hello; rm /bin/vi; mkdir -p /data; echo x > /data/f; "
               "ln /hello /hello-link")
    yield name
    hullbox.ok("rm", "-f", name)
    for image in ("committed:1", "committed:2"):
        hullbox("rmi", image)


def test_commit_keeps_changes_and_config(hullbox: Hullbox, changed: str) -> None:
    image_id = hullbox.ok("commit", "-m", "my message", "-a", "Jane <j@x>", "-c", "ENV FOO=bar",
                          "-c", 'CMD ["cat", "/hello"]', changed, "committed:1").strip()
    assert image_id.startswith("sha256:") and len(image_id) == 71
    assert hullbox.ok("run", "--rm", "committed:1") == "hi\n"
    assert hullbox.ok("run", "--rm", "committed:1", "cat", "/data/f") == "x\n"
    missing = hullbox("run", "--rm", "committed:1", "ls", "/bin/vi")
    assert missing.returncode != 0
    env = hullbox.ok("run", "--rm", "committed:1", "env").split()
    assert "FOO=bar" in env and "FROM_RUN=1" in env
    links = hullbox.ok("run", "--rm", "committed:1", "stat", "-c", "%h", "/hello")
    assert links == "2\n"
    info = json.loads(hullbox.ok("image", "inspect", "committed:1"))[0]
    assert info["Id"] == image_id
    assert info["Author"] == "Jane <j@x>"
    assert info["Comment"] == "my message"
    assert info["Config"]["WorkingDir"] == "/data"
    assert len(info["RootFS"]["Layers"]) == 2
    base = json.loads(hullbox.ok("image", "inspect", "busybox"))[0]
    assert info["RootFS"]["Layers"][0] == base["RootFS"]["Layers"][0]
    assert mounts_under(hullbox.root) == []


def test_commit_without_change_keeps_the_run_command(hullbox: Hullbox, changed: str) -> None:
    hullbox.ok("commit", changed, "committed:2")
    info = json.loads(hullbox.ok("image", "inspect", "committed:2"))[0]
    assert info["Config"]["Cmd"][:2] == ["sh", "-c"]
    assert "echo hi > /hello" in info["Config"]["Cmd"][2]


def test_export_of_a_stopped_container(hullbox: Hullbox, changed: str, tmp_path: Path) -> None:
    out = subprocess.run([*hullbox_command(), "export", changed], capture_output=True,
                         env=hullbox.env(), check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(out)) as tar:
        names = set(tar.getnames())
        hello = tar.extractfile("hello")
        assert hello is not None and hello.read() == b"hi\n"
    assert {"hello", "data/f", "bin/busybox", "etc/passwd"} <= names
    assert "bin/vi" not in names and not any(".wh." in n for n in names)
    target = tmp_path / "fs.tar"
    hullbox.ok("export", "-o", str(target), changed)
    with tarfile.open(target) as tar:
        assert set(tar.getnames()) == names
    assert mounts_under(hullbox.root) == []


def test_export_of_a_running_container(hullbox: Hullbox, tmp_path: Path) -> None:
    cid = hullbox.ok("run", "-d", "busybox", "sh", "-c",
                     "echo live > /live; sleep 30").strip()
    try:
        for _ in range(50):
            target = tmp_path / "live.tar"
            hullbox.ok("export", "-o", str(target), cid)
            with tarfile.open(target) as tar:
                if "live" in tar.getnames():
                    break
        else:
            pytest.fail("the running container's file never showed in its export")
    finally:
        hullbox.ok("rm", "-f", cid)


def test_commit_and_export_of_a_missing_container(hullbox: Hullbox, tmp_path: Path) -> None:
    for args in (("commit", "no-such-ctr", "x:1"), ("export", "-o", str(tmp_path / "x.tar"),
                                                    "no-such-ctr")):
        result = hullbox(*args)
        assert result.returncode == 125
        assert result.stderr.strip().splitlines() == ["hullbox: no such container: no-such-ctr"]
    assert not (tmp_path / "x.tar").exists()
