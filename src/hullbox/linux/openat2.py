"""openat2(2) with RESOLVE_IN_ROOT: the kernel resolves a path as if the
directory were ``/`` (absolute symlinks and ``..`` stay inside it), so a
hostile symlink in a container cannot point a host-side copy outside it."""

from __future__ import annotations

import ctypes
import os

from hullbox.linux.libc import check, libc

SYS_openat2 = 437  # x86_64 (and every architecture since 5.6)

RESOLVE_NO_XDEV = 0x01
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08
RESOLVE_IN_ROOT = 0x10


class _OpenHow(ctypes.Structure):
    _fields_ = (("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64),
                ("resolve", ctypes.c_uint64))


_libc = libc()


def open_in_root(root_fd: int, path: str, flags: int, mode: int = 0,
                 resolve: int = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) -> int:
    """Open ``path`` resolved inside the tree of ``root_fd``; raises OSError.
    O_CLOEXEC is always added."""
    how = _OpenHow(flags | os.O_CLOEXEC, mode, resolve)
    relative = path.lstrip("/") or "."
    # syscall(2) is variadic: pass every argument at its full register width.
    return check(_libc.syscall(ctypes.c_long(SYS_openat2), ctypes.c_long(root_fd),
                               ctypes.c_char_p(os.fsencode(relative)), ctypes.byref(how),
                               ctypes.c_size_t(ctypes.sizeof(how))), "openat2", path)
