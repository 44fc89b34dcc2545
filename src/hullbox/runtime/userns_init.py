"""The container init's steps for a user namespace (see init.py: same rules,
it runs between fork and exec and imports nothing later).

The order is what the kernel wants: the child enters the user namespace and
waits while the parent writes its uid_map/gid_map, then creates the other
namespaces inside it (so it owns them, and may mount proc, sysfs, tmpfs...),
then forks once more so that PID 1 is born in the new pid namespace.
"""

from __future__ import annotations

import os

from hullbox.linux import mounts as m
from hullbox.linux.namespaces import CLONE_NEWUSER, setns, unshare
from hullbox.linux.seqpacket import MSG_NOSIGNAL
from hullbox.linux.userns import (
    AT_RECURSIVE,
    OPEN_TREE_CLOEXEC,
    OPEN_TREE_CLONE,
    move_mount,
    open_tree,
)
from hullbox.oci.runtime_spec import Mount
from hullbox.runtime import mounts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hullbox.runtime.init import InitContext, _Stage


def enter_userns(ctx: InitContext, stage: _Stage, flags: int) -> None:
    """Enter the user namespace, then create the others inside it (so it owns
    them), then fork: the child is PID 1 and returns, this process exits.
    Without a user namespace in the spec (rootless mode: the caller is in one
    already, and cannot return to the host's pid namespace) only the rest is done.

    What lies outside the rootfs is opened first, with the host's rights: the
    mapped root may not be allowed to walk the paths that lead to it. The
    rootfs itself is reached through the working directory from here on.
    """
    stage.name = "open mount sources"
    opened = [opened_source(entry) for entry in ctx.mounts]
    ctx.mounts = tuple(entry for entry, _ in opened)
    ctx.trees = [tree for _, tree in opened]
    if ctx.exec_fifo is not None:
        fifo = os.open(ctx.exec_fifo, os.O_PATH | os.O_CLOEXEC)
        ctx.exec_fifo = f"/proc/self/fd/{fifo}"
    stage.name = f"chdir {ctx.rootfs}"
    os.chdir(ctx.rootfs)
    ctx.rootfs = "."
    user = ctx.spec.namespace("user")
    if user is None:
        pass  # rootless mode: the caller's user namespace is the container's
    elif user.path:
        stage.name = f"join user namespace {user.path}"
        fd = os.open(user.path, os.O_RDONLY | os.O_CLOEXEC)
        setns(fd, CLONE_NEWUSER)
        os.close(fd)
    else:
        stage.name = "create user namespace"
        unshare(CLONE_NEWUSER)
        ctx.sync.send(b"U", MSG_NOSIGNAL)  # the parent writes uid_map and gid_map
        if ctx.sync.recv(16) != b"M":
            os._exit(1)  # the parent could not map us, and says why itself
    if user is not None:
        stage.name = "become root of the user namespace"
        os.setresgid(0, 0, 0)
        os.setresuid(0, 0, 0)
    stage.name = "create namespaces"
    unshare(flags)
    stage.name = "fork PID 1"
    pid = os.fork()
    if pid != 0:
        ctx.sync.send(b"P%d" % pid, MSG_NOSIGNAL)
        os._exit(0)


def opened_source(entry: Mount) -> tuple[Mount, int | None]:
    """A bind mount's source as a detached copy (open_tree) named /proc/self/fd/N."""
    flags, _, _ = mounts.parse_options(entry.options)
    if not (entry.type == "bind" or flags & m.MS_BIND) or not entry.source:
        return entry, None
    recursive = AT_RECURSIVE if flags & m.MS_REC else 0
    try:
        fd = open_tree(entry.source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | recursive)
    except OSError:
        return entry, None  # the mount itself will fail and say why
    return Mount(entry.destination, entry.type, f"/proc/self/fd/{fd}", entry.options), fd


def bind_cwd() -> None:
    """Bind the working directory on itself and move onto the new mount
    (pivot_root wants a mount point), without naming its path."""
    tree = open_tree(".", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)
    try:
        move_mount(tree, ".")
        os.fchdir(tree)
    finally:
        os.close(tree)
