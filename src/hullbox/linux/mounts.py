"""mount(2), umount2(2) and pivot_root(2), with the kernel's flag names."""

from __future__ import annotations

import ctypes

from hullbox.linux.libc import check, libc

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_SYNCHRONOUS = 0x10
MS_REMOUNT = 0x20
MS_MANDLOCK = 0x40
MS_DIRSYNC = 0x80
MS_NOSYMFOLLOW = 0x100
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_MOVE = 0x2000
MS_REC = 0x4000
MS_SILENT = 0x8000
MS_UNBINDABLE = 1 << 17
MS_PRIVATE = 1 << 18
MS_SLAVE = 1 << 19
MS_SHARED = 1 << 20
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24

MNT_FORCE = 1
MNT_DETACH = 2
MNT_EXPIRE = 4
UMOUNT_NOFOLLOW = 8

_libc = libc()
_libc.mount.argtypes = [
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_char_p,
]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def _b(value: str | None) -> bytes | None:
    return None if value is None else value.encode()


def mount(source: str | None, target: str, fstype: str | None, flags: int = 0,
          data: str | None = None) -> None:
    """mount(2); raises OSError naming the target on failure."""
    check(_libc.mount(_b(source), target.encode(), _b(fstype), flags, _b(data)),
          "mount", target)


def umount(target: str, flags: int = 0) -> None:
    """umount2(2)."""
    check(_libc.umount2(target.encode(), flags), "umount", target)


SYS_pivot_root = 155  # x86_64


def pivot_root(new_root: str, put_old: str) -> None:
    """pivot_root(2) (no libc wrapper exists, so through syscall(2))."""
    check(_libc.syscall(SYS_pivot_root, new_root.encode(), put_old.encode()),
          "pivot_root", new_root)
