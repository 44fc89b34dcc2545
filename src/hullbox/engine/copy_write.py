"""The sink of ``cp``: entries written under a directory, every path resolved
with openat2(RESOLVE_IN_ROOT) against a root descriptor, so neither a tar
stream (``..``, absolute names) nor a symlink already in the container can
make a write land outside it. Leaves are made with O_NOFOLLOW/O_EXCL."""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from hullbox.engine.copy_read import Entry
from hullbox.errors import InvalidArgument
from hullbox.linux.openat2 import open_in_root

_DEVICE_TYPES = {tarfile.CHRTYPE: stat.S_IFCHR, tarfile.BLKTYPE: stat.S_IFBLK,
                 tarfile.FIFOTYPE: stat.S_IFIFO}


@dataclass(frozen=True)
class Target:
    """Where entries go: ``directory`` inside the tree of ``root_fd``.
    ``owner`` is who owns what is written (None: the caller; ``archive``
    keeps each entry's own uid/gid, ``cp -a``)."""

    root_fd: int
    directory: str
    owner: tuple[int, int] | None = None
    archive: bool = False


def _parts(name: str) -> list[str]:
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InvalidArgument(f"invalid path {name!r} in the archive: it leaves the destination")
    return parts


def _open_dir(target: Target, path: str) -> int:
    """The directory at ``path``, made (0755, as tar does) when the archive
    names a file before, or without, its directory."""
    try:
        return open_in_root(target.root_fd, path, os.O_PATH | os.O_DIRECTORY)
    except FileNotFoundError:
        if path in ("/", "", target.directory):
            raise
    parent_fd = _open_dir(target, posixpath.dirname(path))
    try:
        os.mkdir(posixpath.basename(path), 0o755, dir_fd=parent_fd)
    except FileExistsError:
        pass  # made meanwhile, or a dangling symlink: the open below decides
    finally:
        os.close(parent_fd)
    return open_in_root(target.root_fd, path, os.O_PATH | os.O_DIRECTORY)


def _clear(parent_fd: int, name: str, path: str, incoming_dir: bool) -> bool:
    """Make room for the entry; True when a directory is already there."""
    try:
        info = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(info.st_mode):
        if incoming_dir:
            return True
        raise InvalidArgument(f"cannot overwrite directory {path} with a non-directory")
    os.unlink(name, dir_fd=parent_fd)
    return False


def _owner(target: Target, header: tarfile.TarInfo) -> tuple[int, int] | None:
    return (header.uid, header.gid) if target.archive else target.owner


def _write_one(target: Target, header: tarfile.TarInfo, data: IO[bytes] | None,
               parent_fd: int, name: str, path: str) -> None:
    owner = _owner(target, header)
    exists = _clear(parent_fd, name, path, header.isdir())
    if header.isdir() or header.isreg():
        if header.isdir():
            if not exists:
                os.mkdir(name, 0o700, dir_fd=parent_fd)
            flags = os.O_RDONLY | os.O_DIRECTORY
        else:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        fd = os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=parent_fd)
        try:
            if header.isreg():
                assert data is not None  # a regular file always comes with its data
                with open(fd, "wb", closefd=False) as out:
                    shutil.copyfileobj(data, out)
            if owner is not None:
                os.fchown(fd, *owner)
            os.fchmod(fd, header.mode)  # after chown, which clears set-id bits
            if header.isreg():
                os.utime(fd, (header.mtime, header.mtime))
        finally:
            os.close(fd)
        return
    if header.issym():
        os.symlink(header.linkname, name, dir_fd=parent_fd)
    elif header.islnk():
        link_path = posixpath.join(target.directory, *_parts(header.linkname))
        source_fd = _open_dir(target, posixpath.dirname(link_path))
        try:
            os.link(posixpath.basename(link_path), name, src_dir_fd=source_fd,
                    dst_dir_fd=parent_fd, follow_symlinks=False)
        finally:
            os.close(source_fd)
        return
    elif header.type in _DEVICE_TYPES:
        os.mknod(name, _DEVICE_TYPES[header.type] | header.mode,
                 os.makedev(header.devmajor, header.devminor), dir_fd=parent_fd)
    else:
        return  # tar types with no file (pax headers, GNU volume labels)
    if owner is not None:
        os.chown(name, *owner, dir_fd=parent_fd, follow_symlinks=False)
    os.utime(name, (header.mtime, header.mtime), dir_fd=parent_fd, follow_symlinks=False)


def write_entries(entries: Iterator[Entry], target: Target) -> None:
    """Write every entry under ``target.directory``; directory times are set
    last, as writing their children changes them."""
    dir_times: list[tuple[str, float]] = []
    old_umask = os.umask(0)  # modes exactly as the source has them
    try:
        for header, data in entries:
            parts = _parts(header.name)
            if not parts:
                continue
            path = posixpath.join(target.directory, *parts)
            try:
                parent_fd = _open_dir(target, posixpath.dirname(path))
                try:
                    _write_one(target, header, data, parent_fd, parts[-1], path)
                finally:
                    os.close(parent_fd)
            except OSError as exc:
                raise InvalidArgument(f"copy to {path}: {exc.strerror}") from exc
            if header.isdir():
                dir_times.append((path, header.mtime))
    finally:
        os.umask(old_umask)
    for path, mtime in reversed(dir_times):
        try:
            fd = open_in_root(target.root_fd, path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            os.utime(fd, (mtime, mtime))
        finally:
            os.close(fd)
