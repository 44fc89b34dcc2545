"""``hullbox cp``: files between a container (running or stopped) and the host.

Docker's rules for what lands where (``docker cp --help``): a file onto a
missing path takes that name, into a directory keeps its own; a directory
onto a missing path becomes it, into a directory goes inside it, and
``SRC/.`` copies only its contents. ``-`` is a tar stream on stdout/stdin.

Paths in the container resolve inside it (engine.copy_write, copy_read): a
running container is reached through /proc/PID/root, so its own mounts are
seen; a stopped one has its overlay mounted for the copy and unmounted after.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import stat
from collections.abc import Callable, Iterator
from typing import BinaryIO

from hullbox.engine.copy_read import host_entries, tar_entries, walk_at, write_tar
from hullbox.engine.copy_write import Target, write_entries
from hullbox.engine.images import ImageService
from hullbox.engine.options import ContainerOptions
from hullbox.errors import InvalidArgument, NotFound
from hullbox.linux.openat2 import open_in_root
from hullbox.store.containers import RUNNING, ContainerRecord
from hullbox.store.store import Store

#: a kind of path: "dir", "file" (anything else that exists) or None (missing)
KindOf = Callable[[str], str | None]


def split_argument(arg: str) -> tuple[str | None, str]:
    """``web:/etc`` -> ("web", "/etc"); a host path -> (None, path). As in
    Docker, an absolute or ./-relative path is local even with a colon."""
    if arg.startswith(("/", ".")) or ":" not in arg:
        return None, arg
    container, _, path = arg.partition(":")
    return container, path


def _clean(path: str) -> str:
    """A container path made absolute and lexically clean (relative paths
    start at the container's /, as in Docker)."""
    return posixpath.normpath("/" + path.lstrip("/"))


@contextlib.contextmanager
def container_root(store: Store, images: ImageService, record: ContainerRecord) -> Iterator[int]:
    """A descriptor of the container's ``/`` for the length of the block."""
    live = None
    if record.state == RUNNING and record.pid > 0:
        with contextlib.suppress(OSError):  # gone meanwhile: fall through to its files
            live = os.open(f"/proc/{record.pid}/root", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    if live is not None:
        try:
            yield live
        finally:
            os.close(live)
        return
    from hullbox.engine.rootfs import ContainerPaths, is_mounted, mount_overlay, unmount_rootfs

    paths = ContainerPaths(store.container_dir(record.id))
    mounted_here = not is_mounted(paths.rootfs)
    if mounted_here:
        image = images.get(record.image_id)
        mount_overlay(paths, [store.layer_dir(c) for c in reversed(image.layer_chain_ids())])
    try:
        fd = os.open(paths.rootfs, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            yield fd
        finally:
            os.close(fd)
    finally:
        if mounted_here:
            unmount_rootfs(paths)


def _resolve_in_container(root_fd: int, path: str, follow: bool) -> tuple[int, str]:
    """(descriptor of the parent directory, name) of ``path``; with ``follow``
    a symlink at the end is followed, inside the container, to its target."""
    path = _clean(path)
    for _ in range(40):
        parent_fd = open_in_root(root_fd, posixpath.dirname(path), os.O_PATH | os.O_DIRECTORY)
        name = posixpath.basename(path) or "."
        info = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
        if not (follow and stat.S_ISLNK(info.st_mode)):
            return parent_fd, name
        target = os.readlink(name, dir_fd=parent_fd)
        os.close(parent_fd)
        path = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    raise InvalidArgument(f"too many levels of symbolic links in {path}")


def _container_kind(root_fd: int) -> KindOf:
    def kind(path: str) -> str | None:
        try:
            fd = open_in_root(root_fd, path, os.O_PATH)
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            return "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        finally:
            os.close(fd)
    return kind


def _host_kind(path: str) -> str | None:
    if os.path.isdir(path):
        return "dir"
    return "file" if os.path.lexists(path) else None


def destination(dest: str, kind_of: KindOf, source_is_dir: bool, contents_only: bool,
                source_name: str) -> tuple[str, str | None]:
    """(directory to write in, name of the copy there, or None to write the
    source's contents straight into it), by Docker's rules."""
    kind = kind_of(dest)
    if kind == "dir":
        return (dest, None) if source_is_dir and contents_only else (dest, source_name)
    if kind == "file" and source_is_dir:
        raise InvalidArgument(f"cannot copy a directory to a file: {dest}")
    if kind is None and dest.endswith("/") and not source_is_dir:
        raise InvalidArgument(f"no such directory: {dest}; create it first, or drop the /")
    parent, name = posixpath.split(dest.rstrip("/") or "/")
    parent = parent or "."
    if kind_of(parent) != "dir":
        raise InvalidArgument(f"no such directory: {parent}; create it first")
    return parent, name


def copy_from(store: Store, images: ImageService, record: ContainerRecord, src: str,
              dest: str, *, follow: bool = False, archive: bool = False,
              out: BinaryIO | None = None) -> None:
    """``cp CONTAINER:SRC DEST`` (DEST ``-``: a tar stream on ``out``)."""
    contents_only = src.endswith("/.") or _clean(src) == "/"
    follow = follow or src.endswith(("/", "/."))
    with container_root(store, images, record) as root_fd:
        try:
            parent_fd, name = _resolve_in_container(root_fd, src, follow)
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"could not find the file {src} in container {record.name}") from None
        try:
            is_dir = stat.S_ISDIR(os.stat(name, dir_fd=parent_fd, follow_symlinks=False).st_mode)
            if src.endswith(("/", "/.")) and not is_dir:
                raise InvalidArgument(f"{src} in container {record.name} is not a directory")
            source_name = posixpath.basename(_clean(src)) or "."
            if dest == "-":
                assert out is not None
                write_tar(walk_at(parent_fd, name, source_name, children_only=contents_only),
                          out)
                return
            directory, top = destination(dest, _host_kind, is_dir, contents_only, source_name)
            host_fd = os.open(directory, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                entries = walk_at(parent_fd, name, top or ".", children_only=top is None)
                write_entries(entries, Target(host_fd, "/", None, archive))
            finally:
                os.close(host_fd)
        finally:
            os.close(parent_fd)


def copy_to(store: Store, images: ImageService, record: ContainerRecord, src: str,
            dest: str, *, follow: bool = False, archive: bool = False,
            stdin: BinaryIO | None = None) -> None:
    """``cp SRC CONTAINER:DEST`` (SRC ``-``: a tar stream read from ``stdin``)."""
    if ContainerOptions.from_json(record.config).read_only:
        raise InvalidArgument(
            f"cannot copy into container {record.name}: its root filesystem is read-only")
    dest = _clean(dest) + ("/" if dest.endswith("/") else "")
    if src != "-":
        try:
            info = os.stat(src) if follow else os.lstat(src)
        except OSError as exc:
            raise NotFound(f"cannot copy {src}: {(exc.strerror or 'error').lower()}") from None
        if src.endswith(("/", "/.")) and not stat.S_ISDIR(info.st_mode):
            raise InvalidArgument(f"{src} is not a directory")
    with container_root(store, images, record) as root_fd:
        kind_of = _container_kind(root_fd)
        owner = (0, 0)  # the container's root, as Docker does without -a
        if src == "-":
            if kind_of(dest) != "dir":
                raise InvalidArgument(
                    f"destination {dest} in container {record.name} must be an existing "
                    "directory when copying a tar stream from stdin")
            assert stdin is not None
            write_entries(tar_entries(stdin), Target(root_fd, dest, owner, archive))
            return
        is_dir = stat.S_ISDIR(info.st_mode)
        contents_only = src.endswith("/.")
        source_name = os.path.basename(os.path.normpath(src))
        directory, top = destination(dest, kind_of, is_dir, contents_only, source_name)
        entries = host_entries(src, top or ".", children_only=top is None, follow=follow)
        write_entries(entries, Target(root_fd, directory, owner, archive))
