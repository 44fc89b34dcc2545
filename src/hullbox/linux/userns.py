"""User namespaces: uid_map/gid_map writing, and idmapped mounts.

The new mount API calls (open_tree, move_mount, mount_setattr) have no libc
wrappers in glibc 2.36, so they go through syscall(2) with x86_64 numbers.
"""

from __future__ import annotations

import ctypes
import os

from hullbox.linux.caps import prctl
from hullbox.linux.libc import check, libc

SYS_open_tree = 428
SYS_move_mount = 429
SYS_mount_setattr = 442

AT_FDCWD = -100
AT_EMPTY_PATH = 0x1000
AT_RECURSIVE = 0x8000
OPEN_TREE_CLONE = 1
OPEN_TREE_CLOEXEC = os.O_CLOEXEC
MOVE_MOUNT_F_EMPTY_PATH = 0x4
MOUNT_ATTR_IDMAP = 0x00100000
PR_SET_CHILD_SUBREAPER = 36
PR_GET_CHILD_SUBREAPER = 37

#: one uid_map/gid_map line: (id inside, id outside, count)
IdMap = tuple[int, int, int]

TYPE_CHECKING = False  # typing costs import time on every run
if TYPE_CHECKING:
    from typing import ClassVar

_libc = libc()


class _MountAttr(ctypes.Structure):
    _fields_: ClassVar = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def open_tree(path: str, flags: int, dirfd: int = AT_FDCWD) -> int:
    """open_tree(2): an fd for the mount at path (a detached copy with OPEN_TREE_CLONE)."""
    return check(_libc.syscall(SYS_open_tree, ctypes.c_int(dirfd), path.encode(),
                               ctypes.c_uint(flags)), "open_tree", path)


def move_mount(fd: int, target: str, target_dirfd: int = AT_FDCWD) -> None:
    """move_mount(2): attach the mount that fd refers to on target."""
    check(_libc.syscall(SYS_move_mount, ctypes.c_int(fd), b"", ctypes.c_int(target_dirfd),
                        target.encode(), ctypes.c_uint(MOVE_MOUNT_F_EMPTY_PATH)),
          "move_mount", target)


def set_idmap(fd: int, userns_fd: int) -> None:
    """mount_setattr(2) MOUNT_ATTR_IDMAP: files on the detached mount fd show their
    owners shifted by the user namespace's mapping."""
    attr = _MountAttr(MOUNT_ATTR_IDMAP, 0, 0, userns_fd)
    check(_libc.syscall(SYS_mount_setattr, ctypes.c_int(fd), b"",
                        ctypes.c_uint(AT_EMPTY_PATH), ctypes.byref(attr),
                        ctypes.c_size_t(ctypes.sizeof(attr))), "mount_setattr idmap")


def idmapped_bind(source: str, target: str, userns_fd: int) -> None:
    """Bind source on target through an idmapped mount."""
    fd = open_tree(source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)
    try:
        set_idmap(fd, userns_fd)
        move_mount(fd, target)
    finally:
        os.close(fd)


def in_user_namespace() -> bool:
    """True when this process is not in the host's user namespace (its uid_map
    is not the identity of every id)."""
    try:
        with open("/proc/self/uid_map") as f:
            return f.read().split() != ["0", "0", "4294967295"]
    except OSError:
        return False


def format_map(maps: list[IdMap] | tuple[IdMap, ...]) -> str:
    """The text of a uid_map/gid_map file."""
    return "".join(f"{inside} {outside} {count}\n" for inside, outside, count in maps)


def write_id_maps(pid: int, uid_maps: list[IdMap], gid_maps: list[IdMap],
                  caller: tuple[int, int] | None = None) -> None:
    """Give the user namespace of ``pid`` its mappings.

    Root writes the files itself. An unprivileged caller may write a single
    line mapping its own uid/gid (after setgroups is denied); anything else
    goes through the setuid helpers newuidmap/newgidmap, which check
    /etc/subuid and /etc/subgid. ``caller`` is the writer's host (uid, gid)
    when it is no longer what geteuid() says (it wrote its own namespace's
    maps after entering it). Raises OSError.
    """
    uid, gid = caller or (os.geteuid(), os.getegid())
    if uid == 0:
        _write(f"/proc/{pid}/uid_map", format_map(uid_maps))
        _write(f"/proc/{pid}/gid_map", format_map(gid_maps))
        return
    own = ([(uid_maps[0][0], uid, 1)] == uid_maps
           and [(gid_maps[0][0], gid, 1)] == gid_maps)
    if own:
        _write(f"/proc/{pid}/setgroups", "deny")
        _write(f"/proc/{pid}/uid_map", format_map(uid_maps))
        _write(f"/proc/{pid}/gid_map", format_map(gid_maps))
        return
    import subprocess  # only the rootless parent with a subordinate range gets here

    for helper, maps in (("newuidmap", uid_maps), ("newgidmap", gid_maps)):
        argv = [helper, str(pid), *(str(n) for line in maps for n in line)]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, check=False)
        except FileNotFoundError as exc:
            raise OSError(exc.errno, f"{helper} not found (install the uidmap package)") from exc
        if done.returncode != 0:
            raise OSError(1, f"{helper}: {done.stderr.strip() or 'failed'}")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def set_child_subreaper(on: bool) -> bool:
    """PR_SET_CHILD_SUBREAPER; returns the previous setting."""
    was = ctypes.c_int(0)
    check(_libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.addressof(was), 0, 0, 0),
          "prctl", PR_GET_CHILD_SUBREAPER)
    prctl(PR_SET_CHILD_SUBREAPER, int(on))
    return bool(was.value)


class MappedNamespace:
    """A user namespace with the given mappings, held open by an fd (for
    mount_setattr). A short-lived child creates it; its fd outlives the child."""

    def __init__(self, uid_maps: list[IdMap], gid_maps: list[IdMap]) -> None:
        from hullbox.linux.namespaces import CLONE_NEWUSER, unshare

        ready_r, ready_w = os.pipe()
        go_r, go_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child only waits to be inspected
            try:
                os.close(ready_r)
                os.close(go_w)
                unshare(CLONE_NEWUSER)
                os.write(ready_w, b"1")
                os.read(go_r, 1)
            finally:
                os._exit(0)
        os.close(ready_w)
        os.close(go_r)
        try:
            if os.read(ready_r, 1) != b"1":
                raise OSError(1, "unshare(CLONE_NEWUSER) failed in the helper process")
            write_id_maps(pid, uid_maps, gid_maps)
            self.fd = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
        finally:
            os.close(ready_r)
            os.close(go_w)
            os.waitpid(pid, 0)

    def close(self) -> None:
        """Release the namespace."""
        os.close(self.fd)

    def __enter__(self) -> MappedNamespace:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
