"""Named network namespaces, as ``ip netns add`` makes them: a new namespace
kept alive by a bind mount of its nsfs file, so it exists before the
container's process does and the runtime joins it by path."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from hullbox.linux import mounts
from hullbox.linux.namespaces import CLONE_NEWNET, setns, unshare


def create(path: str) -> None:
    """A new network namespace pinned at ``path`` (an absent file). The calling
    thread enters it only for the moment of the bind mount."""
    fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o444)
    os.close(fd)
    try:
        with _own_namespace_restored():
            unshare(CLONE_NEWNET)
            mounts.mount("/proc/thread-self/ns/net", path, None, mounts.MS_BIND)
    except BaseException:
        os.unlink(path)
        raise


def remove(path: str) -> None:
    """Unpin the namespace at ``path`` (it dies with its last process) and
    remove the file; nothing to do when it is gone already."""
    with contextlib.suppress(OSError):
        mounts.umount(path, mounts.MNT_DETACH)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@contextlib.contextmanager
def entered(path: str) -> Iterator[None]:
    """Run the block with the calling thread inside the namespace at ``path``;
    sockets opened there keep working in it after the block."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        with _own_namespace_restored():
            setns(fd, CLONE_NEWNET)
            yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _own_namespace_restored() -> Iterator[None]:
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        yield
    finally:
        try:
            setns(own, CLONE_NEWNET)
        finally:
            os.close(own)

