"""Filling an empty volume from the image: what Docker's copy keeps, and
what it must not do (follow a symlink out of the rootfs, touch a non-empty
volume)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hullbox.volume.copyup import copy_up

pytestmark = pytest.mark.root


@pytest.fixture()
def rootfs(tmp_path: Path) -> Path:
    root = tmp_path / "rootfs"
    data = root / "srv" / "data"
    (data / "sub").mkdir(parents=True)
    (data / "file").write_text("content\n")
    os.chown(data / "file", 33, 44)
    os.chmod(data / "file", 0o4750)  # setuid survives: mode is set after chown
    os.link(data / "file", data / "hardlink")
    os.mkfifo(data / "fifo", 0o600)
    os.mknod(data / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.symlink("/etc/shadow", data / "abs-link")
    os.setxattr(data / "sub", "user.note", b"kept")
    os.chown(data, 1000, 1000)
    os.chmod(data, 0o710)
    # a symlink in the image that points at the host's /
    os.symlink("/", root / "hostroot")
    return root


def test_copy_keeps_owners_modes_links_and_nodes(rootfs: Path, tmp_path: Path) -> None:
    volume = tmp_path / "volume"
    volume.mkdir()
    assert copy_up(rootfs, "/srv/data", volume)
    info = (volume / "file").lstat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (33, 44, 0o4750)
    assert (volume / "file").read_text() == "content\n"
    assert (volume / "hardlink").stat().st_ino == info.st_ino  # one file, two names
    assert stat.S_ISFIFO((volume / "fifo").lstat().st_mode)
    assert (volume / "null").lstat().st_rdev == os.makedev(1, 3)
    assert os.readlink(volume / "abs-link") == "/etc/shadow"
    assert os.getxattr(volume / "sub", "user.note") == b"kept"
    top = volume.stat()
    assert (top.st_uid, top.st_gid, stat.S_IMODE(top.st_mode)) == (1000, 1000, 0o710)


def test_a_volume_with_content_is_left_alone(rootfs: Path, tmp_path: Path) -> None:
    volume = tmp_path / "volume"
    volume.mkdir()
    (volume / "mine").write_text("keep\n")
    assert not copy_up(rootfs, "/srv/data", volume)
    assert os.listdir(volume) == ["mine"]


def test_symlinks_resolve_inside_the_rootfs(rootfs: Path, tmp_path: Path) -> None:
    # /hostroot/etc is the rootfs's /etc (absent), never the host's /etc
    volume = tmp_path / "volume"
    volume.mkdir()
    assert not copy_up(rootfs, "/hostroot/etc", volume)
    assert os.listdir(volume) == []
    assert copy_up(rootfs, "/hostroot/srv/data", volume)
    assert (volume / "file").exists()
