"""Which descriptors a process passes on through exec."""

from __future__ import annotations

import contextlib
import ctypes
import os

from hullbox.linux.libc import libc

SYS_close_range = 436  # x86_64
CLOSE_RANGE_CLOEXEC = 1 << 2
_ALL = ctypes.c_uint(0xFFFFFFFF)


def close_on_exec_from(first: int) -> None:
    """Mark every descriptor from ``first`` up close-on-exec, however it was
    opened (one inherited from whoever started hullbox has no such flag):
    close_range(2), else one by one from /proc/self/fd (kernels before 5.11)."""
    if libc().syscall(ctypes.c_long(SYS_close_range), ctypes.c_uint(first), _ALL,
                      ctypes.c_uint(CLOSE_RANGE_CLOEXEC)) == 0:
        return
    for name in os.listdir("/proc/self/fd"):
        if int(name) >= first:
            with contextlib.suppress(OSError):  # the listing's own descriptor, now closed
                os.set_inheritable(int(name), False)
