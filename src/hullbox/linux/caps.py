"""Capabilities and the prctl(2) switches that go with them.

The order a runtime must follow is: drop the bounding set (needs CAP_SETPCAP),
PR_SET_KEEPCAPS, change uid/gid, capset(2), raise ambient caps, no_new_privs.
"""

from __future__ import annotations

import ctypes

from hullbox.linux.libc import check, libc

TYPE_CHECKING = False  # typing is for the type checker only (import time on every run)
if TYPE_CHECKING:
    from typing import ClassVar

PR_SET_PDEATHSIG = 1
PR_SET_KEEPCAPS = 8
PR_CAPBSET_READ = 23
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_RAISE = 2
PR_CAP_AMBIENT_CLEAR_ALL = 4

_LINUX_CAPABILITY_VERSION_3 = 0x20080522

#: capability number by its name without the CAP_ prefix (linux/capability.h)
CAPABILITIES: dict[str, int] = {
    name: number for number, name in enumerate((
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
        "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
        "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
        "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
        "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
        "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
    ))
}


class _CapHeader(ctypes.Structure):
    _fields_: ClassVar = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_: ClassVar = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


_libc = libc()
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                        ctypes.c_ulong]
_libc.capset.argtypes = [ctypes.POINTER(_CapHeader), ctypes.POINTER(_CapData)]


def cap_number(name: str) -> int:
    """The number of a capability given as ``CAP_CHOWN`` or ``CHOWN``; KeyError if unknown."""
    return CAPABILITIES[name.upper().removeprefix("CAP_")]


def cap_mask(names: tuple[str, ...] | list[str]) -> int:
    """A 64-bit capability mask (as in /proc/self/status) for capability names.

    Names this table does not know (capabilities newer than it) are left out, as
    runc does with a warning: the kernel could not grant them anyway.
    """
    mask = 0
    for name in names:
        number = CAPABILITIES.get(name.upper().removeprefix("CAP_"))
        if number is not None:
            mask |= 1 << number
    return mask


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    """prctl(2)."""
    return check(_libc.prctl(option, arg2, arg3, arg4, arg5), "prctl", option)


def last_cap() -> int:
    """The highest capability number the running kernel knows."""
    with open("/proc/sys/kernel/cap_last_cap", "rb") as f:
        return int(f.read())


def bounding_set() -> int:
    """The calling thread's bounding set as a mask: what it can ever give a child."""
    mask = 0
    for cap in range(last_cap() + 1):
        if prctl(PR_CAPBSET_READ, cap):
            mask |= 1 << cap
    return mask


def drop_bounding(keep: int) -> None:
    """Drop every capability not in the mask ``keep`` from the bounding set."""
    for cap in range(last_cap() + 1):
        if not keep & (1 << cap):
            prctl(PR_CAPBSET_DROP, cap)


def set_keepcaps(on: bool) -> None:
    """PR_SET_KEEPCAPS: keep permitted caps across the uid change that follows."""
    prctl(PR_SET_KEEPCAPS, int(on))


def capset(effective: int, permitted: int, inheritable: int) -> None:
    """capset(2) for the calling thread with 64-bit masks (version 3 ABI)."""
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    for i, shift in enumerate((0, 32)):
        data[i].effective = (effective >> shift) & 0xFFFFFFFF
        data[i].permitted = (permitted >> shift) & 0xFFFFFFFF
        data[i].inheritable = (inheritable >> shift) & 0xFFFFFFFF
    check(_libc.capset(ctypes.byref(header), data), "capset")


def raise_ambient(mask: int) -> None:
    """Raise each capability of ``mask`` in the ambient set (must be permitted+inheritable)."""
    for cap in range(64):
        if mask & (1 << cap):
            prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap)


def set_no_new_privs() -> None:
    """PR_SET_NO_NEW_PRIVS: execve can never grant privileges again."""
    prctl(PR_SET_NO_NEW_PRIVS, 1)
