"""unshare(2) and setns(2) with the kernel's CLONE_* names.

Python 3.11 has neither os.unshare nor os.setns, so both go through libc.
"""

from __future__ import annotations

import ctypes

from hullbox.linux.libc import check, libc

CLONE_NEWTIME = 0x00000080
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

#: runtime-spec namespace type -> clone flag
NAMESPACE_FLAGS: dict[str, int] = {
    "pid": CLONE_NEWPID,
    "network": CLONE_NEWNET,
    "mount": CLONE_NEWNS,
    "ipc": CLONE_NEWIPC,
    "uts": CLONE_NEWUTS,
    "user": CLONE_NEWUSER,
    "cgroup": CLONE_NEWCGROUP,
    "time": CLONE_NEWTIME,
}

_libc = libc()
_libc.unshare.argtypes = [ctypes.c_int]
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]


def unshare(flags: int) -> None:
    """unshare(2): move the calling thread into new namespaces."""
    check(_libc.unshare(flags), "unshare", hex(flags))


def setns(fd: int, nstype: int = 0) -> None:
    """setns(2): join the namespace that ``fd`` (an open /proc/*/ns/* file) refers to."""
    check(_libc.setns(fd, nstype), "setns", hex(nstype))
