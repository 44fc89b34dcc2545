"""The container's mount table, built inside its new mount namespace before pivot_root.

Everything here runs in the forked init, between fork and exec: plain calls,
no threads, no logging. Destinations are resolved with :func:`secure_join` so
that a symlink in the image can never point a mount outside the rootfs.
"""

from __future__ import annotations

import contextlib
import errno
import os

from hullbox.linux import mounts as m
from hullbox.linux.userns import move_mount

TYPE_CHECKING = False  # typing-only imports: collections.abc costs ~2 ms at startup
if TYPE_CHECKING:
    from collections.abc import Mapping

    from hullbox.oci.runtime_spec import Mount

# option -> (clears the flag, flag), as runc's parseMountOptions
_FLAGS: dict[str, tuple[bool, int]] = {
    "ro": (False, m.MS_RDONLY), "rw": (True, m.MS_RDONLY),
    "nosuid": (False, m.MS_NOSUID), "suid": (True, m.MS_NOSUID),
    "nodev": (False, m.MS_NODEV), "dev": (True, m.MS_NODEV),
    "noexec": (False, m.MS_NOEXEC), "exec": (True, m.MS_NOEXEC),
    "sync": (False, m.MS_SYNCHRONOUS), "async": (True, m.MS_SYNCHRONOUS),
    "dirsync": (False, m.MS_DIRSYNC), "remount": (False, m.MS_REMOUNT),
    "mand": (False, m.MS_MANDLOCK), "nomand": (True, m.MS_MANDLOCK),
    "noatime": (False, m.MS_NOATIME), "atime": (True, m.MS_NOATIME),
    "nodiratime": (False, m.MS_NODIRATIME), "diratime": (True, m.MS_NODIRATIME),
    "relatime": (False, m.MS_RELATIME), "norelatime": (True, m.MS_RELATIME),
    "strictatime": (False, m.MS_STRICTATIME), "nostrictatime": (True, m.MS_STRICTATIME),
    "bind": (False, m.MS_BIND), "rbind": (False, m.MS_BIND | m.MS_REC),
}
PROPAGATION: dict[str, int] = {
    "private": m.MS_PRIVATE, "rprivate": m.MS_PRIVATE | m.MS_REC,
    "shared": m.MS_SHARED, "rshared": m.MS_SHARED | m.MS_REC,
    "slave": m.MS_SLAVE, "rslave": m.MS_SLAVE | m.MS_REC,
    "unbindable": m.MS_UNBINDABLE, "runbindable": m.MS_UNBINDABLE | m.MS_REC,
}


#: statvfs f_flag bits that are also mount flags, with the same values
_LOCKABLE = m.MS_NOSUID | m.MS_NODEV | m.MS_NOEXEC | m.MS_NOATIME | m.MS_NODIRATIME


def parse_options(options: tuple[str, ...]) -> tuple[int, list[int], str]:
    """Mount options -> (MS_* flags, propagation flags, data string for the filesystem)."""
    flags = 0
    propagation = []
    data = []
    for opt in options:
        if opt in _FLAGS:
            clear, flag = _FLAGS[opt]
            flags = flags & ~flag if clear else flags | flag
        elif opt in PROPAGATION:
            propagation.append(PROPAGATION[opt])
        else:
            data.append(opt)
    return flags, propagation, ",".join(data)


def secure_join(root: str, unsafe: str) -> str:
    """root + unsafe, with symlinks resolved as if root were / (never escaping it)."""
    parts = [p for p in unsafe.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        try:
            target = os.readlink(os.path.join(root, *resolved, part))
        except OSError:  # not a symlink, or missing: taken as it is
            resolved.append(part)
            continue
        links += 1
        if links > 40:
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), unsafe)
        if target.startswith("/"):
            resolved = []
        parts = [p for p in target.split("/") if p not in ("", ".")] + parts
    return os.path.join(root, *resolved)


# Mount points the image lacks are made 0755, as runc makes them: init runs
# with umask 0, so the mode must be given, or they would be world-writable.
MOUNT_POINT_MODE = 0o755


def make_dirs(path: str) -> None:
    """os.makedirs, but every directory it makes gets MOUNT_POINT_MODE (makedirs
    gives its mode to the last one only)."""
    if os.path.isdir(path):
        return
    parent = os.path.dirname(path)
    if parent != path:
        make_dirs(parent)
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, MOUNT_POINT_MODE)


def _make_target(dest: str, source: str | None) -> None:
    """Create the mount point: a file when binding a file, else a directory."""
    if source is not None and not os.path.isdir(source):
        make_dirs(os.path.dirname(dest))
        if not os.path.exists(dest):
            os.close(os.open(dest, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o644))
    else:
        make_dirs(dest)


def bind(source: str, dest: str, flags: int = 0, *, recursive: bool = True,
         tree: int | None = None) -> None:
    """Bind source on dest, then remount to apply flags (ro etc.) which a bind ignores.

    ``tree`` is a detached copy of source made by open_tree(2) beforehand
    (source then names it as /proc/self/fd/N): it is attached instead.
    """
    _make_target(dest, source)
    if tree is not None:
        move_mount(tree, dest)
    else:
        m.mount(source, dest, None, m.MS_BIND | (m.MS_REC if recursive else 0))
    extra = flags & ~(m.MS_BIND | m.MS_REC | m.MS_REMOUNT)
    if extra:
        # A remount must keep the source mount's nosuid/nodev/noexec/atime
        # flags: in a user namespace they are locked and dropping one is refused.
        extra |= os.statvfs(dest).f_flag & _LOCKABLE
        m.mount(None, dest, None, m.MS_BIND | m.MS_REMOUNT | extra)


def mount_entry(rootfs: str, entry: Mount, *, new_netns: bool, new_ipcns: bool,
                cgroup_dirs: Mapping[str, str], cgroupns: bool, cgroup_v2: bool,
                tree: int | None = None) -> None:
    """Do one spec mount under rootfs (a bind from ``tree`` when given, see bind)."""
    dest = secure_join(rootfs, entry.destination)
    flags, propagation, data = parse_options(entry.options)
    if entry.type == "bind" or flags & m.MS_BIND:
        bind(entry.source, dest, flags, recursive=bool(flags & m.MS_REC), tree=tree)
    elif entry.type == "cgroup":
        # a container without /sys/fs/cgroup still runs, as on runc's v1 edge cases
        with contextlib.suppress(OSError):
            mount_cgroup(dest, flags, cgroup_dirs, cgroupns=cgroupns, v2=cgroup_v2)
    elif entry.type == "sysfs" and not new_netns:
        # sysfs of another netns cannot be mounted: show the host's, read-only (runc)
        bind("/sys", dest, flags | m.MS_REC)
    else:
        make_dirs(dest)
        try:
            m.mount(entry.source, dest, entry.type, flags, data or None)
        except OSError as exc:
            _mount_fallback(entry, dest, flags, data, exc, new_ipcns=new_ipcns)
    for prop in propagation:
        m.mount(None, dest, None, prop)


def _mount_fallback(entry: Mount, dest: str, flags: int, data: str, exc: OSError, *,
                    new_ipcns: bool) -> None:
    """What runc does when a user namespace (or the host's ipc namespace)
    refuses a mount: bind the host's instead, or drop an option it cannot map."""
    if exc.errno == errno.EPERM and entry.type == "mqueue" and not new_ipcns:
        bind("/dev/mqueue", dest, flags)
    elif exc.errno == errno.EPERM and entry.type == "sysfs":
        # a network namespace owned by the host's user namespace: its sysfs
        # is not ours to mount, so show the host's, read-only
        bind("/sys", dest, flags | m.MS_REC | m.MS_RDONLY)
    elif exc.errno == errno.EINVAL and entry.type == "devpts" and "gid=" in data:
        # gid=5 (tty) is not mapped in a single-id user namespace
        kept = ",".join(o for o in data.split(",") if not o.startswith("gid="))
        m.mount(entry.source, dest, entry.type, flags, kept or None)
    else:
        raise exc


def mount_cgroup(dest: str, flags: int, cgroup_dirs: Mapping[str, str], *, cgroupns: bool,
                 v2: bool) -> None:
    """/sys/fs/cgroup showing the container's own groups only.

    In a cgroup namespace a fresh mount of each hierarchy is rooted at the
    container's group; without one, bind the container's dirs.
    """
    os.makedirs(dest, exist_ok=True)
    if v2:
        if cgroupns:
            m.mount("cgroup2", dest, "cgroup2", flags)
        else:
            bind(cgroup_dirs[""], dest, flags)
        return
    m.mount("tmpfs", dest, "tmpfs", flags & ~m.MS_RDONLY, "mode=755")
    for name, host_dir in cgroup_dirs.items():
        target = os.path.join(dest, name)
        os.mkdir(target, 0o555)
        try:
            if not cgroupns:
                raise OSError(errno.EINVAL, "no cgroup namespace")
            if name == "unified":
                m.mount("cgroup2", target, "cgroup2", flags)
            else:
                options = "none,name=" + name if name == "systemd" else name
                m.mount("cgroup", target, "cgroup", flags, options)
        except OSError:
            bind(host_dir, target, flags)
    if flags & m.MS_RDONLY:
        m.mount(None, dest, None, m.MS_REMOUNT | flags)


def pivot_into(rootfs: str) -> None:
    """Make rootfs the new / and detach the old root (pivot_root(".", ".") trick)."""
    os.chdir(rootfs)
    m.pivot_root(".", ".")
    # The old root is stacked on top of "."; make it a slave so the unmount
    # below cannot propagate to the host, then drop it.
    m.mount(None, ".", None, m.MS_SLAVE | m.MS_REC)
    m.umount(".", m.MNT_DETACH)
    os.chdir("/")


def mask_path(path: str) -> None:
    """Hide a path: /dev/null over a file, an empty read-only tmpfs over a directory."""
    try:
        if os.path.isdir(path):
            m.mount("tmpfs", path, "tmpfs", m.MS_RDONLY)
        else:
            m.mount("/dev/null", path, None, m.MS_BIND)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise


def readonly_path(path: str) -> None:
    """Make path read-only by binding it on itself and remounting ro."""
    try:
        m.mount(path, path, None, m.MS_BIND | m.MS_REC)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return
        raise
    # keep nosuid/nodev/noexec/noatime (same bits in statvfs and mount flags), as runc
    kept = os.statvfs(path).f_flag & (m.MS_NOSUID | m.MS_NODEV | m.MS_NOEXEC | m.MS_NOATIME
                                      | m.MS_NODIRATIME)
    m.mount(None, path, None, m.MS_BIND | m.MS_REMOUNT | m.MS_RDONLY | m.MS_REC | kept)
