"""The sources of ``cp``: a tree inside a container, a host path, or a tar
stream, each as entries (a TarInfo and, for a regular file, its data).

Inside a container every step goes through a directory descriptor with
O_NOFOLLOW, so a symlink (or a directory swapped for one while we read) is
read as a link and never followed out of the container.
"""

from __future__ import annotations

import os
import stat
import tarfile
from collections.abc import Iterator
from typing import IO, BinaryIO

from hullbox.errors import InvalidArgument

Entry = tuple[tarfile.TarInfo, IO[bytes] | None]

_TYPES = {
    stat.S_IFREG: tarfile.REGTYPE, stat.S_IFDIR: tarfile.DIRTYPE,
    stat.S_IFLNK: tarfile.SYMTYPE, stat.S_IFCHR: tarfile.CHRTYPE,
    stat.S_IFBLK: tarfile.BLKTYPE, stat.S_IFIFO: tarfile.FIFOTYPE,
}


def tarinfo(name: str, info: os.stat_result, linkname: str = "") -> tarfile.TarInfo | None:
    """A tar header for a file of this stat; None for a socket (tar has none)."""
    kind = _TYPES.get(stat.S_IFMT(info.st_mode))
    if kind is None:
        return None
    entry = tarfile.TarInfo(name)
    entry.type = kind
    entry.mode = stat.S_IMODE(info.st_mode)
    entry.uid, entry.gid = info.st_uid, info.st_gid
    entry.mtime = int(info.st_mtime)
    entry.size = info.st_size if kind == tarfile.REGTYPE else 0
    entry.linkname = linkname
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        entry.devmajor, entry.devminor = os.major(info.st_rdev), os.minor(info.st_rdev)
    return entry


def walk_at(parent_fd: int, name: str, arcname: str, *,
            children_only: bool = False) -> Iterator[Entry]:
    """Entries for ``name`` in the directory ``parent_fd`` and, for a
    directory, everything under it (names relative to ``arcname``)."""
    info = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
    link = os.readlink(name, dir_fd=parent_fd) if stat.S_ISLNK(info.st_mode) else ""
    header = tarinfo(arcname, info, link)
    if header is None:
        return
    if header.isreg():
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent_fd)
        with os.fdopen(fd, "rb") as data:
            header.size = os.fstat(fd).st_size
            yield header, data
        return
    if not children_only:
        yield header, None
    if not header.isdir():
        return
    fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                 dir_fd=parent_fd)
    try:
        prefix = "" if children_only else arcname + "/"
        for child in sorted(os.listdir(fd)):
            yield from walk_at(fd, child, prefix + child)
    finally:
        os.close(fd)


def host_entries(path: str, arcname: str, *, children_only: bool = False,
                 follow: bool = False) -> Iterator[Entry]:
    """Entries for a path on the host (the user's own files)."""
    parent, name = os.path.split(os.path.abspath(path))
    if follow:
        parent, name = os.path.split(os.path.realpath(path))
    fd = os.open(parent or "/", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield from walk_at(fd, name or ".", arcname, children_only=children_only)
    finally:
        os.close(fd)


def tar_entries(stream: BinaryIO) -> Iterator[Entry]:
    """The members of a tar stream (``cp - CONTAINER:DIR``), in order."""
    try:
        with tarfile.open(fileobj=stream, mode="r|*") as archive:
            for member in archive:
                data = archive.extractfile(member) if member.isreg() else None
                yield member, data
    except (tarfile.TarError, EOFError) as exc:
        raise InvalidArgument(f"read the tar stream on stdin: {exc}") from exc


def write_tar(entries: Iterator[Entry], out: BinaryIO) -> None:
    """Write the entries as a tar stream (``cp CONTAINER:SRC -``)."""
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        for header, data in entries:
            archive.addfile(header, data)

