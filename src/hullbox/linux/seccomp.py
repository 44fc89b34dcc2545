"""seccomp filters: compiled with libseccomp (Debian's libseccomp2, through ctypes)
in the parent, loaded with prctl(2) in the container's init.

libseccomp turns syscall names and argument comparisons into a BPF program for
every architecture asked for; :func:`compile_filter` exports that program as
bytes, so the child, which may no longer see the host's libraries after
pivot_root, only has to hand a ready buffer to the kernel (:meth:`Program.load`).
"""

from __future__ import annotations

import ctypes
import os

from hullbox.linux.caps import prctl

TYPE_CHECKING = False  # typing is for the type checker only (import time on every run)
if TYPE_CHECKING:
    from typing import ClassVar

PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

SCMP_ACT_KILL_PROCESS = 0x80000000
SCMP_ACT_KILL_THREAD = 0x00000000
SCMP_ACT_TRAP = 0x00030000
SCMP_ACT_LOG = 0x7FFC0000
SCMP_ACT_ALLOW = 0x7FFF0000


def SCMP_ACT_ERRNO(err: int) -> int:  # libseccomp's spelling
    """The action that fails the syscall with ``err``."""
    return 0x00050000 | (err & 0xFFFF)


def SCMP_ACT_TRACE(msg: int) -> int:
    """The action that notifies a ptrace tracer with ``msg``."""
    return 0x7FF00000 | (msg & 0xFFFF)


#: enum scmp_compare
COMPARE_OPS = {"SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4,
               "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7}
_NR_SCMP_ERROR = -1
_SCMP_FLTATR_CTL_NNP = 3


class _ArgCmp(ctypes.Structure):
    _fields_: ClassVar = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                          ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


class _SockFprog(ctypes.Structure):
    _fields_: ClassVar = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


_lib: ctypes.CDLL | None = None


def _libseccomp() -> ctypes.CDLL:
    """libseccomp, loaded on first use (containers run unconfined never pay for it)."""
    global _lib
    if _lib is None:
        try:
            lib = ctypes.CDLL("libseccomp.so.2")
        except OSError as exc:
            raise OSError(f"libseccomp is not installed ({exc}); "
                          "install it with: apt-get install libseccomp2") from exc
        lib.seccomp_init.restype = ctypes.c_void_p
        lib.seccomp_init.argtypes = [ctypes.c_uint32]
        lib.seccomp_release.argtypes = [ctypes.c_void_p]
        lib.seccomp_arch_resolve_name.restype = ctypes.c_uint32
        lib.seccomp_arch_resolve_name.argtypes = [ctypes.c_char_p]
        lib.seccomp_arch_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                               ctypes.c_uint, ctypes.POINTER(_ArgCmp)]
        lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
        lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
        _lib = lib
    return _lib


def _check(rc: int, what: str) -> None:
    if rc < 0:
        raise OSError(-rc, f"{what}: {os.strerror(-rc)}")


def syscall_number(name: str) -> int | None:
    """The native number libseccomp uses for ``name`` (negative for syscalls that
    exist only on other architectures), or None when libseccomp does not know it."""
    nr = int(_libseccomp().seccomp_syscall_resolve_name(name.encode()))
    return None if nr == _NR_SCMP_ERROR else nr


#: one rule: (syscall name, action, ((arg index, op, value, value two), ...))
Rule = tuple[str, int, tuple[tuple[int, int, int, int], ...]]


def compile_filter(default_action: int, arches: list[str], rules: list[Rule]) -> bytes:
    """The BPF program (struct sock_filter array) of a filter.

    ``arches`` are libseccomp names (``x86_64``, ``x86``, ``x32``); the native
    one is always in. Rules for syscalls libseccomp does not know, and rules
    whose action is the default one, are left out, as runc does. Raises
    ValueError for an unknown architecture, OSError when libseccomp refuses a rule.
    """
    lib = _libseccomp()
    ctx = lib.seccomp_init(default_action)
    if not ctx:
        raise OSError(0, "seccomp_init failed: invalid default action")
    try:
        # NNP is for seccomp_load(), which we do not use; the spec decides it.
        _check(lib.seccomp_attr_set(ctx, _SCMP_FLTATR_CTL_NNP, 0), "seccomp_attr_set")
        for arch in arches:
            token = lib.seccomp_arch_resolve_name(arch.encode())
            if token == 0:
                raise ValueError(f"unknown seccomp architecture {arch!r}")
            rc = lib.seccomp_arch_add(ctx, token)
            if rc != -17:  # EEXIST: the native arch is always in
                _check(rc, f"add architecture {arch}")
        for name, action, conditions in rules:
            nr = syscall_number(name)
            if nr is None or action == default_action:
                continue
            array = (_ArgCmp * max(len(conditions), 1))(
                *(_ArgCmp(i, op, a, b) for i, op, a, b in conditions))
            _check(lib.seccomp_rule_add_array(ctx, action, nr, len(conditions), array),
                   f"add seccomp rule for {name}")
        fd = os.memfd_create("seccomp-bpf", os.MFD_CLOEXEC)
        try:
            _check(lib.seccomp_export_bpf(ctx, fd), "seccomp_export_bpf")
            size = os.lseek(fd, 0, os.SEEK_END)
            return os.pread(fd, size, 0)
        finally:
            os.close(fd)
    finally:
        lib.seccomp_release(ctx)


class Program:
    """A compiled BPF program kept in memory that :meth:`load` can use after fork."""

    __slots__ = ("_buffer", "_fprog")

    def __init__(self, bpf: bytes) -> None:
        if len(bpf) % 8 or not bpf:
            raise ValueError("a BPF program is a non-empty array of 8-byte instructions")
        self._buffer = ctypes.create_string_buffer(bpf, len(bpf))
        self._fprog = _SockFprog(len(bpf) // 8, ctypes.addressof(self._buffer))

    def load(self) -> None:
        """Install the filter on the calling thread: needs no_new_privs or CAP_SYS_ADMIN."""
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(self._fprog))
