"""Initramfs archives (cpio "newc", gzip) written in Python, so making a guest
root needs neither root nor the cpio tool; device nodes are just entries."""

from __future__ import annotations

import gzip
import os
import stat
from pathlib import Path

from hullbox.errors import NotFound

BUSYBOX = Path("/bin/busybox")


class Initramfs:
    """An in-memory list of entries, written out with ``write``."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, int, bytes, int]] = []  # name, mode, data, rdev
        self._names: set[str] = set()

    def _add(self, name: str, mode: int, data: bytes = b"", rdev: int = 0) -> None:
        name = name.strip("/")
        parent = os.path.dirname(name)
        if parent and parent not in self._names:
            self.add_dir(parent)
        if name not in self._names:
            self._names.add(name)
            self._entries.append((name, mode, data, rdev))

    def add_dir(self, name: str, mode: int = 0o755) -> None:
        self._add(name, stat.S_IFDIR | mode)

    def add_file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._add(name, stat.S_IFREG | mode, data)

    def add_symlink(self, name: str, target: str) -> None:
        self._add(name, stat.S_IFLNK | 0o777, target.encode())

    def add_char_device(self, name: str, major: int, minor: int, mode: int = 0o600) -> None:
        self._add(name, stat.S_IFCHR | mode, rdev=os.makedev(major, minor))

    def to_bytes(self) -> bytes:
        """The uncompressed newc archive."""
        out = bytearray()
        for ino, (name, mode, data, rdev) in enumerate(self._entries, start=1):
            out += _entry(ino, name, mode, data, rdev)
        out += _entry(0, "TRAILER!!!", 0, b"", 0)
        return bytes(out)

    def write(self, path: Path) -> Path:
        """Write the gzip-compressed archive (what ``-initrd`` takes)."""
        path.write_bytes(gzip.compress(self.to_bytes(), compresslevel=1, mtime=0))
        return path


def _pad4(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _entry(ino: int, name: str, mode: int, data: bytes, rdev: int) -> bytes:
    encoded = name.encode() + b"\0"
    fields = (ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, 0, len(data), 0, 0,
              os.major(rdev), os.minor(rdev), len(encoded), 0)
    header = b"070701" + b"".join(b"%08X" % field for field in fields)
    return _pad4(header + encoded) + _pad4(data)


def busybox_initramfs(init_script: str, busybox: Path = BUSYBOX) -> Initramfs:
    """A root of the host's static busybox with ``init_script`` as /init.

    /init runs ``busybox --install -s`` itself, so the archive holds one binary."""
    if not busybox.is_file():
        raise NotFound(f"{busybox} not found; install busybox-static")
    archive = Initramfs()
    for directory in ("bin", "sbin", "dev", "proc", "sys", "tmp", "root", "etc"):
        archive.add_dir(directory)
    # The kernel opens /dev/console for init's stdio before anything can mount devtmpfs.
    archive.add_char_device("dev/console", 5, 1)
    archive.add_file("bin/busybox", busybox.read_bytes(), 0o755)
    archive.add_symlink("bin/sh", "busybox")
    archive.add_file("init", init_script.encode(), 0o755)
    return archive
